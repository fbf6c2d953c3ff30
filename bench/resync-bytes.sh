#!/usr/bin/env bash
# Bytes a resync costs (payloads, real codec): unchanged node and a node that missed a share of changes.
#   bench/resync-bytes.sh [pods] [missedPercent]      (after mvn install)
exec "$(dirname "$0")/java.sh" ResyncBytes "$@"
