#!/usr/bin/env bash
# Durable edge-store upserts per second (single and batched); results go to docs/benchmarks.md.
#   bench/store-bench.sh [messages] [batch]      (after mvn install)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CP="$ROOT/bench/target/classes:$(cat "$ROOT/bench/target/classpath.txt")"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(df -h /tmp | awk 'NR==2{print $1}'); date: $(date -u +%F)"
exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn --add-opens java.base/sun.nio.ch=ALL-UNNAMED -cp "$CP" io.outpost.bench.StoreBench "$@"
