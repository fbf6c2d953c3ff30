#!/usr/bin/env bash
# Fails the module's build when a test class that Surefire or Failsafe should have run has no result of this
# build (see CheckTestResults.java beside this script). Bound to the verify phase of every module by the parent
# pom; modules without compiled test classes are done at once.
#   check-test-results.sh <java> <target dir> <classpath> <build start, ISO instant> <test> <it.test> \
#       <skipTests> <maven.test.skip> <maven.test.skip.exec> <skipITs>
set -euo pipefail
java=$1 target=$2 classpath=$3 since=$4 test=$5 it_test=$6 skip_tests=$7 test_skip=$8 skip_exec=$9 skip_its=${10}
[ -d "$target/test-classes" ] || exit 0
is_set() { [[ -n "$1" && "$1" != \$\{* && "${1,,}" != false ]]; }
skip_unit=false skip_integration=false
if is_set "$skip_tests" || is_set "$test_skip" || is_set "$skip_exec"; then skip_unit=true skip_integration=true; fi
if is_set "$skip_its"; then skip_integration=true; fi
[ "$skip_unit" = true ] && [ "$skip_integration" = true ] && exit 0
exec "$java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
  "$(dirname "$0")/CheckTestResults.java" "$target/test-classes" "$classpath" "$since" \
  "$target/surefire-reports" "$target/failsafe-reports" "$test" "$it_test" "$skip_unit" "$skip_integration"
