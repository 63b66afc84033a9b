#!/usr/bin/env bash
# Install what tlsgate needs to build, test and benchmark, from Debian 12's
# packages only. Idempotent: quiet when everything is already there.
set -euo pipefail

PKGS=(
  build-essential pkg-config meson ninja-build
  clang-14 libclang-rt-14-dev
  libdpdk-dev dpdk dpdk-dev
  libipsec-mb-dev
  libssl-dev openssl
  libcunit1-dev libconfig-dev libmicrohttpd-dev libsystemd-dev doxygen
  gnutls-bin nghttp2-client
  groff-base mandoc
  python3 curl iproute2 procps
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done" >&2
