#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""tlsgate on kernel sockets with its records on a crypto PMD, which the
flow engine runs asynchronously (records submitted in bursts, completed
later while the worker keeps polling its sockets): bodies both ways
(SHA-256 checked), many connections at once, slow readers on both sides,
every suite, and fault injection (a record whose encryption fails drops
its connection and no plaintext byte reaches the client).

One class per backend spec, each a `--accel-force` of tlsgate:
  cryptodev:crypto_aesni_mb, cryptodev:crypto_openssl, and
  cryptodev:crypto_scheduler over a crypto_aesni_mb and a crypto_openssl
  worker (round robin: the ops of a burst come back from two PMDs).
TG_E2E_ASYNC=aesni_mb,openssl,scheduler (default all) picks them."""
import concurrent.futures
import hashlib
import os
import socket
import ssl
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tg_e2e import (E2E, HOST, PATTERN, body_sha256, client_ctx, curl,  # noqa: E402
                    file_sha256, https_get, log, read_response)

PATTERN2 = PATTERN + PATTERN  # the bodies are PATTERN repeated

SPECS = {
    "aesni_mb": "cryptodev:crypto_aesni_mb",
    "openssl": "cryptodev:crypto_openssl",
    "scheduler": "cryptodev:crypto_scheduler+worker=crypto_aesni_mb_w0"
                 "+worker=crypto_openssl_w1",
}
WANT = [w for w in os.environ.get("TG_E2E_ASYNC", "aesni_mb,openssl,scheduler").split(",") if w]
SUITES = [("ECDHE-ECDSA-AES128-GCM-SHA256", "aes128gcm"),
          ("ECDHE-ECDSA-AES256-GCM-SHA384", "aes256gcm"),
          ("ECDHE-ECDSA-CHACHA20-POLY1305", "chacha20poly1305")]


class AsyncBase(E2E):
    spec = None   # set by the subclasses
    name = None

    def setUp(self):
        super().setUp()
        if self.name not in WANT:
            self.skipTest("not in TG_E2E_ASYNC")

    def agate(self, spec=None, args=(), **kw):
        """tlsgate with every record on SPEC (the class's by default)."""
        g = self.gate(["--accel", "evp", "--accel-force", spec or self.spec,
                       "--log-level", "info"] + list(args), **kw)
        err = g.stderr()
        self.assertIn("records: aes128gcm on %s" % (spec or self.spec), err, err[-2000:])
        return g

    def url(self, g, path):
        return "https://localhost:%d%s" % (g.port, path)

    def curl_args(self, g):
        return ["--cacert", self.pki.ca, "--resolve", "localhost:%d:%s" % (g.port, HOST)]

    def sealed_on(self, g, spec=None):
        """Records the workers sealed on SPEC (the class's by default)."""
        return g.metric("tlsgate_records_total",
                        {"dir": "sealed", "backend": spec or self.spec})

    # ---- transfers, SHA-256 both ways ----------------------------------------------

    def test_bodies_both_ways(self):
        g = self.agate()
        for n in (0, 1, 1000, 16384, 70000, 1 << 20, 10 << 20):
            out = os.path.join(self.tmp, "get.bin")
            curl(self.curl_args(g) + ["-o", out, self.url(g, "/bytes/%d" % n)], timeout=60)
            self.assertEqual(file_sha256(out), body_sha256(n), "GET /bytes/%d" % n)
        for n in (0, 1, 16383, 16385, 1 << 20, 10 << 20):
            path = os.path.join(self.tmp, "up.bin")
            data = os.urandom(n)
            with open(path, "wb") as f:
                f.write(data)
            r = curl(self.curl_args(g) + ["--data-binary", "@" + path,
                                          "-H", "Content-Type: application/octet-stream",
                                          self.url(g, "/sha256")], timeout=60)
            self.assertEqual(r.stdout.decode().strip(), hashlib.sha256(data).hexdigest(),
                             "POST of %d bytes" % n)
        # keep-alive: uploads and downloads in turn on one connection
        ctx = client_ctx(self.pki)
        with socket.create_connection((HOST, g.port), timeout=30) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                f = s.makefile("rb")
                for n in (5, 70000, 3 << 20):
                    data = os.urandom(n)
                    s.sendall(b"POST /sha256 HTTP/1.1\r\nHost: localhost\r\n"
                              b"Content-Length: %d\r\n\r\n" % n + data)
                    st, h, b = read_response(f)
                    self.assertEqual(b.decode().strip(), hashlib.sha256(data).hexdigest())
                    s.sendall(b"GET /bytes/%d HTTP/1.1\r\nHost: localhost\r\n\r\n" % n)
                    st, h, b = read_response(f)
                    self.assertEqual(hashlib.sha256(b).hexdigest(), body_sha256(n))
                f.close()
        self.assertGreater(self.sealed_on(g), 1000)
        self.assertNotIn("not returned", g.stderr())

    def test_concurrent_transfers(self):
        """Many flows at once: their records share bursts on the device."""
        g = self.agate()
        ctx = client_ctx(self.pki)

        def one(i):
            n = (i * 7919) % (600 << 10) + 1
            data = os.urandom(n // 3 + 1)
            with socket.create_connection((HOST, g.port), timeout=30) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                    f = s.makefile("rb")
                    s.sendall(b"POST /sha256 HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                              % len(data) + data)
                    st, h, b = read_response(f)
                    ok = b.decode().strip() == hashlib.sha256(data).hexdigest()
                    s.sendall(b"GET /bytes/%d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % n)
                    st, h, b = read_response(f)
                    f.close()
                    return ok and hashlib.sha256(b).hexdigest() == body_sha256(n)

        t = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(32) as ex:
            res = list(ex.map(one, range(64)))
        log("64 connections, 32 at a time, both ways: %.1fs" % (time.monotonic() - t))
        self.assertEqual(res.count(True), 64)
        g.wait_metric("tlsgate_connections_active", lambda v: v == 0, timeout=10)
        self.assertGateUp(g)

    def test_slow_readers(self):
        """A backend that reads slowly and a client that reads slowly:
        back-pressure with records in flight, bytes intact."""
        g = self.agate()
        ctx = client_ctx(self.pki)
        n = 2 << 20
        data = os.urandom(n)
        with socket.create_connection((HOST, g.port), timeout=30) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(b"POST /sha256?rate=%d HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Length: %d\r\n\r\n" % (4 << 20, n) + data)
                f = s.makefile("rb")
                st, h, b = read_response(f)
                self.assertEqual(b.decode().strip(), hashlib.sha256(data).hexdigest())
                m = 6 << 20
                s.sendall(b"GET /bytes/%d HTTP/1.1\r\nHost: x\r\n\r\n" % m)
                self.assertIn(b" 200 ", f.readline())
                while f.readline() not in (b"\r\n", b""):
                    pass
                hh = hashlib.sha256()
                got = k = 0
                while got < m:
                    b = f.read(min(65536, m - got))
                    self.assertTrue(b)
                    hh.update(b)
                    got += len(b)
                    k += 1
                    if k % 8 == 0:
                        time.sleep(0.01)
                self.assertEqual(hh.hexdigest(), body_sha256(m))
                f.close()

    def test_every_suite(self):
        """Every suite the device has (crypto_openssl, and so the
        scheduler over it, has no ChaCha20-Poly1305 in DPDK 22.11)."""
        probe = self.agate()
        have = [s for s in ("aes128gcm", "aes256gcm", "chacha20poly1305")
                if "records: %s on %s" % (s, self.spec) in probe.stderr()]
        probe.stop()
        self.assertIn("aes128gcm", have)
        for suite, aead in SUITES:
            if aead not in have:
                log("%s: no %s on %s" % (self.name, aead, self.spec))
                continue
            with self.subTest(suite=suite):
                g = self.agate(args=["--suites", suite])
                out = os.path.join(self.tmp, "s.bin")
                r = curl(self.curl_args(g) + ["--tls-max", "1.2", "--ciphers", suite,
                                              "-w", "%{http_code}", "-o", out,
                                              self.url(g, "/bytes/300000")])
                self.assertEqual(r.stdout, b"200")
                self.assertEqual(file_sha256(out), body_sha256(300000))
                g.stop()
                self.assertEqual(g.rc, 0)

    # ---- a record the device fails -------------------------------------------------

    def test_failed_seal_never_in_clear(self):
        """Fault injection: every 1201st op fails without being processed, so
        its payload is still plaintext. The connection whose record failed
        is dropped; below TLS, no record tlsgate sends carries the body's
        bytes; the other connections go on; tlsgate counts the failures."""
        if self.name == "scheduler":
            spec = ("cryptodev:crypto_scheduler_f+worker=crypto_aesni_mb_f0"
                    "+worker=crypto_openssl_f1+fail=1201")
        else:
            spec = self.spec + "+fail=1201"
        g = self.agate(spec=spec)
        whole = cut = 0
        for _ in range(8):
            recs, complete = self.raw_download(g, 1 << 20)
            if complete:
                whole += 1
            else:
                cut += 1
            # a record's first 32 payload bytes (after the explicit nonce
            # of AES-GCM, or none for ChaCha20-Poly1305) are never a piece
            # of the body: sent in clear, they would be
            for r in recs:
                for off in (13, 5):
                    w = r[off:off + 32]
                    self.assertFalse(len(w) == 32 and w in PATTERN2,
                                     "plaintext on the wire")
        log("fault injection: %d downloads whole, %d cut" % (whole, cut))
        # about 780 records a download: some are cut, some whole
        self.assertGreater(cut, 0)
        self.assertGreater(whole, 0)
        self.assertGreater(g.metric("tlsgate_accel_records_failed_total"), 0)
        self.assertTrue(g.alive())
        for _ in range(20):  # any one request may meet a failure
            st, _, b = https_get(g.port, "/bytes/1000")
            if st == 200 and hashlib.sha256(b).hexdigest() == body_sha256(1000):
                break
        else:
            self.fail("no request went through in 20 tries")

    def raw_download(self, g, n):
        """GET /bytes/N through a memory-BIO TLS client: the TLS records
        tlsgate sent (raw), and whether the body came whole."""
        ctx = client_ctx(self.pki)
        inc, outg = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(inc, outg, server_hostname="localhost")
        wire = bytearray()
        plain = bytearray()
        sent_req = False
        with socket.create_connection((HOST, g.port), timeout=20) as raw:
            while True:
                try:
                    if not sent_req:
                        obj.do_handshake()
                        obj.write(b"GET /bytes/%d HTTP/1.1\r\nHost: x\r\n"
                                  b"Connection: close\r\n\r\n" % n)
                        sent_req = True
                    while True:
                        d = obj.read(1 << 16)
                        if not d:
                            raise EOFError  # close_notify
                        plain += d
                except ssl.SSLWantReadError:
                    pass
                except (ssl.SSLError, EOFError):
                    break
                out = outg.read()
                try:
                    if out:
                        raw.sendall(out)
                    d = raw.recv(1 << 16)
                except OSError:
                    break
                if not d:
                    break
                wire += d
                inc.write(d)
        recs, i = [], 0
        while i + 5 <= len(wire):
            ln = wire[i + 3] << 8 | wire[i + 4]
            recs.append(bytes(wire[i:i + 5 + ln]))
            i += 5 + ln
        sep = plain.find(b"\r\n\r\n")
        complete = sep >= 0 and \
            hashlib.sha256(plain[sep + 4:]).hexdigest() == body_sha256(n)
        return recs, complete


class AesniMb(AsyncBase):
    name = "aesni_mb"
    spec = SPECS["aesni_mb"]


class Openssl(AsyncBase):
    name = "openssl"
    spec = SPECS["openssl"]


class Scheduler(AsyncBase):
    name = "scheduler"
    spec = SPECS["scheduler"]


del AsyncBase

if __name__ == "__main__":
    r = unittest.main(exit=False, verbosity=2)
    sys.exit(0 if r.result.wasSuccessful() else 1)
