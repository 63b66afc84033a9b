#!/usr/bin/env bash
# The main job for now: set up, build, and run the records benchmark on
# every backend and suite, side by side with dpdk-test-crypto-perf and
# `openssl speed` (the TLS terminator itself arrives with its own issue).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
exec ./build/bench/tlsgate-bench records --backend all --suite all \
	--size 64,1024,16384 --seconds "${TG_SECONDS:-0.5}" --compare "$@"
