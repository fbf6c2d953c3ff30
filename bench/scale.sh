#!/usr/bin/env bash
# The bridge at scale with simulated edge nodes (real Mosquitto, bridge process, fabric8 CRUD mock API).
#   bench/scale.sh [nodes] [podsPerNode] [latencySamples]      (after mvn install)
exec "$(dirname "$0")/java.sh" ScaleBench "$@"
