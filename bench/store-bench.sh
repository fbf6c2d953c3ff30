#!/usr/bin/env bash
# Durable edge-store upserts per second (single and batched); results go to docs/benchmarks.md.
#   bench/store-bench.sh [messages] [batch]      (after mvn install)
exec "$(dirname "$0")/java.sh" StoreBench "$@"
