#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Smoke test of `tlsgate-bench tcp --json` (the shape, not the speed).

Usage: check_bench_tcp.py <tlsgate-bench> tcp [options...] --json

Runs the command and checks that stdout is one JSON array with, per path
and test asked, one measurement carrying stack, path, test, gbps,
conns_per_s, req_per_s, seconds and cpu_s, the figure of its test
positive and no errors.
"""
import json
import subprocess
import sys

FIELDS = {"buildtype": str, "stack": str, "path": str, "test": str,
          "gbps": (int, float), "conns_per_s": (int, float),
          "req_per_s": (int, float), "seconds": (int, float),
          "cpu_s": (int, float), "ok": bool}
FIGURE = {"bulk": "gbps", "connections": "conns_per_s", "rr": "req_per_s"}
STACK = {"memif": "tlsgate", "loopback": "linux"}


def arg_after(argv, flag, default):
    return argv[argv.index(flag) + 1] if flag in argv else default


def main():
    cmd = sys.argv[1:]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    problems = []
    if r.returncode != 0:
        problems.append(f"exit status {r.returncode}: {r.stderr.strip()[-500:]}")
    try:
        data = json.loads(r.stdout)
    except ValueError as e:
        print(f"stdout is not JSON ({e}):\n{r.stdout[:2000]}")
        return 1
    paths = arg_after(cmd, "--path", "memif,loopback").split(",")
    tests = arg_after(cmd, "--test", "bulk,connections,rr").split(",")
    if not isinstance(data, list):
        problems.append("not an array")
        data = []
    for o in data:
        for k, t in FIELDS.items():
            if not isinstance(o.get(k), t) or (t is not bool and isinstance(o.get(k), bool)):
                problems.append(f"{o}: field {k} missing or not {t}")
        if not o.get("ok"):
            problems.append(f"{o}: not ok")
        fig = FIGURE.get(o.get("test"))
        if fig is None or not o.get(fig, 0) > 0:
            problems.append(f"{o}: no {fig}")
        if not o.get("cpu_s", 0) > 0 or not o.get("seconds", 0) > 0:
            problems.append(f"{o}: no time")
        # --memif-zero-copy: net_memif's zero-copy mode on the client port
        mode = "zero-copy" if "--memif-zero-copy" in cmd else "copy"
        if o.get("path") == "memif" and o.get("memif_mode") != mode:
            problems.append(f"{o}: memif_mode is not {mode}")
    for p in paths:
        for t in tests:
            n = [o for o in data if o.get("path") == p and o.get("test") == t
                 and o.get("stack") == STACK.get(p)]
            if len(n) != 1:
                problems.append(f"{len(n)} measurements of {STACK.get(p)} {p} {t}")
    for p in problems:
        print(p)
    print(f"{len(data)} measurements, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
