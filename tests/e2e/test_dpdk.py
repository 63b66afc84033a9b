# SPDX-License-Identifier: BSD-3-Clause
"""tlsgate --dpdk end to end: tlsgate serves on a DPDK port
(net_af_packet on our end of a veth pair, which stays in this namespace
with no kernel address), its own TCP; the backend (tg_e2e.Backend) and the
clients (curl, openssl s_client, gnutls-cli, Python's ssl) are in a
network namespace on the other end, 198.18.0.0/15 only (tests/net/netns.py
makes and removes them, even on failure). The admin listener stays on
127.0.0.1 here.

Checked: bodies by SHA-256 both ways (a few MiB), TLS 1.2 and 1.3, SNI,
ALPN, resumption (tickets and session IDs), /metrics and `tlsgate stats`
with the DPDK families, SIGHUP reload, drain on SIGTERM, and a run through
the impairment layer (1% loss and reordering).

Root only (CAP_NET_ADMIN, CAP_NET_RAW): skipped (77) with the reason
otherwise.
"""
import atexit
import hashlib
import os
import re
import shutil
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "net"))
sys.path.insert(0, HERE)

from tg_e2e import (E2E, Backend, Pki, TLSGATE, body_sha256, have,  # noqa: E402
                    log, main, read_response, run)
import netns  # noqa: E402

LINUX = "198.18.0.1"   # the namespace's end: backend and clients
OURS = "198.18.0.2"    # tlsgate's address on the DPDK port
OURS6 = "2001:2::2"    # and its IPv6 one (RFC 5180 benchmarking space)
PREFIX = 24
MIB = 1 << 20


