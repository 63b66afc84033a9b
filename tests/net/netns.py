# SPDX-License-Identifier: BSD-3-Clause
"""Two network namespaces joined by a veth pair, made for one test and
removed after it: ours (our stack on net_af_packet on one end, the kernel
there has no address) and linux (the other end with an address in
198.18.0.0/15, RFC 2544 benchmarking space). Nothing outside them is
touched.

A test skips (exit 77) when it is not root or namespaces are not
available here.
"""
import os
import shutil
import subprocess
import sys
import time

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, 'linux_peer.py')


def skip(why):
    print(f'SKIP: {why}')
    sys.exit(SKIP)


def sh(*args, check=True, **kw):
    return subprocess.run(list(args), check=check, capture_output=True,
                          text=True, **kw)


class NetPair:
    """with NetPair() as p: p.ours_cmd(...), p.linux(...)"""

    def __init__(self, linux_addr='198.18.0.1/24', our_addr='198.18.0.2/24',
                 linux_addr6='2001:2::1/64', our_addr6='2001:2::2/64'):
        tag = f'{os.getpid() % 100000}'
        self.ns_ours = f'tgo{tag}'
        self.ns_linux = f'tgl{tag}'
        self.if_ours = 'tgv0'
        self.if_linux = 'tgv1'
        self.linux_addr = linux_addr
        self.our_addr = our_addr
        # RFC 5180 benchmarking space for IPv6
        self.linux_addr6 = linux_addr6
        self.our_addr6 = our_addr6
        self.made = []

    def __enter__(self):
        if os.geteuid() != 0:
            skip('not root: network namespaces and veth need CAP_NET_ADMIN')
        if shutil.which('ip') is None:
            skip('no ip command (iproute2)')
        r = sh('ip', 'netns', 'add', self.ns_ours, check=False)
        if r.returncode != 0:
            skip(f'network namespaces unavailable: {r.stderr.strip()}')
        self.made.append(self.ns_ours)
        try:
            sh('ip', 'netns', 'add', self.ns_linux)
            self.made.append(self.ns_linux)
            sh('ip', 'link', 'add', self.if_ours, 'netns', self.ns_ours,
               'type', 'veth', 'peer', 'name', self.if_linux,
               'netns', self.ns_linux)
            # our end: no address, no IPv6 chatter from its kernel
            self.in_ours('sysctl', '-qw',
                         f'net.ipv6.conf.{self.if_ours}.disable_ipv6=1')
            self.in_ours('ip', 'link', 'set', self.if_ours, 'up')
            self.in_linux('ip', 'addr', 'add', self.linux_addr, 'dev',
                          self.if_linux)
            self.in_linux('sysctl', '-qw',
                          f'net.ipv6.conf.{self.if_linux}.disable_ipv6=0')
            self.in_linux('ip', '-6', 'addr', 'add', self.linux_addr6, 'dev',
                          self.if_linux, 'nodad')
            self.in_linux('ip', 'link', 'set', self.if_linux, 'up')
            self.in_linux('ip', 'link', 'set', 'lo', 'up')
            r = self.in_linux(sys.executable, PEER, 'offloads-off',
                              self.if_linux, check=False)
            if r.returncode != 0:
                raise RuntimeError(f'offloads: {r.stderr}')
            r = self.in_ours(sys.executable, PEER, 'offloads-off',
                             self.if_ours, check=False)
            if r.returncode != 0:
                raise RuntimeError(f'offloads: {r.stderr}')
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        # deleting a namespace deletes its veth end, and the pair with it
        for ns in reversed(self.made):
            sh('ip', 'netns', 'del', ns, check=False)
        self.made = []
        return False

    def in_ours(self, *args, check=True, **kw):
        return sh('ip', 'netns', 'exec', self.ns_ours, *args, check=check, **kw)

    def in_linux(self, *args, check=True, **kw):
        return sh('ip', 'netns', 'exec', self.ns_linux, *args, check=check,
                  **kw)

    def linux_peer(self, *args, timeout=60):
        return self.in_linux(sys.executable, PEER, *args, check=False,
                             timeout=timeout)

    def start_ours(self, exe, *args):
        """Start tg_netpeer (or another of ours) in our namespace on our
        veth end; returns once it says ready."""
        p = subprocess.Popen(
            ['ip', 'netns', 'exec', self.ns_ours, exe,
             '--vdev', f'net_af_packet0,iface={self.if_ours},qdisc_bypass=0',
             '--addr', self.our_addr, '--addr6', self.our_addr6, *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        end = time.monotonic() + 30
        while time.monotonic() < end:
            line = p.stdout.readline()
            if line.strip() == 'ready':
                return p
            if line == '' and p.poll() is not None:
                break
        p.kill()
        out, err = p.communicate()
        raise RuntimeError(f'our stack did not start:\n{out}\n{err}')


def stop(p, timeout=10):
    """Stop one of ours (SIGTERM) and return (rc, {counter: value}, text)."""
    if p.poll() is None:
        p.terminate()
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    stats = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            stats[parts[0]] = int(parts[1])
    return p.returncode, stats, out + err
