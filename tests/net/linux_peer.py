#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The Linux side of the network tests, run inside the test's namespace
(ip netns exec): ping with a raw ICMP socket, switch a veth's offloads
off through the ethtool ioctl (no ethtool binary needed), and TCP peers
(echo server, sender/receiver with SHA-256) for the TCP tests.

    linux_peer.py offloads-off IFACE
    linux_peer.py ping ADDR COUNT [SIZE]
    linux_peer.py echo-server ADDR PORT SECONDS
    linux_peer.py client ADDR PORT BYTES [SECONDS]
    linux_peer.py many ADDR PORT N SIZE [SECONDS]
"""
import resource
import selectors
import hashlib
import threading
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
    its reply within 2 s. IPv4 or IPv6 (ICMPv6: the kernel fills in the
    checksum of a raw ICMPv6 socket)."""
    v6 = ':' in addr
    if v6:
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xffff
    got = set()
    for seq in range(1, count + 1):
        payload = bytes(i & 0xff for i in range(size))
        typ = 128 if v6 else 8
        hdr = struct.pack('!BBHHH', typ, 0, 0, ident, seq)
        ck = 0 if v6 else csum(hdr + payload)
        pkt = struct.pack('!BBHHH', typ, 0, ck, ident, seq) + payload
        s.sendto(pkt, (addr, 0))
        end = time.monotonic() + 2.0
        while time.monotonic() < end:
            r, _, _ = select.select([s], [], [], max(0, end - time.monotonic()))
            if not r:
                break
            data, src = s.recvfrom(65535)
            off = 0 if v6 else (data[0] & 0xf) * 4
            t, code, ck, rid, rseq = struct.unpack('!BBHHH', data[off:off + 8])
            if t == (129 if v6 else 0) and rid == ident and src[0] == addr:
                if data[off + 8:] != payload or (not v6 and csum(data[off:]) != 0):
                    print(f'seq {rseq}: reply payload or checksum wrong')
                    return 1
                got.add(rseq)
                if rseq == seq:
                    break
        print(f'seq {seq}: {"reply" if seq in got else "no reply"}')
        time.sleep(0.2)
    return 0 if len(got) == count else 1


def family(addr):
    return socket.AF_INET6 if ':' in addr else socket.AF_INET


def echo_server(addr, port, seconds):
    """Echo every connection's bytes back until its end, then close;
    serve for SECONDS. Prints "ready" once listening."""
    ls = socket.socket(family(addr), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(128)
    ls.settimeout(0.2)
    print('ready', flush=True)
    end = time.monotonic() + seconds

    def serve(c):
        c.settimeout(seconds)
        try:
            while True:
                b = c.recv(65536)
                if not b:
                    break
                c.sendall(b)
            c.shutdown(socket.SHUT_WR)
            while c.recv(65536):
                pass
        except OSError as e:
            print(f'echo: {e}', flush=True)
        finally:
            c.close()

    while time.monotonic() < end:
        try:
            c, _ = ls.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve, args=(c,), daemon=True).start()
    return 0


def client(addr, port, nbytes, seconds=60):
    """Send NBYTES of random bytes to an echo server, read them back at
    the same time, compare SHA-256 of both; exit 0 when equal."""
    s = socket.create_connection((addr, port), timeout=seconds)
    s.settimeout(seconds)
    h_out, h_in = hashlib.sha256(), hashlib.sha256()
    got = [0]
    err = []

    def reader():
        try:
            while True:
                b = s.recv(262144)
                if not b:
                    break
                h_in.update(b)
                got[0] += len(b)
        except OSError as e:
            err.append(e)

    t = threading.Thread(target=reader)
    t.start()
    left = nbytes
    start = time.monotonic()
    try:
        while left > 0:
            b = os.urandom(min(left, 262144))
            h_out.update(b)
            s.sendall(b)
            left -= len(b)
        s.shutdown(socket.SHUT_WR)
    except OSError as e:
        err.append(e)
    t.join(seconds)
    s.close()
    secs = time.monotonic() - start
    ok = not err and got[0] == nbytes and h_in.digest() == h_out.digest()
    print(f'sent {nbytes} sha256 {h_out.hexdigest()} back {got[0]} sha256 '
          f'{h_in.hexdigest()} {"ok" if ok else "MISMATCH"} {secs:.2f}s '
          f'{" ".join(str(e) for e in err)}', flush=True)
    return 0 if ok else 1


def many(addr, port, n, size, seconds=120):
    """Open N connections to an echo server, all of them at once, then
    send SIZE bytes on each and check each one's echo, then close them
    all; exit 0 when every one came back whole."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(n + 64, soft),
                                                     max(n + 64, hard)))
    end = time.monotonic() + seconds
    sel = selectors.DefaultSelector()
    socks = []
    msg = [os.urandom(size) for _ in range(16)]
    for i in range(n):
        s = socket.socket(family(addr), socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect((addr, port))
        except BlockingIOError:
            pass
        socks.append(s)
        sel.register(s, selectors.EVENT_WRITE, i)
    connected = 0
    while connected < n and time.monotonic() < end:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                print(f'connection {key.data} failed', flush=True)
                return 1
            sel.unregister(s)
            connected += 1
    print(f'{connected} of {n} connected at once', flush=True)
    if connected < n:
        return 1
    got = [b''] * n
    for i, s in enumerate(socks):
        s.send(msg[i % 16])  # small: goes whole into the socket buffer
        sel.register(s, selectors.EVENT_READ, i)
    left = n
    while left > 0 and time.monotonic() < end:
        for key, _ in sel.select(timeout=1):
            i = key.data
            b = key.fileobj.recv(65536)
            got[i] += b
            if len(got[i]) >= size or not b:
                sel.unregister(key.fileobj)
                left -= 1
    bad = sum(1 for i in range(n) if got[i] != msg[i % 16])
    for s in socks:
        s.close()
    print(f'{n - left - bad} of {n} echoed whole', flush=True)
    return 0 if left == 0 and bad == 0 else 1


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd = argv[1]
    if cmd == 'offloads-off':
        return offloads_off(argv[2])
    if cmd == 'ping':
        return ping(argv[2], int(argv[3]), int(argv[4]) if len(argv) > 4 else 56)
    if cmd == 'echo-server':
        return echo_server(argv[2], int(argv[3]), float(argv[4]))
    if cmd == 'client':
        return client(argv[2], int(argv[3]), int(argv[4]),
                      float(argv[5]) if len(argv) > 5 else 60)
    if cmd == 'many':
        return many(argv[2], int(argv[3]), int(argv[4]), int(argv[5]),
                    float(argv[6]) if len(argv) > 6 else 120)
    print(f'unknown command {cmd}', file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
