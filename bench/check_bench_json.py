#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Smoke test of `tlsgate-bench records --json`.

Usage: check_bench_json.py <tlsgate-bench> records [options...] --json

Runs the command and checks that stdout is nothing but one JSON array with
one measurement object per (suite, size) asked, each carrying the
documented fields with numbers as numbers and positive figures. It checks
the shape of the output, not the speed.
"""
import json
import math
import subprocess
import sys

FIELDS = {
    "backend": str, "suite": str, "tls": str, "dir": str,
    "size": int, "burst": int, "flows": int,
    "records_per_s": (int, float), "gbps": (int, float),
    "cycles_per_byte": (int, float),
}
POSITIVE = ("size", "burst", "flows", "records_per_s", "gbps",
            "cycles_per_byte")


def arg_after(argv, flag, default):
    return argv[argv.index(flag) + 1] if flag in argv else default


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = sys.argv[1:]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=100, check=False)
    err = proc.stderr.decode(errors="replace")
    if proc.returncode != 0:
        print(f"FAIL: exit status {proc.returncode}\n{err}", file=sys.stderr)
        return 1
    try:
        data = json.loads(proc.stdout.decode())
    except ValueError as e:
        print(f"FAIL: stdout is not JSON ({e}):\n{proc.stdout[:2000]!r}",
              file=sys.stderr)
        return 1
    if not isinstance(data, list):
        print("FAIL: top level is not an array", file=sys.stderr)
        return 1

    sizes = [int(s) for s in arg_after(cmd, "--size", "64").split(",")]
    backend = arg_after(cmd, "--backend", None)
    suite = arg_after(cmd, "--suite", None)
    meas = [o for o in data if isinstance(o, dict)
            and o.get("type") == "measurement"]
    problems = []
    if len(meas) != len(data):
        problems.append(f"{len(data) - len(meas)} objects are not "
                        "measurements (no --compare was given)")
    for i, o in enumerate(meas):
        for k, t in FIELDS.items():
            v = o.get(k)
            # bool is an int in Python: refuse it where a number is due.
            if v is None or isinstance(v, bool) or not isinstance(v, t):
                problems.append(f"object {i}: field {k!r} missing or not "
                                f"{t}: {v!r}")
        for k in POSITIVE:
            v = o.get(k)
            if isinstance(v, (int, float)) and not isinstance(v, bool) \
                    and not (math.isfinite(v) and v > 0):
                problems.append(f"object {i}: {k} = {v!r} is not > 0")
        if backend and o.get("backend") != backend:
            problems.append(f"object {i}: backend {o.get('backend')!r}, "
                            f"asked {backend!r}")
        if suite and o.get("suite") != suite:
            problems.append(f"object {i}: suite {o.get('suite')!r}, "
                            f"asked {suite!r}")
        if o.get("dir") not in ("seal", "open") or \
                o.get("tls") not in ("1.2", "1.3"):
            problems.append(f"object {i}: bad dir/tls {o.get('dir')!r} "
                            f"{o.get('tls')!r}")
    got = sorted(o.get("size") for o in meas if isinstance(o.get("size"), int))
    if got != sorted(sizes):
        problems.append(f"sizes measured {got}, asked {sorted(sizes)}")
    if problems:
        print("FAIL:\n  " + "\n  ".join(problems), file=sys.stderr)
        print(json.dumps(data, indent=1), file=sys.stderr)
        return 1
    print(f"ok: {len(meas)} measurements")
    for o in meas:
        print(f"  {o['backend']} {o['suite']} tls{o['tls']} {o['dir']} "
              f"{o['size']}B: {o['records_per_s'] / 1e6:.3f} Mrec/s "
              f"{o['gbps']:.3f} Gbit/s {o['cycles_per_byte']:.2f} c/B")
    return 0


if __name__ == "__main__":
    sys.exit(main())
