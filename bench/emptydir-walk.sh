#!/usr/bin/env bash
# Cost of the node's emptyDir usage walk and of deleting a pod's volume; results go to docs/benchmarks.md.
#   bench/emptydir-walk.sh [directories] [files per directory] [rounds]      (after mvn install)
exec "$(dirname "$0")/java.sh" EmptyDirWalkBench "$@"
