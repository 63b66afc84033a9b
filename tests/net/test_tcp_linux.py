#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Our TCP against Linux's: our stack on net_af_packet on one end of a
veth pair, Linux on the other, each in a namespace the test creates.
Both directions of open (Linux connects to our echo server; we connect
to Linux's echo server), both directions of data (everything sent comes
back, compared by SHA-256), with our impairment layer at 0%, 1% and 5%
loss plus reordering and duplication, on both of our directions; then
over IPv6 (NDP, 2001:2::/48).

Then many connections open at once (1000; TG_NET_CONNS sets it).
Sizes are bounded for CI; TG_NET_BIG=1 adds 1 GiB transfers and 10,000
connections."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

NETPEER = os.environ.get('TG_NETPEER')
BIG = os.environ.get('TG_NET_BIG') == '1'
MiB = 1 << 20
LEVELS = [
    ('0%', None, [0, 1, 65536, 16 * MiB] + ([1024 * MiB] if BIG else [])),
    ('1%', 'seed=101,loss=1%,reorder=1%,dup=0.5%', [4 * MiB]),
    ('5%', 'seed=105,loss=5%,reorder=2%,dup=1%', [1 * MiB]),
]
# the same over IPv6: both directions of open, clean and with loss
LEVELS6 = [
    ('v6 0%', None, [1, 4 * MiB]),
    ('v6 1%', 'seed=106,loss=1%,reorder=1%,dup=0.5%', [1 * MiB]),
]


def run_level(pair, name, imp, sizes, v6=False, seconds=120, together=False,
              stats=None, extra=()):
    """Both directions of open on the pair, each size echoed once,
    compared by SHA-256; each transfer given SECONDS; True when all
    held. together: our side opens its connections, one a size, at once
    from one process (one start of ours rather than one a size). stats:
    a list that gets the counters of each run of ours. extra: more
    arguments for ours."""
    ok = True
    ours, linux = ('2001:2::2', '2001:2::1') if v6 else ('198.18.0.2', '198.18.0.1')
    target = f'[{linux}]:7' if v6 else f'{linux}:7'
    extra = (['--impair', imp] if imp else []) + list(extra)
    # Linux opens, we echo
    p = pair.start_ours(NETPEER, '--echo', '7', '--seconds', '300', *extra)
    try:
        for n in sizes:
            r = pair.linux_peer('client', ours, '7', str(n), str(seconds),
                                timeout=seconds + 60)
            line = r.stdout.strip()
            print(f'[{name}] linux -> ours echo {n}: {line} {r.stderr.strip()}')
            ok = ok and r.returncode == 0 and ' ok ' in line + ' '
    finally:
        rc, st, text = netns.stop(p)
        print('\n'.join(f'  {k} {v}' for k, v in st.items()))
        if stats is not None:
            stats.append(st)
    if imp and 'dup=' in imp:
        # RFC 2883 both ways: the duplicates of Linux's segments our
        # impairment made are D-SACKed by us, Linux D-SACKs ours
        dsack = st.get('dsack_out', 0) > 0 and st.get('dsack_in', 0) > 0
        print(f'[{name}] D-SACKs sent {st.get("dsack_out")}, received {st.get("dsack_in")}')
        ok = ok and dsack
    # we open, Linux echoes
    srv = subprocess.Popen(
        ['ip', 'netns', 'exec', pair.ns_linux, sys.executable, netns.PEER,
         'echo-server', linux, '7', '300'],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        srv.stdout.readline()  # ready
        for n in ([','.join(map(str, sizes))] if together else sizes):
            p = pair.start_ours(NETPEER, '--send', target, '--bytes',
                                str(n), '--seconds', str(seconds), *extra)
            try:
                out, err = p.communicate(timeout=seconds + 60)
            except subprocess.TimeoutExpired:
                p.kill()
                out, err = p.communicate()
            lines = [ln for ln in out.splitlines() if ln.startswith('sent ')]
            if stats is not None:
                stats.append({ln.split()[0]: int(ln.split()[1])
                              for ln in out.splitlines()
                              if len(ln.split()) == 2 and ln.split()[1].isdigit()})
            print(f'[{name}] ours -> linux echo {n}: {" ".join(lines)} '
                  f'(rc {p.returncode})')
            want = sorted(sizes) if together else [int(n)]
            good = (p.returncode == 0 and all(ln.endswith(' ok') for ln in lines)
                    and sorted(int(ln.split()[1]) for ln in lines) == want)
            if not good:
                print(out, err)
            ok = ok and good
    finally:
        srv.kill()
        srv.communicate()
    return ok


CONNS = 10000 if BIG else int(os.environ.get('TG_NET_CONNS', '1000'))


def run_many(pair):
    """CONNS connections open at once from Linux to our echo server,
    each echoing 100 bytes (10,000 with TG_NET_BIG=1)."""
    p = pair.start_ours(NETPEER, '--echo', '7', '--seconds', '300',
                        '--max-conns', str(CONNS + 16), '--buf', '4096')
    try:
        r = pair.linux_peer('many', '198.18.0.2', '7', str(CONNS), '100', '120',
                            timeout=180)
        print(f'[many] {r.stdout.strip()} {r.stderr.strip()}')
        ok = r.returncode == 0
    finally:
        rc, st, text = netns.stop(p)
        print('  accepted', st.get('accepted'), 'rx', st.get('rx_pkts'),
              'syncookies', st.get('syncookies_sent'), st.get('syncookies_ok'))
    return ok and st.get('accepted', 0) >= CONNS


def linux_tcpext(pair, name):
    """A TcpExt counter of the Linux side's namespace (/proc/net/netstat)."""
    r = subprocess.run(['ip', 'netns', 'exec', pair.ns_linux, 'cat',
                        '/proc/net/netstat'], capture_output=True, text=True)
    rows = [ln.split() for ln in r.stdout.splitlines() if ln.startswith('TcpExt:')]
    if len(rows) < 2 or name not in rows[0]:
        return -1
    return int(rows[1][rows[0].index(name)])


def main():
    if not NETPEER:
        netns.skip('TG_NETPEER not set')
    ok = True
    with netns.NetPair() as pair:
        ok = run_many(pair) and ok
        for name, imp, sizes in LEVELS:
            ok = run_level(pair, name, imp, sizes) and ok
        for name, imp, sizes in LEVELS6:
            ok = run_level(pair, name, imp, sizes, v6=True) and ok
        # Linux took our D-SACK blocks for what they are (RFC 2883)
        got = linux_tcpext(pair, 'TCPDSACKRecv')
        print(f'Linux TCPDSACKRecv {got}')
        ok = ok and got > 0
    print('PASS' if ok else 'FAIL')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
