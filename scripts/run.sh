#!/usr/bin/env bash
# The main job: set up, build, and run the tlsgate demo (a TLS terminator
# in front of a plaintext backend, a client fetching through it).
# The record engine benchmark is `./build/bench/tlsgate-bench records --compare`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
exec bash scripts/demo.sh "$@"
