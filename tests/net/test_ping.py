#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Linux pings our stack: our stack on net_af_packet on one end of a veth
pair, Linux on the other end, each in a namespace the test creates (and
removes). Linux resolves us by ARP and by NDP and gets every echo
answered, IPv4 and IPv6, small and large."""
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
        for addr, size in (('198.18.0.2', 56), ('198.18.0.2', 1472),
                           ('2001:2::2', 56), ('2001:2::2', 1452)):
            r = pair.linux_peer('ping', addr, '5', str(size))
            print(addr, size, r.stdout, r.stderr, end='')
            ok = ok and r.returncode == 0
        arp = pair.in_linux('ip', 'neigh', 'show', 'dev', pair.if_linux)
        ok = ok and '2001:2::2' in arp.stdout and '198.18.0.2' in arp.stdout
        print('linux neighbours:', arp.stdout.strip())
        rc, st, text = netns.stop(p)
        print(text)
        if rc != 0 or st.get('icmp_echo_rx', 0) < 20:
            ok = False
        if st.get('arp_rx', 0) < 1:
            ok = False
    print('PASS' if ok else 'FAIL')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
