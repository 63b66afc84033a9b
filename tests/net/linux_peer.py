#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The Linux side of the network tests, run inside the test's namespace
(ip netns exec): ping with a raw ICMP socket, switch a veth's offloads
off through the ethtool ioctl (no ethtool binary needed), and TCP peers
(echo server, sender/receiver with SHA-256) for the TCP tests.

    linux_peer.py offloads-off IFACE
    linux_peer.py ping ADDR COUNT [SIZE]
"""
import array
import fcntl
import os
import select
import socket
import struct
import sys
import time

SIOCETHTOOL = 0x8946
# legacy ethtool set commands (include/uapi/linux/ethtool.h)
ETHTOOL_STXCSUM = 0x17
ETHTOOL_SSG = 0x19
ETHTOOL_STSO = 0x1f
ETHTOOL_SGSO = 0x24
ETHTOOL_SGRO = 0x2c


def offloads_off(iface):
    """TX checksums (a packet socket would see partial checksums), TSO,
    GSO and GRO (it would see 64 KiB frames) off on IFACE."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for cmd in (ETHTOOL_STSO, ETHTOOL_SGSO, ETHTOOL_SGRO, ETHTOOL_STXCSUM,
                ETHTOOL_SSG):
        val = array.array('I', [cmd, 0])
        addr, _ = val.buffer_info()
        ifr = struct.pack('16sP', iface.encode(), addr) + b'\0' * 16
        try:
            fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifr)
        except OSError as e:
            print(f'ethtool {cmd:#x} on {iface}: {e}', file=sys.stderr)
            return 1
    return 0


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack(f'!{len(b) // 2}H', b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ping(addr, count, size=56):
    """Send COUNT echo requests, one a 200 ms; exit 0 when every one had
    its reply within 2 s."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xffff
    got = set()
    for seq in range(1, count + 1):
        payload = bytes(i & 0xff for i in range(size))
        hdr = struct.pack('!BBHHH', 8, 0, 0, ident, seq)
        pkt = struct.pack('!BBHHH', 8, 0, csum(hdr + payload), ident, seq) + payload
        s.sendto(pkt, (addr, 0))
        end = time.monotonic() + 2.0
        while time.monotonic() < end:
            r, _, _ = select.select([s], [], [], max(0, end - time.monotonic()))
            if not r:
                break
            data, src = s.recvfrom(65535)
            ihl = (data[0] & 0xf) * 4
            t, code, ck, rid, rseq = struct.unpack('!BBHHH', data[ihl:ihl + 8])
            if t == 0 and rid == ident and src[0] == addr:
                if data[ihl + 8:] != payload or csum(data[ihl:]) != 0:
                    print(f'seq {rseq}: reply payload or checksum wrong')
                    return 1
                got.add(rseq)
                if rseq == seq:
                    break
        print(f'seq {seq}: {"reply" if seq in got else "no reply"}')
        time.sleep(0.2)
    return 0 if len(got) == count else 1


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd = argv[1]
    if cmd == 'offloads-off':
        return offloads_off(argv[2])
    if cmd == 'ping':
        return ping(argv[2], int(argv[3]), int(argv[4]) if len(argv) > 4 else 56)
    print(f'unknown command {cmd}', file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
