#!/usr/bin/env bash
# kubectl logs/exec through the bridge's kubelet API, Mosquitto and a real edge node on Podman: log open → first
# byte, log throughput, exec round trips; results go to docs/benchmarks.md.
#   bench/streams.sh [log MiB=64] [round trips=200] [ms each way on the edge's link to the broker=0]
#   (after mvn install; the delay is a proxy in the benchmark, as this kernel has no netem)
exec "$(dirname "$0")/java.sh" StreamBench "$@"
