#!/usr/bin/env bash
# Device twin engine on a real edge store and the Modbus TCP driver against a j2mod Modbus server: reads per second
# and change → recorded latency, healthy and with failing devices; results go to docs/benchmarks.md.
#   bench/device-twins.sh [devices=50] [failing=0] [changes=200] [workers=4]      (after mvn install)
exec "$(dirname "$0")/java.sh" DeviceBench "$@"
