#!/usr/bin/env bash
# Edge pod start latency and footprint (issue 6): idle RSS, RSS with 10 pods, pod created → Running in Kubernetes
# p50/p99 for pods created one after another, and edge CPU idle with all of them running.
#   bench/pod-start.sh [pods]      (after mvn install; uses Podman and Mosquitto like the tests)
exec "$(dirname "$0")/java.sh" PodStartBench "$@"
