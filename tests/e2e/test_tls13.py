#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""TLS 1.3 through tlsgate with real clients that offer TLS 1.3 only:
openssl s_client -tls1_3, curl --tlsv1.3 --tls-max 1.3, gnutls-cli with
a TLS 1.3-only priority and Python's ssl with TLSv1_3 as both bounds.
Bodies are compared by SHA-256; the access log says tls=TLSv1.3; the
tls_versions setting turns either version off."""
import hashlib
import os
import re
import socket
import ssl
import subprocess
import threading
import time
import unittest

from tg_e2e import (E2E, HOST, PP2_CLIENT_CERT_CONN, PP2_CLIENT_CERT_SESS,
                    PP2_CLIENT_SSL, PP2_SUBTYPE_SSL_CIPHER,
                    PP2_SUBTYPE_SSL_VERSION, PP2_TYPE_ALPN, PP2_TYPE_AUTHORITY,
                    Backend, body, body_sha256, curl, file_sha256, have,
                    https_get_sni, main, new_backend, parse_proxy_v2, pp2_tlv,
                    read_response, run, tcp, thost, tool, tpeer)


def s_client13(port, args=(), input=b"", timeout=20):
    return run(tool(["openssl", "s_client", "-connect",
                                 "%s:%d" % (thost(), port), "-tls1_3"] + list(args)),
               input=input, timeout=timeout, check=False)


def brief(out):
    t = out.decode("utf-8", "replace")
    p = re.search(r"Protocol version:\s*(\S+)", t)
    c = re.search(r"Ciphersuite:\s*(\S+)", t)
    return (p.group(1) if p else None, c.group(1) if c else None)


def ctx13(pki, cert=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations(pki.ca)
    if cert:
        ctx.load_cert_chain(cert[0], cert[1])
    return ctx


class Tls13(E2E):

    def url(self, g, path, host="localhost"):
        return "https://%s:%d%s" % (host, g.port, path)

    def curl13(self, g, extra=()):
        return ["--cacert", self.pki.ca, "--resolve",
                "localhost:%d:%s" % (g.port, thost()), "--tlsv1.3",
                "--tls-max", "1.3"] + list(extra)

    def test_s_client(self):
        g = self.gate(certs=("ec", "rsa"))
        for suite in ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                      "TLS_CHACHA20_POLY1305_SHA256"):
            for groups in ("X25519", "P-256", "P-384"):
                with self.subTest(suite=suite, groups=groups):
                    r = s_client13(g.port, [
                        "-brief", "-CAfile", self.pki.ca, "-servername", "localhost",
                        "-verify_return_error", "-ign_eof", "-ciphersuites", suite,
                        "-groups", groups],
                        input=b"GET /bytes/3000 HTTP/1.1\r\nHost: localhost\r\n"
                              b"Connection: close\r\n\r\n")
                    out = r.stdout + r.stderr
                    self.assertEqual(r.returncode, 0, out[-2000:])
                    self.assertEqual(brief(out), ("TLSv1.3", suite), out[-2000:])
                    self.assertIn(b"HTTP/1.1 200", out)
                    self.assertIn(body(3000), r.stdout)

    def test_s_client_hrr_and_rsa(self):
        g = self.gate(certs=("rsa",))
        # a share for P-384 first, x25519 supported: HelloRetryRequest
        r = s_client13(g.port, ["-brief", "-CAfile", self.pki.ca, "-servername",
                                "localhost", "-verify_return_error", "-ign_eof",
                                "-groups", "P-384:X25519"],
                       input=b"GET /bytes/100 HTTP/1.1\r\nHost: localhost\r\n"
                             b"Connection: close\r\n\r\n")
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 0, out[-2000:])
        self.assertIn(b"Protocol version: TLSv1.3", out)
        self.assertIn(b"X25519", out)
        self.assertIn(body(100), r.stdout)

    def test_curl(self):
        g = self.gate(["--alpn", "h2,http/1.1"])
        for n in (0, 1, 16384, 1 << 20):
            dst = os.path.join(self.tmp, "c13.bin")
            r = curl(self.curl13(g, ["--http1.1", "-w", "%{http_code}", "-o", dst,
                                     self.url(g, "/bytes/%d" % n)]))
            self.assertEqual(r.stdout, b"200")
            self.assertEqual(file_sha256(dst), body_sha256(n))
        # an upload: the client's records go through the dataplane
        src = os.path.join(self.tmp, "up13.bin")
        with open(src, "wb") as f:
            f.write(body(300000))
        r = curl(self.curl13(g, ["--http1.1", "-X", "POST", "--data-binary", "@" + src,
                                 self.url(g, "/sha256")]))
        self.assertIn(body_sha256(300000).encode(), r.stdout)

    @unittest.skipUnless(have("gnutls-cli"), "gnutls-cli not installed")
    def test_gnutls_cli(self):
        g = self.gate(certs=("rsa", "ec"))
        for prio in ("NORMAL:-VERS-ALL:+VERS-TLS1.3",
                     "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305",
                     "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-256-GCM"):
            r = run(["gnutls-cli", "--x509cafile", self.pki.ca, "--priority", prio,
                     "--port", str(g.port), "localhost"],
                    input=b"GET /bytes/20000 HTTP/1.1\r\nHost: localhost\r\n"
                          b"Connection: close\r\n\r\n",
                    timeout=30, check=False)
            out = r.stdout + r.stderr
            self.assertIn(b"Handshake was completed", out, out[-2000:])
            self.assertIn(b"TLS1.3", out)
            self.assertIn(b"HTTP/1.1 200", r.stdout)
            self.assertIn(body(20000), r.stdout)

    def test_python_ssl(self):
        g = self.gate(certs=("ec", "rsa"))
        with tcp(g.port, timeout=20) as raw:
            with ctx13(self.pki).wrap_socket(raw, server_hostname="www.example.com") as s:
                self.assertEqual(s.version(), "TLSv1.3")
                s.sendall(b"GET /bytes/70000 HTTP/1.1\r\nHost: www.example.com\r\n\r\n")
                f = s.makefile("rb")
                st, h, b = read_response(f)
                self.assertEqual(st, 200)
                self.assertEqual(hashlib.sha256(b).hexdigest(), body_sha256(70000))
                f.close()

    def test_client_auth(self):
        g = self.gate(["--client-auth", "require", "--client-ca", self.pki.ca])
        r = curl(self.curl13(g, ["--cert", self.pki.client, "--key", self.pki.client_key,
                                 "-w", "%{http_code}", "-o", "/dev/null",
                                 self.url(g, "/bytes/10")]))
        self.assertEqual(r.stdout, b"200")
        r = curl(self.curl13(g, ["-o", "/dev/null", self.url(g, "/bytes/10")]),
                 check=False)
        self.assertNotEqual(r.returncode, 0, "no client certificate yet a response")

    def test_key_update_s_client(self):
        """KeyUpdate both ways mid-transfer: s_client's 'K' (update
        requested: ours follows) and 'k' lines between requests (commands
        work only without -ign_eof: stdin stays open until the bodies
        came); bodies checked, tlsgate_key_updates_total counts them."""
        g = self.gate()
        p = subprocess.Popen(tool(["openssl", "s_client", "-connect",
                                               "%s:%d" % (thost(), g.port),
                                               "-tls1_3", "-servername", "localhost"]),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        got = bytearray()
        done = threading.Event()

        def body_of(got):
            # s_client's own "KEYUPDATE" lines go to the same output: in
            # the middle of a body that is still coming (a slower path
            # than loopback, the DPDK transport)
            return bytes(got).replace(b"KEYUPDATE\n", b"")

        def reader():
            while True:
                b = p.stdout.read1(65536)
                if not b:
                    break
                got.extend(b)
            done.set()

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        try:
            end = time.monotonic() + 20
            while b"Verify return code" not in got and time.monotonic() < end:
                time.sleep(0.05)
            time.sleep(0.5)  # s_client in its loop, the ticket read
            # a big download, 'K' in the middle of it (our KeyUpdate
            # answers mid-stream), then 'k' and another request
            steps = [b"GET /bytes/3000000 HTTP/1.1\r\nHost: localhost\r\n\r\n",
                     b"K\n", None,
                     b"k\n",
                     b"GET /bytes/20000 HTTP/1.1\r\nHost: localhost\r\n"
                     b"Connection: close\r\n\r\n"]
            want = [None, None, body(3000000), None, body(20000)]
            for step, w in zip(steps, want):
                try:
                    if step is not None:
                        p.stdin.write(step)
                        p.stdin.flush()
                except BrokenPipeError:
                    self.fail("s_client gone before %r: %r\n%s" % (
                        step, bytes(got[-1500:]), g.stderr()[-1500:]))
                end = time.monotonic() + 20
                while w is not None and w not in body_of(got) and time.monotonic() < end:
                    time.sleep(0.05)
                if w is None:
                    time.sleep(0.1 if step.startswith(b"GET") else 0.5)
                else:
                    if w not in body_of(got):
                        # what the stall looked like: how far it got,
                        # s_client's text lines, tlsgate's counters
                        text = re.findall(rb"[ -~]{16,}", bytes(got))
                        m = [l for l in g.metrics().splitlines()
                             if not l.startswith("#") and re.search(
                                 r"key_update|bytes_|records_|accel|active", l)]
                        self.fail("body not complete after 20 s: %d bytes read; "
                                  "s_client said %r; metrics:\n%s" % (
                                      len(got), [t[:160] for t in text[-8:]],
                                      "\n".join(m)))
        finally:
            try:
                p.stdin.close()
            except BrokenPipeError:
                pass
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            done.wait(5)
        self.assertIn(b"KEYUPDATE", got, bytes(got[-2000:]))
        self.assertEqual(got.count(b"KEYUPDATE"), 2, bytes(got[-2000:]))
        self.assertEqual(g.metric("tlsgate_key_updates_total",
                                  {"dir": "received"}), 2)
        self.assertEqual(g.metric("tlsgate_key_updates_total",
                                  {"dir": "sent"}), 1)

    def test_resumption(self):
        g = self.gate()
        sess = os.path.join(self.tmp, "sess13.pem")
        r = s_client13(g.port, ["-sess_out", sess, "-ign_eof"],
                       input=b"GET /bytes/10 HTTP/1.1\r\nHost: localhost\r\n"
                             b"Connection: close\r\n\r\n")
        self.assertIn(b"New, TLSv1.3", r.stdout, r.stdout[-1500:])
        self.assertTrue(os.path.exists(sess))
        r = s_client13(g.port, ["-sess_in", sess, "-ign_eof"],
                       input=b"GET /bytes/10 HTTP/1.1\r\nHost: localhost\r\n"
                             b"Connection: close\r\n\r\n")
        self.assertIn(b"Reused, TLSv1.3", r.stdout, r.stdout[-1500:])
        self.assertIn(body(10), r.stdout)
        # Python's ssl: the session of a first connection, reused
        ctx = ctx13(self.pki)
        s1 = None
        for i in range(2):
            with tcp(g.port, timeout=20) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost",
                                     session=s1) as s:
                    s.sendall(b"GET /bytes/100 HTTP/1.1\r\nHost: localhost\r\n"
                              b"Connection: close\r\n\r\n")
                    f = s.makefile("rb")
                    st, _, b = read_response(f)
                    self.assertEqual((st, b), (200, body(100)))
                    f.close()
                    if i == 1:
                        self.assertTrue(s.session_reused)
                    s1 = s.session
        self.assertGreaterEqual(g.metric("tlsgate_handshakes_total", {"kind": "resumed"}), 2)

    def pp2_of(self, be, cport, timeout=5):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with be.lock:
                hdrs = [h for h in be.proxy_headers if h]
            for h in hdrs:
                p = parse_proxy_v2(h)
                if p["sport"] == cport:
                    return p
            time.sleep(0.02)
        self.fail("no PROXY v2 header for client port %d" % cport)

    def test_proxy_v2_tlvs(self):
        """PROXY v2 as for TLS 1.2: PP2_TYPE_ALPN, PP2_TYPE_AUTHORITY and
        PP2_TYPE_SSL with version TLSv1.3, the TLS 1.3 suite's name, the
        client flags (no certificate; a verified one, CERT_CONN, verify 0;
        resumed with it, CERT_SESS)."""
        be = new_backend(expect_proxy=True, name="pp13")
        try:
            g = self.gate(["--proxy-protocol", "v2", "--alpn", "h2,http/1.1",
                           "--client-auth", "optional", "--client-ca", self.pki.ca],
                          backends=[be.addr])
            ctx = ctx13(self.pki)
            ctx.set_alpn_protocols(["http/1.1"])
            st, _, b, info = https_get_sni(g.port, "/bytes/3333", "localhost", ctx=ctx)
            self.assertEqual((st, b, info["version"]), (200, body(3333), "TLSv1.3"))
            p = self.pp2_of(be, info["cport"])
            self.assertEqual(pp2_tlv(p["tlvs"], PP2_TYPE_AUTHORITY), [b"localhost"])
            self.assertEqual(pp2_tlv(p["tlvs"], PP2_TYPE_ALPN), [b"http/1.1"])
            self.assertEqual(p["ssl"]["client"], PP2_CLIENT_SSL)
            self.assertNotEqual(p["ssl"]["verify"], 0)
            st_ = p["ssl"]["tlvs"]
            self.assertEqual(pp2_tlv(st_, PP2_SUBTYPE_SSL_VERSION), [b"TLSv1.3"], st_)
            self.assertEqual(pp2_tlv(st_, PP2_SUBTYPE_SSL_CIPHER),
                             [info["cipher"].encode()], st_)
            self.assertTrue(info["cipher"].startswith("TLS_"), info["cipher"])
            # a client certificate, verified; then the session resumed
            ctx = ctx13(self.pki, cert=(self.pki.client, self.pki.client_key))
            sess = None
            for i in range(2):
                st, _, b, info = https_get_sni(g.port, "/bytes/10", "localhost",
                                               ctx=ctx, session=sess)
                self.assertEqual((st, b), (200, body(10)))
                self.assertEqual(info["reused"], i == 1)
                sess = info["session"]
                p = self.pp2_of(be, info["cport"])
                self.assertEqual(p["ssl"]["client"], PP2_CLIENT_SSL |
                                 (PP2_CLIENT_CERT_SESS if i else PP2_CLIENT_CERT_CONN))
                self.assertEqual(p["ssl"]["verify"], 0)
                self.assertEqual(pp2_tlv(p["ssl"]["tlvs"], PP2_SUBTYPE_SSL_VERSION),
                                 [b"TLSv1.3"])
        finally:
            be.stop()

    def test_access_log_and_versions(self):
        path = os.path.join(self.tmp, "access13.log")
        g = self.gate(["--access-log", path])
        r = curl(self.curl13(g, ["-o", "/dev/null", "-w", "%{http_code}",
                                 self.url(g, "/bytes/10")]))
        self.assertEqual(r.stdout, b"200")
        end = time.monotonic() + 10
        lines = []
        while time.monotonic() < end and not lines:
            with open(path) as f:
                lines = [ln for ln in f.read().splitlines() if "tls=" in ln]
            time.sleep(0.05)
        self.assertTrue(lines)
        self.assertIn("tls=TLSv1.3", lines[0])
        self.assertIn("suite=TLS_AES_128_GCM_SHA256", lines[0])
        # TLS 1.2 only: a 1.3-only client is refused (protocol_version)
        g2 = self.gate(["--tls-versions", "TLSv1.2"])
        r = s_client13(g2.port, ["-brief"], input=b"")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"protocol version", (r.stdout + r.stderr).lower())
        # TLS 1.3 only: a 1.2 client is refused, a 1.3 one served
        g3 = self.gate(["--tls-versions", "TLSv1.3"])
        r = run(["openssl", "s_client", "-connect", "%s:%d" % (HOST, g3.port),
                 "-tls1_2", "-brief"], input=b"", timeout=20, check=False)
        self.assertNotEqual(r.returncode, 0)
        r = curl(self.curl13(g3, ["-o", "/dev/null", "-w", "%{http_code}",
                                  self.url(g3, "/bytes/10")]))
        self.assertEqual(r.stdout, b"200")


if __name__ == "__main__":
    main()
