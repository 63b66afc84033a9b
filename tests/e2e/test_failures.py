#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""tlsgate end to end: failures. Backends down, refusing, black-holed or
closing mid-stream, clients vanishing or not reading, slowloris, garbage,
oversized records, handshake floods and a full handshake ring, idle
timeouts, back-pressure; a canary client keeps checking that other
connections are unaffected. Each case asserts the exact outcome written
down in docs/failures.md (which alert, or a bare close, and the counter),
and that tlsgate's memory (VmRSS) stays bounded."""
import fcntl
import hashlib
import os
import random
import socket
import ssl
import struct
import sys
import termios
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tg_e2e import (E2E, HOST, PATTERN, Backend, body, body_chunks, body_sha256,  # noqa: E402
                    client_ctx, client_hello, curl, free_port, https_get, log,
                    tcp, thost, tpeer, plain_alert, read_response, recv_all, recv_until_close)

# tlsgate's own sizes (dataplane/flow/flow.c, accel/tg_accel.h)
REC_MAX_PLAIN = 1 << 14
REC_MAX_CT = REC_MAX_PLAIN + 2048             # TG_REC_MAX_CT
CIN_CAP = 2 * (5 + REC_MAX_CT)                # TG_CIN_CAP: client input buffer
MAX_BUFFER = 262144                           # limits.max_buffer default

# TLS alert descriptions (RFC 5246 §7.2)
CLOSE_NOTIFY = 0
UNEXPECTED_MESSAGE = 10
BAD_RECORD_MAC = 20
RECORD_OVERFLOW = 22
PROTOCOL_VERSION = 70
INTERNAL_ERROR = 80


def tcp_queues():
    """Every IPv4 TCP socket of this network namespace, tlsgate's included
    (/proc/net/tcp): {(local port, remote port): (tx_queue, rx_queue)}.
    tx_queue counts the bytes written and not yet acknowledged (sent or
    not), rx_queue the bytes received and not yet read."""
    out = {}
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            p = line.split()
            lp = int(p[1].split(":")[1], 16)
            rp = int(p[2].split(":")[1], 16)
            tx, rx = (int(x, 16) for x in p[4].split(":"))
            out[(lp, rp)] = (tx, rx)
    return out


def sysctl_max(name):
    """The largest value of a net.ipv4 buffer sysctl (tcp_rmem, tcp_wmem)."""
    with open("/proc/sys/net/ipv4/" + name) as f:
        return int(f.read().split()[-1])


def cpu_seconds(pid):
    """User + system CPU time of process PID, in seconds (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        p = f.read().rsplit(")", 1)[1].split()
    return (int(p[11]) + int(p[12])) / os.sysconf("SC_CLK_TCK")


def unread_bytes(sock):
    """Bytes in SOCK's receive queue (FIONREAD)."""
    return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]


class RawTLS:
    """A TLS 1.2 client over a plain socket and memory BIOs: the test sees
    every byte the server sends, can send raw bytes of its own after the
    handshake, and tells a close_notify from an alert from a bare close."""

    def __init__(self, port, sni="localhost", timeout=10):
        self.sock = tcp(port, timeout=timeout)
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = client_ctx().wrap_bio(self.inc, self.out, server_hostname=sni)
        self.raw = bytearray()   # every byte received, handshake included
        self.eof = None          # "fin" or "rst" once the server closed
        end = time.monotonic() + timeout
        while True:
            try:
                self.obj.do_handshake()
                self._flush()
                break
            except ssl.SSLWantReadError:
                self._flush()
                if time.monotonic() > end or not self._recv(end - time.monotonic()):
                    raise ConnectionError("closed in the handshake: %r" % bytes(self.raw[-20:]))

    def _flush(self):
        d = self.out.read()
        if d:
            self.sock.sendall(d)

    def _recv(self, timeout):
        self.sock.settimeout(max(timeout, 0.01))
        try:
            b = self.sock.recv(65536)
        except ConnectionResetError:
            b, self.eof = b"", "rst"
        if not b:
            self.eof = self.eof or "fin"
            self.inc.write_eof()
            return False
        self.raw += b
        self.inc.write(b)
        return True

    def send(self, plaintext):
        self.obj.write(plaintext)
        self._flush()

    def send_raw(self, data):
        self.sock.sendall(data)

    def overhead(self):
        """Record expansion of the suite: explicit nonce + tag."""
        return 24 if "GCM" in self.obj.cipher()[0] else 16

    def finish(self, timeout):
        """Read until the server closes (socket.timeout if it does not
        within TIMEOUT s), then decrypt everything. Returns (plaintext,
        outcome, seconds): outcome is "close_notify", "alert:REASON" (a
        fatal alert, e.g. "alert:TLSV1_ALERT_RECORD_OVERFLOW") or "eof"
        (a close without close_notify)."""
        t = time.monotonic()
        end = t + timeout
        while self.eof is None:
            if time.monotonic() > end:
                raise socket.timeout("the server did not close in %ss" % timeout)
            self._recv(end - time.monotonic())
        dt = time.monotonic() - t
        plain = bytearray()
        for _ in range(100000):
            try:
                d = self.obj.read(65536)
            except ssl.SSLEOFError:
                return bytes(plain), "eof", dt
            except ssl.SSLWantReadError:
                return bytes(plain), "eof", dt
            except ssl.SSLError as e:
                return bytes(plain), "alert:%s" % e.reason, dt
            if not d:
                return bytes(plain), "close_notify", dt
            plain += d
        raise AssertionError("no end to the plaintext")

    def records(self):
        """The records received: [(type, version, length)]; a cut last
        record is reported with type None."""
        out, off, raw = [], 0, self.raw
        while off + 5 <= len(raw):
            n = raw[off + 3] << 8 | raw[off + 4]
            if off + 5 + n > len(raw):
                break
            out.append((raw[off], raw[off + 1] << 8 | raw[off + 2], n))
            off += 5 + n
        if off != len(raw):
            out.append((None, 0, len(raw) - off))
        return out

    def records_after_handshake(self):
        """The records that came after the server's Finished (the first
        record after its ChangeCipherSpec)."""
        recs = self.records()
        types = [r[0] for r in recs]
        if 0x14 not in types:
            raise AssertionError("no ChangeCipherSpec in %r" % recs)
        return recs[types.index(0x14) + 2:]

    def close(self):
        self.sock.close()


