#!/usr/bin/env bash
# Bytes on one edge node's MQTT link for a gateway rollout of a bundle of about 1 MB (the shipped distribution, a
# bridge serving the signed artifact from its artifact directory), both directions, through a byte-counting proxy.
#   bench/rollout-bytes.sh [randomBytes=1000000]      (after mvn install, distribution included)
exec "$(dirname "$0")/java.sh" RolloutBytes "$@"
