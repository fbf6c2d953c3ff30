#!/usr/bin/env bash
# Runs every Outpost test on a fresh machine: installs what the tests need (scripts/setup.sh), then builds and runs
# unit tests, integration tests against real Mosquitto/Podman/Xodus, Pax Exam tests against the built Karaf
# distribution, and the end-to-end tests (bridge + broker + edge distribution + Podman + Kubernetes mock API).
# Extra arguments go to Maven, e.g. scripts/test.sh -pl bundles/store
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash scripts/setup.sh
export CONTAINERS_CONF="$ROOT/etc/podman/containers.conf"
exec mvn -B -ntp install "$@"
