#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""tlsgate end to end: failures. Backends down or closing mid-stream,
clients vanishing, slowloris, garbage, oversized records, handshake floods;
a canary client keeps checking that other connections are unaffected."""
import hashlib
import os
import random
import socket
import ssl
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tg_e2e import (E2E, HOST, Backend, body, body_sha256, client_ctx, curl,  # noqa: E402
                    free_port, https_get, log, read_response)


class Canary:
    """Background client: a new connection with a GET every 100 ms, and one
    keep-alive connection with a GET every 100 ms. Counts failures."""

    def __init__(self, port, new_conns=True):
        self.port = port
        self.new_conns = new_conns
        self.ok = 0
        self.fail = []
        self.stop_ev = threading.Event()
        self.ctx = client_ctx()
        self.keep = None
        self.t = threading.Thread(target=self.loop, daemon=True)
        self.t.start()

    def _keepalive_get(self):
        if self.keep is None:
            raw = socket.create_connection((HOST, self.port), timeout=10)
            s = self.ctx.wrap_socket(raw, server_hostname="localhost")
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
                    st, _, b = https_get(self.port, "/bytes/5000", ctx=self.ctx, timeout=10)
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


def recv_until_close(s, timeout):
    """Read until EOF or reset; returns (bytes, seconds) or raises timeout."""
    s.settimeout(timeout)
    t = time.monotonic()
    data = b""
    while True:
        try:
            b = s.recv(65536)
        except ConnectionResetError:
            break
        if not b:
            break
        data += b
    return data, time.monotonic() - t


def is_alert_or_nothing(data):
    """An alert record (plaintext: before keys) or nothing at all."""
    return data == b"" or (data[0] == 0x15 and data[1:3] == b"\x03\x03")


class Failures(E2E):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

    def setUp(self):
        super().setUp()
        self.down = "127.0.0.1:%d" % free_port()  # nothing listens there
        self.g = self.gate(["--handshake-timeout", "2000", "--idle-timeout", "20000"],
                           backends=[self.backend.addr])
        self.canary = Canary(self.g.port)

    def tearDown(self):
        ok, fail = self.canary.stop()
        try:
            self.assertEqual(fail, [], "the canary client failed")
            self.assertGreater(ok, 0)
            self.assertGateUp(self.g)
        finally:
            super().tearDown()

    def assertActiveBackTo(self, n, timeout=5):
        # the canary holds one keep-alive connection (and maybe one more)
        self.g.wait_metric("tlsgate_connections_active", lambda v: v <= n, timeout=timeout)

    # ---- backends ---------------------------------------------------------------

    def test_backend_down_retry(self):
        """Two backends; the first goes down between health checks: every
        request still succeeds (connect refused, retry on the next one)."""
        b2 = Backend()
        try:
            g = self.gate(backends=[b2.addr, self.backend.addr])
            st, _, b = https_get(g.port, "/bytes/1234")
            self.assertEqual((st, b), (200, body(1234)))
            b2.stop()
            t = time.monotonic()
            for i in range(8):
                st, _, b = https_get(g.port, "/bytes/1234")
                self.assertEqual((st, b), (200, body(1234)), "request %d" % i)
            log("8 requests with one backend down in %.2fs" % (time.monotonic() - t))
            self.assertGreater(g.metric("tlsgate_backend_connect_errors_total"), 0,
                               "the dead backend was never tried (health check first?)")
        finally:
            b2.stop()
        # a dead backend from the start (health check marks it down)
        g = self.gate(backends=[self.down, self.backend.addr])
        for i in range(6):
            st, _, b = https_get(g.port, "/bytes/1234")
            self.assertEqual((st, b), (200, body(1234)), "request %d" % i)
        self.assertGreaterEqual(g.metric("tlsgate_backend_up"), 1)

    def test_backend_all_down(self):
        """Only a dead backend: the client gets an alert (internal_error) or a
        close, never a hang; tlsgate stays up."""
        g = self.gate(["--connect-timeout", "1000"], backends=[self.down])
        ctx = client_ctx()
        for i in range(3):
            t = time.monotonic()
            with socket.create_connection((HOST, g.port), timeout=10) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                    s.settimeout(10)
                    with self.assertRaises((ssl.SSLError, ConnectionError)) as cm:
                        d = s.recv(100)
                        if d == b"":
                            raise ConnectionError("closed")
                    log("all backends down: %r after %.2fs" % (cm.exception,
                                                                time.monotonic() - t))
                    self.assertLess(time.monotonic() - t, 5)  # connect timeout 1 s
        self.assertTrue(g.alive())
        self.assertGreater(g.metric("tlsgate_backend_connect_errors_total"), 0)

    def test_backend_closes_mid_stream(self):
        """GET /close: 64 KiB of a promised 1 MiB, then the backend closes:
        the client gets exactly those bytes, then the connection closes."""
        ctx = client_ctx()
        with socket.create_connection((HOST, self.g.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(b"GET /close HTTP/1.1\r\nHost: x\r\n\r\n")
                f = s.makefile("rb")
                st, h, b = read_response(f)
                f.close()
                self.assertEqual(st, 200)
                self.assertEqual(int(h["content-length"]), 1 << 20)
                self.assertEqual(len(b), 65536, "truncated body")
                self.assertEqual(b, body(65536))
        r = curl(["-k", "-o", "/dev/null", "https://127.0.0.1:%d/close" % self.g.port],
                 check=False)
        self.assertEqual(r.returncode, 18, r.stderr)  # CURLE_PARTIAL_FILE
        self.assertActiveBackTo(1)

    # ---- clients that go away ------------------------------------------------------

    def test_client_vanishes_mid_handshake(self):
        hello = self._client_hello()
        for cut in (5, len(hello) // 2, len(hello) - 1):
            s = socket.create_connection((HOST, self.g.port), timeout=5)
            s.sendall(hello[:cut])
            time.sleep(0.05)
            s.close()
        # and once after the whole ClientHello (server flight in the air)
        s = socket.create_connection((HOST, self.g.port), timeout=5)
        s.sendall(hello)
        s.recv(10)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()  # RST
        self.assertActiveBackTo(1, timeout=3)
        self.assertEqual(self.g.metric("tlsgate_handshake_timeouts_total"), 0)

    def test_client_vanishes_mid_body(self):
        ctx = client_ctx()
        before = self.g.metric("tlsgate_connections_accepted_total")
        for how in ("close", "rst"):
            raw = socket.create_connection((HOST, self.g.port), timeout=10)
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
        self.assertGreaterEqual(self.g.metric("tlsgate_connections_accepted_total"), before + 2)

    # ---- hostile input ------------------------------------------------------------------

    def _client_hello(self):
        """A real ClientHello, captured from Python's ssl with memory BIOs."""
        ctx = client_ctx()
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        return out.read()

    def test_slowloris_handshake(self):
        """One byte a second of a ClientHello: closed after the handshake
        timeout (2 s here), counted in tlsgate_handshake_timeouts_total."""
        hello = self._client_hello()
        s = socket.create_connection((HOST, self.g.port), timeout=10)
        t = time.monotonic()
        closed_at = None
        for i in range(10):
            try:
                s.sendall(hello[i:i + 1])
            except OSError:
                closed_at = time.monotonic() - t
                break
            s.settimeout(1.0)
            try:
                d = s.recv(100)
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
        self.assertGreaterEqual(closed_at, 1.5)
        self.assertLess(closed_at, 5.0)
        self.assertGreaterEqual(self.g.metric("tlsgate_handshake_timeouts_total"), 1)

    def test_garbage(self):
        rnd = random.Random(1234)
        for i in range(5):
            data = bytes(rnd.getrandbits(8) for _ in range(4096))
            if 0x14 <= data[0] <= 0x18:
                data = b"\x00" + data[1:]
            s = socket.create_connection((HOST, self.g.port), timeout=5)
            s.sendall(data)
            d, dt = recv_until_close(s, 5)
            s.close()
            self.assertLess(dt, 3, "garbage: closed after %.2fs" % dt)
            self.assertTrue(is_alert_or_nothing(d), d[:20])
        self.assertActiveBackTo(1)

    def test_plaintext_http(self):
        s = socket.create_connection((HOST, self.g.port), timeout=5)
        s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        d, dt = recv_until_close(s, 5)
        s.close()
        log("plaintext HTTP: %r after %.3fs" % (d[:16], dt))
        self.assertLess(dt, 3)
        self.assertTrue(is_alert_or_nothing(d), d[:20])
        self.assertNotIn(b"HTTP/1", d)
        self.assertActiveBackTo(1)

    def test_oversized_record_before_handshake(self):
        """A handshake record header claiming 20000 bytes (over 2^14+2048):
        an alert (record_overflow) or a close, at once."""
        for ctype, length in ((0x16, 20000), (0x16, 0xFFFF), (0x17, 20000)):
            s = socket.create_connection((HOST, self.g.port), timeout=5)
            s.sendall(bytes([ctype, 3, 1, length >> 8, length & 0xFF]) + b"\x01" * 100)
            d, dt = recv_until_close(s, 5)
            s.close()
            log("record of %d: %r after %.3fs" % (length, d[:8], dt))
            self.assertLess(dt, 3)
            self.assertTrue(is_alert_or_nothing(d), d[:20])
            if d:
                self.assertEqual(d[5], 2, "fatal alert")
        self.assertActiveBackTo(1)

    def test_oversized_record_after_handshake(self):
        """After the handshake, a record header of 2^14+2049 bytes (one over
        the limit): record_overflow alert (encrypted) and a close."""
        ctx = client_ctx()
        raw = socket.create_connection((HOST, self.g.port), timeout=5)
        s = ctx.wrap_socket(raw, server_hostname="localhost")
        s.sendall(b"GET /bytes/10 HTTP/1.1\r\nHost: x\r\n\r\n")
        f = s.makefile("rb")
        self.assertEqual(read_response(f)[2], body(10))
        dup = socket.socket(fileno=os.dup(s.fileno()))
        n = (1 << 14) + 2049
        t = time.monotonic()
        dup.sendall(bytes([0x17, 3, 3, n >> 8, n & 0xFF]) + b"\x00" * 64)
        s.settimeout(3)
        with self.assertRaises((ssl.SSLError, ConnectionError)) as cm:
            while True:
                if s.recv(100) == b"":
                    raise ConnectionError("closed")
        log("oversized record after handshake: %r after %.3fs" % (cm.exception,
                                                                  time.monotonic() - t))
        self.assertLess(time.monotonic() - t, 3)
        if isinstance(cm.exception, ssl.SSLError):
            self.assertIn("RECORD_OVERFLOW", str(cm.exception).upper())
        f.close()
        s.close()
        dup.close()
        self.assertGreaterEqual(self.g.metric("tlsgate_record_errors_total"), 0)
        self.assertActiveBackTo(1)

    def test_handshake_flood(self):
        """--max-conns 50: 200 sockets that never finish their handshake.
        The 150 over the limit are closed at once, the 50 by the handshake
        timeout; then new connections work; memory stays bounded."""
        g = self.gate(["--max-conns", "50", "--handshake-timeout", "3000"])
        keep = Canary(g.port, new_conns=False)  # established before the flood
        time.sleep(0.3)
        rss0 = g.rss_kib()
        hello = self._client_hello()
        socks = []
        for i in range(200):
            s = socket.create_connection((HOST, g.port), timeout=5)
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
