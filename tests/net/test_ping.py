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


def check(pair, count=5, sizes=(56, 1472), sizes6=(56, 1452)):
    """Linux pings ours on the pair (COUNT echoes of each size, IPv4 and
    IPv6), has resolved us by ARP and NDP, and we saw them all; True when
    every part held."""
    p = pair.start_ours(NETPEER, '--seconds', '30')
    ok = True
    pings = ([('198.18.0.2', n) for n in sizes] +
             [('2001:2::2', n) for n in sizes6])
    try:
        for addr, size in pings:
            r = pair.linux_peer('ping', addr, str(count), str(size))
            print(addr, size, r.stdout, r.stderr, end='')
            ok = ok and r.returncode == 0
        arp = pair.in_linux('ip', 'neigh', 'show', 'dev', pair.if_linux)
        ok = ok and '2001:2::2' in arp.stdout and '198.18.0.2' in arp.stdout
        print('linux neighbours:', arp.stdout.strip())
    finally:
        rc, st, text = netns.stop(p)
    print(text)
    if rc != 0 or st.get('icmp_echo_rx', 0) < count * len(pings):
        ok = False
    if st.get('arp_rx', 0) < 1:
        ok = False
    return ok


def main():
    if not NETPEER:
        netns.skip('TG_NETPEER not set')
    with netns.NetPair() as pair:
        ok = check(pair)
    print('PASS' if ok else 'FAIL')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
