#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Test of `tlsgate-bench records --compare` with stand-in peers.

Usage: check_bench_compare.py <tlsgate-bench>

The real peers' figures depend on the machine, so this runs --compare
against two small scripts standing in for dpdk-test-crypto-perf and
`openssl speed`: they record the arguments they get and print canned
output in the peers' formats. Checked: the peers are called with the
flags the issue names (AEAD, 13-byte AAD, burst 32, --no-huge --no-pci
--no-shconf, no --in-memory, crypto_aesni_mb vdev; `speed -elapsed -mr
-evp <cipher> -bytes <size>`), their output is parsed to the canned
figures, every ratio is ours / peer of the figures printed beside it,
every target's verdict follows from its ratio and threshold, the text
table prints the target lines, and a run planned over a second prints
progress lines on stderr.
"""
import json
import math
import os
import stat
import subprocess
import sys
import tempfile

OPENSSL_BPS = 1.0e9          # bytes/s the stand-in openssl reports
CP_CYCLES = 1000.0           # cycles per buffer the stand-in crypto-perf reports
SUITES = ("aes128gcm", "chacha20poly1305")
SIZES = (64, 16384)

CRYPTO_PERF = r"""#!/bin/sh
echo "$*" >> "%(log)s"
sz=0; prev=""
for a in "$@"; do [ "$prev" = "--buffer-sz" ] && sz=$a; prev=$a; done
echo "lcore id,Buf Size,Burst Size,Enqueued,Dequeued,Failed Enq,Failed Deq,Ops(Millions),Throughput(Gbps),Cycles/Buf"
echo "1,$sz,32,1000,1000,0,0,1.000,1.000,%(cyc).2f"
"""

OPENSSL = r"""#!/bin/sh
echo "$*" >> "%(log)s"
echo "+DT:cipher:1:16"
echo "+R:100:cipher:1.0"
echo "+F:22:cipher:%(bps).2f"
"""


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-9)


def script(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)


def main():
    bench = sys.argv[1]
    problems = []
    with tempfile.TemporaryDirectory(prefix="tg-compare-") as d:
        cp_log, os_log = os.path.join(d, "cp.args"), os.path.join(d, "os.args")
        cp, ossl = os.path.join(d, "crypto-perf"), os.path.join(d, "openssl")
        script(cp, CRYPTO_PERF % {"log": cp_log, "cyc": CP_CYCLES})
        script(ossl, OPENSSL % {"log": os_log, "bps": OPENSSL_BPS})
        base = [bench, "records", "--backend", "ipsecmb,evp",
                "--suite", ",".join(SUITES),
                "--size", ",".join(map(str, SIZES)),
                "--compare", "--crypto-perf", cp, "--openssl", ossl]
        # 2 backends x 2 suites x 2 sizes x 0.15 s: over a second
        r = subprocess.run(base + ["--seconds", "0.15", "--json"],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            print("exit %d:\n%s" % (r.returncode, r.stderr))
            return 1
        if "[1/" not in r.stderr:
            problems.append("no progress line on stderr for a run over a "
                            "second:\n" + r.stderr[-1000:])
        data = json.loads(r.stdout)
        meas = [o for o in data if o.get("type") == "measurement"]
        peers = [o for o in data if o.get("type") == "peer"]
        ratios = [o for o in data if o.get("type") == "ratio"]
        targets = [o for o in data if o.get("type") == "target"]

        # the stand-ins' command lines
        with open(cp_log) as f:
            cp_calls = f.read().splitlines()
        with open(os_log) as f:
            os_calls = f.read().splitlines()
        for suite in SUITES:
            algo = "aes-gcm" if suite.startswith("aes") else "chacha20-poly1305"
            ocipher = "aes-128-gcm" if suite == "aes128gcm" else "chacha20-poly1305"
            for size in SIZES:
                calls = [c.split() for c in cp_calls
                         if ("--aead-algo %s " % algo) in c
                         and ("--buffer-sz %d " % size) in c]
                if not calls:
                    problems.append("crypto-perf not run for %s %d" % (suite, size))
                for a in calls:
                    s = " ".join(a)
                    for want in ("--no-huge", "--no-pci", "--no-shconf",
                                 "--vdev crypto_aesni_mb", "--ptest throughput",
                                 "--devtype crypto_aesni_mb", "--optype aead",
                                 "--aead-op encrypt", "--aead-aad-sz 13",
                                 "--digest-sz 16", "--burst-sz 32",
                                 "--csv-friendly"):
                        if (" %s " % want) not in (" %s " % s):
                            problems.append("crypto-perf call lacks %r: %s" % (want, s))
                    if "--in-memory" in a:
                        problems.append("crypto-perf with --in-memory: " + s)
                    lc = a[a.index("-l") + 1] if "-l" in a else ""
                    if len(lc.split(",")) != 2:
                        problems.append("crypto-perf needs two lcores: " + s)
                want = "speed -elapsed -mr -evp %s -bytes %d " % (ocipher, size)
                if not any(c.startswith(want) for c in os_calls):
                    problems.append("no openssl call %r in %s" % (want, os_calls))

        # parsed peer figures
        for p in peers:
            if p["backend"] == "openssl-speed":
                if not close(p["gbps"], OPENSSL_BPS * 8 / 1e9):
                    problems.append("openssl figure parsed as %r Gbit/s" % p["gbps"])
                if not close(p["records_per_s"], OPENSSL_BPS / p["size"]):
                    problems.append("openssl records/s %r at %d B" % (
                        p["records_per_s"], p["size"]))
            elif p["backend"] == "dpdk-test-crypto-perf":
                if not close(p["cycles_per_byte"], CP_CYCLES / p["size"]):
                    problems.append("crypto-perf cycles/B parsed as %r at %d B" % (
                        p["cycles_per_byte"], p["size"]))
                if not close(p["gbps"], p["records_per_s"] * p["size"] * 8 / 1e9):
                    problems.append("crypto-perf Gbit/s and ops/s disagree: %r" % p)
            else:
                problems.append("unknown peer %r" % p["backend"])
        if len(peers) != 2 * len(SUITES) * len(SIZES):
            problems.append("%d peer figures, %d expected" % (
                len(peers), 2 * len(SUITES) * len(SIZES)))

        # every ratio is ours / peer of the printed figures
        def find(lst, **kw):
            return [o for o in lst if all(o.get(k) == v for k, v in kw.items())]
        for m in meas:
            for peer in ("dpdk-test-crypto-perf", "openssl-speed"):
                p = find(peers, backend=peer, suite=m["suite"], size=m["size"])
                q = find(ratios, backend=m["backend"], peer=peer,
                         suite=m["suite"], size=m["size"], dir=m["dir"])
                if len(p) != 1 or len(q) != 1:
                    problems.append("no single ratio for %s %s %d vs %s" % (
                        m["backend"], m["suite"], m["size"], peer))
                    continue
                if not close(q[0]["gbps_ratio"], m["gbps"] / p[0]["gbps"]):
                    problems.append("gbps ratio %r != %r / %r" % (
                        q[0]["gbps_ratio"], m["gbps"], p[0]["gbps"]))
                if not close(q[0]["records_per_s_ratio"],
                             m["records_per_s"] / p[0]["records_per_s"]):
                    problems.append("records/s ratio wrong: %r" % q[0])

        # every target's verdict follows from its ratio
        if len(targets) != 5:
            problems.append("%d targets, 5 expected" % len(targets))
        for t in targets:
            m = find(meas, backend=t["backend"], suite=t["suite"],
                     size=t["size"], dir=t["dir"])
            q = find(ratios, backend=t["backend"], peer=t["peer"],
                     suite=t["suite"], size=t["size"], dir=t["dir"])
            if not m or not q:
                problems.append("target %r not evaluated" % t["name"])
                continue
            ratio = q[0][t["metric"] + "_ratio"]
            if t["ratio"] is None or not close(t["ratio"], ratio):
                problems.append("target %r: ratio %r, the table says %r" % (
                    t["name"], t["ratio"], ratio))
            if t["met"] != (ratio >= t["threshold"]) or \
               t["status"] != ("met" if ratio >= t["threshold"] else "not met"):
                problems.append("target %r: verdict %r/%r for %r >= %r" % (
                    t["name"], t["met"], t["status"], ratio, t["threshold"]))
            if t["name"].startswith("chosen backend") and not m[0].get("chosen"):
                problems.append("target not on the chosen backend: %r" % t)

        # the table for people prints the target lines
        r = subprocess.run(base + ["--seconds", "0.02"], capture_output=True,
                           text=True, timeout=300)
        if r.returncode != 0 or "Targets:" not in r.stdout or \
           r.stdout.count("[met]") + r.stdout.count("[not met]") != 5:
            problems.append("text output without the 5 target lines:\n" + r.stdout[-1500:])
    if problems:
        print("\n".join(problems))
        return 1
    print("ok: %d measurements, %d peer figures, %d ratios, %d targets" % (
        len(meas), len(peers), len(ratios), len(targets)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
