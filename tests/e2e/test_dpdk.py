# SPDX-License-Identifier: BSD-3-Clause
"""tlsgate --dpdk end to end: tlsgate serves on a DPDK port
(net_af_packet on our end of a veth pair, which stays in this namespace
with no kernel address), its own TCP; the backend (tg_e2e.Backend) and the
clients (curl, openssl s_client, gnutls-cli, Python's ssl) are in a
network namespace on the other end, 198.18.0.0/15 only (tests/net/netns.py
makes and removes them, even on failure). The admin listener stays on
127.0.0.1 here.

Checked: bodies by SHA-256 both ways, TLS 1.2 and 1.3, SNI, ALPN,
resumption (tickets and session IDs), /metrics and `tlsgate stats` with
the DPDK families, SIGHUP reload, drain on SIGTERM (class Dpdk), and:

* the socket mode's own tests, run unchanged through tg_e2e's Transport
  (DpdkTransport: clients and backends in the namespace): DpdkBasic
  (every suite, SNI, ALPN, client auth, PROXY v1/v2 with their TLVs),
  DpdkTls13 (s_client, HRR, client auth, resumption, PROXY v2) and
  DpdkFailures (docs/failures.md's cases that apply to a transport);
* every accel backend on the port, one class each (DpdkAccel_ipsecmb,
  _simd, _evp, and the asynchronous crypto PMDs _aesni_mb, _openssl,
  _scheduler over a crypto_aesni_mb and a crypto_openssl worker):
  bodies 0 B to 3 MiB both ways in TLS 1.2 (AES-GCM and ChaCha20 or
  AES-256) and 1.3, curl, a TLS 1.3 KeyUpdate mid-transfer (s_client K),
  and for the crypto PMDs two workers with 12 clients at once (the CPU
  backends too with TG_E2E_BIG=1);
* the impairment layer at 0%, 1% and 5% loss with reordering: bodies
  0 B, 1 B, 16 KiB +-1, 1 MiB and 20 MiB both ways (2 MiB at 5% loss,
  where our TCP ran at about 0.35 MB/s before RACK-TLP: bench/RESULTS.md);
* TG_E2E_CONNS (default 1000) TLS connections open at once on two
  workers, each with a checked body;
* two workers: each flow served by its owner, backend connections back
  on the worker that opened them (per-worker counters);
* kernel backends (DpdkKernelBackends, --dpdk-backends kernel): the
  backend on 127.0.0.1 here, reached by the workers' helper threads:
  bodies 0 B, 1 MiB, 20 MiB both ways, a refusing backend, none
  reachable, the tlsgate_kback_* counters, and Dpdk's curl, reload,
  aborts and drain.

TG_E2E_BIG=1: 100 MiB bodies in the impairment tests (20 MiB at 5% loss,
about two minutes) and 20 MiB more in each accel backend's. One tlsgate at a time on the port (two would both
see every packet).

Root only (CAP_NET_ADMIN, CAP_NET_RAW): skipped (77) with the reason
otherwise.
"""
import atexit
import hashlib
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "net"))
sys.path.insert(0, HERE)

from tg_e2e import (E2E, Backend, Pki, TLSGATE, Transport, body_sha256,  # noqa: E402
                    have, log, main, read_response, run, use_transport)
import netns  # noqa: E402
import test_basic  # noqa: E402  (their classes are run through shared())
import test_failures  # noqa: E402
import test_tls13  # noqa: E402

LINUX = "198.18.0.1"   # the namespace's end: backend and clients
OURS = "198.18.0.2"    # tlsgate's address on the DPDK port
OURS6 = "2001:2::2"    # and its IPv6 one (RFC 5180 benchmarking space)
PREFIX = 24
MIB = 1 << 20
TG_E2E_BIG = os.environ.get("TG_E2E_BIG") == "1"   # the larger sizes
# the sanitizer pass of scripts/test.sh: the same cases on fewer backends,
# smaller bodies and fewer connections (tlsgate runs several times slower)
TG_E2E_QUICK = os.environ.get("TG_E2E_QUICK") == "1" and not TG_E2E_BIG


