#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpus of fuzz_tcp_input (tests/fuzz/corpus/tcp_input):
handshakes both ways, data, FINs and RSTs, timers, ARP and ICMP frames,
in the target's step format (see fuzz_tcp_input.c)."""
import os
import struct
import sys

SYN, ACK, FIN, RST, PSH = 0x02, 0x10, 0x01, 0x04, 0x08
REL, REPLY = 0x80, 0x40


def ts_opt(val, ecr):
    return bytes([1, 1, 8, 10]) + struct.pack('!II', val, ecr)


def syn_opts():
    return bytes([2, 4, 5, 0xb4, 1, 3, 3, 7, 1, 1, 4, 2]) + ts_opt(100, 0)


def seg(flags, seq=0, ack=0, wnd=65535, sel=0, opts=b'', payload=b'', op=0):
    return (bytes([op, flags]) + struct.pack('!IIH', seq, ack, wnd) +
            bytes([sel, len(opts)]) + opts + struct.pack('!H', len(payload)) +
            payload)


def clock(ms):
    return bytes([2]) + struct.pack('!H', ms)


def raw(frame, fix_macs=True):
    return bytes([1 | (0x80 if fix_macs else 0)]) + struct.pack('!H', len(frame)) + frame


seeds = {
    'passive_open_data_fin':
        seg(SYN, 1000, 0, opts=syn_opts()) +
        seg(ACK, 1, 0, op=REL, opts=ts_opt(101, 0)) +
        seg(ACK | PSH, 0, 0, op=REL, opts=ts_opt(102, 0), payload=b'hello world') +
        bytes([4]) + struct.pack('!H', 3000) +
        seg(FIN | ACK, 0, 0, op=REL, opts=ts_opt(103, 0)) + clock(100),
    'passive_open_plain_rst':
        seg(SYN, 5, 0) + seg(ACK, 1, 0, op=REL) +
        seg(ACK, 0, 0, op=REL, payload=b'x' * 1000) + seg(RST, 0, 0, op=REL),
    'active_open':
        bytes([3]) + seg(SYN | ACK, 700, 0, op=REL | REPLY, opts=syn_opts()) +
        bytes([4]) + struct.pack('!H', 20000) + clock(250) + clock(500) +
        seg(ACK, 0, 0, op=REL | REPLY, opts=ts_opt(200, 0)) +
        bytes([5, 0x00]) + seg(FIN | ACK, 0, 0, op=REL | REPLY, opts=ts_opt(201, 0)) +
        clock(60000),
    'timers':
        bytes([3]) + clock(1000) + clock(3000) + clock(7000) + clock(15000),
    'out_of_order':
        seg(SYN, 1000, 0, opts=syn_opts()) +
        seg(ACK, 1, 0, op=REL, opts=ts_opt(101, 0)) +
        seg(ACK, 100, 0, op=REL, opts=ts_opt(102, 0), payload=b'b' * 50) +
        seg(ACK, 0, 0, op=REL, opts=ts_opt(103, 0), payload=b'a' * 100),
    'challenge':
        seg(SYN, 1000, 0) + seg(ACK, 1, 0, op=REL) +
        seg(RST, 10, 0, op=REL) + seg(SYN, 5, 0, op=REL) +
        seg(ACK, 0, 100000, op=REL),
    'arp_icmp':
        raw(bytes(12) + b'\x08\x06' + bytes.fromhex(
            '0001080006040001020000000001c6120001000000000000c6120002') + bytes(18)) +
        raw(bytes(12) + b'\x08\x00' + bytes.fromhex(
            '45000024000040004001f8b6c6120001c6120002') +
            bytes.fromhex('0800f7ff00000000') + bytes(8)),
    'icmp_frag_needed':
        bytes([3]) + bytes([7, 4]) + struct.pack('!H', 576) + clock(300),
    'ipv6_syn_ns_echo':
        bytes([6 | 0x80]) + struct.pack('!H', 24) +
        struct.pack('!HHIIBBHHH', 40000, 80, 1, 0, 0x60, SYN, 1000, 0, 0) +
        bytes([2, 4, 5, 0xa0]) +
        bytes([6 | 0xc0]) + struct.pack('!H', 32) +
        bytes([135, 0, 0, 0, 0, 0, 0, 0]) +
        bytes.fromhex('20010002000000000000000000000002') +
        bytes([1, 1, 2, 0, 0, 0, 0, 1]) +
        bytes([6 | 0xc0]) + struct.pack('!H', 16) +
        bytes([128, 0, 0, 0, 0, 1, 0, 1]) + bytes(8),
    # a SYN behind Hop-by-Hop (a Router Alert) and Destination Options
    # (PadN) headers (op bits 3-5 = 1: Hop-by-Hop first)
    'ipv6_ext_syn':
        bytes([6 | 0x80 | (1 << 3)]) + struct.pack('!H', 40) +
        bytes([60, 0, 5, 2, 0, 0, 0, 0]) + bytes([6, 0, 1, 4, 0, 0, 0, 0]) +
        struct.pack('!HHIIBBHHH', 40000, 80, 1, 0, 0x50, SYN, 1000, 0, 0) +
        bytes(4),
    'raw_tcp':
        bytes([6]) + struct.pack('!H', 24) +
        struct.pack('!HHIIBBHHH', 40000, 80, 1, 0, 0x60, SYN, 1000, 0, 0) +
        bytes([2, 8, 0, 0]),
}

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), 'corpus', 'tcp_input')
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
