# SPDX-License-Identifier: BSD-3-Clause
"""Two network namespaces joined by a veth pair, made for one test and
removed after it: ours (our stack on net_af_packet on one end, the kernel
there has no address) and linux (the other end with an address in
198.18.0.0/15, RFC 2544 benchmarking space). Nothing outside them is
touched.

The port kind (NetPair(kind=...), KINDS) picks how our stack reaches
Linux:
  af_packet    net_af_packet on our veth end (the default)
  af_xdp       net_af_xdp on our veth end (XDP in generic mode on veth)
  pcap         net_pcap (libpcap) on our veth end
  tap          net_tap: no veth and one namespace, with a persistent tap
               interface made and addressed by the test; our stack
               attaches to it (net_tap opens an existing tap of its
               name) and the kernel's end of it is the Linux peer
  virtio_user  net_virtio_user over vhost-user to a forwarder of ours
               (tg_netpeer --fwd: net_vhost, the vhost-user server, to
               net_af_packet on our veth end): without /dev/vhost-net the
               only backend here

A test skips (exit 77) when it is not root or namespaces are not
available here; why_not(kind) says why this machine cannot run a kind.
"""
import contextlib
import ctypes
import os
import select
import shutil
import subprocess
import sys
import time

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, 'linux_peer.py')


CLONE_NEWNET = 0x40000000


def _setns(fd):
    if hasattr(os, 'setns'):
        os.setns(fd, CLONE_NEWNET)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f'setns: {os.strerror(e)}')


def skip(why):
    print(f'SKIP: {why}')
    sys.exit(SKIP)


def sh(*args, check=True, **kw):
    return subprocess.run(list(args), check=check, capture_output=True,
                          text=True, **kw)


KINDS = ('af_packet', 'af_xdp', 'pcap', 'tap', 'virtio_user')
AF_XDP = 44  # socket(7) family, <linux/socket.h>
# what the EAL says for a --vdev whose driver is not installed
NO_DRIVER = 'failed to parse device'


def why_not(kind):
    """None when this machine has what the port kind needs of the
    kernel, else why not (the DPDK driver itself is checked when ours
    starts: NotHere)."""
    if kind == 'af_xdp':
        import socket
        try:
            socket.socket(AF_XDP, socket.SOCK_RAW, 0).close()
        except OSError as e:
            return f'no AF_XDP sockets in this kernel: socket(AF_XDP): {e}'
    elif kind == 'tap':
        try:
            os.close(os.open('/dev/net/tun', os.O_RDWR))
        except OSError as e:
            return f'no tap devices: /dev/net/tun: {e}'
    elif kind == 'virtio_user':
        # without hugepages the EAL's memory is shared with the vhost
        # side only as a memfd (else anonymous memory it cannot map)
        if not hasattr(os, 'memfd_create'):
            return 'no memfd_create here: vhost-user cannot map our memory'
        try:
            os.close(os.memfd_create('tg'))
        except OSError as e:
            return f'no memfd_create here: vhost-user cannot map our memory: {e}'
    elif kind not in KINDS:
        return f'unknown port kind {kind}'
    return None


class NotHere(RuntimeError):
    """Our stack did not start because the port kind's DPDK driver is not
    installed here (the EAL's message in str())."""


