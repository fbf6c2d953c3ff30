#!/usr/bin/env bash
# Bytes per second on one idle edge node's MQTT connection (both directions), the shipped distribution with shipped
# settings, through a byte-counting proxy; a bridge on the other side.
#   bench/link-bytes.sh [heartbeats=18] [settleHeartbeats=3]      (after mvn install, distribution included)
# The window is counted in heartbeats the bridge handles (18 = three minutes at the shipped 10 s interval).
exec "$(dirname "$0")/java.sh" LinkBytes "$@"
