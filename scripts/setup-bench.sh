#!/usr/bin/env bash
# Install the peers of `tlsgate-bench e2e` from Debian 12's packages:
# hitch, HAProxy, nginx (the backend), wrk (the client), nghttp2-client
# (h2load) and gnuplot-nox (--plot). Idempotent: quiet when all is there.
#
# Debian starts a package's system service on install. The benchmark never
# uses those services (it runs its own instances with generated configs on
# 127.0.0.1), so this script keeps them from starting (policy-rc.d during
# the install), then stops and disables any that run anyway, so that
# nothing is left listening on ports 80 or 443. It does so on every run,
# also when the packages were there already: do not run it on a machine
# whose system nginx/HAProxy/hitch must keep serving.
set -euo pipefail

PKGS=(hitch haproxy nginx wrk nghttp2-client gnuplot-nox)
SERVICES=(nginx haproxy hitch)

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

stop_services() {
  local s
  for s in "${SERVICES[@]}"; do
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
      $SUDO systemctl disable --now "$s" >/dev/null 2>&1 || true
    fi
    if [ -x "/etc/init.d/$s" ]; then
      $SUDO "/etc/init.d/$s" stop >/dev/null 2>&1 || true
      if command -v update-rc.d >/dev/null 2>&1; then
        $SUDO update-rc.d "$s" disable >/dev/null 2>&1 || true
      fi
    fi
  done
  # Without systemd or init scripts a service may still have been started
  # by hand: stop only daemons started from the packages' system configs.
  local f pid
  for f in /run/nginx.pid /run/haproxy.pid /run/hitch/hitch.pid; do
    if [ -r "$f" ]; then
      pid=$(cat "$f" 2>/dev/null || true)
      if [ -n "$pid" ] && [ -d "/proc/$pid" ]; then
        $SUDO kill "$pid" 2>/dev/null || true
      fi
    fi
  done
}

if [ ${#missing[@]} -eq 0 ]; then
  # installed earlier (maybe not by us): still make sure their system
  # services are not running; quiet
  stop_services
  exit 0
fi

echo "setup-bench: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive

# policy-rc.d exit status 101 = "action forbidden": invoke-rc.d starts
# nothing during the install. Remove ours afterwards (keep any existing).
policy=/usr/sbin/policy-rc.d
ours=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  ours=1
fi
cleanup() {
  if [ "$ours" -eq 1 ]; then
    $SUDO rm -f "$policy"
  fi
}
trap cleanup EXIT

$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
stop_services
echo "setup-bench: done (system services of ${SERVICES[*]} stopped and disabled)" >&2
