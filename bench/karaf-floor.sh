#!/usr/bin/env bash
# The runtime's own memory floor: the built edge distribution with its shipped JVM options and boot features, but
# without Outpost's (outpost-core dropped from featuresBoot), started as a Karaf server; prints RSS, PSS and loaded
# classes after [seconds=90]. What Outpost adds is the edge's figure (bench/edge-footprint.sh) minus this one.
#   bench/karaf-floor.sh [seconds]      (after mvn install, distribution included)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
wait_s=${1:-90}
work=$(mktemp -d /tmp/outpost-karaf-floor.XXXXXX)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    timeout 30 tail --pid="$pid" -f /dev/null || kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
tar xzf "$ROOT"/karaf-distribution/target/outpost-karaf-*.tar.gz -C "$work"
home=$(ls -d "$work"/outpost-karaf-*)
sed -i '/^ *outpost-core\/[^,]*, *\\$/d' "$home/etc/org.apache.karaf.features.cfg"
if grep -q outpost-core "$home/etc/org.apache.karaf.features.cfg"; then
  echo "karaf-floor: could not take outpost-core out of featuresBoot" >&2; exit 1
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -i "s/^sshPort *=.*/sshPort = $port/" "$home/etc/org.apache.karaf.shell.cfg"
"$home/bin/karaf" server > "$work/out.log" 2>&1 &
for _ in $(seq 1 300); do   # the launcher script starts the JVM: find it (up to ~30 s)
  pid=$(pgrep -f "$home/.*org.apache.karaf.main.Main" || true)
  [ -n "$pid" ] && break
  timeout 0.1 tail -f /dev/null || true
done
[ -n "$pid" ] || { echo "karaf-floor: Karaf did not start" >&2; cat "$work/out.log" >&2; exit 1; }
# The measurement is taken at a fixed age of the process, as bench/edge-footprint.sh does (idle 60 s after start).
timeout "$wait_s" tail -f /dev/null || true
kill -0 "$pid" 2>/dev/null || { echo "karaf-floor: Karaf exited" >&2; cat "$work/out.log" >&2; exit 1; }
echo "date: $(date -u '+%F %H:%M UTC'); commit $(git -C "$ROOT" rev-parse --short HEAD); age ${wait_s} s"
echo "boot features: $(awk '/^featuresBoot *=/ {f = 1} f {print; if ($0 !~ /\\$/) exit}' \
  "$home/etc/org.apache.karaf.features.cfg" | tr -d '\\\n ' | sed 's/featuresBoot=//')"
echo "RSS: $(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status) MB; PSS: $(awk '/^Pss:/ {print int($2/1024)}' /proc/$pid/smaps_rollup) MB;" \
  "loaded classes: $(jstat -class "$pid" | awk 'NR==2 {print $1}')"
