#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Linux pings our stack: our stack on net_af_packet on one end of a veth
pair, Linux on the other end, each in a namespace the test creates (and
removes). Linux resolves us by ARP and gets every echo answered, small
and large."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

NETPEER = os.environ.get('TG_NETPEER')


def main():
    if not NETPEER:
        netns.skip('TG_NETPEER not set')
    with netns.NetPair() as pair:
        p = pair.start_ours(NETPEER, '--seconds', '30')
        ok = True
        for size in (56, 1472):
            r = pair.linux_peer('ping', '198.18.0.2', '5', str(size))
            print(r.stdout, r.stderr, end='')
            ok = ok and r.returncode == 0
        arp = pair.in_linux('ip', 'neigh', 'show', 'dev', pair.if_linux)
        print('linux neighbours:', arp.stdout.strip())
        rc, st, text = netns.stop(p)
        print(text)
        if rc != 0 or st.get('icmp_echo_rx', 0) < 10:
            ok = False
        if st.get('arp_rx', 0) < 1:
            ok = False
    print('PASS' if ok else 'FAIL')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
