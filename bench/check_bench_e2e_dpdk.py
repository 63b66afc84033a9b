#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Smoke test of `tlsgate-bench e2e --transport dpdk --json` (the shape,
not the speed).

Usage: check_bench_e2e_dpdk.py <tlsgate-bench> e2e --transport dpdk [options...] --json

Skipped (77) when not root or when the EAL, the net_memif pair or the
DPDK worker cannot start (the command says "DPDK skipped"). Otherwise
checks that stdout is one JSON array with, for tlsgate-dpdk and every
socket server asked and installed, one measurement per record size and
per handshake kind, each ok with its figure positive and no errors, and
the ratios of tlsgate-dpdk to the others.
"""
import json
import os
import subprocess
import sys

SKIP = 77
# with the fields issue 18 names (server, record_size, records_per_s,
# gbps, handshakes_per_s, seconds, server_cpu_s)
FIELDS = {"buildtype": str, "server": str, "transport": str, "test": str,
          "size": int, "record_size": int, "ok": bool, "wall_s": (int, float),
          "seconds": (int, float), "records_per_s": (int, float),
          "gbps": (int, float), "handshakes_per_s": (int, float),
          "server_cpu_s": (int, float), "errors": int, "command": str}
SERVERS = {"tlsgate-dpdk", "tlsgate-sockets", "haproxy", "hitch"}
FIGURE = {"records": "records_per_cpu_s",
          "full_handshake": "handshakes_per_cpu_s",
          "resumed_handshake": "handshakes_per_cpu_s"}


def arg_after(argv, flag, default):
    return argv[argv.index(flag) + 1] if flag in argv else default


def size_of(s):
    mult = {"k": 1024, "m": 1 << 20}.get(s[-1].lower(), 1)
    return int(s[:-1] if mult > 1 else s) * mult


def main():
    cmd = sys.argv[1:]
    if os.geteuid() != 0:
        print("skipped: --transport dpdk needs root")
        return SKIP
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    if "DPDK skipped" in r.stderr:
        print("skipped: " + r.stderr.strip()[-500:])
        return SKIP
    problems = []
    if r.returncode != 0:
        problems.append(f"exit status {r.returncode}: {r.stderr.strip()[-800:]}")
    try:
        data = json.loads(r.stdout)
    except ValueError as e:
        print(f"stdout is not JSON ({e}):\n{r.stdout[:2000]}\n{r.stderr[-2000:]}")
        return 1
    if not isinstance(data, list):
        print("not an array")
        return 1
    meas = [o for o in data if o.get("type") == "measurement"]
    ratios = [o for o in data if o.get("type") == "ratio"]
    for o in meas:
        for k, t in FIELDS.items():
            if not isinstance(o.get(k), t) or (t is not bool and isinstance(o.get(k), bool)):
                problems.append(f"{o}: field {k} missing or not {t}")
        fig = FIGURE.get(o.get("test"))
        if not o.get("ok") or o.get("errors"):
            problems.append(f"{o}: not ok")
        if fig is None or not o.get(fig, 0) > 0 or not o.get("server_cpu_s", 0) > 0:
            problems.append(f"{o}: no {fig}")
    sizes = [size_of(s) for s in arg_after(cmd, "--sizes", "64,1k,16k").split(",")]
    servers = {o.get("server") for o in meas}
    for srv in servers - SERVERS:
        problems.append(f"unknown server name {srv!r}")
    if "tlsgate-dpdk" not in servers:
        problems.append("no tlsgate-dpdk measurement")
    for srv in servers:
        for test in ("records", "full_handshake", "resumed_handshake"):
            want = sizes if test == "records" else [None]
            for sz in want:
                n = [o for o in meas if o.get("server") == srv and o.get("test") == test
                     and (sz is None or o.get("size") == sz)]
                if len(n) != 1:
                    problems.append(f"{len(n)} measurements of {srv} {test} {sz}")
    # --tls 1.3: our client engine spoke TLS 1.3 to the DPDK transport
    # (and resumed with the server's NewSessionTicket)
    ver = "TLS 1.3" if arg_after(cmd, "--tls", "1.2") == "1.3" else "TLS 1.2"
    for o in meas:
        if o.get("tls") != ver[4:]:
            problems.append(f"{o}: tls is not {ver[4:]}")
        if o.get("server") == "tlsgate-dpdk" and ver not in o.get("command", ""):
            problems.append(f"{o}: not {ver}")
        if o.get("test") == "resumed_handshake" and o.get("resumed") != o.get("handshakes"):
            problems.append(f"{o}: not every handshake resumed")
    # the server's CPU by thread: the worker lcore always, the control-plane
    # thread in the handshakes when it runs in one (--control thread, or
    # auto with a server CPU beside the worker's)
    for o in meas:
        if o.get("server") != "tlsgate-dpdk" or not o.get("ok"):
            continue
        thr = o.get("cpu_by_thread", "")
        if "worker" not in thr:
            problems.append(f"{o}: cpu_by_thread without the worker")
        if o.get("control") not in ("thread", "inline"):
            problems.append(f"{o}: control is not thread or inline")
        if (arg_after(cmd, "--control", "auto") != "auto"
                and o.get("control") != arg_after(cmd, "--control", "auto")):
            problems.append(f"{o}: control is not {arg_after(cmd, '--control', 'auto')}")
        if (o.get("test") != "records" and o.get("control") == "thread"
                and "tg-ctl" not in thr):
            problems.append(f"{o}: cpu_by_thread without the control-plane thread")
    if "--memif-zero-copy" in cmd:
        for o in meas:
            if (o.get("server") == "tlsgate-dpdk" and o.get("test") == "records"
                    and "zero-copy mode" not in o.get("command", "")):
                problems.append(f"{o}: not on memif's zero-copy mode")
    for srv in servers - {"tlsgate-dpdk"}:
        if not any(o.get("num") == "tlsgate-dpdk" and o.get("den") == srv for o in ratios):
            problems.append(f"no ratio tlsgate-dpdk/{srv}")
    for p in problems:
        print(p)
    print(f"{len(meas)} measurements, {len(ratios)} ratios, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
