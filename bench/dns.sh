#!/usr/bin/env bash
# The node's cluster DNS server on loopback: queries per second and latency p50/p99 for cluster names, search-path
# misses and cached forwarded names; results go to docs/benchmarks.md.
#   bench/dns.sh [seconds per scenario=10] [concurrent clients=4]      (after mvn install)
exec "$(dirname "$0")/java.sh" DnsBench "$@"
