#!/usr/bin/env bash
# Link up → converged for an edge that missed a share of changes while cut off.
#   bench/converge.sh [pods] [missedPercent]      (after mvn install; uses Podman and Mosquitto like the tests)
exec "$(dirname "$0")/java.sh" Converge "$@"