class BlackHole:
    """A loopback listener that drops SYNs: listen(0), its one accept
    queue place taken by a connection that is never accepted, so further
    connects get no answer at all (no SYN-ACK, no RST)."""

    def __init__(self):
        self.l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.l.bind((HOST, 0))
        self.l.listen(0)
        self.port = self.l.getsockname()[1]
        self.addr = "%s:%d" % (HOST, self.port)
        self.filler = socket.create_connection((HOST, self.port), timeout=2)
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        probe.settimeout(0.3)
        try:
            probe.connect((HOST, self.port))
            raise AssertionError("the black hole answered a connect")
        except socket.timeout:
            pass
        finally:
            probe.close()

    def close(self):
        self.filler.close()
        self.l.close()


class StreamBackend:
    """A plaintext backend for back-pressure: it answers the first request
    with a response of TOTAL bytes, written with send() calls that it
    counts (self.written), and notes the time of its last progress.
    Connections that close without a request (health checks) are skipped."""

    def __init__(self, total, sndbuf=65536):
        self.total = total
        self.sndbuf = sndbuf
        self.l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.l.bind((HOST, 0))
        self.l.listen(16)
        self.port = self.l.getsockname()[1]
        self.addr = "%s:%d" % (HOST, self.port)
        self.written = 0
        self.head = 0
        self.last = time.monotonic()
        self.conn = None
        self.stop_ev = threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        self.l.settimeout(0.2)
        c = None
        while c is None and not self.stop_ev.is_set():
            try:
                c, _ = self.l.accept()
            except socket.timeout:
                continue
            c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.sndbuf)
            c.settimeout(5)
            try:
                req = c.recv(65536)
            except OSError:
                req = b""
            if not req:
                c.close()
                c = None
        if c is None:
            return
        self.conn = c
        head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % self.total
        c.sendall(head)
        self.head = len(head)
        c.settimeout(0.2)
        chunk = PATTERN[:65536]
        while self.written < self.total and not self.stop_ev.is_set():
            try:
                n = c.send(chunk[:self.total - self.written])
            except socket.timeout:
                continue
            except OSError:
                break
            self.written += n
            self.last = time.monotonic()

    def wait_stalled(self, quiet=1.0, timeout=20):
        """Wait until the writes made no progress for QUIET s (or all is
        written); True if they stalled."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.written >= self.total:
                return False
            if self.written > 0 and time.monotonic() - self.last > quiet:
                return True
            time.sleep(0.05)
        raise AssertionError("the backend wrote %d bytes and never stalled" % self.written)

    def close(self):
        self.stop_ev.set()
        self.t.join(5)
        if self.conn:
            self.conn.close()
        self.l.close()


class SinkBackend:
    """A plaintext backend that accepts connections and never reads them
    (receive buffer RCVBUF)."""

    def __init__(self, rcvbuf=65536):
        self.l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.l.bind((HOST, 0))
        self.l.listen(16)
        self.port = self.l.getsockname()[1]
        self.addr = "%s:%d" % (HOST, self.port)
        self.conns = []
        self.stop_ev = threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        self.l.settimeout(0.2)
        while not self.stop_ev.is_set():
            try:
                c, _ = self.l.accept()
            except socket.timeout:
                continue
            self.conns.append(c)

    def queued(self):
        """Bytes tlsgate delivered that sit unread here."""
        return sum(unread_bytes(c) for c in list(self.conns))

    def close(self):
        self.stop_ev.set()
        self.t.join(5)
        for c in self.conns:
            c.close()
        self.l.close()


class Canary:
    """Background client: a new connection with a GET every 100 ms, and one
    keep-alive connection with a GET every 100 ms. Counts failures. SNI
    picks the server name (and so the backend pool)."""

    def __init__(self, port, new_conns=True, sni="localhost"):
        self.port = port
        self.new_conns = new_conns
        self.sni = sni
        self.ok = 0
        self.fail = []
        self.stop_ev = threading.Event()
        self.ctx = client_ctx()
        self.keep = None
        self.t = threading.Thread(target=self.loop, daemon=True)
        self.t.start()

    def _keepalive_get(self):
        if self.keep is None:
            raw = tcp(self.port, timeout=10)
            s = self.ctx.wrap_socket(raw, server_hostname=self.sni)
            self.keep = (s, s.makefile("rb"))
        s, f = self.keep
        s.sendall(b"GET /bytes/20000 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        st, _, b = read_response(f)
        if st != 200 or hashlib.sha256(b).hexdigest() != body_sha256(20000):
            raise AssertionError("keep-alive GET: %d, %d bytes" % (st, len(b)))

    def loop(self):
        while not self.stop_ev.is_set():
            try:
                self._keepalive_get()
                if self.new_conns:
                    st, _, b = https_get(self.port, "/bytes/5000", ctx=self.ctx,
                                         timeout=10, sni=self.sni)
                    if st != 200 or b != body(5000):
                        raise AssertionError("GET: %d, %d bytes" % (st, len(b)))
                self.ok += 1
            except Exception as e:  # noqa: BLE001
                self.fail.append("%.3f %r" % (time.monotonic(), e))
                if self.keep:
                    self.keep[1].close()
                    self.keep[0].close()
                self.keep = None
            self.stop_ev.wait(0.1)

    def stop(self):
        self.stop_ev.set()
        self.t.join(30)
        if self.keep:
            self.keep[1].close()
            self.keep[0].close()
        return self.ok, self.fail


class Failures(E2E):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

    def setUp(self):
        super().setUp()
        self.down = "%s:%d" % (tpeer(), free_port())  # nothing listens there
        # its access log says how a failed canary connection ended
        self.g_log = os.path.join(self.tmp, "canary-%s.log" % self._testMethodName)
        self.g = self.gate(["--handshake-timeout", "2000", "--idle-timeout", "20000",
                            "--access-log", self.g_log],
                           backends=[self.backend.addr])
        self.canary = Canary(self.g.port)

    def tearDown(self):
        ok, fail = self.canary.stop()
        try:
            if fail:
                try:
                    with open(self.g_log, errors="replace") as fh:
                        ends = [l for l in fh.read().splitlines()
                                if " end=closed " not in l]
                except OSError:
                    ends = []
                log("canary failed; tlsgate's other ends:\n%s" % "\n".join(ends[-20:]))
            self.assertEqual(fail, [], "the canary client failed")
            self.assertGreater(ok, 0)
            self.assertGateUp(self.g)
        finally:
            super().tearDown()

    def assertActiveBackTo(self, n, timeout=5, g=None):
        # the canary holds one keep-alive connection (and maybe one more)
        (g or self.g).wait_metric("tlsgate_connections_active", lambda v: v <= n,
                                  timeout=timeout)

    def conf(self, name, text):
        p = os.path.join(self.tmp, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    def assertCanaryOk(self, canary, what):
        ok, fail = canary.stop()
        self.assertEqual(fail, [], "%s: the canary on this tlsgate failed" % what)
        self.assertGreater(ok, 0, what)

    def assertRssBounded(self, g, base_kib, limit_mib, what):
        """tlsgate's VmRSS grew by less than LIMIT_MIB since BASE_KIB."""
        now = g.rss_kib()
        log("%s: tlsgate RSS %d -> %d KiB (%+d)" % (what, base_kib, now, now - base_kib))
        self.assertLess(now - base_kib, limit_mib * 1024,
                        "%s: tlsgate's RSS grew by %d KiB" % (what, now - base_kib))

    def failed_hs(self, alert, g=None):
        return (g or self.g).metric("tlsgate_handshakes_failed_total", {"alert": alert})

    def expect_plain_alert(self, data, desc, g=None):
        """Send DATA on a new connection: tlsgate answers with exactly one
        fatal alert DESC in clear and closes, at once."""
        g = g or self.g
        s = tcp(g.port, timeout=5)
        try:
            s.sendall(data)
            got, dt, how = recv_until_close(s, 5)
        finally:
            s.close()
        log("%r...: %r then %s after %.3fs" % (data[:6], got, how, dt))
        self.assertEqual(got, plain_alert(desc), "not exactly a fatal alert %d" % desc)
        self.assertLess(dt, 3)

    # ---- backends ---------------------------------------------------------------

    def test_backend_down_retry(self):
        """Two backends; the first goes down between health checks: every
        request still succeeds (connect refused, retry on the next one)."""
        b2 = Backend()
        try:
            g = self.gate(backends=[b2.addr, self.backend.addr])
            rss0 = g.rss_kib()
            st, _, b = https_get(g.port, "/bytes/1234")
            self.assertEqual((st, b), (200, body(1234)))
            canary = Canary(g.port)
            time.sleep(0.3)
            b2.stop()
            t = time.monotonic()
            for i in range(8):
                st, _, b = https_get(g.port, "/bytes/1234")
                self.assertEqual((st, b), (200, body(1234)), "request %d" % i)
            log("8 requests with one backend down in %.2fs" % (time.monotonic() - t))
            self.assertGreater(g.metric("tlsgate_backend_connect_errors_total"), 0,
                               "the dead backend was never tried (health check first?)")
            self.assertGreater(g.metric("tlsgate_backend_connect_failures_total",
                                        {"backend": b2.addr}), 0)
            self.assertCanaryOk(canary, "one backend going down")
            self.assertRssBounded(g, rss0, 16, "one backend going down")
        finally:
            b2.stop()
        # a dead backend from the start (health check marks it down)
        g = self.gate(backends=[self.down, self.backend.addr])
        rss0 = g.rss_kib()
        canary = Canary(g.port)
        for i in range(6):
            st, _, b = https_get(g.port, "/bytes/1234")
            self.assertEqual((st, b), (200, body(1234)), "request %d" % i)
        self.assertGreaterEqual(g.metric("tlsgate_backend_up"), 1)
        self.assertCanaryOk(canary, "one backend down from the start")
        self.assertRssBounded(g, rss0, 16, "one backend down from the start")

    def _two_pool_conf(self, name, default_servers, extra=""):
        """A config file: the default pool DEFAULT_SERVERS, and a pool
        "live" (the class's backend) for the SNI *.example.net, which the
        canary of such a tlsgate uses."""
        return self.conf(name, (
            'backends = ( { name = "default"; servers = [%s]; },\n'
            '             { name = "live"; servers = ["%s"]; } );\n'
            'routes = ( { sni = "*.example.net"; backend = "live"; } );\n%s'
            % (", ".join('"%s"' % s for s in default_servers), self.backend.addr, extra)))

    def assertInternalErrorAfterHandshake(self, g, timeout, min_s=0.0):
        """A client whose pool has no reachable backend: after its
        handshake, one encrypted fatal internal_error alert and a close
        (FIN), between MIN_S and TIMEOUT s."""
        c = RawTLS(g.port)
        try:
            plain, outcome, dt = c.finish(timeout + 5)
            log("pool down: %s (%s) after %.2fs, records %r" % (
                outcome, c.eof, dt, c.records_after_handshake()))
            self.assertEqual(outcome, "alert:TLSV1_ALERT_INTERNAL_ERROR")
            self.assertEqual(plain, b"")
            self.assertEqual(c.records_after_handshake(), [(0x15, 0x0303, 2 + c.overhead())],
                             "exactly one alert record after the handshake")
            self.assertEqual(c.eof, "fin")
            self.assertGreaterEqual(dt, min_s)
            self.assertLess(dt, timeout)
        finally:
            c.close()

    def assertPoolDown(self, g, backend, n, timeout, min_s=0.0):
        """N clients of a pool whose only server is BACKEND, down: each
        gets internal_error after its handshake (assertInternalError...),
        and each failed connect is counted once, per backend and by the
        worker (docs/failures.md)."""
        fail0 = g.metric("tlsgate_backend_connect_failures_total", {"backend": backend})
        err0 = g.metric("tlsgate_backend_connect_errors_total")
        for _ in range(n):
            self.assertInternalErrorAfterHandshake(g, timeout, min_s=min_s)
        self.assertEqual(g.metric("tlsgate_backend_connect_failures_total",
                                  {"backend": backend}) - fail0, n)
        self.assertEqual(g.metric("tlsgate_backend_connect_errors_total") - err0, n,
                         "tlsgate_backend_connect_errors_total counts a connection "
                         "that found no backend twice")

    def test_backend_all_down(self):
        """Only a refusing backend: after the handshake the client gets an
        encrypted fatal internal_error alert and a close, at once; one
        failed connect counted per connection; other connections of the
        same tlsgate (another pool, by SNI) are unaffected."""
        conf = self._two_pool_conf("alldown.conf", [self.down])
        g = self.gate(["-c", conf, "--connect-timeout", "1000"], certs=("ec", "wild"),
                      backends=[self.down])
        rss0 = g.rss_kib()
        canary = Canary(g.port, sni="canary.example.net")
        self.assertPoolDown(g, self.down, 3, 3)
        self.assertTrue(g.alive())
        self.assertCanaryOk(canary, "all backends of a pool down")
        self.assertRssBounded(g, rss0, 16, "all backends of a pool down")

    def test_backend_connect_timeout(self):
        """A backend that never answers SYNs (not a refusal): with a
        working one after it, requests still succeed, retried on the next
        backend after the connect timeout (1 s); with only the black hole,
        the client gets internal_error after the connect timeout."""
        hole = BlackHole()
        try:
            conf = self.conf("hole.conf", "health_interval = 0;\n")
            g = self.gate(["-c", conf, "--connect-timeout", "1000"],
                          backends=[hole.addr, self.backend.addr])
            rss0 = g.rss_kib()
            canary = Canary(g.port, new_conns=False)
            lat = []
            for i in range(3):
                t = time.monotonic()
                st, _, b = https_get(g.port, "/bytes/1234", timeout=10)
                lat.append(time.monotonic() - t)
                self.assertEqual((st, b), (200, body(1234)), "request %d" % i)
            log("black hole first: requests in %s s" % ["%.2f" % x for x in lat])
            self.assertGreaterEqual(max(lat), 0.8, "the black hole was never tried")
            self.assertLess(max(lat), 1 + 4)
            self.assertGreater(g.metric("tlsgate_backend_connect_failures_total",
                                        {"backend": hole.addr}), 0)
            self.assertGreater(g.metric("tlsgate_backend_connect_errors_total"), 0)
            self.assertCanaryOk(canary, "black hole first")
            self.assertRssBounded(g, rss0, 16, "black hole first")

            # only the black hole in the default pool
            conf = self._two_pool_conf("hole2.conf", [hole.addr], "health_interval = 0;\n")
            g = self.gate(["-c", conf, "--connect-timeout", "1000"], certs=("ec", "wild"),
                          backends=[hole.addr])
            rss0 = g.rss_kib()
            canary = Canary(g.port, sni="canary.example.net")
            self.assertPoolDown(g, hole.addr, 2, 1 + 3, min_s=0.8)
            self.assertCanaryOk(canary, "black hole only")
            self.assertRssBounded(g, rss0, 16, "black hole only")
        finally:
            hole.close()

    def test_connect_retries_limit(self):
        """connect_retries = 1: a connection tries at most 2 servers of its
        pool (the first and one retry). Pool: three refusing servers, then
        a working one, health checks off: the first connection tries the
        first two, gets internal_error and is closed."""
        downs = ["127.0.0.1:%d" % free_port() for _ in range(3)]
        conf = self.conf("retries.conf", "connect_retries = 1;\nhealth_interval = 0;\n")
        g = self.gate(["-c", conf], backends=downs + [self.backend.addr])
        c = RawTLS(g.port)
        try:
            c.send(b"GET /bytes/10 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            plain, outcome, dt = c.finish(5)
        finally:
            c.close()
        tried = [int(g.metric("tlsgate_backend_connect_failures_total", {"backend": d}))
                 for d in downs]
        log("connect_retries = 1: %s, failed connects %r, %r" % (outcome, tried, plain[:12]))
        self.assertEqual(sum(tried), 2, "connect attempts beyond connect_retries")
        self.assertEqual((plain, outcome), (b"", "alert:TLSV1_ALERT_INTERNAL_ERROR"))

    def test_backend_closes_mid_stream(self):
        """GET /close: 64 KiB of a promised 1 MiB, then the backend closes:
        the client gets exactly those bytes, then the connection closes."""
        ctx = client_ctx()
        with tcp(self.g.port, timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(b"GET /close HTTP/1.1\r\nHost: x\r\n\r\n")
                f = s.makefile("rb")
                st, h, b = read_response(f)
                f.close()
                self.assertEqual(st, 200)
                self.assertEqual(int(h["content-length"]), 1 << 20)
                self.assertEqual(len(b), 65536, "truncated body")
                self.assertEqual(b, body(65536))
        r = curl(["-k", "-o", "/dev/null", "https://%s:%d/close" % (thost(), self.g.port)],
                 check=False)
        self.assertEqual(r.returncode, 18, r.stderr)  # CURLE_PARTIAL_FILE
        self.assertActiveBackTo(1)

    # ---- timeouts -----------------------------------------------------------------

    def test_idle_timeout(self):
        """--idle-timeout 1500: a connection idle after its response gets a
        close_notify and a close 1.5 s later, counted once in
        tlsgate_idle_timeouts_total; a busy connection alongside (a request
        every 100 ms for 3.5 s) is not touched."""
        g = self.gate(["--idle-timeout", "1500"])
        idle0 = g.metric("tlsgate_idle_timeouts_total")
        busy = Canary(g.port, new_conns=False)
        c = RawTLS(g.port)
        t_start = time.monotonic()
        try:
            c.send(b"GET /bytes/10 HTTP/1.1\r\nHost: localhost\r\n\r\n")
            plain, outcome, dt = c.finish(1.5 + 5)
            log("idle connection: %s (%s) after %.2fs" % (outcome, c.eof, dt))
            self.assertTrue(plain.startswith(b"HTTP/1.1 200 "), plain[:40])
            self.assertTrue(plain.endswith(b"\r\n\r\n" + body(10)), plain[-40:])
            self.assertEqual(outcome, "close_notify")
            self.assertEqual(c.records_after_handshake()[-1], (0x15, 0x0303, 2 + c.overhead()),
                             "the close_notify is the last record")
            self.assertEqual(c.eof, "fin")
            self.assertGreaterEqual(dt, 1.2)
            self.assertLess(dt, 1.5 + 3)
        finally:
            c.close()
        # the busy connection outlives two idle periods
        time.sleep(max(0.0, 3.5 - (time.monotonic() - t_start)))
        self.assertCanaryOk(busy, "busy connection beside an idle one")
        self.assertEqual(g.metric("tlsgate_idle_timeouts_total") - idle0, 1)
        self.assertActiveBackTo(0, g=g)

    def test_idle_timeout_client_not_reading(self):
        """A client that stops reading a download: once nothing moves in
        either direction for the idle timeout (1.5 s), the connection is
        closed and its slot and buffers are freed, unread data or not."""
        dl = StreamBackend(64 << 20)
        try:
            g = self.gate(["--idle-timeout", "1500"], backends=[dl.addr])
            s = self._stalled_download(g, dl)
            try:
                log("client not reading: backend stalled after %d bytes" % dl.written)
                g.wait_metric("tlsgate_idle_timeouts_total", lambda v: v >= 1, timeout=6)
                # the flow must not stay behind in its closing state,
                # waiting for a reader that never comes
                g.wait_metric("tlsgate_connections_active", lambda v: v == 0, timeout=6)
            finally:
                s.close()
        finally:
            dl.close()

    # ---- back-pressure ------------------------------------------------------------------

    def test_backpressure_download(self):
        """A client that never reads a large download: the backend's writes
        stall after no more than max_buffer + the socket buffers on the
        way; tlsgate itself holds no more than its output buffer (from the
        kernel's queue sizes), has stopped reading the backend (bytes wait
        unread in its socket) and its RSS stays bounded."""
        r_max, w_max = sysctl_max("tcp_rmem"), sysctl_max("tcp_wmem")
        mine = 65536 * 2 * 2  # the client's SO_RCVBUF and the backend's SO_SNDBUF, doubled
        bound = MAX_BUFFER + CIN_CAP + r_max + w_max + mine + (1 << 20)
        total = max(64 << 20, 2 * bound)
        dl = StreamBackend(total)
        try:
            g = self.gate(backends=[dl.addr])
            rss0 = g.rss_kib()
            s = self._stalled_download(g, dl)
            q = tcp_queues()
            cport, bport = s.getsockname()[1], dl.conn.getpeername()[1]
            client_rx = q[(cport, g.port)][1]
            gate_ctx = q[(g.port, cport)][0]
            backend_tx = q[(dl.port, bport)][0]
            gate_brx = q[(bport, dl.port)][1]
            # plaintext tlsgate took from the backend minus the ciphertext
            # it handed to the client's side: what it holds itself
            held = dl.head + dl.written - backend_tx - gate_brx - gate_ctx - client_rx
            log("download: backend wrote %d of %d (bound %d); queues: backend tx %d, "
                "tlsgate rx %d | tlsgate tx %d, client rx %d; held in tlsgate ~%d" % (
                    dl.written, total, bound, backend_tx, gate_brx, gate_ctx, client_rx, held))
            self.assertLess(dl.written, total)
            self.assertLessEqual(dl.written, bound)
            self.assertGreater(gate_brx, 0, "tlsgate did not leave backend bytes unread")
            self.assertLessEqual(held, MAX_BUFFER + CIN_CAP + 65536,
                                 "tlsgate buffers more than its output buffer")
            # still stalled a second later: not just slow
            w = dl.written
            time.sleep(1.0)
            self.assertEqual(dl.written, w)
            self.assertRssBounded(g, rss0, 16, "client not reading a download")
            s.close()
            self.assertActiveBackTo(0, g=g)
        finally:
            dl.close()

    def _stalled_upload(self, g, sink, total):
        """A client that sends TOTAL bytes through G to SINK (which reads
        nothing) until its writes stall for 1 s: (TLS socket, bytes the
        client wrote)."""
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
        raw.settimeout(10)
        raw.connect((HOST, g.port))
        s = client_ctx().wrap_socket(raw, server_hostname="localhost")
        head = b"POST /sha256 HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % total
        s.sendall(head)
        sent = len(head)
        chunk = PATTERN[:16384]
        s.settimeout(0.5)
        last = time.monotonic()
        end = last + 20
        while sent < total + len(head) and time.monotonic() < end:
            try:
                n = s.send(chunk)
            except socket.timeout:
                if time.monotonic() - last > 1.0:
                    break
                continue
            sent += n
            last = time.monotonic()
        return s, sent

    def _stalled_download(self, g, dl):
        """A client that asks DL (through G) for its download and reads
        nothing; returns the TLS socket once the backend's writes stalled."""
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        raw.settimeout(10)
        raw.connect((HOST, g.port))
        s = client_ctx().wrap_socket(raw, server_hostname="localhost")
        s.sendall(b"GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n")
        self.assertTrue(dl.wait_stalled(1.0, timeout=20),
                        "the backend wrote all %d bytes to a client that reads nothing" % dl.total)
        return s

    def test_smallest_max_buffer(self):
        """limits.max_buffer at its minimum (32 KiB): downloads and uploads
        of many buffers' worth still complete, byte for byte (tlsgate once
        stopped reading a backend for good when max_buffer was under two
        client read buffers)."""
        g = self.gate(["-c", self.conf("small.conf", "limits = { max_buffer = 32768; };\n")])
        n = 4 << 20
        st, h, b = https_get(g.port, "/bytes/%d" % n, timeout=30)
        self.assertEqual(st, 200)
        self.assertEqual(len(b), n)
        self.assertEqual(hashlib.sha256(b).hexdigest(), body_sha256(n))
        ctx = client_ctx()
        with socket.create_connection((HOST, g.port), timeout=30) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(b"POST /sha256 HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                          b"Connection: close\r\n\r\n" % n)
                for chunk in body_chunks(n):
                    s.sendall(chunk)
                f = s.makefile("rb")
                st, h, b = read_response(f)
                f.close()
        self.assertEqual(st, 200)
        self.assertEqual(b.decode().strip(), body_sha256(n))

    def test_backpressure_upload(self):
        """A backend that never reads an upload: the client's writes stall
        after no more than max_buffer + the socket buffers; tlsgate holds
        no more than its input buffers, has stopped reading the client and
        its RSS stays bounded."""
        r_max, w_max = sysctl_max("tcp_rmem"), sysctl_max("tcp_wmem")
        mine = 65536 * 2 * 2  # the client's SO_SNDBUF and the backend's SO_RCVBUF, doubled
        bound = MAX_BUFFER + CIN_CAP + r_max + w_max + mine + (1 << 20)
        total = max(64 << 20, 2 * bound)
        sink = SinkBackend()
        try:
            g = self.gate(backends=[sink.addr])
            rss0 = g.rss_kib()
            s, sent = self._stalled_upload(g, sink, total)
            self.assertLess(sent, total, "the client sent it all to a backend that reads nothing")
            q = tcp_queues()
            cport = s.getsockname()[1]
            bports = [c.getpeername()[1] for c in sink.conns]
            client_tx = q[(cport, g.port)][0]
            gate_crx = q[(g.port, cport)][1]
            gate_btx = sum(q.get((p, sink.port), (0, 0))[0] for p in bports)
            backend_rx = sink.queued()
            # plaintext the client wrote (a record or so may be in flight)
            # minus what sits in the kernel's queues on both sides
            held = sent - client_tx - gate_crx - gate_btx - backend_rx
            log("upload: client wrote %d of %d (bound %d); queues: client tx %d, tlsgate rx "
                "%d | tlsgate tx %d, backend rx %d; held in tlsgate ~%d" % (
                    sent, total, bound, client_tx, gate_crx, gate_btx, backend_rx, held))
            self.assertLessEqual(sent, bound)
            self.assertGreater(backend_rx, 0, "the backend got nothing")
            self.assertGreater(gate_crx, 0, "tlsgate did not leave client bytes unread")
            self.assertLessEqual(held, MAX_BUFFER + CIN_CAP + 65536,
                                 "tlsgate buffers more than its input buffers")
            # still stalled: not just slow
            time.sleep(0.5)
            self.assertEqual(tcp_queues()[(g.port, cport)][1], gate_crx)
            self.assertRssBounded(g, rss0, 16, "backend not reading an upload")
            s.close()
        finally:
            sink.close()
        self.assertActiveBackTo(0, g=g)

    def test_peer_reset_while_backpressured(self):
        """A peer that resets its connection while tlsgate has stopped
        reading it (the other side not taking more): tlsgate closes the
        flow and does not spin on the socket's pending error. (1) a client
        resets a stalled upload; (2) a backend resets a stalled download."""
        sink = SinkBackend()
        try:
            g = self.gate(backends=[sink.addr])
            s, sent = self._stalled_upload(g, sink, 256 << 20)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()  # RST
            time.sleep(0.5)
            c0 = cpu_seconds(g.pid)
            time.sleep(1.5)
            cpu = cpu_seconds(g.pid) - c0
            log("client reset a stalled upload: tlsgate used %.2f s of CPU in 1.5 s" % cpu)
            with self.subTest("client resets a stalled upload"):
                self.assertLess(cpu, 0.3, "tlsgate spins after a client reset (stalled upload)")
                self.assertActiveBackTo(0, timeout=3, g=g)
        finally:
            sink.close()
        dl = StreamBackend(256 << 20)
        try:
            g = self.gate(backends=[dl.addr])
            s = self._stalled_download(g, dl)
            dl.stop_ev.set()
            dl.t.join(5)
            dl.conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            dl.conn.close()  # RST
            dl.conn = None
            time.sleep(0.5)
            c0 = cpu_seconds(g.pid)
            time.sleep(1.5)
            cpu = cpu_seconds(g.pid) - c0
            log("backend reset a stalled download: tlsgate used %.2f s of CPU in 1.5 s" % cpu)
            s.close()
            with self.subTest("backend resets a stalled download"):
                self.assertLess(cpu, 0.3, "tlsgate spins after a backend reset (stalled download)")
        finally:
            dl.close()

    # ---- clients that go away ------------------------------------------------------

    def test_client_vanishes_mid_handshake(self):
        hello = client_hello()
        rss0 = self.g.rss_kib()
        for rnd in range(3):
            for cut in (5, len(hello) // 2, len(hello) - 1):
                s = tcp(self.g.port, timeout=5)
                s.sendall(hello[:cut])
                time.sleep(0.05)
                s.close()
            # and once after the whole ClientHello (server flight in the air)
            s = tcp(self.g.port, timeout=5)
            s.sendall(hello)
            s.recv(10)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()  # RST
        self.assertActiveBackTo(1, timeout=3)
        self.assertEqual(self.g.metric("tlsgate_handshake_timeouts_total"), 0)
        self.assertRssBounded(self.g, rss0, 16, "clients vanishing mid-handshake")

    def test_client_vanishes_mid_body(self):
        ctx = client_ctx()
        before = self.g.metric("tlsgate_connections_accepted_total")
        rss0 = self.g.rss_kib()
        for how in ("close", "rst", "close", "rst"):
            raw = tcp(self.g.port, timeout=10)
            s = ctx.wrap_socket(raw, server_hostname="localhost")
            s.sendall(b"GET /bytes/%d HTTP/1.1\r\nHost: x\r\n\r\n" % (100 << 20))
            got = 0
            while got < (1 << 20):
                got += len(s.recv(65536))
            if how == "rst":
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()
            self.assertActiveBackTo(1, timeout=5)
        self.assertGreaterEqual(self.g.metric("tlsgate_connections_accepted_total"), before + 4)
        self.assertRssBounded(self.g, rss0, 16, "clients vanishing mid-body")

    # ---- hostile input ------------------------------------------------------------------

    def test_slowloris_handshake(self):
        """One byte a second of a ClientHello: closed after the handshake
        timeout (2 s here) without an alert, counted in
        tlsgate_handshake_timeouts_total."""
        hello = client_hello()
        rss0 = self.g.rss_kib()
        s = tcp(self.g.port, timeout=10)
        t = time.monotonic()
        closed_at = None
        got = b""
        for i in range(10):
            try:
                s.sendall(hello[i:i + 1])
            except OSError:
                closed_at = time.monotonic() - t
                break
            s.settimeout(1.0)
            try:
                d = s.recv(100)
                got += d
                if d == b"":
                    closed_at = time.monotonic() - t
                    break
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed_at = time.monotonic() - t
                break
        s.close()
        self.assertIsNotNone(closed_at, "slowloris connection never closed")
        log("slowloris closed after %.2fs (handshake timeout 2s)" % closed_at)
        self.assertEqual(got, b"", "a handshake timeout is a close without an alert")
        self.assertGreaterEqual(closed_at, 1.5)
        self.assertLess(closed_at, 5.0)
        self.assertGreaterEqual(self.g.metric("tlsgate_handshake_timeouts_total"), 1)
        self.assertRssBounded(self.g, rss0, 16, "slowloris")

    def test_garbage(self):
        """Bytes that are no TLS record: a fatal unexpected_message alert in
        clear, then a close; a handshake record with a major version other
        than 3: protocol_version. Counted by alert."""
        rnd = random.Random(1234)
        rss0 = self.g.rss_kib()
        um0 = self.failed_hs("unexpected_message")
        pv0 = self.failed_hs("protocol_version")
        n = 0
        for rnd_i in range(3):
            for i in range(5):
                data = bytes(rnd.getrandbits(8) for _ in range(4096))
                if 0x14 <= data[0] <= 0x18:
                    data = b"\x00" + data[1:]
                self.expect_plain_alert(data, UNEXPECTED_MESSAGE)
                n += 1
            if rnd_i == 0:
                rss1 = self.g.rss_kib()
        self.expect_plain_alert(b"\x16\x07\x01\x00\x30" + bytes(48), PROTOCOL_VERSION)
        self.assertEqual(self.failed_hs("unexpected_message") - um0, n)
        self.assertEqual(self.failed_hs("protocol_version") - pv0, 1)
        self.assertActiveBackTo(1)
        self.assertRssBounded(self.g, rss0, 16, "garbage")
        self.assertRssBounded(self.g, rss1, 4, "garbage, after the first round")

    def test_plaintext_http(self):
        """A plaintext HTTP request on the TLS port: unexpected_message in
        clear, then a close; no HTTP answer."""
        um0 = self.failed_hs("unexpected_message")
        self.expect_plain_alert(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", UNEXPECTED_MESSAGE)
        self.assertEqual(self.failed_hs("unexpected_message") - um0, 1)
        self.assertActiveBackTo(1)

    def test_oversized_record_before_handshake(self):
        """A handshake record header over 2^14 bytes: record_overflow in
        clear, at once (without waiting for the body); an application data
        record first: unexpected_message."""
        ro0 = self.failed_hs("record_overflow")
        um0 = self.failed_hs("unexpected_message")
        for ctype, length, desc in ((0x16, REC_MAX_PLAIN + 1, RECORD_OVERFLOW),
                                    (0x16, 20000, RECORD_OVERFLOW),
                                    (0x16, 0xFFFF, RECORD_OVERFLOW),
                                    (0x17, 20000, UNEXPECTED_MESSAGE)):
            self.expect_plain_alert(bytes([ctype, 3, 1, length >> 8, length & 0xFF]) +
                                    b"\x01" * 100, desc)
        self.assertEqual(self.failed_hs("record_overflow") - ro0, 3)
        self.assertEqual(self.failed_hs("unexpected_message") - um0, 1)
        self.assertActiveBackTo(1)

    def test_oversized_record_after_handshake(self):
        """After the handshake: a record whose length is over the suite's
        limit (2^14 + nonce + tag) gets an encrypted fatal record_overflow,
        one over RFC 5246's 2^14 + 2048 too, at the header; a record that
        does not authenticate gets bad_record_mac. Each is followed by a
        close (FIN) and counted in tlsgate_record_errors_total."""
        cases = (("over the suite's limit", 16409, True, "TLSV1_ALERT_RECORD_OVERFLOW"),
                 ("bad MAC", 100, True, "SSLV3_ALERT_BAD_RECORD_MAC"),
                 ("over 2^14 + 2048", REC_MAX_CT + 1, False, "TLSV1_ALERT_RECORD_OVERFLOW"))
        for name, n, whole, reason in cases:
            e0 = self.g.metric("tlsgate_record_errors_total")
            c = RawTLS(self.g.port)
            try:
                rec = bytes([0x17, 3, 3, n >> 8, n & 0xFF]) + bytes(n if whole else 64)
                c.send_raw(rec)
                plain, outcome, dt = c.finish(5)
                log("%s: %s (%s) after %.3fs" % (name, outcome, c.eof, dt))
                self.assertEqual((plain, outcome), (b"", "alert:" + reason), name)
                self.assertEqual(c.records_after_handshake(), [(0x15, 0x0303, 2 + c.overhead())],
                                 "%s: exactly one alert record" % name)
                self.assertEqual(c.eof, "fin", name)
                self.assertLess(dt, 3, name)
            finally:
                c.close()
            self.assertEqual(self.g.metric("tlsgate_record_errors_total") - e0, 1,
                             "%s: not counted in tlsgate_record_errors_total" % name)
        self.assertActiveBackTo(1)

    def test_backend_resets_after_response(self):
        """A backend that answers and then resets (it closed with request
        bytes unread, SO_LINGER 0): the response that arrived before the
        reset still reaches the client, then a close without close_notify
        (the client can tell the stream was cut), counted as a backend
        that closed early."""
        resp = b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 5\r\nConnection: close\r\n\r\nlarge"
        l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        l.bind((HOST, 0))
        l.listen(8)
        addr = "%s:%d" % l.getsockname()

        def serve():
            l.settimeout(10)
            try:
                while True:
                    c, _ = l.accept()
                    c.settimeout(5)
                    try:
                        if not c.recv(100):  # a health check: no request
                            c.close()
                            continue
                        c.sendall(resp)
                        time.sleep(0.2)  # the response is on its way
                        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     struct.pack("ii", 1, 0))
                        c.close()  # RST
                        return
                    except OSError:
                        c.close()
            except OSError:
                return
        t = threading.Thread(target=serve, daemon=True)
        t.start()
        try:
            g = self.gate(["-c", self.conf("rst.conf", "health_interval = 0;\n")],
                          backends=[addr])
            early0 = g.metric("tlsgate_backend_closed_early_total")
            c = RawTLS(g.port)
            try:
                # more than the backend reads: its close is a reset
                c.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
                       + bytes(16000))
                plain, outcome, dt = c.finish(5)
            finally:
                c.close()
            log("backend reset after its response: %r, %s, %s" % (plain[:40], outcome, c.eof))
            self.assertEqual(plain, resp)
            self.assertEqual(outcome, "eof", "close_notify after a cut backend stream")
            self.assertEqual(g.metric("tlsgate_backend_closed_early_total") - early0, 1)
            self.assertActiveBackTo(0, g=g)
        finally:
            l.close()
            t.join(5)

    def test_closing_does_not_spin(self):
        """A backend that sends a response and closes (FIN) while the
        client is not reading: tlsgate holds the rest of the response in
        its closing state, and does not spin on the backend's readable
        FIN; the client then gets every byte and close_notify."""
        n = 150000  # under max_buffer: all of it read before the FIN
        dl = StreamBackend(n)
        try:
            g = self.gate(backends=[dl.addr])
            raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            raw.connect((HOST, g.port))
            s = client_ctx().wrap_socket(raw, server_hostname="localhost",
                                         suppress_ragged_eofs=False)
            s.settimeout(10)
            s.sendall(b"GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n")
            end = time.monotonic() + 5
            while dl.written < n and time.monotonic() < end:
                time.sleep(0.05)
            self.assertEqual(dl.written, n, "the backend did not finish its response")
            dl.conn.shutdown(socket.SHUT_WR)  # its FIN, after the last byte
            time.sleep(0.3)
            c0 = cpu_seconds(g.pid)
            time.sleep(1.5)
            cpu = cpu_seconds(g.pid) - c0
            log("closing with a client not reading: %.2f s of CPU in 1.5 s" % cpu)
            self.assertLess(cpu, 0.3, "tlsgate spins in its closing state")
            got = recv_all(s)
            self.assertTrue(got.startswith(b"HTTP/1.1 200"), got[:40])
            self.assertGreaterEqual(len(got), n)
            s.close()
        finally:
            dl.close()

    # ---- floods ----------------------------------------------------------------------------

    def test_handshake_queue_full(self):
        """limits.hs_queue = 16, handshakes inline: a burst of 96
        ClientHellos at once overflows the ring to the control plane. The
        excess connections are closed at once without a byte (FIN, no
        hang), each counted in tlsgate_handshake_ring_full_total; the
        others get their ServerHello; an established connection is
        unaffected and new connections succeed afterwards."""
        conf = self.conf("hsq.conf", "limits = { hs_queue = 16; };\n")
        g = self.gate(["-c", conf, "--control", "inline"])
        self.assertIn("inline", g.stderr())
        keep = Canary(g.port, new_conns=False)
        time.sleep(0.3)
        rss0 = g.rss_kib()
        full0 = g.metric("tlsgate_handshake_ring_full_total")
        acc0 = g.metric("tlsgate_connections_accepted_total")
        hello = client_hello()
        n = 96
        socks = [socket.create_connection((HOST, g.port), timeout=5) for _ in range(n)]
        g.wait_metric("tlsgate_connections_accepted_total", lambda v: v >= acc0 + n)
        for s in socks:
            s.sendall(hello)
        outcome = {}
        end = time.monotonic() + 10
        for i, s in enumerate(socks):
            s.settimeout(max(0.1, end - time.monotonic()))
            try:
                d = s.recv(5)
                outcome[i] = "server-hello" if d[:3] == b"\x16\x03\x03" else \
                    "fin" if d == b"" else "bytes %r" % d
            except ConnectionResetError:
                outcome[i] = "rst"
            except socket.timeout:
                outcome[i] = "hang"
        for s in socks:
            s.close()
        kinds = {k: sum(1 for v in outcome.values() if v == k) for k in set(outcome.values())}
        full = g.metric("tlsgate_handshake_ring_full_total") - full0
        log("handshake ring: %r, ring full %d" % (kinds, full))
        self.assertEqual(set(kinds) - {"server-hello", "fin"}, set(), kinds)
        self.assertGreater(kinds.get("fin", 0), 0, "the ring never filled")
        self.assertGreater(kinds.get("server-hello", 0), 0)
        self.assertEqual(kinds["fin"], full)
        self.assertActiveBackTo(1, g=g)
        for i in range(5):
            st, _, b = https_get(g.port, "/bytes/1000")
            self.assertEqual((st, b), (200, body(1000)))
        self.assertCanaryOk(keep, "handshake ring full")
        self.assertRssBounded(g, rss0, 32, "handshake ring full")

    def test_handshake_flood(self):
        """--max-conns 50: 200 sockets that never finish their handshake.
        The 150 over the limit are closed at once, the 50 by the handshake
        timeout; then new connections work; memory stays bounded."""
        g = self.gate(["--max-conns", "50", "--handshake-timeout", "3000"])
        keep = Canary(g.port, new_conns=False)  # established before the flood
        time.sleep(0.3)
        rss0 = g.rss_kib()
        hello = client_hello()
        socks = []
        for i in range(200):
            s = tcp(g.port, timeout=5)
            s.sendall(hello[:20])  # never completes
            socks.append(s)

        def poll_closed(closed, until, want, pause):
            # add to closed the sockets the server closed, until `want`
            # of them are or the time is up
            while time.monotonic() < until and len(closed) < want:
                for i, s in enumerate(socks):
                    if i in closed:
                        continue
                    s.settimeout(0.001)
                    try:
                        if s.recv(10) == b"":
                            closed.add(i)
                    except socket.timeout:
                        pass
                    except OSError:
                        closed.add(i)
                time.sleep(pause)

        t = time.monotonic()
        closed = set()
        poll_closed(closed, t + 2.5, 151, 0.05)
        # the canary's keep-alive connection takes one of the 50 slots
        log("flood: %d of 200 closed within %.2fs" % (len(closed), time.monotonic() - t))
        self.assertEqual(len(closed), 151)
        self.assertGreaterEqual(g.metric("tlsgate_connections_refused_total"), 151)
        rss1 = g.rss_kib()
        # the handshake timeout frees the 49 others
        poll_closed(closed, time.monotonic() + 6, 200, 0.1)
        for s in socks:
            s.close()
        self.assertEqual(len(closed), 200, "the held handshakes were not timed out")
        st, _, b = https_get(g.port, "/bytes/100")
        self.assertEqual((st, b), (200, body(100)))
        ok, fail = keep.stop()
        self.assertEqual(fail, [])
        self.assertGreater(ok, 0)
        rss2 = g.rss_kib()
        log("flood RSS: %d -> %d -> %d KiB" % (rss0, rss1, rss2))
        self.assertLess(rss1 - rss0, 100 * 1024)
        self.assertLess(rss2 - rss0, 100 * 1024)


if __name__ == "__main__":
    from tg_e2e import main
    main()
