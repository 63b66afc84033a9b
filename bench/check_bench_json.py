#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Smoke test of `tlsgate-bench records --json` and `handshakes --json`.

Usage: check_bench_json.py <tlsgate-bench> records [options...] --json
       check_bench_json.py <tlsgate-bench> handshakes [options...] --json

Runs the command and checks that stdout is nothing but one JSON array.
records: one measurement object per (suite, size) asked, each carrying the
documented fields with numbers as numbers and positive figures.
handshakes: per (kind, suite, group, cert) one measurement each of
tlsgate, libssl and crypto_bound with a positive handshakes_per_cpu_s,
and the ratio objects tlsgate/libssl and tlsgate/crypto_bound.
It checks the shape of the output, not the speed.
"""
import json
import math
import subprocess
import sys

FIELDS = {
    "buildtype": str, "backend": str, "suite": str, "tls": str, "dir": str,
    "size": int, "burst": int, "flows": int,
    "records_per_s": (int, float), "gbps": (int, float),
    "cycles_per_byte": (int, float),
}
POSITIVE = ("size", "burst", "flows", "records_per_s", "gbps",
            "cycles_per_byte")


def arg_after(argv, flag, default):
    return argv[argv.index(flag) + 1] if flag in argv else default


HS_FIELDS = {
    "buildtype": str, "impl": str, "kind": str, "suite": str, "group": str, "cert": str,
    "cpu_s": (int, float), "handshakes_per_cpu_s": (int, float),
}
HS_IMPLS = ("tlsgate", "libssl", "crypto_bound")
HS_KINDS = ("full", "resumed_id", "resumed_ticket", "hrr")
HS_GROUPS = {"x25519": "x25519", "p256": "p256", "p384": "p384",
             "p-256": "p256", "p-384": "p384"}


def is_num(v):
    # bool is an int in Python: refuse it where a number is due.
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_handshakes(cmd, data):
    """Problems with the output of `handshakes --json`, as strings."""
    problems = []
    kinds = arg_after(cmd, "--kind", "all")
    kinds = HS_KINDS if kinds == "all" else tuple(kinds.split(","))
    suite = arg_after(cmd, "--suite", None)
    group = arg_after(cmd, "--group", None)
    group = HS_GROUPS.get(group.lower(), group) if group else None
    cert = arg_after(cmd, "--cert", None)
    meas = [o for o in data if isinstance(o, dict)
            and o.get("type") == "measurement"]
    ratios = [o for o in data if isinstance(o, dict)
              and o.get("type") == "ratio"]
    if not meas:
        problems.append("no measurement objects")
    cells = {}
    for i, o in enumerate(meas):
        for k, t in HS_FIELDS.items():
            v = o.get(k)
            if v is None or isinstance(v, bool) or not isinstance(v, t):
                problems.append(f"measurement {i}: field {k!r} missing or "
                                f"not {t}: {v!r}")
        v = o.get("handshakes_per_cpu_s")
        if is_num(v) and not (math.isfinite(v) and v > 0):
            problems.append(f"measurement {i}: handshakes_per_cpu_s = "
                            f"{v!r} is not > 0")
        if o.get("impl") not in HS_IMPLS:
            problems.append(f"measurement {i}: impl {o.get('impl')!r}")
        if o.get("kind") not in kinds:
            problems.append(f"measurement {i}: kind {o.get('kind')!r}, "
                            f"asked {kinds}")
        if suite not in (None, "all") and o.get("suite") != suite:
            problems.append(f"measurement {i}: suite {o.get('suite')!r}, "
                            f"asked {suite!r}")
        if o.get("kind") == "full" and group not in (None, "all") and \
                o.get("group") != group:
            problems.append(f"measurement {i}: group {o.get('group')!r}, "
                            f"asked {group!r}")
        if cert not in (None, "all") and o.get("cert") != cert:
            problems.append(f"measurement {i}: cert {o.get('cert')!r}, "
                            f"asked {cert!r}")
        key = (o.get("kind"), o.get("suite"), o.get("group"), o.get("cert"))
        cells.setdefault(key, set()).add(o.get("impl"))
    for key, impls in cells.items():
        if impls != set(HS_IMPLS):
            problems.append(f"cell {key}: impls {sorted(impls)}")
        for peer in HS_IMPLS[1:]:
            r = [o for o in ratios if o.get("impl") == "tlsgate"
                 and o.get("peer") == peer and
                 (o.get("kind"), o.get("suite"), o.get("group"),
                  o.get("cert")) == key]
            if len(r) != 1:
                problems.append(f"cell {key}: {len(r)} ratio objects "
                                f"tlsgate/{peer}")
            elif not is_num(r[0].get("ratio")) or \
                    not r[0]["ratio"] > 0:
                problems.append(f"cell {key}: ratio tlsgate/{peer} = "
                                f"{r[0].get('ratio')!r}")
    return problems, meas


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
    if "handshakes" in cmd[1:2]:
        problems, meas = check_handshakes(cmd, data)
        if problems:
            print("FAIL:\n  " + "\n  ".join(problems), file=sys.stderr)
            print(json.dumps(data, indent=1), file=sys.stderr)
            return 1
        print(f"ok: {len(meas)} measurements")
        for o in meas:
            print(f"  {o['impl']} {o['kind']} {o['suite']} {o['group']} "
                  f"{o['cert']}: {o['handshakes_per_cpu_s']:.0f}/cpu-s")
        return 0

    sizes = [int(s) for s in arg_after(cmd, "--size", "64").split(",")]
    backends = arg_after(cmd, "--backend", None)
    suites = arg_after(cmd, "--suite", None)
    tls = arg_after(cmd, "--tls", "1.2")
    direction = arg_after(cmd, "--dir", "seal")
    flows = int(arg_after(cmd, "--flows", "1"))
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
        if (o.get("tls"), o.get("dir"), o.get("flows")) != \
                (tls, direction, flows):
            problems.append(f"object {i}: tls/dir/flows {o.get('tls')!r} "
                            f"{o.get('dir')!r} {o.get('flows')!r}, asked "
                            f"{tls!r} {direction!r} {flows!r}")
    # one measurement per backend, suite and size asked
    got = sorted((o.get("backend"), o.get("suite"), o.get("size"))
                 for o in meas)
    if backends and suites:
        want = sorted((b, su, sz) for b in backends.split(",")
                      for su in suites.split(",") for sz in sizes)
        if got != want:
            problems.append(f"measured {got}, asked {want}")
    elif sorted(o[2] for o in got) != sorted(sizes):
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
