#!/usr/bin/env bash
# One node flooding every upstream channel against calm nodes heartbeating every second; the bridge (shipped
# fair-share settings) in-process, real Mosquitto, fabric8 CRUD mock API.
#   bench/flood.sh [nodes] [secondsPerPhase]      (after mvn install)
exec "$(dirname "$0")/java.sh" FloodBench "$@"
