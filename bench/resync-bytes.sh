#!/usr/bin/env bash
# Bytes a resync costs (payloads, real codec): unchanged node and a node that missed a share of changes.
#   bench/resync-bytes.sh [pods] [missedPercent]      (after mvn install)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
exec java -cp "$ROOT/bench/target/classes:$(cat "$ROOT/bench/target/classpath.txt")" io.outpost.bench.ResyncBytes "$@"
