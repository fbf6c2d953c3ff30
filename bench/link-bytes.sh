#!/usr/bin/env bash
# Bytes per second on one idle edge node's MQTT connection (both directions), the shipped distribution with shipped
# settings, through a byte-counting proxy; a bridge on the other side.
#   bench/link-bytes.sh [minutes=3] [settleSeconds=30]      (after mvn install, distribution included)
exec "$(dirname "$0")/java.sh" LinkBytes "$@"
