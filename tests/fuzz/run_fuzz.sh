#!/usr/bin/env bash
# Run one libFuzzer target for TG_FUZZ_SECONDS over a copy of its seed
# corpus (the seeds in git stay as they are). Fails on any crash.
set -euo pipefail
exe=$1
seeds=$2
secs=${TG_FUZZ_SECONDS:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$seeds"/. "$work"/ 2>/dev/null || true
exec "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	-artifact_prefix="$PWD/$(basename "$exe")-" -print_final_stats=1 "$work"