def ctx_for(pki, version, alpn=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    v = ssl.TLSVersion.TLSv1_3 if version == "1.3" else ssl.TLSVersion.TLSv1_2
    ctx.minimum_version = ctx.maximum_version = v
    ctx.load_verify_locations(pki.ca)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


class DpdkTransport(Transport):
    """Clients and backends in the namespace on the far end of the veth
    pair; tlsgate's port is the near end (tg_e2e.use_transport)."""
    name = "dpdk"
    host = OURS
    peer = LINUX

    def __init__(self, pair):
        self.pair = pair

    def connect(self, host, port, timeout):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        with self.pair.linux_thread():
            s = socket.socket(fam, socket.SOCK_STREAM)
        try:
            s.settimeout(timeout)
            s.connect((host, port))
        except BaseException:
            s.close()
            raise
        return s

    def argv(self, cmd):
        return ["ip", "netns", "exec", self.pair.ns_linux] + list(cmd)

    def backend(self, **kw):
        kw.setdefault("host", LINUX)
        with self.pair.linux_thread():
            return Backend(**kw)


class Env:
    """The veth pair, the namespace, the PKI and the backend, made once
    for every class here and removed at the end (atexit and meson's
    SIGTERM too)."""
    pair = pki = backend = transport = tmp = None

    @classmethod
    def get(cls):
        if cls.pair is not None:
            return cls
        cls.tmp = tempfile.mkdtemp(prefix="tg-e2e-dpdk-")
        try:
            cls.pair = netns.NetPair(linux_addr="%s/%d" % (LINUX, PREFIX),
                                     our_addr="%s/%d" % (OURS, PREFIX),
                                     ours_in_root=True)
            cls.pair.__enter__()
            atexit.register(cls.close)
            t = time.monotonic()
            cls.pki = Pki(cls.tmp)
            log("PKI ready in %.1fs; veth %s here, %s in %s" % (
                time.monotonic() - t, cls.pair.if_ours, cls.pair.if_linux,
                cls.pair.ns_linux))
            cls.transport = DpdkTransport(cls.pair)
            cls.backend = cls.transport.backend()
        except BaseException:
            cls.close()
            raise
        return cls

    @classmethod
    def close(cls):
        if cls.backend is not None:
            cls.backend.stop()
            cls.backend = None
        if cls.pair is not None:
            cls.pair.__exit__(None, None, None)
            cls.pair = None
        if cls.tmp:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            cls.tmp = None


def tearDownModule():
    Env.close()


class OnDpdk:
    """Mixin: the E2E test class after it runs against tlsgate --dpdk, its
    clients and backends in the namespace (the helpers of tg_e2e through
    DpdkTransport). Put first: OnDpdk's setUpClass replaces the E2E one."""
    pair = None
    backend = None
    gate_args = ()   # added to every tlsgate of the class (--accel ...)

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(TLSGATE):
            raise unittest.SkipTest("no tlsgate binary at %s" % TLSGATE)
        env = Env.get()
        cls.pair, cls.pki, cls.backend = env.pair, env.pki, env.backend
        cls.tmp = tempfile.mkdtemp(prefix="tg-e2e-dpdk-", dir=env.tmp)
        use_transport(env.transport)

    @classmethod
    def tearDownClass(cls):
        use_transport(None)
        if cls.tmp:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            cls.tmp = None

    def gate(self, args=(), impair=None, workers=1, **kw):
        a = ["--dpdk", "--eal",
             "--vdev=net_af_packet0,iface=%s,qdisc_bypass=0%s" % (
                 self.pair.if_ours, ",qpairs=%d" % workers if workers > 1 else ""),
             "--dpdk-addr", "%s/%d" % (OURS, PREFIX), "--workers", str(workers)]
        if impair:
            a += ["--impair", impair]
        return super().gate(a + list(self.gate_args) + list(args), listen_host=OURS,
                            connect=Env.transport.connect, **kw)


    # ---- helpers ---------------------------------------------------------

    def stats_row(self, g, table):
        """`tlsgate stats` of G: (its output, the first two numbers of row 0
        of the table under the heading TABLE, e.g. "DPDK port:")."""
        r = run([TLSGATE, "stats", "--admin", g.admin], timeout=20)
        out = r.stdout.decode()
        self.assertIn(table, out, out)
        row = re.search(r"^0\s+(\d+)\s+(\d+)\s", out.split(table)[1], re.M)
        self.assertIsNotNone(row, out)
        return out, (int(row.group(1)), int(row.group(2)))

    def nsconnect(self, host, port, timeout):
        """A TCP connection from the namespace."""
        return Env.transport.connect(host, port, timeout)

    def in_ns(self, cmd, timeout=60, input=None):
        return run(["ip", "netns", "exec", self.pair.ns_linux] + cmd,
                   timeout=timeout, check=False, input=input)

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

    def served_past(self, g, dead, n):
        """N requests on N connections, every one served (bodies checked)
        with the backend DEAD first in the pool; DEAD marked down, ours
        up."""
        ctx = ctx_for(self.pki, "1.3")
        for i in range(n):
            with self.py_tls(g, ctx) as s:
                st, _, b = self.py_request(s, "GET", "/bytes/%d" % (5000 + i))
                self.assertEqual(st, 200)
                self.assertEqual(hashlib.sha256(b).hexdigest(), body_sha256(5000 + i))
        g.wait_metric("tlsgate_backend_up", lambda v: v == 0, timeout=10,
                      labels={"backend": dead})
        self.assertEqual(g.metric("tlsgate_backend_up", {"backend": self.backend.addr}), 1)

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


def shared(base, names, name=None, gate_args=(), extra=()):
    """BASE (a socket-mode test class) on the DPDK transport, only the
    tests NAMES (the others need loopback or the kernel's TCP); GATE_ARGS
    on every tlsgate; EXTRA: mixins with more tests."""
    cls = type(name or "Dpdk" + base.__name__, (OnDpdk,) + tuple(extra) + (base,),
               {"__doc__": "%s's %s on tlsgate --dpdk%s." % (
                   base.__name__, ", ".join(names),
                   " " + " ".join(gate_args) if gate_args else ""),
                "__module__": __name__, "gate_args": tuple(gate_args)})
    for a in dir(base):
        if a.startswith("test_") and a not in names:
            setattr(cls, a, None)
    return cls


class AccelChecks:
    """Bodies both ways on one accel backend over the DPDK transport."""
    spec = None

    def test_bodies_both_ways(self):
        """TLS 1.2 and 1.3 (AES-128-GCM, and ChaCha20-Poly1305 / AES-256
        where the backend has them): bodies 0 B to 3 MiB both ways on
        keep-alive connections, SHA-256 checked; the records were sealed
        on the backend."""
        g = self.gate(["--log-level", "info"])
        err = g.stderr()
        self.assertIn("records: aes128gcm on %s" % self.spec, err, err[-2000:])
        sizes = (0, 1, 16383, 16385, MIB + 13, 3 * MIB)
        if TG_E2E_BIG:
            sizes += (20 * MIB,)
        for v, ciphers in (("1.2", "ECDHE-ECDSA-AES128-GCM-SHA256"),
                           ("1.2", "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384"),
                           ("1.3", None)):
            ctx = ctx_for(self.pki, v)
            if ciphers:
                ctx.set_ciphers(ciphers)
            with self.py_tls(g, ctx) as s:
                log("%s TLS %s: %s" % (self.spec, v, s.cipher()[0]))
                for n in sizes:
                    st, _, b = self.py_request(s, "GET", "/bytes/%d" % n)
                    self.assertEqual((st, hashlib.sha256(b).hexdigest()),
                                     (200, body_sha256(n)), "GET %d, TLS %s" % (n, v))
                    data = os.urandom(n)
                    st, _, b = self.py_request(s, "POST", "/sha256", data)
                    self.assertEqual(b.strip().decode(), hashlib.sha256(data).hexdigest(),
                                     "POST %d, TLS %s" % (n, v))
        g.wait_metric("tlsgate_records_total", lambda v: v > 500, timeout=10,
                      labels={"dir": "sealed", "backend": self.spec})
        self.assertGreater(g.metric("tlsgate_records_total",
                                    {"dir": "opened", "backend": self.spec}), 500)
        g.wait_metric("tlsgate_connections_active", lambda v: v == 0, timeout=10)
        self.assertNotIn("not returned", g.stderr())

    def test_two_workers_concurrent(self):
        """Two workers (the crypto PMDs: a queue pair each), 12 clients
        at once, each 3 connections with a body both ways (up to 600
        KiB): records of many flows in flight together on both workers'
        queues; every body intact, every connection ends."""
        g = self.gate(["--access-log", "/dev/null"], workers=2)
        errs = []

        def worker(k):
            try:
                ctx = ctx_for(self.pki, "1.3" if k % 2 else "1.2")
                for i in range(3):
                    n = (k * 7919 + i * 104729) % (600 << 10) + 1
                    with self.py_tls(g, ctx) as s:
                        st, _, b = self.py_request(s, "GET", "/bytes/%d" % n)
                        if st != 200 or hashlib.sha256(b).hexdigest() != body_sha256(n):
                            errs.append("client %d: GET %d: %d, %d bytes" % (k, n, st, len(b)))
                        data = os.urandom(n)
                        st, _, b = self.py_request(s, "POST", "/sha256", data)
                        if b.strip().decode() != hashlib.sha256(data).hexdigest():
                            errs.append("client %d: POST %d" % (k, n))
            except Exception as e:  # noqa: BLE001
                errs.append("client %d: %r" % (k, e))

        ts = [threading.Thread(target=worker, args=(k,)) for k in range(12)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        self.assertEqual(errs, [], g.stderr()[-2000:])
        g.wait_metric("tlsgate_connections_active", lambda v: v == 0, timeout=10)
        m = g.metrics()
        for w in ("0", "1"):
            self.assertGreater(g.metric("tlsgate_records_total",
                                        {"worker": w, "dir": "sealed", "backend": self.spec},
                                        m), 0, "worker %s" % w)
        self.assertNotIn("not returned", g.stderr())


def accel_class(name, spec):
    cls = shared(test_tls13.Tls13, ("test_key_update_s_client", "test_curl"),
                 name="DpdkAccel_" + name, extra=(AccelChecks,),
                 gate_args=["--accel", "evp" if spec.startswith("cryptodev:") else spec,
                            "--accel-force", spec])
    if not spec.startswith("cryptodev:") and not TG_E2E_BIG:
        # the CPU backends run at submit: two workers are test_workers_owner's
        cls.test_two_workers_concurrent = None
    return cls


ACCELS = {
    "ipsecmb": "ipsecmb",
    "simd": "simd",
    "evp": "evp",
    "aesni_mb": "cryptodev:crypto_aesni_mb",
    "openssl": "cryptodev:crypto_openssl",
    "scheduler": "cryptodev:crypto_scheduler+worker=crypto_aesni_mb_w0"
                 "+worker=crypto_openssl_w1",
}
if TG_E2E_QUICK:
    # a CPU backend, a crypto PMD and the scheduler over two PMDs
    ACCELS = {k: v for k, v in ACCELS.items() if k in ("ipsecmb", "aesni_mb", "scheduler")}
for _n, _s in ACCELS.items():
    globals()["DpdkAccel_" + _n] = accel_class(_n, _s)
    globals()["DpdkAccel_" + _n].spec = _s


DpdkBasic = shared(test_basic.Basic, (
    "test_every_suite", "test_sni", "test_alpn", "test_client_auth_require",
    "test_client_auth_optional", "test_proxy_protocol", "test_proxy_v2_tlvs",
    "test_python_ssl"))
class OneGatePerPort:
    """Failures' tests that start a tlsgate of their own: two tlsgates on
    one DPDK port would both see every packet (each resets the other's
    connections), so the class's tlsgate (self.g) and its canary stop
    first, the canary's record checked then; tearDown checks the last
    tlsgate only when it is the class's."""

    def gate(self, args=(), **kw):
        if getattr(self, "canary", None) is not None and self.g.alive():
            ok, fail = self.canary.stop()
            self.assertEqual(fail, [], "the canary client failed")
            self.canary = Stopped(ok)
            self.g.stop()
        return super().gate(args, **kw)

    def assertGateUp(self, g):
        if g.alive() or not isinstance(self.canary, Stopped):
            super().assertGateUp(g)


class Stopped:
    """A canary stopped before the end of the test (OneGatePerPort)."""

    def __init__(self, ok):
        self.ok = ok

    def stop(self):
        return max(self.ok, 1), []


DpdkFailures = shared(test_failures.Failures, (
    "test_client_vanishes_mid_handshake", "test_client_vanishes_mid_body",
    "test_backend_all_down", "test_backend_closes_mid_stream",
    "test_slowloris_handshake", "test_garbage", "test_plaintext_http",
    "test_handshake_flood", "test_idle_timeout"), extra=(OneGatePerPort,))
DpdkTls13 = shared(test_tls13.Tls13, (
    "test_s_client", "test_s_client_hrr_and_rsa", "test_client_auth", "test_resumption",
    "test_proxy_v2_tlvs", "test_python_ssl"))


class Dpdk(OnDpdk, E2E):

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
                    "tlsgate_tcp_retransmits_total", "tlsgate_tcp_resets_total",
                    "tlsgate_tcp_zero_copy_bytes_total"):
            self.assertIn("# TYPE %s " % fam, m)
        self.assertGreater(g.metric("tlsgate_net_packets_total", {"dir": "rx"}, m), 700)
        self.assertGreater(g.metric("tlsgate_net_packets_total", {"dir": "tx"}, m), 700)
        self.assertGreaterEqual(g.metric("tlsgate_tcp_opens_total", {"kind": "passive"}, m), 2)
        # active: the backend connections, and health probes
        self.assertGreaterEqual(g.metric("tlsgate_tcp_opens_total", {"kind": "active"}, m), 2)
        self.assertGreater(g.metric("tlsgate_tcp_payload_bytes_total", {"dir": "in"}, m), 2 * MIB)
        # the download's records were sealed in reservations of the
        # client's stream; the upload's took the copy-once path (no
        # chains without dpdk.rx_chain: test_rx_chain)
        self.assertEqual(g.metric("tlsgate_tcp_zero_copy_bytes_total", {"what": "chain_in"}, m), 0)
        self.assertGreater(g.metric("tlsgate_tcp_zero_copy_bytes_total", {"what": "reserved"}, m),
                           MIB // 2)
        self.assertGreater(g.metric("tlsgate_net_neighbour_total", {"what": "arp_rx"}, m), 0)
        self.assertEqual(g.metric("tlsgate_handshakes_total", {"kind": "full"}, m), 2)
        self.assertEqual(g.metric("tlsgate_net_mbufs", None, m), 32768)
        self.assertGreater(g.metric("tlsgate_net_mbufs_free", None, m), 30000)
        out, row = self.stats_row(g, "DPDK port:")
        self.assertGreater(row[0], 700)
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
        self.served_past(g, dead, 8)
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

    def impair(self, loss, reorder, big_mib):
        """LOSS% loss and REORDER% reordering both ways on the port (the
        seeded impairment layer): bodies 0 B to 1 MiB and a large one
        (BIG_MIB; with TG_E2E_BIG=1 100 MiB, 20 MiB at 5% loss) both ways
        on one TLS 1.3 keep-alive connection, TLS 1.2 through curl;
        retransmissions counted when packets were lost."""
        g = self.gate(impair="seed=7,loss=%s%%,reorder=%s%%" % (loss, reorder))
        big = ((20 if loss >= 5 else 100) if TG_E2E_BIG else
               min(big_mib, 4) if TG_E2E_QUICK else big_mib) * MIB
        t = time.monotonic()
        ctx = ctx_for(self.pki, "1.3")
        with self.py_tls(g, ctx, timeout=60) as s:
            for n in (0, 1, 16383, 16385, MIB, big):
                st, _, b = self.py_request(s, "GET", "/bytes/%d" % n)
                self.assertEqual((st, len(b)), (200, n), "GET %d" % n)
                self.assertEqual(hashlib.sha256(b).hexdigest(), body_sha256(n), "GET %d" % n)
                data = os.urandom(n)
                st, _, b = self.py_request(s, "POST", "/sha256", data)
                self.assertEqual(b.strip().decode(), hashlib.sha256(data).hexdigest(),
                                 "POST %d" % n)
        log("%s%% loss, %s%% reordering: 2 x %d MiB and the small ones in %.1fs" % (
            loss, reorder, big >> 20, time.monotonic() - t))
        self.curl_both_ways(g, MIB + 1, "1.2", "imp%s" % loss)
        m = g.metrics()
        if loss:
            self.assertGreater(g.metric("tlsgate_net_impaired_total", {"what": "rx_drop"}, m), 0)
            self.assertGreater(g.metric("tlsgate_net_impaired_total", {"what": "tx_drop"}, m), 0)
            self.assertGreater(g.metric("tlsgate_tcp_retransmits_total",
                                        {"kind": "segments"}, m), 0)
        self.assertGreater(g.metric("tlsgate_net_impaired_total", {"what": "tx_reorder"}, m), 0)
        self.assertGreater(g.metric("tlsgate_net_impaired_total", {"what": "rx_reorder"}, m), 0)
        self.assertIn("impairment on", g.stderr())
        g.wait_metric("tlsgate_connections_active", lambda v: v == 0, timeout=10)

    def test_rx_chain(self):
        """dpdk.rx_chain (--dpdk-rx-chain): uploads of 16385 B to 3 MiB in
        TLS 1.2 (AES-GCM, ChaCha20) and 1.3 on keep-alive connections,
        then 1 MiB through 1% loss and reordering, SHA-256 checked by the
        backend; their large records across segments went from the
        client's receive queue to the backend's send buffer as the
        mbufs they arrived in (tlsgate_tcp_zero_copy_bytes_total chain_in,
        and chain_out: their plaintext, headers and tags cut off)."""
        for imp, sizes in ((None, (16385, MIB + 13, 3 * MIB)),
                           ("seed=11,loss=1%,reorder=1%", (MIB,))):
            g = self.gate(["--dpdk-rx-chain"], impair=imp)
            for v, ciphers in (("1.2", "ECDHE-ECDSA-AES128-GCM-SHA256"),
                               ("1.2", "ECDHE-ECDSA-CHACHA20-POLY1305"),
                               ("1.3", None)):
                ctx = ctx_for(self.pki, v)
                if ciphers:
                    ctx.set_ciphers(ciphers)
                with self.py_tls(g, ctx, timeout=60) as s:
                    for n in sizes:
                        data = os.urandom(n)
                        st, _, b = self.py_request(s, "POST", "/sha256", data)
                        self.assertEqual((st, b.strip().decode()),
                                         (200, hashlib.sha256(data).hexdigest()),
                                         "TLS %s %s POST %d" % (v, ciphers, n))
            g.wait_metric("tlsgate_tcp_payload_bytes_total",
                          lambda v, want=sum(sizes) * 3: v > want,
                          timeout=10, labels={"dir": "in"})
            m = g.metrics()
            zc_in = g.metric("tlsgate_tcp_zero_copy_bytes_total", {"what": "chain_in"}, m)
            zc_out = g.metric("tlsgate_tcp_zero_copy_bytes_total", {"what": "chain_out"}, m)
            log("rx chains%s: %d B in, %d B out" % (" (" + imp + ")" if imp else "",
                                                   zc_in, zc_out))
            self.assertGreater(zc_in, sum(sizes) if imp is None else 64 * 1024)
            self.assertGreater(zc_out, 0.95 * zc_in)
            self.assertLess(zc_out, zc_in)
            self.assertEqual(g.stop(), 0, g.stderr()[-3000:])

    def test_impair_0(self):
        """No loss, 1% reordering: 20 MiB each way."""
        self.impair(0, 1, 20)

    def test_impair_1(self):
        """1% loss, 1% reordering: 20 MiB each way."""
        self.impair(1, 1, 20)

    def test_impair_5(self):
        """5% loss, 5% reordering: 2 MiB each way (RACK-TLP recovers
        most losses without a retransmission timeout: bench/RESULTS.md)."""
        self.impair(5, 5, 2)

    def test_many_connections(self):
        """TG_E2E_CONNS (1000) TLS connections open at once from the
        namespace (asyncio in one process there), on two workers (packets
        handed over between them): every handshake done
        before the first request, then every connection a GET whose body
        is checked against the backend's X-SHA256; tlsgate had them all
        open at once; all end."""
        n = int(os.environ.get("TG_E2E_CONNS", "300" if TG_E2E_QUICK else "1000"))
        g = self.gate(["--max-conns", str(n + 100), "--handshake-timeout", "60000",
                       "--access-log", "/dev/null"], workers=2)
        errpath = os.path.join(self.tmp, "many.stderr")
        with open(errpath, "wb") as errf:
            p = subprocess.Popen(Env.transport.argv([sys.executable, "-c", MANY_CLIENTS, OURS,
                                                     str(g.port), self.pki.ca, str(n)]),
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errf)

        def err():
            with open(errpath, "rb") as f:
                return f.read()[-3000:].decode("utf-8", "replace")

        try:
            t = time.monotonic()
            r, _, _ = select.select([p.stdout], [], [], 120)
            line = p.stdout.readline() if r else b"(nothing in 120 s)"
            self.assertTrue(line.startswith(b"ready"), "%r %s" % (line, err()))
            log("%d TLS connections up in %.1fs (%s)" % (n, time.monotonic() - t, line.strip()))
            active = g.metric("tlsgate_connections_active")
            self.assertEqual(active, n)
            p.stdin.write(b"go\n")
            p.stdin.flush()
            out, _ = p.communicate(timeout=120)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        log("%d requests done in %.1fs: %s" % (n, time.monotonic() - t, out.strip()))
        self.assertEqual(out.strip().split(b"\n")[-1], b"ok %d" % n, err())
        g.wait_metric("tlsgate_connections_active", lambda v: v == 0, timeout=20)
        g.wait_metric("tlsgate_tcp_connections", lambda v: v == 0, timeout=20,
                      labels={"state": "open"})
        self.assertEqual(g.metric("tlsgate_connections_refused_total"), 0)

    def test_workers_owner(self):
        """Two workers (queues 0 and 1; af_packet's fanout spreads packets
        by the kernel's hash, so packets reach the other worker and are
        handed over): every client connection is served by the worker
        that owns its flow (each worker's accepted connections are its
        TCP's passive opens) and every backend connection by the worker
        that opened it (each worker's active opens, health checks off, are
        its accepted connections: a SYN-ACK on the other worker's queue
        came back to it); no TCP reset sent, no packet dropped for want
        of room in the hand-over ring."""
        conf = os.path.join(self.tmp, "owner.conf")
        with open(conf, "w") as f:
            f.write("health_interval = 0;\n")
        g = self.gate(["-c", conf, "--access-log", "/dev/null"], workers=2)
        errs = []

        def worker(k):
            try:
                ctx = ctx_for(self.pki, "1.3" if k % 2 else "1.2")
                for i in range(8):
                    with self.py_tls(g, ctx) as s:
                        n = 20000 + 997 * k + i
                        st, _, b = self.py_request(s, "GET", "/bytes/%d" % n)
                        if st != 200 or hashlib.sha256(b).hexdigest() != body_sha256(n):
                            errs.append("worker %d: %d, %d bytes" % (k, st, len(b)))
                        data = os.urandom(n)
                        st, _, b = self.py_request(s, "POST", "/sha256", data)
                        if b.strip().decode() != hashlib.sha256(data).hexdigest():
                            errs.append("worker %d: POST %d" % (k, n))
            except Exception as e:  # noqa: BLE001
                errs.append("worker %d: %r" % (k, e))

        ts = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        self.assertEqual(errs, [])
        g.wait_metric("tlsgate_connections_active", lambda v: v == 0, timeout=10)
        g.wait_metric("tlsgate_tcp_connections", lambda v: v == 0, timeout=20,
                      labels={"state": "open"})
        time.sleep(0.1)  # the last published counters
        m = g.metrics()
        for w in ("0", "1"):
            acc = g.metric("tlsgate_connections_accepted_total", {"worker": w}, m)
            hs = g.metric("tlsgate_handshakes_total", {"worker": w}, m)
            passive = g.metric("tlsgate_tcp_opens_total", {"worker": w, "kind": "passive"}, m)
            active = g.metric("tlsgate_tcp_opens_total", {"worker": w, "kind": "active"}, m)
            log("worker %s: %d accepted, %d handshakes, %d passive opens, %d active opens"
                % (w, acc, hs, passive, active))
            self.assertGreater(hs, 0, "worker %s served nothing" % w)
            self.assertEqual(acc, passive, "worker %s" % w)
            # one backend connection per handshake (Gate's readiness
            # probe is accepted, then closed without one)
            self.assertEqual(active, hs, "worker %s" % w)
        self.assertEqual(g.metric("tlsgate_handshakes_total", None, m), 64)
        self.assertGreater(g.metric("tlsgate_net_dispatched_total", {"dir": "in"}, m), 0)
        self.assertEqual(g.metric("tlsgate_net_dispatched_total", {"dir": "in"}, m),
                         g.metric("tlsgate_net_dispatched_total", {"dir": "out"}, m))
        self.assertEqual(g.metric("tlsgate_tcp_resets_total", {"dir": "out"}, m), 0)
        # (IPv6 multicast from the namespace's kernel is dropped as not ours)
        for r in ("dispatch_full", "no_mbuf", "tx_full"):
            self.assertEqual(g.metric("tlsgate_net_dropped_total", {"reason": r}, m), 0, r)


class DpdkKernelBackends(Dpdk):
    """dpdk.backend_transport = kernel: the clients on the port (our TCP,
    from the namespace), the backends on kernel sockets of the worker's
    helper thread, listening on 127.0.0.1 in this namespace (which the
    port cannot reach: only the kernel's routes do). Dpdk's curl, reload,
    aborts and drain run here unchanged against that backend, and the
    cases of the kernel path below."""
    gate_args = ("--dpdk-backends", "kernel")
    KEEP = ("test_curl", "test_reload", "test_aborts", "test_z_drain")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = Backend(host="127.0.0.1", name="kernel")

    @classmethod
    def tearDownClass(cls):
        if cls.backend is not None:
            cls.backend.stop()
            cls.backend = None
        super().tearDownClass()

    def test_bodies(self):
        """0 B, 1 MiB and 20 MiB both ways (TLS 1.3; 1 MiB in 1.2 too),
        SHA-256 checked: many rings' worth each way (back-pressure on
        the helper's rings); the helper's counters in /metrics and
        tlsgate stats."""
        g = self.gate(backends=[self.backend.addr])
        self.assertIn("backends through kernel sockets", g.stderr())
        # the helper off the worker's lcore, where the control thread is
        cpus = self.thread_cpus(g.proc.pid)
        self.assertIn("tg-kback-0", cpus, cpus)
        self.assertEqual(cpus["tg-kback-0"], cpus.get("tg-ctl"), cpus)
        for n in (0, MIB, 20 * MIB):
            self.curl_both_ways(g, n, "1.3", "kb%d" % n)
        self.curl_both_ways(g, MIB + 3, "1.2", "kb12")
        # 8 requests: 8 backend connections through the kernel
        g.wait_metric("tlsgate_kback_connects_total", lambda v: v >= 8, timeout=10,
                      labels={"result": "ok"})
        g.wait_metric("tlsgate_kback_connections", lambda v: v == 0, timeout=10)
        m = g.metrics()
        self.assertEqual(g.metric("tlsgate_kback_connects_total", {"result": "failed"}, m), 0)
        self.assertEqual(g.metric("tlsgate_kback_ring_size_bytes", None, m), 65536)
        for d in ("to_backend", "from_backend"):
            self.assertEqual(g.metric("tlsgate_kback_ring_bytes", {"dir": d}, m), 0)
        # no backend connection went through the port
        self.assertEqual(g.metric("tlsgate_tcp_opens_total", {"kind": "active"}, m), 0)
        self.assertGreaterEqual(self.backend.conns, 8)
        _, row = self.stats_row(g, "kernel backends:")
        self.assertGreaterEqual(row[0], 8)

    @staticmethod
    def thread_cpus(pid):
        """{thread name: its Cpus_allowed_list} of process PID."""
        out = {}
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                    name = f.read().strip()
                with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                    m = re.search(r"^Cpus_allowed_list:\s*(\S+)", f.read(), re.M)
            except OSError:
                continue
            out[name] = m.group(1) if m else None
        return out

    def test_two_workers(self):
        """Two workers, a helper thread each: 1 MiB both ways on 6
        connections (placed on either worker), every connection to the
        backend closed by the helpers at the end."""
        g = self.gate(backends=[self.backend.addr], workers=2)
        for i in range(3):
            self.curl_both_ways(g, MIB + i, "1.3", "kb2w%d" % i)
        g.wait_metric("tlsgate_kback_connects_total", lambda v: v >= 6, timeout=10,
                      labels={"result": "ok"})
        g.wait_metric("tlsgate_kback_connections", lambda v: v == 0, timeout=10)
        m = g.metrics()
        # one ring size per worker: both have their helper
        self.assertEqual(g.metric("tlsgate_kback_ring_size_bytes", None, m), 2 * 65536)
        self.assertEqual(g.metric("tlsgate_kback_connects_total", {"result": "failed"}, m), 0)

    def test_backend_down(self):
        """A backend on 127.0.0.1 that refuses: each request goes to the
        next one of the pool; the failures are counted; the health
        checks (kernel connects) mark it down."""
        dead = Backend(host="127.0.0.1")
        dead_addr = dead.addr
        dead.stop()
        g = self.gate(backends=[dead_addr, self.backend.addr])
        self.served_past(g, dead_addr, 6)
        self.assertIn("backend %s (default) is down" % dead_addr, g.stderr())
        # (whether a request met the refusal before the first health
        # check marked it down is a race: test_none_reachable counts them)
        # (the workers publish every 10 ms)
        g.wait_metric("tlsgate_kback_connects_total", lambda v: v >= 6, timeout=10,
                      labels={"result": "ok"})
        # the port's TCP probed nothing: the checks are kernel connects
        self.assertEqual(g.metric("tlsgate_backend_health_probes_total"), 0)

    def test_none_reachable(self):
        """Every backend down: the client gets the documented answer (the
        connection closed after the handshake, no hang) and the connect
        failures are counted."""
        dead = Backend(host="127.0.0.1")
        dead_addr = dead.addr
        dead.stop()
        g = self.gate(backends=[dead_addr])
        ctx = ctx_for(self.pki, "1.3")
        with self.py_tls(g, ctx) as s:
            s.settimeout(30)
            s.sendall(b"GET /bytes/10 HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                got = s.recv(100)
            except (ssl.SSLError, ConnectionResetError):
                got = b""
            self.assertEqual(got, b"")
        g.wait_metric("tlsgate_kback_connects_total", lambda v: v >= 1, timeout=10,
                      labels={"result": "failed"})
        g.wait_metric("tlsgate_kback_connections", lambda v: v == 0, timeout=10)


# Dpdk's tests that need the port's TCP to the backends (probes through
# the port, IPv6, impairment, the owner of backend connections) are not
# DpdkKernelBackends's
for _a in dir(Dpdk):
    if _a.startswith("test_") and _a not in DpdkKernelBackends.KEEP and \
            _a not in DpdkKernelBackends.__dict__:
        setattr(DpdkKernelBackends, _a, None)

MANY_CLIENTS = r"""
import asyncio, hashlib, ssl, sys
host, port, ca, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
ctx = ssl.create_default_context(cafile=ca)

async def conn(i):
    for a in range(3):
        try:
            return await asyncio.wait_for(asyncio.open_connection(
                host, port, ssl=ctx, server_hostname="www.example.com"), 60)
        except (OSError, asyncio.TimeoutError) as e:
            err = e
    raise err

async def get(i, rw):
    r, w = rw
    k = 1000 + 7 * i
    w.write(b"GET /bytes/%d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % k)
    head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 120)
    hs = dict(l.split(b": ", 1) for l in head.split(b"\r\n")[1:] if b": " in l)
    body = await asyncio.wait_for(r.readexactly(int(hs[b"Content-Length"])), 120)
    w.close()
    return hashlib.sha256(body).hexdigest().encode() == hs[b"X-SHA256"] and len(body) == k

async def main():
    conns = await asyncio.gather(*(conn(i) for i in range(n)))
    print("ready %d" % len(conns), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    res = await asyncio.gather(*(get(i, c) for i, c in enumerate(conns)),
                               return_exceptions=True)
    bad = [r for r in res if r is not True]
    for r in bad[:5]:
        print("failed:", repr(r), file=sys.stderr)
    print("ok %d" % res.count(True), flush=True)

asyncio.run(main())
"""


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