def ctx_for(pki, version, alpn=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    v = ssl.TLSVersion.TLSv1_3 if version == "1.3" else ssl.TLSVersion.TLSv1_2
    ctx.minimum_version = ctx.maximum_version = v
    ctx.load_verify_locations(pki.ca)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


class Dpdk(E2E):
    pair = None
    backend = None

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(TLSGATE):
            raise unittest.SkipTest("no tlsgate binary at %s" % TLSGATE)
        cls.tmp = tempfile.mkdtemp(prefix="tg-e2e-dpdk-")
        try:
            cls.pair = netns.NetPair(linux_addr="%s/%d" % (LINUX, PREFIX),
                                     our_addr="%s/%d" % (OURS, PREFIX),
                                     ours_in_root=True)
            cls.pair.__enter__()
            atexit.register(cls.pair.__exit__, None, None, None)
            t = time.monotonic()
            cls.pki = Pki(cls.tmp)
            log("PKI ready in %.1fs; veth %s here, %s in %s" % (
                time.monotonic() - t, cls.pair.if_ours, cls.pair.if_linux,
                cls.pair.ns_linux))
            with cls.pair.linux_thread():
                cls.backend = Backend(host=LINUX)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.backend is not None:
            cls.backend.stop()
            cls.backend = None
        if cls.pair is not None:
            cls.pair.__exit__(None, None, None)
        if cls.tmp:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            cls.tmp = None

    # ---- helpers ---------------------------------------------------------

    def nsconnect(self, host, port, timeout):
        """A TCP connection from the namespace."""
        with self.pair.linux_thread():
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.settimeout(timeout)
            s.connect((host, port))
        except BaseException:
            s.close()
            raise
        return s

    def gate(self, args=(), impair=None, workers=1, **kw):
        a = ["--dpdk", "--eal",
             "--vdev=net_af_packet0,iface=%s,qdisc_bypass=0%s" % (
                 self.pair.if_ours, ",qpairs=%d" % workers if workers > 1 else ""),
             "--dpdk-addr", "%s/%d" % (OURS, PREFIX), "--workers", str(workers)]
        if impair:
            a += ["--impair", impair]
        return super().gate(a + list(args), listen_host=OURS,
                            connect=self.nsconnect, **kw)

    def in_ns(self, cmd, timeout=60, input=None):
        return run(["ip", "netns", "exec", self.pair.ns_linux] + cmd,
                   timeout=timeout, check=False, input=input)

    def curl(self, g, args, version="1.3", timeout=60):
        tls = ["--tlsv1.3"] if version == "1.3" else ["--tlsv1.2", "--tls-max", "1.2"]
        return self.in_ns(["curl", "-sS", "--max-time", str(timeout), "--cacert",
                           self.pki.ca, "--resolve", "www.example.com:%d:%s" % (
                               g.port, OURS)] + tls + list(args), timeout=timeout + 10)

    def curl_both_ways(self, g, n, version, tag):
        """GET /bytes/N and POST N bytes with curl; SHA-256 both ways."""
        url = "https://www.example.com:%d" % g.port
        out = os.path.join(self.tmp, "dl-%s" % tag)
        r = self.curl(g, ["-o", out, "-w", "%{http_code} %{ssl_version}",
                          url + "/bytes/%d" % n], version)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assertEqual(r.stdout.split()[0], b"200", r.stdout)
        with open(out, "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), body_sha256(n))
        up = os.path.join(self.tmp, "up-%s" % tag)
        data = os.urandom(n)
        with open(up, "wb") as f:
            f.write(data)
        r = self.curl(g, ["--data-binary", "@" + up, "-H",
                          "Content-Type: application/octet-stream",
                          url + "/sha256"], version)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assertEqual(r.stdout.strip().decode(), hashlib.sha256(data).hexdigest())
        os.unlink(out)
        os.unlink(up)

    def py_request(self, s, method, path, data=b""):
        s.sendall(("%s %s HTTP/1.1\r\nHost: www.example.com\r\n"
                   "Content-Length: %d\r\n\r\n" % (method, path, len(data))).encode())
        for i in range(0, len(data), 256 * 1024):
            s.sendall(data[i:i + 256 * 1024])
        f = s.makefile("rb")
        try:
            return read_response(f)
        finally:
            f.close()

    def py_tls(self, g, ctx, sni="www.example.com", session=None, timeout=30):
        raw = self.nsconnect(OURS, g.port, timeout)
        return ctx.wrap_socket(raw, server_hostname=sni, session=session)

    # ---- tests -----------------------------------------------------------

    def test_curl(self):
        """curl, TLS 1.2 and 1.3: 3 MiB each way, SHA-256 checked."""
        g = self.gate()
        for v in ("1.2", "1.3"):
            self.curl_both_ways(g, 3 * MIB + 7, v, "c" + v)
        r = self.curl(g, ["-v", "-o", "/dev/null",
                          "https://www.example.com:%d/" % g.port], "1.3")
        self.assertIn(b"TLSv1.3", r.stderr)

    def test_openssl(self):
        """s_client: TLS 1.2 and 1.3, SNI (a second certificate), ALPN,
        resumption."""
        g = self.gate(["--alpn", "h2,http/1.1"], certs=("ec", "wild"))
        for v in ("1.2", "1.3"):
            sess = os.path.join(self.tmp, "sess" + v)
            req = b"GET /bytes/100000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            base = ["openssl", "s_client", "-connect", "%s:%d" % (OURS, g.port),
                    "-tls1_3" if v == "1.3" else "-tls1_2", "-CAfile", self.pki.ca,
                    "-ign_eof"]
            r = self.in_ns(base + ["-servername", "www.example.com", "-alpn",
                                   "http/1.1", "-sess_out", sess], input=req)
            self.assertIn(b"New, TLSv1." + v[-1].encode(), r.stdout, r.stdout[-1500:])
            self.assertIn(b"ALPN protocol: http/1.1", r.stdout)
            self.assertIn(b"Verify return code: 0 (ok)", r.stdout)
            self.assertIn(b"CN = www.example.com", r.stdout)
            body_ = r.stdout.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in r.stdout else b""
            self.assertEqual(hashlib.sha256(body_[:100000]).hexdigest(),
                             body_sha256(100000))
            r = self.in_ns(base + ["-servername", "www.example.com", "-sess_in", sess],
                           input=req)
            self.assertIn(b"Reused, TLSv1." + v[-1].encode(), r.stdout, r.stdout[-1500:])
            # SNI picks the wildcard certificate
            r = self.in_ns(base + ["-servername", "a.example.net"], input=req)
            self.assertIn(b"CN = *.example.net", r.stdout, r.stdout[-1500:])
            self.assertIn(b"Verify return code: 0 (ok)", r.stdout)
        self.assertGreaterEqual(g.metric("tlsgate_handshakes_total", {"kind": "resumed"}), 2)

    @unittest.skipUnless(have("gnutls-cli"), "gnutls-cli not installed")
    def test_gnutls(self):
        """gnutls-cli, TLS 1.2 and 1.3, its --resume."""
        g = self.gate()
        n = 200000
        for v in ("1.2", "1.3"):
            r = self.in_ns(["gnutls-cli", "--x509cafile", self.pki.ca, "--priority",
                            "NORMAL:-VERS-ALL:+VERS-TLS" + v, "--port", str(g.port),
                            "--verify-hostname", "www.example.com",
                            "--sni-hostname", "www.example.com", OURS],
                           input=b"GET /bytes/%d HTTP/1.1\r\nHost: x\r\n"
                                 b"Connection: close\r\n\r\n" % n, timeout=30)
            out = r.stdout + r.stderr
            self.assertIn(b"Handshake was completed", out, out[-2000:])
            self.assertIn(b"TLS" + v.encode(), out)
            i = r.stdout.find(b"\r\n\r\n")
            self.assertGreater(i, 0, r.stdout[-2000:])
            self.assertEqual(hashlib.sha256(r.stdout[i + 4:i + 4 + n]).hexdigest(),
                             body_sha256(n))
            r = self.in_ns(["gnutls-cli", "--x509cafile", self.pki.ca, "--priority",
                            "NORMAL:-VERS-ALL:+VERS-TLS" + v, "--port", str(g.port),
                            "--verify-hostname", "www.example.com", "--resume",
                            "--sni-hostname", "www.example.com", OURS],
                           input=b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=30)
            out = r.stdout + r.stderr
            self.assertIn(b"This is a resumed session", out, out[-2000:])

    def test_python(self):
        """Python's ssl: 4 MiB each way on one keep-alive connection, TLS
        1.2 and 1.3, ALPN, resumption."""
        g = self.gate(["--alpn", "http/1.1"])
        n = 4 * MIB + 3
        data = os.urandom(n)
        for v in ("1.2", "1.3"):
            ctx = ctx_for(self.pki, v, alpn=["h2", "http/1.1"])
            with self.py_tls(g, ctx) as s:
                self.assertEqual(s.version(), "TLSv" + v)
                self.assertEqual(s.selected_alpn_protocol(), "http/1.1")
                st, h, b = self.py_request(s, "GET", "/bytes/%d" % n)
                self.assertEqual(st, 200)
                self.assertEqual(hashlib.sha256(b).hexdigest(), body_sha256(n))
                st, h, b = self.py_request(s, "POST", "/sha256", data)
                self.assertEqual(st, 200)
                self.assertEqual(b.strip().decode(), hashlib.sha256(data).hexdigest())
                sess = s.session
            with self.py_tls(g, ctx, session=sess) as s:
                st, h, b = self.py_request(s, "GET", "/bytes/1000")
                self.assertEqual(st, 200)
                self.assertTrue(s.session_reused, "TLS %s session not reused" % v)
                self.assertEqual(hashlib.sha256(b).hexdigest(), body_sha256(1000))
        # many short connections, a few at a time
        errs = []

        def worker(k):
            try:
                ctx = ctx_for(self.pki, "1.3" if k % 2 else "1.2")
                for i in range(10):
                    with self.py_tls(g, ctx) as s:
                        st, _, b = self.py_request(s, "GET", "/bytes/%d" % (1000 + k))
                        if st != 200 or hashlib.sha256(b).hexdigest() != body_sha256(1000 + k):
                            errs.append("worker %d: %d, %d bytes" % (k, st, len(b)))
            except Exception as e:  # noqa: BLE001
                errs.append("worker %d: %r" % (k, e))

        ts = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        self.assertEqual(errs, [])
        self.assertFalse(any(t.is_alive() for t in ts))

    def test_admin(self):
        """/metrics has the DPDK families with the traffic's counts;
        tlsgate stats prints the port's table."""
        g = self.gate()
        self.curl_both_ways(g, MIB, "1.3", "adm")
        # the workers publish their counters every 10 ms: wait for the
        # last ones (a loaded machine may not run a worker for a while)
        g.wait_metric("tlsgate_tcp_payload_bytes_total", lambda v: v > 2 * MIB,
                      timeout=10, labels={"dir": "in"})
        m = g.metrics()
        for fam in ("tlsgate_net_packets_total", "tlsgate_net_bytes_total",
                    "tlsgate_net_dropped_total", "tlsgate_net_neighbour_total",
                    "tlsgate_net_mbufs_free", "tlsgate_net_mbufs",
                    "tlsgate_tcp_connections", "tlsgate_tcp_opens_total",
                    "tlsgate_tcp_segments_total", "tlsgate_tcp_payload_bytes_total",
                    "tlsgate_tcp_retransmits_total", "tlsgate_tcp_resets_total"):
            self.assertIn("# TYPE %s " % fam, m)
        self.assertGreater(g.metric("tlsgate_net_packets_total", {"dir": "rx"}, m), 700)
        self.assertGreater(g.metric("tlsgate_net_packets_total", {"dir": "tx"}, m), 700)
        self.assertGreaterEqual(g.metric("tlsgate_tcp_opens_total", {"kind": "passive"}, m), 2)
        # active: the backend connections, and health probes
        self.assertGreaterEqual(g.metric("tlsgate_tcp_opens_total", {"kind": "active"}, m), 2)
        self.assertGreater(g.metric("tlsgate_tcp_payload_bytes_total", {"dir": "in"}, m), 2 * MIB)
        self.assertGreater(g.metric("tlsgate_net_neighbour_total", {"what": "arp_rx"}, m), 0)
        self.assertEqual(g.metric("tlsgate_handshakes_total", {"kind": "full"}, m), 2)
        self.assertEqual(g.metric("tlsgate_net_mbufs", None, m), 32768)
        self.assertGreater(g.metric("tlsgate_net_mbufs_free", None, m), 30000)
        r = run([TLSGATE, "stats", "--admin", g.admin], timeout=20)
        out = r.stdout.decode()
        self.assertIn("DPDK port:", out, out)
        row = re.search(r"^0\s+(\d+)\s+(\d+)\s", out.split("DPDK port:")[1], re.M)
        self.assertIsNotNone(row, out)
        self.assertGreater(int(row.group(1)), 700)
        self.assertIn("198.18.0.1:%d" % self.backend.port, out)

    def test_reload(self):
        """SIGHUP: a new certificate served to new connections while a
        connection from before goes on; a bad config keeps the old one."""
        crt = os.path.join(self.tmp, "reload.pem")
        key = os.path.join(self.tmp, "reload.key")
        shutil.copy(self.pki.ec, crt)
        shutil.copy(self.pki.ec_key, key)
        g = self.gate(certs=((crt, key),))
        ctx = ctx_for(self.pki, "1.3")
        with self.py_tls(g, ctx) as old:
            st, _, b = self.py_request(old, "GET", "/bytes/5000")
            self.assertEqual(st, 200)
            before = old.getpeercert(binary_form=True)
            shutil.copy(self.pki.rsa, crt)
            shutil.copy(self.pki.rsa_key, key)
            g.signal(signal.SIGHUP)
            self.assertTrue(g.wait_reload(1))
            with self.py_tls(g, ctx) as new:
                self.assertNotEqual(new.getpeercert(binary_form=True), before)
                st, _, b = self.py_request(new, "GET", "/bytes/3000")
                self.assertEqual(hashlib.sha256(b).hexdigest(), body_sha256(3000))
            st, _, b = self.py_request(old, "GET", "/bytes/%d" % MIB)
            self.assertEqual(st, 200)
            self.assertEqual(hashlib.sha256(b).hexdigest(), body_sha256(MIB))
        # a key that does not fit: the running certificate stays
        shutil.copy(self.pki.ec_key, key)
        g.signal(signal.SIGHUP)
        self.assertFalse(g.wait_reload(2))
        with self.py_tls(g, ctx) as s:
            st, _, b = self.py_request(s, "GET", "/bytes/100")
            self.assertEqual(st, 200)
        self.assertTrue(g.alive())

    def test_workers_ipv6(self):
        """Two workers on two queues of the port (packets of a flow that
        land on the other worker's queue handed over), IPv4 and IPv6
        listeners."""
        port6 = 9443
        g = self.gate(["--dpdk-addr6", OURS6 + "/64", "--listen",
                       "[%s]:%d" % (OURS6, port6)], workers=2)
        errs = []

        def worker(k):
            try:
                ctx = ctx_for(self.pki, "1.3" if k % 2 else "1.2")
                for i in range(6):
                    with self.py_tls(g, ctx) as s:
                        n = 100000 + 997 * k + i
                        st, _, b = self.py_request(s, "GET", "/bytes/%d" % n)
                        if st != 200 or hashlib.sha256(b).hexdigest() != body_sha256(n):
                            errs.append("worker %d: %d, %d bytes" % (k, st, len(b)))
            except Exception as e:  # noqa: BLE001
                errs.append("worker %d: %r" % (k, e))

        ts = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        self.assertEqual(errs, [])
        self.assertFalse(any(t.is_alive() for t in ts))
        # IPv6: curl to the IPv6 listener, 2 MiB each way
        out = os.path.join(self.tmp, "dl6")
        r = self.in_ns(["curl", "-sS", "--max-time", "60", "--cacert", self.pki.ca,
                        "--resolve", "www.example.com:%d:[%s]" % (port6, OURS6),
                        "-o", out, "https://www.example.com:%d/bytes/%d" % (port6, 2 * MIB)],
                       timeout=70)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        with open(out, "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), body_sha256(2 * MIB))
        m = g.metrics()
        for w in ("0", "1"):
            self.assertGreater(g.metric("tlsgate_tcp_opens_total",
                                        {"worker": w, "kind": "passive"}, m), 0, m)
        self.assertGreater(g.metric("tlsgate_net_neighbour_total", {"what": "nd_rx"}, m), 0)

    def test_aborts(self):
        """Clients that go away mid-download (a reset with data unread,
        a close without close_notify) and many at once: every connection
        ends, every packet buffer is back, tlsgate serves on."""
        g = self.gate()
        ctx = ctx_for(self.pki, "1.3")
        for i in range(6):
            s = self.py_tls(g, ctx)
            s.sendall(b"GET /bytes/%d HTTP/1.1\r\nHost: x\r\n\r\n" % (8 * MIB))
            s.recv(1000)
            if i % 2:
                # SO_LINGER 0: a RST; else a FIN with data unread (a
                # RST too), no close_notify either way
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()
        errs = []

        def worker(k):
            try:
                c = ctx_for(self.pki, "1.2" if k % 2 else "1.3")
                for i in range(4):
                    with self.py_tls(g, c) as s:
                        st, _, b = self.py_request(s, "GET", "/bytes/%d" % (300000 + k))
                        if hashlib.sha256(b).hexdigest() != body_sha256(300000 + k):
                            errs.append("worker %d: %d bytes" % (k, len(b)))
            except Exception as e:  # noqa: BLE001
                errs.append("worker %d: %r" % (k, e))

        ts = [threading.Thread(target=worker, args=(k,)) for k in range(24)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        self.assertEqual(errs, [])
        self.assertFalse(any(t.is_alive() for t in ts))
        # connections end (TIME_WAIT aside) and the buffers come back
        g.wait_metric("tlsgate_tcp_connections", lambda v: v == 0, timeout=20,
                      labels={"state": "open"})
        g.wait_metric("tlsgate_connections_active", lambda v: v == 0, timeout=10)
        g.wait_metric("tlsgate_backend_connections", lambda v: v == 0, timeout=10)
        m = g.metrics()
        for fam in ("tlsgate_tcp_connections", "tlsgate_connections_active",
                    "tlsgate_backend_connections", "tlsgate_net_mbufs_free"):
            self.assertIn("# TYPE %s " % fam, m)
        g.wait_metric("tlsgate_net_mbufs_free", lambda v: v >= 32768 - 600, timeout=10)
        self.assertGreaterEqual(g.metric("tlsgate_tcp_resets_total", {"dir": "in"}), 1)
        self.curl_both_ways(g, MIB, "1.3", "after-aborts")

    def test_backends(self):
        """A backend that refuses (through the port, our TCP's active
        open): the request goes to the next one, the health probes mark it
        down; every request is served."""
        dead = "%s:9" % LINUX
        g = self.gate(backends=[dead, self.backend.addr])
        ctx = ctx_for(self.pki, "1.3")
        for i in range(8):
            with self.py_tls(g, ctx) as s:
                st, _, b = self.py_request(s, "GET", "/bytes/%d" % (5000 + i))
                self.assertEqual(st, 200)
                self.assertEqual(hashlib.sha256(b).hexdigest(), body_sha256(5000 + i))
        g.wait_metric("tlsgate_backend_up", lambda v: v == 0, timeout=10,
                      labels={"backend": dead})
        self.assertEqual(g.metric("tlsgate_backend_up", {"backend": self.backend.addr}), 1)
        self.assertGreater(g.metric("tlsgate_backend_health_probes_total"), 0)
        self.assertIn("backend %s (default) is down" % dead, g.stderr())

    def test_z_drain(self):
        """SIGTERM drains: a response in flight completes, new connections
        are refused, tlsgate exits 0."""
        g = self.gate()
        ctx = ctx_for(self.pki, "1.2")
        res = {}

        def slow():
            try:
                with self.py_tls(g, ctx) as s:
                    res["r"] = self.py_request(s, "GET", "/pause?a=300000&ms=2500&b=700000")
            except Exception as e:  # noqa: BLE001
                res["e"] = e

        t = threading.Thread(target=slow)
        t.start()
        end = time.monotonic() + 10
        while g.metric("tlsgate_backend_connections") < 1 and time.monotonic() < end:
            time.sleep(0.05)
        time.sleep(0.3)
        g.signal(signal.SIGTERM)
        end = time.monotonic() + 5
        while "draining" not in g.stderr() and time.monotonic() < end:
            time.sleep(0.05)
        refused = False
        try:
            with self.py_tls(g, ctx, timeout=3) as s:
                self.py_request(s, "GET", "/bytes/10")
        except (OSError, ssl.SSLError) as e:
            refused = True
            log("new connection while draining: %r" % e)
        t.join(30)
        self.assertFalse(t.is_alive())
        self.assertNotIn("e", res, res.get("e"))
        st, _, b = res["r"]
        self.assertEqual(st, 200)
        self.assertEqual(hashlib.sha256(b).hexdigest(), body_sha256(1000000))
        self.assertTrue(refused, "a connection was served while draining")
        end = time.monotonic() + 15
        while g.alive() and time.monotonic() < end:
            time.sleep(0.05)
        self.assertEqual(g.stop(), 0, g.stderr()[-3000:])
        self.assertIn("stopped", g.stderr())

    def test_impair(self):
        """1% loss and 1% reordering both ways on the port (the seeded
        impairment layer): bodies intact, retransmissions counted."""
        g = self.gate(impair="seed=7,loss=1%,reorder=1%")
        for v in ("1.2", "1.3"):
            self.curl_both_ways(g, 2 * MIB + 1, v, "imp" + v)
        ctx = ctx_for(self.pki, "1.3")
        data = os.urandom(MIB)
        with self.py_tls(g, ctx) as s:
            for i in range(3):
                st, _, b = self.py_request(s, "POST", "/sha256", data)
                self.assertEqual(b.strip().decode(), hashlib.sha256(data).hexdigest())
        m = g.metrics()
        self.assertGreater(g.metric("tlsgate_net_impaired_total", {"what": "rx_drop"}, m), 0)
        self.assertGreater(g.metric("tlsgate_net_impaired_total", {"what": "tx_drop"}, m), 0)
        self.assertGreater(g.metric("tlsgate_net_impaired_total", {"what": "tx_reorder"}, m), 0)
        self.assertGreater(g.metric("tlsgate_tcp_retransmits_total", {"kind": "segments"}, m), 0)
        self.assertIn("impairment on", g.stderr())


def _term(signum, frame):
    # meson's timeout: unwind, so that the namespace and veth go
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("SKIP: tlsgate --dpdk end to end needs root (a network namespace, "
              "a veth pair, AF_PACKET)")
        sys.exit(netns.SKIP)
    if shutil.which("ip") is None or shutil.which("curl") is None or \
            shutil.which("openssl") is None:
        print("SKIP: needs ip (iproute2), curl and openssl")
        sys.exit(netns.SKIP)
    signal.signal(signal.SIGTERM, _term)
    main()
