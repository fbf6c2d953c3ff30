#!/usr/bin/env bash
# Edge cold start with no cloud: distribution process start → all pods running again from the store.
#   bench/cold-start.sh [pods] [rounds]      (after mvn install; uses Podman and Mosquitto like the tests)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CONTAINERS_CONF="$ROOT/etc/podman/containers.conf"
cd "$ROOT"
exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$ROOT/bench/target/classes:$(cat "$ROOT/bench/target/classpath.txt")" io.outpost.bench.ColdStart "$@"