class NetPair:
    """with NetPair() as p: p.ours_cmd(...), p.linux(...)"""

    def __init__(self, linux_addr='198.18.0.1/24', our_addr='198.18.0.2/24',
                 linux_addr6='2001:2::1/64', our_addr6='2001:2::2/64',
                 ours_in_root=False, kind='af_packet'):
        """ours_in_root: our veth end stays in this (the root) namespace,
        named tgd<pid> there, so that a process of ours runs here (its
        admin socket on loopback here) and only the other end is in a
        namespace; its kernel has no address on it either.
        kind: the port kind of our stack (KINDS)."""
        tag = f'{os.getpid() % 100000}'
        assert kind in KINDS and not (ours_in_root and kind == 'tap')
        self.kind = kind
        self.ours_in_root = ours_in_root
        self.ns_linux = f'tgl{tag}'
        if kind == 'tap':
            # one namespace: ours runs in Linux's, on its tap
            self.ns_ours = self.ns_linux
            self.if_ours = None
            self.if_linux = f'tgt{tag}'
        else:
            self.ns_ours = None if ours_in_root else f'tgo{tag}'
            self.if_ours = f'tgd{tag}' if ours_in_root else 'tgv0'
            self.if_linux = 'tgv1'
        self.sock = f'/tmp/tgvu{tag}.sock'  # virtio_user: vhost-user
        self.fwd = None
        self.link_made = False
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
        first = self.ns_linux if self.ours_in_root else self.ns_ours
        r = sh('ip', 'netns', 'add', first, check=False)
        if r.returncode != 0:
            skip(f'network namespaces unavailable: {r.stderr.strip()}')
        self.made.append(first)
        try:
            if self.kind == 'tap':
                self._tap_make()
                return self
            if not self.ours_in_root:
                sh('ip', 'netns', 'add', self.ns_linux)
                self.made.append(self.ns_linux)
            where = [] if self.ours_in_root else ['netns', self.ns_ours]
            sh('ip', 'link', 'add', self.if_ours, *where,
               'type', 'veth', 'peer', 'name', self.if_linux,
               'netns', self.ns_linux)
            self.link_made = True
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
        if self.fwd is not None:
            stop(self.fwd)
            self.fwd = None
        with contextlib.suppress(FileNotFoundError):
            if self.kind == 'virtio_user':
                os.unlink(self.sock)
        # deleting a namespace deletes its veth end, and the pair with it
        if self.ours_in_root and self.link_made:
            sh('ip', 'link', 'del', self.if_ours, check=False)
            self.link_made = False
        if self.kind == 'tap' and self.link_made:
            self.in_linux('ip', 'link', 'del', self.if_linux, check=False)
            self.link_made = False
        for ns in reversed(self.made):
            sh('ip', 'netns', 'del', ns, check=False)
        self.made = []
        return False

    def in_ours(self, *args, check=True, **kw):
        if self.ours_in_root:
            return sh(*args, check=check, **kw)
        return sh('ip', 'netns', 'exec', self.ns_ours, *args, check=check, **kw)

    @contextlib.contextmanager
    def linux_thread(self):
        """with p.linux_thread(): sockets made here are in the linux
        namespace (this thread's network namespace is switched, setns(2),
        and switched back on leaving; a socket keeps its namespace)."""
        here = os.open('/proc/thread-self/ns/net', os.O_RDONLY)
        there = os.open(f'/run/netns/{self.ns_linux}', os.O_RDONLY)
        try:
            _setns(there)
            try:
                yield
            finally:
                _setns(here)
        finally:
            os.close(there)
            os.close(here)

    def in_linux(self, *args, check=True, **kw):
        return sh('ip', 'netns', 'exec', self.ns_linux, *args, check=check,
                  **kw)

    def linux_peer(self, *args, timeout=60):
        return self.in_linux(sys.executable, PEER, *args, check=False,
                             timeout=timeout)

    def vdev(self):
        """Our stack's --vdev for the pair's port kind."""
        afp = f'net_af_packet0,iface={self.if_ours},qdisc_bypass=0'
        return {
            'af_packet': afp,
            'af_xdp': f'net_af_xdp0,iface={self.if_ours},start_queue=0,'
                      'queue_count=1',
            'pcap': f'net_pcap0,iface={self.if_ours}',
            # the kernel's end takes this address (ours: last bit flipped)
            'tap': f'net_tap0,iface={self.if_linux},mac=02:00:5e:12:00:01',
            # a fixed address: the same one each time ours starts
            'virtio_user': f'net_virtio_user0,path={self.sock},'
                           'mac=02:00:5e:12:00:02',
        }[self.kind]

    def _ours_cmd(self, exe, *args):
        if self.ns_ours is None:
            return [exe, *args]
        return ['ip', 'netns', 'exec', self.ns_ours, exe, *args]

    def _start(self, cmd, what):
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        end = time.monotonic() + 30
        while time.monotonic() < end:
            line = readline_raw(p.stdout, end)
            if line.strip() == 'ready':
                return p
            if line == '' and p.poll() is not None:
                break
        p.kill()
        out, err = p.communicate()
        if NO_DRIVER in err:
            raise NotHere(' '.join(ln for ln in err.splitlines()
                                   if 'device' in ln))
        raise RuntimeError(f'{what} did not start:\n{out}\n{err}')

    def _tap_make(self):
        """The tap, persistent (it outlives each of our processes on it:
        addresses and neighbours stay, and there is no moment when ours
        runs before Linux's end is addressed), with Linux's addresses.
        net_tap sets its link down when ours closes: IPv6 keeps its
        addresses over that."""
        t = self.if_linux
        self.in_linux('ip', 'link', 'set', 'lo', 'up')
        self.in_linux('ip', 'tuntap', 'add', 'dev', t, 'mode', 'tap',
                      'multi_queue')
        self.link_made = True
        self.in_linux('sysctl', '-qw', f'net.ipv6.conf.{t}.disable_ipv6=0')
        self.in_linux('sysctl', '-qw',
                      f'net.ipv6.conf.{t}.keep_addr_on_down=1')
        self.in_linux('ip', 'addr', 'add', self.linux_addr, 'dev', t)
        self.in_linux('ip', '-6', 'addr', 'add', self.linux_addr6, 'dev', t,
                      'nodad')
        self.in_linux('ip', 'link', 'set', t, 'up')
        r = self.in_linux(sys.executable, PEER, 'offloads-off', t,
                          check=False)
        if r.returncode != 0:
            raise RuntimeError(f'offloads: {r.stderr}')

    def start_ours(self, exe, *args):
        """Start tg_netpeer (or another of ours) in our namespace on the
        pair's port kind; returns once it says ready. NotHere when the
        kind's driver is not installed."""
        if self.kind == 'virtio_user' and (self.fwd is None or
                                           self.fwd.poll() is not None):
            # the vhost-user server, and the wire to our veth end
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.sock)
            self.fwd = self._start(self._ours_cmd(
                exe, '--vdev', f'net_af_packet0,iface={self.if_ours},'
                'qdisc_bypass=0', '--fwd',
                f'net_vhost0,iface={self.sock},client=0',
                '--seconds', '600'), 'the forwarder (net_vhost)')
        return self._start(self._ours_cmd(
            exe, '--vdev', self.vdev(), '--addr', self.our_addr,
            '--addr6', self.our_addr6, *args), 'our stack')


def readline_raw(f, end):
    """One line of a child's pipe, read from its descriptor a byte at a
    time, until the monotonic time END: what follows the line stays in
    the pipe. f.readline() would read ahead into Python's buffer, which
    communicate() (reading the descriptor) never sees: a transfer quick
    enough to print its "sent ..." line in the same read as "ready"
    lost it (netns-ports on net_tap, once)."""
    line = bytearray()
    while time.monotonic() < end:
        r, _, _ = select.select([f], [], [], max(0.0, end - time.monotonic()))
        if not r:
            break
        ch = os.read(f.fileno(), 1)
        if not ch:
            break
        line += ch
        if ch == b'\n':
            break
    return line.decode(errors='replace')


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
