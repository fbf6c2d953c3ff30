#!/usr/bin/env bash
# Installs, idempotently, everything Outpost's build, tests and quickstart need on a fresh Debian machine:
# Debian packages (mosquitto, podman, runc, busybox-static, openssl; docker-registry and apache2-utils for the
# private-registry tests; openssh-client and curl for the quickstart's console and API commands; nftables and iproute2 for site networking: pod routes, Services), and the local
# test image localhost/busybox:test
# built from busybox-static (no registry is reachable from the build machines).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CONTAINERS_CONF="$ROOT/etc/podman/containers.conf"

need=()
for pkg in mosquitto podman runc busybox-static uidmap openssl docker-registry apache2-utils openssh-client curl nftables iproute2; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
command -v mvn >/dev/null || need+=(maven)
command -v javac >/dev/null || need+=(openjdk-17-jdk-headless)
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
LOCK_WAIT_SECONDS=${OUTPOST_APT_LOCK_WAIT:-900}

# apt-get "$@", waiting (up to LOCK_WAIT_SECONDS, and saying so) while another apt/dpkg run holds one of its locks:
# apt names the holder, and this waits for that process to end and tries again (apt-get update does not wait for
# the package lists' lock by itself); a dpkg lock whose holder apt cannot name is left to apt's DPkg::Lock::Timeout.
apt_get() {
  local deadline=$(( $(date +%s) + LOCK_WAIT_SECONDS )) err holder lock timeout=0
  err=$(mktemp)
  while true; do
    if LC_ALL=C DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout="$timeout" "$@" 2>"$err"; then
      rm -f "$err"; return 0
    fi
    lock=$(grep -o -m1 -E 'get lock [^ ]+[^. ]|frontend lock \([^)]*\)' "$err" \
      | sed -E 's/^(get lock|frontend lock) \(?//; s/\)$//' || true)
    holder=$(grep -o -m1 -E 'held by process [0-9]+' "$err" | grep -o -E '[0-9]+$' || true)
    if [ -z "$lock" ] || [ "$(date +%s)" -ge "$deadline" ] || { [ -z "$holder" ] && [ "$timeout" -gt 0 ]; }; then
      cat "$err" >&2; rm -f "$err"
      [ -z "$lock" ] || echo "setup: $lock is still held by another package manager run; run setup again when it is done" >&2
      return 1
    fi
    if [ -n "$holder" ]; then
      echo "setup: another package manager run holds $lock (pid $holder, $(ps -o comm= -p "$holder" 2>/dev/null || echo gone)): waiting for it to finish (at most $(( deadline - $(date +%s) )) s)"
      timeout "$(( deadline - $(date +%s) ))" tail --pid="$holder" -f /dev/null || true
    else
      timeout=$(( deadline - $(date +%s) ))
      echo "setup: another package manager run holds $lock: waiting for it to finish (at most $timeout s)"
    fi
  done
}

if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian's mosquitto package starts a system service on 1883; Outpost runs its own brokers on ephemeral ports.
# docker-registry's package would also start one on :5000 under systemd; the tests start their own, so a service
# this script just installed is switched off again.
if [[ " ${need[*]:-} " == *" docker-registry "* ]] && command -v systemctl >/dev/null \
    && systemctl is-enabled docker-registry >/dev/null 2>&1; then
  $SUDO systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi

if ! podman image exists localhost/busybox:test 2>/dev/null; then
  echo "setup: building localhost/busybox:test from busybox-static"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/rootfs/bin" "$work/rootfs/tmp" "$work/rootfs/etc" "$work/rootfs/proc" "$work/rootfs/sys" "$work/rootfs/dev"
  cp /bin/busybox "$work/rootfs/bin/busybox"
  for applet in $("$work/rootfs/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$work/rootfs/bin/$applet"
  done
  echo "root:x:0:0:root:/root:/bin/sh" > "$work/rootfs/etc/passwd"
  echo "root:x:0:" > "$work/rootfs/etc/group"
  tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
  podman import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' "$work/rootfs.tar" localhost/busybox:test >/dev/null
fi
echo "setup: ok (mosquitto $(mosquitto -h 2>/dev/null | head -1 | awk '{print $3}'), $(podman --version))"
