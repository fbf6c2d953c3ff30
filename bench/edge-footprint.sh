#!/usr/bin/env bash
# Measures the edge distribution: archive size, time from process start to all Outpost components active
# (store open, MQTT connected, container engine reachable), and idle RSS and PSS after 60 s with the loaded class
# count. Uses a private Mosquitto and Podman API service on ephemeral ports/sockets; cleans up everything by PID.
#   bench/edge-footprint.sh            (after mvn install)
#   OUTPOST_BENCH_ANALYSE=1 bench/edge-footprint.sh
#       also runs the JVM with Native Memory Tracking (summary) and -Xlog:class+load, and prints the NMT summary and
#       the loaded classes per source (JDK module, bundle, embedded jar) — those options cost memory themselves, so
#       the RSS/PSS of such a run is not the shipped figure.
#   OUTPOST_BENCH_EDIT='<shell commands>' bench/edge-footprint.sh
#       runs the commands in the unpacked distribution before it starts (to measure a candidate setting, e.g.
#       OUTPOST_BENCH_EDIT='sed -i s/-Xmx64m/-Xmx48m/ bin/setenv'); printed with the figures.
#   OUTPOST_BENCH_HOLD=<file>: after the figures, prints the edge's PID and keeps it running while <file> exists
#       (to look at it with jcmd or pmap).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CONTAINERS_CONF="$ROOT/etc/podman/containers.conf"
ARCHIVE=$(ls "$ROOT"/karaf-distribution/target/outpost-karaf-*.tar.gz)
WORK=$(mktemp -d /tmp/outpost-bench-XXXX)
PIDS=()
cleanup() {
  set +e
  # bin/karaf runs java as a child: end the children of every process we started, then the processes, and wait
  # for each to exit before removing the directory they write to.
  local all=()
  for p in "${PIDS[@]}"; do all+=($(pgrep -P "$p") "$p"); done
  for p in "${all[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${all[@]}"; do tail --pid="$p" -f /dev/null 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
printf "user root\nlistener %s 127.0.0.1\nallow_anonymous true\n" "$port" > "$WORK/mosquitto.conf"
mosquitto -c "$WORK/mosquitto.conf" > "$WORK/mosquitto.log" 2>&1 & PIDS+=($!)
podman system service --time=0 "unix://$WORK/podman.sock" > "$WORK/podman.log" 2>&1 & PIDS+=($!)
mkdir -p "$WORK/edge" && tar -xzf "$ARCHIVE" -C "$WORK/edge" --strip-components=1
# Since each component has its own file (issue 20), the bench's settings go in io.outpost.node.cfg, which every
# component reads and which wins over the component's own file.
sed -i "s|^node.name = .*|node.name = bench-edge|" "$WORK/edge/etc/io.outpost.node.cfg"
cat >> "$WORK/edge/etc/io.outpost.node.cfg" <<CFG
metrics.port = $(free_port)
broker.url = tcp://127.0.0.1:$port
insecure.plaintext = true
engine.host = unix://$WORK/podman.sock
CFG
sed -i "s|^sshPort = .*|sshPort = 0|" "$WORK/edge/etc/org.apache.karaf.shell.cfg"
if [ -n "${OUTPOST_BENCH_EDIT:-}" ]; then (cd "$WORK/edge" && eval "$OUTPOST_BENCH_EDIT"); fi
ANALYSE=${OUTPOST_BENCH_ANALYSE:-0}
if [ "$ANALYSE" = 1 ]; then # appended to the shipped options, which bin/setenv puts in EXTRA_JAVA_OPTS
  echo "export EXTRA_JAVA_OPTS=\"\$EXTRA_JAVA_OPTS -XX:NativeMemoryTracking=summary -Xlog:class+load=info:file=$WORK/classes.log\"" >> "$WORK/edge/bin/setenv"
fi
log="$WORK/edge/data/log/karaf.log"
start=$(date +%s%N)
"$WORK/edge/bin/karaf" server > "$WORK/console.log" 2>&1 & PIDS+=($!)
kpid=$!
ready() { [ -f "$log" ] && grep -q "Edge store open" "$log" && grep -q "Connected to tcp" "$log" && grep -q "is reachable" "$log"; }
until ready; do
  kill -0 "$kpid" 2>/dev/null || { echo "karaf exited"; cat "$WORK/console.log"; exit 1; }
  if [ $(( $(date +%s%N) - start )) -gt 180000000000 ]; then # a boot feature that does not resolve never gets there
    echo "components not active after 180 s: no figure"; grep -m 5 "ERROR" "$log" || true; exit 1
  fi
  timeout 0.1 tail -f /dev/null || true   # poll the log every 100 ms
done
end=$(date +%s%N)
ready_lines=$(wc -l < "$log")
jpid=$(pgrep -P "$kpid" java || echo "$kpid")
timeout 60 tail -f /dev/null || true      # let it settle: idle RSS is measured after 60 s
# No figure from an edge that died or lost a component meanwhile.
kill -0 "$jpid" 2>/dev/null || { echo "the edge exited during the 60 s idle window: no figure"; cat "$WORK/console.log"; exit 1; }
if tail -n +"$((ready_lines + 1))" "$log" | grep -q "Container engine at .* is unreachable\|MQTT link to .* down"; then
  echo "the edge lost its engine or broker during the idle window: no figure"; grep "unreachable\|link to" "$log"; exit 1
fi
rss=$(ps -o rss= -p "$jpid" | tr -d ' ')
pss=$(awk '/^Pss:/{print $2}' "/proc/$jpid/smaps_rollup")
classes=$(jstat -class "$jpid" | awk 'NR==2{print $1}')
echo "machine: $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), $(free -g | awk '/Mem:/{print $2}') GiB RAM, kernel $(uname -r); date: $(date -u '+%F %H:%M UTC'); commit $(git -C "$ROOT" rev-parse --short HEAD)"
echo "archive: $(du -m "$ARCHIVE" | cut -f1) MB ($(basename "$ARCHIVE")), unpacked $(du -sm "$WORK/edge" | cut -f1) MB"
echo "start → all components active: $(( (end - start) / 1000000 )) ms"
echo "idle after 60 s: RSS $(( rss / 1024 )) MB, PSS $(( pss / 1024 )) MB, $classes classes loaded$([ "$ANALYSE" = 1 ] && echo ' (with NMT and class logging: not the shipped figure)')"
[ -n "${OUTPOST_BENCH_EDIT:-}" ] && echo "edited before the start: $OUTPOST_BENCH_EDIT"
echo "JVM options: $(grep -o 'OUTPOST_JAVA_OPTS:-[^}]*' "$WORK/edge/bin/setenv" | cut -d- -f2-)"
if [ "$ANALYSE" = 1 ]; then
  jcmd "$jpid" VM.native_memory summary | sed -n '/^Total/,$p' | grep -E '^(Total|-)|committed=' | grep -v '^ *(' | sed 's/ *$//'
  echo "loaded classes per source (-Xlog:class+load):"
  "$ROOT/bench/class-sources.sh" "$WORK/classes.log" "$WORK/edge"
fi
if [ -n "${OUTPOST_BENCH_HOLD:-}" ]; then
  echo "edge JVM: PID $jpid, kept running while $OUTPOST_BENCH_HOLD exists"
  while [ -e "$OUTPOST_BENCH_HOLD" ]; do timeout 1 tail -f /dev/null || true; done
fi
