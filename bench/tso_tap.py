#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""TSO on transmit (issue 17), on and off, over net_tap against Linux.

Our stack (tg_netpeer) on net_tap in a network namespace the script makes
(198.18.0.0/24, removed after it), Linux's echo server on the kernel's
end of the tap; ours sends BYTES and takes them back, compared by
SHA-256. Runs alternate TSO on (the port's default) and off (--no-tso),
PAIRS times; each prints the CPU time tg_netpeer used from its start to
its end (cpu_us: the transfer, sending and receiving, its PMD's
segmentation included; the EAL's start left out), the TSO frames and
segments it sent. The figure: our CPU seconds per GB echoed (sent and
received).

  sudo TG_NETPEER=build-dev/tests/net/tg_netpeer bench/tso_tap.py [BYTES] [PAIRS]
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'tests', 'net'))
import netns  # noqa: E402

NETPEER = os.environ.get('TG_NETPEER', 'build-dev/tests/net/tg_netpeer')


def one(pair, nbytes, extra):
    p = pair.start_ours(NETPEER, '--send', '198.18.0.1:7', '--bytes',
                        str(nbytes), '--seconds', '120', *extra)
    out, err = p.communicate(timeout=180)
    st = {}
    for ln in out.splitlines():
        w = ln.split()
        if len(w) == 2 and w[1].isdigit():
            st[w[0]] = int(w[1])
    ok = p.returncode == 0 and any(ln.startswith('sent ') and ln.endswith(' ok')
                                   for ln in out.splitlines())
    return ok, st


def main():
    nbytes = int(sys.argv[1]) if len(sys.argv) > 1 else 256 << 20
    pairs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    why = netns.why_not('tap')
    if why is not None:
        print(f'skip: {why}')
        return 77
    res = {'on': [], 'off': []}
    with netns.NetPair(kind='tap') as pair:
        srv = subprocess.Popen(
            ['ip', 'netns', 'exec', pair.ns_linux, sys.executable, netns.PEER,
             'echo-server', '198.18.0.1', '7', '600'],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            srv.stdout.readline()
            for i in range(pairs):
                for mode, extra in (('off', ['--no-tso']), ('on', [])):
                    ok, st = one(pair, nbytes, extra)
                    cpu = st.get('cpu_us', 0) / 1e6
                    gb = 2 * nbytes / 1e9
                    print(f'{i} TSO {mode:3}: {"ok" if ok else "FAILED"} '
                          f'cpu {cpu:.3f} s, {cpu / gb:.3f} CPU-s/GB, '
                          f'tso_frames {st.get("tso_frames")} tso_segs '
                          f'{st.get("tso_segs")} segs_out {st.get("segs_out")} '
                          f'retransmits {st.get("retransmits")}', flush=True)
                    if not ok:
                        return 1
                    res[mode].append(cpu / gb)
        finally:
            srv.kill()
            srv.communicate()
    for mode in ('off', 'on'):
        v = sorted(res[mode])
        print(f'TSO {mode}: CPU-s/GB median {v[len(v) // 2]:.3f} '
              f'(min {v[0]:.3f}, max {v[-1]:.3f}, {len(v)} runs)')
    on = sorted(res['on'])[len(res['on']) // 2]
    off = sorted(res['off'])[len(res['off']) // 2]
    print(f'on/off: {on / off:.2f}x the CPU per GB')
    return 0


if __name__ == '__main__':
    sys.exit(main())
