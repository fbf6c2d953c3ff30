#!/usr/bin/env bash
# Records the exported API of every API-baselined edge bundle as the baseline the build compares with (README.md).
# Run after a build of the bundles (mvn -pl <bundles> -am package), at a release, or when a deliberate API change is
# to become the new baseline. It writes api-baseline/<artifactId>.jar: the bundle's manifest and its own classes
# (io/outpost/**), without embedded libraries, which are never API. Commit the result.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/api-baseline"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
recorded=0
for pom in "$root"/bundles/*/pom.xml; do
  module="$(dirname "$pom")"
  # Bundles without exported API opt out of baselining in their pom.
  if grep -q '<outpost.api.baseline.phase>none</outpost.api.baseline.phase>' "$pom"; then
    continue
  fi
  artifact="$(sed -n 's|^  <artifactId>\(.*\)</artifactId>$|\1|p' "$pom" | head -1)"
  jar="$(ls "$module"/target/"$artifact"-*.jar 2>/dev/null | grep -v -E -- '-(sources|tests|javadoc)\.jar$' | head -1 || true)"
  if [[ -z "$jar" ]]; then
    echo "record.sh: no built jar for $artifact in $module/target: build the bundles first" >&2
    exit 1
  fi
  rm -rf "$work/x" && mkdir -p "$work/x" && (cd "$work/x" && unzip -q "$jar" 'META-INF/MANIFEST.MF' 'io/outpost/*')
  rm -f "$out/$artifact.jar"
  (cd "$work/x" && jar --create --file "$out/$artifact.jar" --manifest META-INF/MANIFEST.MF io)
  echo "recorded $artifact: $(unzip -p "$out/$artifact.jar" META-INF/MANIFEST.MF | tr -d '\r' | sed -e ':a' -e 'N' -e '$!ba' -e 's/\n //g' | sed -n 's/^Export-Package: //p' | tr ',' '\n' | grep -o '^io\.outpost[^;]*;version="[^"]*"' | tr '\n' ' ')"
  recorded=$((recorded + 1))
done
echo "record.sh: $recorded bundles recorded in $out"
