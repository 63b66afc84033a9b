#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""tlsgate end to end: bodies both ways, real clients (curl, openssl
s_client, gnutls-cli, Python ssl), every suite, SNI, ALPN, client auth,
resumption (ID, ticket, reload, ticket key rotation), concurrency; two
workers, the per-worker connection limit, SNI routing to backend pools,
least-connections balancing, PROXY v2 TLVs, optional client auth, dynamic
record sizing seen on the wire."""
import concurrent.futures
import hashlib
import os
import re
import resource
import selectors
import signal
import socket
import ssl
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tg_e2e import (E2E, HOST, TLSGATE, body, body_sha256, client_ctx, curl, file_sha256,  # noqa: E402
                    have, https_get, log, read_response, run, s_client, served_cert,
                    cert_subject, cert_serial, Backend, TlsRecords, https_get_sni,
                    parse_proxy_v2, pp2_tlv, new_backend, tcp, thost, tpeer, PP2_TYPE_ALPN, PP2_TYPE_AUTHORITY, PP2_TYPE_SSL,
                    PP2_SUBTYPE_SSL_VERSION, PP2_SUBTYPE_SSL_CIPHER, PP2_CLIENT_SSL,
                    PP2_CLIENT_CERT_CONN, PP2_CLIENT_CERT_SESS)

SUITES_EC = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
             "ECDHE-ECDSA-CHACHA20-POLY1305"]
SUITES_RSA = ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
              "ECDHE-RSA-CHACHA20-POLY1305"]


def brief(out):
    """Protocol and cipher from s_client -brief (it prints them on stderr)."""
    t = out.decode("utf-8", "replace")
    p = re.search(r"Protocol version:\s*(\S+)", t)
    c = re.search(r"Ciphersuite:\s*(\S+)", t)
    return (p.group(1) if p else None, c.group(1) if c else None)


class Basic(E2E):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

    def url(self, g, path, host="localhost"):
        return "https://%s:%d%s" % (host, g.port, path)

    def curl_args(self, g, host="localhost"):
        return ["--cacert", self.pki.ca, "--resolve", "%s:%d:%s" % (host, g.port, thost())]

    # ---- bodies -------------------------------------------------------------------

    def test_get_bodies(self):
        g = self.gate()
        for n in (0, 1, 16384, 1 << 20):
            r = curl(self.curl_args(g) + ["-D", "-", "-o", os.path.join(self.tmp, "get.bin"),
                                          self.url(g, "/bytes/%d" % n)])
            self.assertIn(b"x-sha256: " + body_sha256(n).encode(), r.stdout.lower())
            self.assertEqual(file_sha256(os.path.join(self.tmp, "get.bin")), body_sha256(n),
                             "GET /bytes/%d" % n)
            self.assertEqual(os.path.getsize(os.path.join(self.tmp, "get.bin")), n)
        # 100 MiB, bounded in time
        n = 100 << 20
        out = os.path.join(self.tmp, "big.bin")
        t = time.monotonic()
        curl(self.curl_args(g) + ["-o", out, self.url(g, "/bytes/%d" % n)], timeout=90)
        dt = time.monotonic() - t
        log("100 MiB GET in %.1fs (%.0f MB/s)" % (dt, n / dt / 1e6))
        self.assertEqual(os.path.getsize(out), n)
        self.assertEqual(file_sha256(out), body_sha256(n))
        os.unlink(out)
        self.assertGateUp(g)

    def test_post_bodies(self):
        g = self.gate()
        for n in (0, 1, 1000, 16383, 16384, 16385, 1 << 20, 10 << 20, 100 << 20):
            path = os.path.join(self.tmp, "up.bin")
            data = os.urandom(n)
            with open(path, "wb") as f:
                f.write(data)
            r = curl(self.curl_args(g) + ["-D", os.path.join(self.tmp, "up.hdr"),
                                          "--data-binary", "@" + path,
                                          "-H", "Content-Type: application/octet-stream",
                                          self.url(g, "/sha256")], timeout=90)
            self.assertEqual(r.stdout.decode().strip(), hashlib.sha256(data).hexdigest(),
                             "POST of %d bytes" % n)
            os.unlink(path)
        # and with the Python client, keep-alive, several bodies on one connection
        ctx = client_ctx(self.pki)
        with socket.create_connection((HOST, g.port), timeout=30) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                f = s.makefile("rb")
                for n in (5, 70000, 3 << 20):
                    data = os.urandom(n)
                    s.sendall(b"POST /sha256 HTTP/1.1\r\nHost: localhost\r\n"
                              b"Content-Length: %d\r\n\r\n" % n + data)
                    st, h, b = read_response(f)
                    self.assertEqual(st, 200)
                    self.assertEqual(b.decode().strip(), hashlib.sha256(data).hexdigest())
                    # download on the same connection
                    s.sendall(b"GET /bytes/%d HTTP/1.1\r\nHost: localhost\r\n\r\n" % n)
                    st, h, b = read_response(f)
                    self.assertEqual(hashlib.sha256(b).hexdigest(), body_sha256(n))
                f.close()

    def test_backpressure(self):
        """A backend that reads uploads slowly and a client that reads
        downloads slowly: bytes arrive intact both ways, memory bounded."""
        g = self.gate()
        ctx = client_ctx(self.pki)
        rss0 = g.rss_kib()
        n = 3 << 20
        data = os.urandom(n)
        with socket.create_connection((HOST, g.port), timeout=30) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                t = time.monotonic()
                s.sendall(b"POST /sha256?rate=%d HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Length: %d\r\n\r\n" % (2 << 20, n) + data)
                f = s.makefile("rb")
                st, h, b = read_response(f)
                self.assertEqual(b.decode().strip(), hashlib.sha256(data).hexdigest())
                log("slow-reading backend: 3 MiB in %.2fs" % (time.monotonic() - t))
                # slow client: 8 MiB read 64 KiB at a time with pauses
                m = 8 << 20
                s.sendall(b"GET /bytes/%d HTTP/1.1\r\nHost: x\r\n\r\n" % m)
                line = f.readline()
                self.assertIn(b" 200 ", line)
                while f.readline() not in (b"\r\n", b""):
                    pass
                hh = hashlib.sha256()
                got = 0
                k = 0
                while got < m:
                    b = f.read(min(65536, m - got))
                    self.assertTrue(b)
                    hh.update(b)
                    got += len(b)
                    k += 1
                    if k % 8 == 0:
                        time.sleep(0.02)
                        if k == 32:
                            rss1 = g.rss_kib()
                self.assertEqual(hh.hexdigest(), body_sha256(m))
                f.close()
        log("back-pressure RSS %d -> %d KiB" % (rss0, rss1))
        self.assertLess(rss1 - rss0, 64 * 1024)

    def test_proxy_protocol(self):
        for ver in ("v1", "v2"):
            be = new_backend(expect_proxy=True)
            try:
                g = self.gate(["--proxy-protocol", ver], backends=[be.addr])
                ctx = client_ctx(self.pki)
                with tcp(g.port, timeout=10) as raw:
                    cport = raw.getsockname()[1]
                    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                        s.sendall(b"GET /bytes/777 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        f = s.makefile("rb")
                        st, _, b = read_response(f)
                        f.close()
                self.assertEqual((st, b), (200, body(777)))
                # the health check connects too (no header, no data): find ours
                hdrs = [h for h in be.proxy_headers if h]
                self.assertEqual(len(hdrs), 1, hdrs)
                h = hdrs[0]
                if ver == "v1":
                    self.assertEqual(h, b"PROXY TCP4 %s %s %d %d\r\n"
                                     % (tpeer().encode(), thost().encode(), cport, g.port))
                else:
                    self.assertEqual(h[:12], b"\r\n\r\n\x00\r\nQUIT\n")
                    self.assertEqual(h[12], 0x21)  # v2, PROXY
                    self.assertEqual(h[13], 0x11)  # TCP over IPv4
                    ln = h[14] << 8 | h[15]
                    self.assertGreaterEqual(ln, 12)
                    self.assertEqual(h[16:20], socket.inet_aton(tpeer()))
                    self.assertEqual(h[20:24], socket.inet_aton(thost()))
                    self.assertEqual(int.from_bytes(h[24:26], "big"), cport)
                    self.assertEqual(int.from_bytes(h[26:28], "big"), g.port)
                g.stop()
            finally:
                be.stop()

    # ---- clients -------------------------------------------------------------------

    def test_s_client(self):
        g = self.gate()
        r = s_client(g.port, ["-brief", "-CAfile", self.pki.ca, "-servername", "localhost",
                              "-verify_return_error", "-ign_eof"],
                     input=b"GET /bytes/100 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 0, out[-2000:])
        proto, cipher = brief(out)
        self.assertEqual(proto, "TLSv1.2", out[-2000:])
        self.assertEqual(cipher, "ECDHE-ECDSA-AES128-GCM-SHA256")
        self.assertIn(b"HTTP/1.1 200", out)
        self.assertIn(body(100), r.stdout)

    @unittest.skipUnless(have("gnutls-cli"), "gnutls-cli not installed")
    def test_gnutls_cli(self):
        g = self.gate(certs=("rsa", "ec"))
        for prio in ("NORMAL:-VERS-ALL:+VERS-TLS1.2",
                     "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+CHACHA20-POLY1305"):
            r = run(["gnutls-cli", "--x509cafile", self.pki.ca, "--priority", prio,
                     "--port", str(g.port), "localhost"],
                    input=b"GET /bytes/2000 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                    timeout=30, check=False)
            out = r.stdout + r.stderr
            self.assertIn(b"Handshake was completed", out, out[-2000:])
            self.assertIn(b"TLS1.2", out)
            self.assertIn(b"HTTP/1.1 200", r.stdout)
            self.assertIn(body(2000), r.stdout)
        # --insecure as well
        r = run(["gnutls-cli", "--insecure", "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2",
                 "--port", str(g.port), "127.0.0.1"],
                input=b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                timeout=30, check=False)
        self.assertIn(b"tlsgate e2e backend", r.stdout, (r.stdout + r.stderr)[-2000:])

    def test_python_ssl(self):
        g = self.gate(certs=("ec", "rsa"))
        ctx = client_ctx(self.pki)
        with tcp(g.port, timeout=20) as raw:
            with ctx.wrap_socket(raw, server_hostname="www.example.com") as s:
                self.assertEqual(s.version(), "TLSv1.2")
                self.assertTrue(s.cipher()[0].startswith("ECDHE-"))
                s.sendall(b"GET /bytes/70000 HTTP/1.1\r\nHost: www.example.com\r\n\r\n")
                f = s.makefile("rb")
                st, h, b = read_response(f)
                self.assertEqual(st, 200)
                self.assertEqual(h["x-sha256"], body_sha256(70000))
                self.assertEqual(hashlib.sha256(b).hexdigest(), body_sha256(70000))
                f.close()

    # ---- suites --------------------------------------------------------------------

    def test_every_suite(self):
        for suite in SUITES_EC + SUITES_RSA:
            with self.subTest(suite=suite):
                cert = "rsa" if "-RSA-" in suite else "ec"
                g = self.gate(["--suites", suite], certs=(cert,))
                r = curl(self.curl_args(g) + ["--tls-max", "1.2", "--ciphers", suite,
                                              "-w", "%{http_code}", "-o",
                                              os.path.join(self.tmp, "s.bin"),
                                              self.url(g, "/bytes/50000")])
                self.assertEqual(r.stdout, b"200")
                self.assertEqual(file_sha256(os.path.join(self.tmp, "s.bin")),
                                 body_sha256(50000))
                r = s_client(g.port, ["-brief", "-CAfile", self.pki.ca,
                                      "-cipher", suite, "-verify_return_error"], input=b"")
                self.assertEqual(brief(r.stdout + r.stderr), ("TLSv1.2", suite),
                                 (r.stdout + r.stderr)[-1500:])
                # a client without that suite is refused
                other = "ECDHE-ECDSA-AES256-GCM-SHA384" if suite != \
                    "ECDHE-ECDSA-AES256-GCM-SHA384" else "ECDHE-ECDSA-AES128-GCM-SHA256"
                r = s_client(g.port, ["-brief", "-cipher", other], input=b"")
                self.assertNotEqual(r.returncode, 0)
                g.stop()
                self.assertEqual(g.rc, 0)

    # ---- SNI, ALPN, client auth -------------------------------------------------------

    def test_sni(self):
        g = self.gate(certs=("ec", "wild"))
        self.assertIn("CN = www.example.com", cert_subject(served_cert(g.port, "www.example.com")))
        self.assertIn("CN = *.example.net", cert_subject(served_cert(g.port, "a.example.net")))
        self.assertIn("CN = *.example.net", cert_subject(served_cert(g.port, "B.Example.NET")))
        # no match and no SNI: the default (first) certificate
        self.assertIn("CN = www.example.com", cert_subject(served_cert(g.port, "other.org")))
        self.assertIn("CN = www.example.com", cert_subject(served_cert(g.port, None)))
        for host in ("www.example.com", "a.example.net"):
            r = curl(self.curl_args(g, host) + ["-w", "%{http_code}", "-o",
                                                os.path.join(self.tmp, "sni.bin"),
                                                self.url(g, "/bytes/3000", host)])
            self.assertEqual(r.stdout, b"200", host)
            self.assertEqual(file_sha256(os.path.join(self.tmp, "sni.bin")), body_sha256(3000))

    def test_alpn(self):
        g = self.gate(["--alpn", "h2,http/1.1"])
        r = curl(self.curl_args(g) + ["--http1.1", "-v", "-o", "/dev/null",
                                      self.url(g, "/bytes/10")])
        self.assertIn(b"ALPN: server accepted http/1.1", r.stderr)
        r = s_client(g.port, ["-alpn", "http/1.1"], input=b"")
        self.assertIn(b"ALPN protocol: http/1.1", r.stdout)
        r = s_client(g.port, ["-alpn", "h2,http/1.1"], input=b"")
        self.assertIn(b"ALPN protocol: h2", r.stdout)
        r = s_client(g.port, ["-alpn", "spdy/3"], input=b"")
        self.assertIn(b"No ALPN negotiated", r.stdout)

    def test_client_auth_require(self):
        g = self.gate(["--client-auth", "require", "--client-ca", self.pki.ca])
        r = curl(self.curl_args(g) + ["--cert", self.pki.client, "--key", self.pki.client_key,
                                      "-w", "%{http_code}", "-o", "/dev/null",
                                      self.url(g, "/bytes/10")])
        self.assertEqual(r.stdout, b"200")
        r = curl(self.curl_args(g) + ["-o", "/dev/null", self.url(g, "/bytes/10")], check=False)
        self.assertNotEqual(r.returncode, 0, "no client certificate yet a response")
        self.assertIn(r.returncode, (35, 56), r.stderr)  # handshake failure / recv error
        # a certificate from another CA is refused as well
        r = curl(["-k", "--resolve", "localhost:%d:%s" % (g.port, thost()),
                  "--cert", self.pki.ca, "--key", self.pki.ca_key, "-o", "/dev/null",
                  self.url(g, "/bytes/10")], check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertGateUp_auth(g)

    def assertGateUp_auth(self, g):
        self.assertTrue(g.alive())
        ctx = client_ctx(self.pki, cert=(self.pki.client, self.pki.client_key))
        st, _, b = https_get(g.port, "/bytes/999", ctx=ctx)
        self.assertEqual((st, hashlib.sha256(b).hexdigest()), (200, body_sha256(999)))

    # ---- resumption ----------------------------------------------------------------------

    def resume(self, g, mode, sess=None, fresh=True):
        """s_client -sess_out then -sess_in; mode 'id' or 'ticket'. Returns
        whether the second connection was 'Reused'."""
        sess = sess or os.path.join(self.tmp, "sess-%s.pem" % mode)
        extra = ["-no_ticket"] if mode == "id" else []
        if fresh:
            r = s_client(g.port, extra + ["-sess_out", sess], input=b"")
            self.assertIn(b"New, TLSv1.2", r.stdout, r.stdout[-1500:])
            if mode == "ticket":
                self.assertIn(b"TLS session ticket:", r.stdout)
        r = s_client(g.port, extra + ["-sess_in", sess], input=b"")
        return b"Reused, TLSv1.2" in r.stdout

    def test_resume_id_and_ticket(self):
        g = self.gate()
        self.assertTrue(self.resume(g, "id"), "session-ID resumption")
        self.assertTrue(self.resume(g, "ticket"), "ticket resumption")
        # after a reload (SIGHUP) the session cache is kept, so are the
        # random ticket keys' sessions? (the keys are new: only ID checked)
        sid = os.path.join(self.tmp, "sess-id.pem")
        g.signal(signal.SIGHUP)
        self.assertTrue(g.wait_reload(1))
        self.assertTrue(self.resume(g, "id", sess=sid, fresh=False),
                        "session-ID resumption after SIGHUP")
        # s_client closes right after its Finished: the worker waits for
        # the control plane's answer before it closes, so all 3 count
        self.assertEqual(g.metric("tlsgate_handshakes_total", {"kind": "resumed"}), 3)
        # no cache: ID resumption off; no tickets: ticket resumption off
        g2 = self.gate(["--session-cache", "0", "--no-tickets"])
        self.assertFalse(self.resume(g2, "id"))
        r = s_client(g2.port, [], input=b"")
        self.assertIn(b"New, TLSv1.2", r.stdout)
        self.assertNotIn(b"TLS session ticket:", r.stdout)

    def test_resumed_request_right_after_finished(self):
        """Was a bug (dataplane/sock/worker.c tg_client_readable + control/ctl.c
        tg_ctl_hs_data): in an abbreviated handshake the client's Finished
        and its first request leave back to back (TCP_NODELAY, as curl does).
        The worker reads the request while the flow is still FL_HS (the ctl's
        KEY_INSTALL not yet dequeued: the worker sleeps up to 5 ms in
        epoll_wait and is not woken by the ring) and sends it to the ctl as
        handshake data; the ctl has already forgotten the handshake (after
        KEY_INSTALL), starts a new one on those bytes, fails, and its
        HS_FAIL is ignored because the flow is no longer FL_HS. The request
        is lost: the client waits until --idle-timeout. Also seen with
        `curl URL URL` (the second, resumed transfer gets no response).
        Expected: the response arrives at once."""
        g = self.gate(["--idle-timeout", "1000"])
        ctx = client_ctx(self.pki)
        with socket.create_connection((HOST, g.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(b"GET /bytes/10 HTTP/1.1\r\nHost: x\r\n\r\n")
                f = s.makefile("rb")
                read_response(f)
                f.close()
                sess = s.session
        lost = 0
        for i in range(6):
            raw = socket.create_connection((HOST, g.port), timeout=10)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s = ctx.wrap_socket(raw, server_hostname="localhost", session=sess)
            self.assertTrue(s.session_reused)
            t = time.monotonic()
            s.sendall(b"GET /bytes/10 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            s.settimeout(5)
            f = s.makefile("rb")
            try:
                st, _, b = read_response(f)
                ok = (st, b) == (200, body(10))
            except (OSError, ssl.SSLError, ConnectionError):
                ok = False
            log("resumed + immediate request: %s after %.2fs" % (ok, time.monotonic() - t))
            lost += not ok
            f.close()
            s.close()
            if lost:
                break
        self.assertEqual(lost, 0, "requests lost right after a resumed handshake")

    def test_ticket_key_rotation(self):
        old = os.path.join(self.tmp, "ticket.old")
        new = os.path.join(self.tmp, "ticket.new")
        with open(old, "wb") as f:
            f.write(os.urandom(48))
        with open(new, "wb") as f:
            f.write(os.urandom(48))
        sess = os.path.join(self.tmp, "sess-rot.pem")
        g = self.gate(["--session-cache", "0", "--ticket-key", old])
        self.assertTrue(self.resume(g, "ticket", sess=sess), "ticket with key 'old'")
        g.stop()
        # restart with [new, old]: the old ticket still resumes
        g = self.gate(["--session-cache", "0", "--ticket-key", new, "--ticket-key", old])
        self.assertTrue(self.resume(g, "ticket", sess=sess, fresh=False),
                        "ticket from the old key after rotation")
        # a ticket from the new key resumes with [new, old] too
        sess2 = os.path.join(self.tmp, "sess-rot2.pem")
        self.assertTrue(self.resume(g, "ticket", sess=sess2))
        g.stop()
        # restart with [new] only: the old ticket falls back to a full handshake
        g = self.gate(["--session-cache", "0", "--ticket-key", new])
        self.assertFalse(self.resume(g, "ticket", sess=sess, fresh=False),
                         "ticket of a dropped key must not resume")
        self.assertTrue(self.resume(g, "ticket", sess=sess2, fresh=False))
        # random per-process keys: a restart invalidates tickets
        g.stop()
        g = self.gate(["--session-cache", "0"])
        self.assertTrue(self.resume(g, "ticket", sess=sess))
        g.stop()
        g = self.gate(["--session-cache", "0"])
        self.assertFalse(self.resume(g, "ticket", sess=sess, fresh=False))

    def write_conf(self, path, listen, admin, keys, extra=""):
        with open(path, "w") as f:
            f.write('listen = "%s";\nadmin = "%s";\n'
                    'certificates = ( { cert = "%s"; key = "%s"; } );\n'
                    'backends = ["%s"];\nsession_cache = 0;\nticket_keys = [%s];\n'
                    'access_log = "-";\n%s'
                    % (listen, admin, self.pki.ec, self.pki.ec_key, self.backend.addr,
                       ", ".join('"%s"' % k for k in keys), extra))

    def test_ticket_after_reload_with_key_file(self):
        """Config file with ticket keys; SIGHUP with [new, old] in the file:
        a ticket issued under 'old' still resumes, a new one is issued."""
        from tg_e2e import Gate, free_port
        old = os.path.join(self.tmp, "tk.old")
        new = os.path.join(self.tmp, "tk.new")
        for p in (old, new):
            with open(p, "wb") as f:
                f.write(os.urandom(48))
        conf = os.path.join(self.tmp, "rot.conf")
        lp, ap = free_port(), free_port()
        self.write_conf(conf, "127.0.0.1:%d" % lp, "127.0.0.1:%d" % ap, [old])
        g = Gate(self.tmp, ["-c", conf], listen_port=lp, admin_port=ap, addr_flags=False)
        self.gates.append(g)
        sess = os.path.join(self.tmp, "sess-rl.pem")
        self.assertTrue(self.resume(g, "ticket", sess=sess))
        self.write_conf(conf, "127.0.0.1:%d" % lp, "127.0.0.1:%d" % ap, [new, old])
        g.signal(signal.SIGHUP)
        self.assertTrue(g.wait_reload(1), g.stderr()[-1500:])
        self.assertTrue(self.resume(g, "ticket", sess=sess, fresh=False),
                        "old-key ticket after SIGHUP rotation")
        # drop 'old' by reload: its tickets no longer resume
        self.write_conf(conf, "127.0.0.1:%d" % lp, "127.0.0.1:%d" % ap, [new])
        g.signal(signal.SIGHUP)
        self.assertTrue(g.wait_reload(2))
        self.assertFalse(self.resume(g, "ticket", sess=sess, fresh=False))

    def test_reload_keeps_command_line_flags(self):
        """Was a bug (app/main.c tg_gate_reload): SIGHUP re-reads only the file
        (tg_config_load_file: defaults + file), so every flag given at start
        is forgotten: with the listen address on the command line the reload
        fails validation ("no listen address") and is refused; with flags
        overriding file values (--backend, --suites...) the reload would
        silently revert them. Expected: flags keep overriding the file."""
        conf = os.path.join(self.tmp, "flags.conf")
        with open(conf, "w") as f:
            f.write('certificates = ( { cert = "%s"; key = "%s"; } );\n'
                    'backends = ["%s"];\naccess_log = "-";\n'
                    % (self.pki.ec, self.pki.ec_key, self.backend.addr))
        from tg_e2e import Gate
        g = Gate(self.tmp, ["-c", conf])  # --listen/--admin as flags
        self.gates.append(g)
        g.signal(signal.SIGHUP)
        ok = g.wait_reload(1)
        self.assertTrue(g.alive())
        self.assertGateUp(g)
        self.assertTrue(ok, "reload refused: " + g.stderr()[-600:])

    # ---- concurrency ------------------------------------------------------------------------

    def concurrent(self, port, n, ctx, size=16384, timeout=60):
        """N connections at once (selector driven, non-blocking): each does a
        handshake and GET /bytes/SIZE. Returns the number that succeeded."""
        sel = selectors.DefaultSelector()
        want = body_sha256(size)
        req = b"GET /bytes/%d HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" % size
        conns = {}
        for i in range(n):
            raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            raw.setblocking(False)
            raw.connect_ex((HOST, port))
            s = ctx.wrap_socket(raw, server_hostname="localhost", do_handshake_on_connect=False)
            st = {"s": s, "phase": "connect", "out": req, "in": bytearray(), "ok": False}
            conns[s.fileno()] = st
            sel.register(s, selectors.EVENT_WRITE, st)
        end = time.monotonic() + timeout
        done = ok = 0
        errors = {}
        while done < n and time.monotonic() < end:
            for key, ev in sel.select(timeout=0.5):
                st = key.data
                s = st["s"]
                try:
                    if st["phase"] in ("connect", "hs"):
                        st["phase"] = "hs"
                        try:
                            s.do_handshake()
                        except ssl.SSLWantReadError:
                            sel.modify(s, selectors.EVENT_READ, st)
                            continue
                        except ssl.SSLWantWriteError:
                            sel.modify(s, selectors.EVENT_WRITE, st)
                            continue
                        st["phase"] = "send"
                    if st["phase"] == "send":
                        try:
                            k = s.send(st["out"])
                        except ssl.SSLWantWriteError:
                            continue
                        except ssl.SSLWantReadError:
                            sel.modify(s, selectors.EVENT_READ, st)
                            continue
                        st["out"] = st["out"][k:]
                        if st["out"]:
                            sel.modify(s, selectors.EVENT_WRITE, st)
                            continue
                        st["phase"] = "recv"
                        sel.modify(s, selectors.EVENT_READ, st)
                    if st["phase"] == "recv":
                        while True:
                            try:
                                b = s.recv(65536)
                            except ssl.SSLWantReadError:
                                break
                            except ssl.SSLZeroReturnError:
                                b = b""
                            if not b:
                                st["phase"] = "eof"
                                break
                            st["in"] += b
                        if st["phase"] == "eof":
                            raise EOFError
                except (EOFError, OSError, ssl.SSLError) as e:
                    if not isinstance(e, EOFError):
                        errors[type(e).__name__ + ":" + str(e)[:60]] = errors.get(
                            type(e).__name__ + ":" + str(e)[:60], 0) + 1
                    data = bytes(st["in"])
                    hdr, _, b = data.partition(b"\r\n\r\n")
                    if hdr.startswith(b"HTTP/1.1 200") and hashlib.sha256(b).hexdigest() == want:
                        ok += 1
                    sel.unregister(s)
                    s.close()
                    done += 1
        for st in conns.values():
            if st["phase"] != "eof":
                try:
                    sel.unregister(st["s"])
                except (KeyError, ValueError):
                    pass
                st["s"].close()
        sel.close()
        if errors:
            log("errors: %s" % errors)
        return ok

    def test_concurrency(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = 4096
        if soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
        if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 2200:
            self.skipTest("RLIMIT_NOFILE too low for 1000 connections")
        # meson sets MALLOC_PERTURB_: it slows tlsgate's per-connection
        # buffer allocations enough to hit the control ring drop documented
        # by test_handshake_burst_ctl_ring_drop; keep this test about
        # concurrency itself
        g = self.gate(["--max-conns", "2000", "--handshake-timeout", "20000"],
                      env={"MALLOC_PERTURB_": None})
        ctx = client_ctx(self.pki)
        for n, bound in ((1, 10), (100, 30), (1000, 60)):
            t = time.monotonic()
            ok = self.concurrent(g.port, n, ctx, timeout=bound)
            dt = time.monotonic() - t
            log("%d concurrent connections: %d ok in %.1fs" % (n, ok, dt))
            self.assertEqual(ok, n, "%d of %d concurrent connections succeeded" % (ok, n))
        g.wait_metric("tlsgate_connections_active", lambda v: v == 0, timeout=10)
        # 1 (the readiness probe) + 1 + 100 + 1000
        self.assertEqual(g.metric("tlsgate_connections_accepted_total"), 1102)
        self.assertGateUp(g)
        self.assertNotIn("message dropped", g.stderr())

    def test_control_modes(self):
        """--control inline runs the handshakes in the worker, --control
        thread in the control thread (auto picks one of them by the CPUs
        left over): both do concurrent handshakes, resumption by ID and
        ticket and bodies both ways; inline with two workers is refused."""
        ctx = client_ctx(self.pki)
        for mode, says in (("inline", "handshakes run inline in the worker"),
                           ("thread", "handshakes run in the control thread")):
            g = self.gate(["--control", mode, "--max-conns", "1000", "--log-level", "notice"])
            self.assertIn(says, g.stderr(), mode)
            ok = self.concurrent(g.port, 200, ctx, timeout=60)
            self.assertEqual(ok, 200, "%s: %d of 200 concurrent connections" % (mode, ok))
            self.assertTrue(self.resume(g, "id"), "%s: session-ID resumption" % mode)
            self.assertTrue(self.resume(g, "ticket"), "%s: ticket resumption" % mode)
            for n in (0, 100000):
                st, _, b = https_get(g.port, "/bytes/%d" % n, ctx=ctx)
                self.assertEqual((st, hashlib.sha256(b).hexdigest()), (200, body_sha256(n)), mode)
            g.wait_metric("tlsgate_connections_active", lambda v: v == 0, timeout=10)
            self.assertGreaterEqual(g.metric("tlsgate_handshakes_total", {"kind": "full"}), 200)
            self.assertGateUp(g)
            self.assertNotIn("message dropped", g.stderr())
        r = run([TLSGATE, "--listen", "127.0.0.1:1", "--cert", self.pki.ec,
                 "--key", self.pki.ec_key, "--backend", self.backend.addr,
                 "--workers", "2", "--control", "inline"], timeout=30, check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"control = inline", r.stderr)
        r = run([TLSGATE, "--control", "sideways"], timeout=30, check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"--control 'sideways'", r.stderr)

    def test_coalesce(self):
        """--coalesce US (sockets: a light round waits US before the next
        poll): a stream of small records (one 64-byte TLS record per
        write) arrives whole with the wait off, with the default and with
        a long one; request and answer still go back and forth; a value
        over the limit is refused."""
        ctx = client_ctx(self.pki)
        for co in (["--coalesce", "0"], [], ["--coalesce", "2000"]):
            g = self.gate(co)
            data = os.urandom(64 * 3000)
            with socket.create_connection((HOST, g.port), timeout=30) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                    f = s.makefile("rb")
                    s.sendall(b"POST /sha256 HTTP/1.1\r\nHost: localhost\r\n"
                              b"Content-Length: %d\r\n\r\n" % len(data))
                    for i in range(0, len(data), 64):
                        s.sendall(data[i:i + 64])
                    st, _, b = read_response(f)
                    self.assertEqual((st, b.decode().strip()),
                                     (200, hashlib.sha256(data).hexdigest()), co)
                    t0 = time.monotonic()
                    for _ in range(20):
                        s.sendall(b"GET /bytes/100 HTTP/1.1\r\nHost: localhost\r\n\r\n")
                        st, _, b = read_response(f)
                        self.assertEqual((st, hashlib.sha256(b).hexdigest()),
                                         (200, body_sha256(100)), co)
                    # 20 round trips, each at most a few waits of 2 ms
                    self.assertLess(time.monotonic() - t0, 10, co)
                    f.close()
            self.assertGateUp(g)
        r = run([TLSGATE, "--coalesce", "20000"], timeout=30, check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"coalesce", r.stderr)

    def test_handshake_burst_ctl_ring_drop(self):
        """Was a bug (control/ctl.c tg_ctl_send): when the control thread's ring to
        a worker stays full for ~100000 rte_pause() spins (a few ms: a worker
        busy with a burst of accepts), the HS_OUT / KEY_INSTALL message is
        dropped ("ctl: worker 0 ring full, message dropped"), the ctl forgets
        nothing and tells no one: the client waits for a ServerHello that
        never comes until --handshake-timeout, then sees a bare EOF.
        Reproduced here with 1000 concurrent handshakes after a warm-up,
        tlsgate under MALLOC_PERTURB_ (which makes each accept's buffer
        allocation a memset, i.e. a slow worker). Expected: every handshake
        completes or is refused at once; no message is ever dropped."""
        resource.setrlimit(resource.RLIMIT_NOFILE,
                           (min(4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1]),
                            resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
        if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 2200:
            raise unittest.SkipTest("RLIMIT_NOFILE too low")
        # A dropped message leaves its handshake stuck until the timeout;
        # 12 s, not less, so that a slow, shared 2-CPU machine (1000
        # handshakes took 5 s on one under load) is not taken for one.
        g = self.gate(["--max-conns", "2000", "--handshake-timeout", "12000"],
                      env={"MALLOC_PERTURB_": "97"})
        ctx = client_ctx()
        self.concurrent(g.port, 1, ctx, timeout=10)
        self.concurrent(g.port, 100, ctx, timeout=30)
        t = time.monotonic()
        ok = self.concurrent(g.port, 1000, ctx, timeout=30)
        dropped = g.stderr().count("message dropped")
        timeouts = g.metric("tlsgate_handshake_timeouts_total")
        log("burst: %d/1000 ok in %.1fs, %d ctl messages dropped, %d handshake timeouts"
            % (ok, time.monotonic() - t, dropped, timeouts))
        self.assertEqual(dropped, 0, "ctl messages dropped")
        self.assertEqual(timeouts, 0, "handshakes stuck until the timeout")
        self.assertEqual(ok, 1000)

    # ---- several workers, limits, routing, balancing --------------------------------------

    def conf(self, name, text):
        """Write a config file fragment in the class temp dir; its path."""
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def per_worker(self, g, name, n, kind=None, text=None):
        """[value of NAME for worker 0..n-1] from one /metrics snapshot."""
        text = text if text is not None else g.metrics()
        out = []
        for i in range(n):
            lab = {"worker": str(i)}
            if kind:
                lab["kind"] = kind
            out.append(g.metric(name, lab, text=text))
        return out

    def resume_across_workers(self, g, ctx, mode, n_workers=2, tries=40):
        """A full handshake, then resumptions with its session until one
        lands on another worker than the full handshake did (SO_REUSEPORT
        spreads connections by hash): every one must resume. Which worker
        did each handshake comes from tlsgate_handshakes_total deltas."""
        def hs():
            t = g.metrics()
            return (self.per_worker(g, "tlsgate_handshakes_total", n_workers, "full", t),
                    self.per_worker(g, "tlsgate_handshakes_total", n_workers, "resumed", t))
        full0, res0 = hs()
        st, _, b, info = https_get_sni(g.port, "/bytes/1000", "localhost", ctx=ctx)
        self.assertEqual((st, b), (200, body(1000)))
        self.assertFalse(info["reused"])
        sess = info["session"]
        self.assertEqual(sess.has_ticket, mode == "ticket", mode)
        full1, res1 = hs()
        d = [a - b_ for a, b_ in zip(full1, full0)]
        self.assertEqual(sorted(d), [0] * (n_workers - 1) + [1], "full handshakes %s" % d)
        first = d.index(1)
        seen = set()
        for i in range(tries):
            st, _, b, info = https_get_sni(g.port, "/bytes/1000", "localhost", ctx=ctx,
                                           session=sess)
            self.assertEqual((st, b), (200, body(1000)))
            self.assertTrue(info["reused"], "%s resumption #%d (workers seen %s)"
                            % (mode, i, seen))
            full2, res2 = hs()
            self.assertEqual(full2, full1, "a full handshake instead of a resumption")
            dr = [a - b_ for a, b_ in zip(res2, res1)]
            self.assertEqual(sorted(dr), [0] * (n_workers - 1) + [1], "resumed %s" % dr)
            seen.add(dr.index(1))
            res1 = res2
            if seen - {first}:
                break
        log("%s: full handshake on worker %d, resumed on workers %s in %d tries"
            % (mode, first, sorted(seen), i + 1))
        self.assertTrue(seen - {first}, "%d %s resumptions all on worker %d, the one of "
                        "the full handshake" % (tries, mode, first))

    def test_two_workers(self):
        """--workers 2: 200 concurrent connections with bodies checked by
        SHA-256 spread over both workers (SO_REUSEPORT), /metrics has both
        workers' series; session-ID and ticket resumption work across the
        workers (a session made on one resumes on the other)."""
        acc_log = os.path.join(self.tmp, "two-workers-access.log")
        g = self.gate(["--workers", "2", "--max-conns", "1000", "--access-log", acc_log])
        ctx = client_ctx(self.pki)
        t = time.monotonic()
        ok = self.concurrent(g.port, 200, ctx, size=50001, timeout=60)
        log("2 workers: %d/200 concurrent in %.1fs" % (ok, time.monotonic() - t))
        if ok != 200:
            # what tlsgate says about the ones that failed (access log
            # lines with an alert or a close reason, warnings)
            with open(acc_log, errors="replace") as fh:
                bad = [l for l in fh.read().splitlines() if re.search(r" alert=[^-]", l)]
            bad += [l for l in g.stderr().splitlines() if " warn" in l or " err" in l]
            log("tlsgate on the failed connections:\n%s" % "\n".join(bad[-40:]))
        self.assertEqual(ok, 200, "%d of 200 concurrent connections" % ok)
        g.wait_metric("tlsgate_connections_active", lambda v: v == 0, timeout=10)
        text = g.metrics()
        acc = self.per_worker(g, "tlsgate_connections_accepted_total", 2, text=text)
        full = self.per_worker(g, "tlsgate_handshakes_total", 2, "full", text=text)
        log("accepted per worker %s, full handshakes %s" % (acc, full))
        # the readiness probe is accepted too
        self.assertEqual(sum(acc), 201, text)
        self.assertEqual(sum(full), 200)
        for i in (0, 1):
            self.assertGreater(acc[i], 0, "worker %d accepted nothing: %s" % (i, acc))
            self.assertGreater(full[i], 0, "worker %d did no handshake: %s" % (i, full))
        self.assertNotIn('worker="2"', text)
        # resumption by session ID (the client sends no ticket extension)
        ctx_id = client_ctx(self.pki)
        ctx_id.options |= ssl.OP_NO_TICKET
        self.resume_across_workers(g, ctx_id, "id")
        # resumption by ticket, the session cache off
        g2 = self.gate(["--workers", "2", "--session-cache", "0"])
        self.resume_across_workers(g2, client_ctx(self.pki), "ticket")
        self.assertGateUp(g)

    def held(self, port, ctx=None, sni="localhost", path="/bytes/1000", timeout=10):
        """A kept-alive TLS connection that did one GET: (ssl socket, its
        reader, the response body)."""
        raw = socket.create_connection((HOST, port), timeout=timeout)
        try:
            s = (ctx or client_ctx(self.pki)).wrap_socket(raw, server_hostname=sni)
            s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
            f = s.makefile("rb")
            st, _, b = read_response(f)
            self.assertEqual(st, 200)
            return s, f, b
        except BaseException:
            raw.close()
            raise

    def again(self, conn, n=2000):
        """One more GET on a held connection, body checked."""
        s, f, _ = conn
        s.sendall(b"GET /bytes/%d HTTP/1.1\r\nHost: x\r\n\r\n" % n)
        st, _, b = read_response(f)
        self.assertEqual((st, hashlib.sha256(b).hexdigest()), (200, body_sha256(n)))

    def test_per_worker_conn_limit(self):
        """limits.max_conns_per_worker = 2 with 2 workers and max_conns 50:
        a worker never holds more than 2; a connection landing on a full
        worker is closed at once (EOF or reset in the handshake, no hang) and
        counted in tlsgate_connections_refused_total of that worker; the
        held connections keep working; a freed slot is used again."""
        conf = self.conf("perworker.conf",
                         "limits = { max_conns = 50; max_conns_per_worker = 2; };\n")
        g = self.gate(["-c", conf, "--workers", "2"])
        g.wait_metric("tlsgate_connections_active", lambda v: v == 0, timeout=10)
        ctx = client_ctx(self.pki)
        held = {0: [], 1: []}
        refused = [0, 0]
        attempts = 0

        def attempt():
            """Open one connection: (worker that took it or None, worker that
            refused it or None)."""
            nonlocal attempts
            attempts += 1
            t0 = g.metrics()
            acc0 = self.per_worker(g, "tlsgate_connections_accepted_total", 2, text=t0)
            ref0 = self.per_worker(g, "tlsgate_connections_refused_total", 2, text=t0)
            t = time.monotonic()
            try:
                c = self.held(g.port, ctx)
            except socket.timeout:
                self.fail("a connection past the limit hangs instead of being closed")
            except (ssl.SSLError, ConnectionError, OSError) as e:
                dt = time.monotonic() - t
                self.assertLess(dt, 5, "refusal took %.1fs" % dt)
                t1 = g.metrics()
                ref1 = self.per_worker(g, "tlsgate_connections_refused_total", 2, text=t1)
                acc1 = self.per_worker(g, "tlsgate_connections_accepted_total", 2, text=t1)
                self.assertEqual(acc1, acc0, "refused (%r) yet accepted" % e)
                d = [a - b_ for a, b_ in zip(ref1, ref0)]
                self.assertEqual(sorted(d), [0, 1], "refused %s (%r)" % (d, e))
                w = d.index(1)
                self.assertEqual(len(held[w]), 2, "worker %d refused a connection holding "
                                 "only %d" % (w, len(held[w])))
                refused[w] += 1
                log("refused by worker %d after %.3fs: %s" % (w, dt, type(e).__name__))
                return None, w
            t1 = g.metrics()
            acc1 = self.per_worker(g, "tlsgate_connections_accepted_total", 2, text=t1)
            d = [a - b_ for a, b_ in zip(acc1, acc0)]
            self.assertEqual(sorted(d), [0, 1], "accepted %s" % d)
            w = d.index(1)
            held[w].append(c)
            act = self.per_worker(g, "tlsgate_connections_active", 2, text=t1)
            self.assertEqual(act, [len(held[0]), len(held[1])])
            self.assertLessEqual(len(held[w]), 2, "worker %d holds %d connections"
                                 % (w, len(held[w])))
            return w, None

        try:
            # fill both workers (bounded: SO_REUSEPORT picks by hash)
            while attempts < 40 and (len(held[0]) < 2 or len(held[1]) < 2):
                attempt()
            log("per-worker limit: held %d+%d after %d attempts, refused %s"
                % (len(held[0]), len(held[1]), attempts, refused))
            self.assertEqual((len(held[0]), len(held[1])), (2, 2),
                             "could not fill both workers in 40 attempts")
            # both full: every new one is refused, whichever worker gets it
            for i in range(4):
                w, r = attempt()
                self.assertIsNone(w, "a 5th connection accepted")
            self.assertEqual(g.metric("tlsgate_connections_refused_total"), sum(refused))
            self.assertGreaterEqual(sum(refused), 4)
            # the held ones keep working
            for c in held[0] + held[1]:
                self.again(c)
            # free a slot on worker 0: a new connection that lands there works
            s, f, _ = held[0].pop()
            f.close()
            s.close()
            g.wait_metric("tlsgate_connections_active", lambda v: v == 3, timeout=10)
            got = None
            for i in range(40):
                w, r = attempt()
                if w is not None:
                    got = w
                    break
            self.assertEqual(got, 0, "no connection got the freed slot of worker 0")
            for c in held[0] + held[1]:
                self.again(c, 100)
        finally:
            for c in held[0] + held[1]:
                c[1].close()
                c[0].close()
        self.assertTrue(g.alive())

    def test_sni_routing(self):
        """routes: SNI a.example.net to pool 'ga', b.example.net and
        *.b.example.org to pool 'gb', anything else (unknown SNI, no SNI)
        to the default pool; bodies intact on each."""
        be_a = Backend(name="A")
        be_b = Backend(name="B")
        try:
            conf = self.conf("routes.conf", """
