#!/usr/bin/env bash
# Runs one benchmark harness of the bench module: bench/java.sh <class> [args]   (after mvn install)
# Podman always runs with the project's containers.conf, as in the tests.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CONTAINERS_CONF="$ROOT/etc/podman/containers.conf"
cd "$ROOT"
class=$1
shift
# Every figure names its machine, date and build: printed first by every Java benchmark.
echo "machine: $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), $(free -g | awk '/Mem:/{print $2}') GiB RAM," \
  "$(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r), $(java -version 2>&1 | head -1)," \
  "$(podman --version 2>/dev/null || echo 'no podman')"
echo "date: $(date -u '+%F %H:%M UTC'); commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
  git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)'); harness: $class $*"
exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
  -cp "$ROOT/bench/target/classes:$(cat "$ROOT/bench/target/classpath.txt")" "io.outpost.bench.$class" "$@"
