#!/usr/bin/env bash
# Edge cold start with no cloud: distribution process start → all pods running again from the store.
#   bench/cold-start.sh [pods] [rounds]      (after mvn install; uses Podman and Mosquitto like the tests)
exec "$(dirname "$0")/java.sh" ColdStart "$@"