backends = (
  { name = "default"; servers = ["%s"]; },
  { name = "ga"; servers = ["%s"]; },
  { name = "gb"; policy = "least_conn"; servers = ["%s"]; }
);
routes = (
  { sni = "a.example.net"; backend = "ga"; },
  { sni = ["b.example.net", "*.b.example.org"]; backend = "gb"; }
);
""" % (self.backend.addr, be_a.addr, be_b.addr))
            g = self.gate(["-c", conf], certs=("ec", "wild"))
            ctx = client_ctx()  # no verification: some names have no certificate
            for sni, want in (("a.example.net", "A"), ("b.example.net", "B"),
                              ("A.Example.NET", "A"), ("x.b.example.org", "B"),
                              ("c.example.net", "backend"), ("b.example.org", "backend"),
                              ("www.example.com", "backend"), (None, "backend"),
                              ("a.example.net", "A"), ("b.example.net", "B")):
                st, _, b, _ = https_get_sni(g.port, "/whoami", sni, ctx=ctx)
                self.assertEqual((st, b.decode()), (200, want), "SNI %r" % sni)
            for sni in ("a.example.net", "b.example.net", None):
                st, _, b, _ = https_get_sni(g.port, "/bytes/70000", sni, ctx=ctx)
                self.assertEqual((st, hashlib.sha256(b).hexdigest()),
                                 (200, body_sha256(70000)), "SNI %r" % sni)
            self.assertEqual(g.metric("tlsgate_backend_connect_failures_total"), 0)
        finally:
            be_a.stop()
            be_b.stop()

    def test_least_conn(self):
        """policy least_conn: with backend A holding 3 long-lived
        connections and B none, the next 3 connections (held) all go to
        B, then short ones go to B too; tlsgate_backend_connections agrees."""
        from tg_e2e import Gate
        be_a = Backend(name="A")
        be_b = Backend(name="B")
        conns = []
        try:
            conf = self.conf("lc.conf", """
