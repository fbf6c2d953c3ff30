#!/usr/bin/env bash
# A Service change reaching every node of a site: N edge nodes (the built distribution, each in a network namespace
# of its own with its own Podman service) on a simulated site LAN; times EndpointSlice write -> nftables rule in force
# on every node (root; nft, ip, Podman from scripts/setup.sh); results go to docs/benchmarks.md.
#   bench/site-services.sh [nodes=3] [rounds=30]      (after mvn install)
exec "$(dirname "$0")/java.sh" SiteServiceBench "$@"
