#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""tlsgate's operational files end to end: the access log (one line per
connection with the negotiated version, suite, SNI, ALPN and resumption,
and a line for every failed handshake too, with the alert sent or
received) and the pid file."""
import hashlib
import os
import signal
import socket
import time

from tg_e2e import E2E, HOST, body_sha256, client_ctx, client_hello, main, recv_all


def parse(line):
    """'k=v k=v ...' -> dict (values have no spaces)."""
    return dict(kv.split("=", 1) for kv in line.split())


def get_once(port, ctx, sni="localhost", session=None, n=1000):
    """One connection, one GET of N bytes; returns the TLS session."""
    with socket.create_connection((HOST, port), timeout=20) as raw:
        with ctx.wrap_socket(raw, server_hostname=sni, session=session) as s:
            s.sendall(("GET /bytes/%d HTTP/1.1\r\nHost: %s\r\n"
                       "Connection: close\r\n\r\n" % (n, sni)).encode())
            head, _, body = recv_all(s).partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), head[:100]
            assert hashlib.sha256(body).hexdigest() == body_sha256(n)
            return s.session, s.session_reused


class Logs(E2E):
    def log_lines(self, path, n, timeout=10):
        """The first N lines of the access log, parsed (waits for them)."""
        end = time.monotonic() + timeout
        lines = []
        while time.monotonic() < end:
            with open(path) as f:
                lines = [ln for ln in f.read().splitlines() if ln.strip()]
            if len(lines) >= n:
                return [parse(ln) for ln in lines]
            time.sleep(0.05)
        self.fail("%d access log lines, %d expected:\n%s" % (
            len(lines), n, "\n".join(lines)))

    def test_negotiated_parameters(self):
        path = os.path.join(self.tmp, "access-params.log")
        g = self.gate(["--access-log", path, "--alpn", "h2,http/1.1"])
        ctx = client_ctx(self.pki, alpn=["http/1.1"],
                         ciphers="ECDHE-ECDSA-AES256-GCM-SHA384")
        sess, reused = get_once(g.port, ctx)
        self.assertFalse(reused)
        _, reused = get_once(g.port, ctx, session=sess)
        self.assertTrue(reused)
        full, resumed = self.log_lines(path, 2)
        for ln in (full, resumed):
            self.assertEqual(ln["tls"], "TLSv1.2")
            self.assertEqual(ln["suite"], "ECDHE-ECDSA-AES256-GCM-SHA384")
            self.assertEqual(ln["sni"], "localhost")
            self.assertEqual(ln["alpn"], "http/1.1")
            self.assertEqual(ln["backend"], self.backend.addr)
            self.assertEqual(ln["alert"], "-")
            self.assertTrue(ln["client"].startswith("127.0.0.1:"), ln)
            self.assertGreater(int(ln["out"]), 1000)  # ciphertext out
        self.assertEqual(full["resumed"], "no")
        self.assertEqual(resumed["resumed"], "ticket")

    def test_resumed_by_session_id(self):
        path = os.path.join(self.tmp, "access-id.log")
        g = self.gate(["--access-log", path, "--no-tickets"])
        ctx = client_ctx(self.pki)
        sess, _ = get_once(g.port, ctx)
        _, reused = get_once(g.port, ctx, session=sess)
        self.assertTrue(reused)
        full, resumed = self.log_lines(path, 2)
        self.assertEqual(full["resumed"], "no")
        self.assertEqual(resumed["resumed"], "id")
        self.assertEqual(full["alpn"], "-")  # none offered

    def test_failed_handshakes_logged(self):
        path = os.path.join(self.tmp, "access-fail.log")
        g = self.gate(["--access-log", path])
        # an RSA-only suite against an ECDSA certificate: no shared suite
        ctx = client_ctx(self.pki, ciphers="ECDHE-RSA-AES128-GCM-SHA256")
        with self.assertRaises(OSError):
            get_once(g.port, ctx, sni="localhost")
        # not TLS at all
        with socket.create_connection((HOST, g.port), timeout=10) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(10)
            while s.recv(4096):
                pass
        nosuite, http = self.log_lines(path, 2)
        self.assertEqual(nosuite["tls"], "-")
        self.assertEqual(nosuite["suite"], "-")
        self.assertEqual(nosuite["resumed"], "-")
        self.assertEqual(nosuite["sni"], "localhost")  # known by then
        self.assertEqual(nosuite["alert"], "handshake_failure")
        self.assertEqual(nosuite["backend"], "-")
        self.assertEqual(http["tls"], "-")
        self.assertEqual(http["sni"], "-")
        self.assertNotIn(http["alert"], ("-", "close_notify"))
        # and counted by the alert sent
        m = g.metrics()
        self.assertRegex(m, r'tlsgate_handshakes_failed_total\{[^}]*'
                            r'alert="handshake_failure"[^}]*\} 1\b')

    def test_alert_after_handshake_logged(self):
        from test_failures import RawTLS
        path = os.path.join(self.tmp, "access-alert.log")
        g = self.gate(["--access-log", path])
        c = RawTLS(g.port)
        try:
            # an application record that cannot authenticate
            c.send_raw(bytes([0x17, 3, 3, 0, 100]) + bytes(100))
            c.finish(5)
        finally:
            c.close()
        (ln,) = self.log_lines(path, 1)
        self.assertEqual(ln["tls"], "TLSv1.2")
        self.assertEqual(ln["alert"], "bad_record_mac")
        self.assertEqual(ln["end"], "alert")

    def test_sni_escaped(self):
        """A client's SNI is written so that it cannot forge fields or
        lines: '=' and '\\' (the only bytes a host name may carry that
        the log format uses) as \\xNN. A name with a newline, a space or
        another byte outside '!'..'~' is no host name (RFC 6066 §3):
        illegal_parameter, and the line says sni=-."""
        path = os.path.join(self.tmp, "access-sni.log")
        g = self.gate(["--access-log", path])
        plain = b"aaaaaaaaaaa.example"
        hello = client_hello(plain.decode())
        self.assertEqual(hello.count(plain), 1)
        for evil in (b"a=end\\x=b\\c.example", b"a end=x\nb=c.example"):
            self.assertEqual(len(plain), len(evil))  # no length field changes
            with socket.create_connection((HOST, g.port), timeout=10) as s:
                # then a handshake message of an unknown type: a fatal
                # alert, after the ClientHello's SNI was taken in
                s.sendall(hello.replace(plain, evil) +
                          b"\x16\x03\x03\x00\x04\x63\x00\x00\x00")
                while s.recv(4096):
                    pass
        escaped, refused = self.log_lines(path, 2)
        with open(path) as f:
            self.assertEqual(len(f.read().splitlines()), 2, "a forged log line")
        self.assertEqual(escaped["sni"], "a\\x3dend\\x5cx\\x3db\\x5cc.example")
        self.assertEqual(escaped["alert"], "unexpected_message")
        self.assertEqual(refused["sni"], "-")
        self.assertEqual(refused["alert"], "illegal_parameter")

    def test_pid_file(self):
        path = os.path.join(self.tmp, "tlsgate.pid")
        g = self.gate(["--pid-file", path])
        with open(path) as f:
            self.assertEqual(f.read(), "%d\n" % g.pid)
        g.signal(signal.SIGTERM)
        self.assertEqual(g.stop(), 0)
        self.assertFalse(os.path.exists(path), "pid file left after exit")
        # one that cannot be written stops the start, with a reason
        bad = os.path.join(self.tmp, "no-such-dir", "tlsgate.pid")
        g = self.gate(["--pid-file", bad], wait=False)
        self.assertNotEqual(g.proc.wait(30), 0)
        self.assertIn("--pid-file: pid file %s" % bad, g.stderr())


if __name__ == "__main__":
    main()
