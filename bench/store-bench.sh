#!/usr/bin/env bash
# Durable edge-store upserts per second (single and batched); results go to docs/benchmarks.md.
#   bench/store-bench.sh [messages] [batch]      (after mvn install)
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(df -h /tmp | awk 'NR==2{print $1}'); date: $(date -u +%F)"
exec "$(dirname "$0")/java.sh" StoreBench "$@"
