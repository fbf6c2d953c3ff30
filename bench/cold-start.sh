#!/usr/bin/env bash
# Edge cold start with no cloud: distribution process start → all pods running again from the store.
#   bench/cold-start.sh [pods] [rounds] [key=value ...]   (node settings other than the shipped ones; after mvn install)
exec "$(dirname "$0")/java.sh" ColdStart "$@"
