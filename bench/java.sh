#!/usr/bin/env bash
# Runs one benchmark harness of the bench module: bench/java.sh <class> [args]   (after mvn install)
# Podman always runs with the project's containers.conf, as in the tests.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CONTAINERS_CONF="$ROOT/etc/podman/containers.conf"
cd "$ROOT"
class=$1
shift
exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
  -cp "$ROOT/bench/target/classes:$(cat "$ROOT/bench/target/classpath.txt")" "io.outpost.bench.$class" "$@"
