#!/usr/bin/env bash
# Link up → converged for an edge that missed a share of changes while cut off.
#   bench/converge.sh [pods] [missedPercent]      (after mvn install; uses Podman and Mosquitto like the tests)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CONTAINERS_CONF="$ROOT/etc/podman/containers.conf"
cd "$ROOT"
exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$ROOT/bench/target/classes:$(cat "$ROOT/bench/target/classpath.txt")" io.outpost.bench.Converge "$@"
