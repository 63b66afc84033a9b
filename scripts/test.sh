#!/usr/bin/env bash
# Set up, build and run every test of tlsgate:
#   1. the normal build (gcc): unit tests, benchmark smoke tests, the
#      end-to-end tests (meson install and the installed tlsgate too);
#   2. a release build (gcc, -O3): the unit tests again (-O3 finds
#      warnings -O2 does not, maybe-uninitialized under werror);
#   3. a sanitizer build (gcc, address+undefined): the unit, interop and
#      end-to-end tests again (tlsgate itself under the sanitizers);
#   4. a clang libFuzzer build: each fuzz target for a bounded time
#      (TG_FUZZ_SECONDS, default 20), which also proves the tree builds
#      warning-free with clang.
# Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FUZZ_SECONDS=${TG_FUZZ_SECONDS:-20}
export TG_FUZZ_SECONDS=$FUZZ_SECONDS

bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
count() { # testlog.json -> adds to passed/failed
	local p f
	read -r p f < <(python3 - "$1" <<'PY'
import json, sys
p = f = 0
try:
    for line in open(sys.argv[1]):
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            p += 1
        elif r in ("SKIP",):
            pass
        else:
            f += 1
except OSError:
    f = 1
print(p, f)
PY
)
	passed=$((passed + p))
	failed=$((failed + f))
}

build() { # dir, meson setup args...
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$ROOT/$dir.setup.log" 2>&1 ||
			{ cat "$ROOT/$dir.setup.log"; return 1; }
	fi
	ninja -C "$dir" >"$ROOT/$dir.ninja.log" 2>&1 ||
		{ tail -50 "$ROOT/$dir.ninja.log"; return 1; }
}

stage() { # name, dir, meson test args...
	local name=$1 dir=$2
	shift 2
	echo "== $name"
	rm -f "$dir/meson-logs/testlog.json"
	meson test -C "$dir" --print-errorlogs "$@" 2>&1 | grep -vE '^(ninja: |\[[0-9]+/[0-9]+\] )' | tail -40
	count "$dir/meson-logs/testlog.json"
}

echo "== build (gcc)"
if build build; then
	stage "tests (gcc)" build
else
	failed=$((failed + 1))
fi

echo "== build (gcc, release)"
if build build-release -Dbuildtype=release; then
	stage "unit tests (release)" build-release --suite unit
else
	failed=$((failed + 1))
fi

echo "== build (gcc, address+undefined sanitizers)"
# any sanitizer report fails its test: UBSan would otherwise print and go on
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
SAN_ARGS="-Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fno-sanitize-recover=all"
if build build-asan $SAN_ARGS -Dbuildtype=debug; then
	# e2e-dpdk's matrix smaller there (TG_E2E_QUICK: tests/e2e/test_dpdk.py)
	TG_E2E_QUICK=1 stage "unit, interop and e2e tests (sanitizers)" build-asan --suite unit --suite interop --suite e2e
else
	failed=$((failed + 1))
fi

echo "== build (clang, libFuzzer)"
if CC=clang-14 build build-fuzz -Dfuzz=true $SAN_ARGS; then
	stage "fuzz (${FUZZ_SECONDS}s per target)" build-fuzz --suite fuzz
else
	failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
