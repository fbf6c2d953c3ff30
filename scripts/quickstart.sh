#!/usr/bin/env bash
# Outpost quickstart on one machine: a Kubernetes API (the cluster in $KUBECONFIG if set, else an in-process
# fabric8 mock API server in CRUD mode, for demonstration only), the cloud bridge with its embedded MQTT 5 broker
# (HiveMQ CE; no Mosquitto needed), one edge node (the built Karaf distribution, as its own process) on Podman, and
# a demo pod — ending with the pod's container running in Podman and the pod Running in Kubernetes.
# MQTT between them is plain, on loopback only, allowed explicitly (OUTPOST_INSECURE_PLAINTEXT=true for the bridge,
# insecure.plaintext = true for the node), as the output says: a development setup, not a production one.
#
#   scripts/quickstart.sh         set up, build, start everything, create the demo pod, wait until it runs
#   scripts/quickstart.sh stop    stop everything the quickstart started (by PID) and remove its containers
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK="$ROOT/.quickstart"
PIDFILE="$WORK/quickstart.pid"
cd "$ROOT"

stop() {
  if [ -f "$PIDFILE" ]; then
    pid=$(cat "$PIDFILE")
    if kill -0 "$pid" 2>/dev/null; then
      echo "quickstart: stopping (pid $pid)"
      kill "$pid"
      while kill -0 "$pid" 2>/dev/null; do wait "$pid" 2>/dev/null || tail --pid="$pid" -f /dev/null; done
    fi
    rm -f "$PIDFILE"
  fi
}

if [ "${1:-}" = "stop" ]; then
  stop
  exit 0
fi

bash scripts/setup.sh
export CONTAINERS_CONF="$ROOT/etc/podman/containers.conf"
stop
mkdir -p "$WORK"
echo "quickstart: building (mvn install -DskipTests; a few minutes the first time, full log in $WORK/build.log)"
# One line per module as Maven starts it ("Building … [n/N]"), then the result; errors in full.
if ! mvn -B -ntp install -DskipTests 2>&1 | tee "$WORK/build.log" \
    | grep --line-buffered -E '^\[INFO\] (Building .*\[[0-9]+/[0-9]+\]|BUILD |Total time)|^\[ERROR\]' \
    | sed -u -E 's/^\[INFO\] /  /; s/ +\[/  [/'; then
  echo "quickstart: the build failed — see $WORK/build.log" >&2
  exit 1
fi
CP="$ROOT/quickstart/target/classes:$(cat "$ROOT/quickstart/target/classpath.txt")"
LOG="$WORK/quickstart.log"
: > "$LOG"
nohup java -cp "$CP" io.outpost.quickstart.Quickstart "$WORK" > "$LOG" 2>&1 &
echo $! > "$PIDFILE"
echo "quickstart: started (pid $(cat "$PIDFILE"), log $LOG)"
# Follow the log until the launcher says it is ready, or fails (it exits on failure, which ends the tail).
JPID=$(cat "$PIDFILE")
coproc FOLLOW { exec tail -n +1 --pid="$JPID" -f "$LOG"; }
ready=1
while IFS= read -r -t 900 line <&"${FOLLOW[0]}"; do
  echo "$line"
  if [ "$line" = "QUICKSTART READY" ]; then ready=0; break; fi
done
kill "$FOLLOW_PID" 2>/dev/null || true
if [ "$ready" -ne 0 ]; then
  echo "quickstart: FAILED — see $LOG" >&2
  stop
  exit 1
fi
echo
echo "quickstart: everything keeps running in the background. 'scripts/quickstart.sh stop' ends it."
