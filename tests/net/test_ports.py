#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Our stack against Linux on each kind of port (issue 17: any ethdev),
beyond net_af_packet (test_ping, test_tcp_linux) and net_memif/net_ring
(the unit tests): net_af_xdp, net_pcap and net_virtio_user towards a
veth pair, net_tap with the kernel's end of the tap as the Linux peer
(netns.NetPair(kind=...) says how each is joined). For each kind: Linux
resolves us by ARP and NDP and pings us (IPv4 and IPv6), then TCP echo
in both directions of open (Linux opens to our echo server, one
connection a size; we open to Linux's, one connection a size at once)
with 0, 1, 64 KiB and 4 MiB, compared by SHA-256. On net_tap, which
offers TSO (cut by librte_gso in the PMD), our TCP must have sent TSO
frames both ways (its tso_frames counter), and again with TSO turned off
(tg_netpeer --no-tso) none, both byte-exact (issue 17).

A kind this machine cannot run is skipped with the reason (no AF_XDP
sockets, no /dev/net/tun, no memfd, the DPDK driver not installed); the
test skips (77) when every kind did, fails when any kind failed.
TG_NET_PORTS=af_xdp,tap,... picks the kinds (af_packet is one too)."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402
import test_ping  # noqa: E402
import test_tcp_linux  # noqa: E402

NETPEER = os.environ.get('TG_NETPEER')
MiB = 1 << 20
SIZES = [0, 1, 65536, 4 * MiB]
DEFAULT = ('af_xdp', 'pcap', 'tap', 'virtio_user')
SECONDS = 30  # each transfer's bound


def run_kind(kind):
    """'pass', 'fail' or 'skip: why' for one port kind."""
    why = netns.why_not(kind)
    if why is not None:
        return f'skip: {why}'
    try:
        with netns.NetPair(kind=kind) as pair:
            ok = test_ping.check(pair, count=2)
            print(f'[{kind}] ARP, NDP and ping: {"ok" if ok else "FAILED"}')
            st = []
            ok = test_tcp_linux.run_level(pair, kind, None, SIZES,
                                          seconds=SECONDS,
                                          together=True, stats=st) and ok
            if kind == 'tap':
                ok = check_tso(pair, st) and ok
    except netns.NotHere as e:
        return f'skip: the DPDK driver is not installed here: {e}'
    return 'pass' if ok else 'fail'


def check_tso(pair, st):
    """net_tap offers TSO: our 4 MiB went in TSO frames in both
    directions of open (the echo server's and the client's runs); with
    --no-tso the same transfers send none."""
    frames = [x.get('tso_frames', 0) for x in st]
    print(f'[tap] TSO frames per run of ours: {frames}, segments '
          f'{[x.get("tso_segs", 0) for x in st]}')
    ok = len(frames) >= 2 and frames[0] > 0 and frames[-1] > 0
    if not ok:
        print('[tap] FAILED: no TSO frames on net_tap')
    off = []
    ok = test_tcp_linux.run_level(pair, 'tap --no-tso', '', [4 * MiB],
                                  seconds=SECONDS, together=True,
                                  stats=off, extra=['--no-tso']) and ok
    if any(x.get('tso_frames', 0) != 0 for x in off) or len(off) < 2:
        print(f'[tap] FAILED: TSO frames with --no-tso: {off}')
        ok = False
    return ok


def main():
    if not NETPEER:
        netns.skip('TG_NETPEER not set')
    kinds = [k for k in os.environ.get('TG_NET_PORTS', '').split(',') if k]
    for k in kinds:
        if k not in netns.KINDS:
            print(f'TG_NET_PORTS: unknown port kind {k} '
                  f'(known: {", ".join(netns.KINDS)})')
            return 1
    results = []
    for kind in kinds or DEFAULT:
        t = time.monotonic()
        print(f'=== {kind}', flush=True)
        try:
            r = run_kind(kind)
        except Exception as e:  # a kind that broke: the others still run
            print(f'[{kind}] {type(e).__name__}: {e}')
            r = 'fail'
        results.append((kind, r, time.monotonic() - t))
        print(f'=== {kind}: {r} ({results[-1][2]:.1f} s)', flush=True)
    print()
    for kind, r, secs in results:
        print(f'{kind:12} {r} ({secs:.1f} s)')
    if any(r == 'fail' for _, r, _ in results):
        print('FAIL')
        return 1
    if all(r.startswith('skip') for _, r, _ in results):
        netns.skip('no port kind can run here')
    print('PASS')
    return 0


if __name__ == '__main__':
    sys.exit(main())
