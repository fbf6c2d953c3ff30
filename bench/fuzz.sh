#!/usr/bin/env bash
# A longer fuzzing run than the suite's 20 s per target: repeats each Jazzer fuzz test until the given minutes
# are spent (each run starts from the corpus the previous ones grew in <module>/.cifuzz-corpus/), then prints what
# the corpus and any findings look like. Findings are saved by Jazzer under src/test/resources/.../*Inputs/ and
# fail the run.   bench/fuzz.sh [minutes per target, default 10]     (after mvn install -DskipTests)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MINUTES=${1:-10}
run() {  # module test
  local module=$1 test=$2 until=$(( $(date +%s) + MINUTES * 60 )) rounds=0
  while [ "$(date +%s)" -lt "$until" ]; do
    (cd "$ROOT/$module" && JAZZER_FUZZ=1 mvn -o -q test -Dtest="$test" -Dsurefire.failIfNoSpecifiedTests=false \
      > "$ROOT/$module/target/fuzz-$test.log" 2>&1) || { echo "FINDING in $test: see $module/target/fuzz-$test.log"; exit 1; }
    rounds=$((rounds + 1))
  done
  local corpus="$ROOT/$module/.cifuzz-corpus"
  echo "$test: $rounds rounds of 20 s, $(grep -h 'DONE' "$ROOT/$module/target/fuzz-$test.log" | tail -1), corpus $(find "$corpus" -type f | wc -l) inputs"
}
echo "machine: $(nproc) cores; date: $(date -u +%F); $MINUTES min per target"
run bundles/protocol CodecFuzzTest
run cloud-bridge BridgeInputsFuzzTest
