#!/usr/bin/env bash
# The node's Service ruleset: N Services x M endpoints planned, rendered and applied with nft in a network namespace
# of its own (root; nft and ip from scripts/setup.sh); results go to docs/benchmarks.md.
#   bench/ruleset.sh [services=1000] [endpoints=10] [rounds=20]      (after mvn install)
exec "$(dirname "$0")/java.sh" RulesetBench "$@"