certificates = ( { cert = "%s"; key = "%s"; } );
backends = ( { name = "lc"; policy = "least_conn"; servers = ["%s", "%s"]; } );
access_log = "-";
""" % (self.pki.ec, self.pki.ec_key, be_a.addr, be_b.addr))
            g = Gate(self.tmp, ["-c", conf])
            self.gates.append(g)

            def be_conns():
                t = g.metrics()
                return (g.metric("tlsgate_backend_connections", {"backend": be_a.addr}, t),
                        g.metric("tlsgate_backend_connections", {"backend": be_b.addr}, t))

            for i in range(6):
                conns.append(self.held(g.port, path="/whoami"))
            names = [c[2].decode() for c in conns]
            log("least_conn, 6 held: %s" % names)
            self.assertEqual(sorted(names), ["A"] * 3 + ["B"] * 3, names)
            self.assertEqual(be_conns(), (3, 3))
            # B's connections end: A holds 3, B none
            for c in [c for c in conns if c[2] == b"B"]:
                c[1].close()
                c[0].close()
            conns = [c for c in conns if c[2] == b"A"]
            end = time.monotonic() + 10
            while be_conns() != (3, 0) and time.monotonic() < end:
                time.sleep(0.05)
            self.assertEqual(be_conns(), (3, 0))
            new = [self.held(g.port, path="/whoami") for i in range(3)]
            conns += new
            self.assertEqual([c[2] for c in new], [b"B"] * 3,
                             "with A holding 3 and B 0..2, new connections must go to B")
            self.assertEqual(be_conns(), (3, 3))
            for c in new:
                self.again(c, 5000)
            for c in new:
                c[1].close()
                c[0].close()
            conns = conns[:3]
            end = time.monotonic() + 10
            while be_conns() != (3, 0) and time.monotonic() < end:
                time.sleep(0.05)
            # short connections, one after the other: B has at most 1
            for i in range(5):
                st, _, b, _ = https_get_sni(g.port, "/whoami", "localhost")
                self.assertEqual((st, b), (200, b"B"), "short connection #%d" % i)
        finally:
            for c in conns:
                c[1].close()
                c[0].close()
            be_a.stop()
            be_b.stop()

    # ---- PROXY v2 TLVs and client certificates ---------------------------------------------

    def pp2_of(self, be, cport, timeout=5):
        """The parsed PROXY v2 header the backend got for client port CPORT."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with be.lock:
                hdrs = [h for h in be.proxy_headers if h]
            for h in hdrs:
                p = parse_proxy_v2(h)
                if p["sport"] == cport:
                    return p
            time.sleep(0.02)
        self.fail("no PROXY v2 header for client port %d in %r" % (cport, hdrs))

    def check_pp2(self, p, g, info, sni, alpn, client, verified):
        """The fixed part, the TLVs and PP2_TYPE_SSL of header P."""
        self.assertEqual((p["cmd"], p["family"]), (1, 0x11))
        self.assertEqual((p["src"], p["dst"], p["sport"], p["dport"]),
                         (tpeer(), thost(), info["cport"], g.port))
        tl = p["tlvs"]
        self.assertEqual(pp2_tlv(tl, PP2_TYPE_AUTHORITY), [sni.encode()] if sni else [], tl)
        self.assertEqual(pp2_tlv(tl, PP2_TYPE_ALPN), [alpn.encode()] if alpn else [], tl)
        self.assertEqual(len(pp2_tlv(tl, PP2_TYPE_SSL)), 1, tl)
        ssl_ = p["ssl"]
        self.assertEqual(ssl_["client"], client, "PP2 client flags 0x%02x" % ssl_["client"])
        if verified:
            self.assertEqual(ssl_["verify"], 0, "verify field for a verified certificate")
        else:
            self.assertNotEqual(ssl_["verify"], 0, "verify field without a verified certificate")
        st = ssl_["tlvs"]
        self.assertEqual(pp2_tlv(st, PP2_SUBTYPE_SSL_VERSION), [b"TLSv1.2"], st)
        self.assertEqual(pp2_tlv(st, PP2_SUBTYPE_SSL_CIPHER), [info["cipher"].encode()], st)

    def test_proxy_v2_tlvs(self):
        """--proxy-protocol v2: the backend's header has the addresses,
        PP2_TYPE_ALPN, PP2_TYPE_AUTHORITY (SNI) and PP2_TYPE_SSL with
        version, cipher and the client flags: no certificate (flags SSL,
        verify non-zero), no SNI / no ALPN (no such TLVs), and under
        client_auth require with a real client certificate (SSL|CERT_CONN,
        verify 0)."""
        be = new_backend(expect_proxy=True, name="pp")
        try:
            g = self.gate(["--proxy-protocol", "v2", "--alpn", "h2,http/1.1"],
                          backends=[be.addr])
            ctx = client_ctx(self.pki, alpn=["http/1.1"], ciphers="ECDHE-ECDSA-AES256-GCM-SHA384")
            st, _, b, info = https_get_sni(g.port, "/bytes/3333", "www.example.com", ctx=ctx)
            self.assertEqual((st, b), (200, body(3333)))
            self.assertEqual((info["alpn"], info["cipher"]),
                             ("http/1.1", "ECDHE-ECDSA-AES256-GCM-SHA384"))
            self.check_pp2(self.pp2_of(be, info["cport"]), g, info, "www.example.com",
                           "http/1.1", PP2_CLIENT_SSL, False)
            # h2 preferred by the server
            ctx = client_ctx(alpn=["http/1.1", "h2"])
            st, _, b, info = https_get_sni(g.port, "/bytes/10", "Www.Example.COM", ctx=ctx)
            self.assertEqual(info["alpn"], "h2")
            p = self.pp2_of(be, info["cport"])
            self.assertEqual(pp2_tlv(p["tlvs"], PP2_TYPE_ALPN), [b"h2"])
            self.assertEqual([v.lower() for v in pp2_tlv(p["tlvs"], PP2_TYPE_AUTHORITY)],
                             [b"www.example.com"])
            # no SNI, no ALPN: neither TLV
            st, _, b, info = https_get_sni(g.port, "/bytes/10", None, ctx=client_ctx())
            self.assertEqual((st, b), (200, body(10)))
            self.check_pp2(self.pp2_of(be, info["cport"]), g, info, None, None,
                           PP2_CLIENT_SSL, False)
            g.stop()
            # client_auth require, a real client certificate
            g = self.gate(["--proxy-protocol", "v2", "--client-auth", "require",
                           "--client-ca", self.pki.ca], backends=[be.addr])
            ctx = client_ctx(self.pki, cert=(self.pki.client, self.pki.client_key))
            st, _, b, info = https_get_sni(g.port, "/bytes/3333", "localhost", ctx=ctx)
            self.assertEqual((st, b), (200, body(3333)))
            self.check_pp2(self.pp2_of(be, info["cport"]), g, info, "localhost", None,
                           PP2_CLIENT_SSL | PP2_CLIENT_CERT_CONN, True)
        finally:
            be.stop()

    def untrusted_client_cert(self):
        """A self-signed client certificate (no chain to the CA)."""
        key, crt = os.path.join(self.tmp, "rogue.key"), os.path.join(self.tmp, "rogue.pem")
        if not os.path.exists(crt):
            run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", crt,
                 "-days", "2", "-subj", "/CN=rogue client",
                 "-addext", "extendedKeyUsage=clientAuth"])
        return crt, key

    def test_client_auth_optional(self):
        """client_auth optional: without a certificate and with one both
        get their response; the backend's PROXY v2 PP2_TYPE_SSL says which
        (SSL and verify non-zero / SSL|CERT_CONN and verify 0); a
        certificate that does not verify is refused, not passed as
        unverified."""
        be = new_backend(expect_proxy=True, name="pp")
        try:
            g = self.gate(["--proxy-protocol", "v2", "--client-auth", "optional",
                           "--client-ca", self.pki.ca], backends=[be.addr])
            st, _, b, info = https_get_sni(g.port, "/bytes/4096", "localhost",
                                           ctx=client_ctx(self.pki))
            self.assertEqual((st, b), (200, body(4096)), "optional: no certificate")
            self.check_pp2(self.pp2_of(be, info["cport"]), g, info, "localhost", None,
                           PP2_CLIENT_SSL, False)
            ctx = client_ctx(self.pki, cert=(self.pki.client, self.pki.client_key))
            st, _, b, info = https_get_sni(g.port, "/bytes/4096", "localhost", ctx=ctx)
            self.assertEqual((st, b), (200, body(4096)), "optional: with a certificate")
            self.check_pp2(self.pp2_of(be, info["cport"]), g, info, "localhost", None,
                           PP2_CLIENT_SSL | PP2_CLIENT_CERT_CONN, True)
            # curl, both ways
            args = ["--cacert", self.pki.ca, "--resolve", "localhost:%d:%s" % (g.port, thost()),
                    "-w", "%{http_code}", "-o", "/dev/null",
                    "https://localhost:%d/bytes/10" % g.port]
            self.assertEqual(curl(args).stdout, b"200")
            self.assertEqual(curl(["--cert", self.pki.client, "--key", self.pki.client_key]
                                  + args).stdout, b"200")
            # a certificate that does not chain to client_ca
            n = len(be.proxy_headers)
            with self.assertRaises((ssl.SSLError, ConnectionError)):
                https_get_sni(g.port, "/bytes/10", "localhost",
                              ctx=client_ctx(self.pki, cert=self.untrusted_client_cert()))
            self.assertEqual([h for h in be.proxy_headers[n:] if h], [],
                             "an unverified certificate reached the backend")
            self.assertGateUp(g)
        finally:
            be.stop()

    def test_proxy_v2_resumed_client_cert(self):
        """Was a bug (control/hs.c, resumption): a session whose client
        certificate was verified, resumed by ID or by ticket, reached the
        backend as "no certificate, not verified" (info.peer_cert was not
        set from the session). Expected (proxy-protocol.txt 2.2.5): client
        = SSL|CERT_SESS, verify 0. A resumed session without a certificate
        keeps client = SSL, verify non-zero."""
        be = new_backend(expect_proxy=True, name="pp")
        try:
            g = self.gate(["--proxy-protocol", "v2", "--client-auth", "optional",
                           "--client-ca", self.pki.ca], backends=[be.addr])
            for mode in ("id", "ticket"):
                for cert in (True, False):
                    ctx = client_ctx(self.pki, cert=(self.pki.client, self.pki.client_key)
                                     if cert else None)
                    if mode == "id":
                        ctx.options |= ssl.OP_NO_TICKET
                    st, _, b, info = https_get_sni(g.port, "/bytes/100", "localhost", ctx=ctx)
                    self.assertEqual((st, b), (200, body(100)))
                    self.assertEqual(info["session"].has_ticket, mode == "ticket")
                    st, _, b, info = https_get_sni(g.port, "/bytes/100", "localhost", ctx=ctx,
                                                   session=info["session"])
                    self.assertEqual((st, b), (200, body(100)))
                    self.assertTrue(info["reused"], "%s resumption (cert %s)" % (mode, cert))
                    with self.subTest(mode=mode, cert=cert):
                        self.check_pp2(self.pp2_of(be, info["cport"]), g, info, "localhost",
                                       None, PP2_CLIENT_SSL | PP2_CLIENT_CERT_SESS
                                       if cert else PP2_CLIENT_SSL, cert)
        finally:
            be.stop()

    # ---- dynamic record sizing on the wire ---------------------------------------------------

    RS_SMALL, RS_MAX, RS_RAMP, RS_IDLE_MS = 1200, 16384, 65536, 300

    def record_gate(self):
        """A gate with small record-sizing settings and an AES-GCM suite
        (record plaintext = length - 8 explicit nonce - 16 tag), and a
        TlsRecords client on it (the test closes it: an open connection
        would hold tlsgate's SIGTERM drain in tearDown)."""
        conf = self.conf("records.conf",
                         "records = { small = %d; max = %d; ramp_bytes = %d; idle_ms = %d; };\n"
                         % (self.RS_SMALL, self.RS_MAX, self.RS_RAMP, self.RS_IDLE_MS))
        g = self.gate(["-c", conf, "--suites", "ECDHE-ECDSA-AES128-GCM-SHA256"])
        t = TlsRecords(g.port, client_ctx(self.pki))
        self.assertEqual(t.obj.cipher()[0], "ECDHE-ECDSA-AES128-GCM-SHA256")
        return g, t

    def plain_sizes(self, recs):
        """Plaintext bytes of each (type, length, time) record: all must be
        application data."""
        self.assertTrue(recs)
        self.assertEqual({r[0] for r in recs}, {23}, "non application-data records")
        return [r[1] - 24 for r in recs]

    def test_record_sizing(self):
        """records = { small = 1200; ramp_bytes = 64 KiB; idle_ms = 300 }:
        on the wire (record headers seen by an SSLObject client), the records
        of a fresh connection's first 64 KiB carry at most 1200 bytes, a
        1 MiB body then reaches 16384-byte records (never more, most of the
        bulk in them), and after a backend pause of 4 x idle_ms mid-body
        (the connection silent both ways) the records are small again."""
        small, big, ramp, idle_ms = self.RS_SMALL, self.RS_MAX, self.RS_RAMP, self.RS_IDLE_MS
        g, t = self.record_gate()
        try:
            n = 1 << 20
            st, _, b, recs = t.request("/bytes/%d" % n)
            self.assertEqual((st, hashlib.sha256(b).hexdigest()), (200, body_sha256(n)))
            sizes = self.plain_sizes(recs)
            self.assertEqual(sum(sizes), t.head_len + n, "record lengths do not add up")
            off, early = 0, []
            for p in sizes:
                if off < ramp:
                    early.append(p)
                off += p
            late = sizes[len(early):]
            log("fresh 1 MiB: %d records, first %s, largest of the first %d B: %d; "
                "after: %d records, %d of %d B"
                % (len(sizes), sizes[:4], ramp, max(early), len(late),
                   sum(1 for p in late if p == big), big))
            self.assertLessEqual(max(early), small,
                                 "a record over records.small before ramp_bytes: %s" % early)
            self.assertGreaterEqual(len(early), ramp // small)
            self.assertLessEqual(max(sizes), big)
            self.assertIn(big, late, "no %d-byte record after ramp_bytes" % big)
            self.assertGreaterEqual(sum(p for p in late if p == big), (n - ramp) // 4,
                                    "bulk mostly in small records: %s" % late[:40])
            # the backend pauses mid-body (connection silent both ways)
            a, k = 200000, 30000
            st, _, b, recs = t.request("/pause?a=%d&ms=%d&b=%d" % (a, idle_ms * 4, k))
            self.assertEqual((st, b), (200, body(a + k)))
            sizes = self.plain_sizes(recs)
            self.assertEqual(sum(sizes), t.head_len + a + k)
            off, before, after = 0, [], []
            for p in sizes:
                off += p
                (after if off > t.head_len + a else before).append(p)
            log("a %d ms pause mid-body: before %d records (max %d), after %s"
                % (idle_ms * 4, len(before), max(before), after[:8]))
            self.assertIn(big, before, "still warm before the pause")
            self.assertLessEqual(max(after), small,
                                 "records after %d ms idle (records.idle_ms = %d) are not "
                                 "small: %s" % (idle_ms * 4, idle_ms, after))
            self.assertGreaterEqual(len(after), k // small)
        finally:
            t.close()

    def test_record_sizing_idle_keepalive(self):
        """Was a bug (dataplane/sock/worker.c): after records.idle_ms of
        silence, a new request on a kept-alive connection was answered in
        16 KiB records, as idle was measured from the last client read. Now
        from the last records sent: the response to a request sent after
        more than idle_ms of silence starts with records of at most
        records.small bytes (issue: "small records at connection start and
        after idle")."""
        small, big, idle_ms = self.RS_SMALL, self.RS_MAX, self.RS_IDLE_MS
        g, t = self.record_gate()
        try:
            st, _, b, recs = t.request("/bytes/%d" % (256 << 10))
            self.assertEqual(hashlib.sha256(b).hexdigest(), body_sha256(256 << 10))
            self.assertIn(big, self.plain_sizes(recs), "warm: 16 KiB records")
            time.sleep(idle_ms * 4 / 1000.0)
            n = 40000
            st, _, b, recs = t.request("/bytes/%d" % n)
            self.assertEqual(hashlib.sha256(b).hexdigest(), body_sha256(n))
            sizes = self.plain_sizes(recs)
            self.assertEqual(sum(sizes), t.head_len + n)
            log("new request after %d ms idle: %s" % (idle_ms * 4, sizes[:8]))
            self.assertLessEqual(max(sizes), small,
                                 "response to a request after %d ms idle (records.idle_ms = "
                                 "%d): records of %s bytes" % (idle_ms * 4, idle_ms, sizes))
        finally:
            t.close()


if __name__ == "__main__":
    from tg_e2e import main
    main()
