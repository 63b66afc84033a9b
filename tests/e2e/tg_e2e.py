# SPDX-License-Identifier: BSD-3-Clause
"""Shared helpers of the tlsgate end-to-end tests (stdlib only).

* Pki: a temporary CA with RSA 2048 and ECDSA P-256 server certificates for
  www.example.com / localhost, a wildcard *.example.net, and a client cert.
* Backend: a threaded HTTP/1.1 server on 127.0.0.1 (GET /bytes/N, POST
  /sha256, GET /slow, GET /close, GET /whoami, GET /pause), optionally
  reading PROXY headers (parse_proxy_v2 decodes v2 with its TLVs).
* TlsRecords: a TLS 1.2 client (ssl.SSLObject over a raw socket) that
  records the header of every record the server sends.
* Gate: runs the tlsgate binary ($TLSGATE), waits for its port, stops it
  (SIGTERM, bounded wait, SIGKILL) and keeps its stderr.

Everything binds to 127.0.0.1 and every subprocess runs under a timeout,
unless a test module puts another Transport in place (use_transport):
tests/e2e/test_dpdk.py runs the same tests with tlsgate on a DPDK port and
the clients and backends in a network namespace. Tests that reach tlsgate
through tcp(), new_backend(), thost() and tpeer() (and the helpers here:
curl, s_client, https_get, served_cert, ...) run on either.
"""
import hashlib
import http.server
import os
import re
import shutil
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

TLSGATE = os.environ.get("TLSGATE") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "app", "tlsgate")
HOST = "127.0.0.1"


def log(*a):
    print("[e2e %s]" % time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def run(cmd, timeout=60, check=True, input=None, **kw):
    """subprocess.run with a timeout, bytes output captured."""
    r = subprocess.run(cmd, input=input, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError("%s failed (%d): %s %s" % (
            cmd, r.returncode, r.stdout[-2000:], r.stderr[-2000:]))
    return r


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def have(tool):
    return shutil.which(tool) is not None


# ---- transports -------------------------------------------------------------

class Transport:
    """How clients and backends reach tlsgate: kernel sockets on loopback.
    test_dpdk.py's subclass puts them in a network namespace on the far end
    of a veth pair whose near end is tlsgate's DPDK port."""
    name = "socket"
    host = HOST   # tlsgate's listen address, as the clients reach it
    peer = HOST   # the clients' and backends' address (what PROXY headers say)

    def connect(self, host, port, timeout):
        """A TCP socket connected to HOST:PORT, from the clients' side."""
        return socket.create_connection((host, port), timeout=timeout)

    def argv(self, cmd):
        """CMD (a client tool) run on the clients' side."""
        return list(cmd)

    def backend(self, **kw):
        return Backend(host=self.peer, **kw)


transport = Transport()


def use_transport(t):
    """Put T in place for the helpers here (None: back to loopback)."""
    global transport
    transport = t or Transport()


def tcp(port, timeout=10):
    """A TCP connection to tlsgate's PORT over the current transport."""
    return transport.connect(transport.host, port, timeout)


def thost():
    """tlsgate's address over the current transport."""
    return transport.host


def tpeer():
    """The clients' and backends' address over the current transport."""
    return transport.peer


def tool(cmd):
    """CMD (a client tool's argv) to run on the clients' side."""
    return transport.argv(cmd)


def new_backend(**kw):
    """A Backend where the current transport's backends are."""
    return transport.backend(**kw)


# ---- deterministic bodies ----------------------------------------------------

def _pattern():
    # a SHA-256 chain, 1 MiB + 13 bytes long so that its period matches no
    # record, buffer or segment size
    out = bytearray()
    h = hashlib.sha256(b"tlsgate-e2e").digest()
    while len(out) < (1 << 20) + 13:
        out += h
        h = hashlib.sha256(h).digest()
    return bytes(out[:(1 << 20) + 13])


PATTERN = _pattern()
PLEN = len(PATTERN)
_digests = {}


def body_chunks(n, chunk=PLEN):
    """The N deterministic bytes of /bytes/N, as chunks."""
    off = 0
    while off < n:
        k = min(n - off, PLEN)
        yield PATTERN[:k]
        off += k


def body(n):
    return b"".join(body_chunks(n))


def body_sha256(n):
    if n not in _digests:
        h = hashlib.sha256()
        for c in body_chunks(n):
            h.update(c)
        _digests[n] = h.hexdigest()
    return _digests[n]


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


# ---- PKI -----------------------------------------------------------------------

class Pki:
    """Certificates in DIR (openssl CLI)."""

    def __init__(self, d):
        self.d = d
        self.serial = 0x1000
        self.ca_key = self.p("ca.key")
        self.ca = self.p("ca.pem")
        run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout",
             "-out", self.ca_key])
        run(["openssl", "req", "-x509", "-new", "-key", self.ca_key, "-sha256",
             "-days", "3", "-subj", "/CN=tlsgate e2e CA", "-out", self.ca,
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        sans = ["DNS:www.example.com", "DNS:localhost", "IP:127.0.0.1"]
        self.rsa, self.rsa_key, self.rsa_serial = self.issue(
            "rsa", "rsa", "www.example.com", sans)
        self.ec, self.ec_key, self.ec_serial = self.issue(
            "ec", "ec", "www.example.com", sans)
        self.wild, self.wild_key, self.wild_serial = self.issue(
            "wild", "ec", "*.example.net", ["DNS:*.example.net"])
        self.client, self.client_key, _ = self.issue(
            "client", "ec", "e2e client", ["DNS:client.example.com"],
            eku="clientAuth")

    def p(self, name):
        return os.path.join(self.d, name)

    def issue(self, name, kind, cn, sans, eku="serverAuth", serial=None):
        """Key (KIND rsa, rsa-pss, ec) + certificate signed by the CA;
        returns (cert, key, serial)."""
        key, csr, crt = self.p(name + ".key"), self.p(name + ".csr"), self.p(name + ".pem")
        if kind in ("rsa", "rsa-pss"):
            run(["openssl", "genpkey", "-algorithm", kind.upper(), "-pkeyopt",
                 "rsa_keygen_bits:2048", "-out", key])
        else:
            run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-out", key])
        run(["openssl", "req", "-new", "-key", key, "-subj", "/CN=" + cn,
             "-out", csr])
        if serial is None:
            self.serial += 1
            serial = self.serial
        ext = self.p(name + ".ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=%s\nextendedKeyUsage=%s\n"
                    "basicConstraints=CA:FALSE\n" % (",".join(sans), eku))
        run(["openssl", "x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey",
             self.ca_key, "-set_serial", str(serial), "-days", "2", "-sha256",
             "-extfile", ext, "-out", crt])
        return crt, key, serial


# ---- the backend -----------------------------------------------------------------

PP2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"
PP2_TYPE_ALPN = 0x01
PP2_TYPE_AUTHORITY = 0x02
PP2_TYPE_SSL = 0x20
PP2_SUBTYPE_SSL_VERSION = 0x21
PP2_SUBTYPE_SSL_CN = 0x22
PP2_SUBTYPE_SSL_CIPHER = 0x23
PP2_CLIENT_SSL = 0x01
PP2_CLIENT_CERT_CONN = 0x02
PP2_CLIENT_CERT_SESS = 0x04


def _parse_tlvs(b, what):
    """TLVs (type u8, length u16 BE, value) filling B exactly: [(type, value)]."""
    out = []
    off = 0
    while off < len(b):
        if len(b) - off < 3:
            raise AssertionError("%s: %d stray bytes after the TLVs: %r"
                                 % (what, len(b) - off, b[off:]))
        t, ln = b[off], b[off + 1] << 8 | b[off + 2]
        if off + 3 + ln > len(b):
            raise AssertionError("%s: TLV 0x%02x of %d bytes runs past the end (%d left)"
                                 % (what, t, ln, len(b) - off - 3))
        out.append((t, bytes(b[off + 3:off + 3 + ln])))
        off += 3 + ln
    return out


def parse_proxy_v2(h):
    """Parse a PROXY v2 header (haproxy proxy-protocol.txt 2.2): a dict with
    cmd, family, src, dst, sport, dport (IPv4/IPv6), tlvs ([(type, value)]
    in order), and when a PP2_TYPE_SSL TLV is present, ssl = {client, verify,
    tlvs: [(subtype, value)]}. Malformed lengths raise AssertionError."""
    h = bytes(h)
    if len(h) < 16 or h[:12] != PP2_SIG:
        raise AssertionError("not a PROXY v2 header: %r" % h[:32])
    if h[12] >> 4 != 2:
        raise AssertionError("PROXY v2 version nibble %d" % (h[12] >> 4))
    ln = h[14] << 8 | h[15]
    if len(h) != 16 + ln:
        raise AssertionError("PROXY v2 length %d, got %d bytes" % (ln, len(h) - 16))
    r = {"cmd": h[12] & 0x0f, "family": h[13], "src": None, "dst": None,
         "sport": None, "dport": None}
    body_ = h[16:]
    # TCP over IPv4 (0x11) or IPv6 (0x21): src, dst, sport, dport
    fam = {0x11: (socket.AF_INET, 4), 0x21: (socket.AF_INET6, 16)}.get(h[13])
    alen = 0
    if fam is not None:
        af, n = fam
        alen = 2 * n + 4
        if ln < alen:
            raise AssertionError("PROXY v2 family 0x%02x with %d address bytes"
                                 % (h[13], ln))
        r.update(src=socket.inet_ntop(af, body_[0:n]),
                 dst=socket.inet_ntop(af, body_[n:2 * n]),
                 sport=int.from_bytes(body_[2 * n:2 * n + 2], "big"),
                 dport=int.from_bytes(body_[2 * n + 2:2 * n + 4], "big"))
    r["tlvs"] = _parse_tlvs(body_[alen:], "PROXY v2")
    for t, v in r["tlvs"]:
        if t == PP2_TYPE_SSL:
            if len(v) < 5:
                raise AssertionError("PP2_TYPE_SSL of %d bytes" % len(v))
            r["ssl"] = {"client": v[0], "verify": int.from_bytes(v[1:5], "big"),
                        "tlvs": _parse_tlvs(v[5:], "PP2_TYPE_SSL")}
    return r


def pp2_tlv(tlvs, t):
    """The values of TLV type T in a parsed TLV list."""
    return [v for k, v in tlvs if k == t]


def _read_proxy_header(rfile):
    """Read a PROXY v1 or v2 header from rfile; returns its bytes (parse a
    v2 header with parse_proxy_v2)."""
    sig2 = PP2_SIG
    first = rfile.peek(1)[:1] if hasattr(rfile, "peek") else b""
    if first == b"P":
        return rfile.readline(108)
    head = rfile.read(16)
    if head[:12] != sig2:
        return head  # not a PROXY header: recorded as such
    ln = head[14] << 8 | head[15]
    return head + rfile.read(ln)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tg-e2e-backend"

    def log_message(self, fmt, *args):  # quiet
        pass

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.conn_count_inc()
        if self.server.expect_proxy:
            try:
                h = _read_proxy_header(self.rfile)
            except Exception as e:  # pragma: no cover
                h = repr(e).encode()
            with self.server.lock:
                self.server.proxy_headers.append(h)

    def _send(self, code, data, ctype="application/octet-stream", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        q = self.path.split("?", 1)[1] if "?" in self.path else ""
        m = re.fullmatch(r"/bytes/(\d+)", path)
        if m:
            n = int(m.group(1))
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(n))
            self.send_header("X-SHA256", body_sha256(n))
            self.end_headers()
            for c in body_chunks(n):
                self.wfile.write(c)
            return
        if path == "/slow":
            ms = int(q.split("=", 1)[1]) if q.startswith("ms=") else 2000
            time.sleep(ms / 1000.0)
            return self._send(200, b"slow done\n", "text/plain")
        if path == "/close":
            # promise 1 MiB, send 64 KiB, then close the socket
            self.send_response(200)
            self.send_header("Content-Length", str(1 << 20))
            self.end_headers()
            self.wfile.write(body(65536))
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if path == "/whoami":
            return self._send(200, self.server.name.encode(), "text/plain")
        if path == "/pause":
            # /pause?a=N&ms=M&b=K: N bytes of the pattern, a pause of M ms
            # with the connection idle, then the next K bytes
            args = dict(kv.split("=", 1) for kv in q.split("&") if "=" in kv)
            a, ms, b = int(args.get("a", 0)), int(args.get("ms", 0)), int(args.get("b", 0))
            data = body(a + b)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(a + b))
            self.end_headers()
            self.wfile.write(data[:a])
            self.wfile.flush()
            time.sleep(ms / 1000.0)
            self.wfile.write(data[a:])
            return
        if path == "/":
            return self._send(200, b"tlsgate e2e backend\n", "text/plain")
        return self._send(404, b"not found\n", "text/plain")

    def do_POST(self):
        # POST /sha256[?rate=BYTES_PER_SECOND]: a slow reader when rate is set
        path, _, q = self.path.partition("?")
        if path != "/sha256":
            return self._send(404, b"not found\n", "text/plain")
        rate = int(q.split("=", 1)[1]) if q.startswith("rate=") else 0
        h = hashlib.sha256()
        te = self.headers.get("Transfer-Encoding", "")
        n = 0
        if "chunked" in te.lower():
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                left = size
                while left:
                    b = self.rfile.read(min(left, 1 << 16))
                    if not b:
                        raise ConnectionError("short chunk")
                    h.update(b)
                    left -= len(b)
                    n += len(b)
                self.rfile.readline(16)
        else:
            left = int(self.headers.get("Content-Length", "0"))
            while left:
                b = self.rfile.read(min(left, 1 << 16))
                if not b:
                    raise ConnectionError("short body")
                h.update(b)
                left -= len(b)
                n += len(b)
                if rate:
                    time.sleep(len(b) / rate)
        self._send(200, (h.hexdigest() + "\n").encode(), "text/plain",
                   extra=[("X-Body-Length", str(n))])


class Backend(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 2048

    def __init__(self, expect_proxy=False, port=0, name="backend", host=HOST):
        """name: what GET /whoami answers (to tell backends apart); host:
        the address to bind (made in another network namespace, the
        socket serves there)."""
        super().__init__((host, port), _Handler)
        self.expect_proxy = expect_proxy
        self.name = name
        self.proxy_headers = []
        self.lock = threading.Lock()
        self.conns = 0
        self._stopped = False
        self.port = self.server_address[1]
        self.addr = "%s:%d" % (host, self.port)
        self._t = threading.Thread(target=self.serve_forever,
                                   kwargs={"poll_interval": 0.1}, daemon=True)
        self._t.start()

    def handle_error(self, request, client_address):
        # clients (tlsgate) going away mid-response are part of the tests
        if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError, TimeoutError)):
            super().handle_error(request, client_address)

    def conn_count_inc(self):
        with self.lock:
            self.conns += 1

    def stop(self):
        if not self._stopped:
            self._stopped = True
            self.shutdown()
            self.server_close()


# ---- tlsgate ---------------------------------------------------------------------------

class Gate:
    """A running tlsgate. args: extra flags; listen/admin ports are picked."""

    def __init__(self, workdir, args, name="tlsgate", admin=True, wait=True,
                 listen_port=None, admin_port=None, addr_flags=True, env=None,
                 listen_host=HOST, connect=None):
        """addr_flags=False: the listen and admin addresses (listen_port,
        admin_port) are in the config file, not on the command line.
        env: variables to set (value None: to remove) for tlsgate only.
        Ports picked here are free when picked; another process may take
        one before tlsgate binds it, so a start that fails with "Address
        already in use" is tried again with new ports (up to 5 times), as
        is one whose net_af_packet fanout group number was taken.
        listen_host: the address of --listen (the DPDK port's with
        --dpdk); connect(host, port, timeout): how to reach it, a socket
        (default socket.create_connection; the admin address stays
        127.0.0.1 here)."""
        self.listen_host = listen_host
        self.connect = connect or (lambda h, p, t: socket.create_connection((h, p), timeout=t))
        ours = listen_port is None and (admin_port is None or not admin)
        for attempt in range(5):
            self._start(workdir, args, name, admin, listen_port, admin_port,
                        addr_flags, env)
            if not wait:
                return
            try:
                self.wait_ready()
                return
            except AssertionError:
                err = self.stderr() if self.proc.poll() is not None else ""
                # DPDK 22.11's net_af_packet names its fanout group
                # (getpid() ^ ifindex) & 0xffff: another process's group
                # of that number on another device of this namespace (a
                # busy machine's pids wrap past 16 bits) refuses ours with
                # EINVAL; a new process has another pid
                fanout = "could not set PACKET_FANOUT" in err
                if attempt == 4 or not (fanout or (ours and "Address already in use" in err)):
                    raise
                log("fanout group taken (%s), starting again" % self.addr if fanout else
                    "port taken meanwhile (%s), starting again on new ports" % self.addr)

    def _start(self, workdir, args, name, admin, listen_port, admin_port,
               addr_flags, env):
        self.port = listen_port or free_port()
        self.admin_port = (admin_port or free_port()) if admin else None
        self.addr = "%s:%d" % (self.listen_host, self.port)
        self.admin = "%s:%d" % (HOST, self.admin_port) if admin else None
        self.errpath = os.path.join(workdir, "%s-%d.stderr" % (name, self.port))
        cmd = [TLSGATE]
        if addr_flags:
            cmd += ["--listen", self.addr]
            if admin:
                cmd += ["--admin", self.admin]
        cmd += list(args)
        self.cmd = cmd
        if getattr(self, "_err", None) is not None:
            self._err.close()  # a start tried before on ports taken since
        self._err = open(self.errpath, "wb")
        penv = dict(os.environ)
        for k, v in (env or {}).items():
            if v is None:
                penv.pop(k, None)
            else:
                penv[k] = v
        for attempt in range(100):
            try:
                self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                             stdout=self._err, stderr=self._err,
                                             cwd=workdir, env=penv)
                break
            except OSError as e:
                # the binary is being relinked by a parallel build
                # (ETXTBSY, EACCES, ENOENT for a moment): wait for it
                if attempt == 99:
                    raise
                log("cannot start tlsgate yet (%s), retrying" % e)
                time.sleep(0.2)
        self.pid = self.proc.pid
        self.rc = None

    def wait_reload(self, count=1, timeout=10):
        """Wait for the COUNT-th reload outcome in the log: True if it was
        'reload: done', False if it kept the running config."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            outs = re.findall(r"reload: (done|configuration has errors|certificates or keys failed|backends failed)",
                              self.stderr())
            if len(outs) >= count:
                return outs[count - 1] == "done"
            time.sleep(0.05)
        raise AssertionError("no reload outcome in the log: %s" % self.stderr()[-2000:])

    def wait_ready(self, timeout=30):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise AssertionError("tlsgate exited (%d) at start: %s" % (
                    self.proc.returncode, self.stderr()))
            try:
                with self.connect(self.listen_host, self.port, 0.5):
                    pass
                if self.admin_port:
                    with socket.create_connection((HOST, self.admin_port), timeout=0.5):
                        pass
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("tlsgate not ready after %ss: %s" % (timeout, self.stderr()))

    def alive(self):
        return self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=15):
        """SIGTERM, wait up to timeout, then SIGKILL. Returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log("tlsgate did not stop in %ss: SIGKILL" % timeout)
                self.proc.kill()
                self.proc.wait(10)
        self.rc = self.proc.returncode
        self._err.close()
        return self.rc

    def stderr(self):
        try:
            self._err.flush()
        except ValueError:
            pass
        with open(self.errpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def rss_kib(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def metrics(self, timeout=5):
        with urllib.request.urlopen("http://%s/metrics" % self.admin, timeout=timeout) as r:
            return r.read().decode()

    def metric(self, name, labels=None, text=None):
        """Sum of the samples of NAME (optionally only those whose labels
        include every k="v" in LABELS); TEXT: a /metrics page already read
        (several values from one snapshot)."""
        total = 0.0
        for line in (self.metrics() if text is None else text).splitlines():
            if line.startswith("#"):
                continue
            m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$', line)
            if not m or m.group(1) != name:
                continue
            if labels:
                lab = m.group(2) or ""
                if not all('%s="%s"' % kv in lab for kv in labels.items()):
                    continue
            total += float(m.group(3))
        return total

    def wait_metric(self, name, pred, timeout=10, labels=None):
        end = time.monotonic() + timeout
        v = None
        while time.monotonic() < end:
            v = self.metric(name, labels)
            if pred(v):
                return v
            time.sleep(0.1)
        raise AssertionError("%s stayed at %r for %ss" % (name, v, timeout))


# ---- clients -----------------------------------------------------------------------------

def client_ctx(pki=None, ciphers=None, alpn=None, cert=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if pki is not None:
        ctx.load_verify_locations(pki.ca)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if ciphers:
        ctx.set_ciphers(ciphers)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    if cert:
        ctx.load_cert_chain(cert[0], cert[1])
    return ctx


def read_response(f):
    """Read one HTTP/1.1 response from file object F: (status, headers, body)."""
    line = f.readline(65536)
    if not line:
        raise ConnectionError("connection closed before the status line")
    parts = line.decode("latin-1").split(" ", 2)
    status = int(parts[1])
    headers = {}
    while True:
        h = f.readline(65536)
        if not h:
            raise ConnectionError("closed in headers")
        if h in (b"\r\n", b"\n"):
            break
        k, v = h.decode("latin-1").split(":", 1)
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    data = bytearray()
    while len(data) < n:
        b = f.read(n - len(data))
        if not b:
            break
        data += b
    return status, headers, bytes(data)


def https_get(port, path, ctx=None, host="localhost", timeout=20, sni=None):
    """One TLS connection, one GET; returns (status, headers, body)."""
    ctx = ctx or client_ctx()
    with tcp(port, timeout=timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname=sni or host) as s:
            s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                       % (path, host)).encode())
            f = s.makefile("rb")
            try:
                return read_response(f)
            finally:
                f.close()


def https_get_sni(port, path, sni, ctx=None, timeout=20, session=None):
    """Like https_get, with SNI exactly SNI (None: no server_name extension
    at all). Returns (status, headers, body, ssl socket info dict)."""
    ctx = ctx or client_ctx()
    if sni is None and ctx.check_hostname:
        raise ValueError("no SNI needs a context without check_hostname")
    with tcp(port, timeout=timeout) as raw:
        cport = raw.getsockname()[1]
        with ctx.wrap_socket(raw, server_hostname=sni, session=session) as s:
            s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                       % (path, sni or "localhost")).encode())
            f = s.makefile("rb")
            try:
                st, h, b = read_response(f)
            finally:
                f.close()
            info = {"cipher": s.cipher()[0], "version": s.version(),
                    "alpn": s.selected_alpn_protocol(), "reused": s.session_reused,
                    "session": s.session, "cport": cport}
            return st, h, b, info


class TlsRecords:
    """A TLS client (ssl.SSLObject over memory BIOs on a plain socket) that
    logs the header of every record the server sends: self.records is a
    list of (content type, length field, time.monotonic() of arrival).
    mark() / since(mark) select the records of one exchange."""

    def __init__(self, port, ctx=None, sni="localhost", timeout=20):
        self.ctx = ctx or client_ctx()
        self.sock = tcp(port, timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        self.obj = self.ctx.wrap_bio(self.inc, self.out, server_hostname=sni)
        self.raw = bytearray()   # received bytes not yet a whole record
        self.records = []
        self.plain = bytearray()  # decrypted bytes not yet consumed
        self.timeout = timeout
        self.eof = False
        end = time.monotonic() + timeout
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                self._recv(end)
        self._flush()
        self.hs_records = len(self.records)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _flush(self):
        data = self.out.read()
        if data:
            self.sock.sendall(data)

    def _recv(self, end):
        """Read from the socket, log and hand over every whole record."""
        if time.monotonic() > end:
            raise TimeoutError("TlsRecords: nothing for %ss" % self.timeout)
        b = self.sock.recv(1 << 18)
        if not b:
            self.eof = True
            raise ConnectionError("TlsRecords: EOF from the server")
        self.raw += b
        now = time.monotonic()
        while len(self.raw) >= 5:
            ln = self.raw[3] << 8 | self.raw[4]
            if len(self.raw) < 5 + ln:
                break
            self.records.append((self.raw[0], ln, now))
            self.inc.write(bytes(self.raw[:5 + ln]))
            del self.raw[:5 + ln]

    def send(self, data):
        self.obj.write(data)
        self._flush()

    def _fill(self, end):
        while True:
            try:
                b = self.obj.read(1 << 17)
            except ssl.SSLWantReadError:
                self._flush()
                self._recv(end)
                continue
            if not b:
                raise ConnectionError("TlsRecords: close_notify")
            self.plain += b
            return

    def read_exact(self, n):
        end = time.monotonic() + self.timeout
        while len(self.plain) < n:
            self._fill(end)
        out = bytes(self.plain[:n])
        del self.plain[:n]
        return out

    def read_until(self, sep, limit=65536):
        end = time.monotonic() + self.timeout
        while sep not in self.plain:
            if len(self.plain) > limit:
                raise AssertionError("no %r in %d bytes" % (sep, limit))
            self._fill(end)
        i = self.plain.index(sep) + len(sep)
        out = bytes(self.plain[:i])
        del self.plain[:i]
        return out

    def request(self, path, host="localhost"):
        """GET PATH (keep-alive): (status, headers, body, the records that
        carried the response, as (type, length, time)); self.head_len is
        the length of the response's status line and headers."""
        mark = len(self.records)
        self.send(("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, host)).encode())
        head = self.read_until(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for h in lines[1:]:
            if ":" in h:
                k, v = h.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        data = self.read_exact(int(headers.get("content-length", "0")))
        self.head_len = len(head)
        return status, headers, data, self.records[mark:]


def recv_all(sock):
    """Everything SOCK receives until the peer closes."""
    data = b""
    while True:
        b = sock.recv(65536)
        if not b:
            return data
        data += b


def plain_alert(desc, level=2):
    """The bytes of an alert record in clear (before keys), TLS 1.2."""
    return bytes([0x15, 3, 3, 0, 2, level, desc])


def recv_until_close(s, timeout):
    """Read until EOF or reset: (bytes, seconds, "fin" | "rst"); raises
    socket.timeout when the server neither closes nor resets in time."""
    s.settimeout(timeout)
    t = time.monotonic()
    data = b""
    while True:
        try:
            b = s.recv(65536)
        except ConnectionResetError:
            return data, time.monotonic() - t, "rst"
        if not b:
            return data, time.monotonic() - t, "fin"
        data += b


def client_hello(sni="localhost"):
    """A real ClientHello, captured from Python's ssl with memory BIOs."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = client_ctx().wrap_bio(inc, out, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def curl(args, timeout=60, check=True):
    return run(transport.argv(["curl", "-sS", "--max-time", str(timeout)] + list(args)),
               timeout=timeout + 10, check=check)


def s_client(port, args=(), input=b"", timeout=20, check=False):
    """openssl s_client against tlsgate's PORT (stdin = INPUT)."""
    return run(transport.argv(["openssl", "s_client", "-connect", "%s:%d" % (thost(), port),
                               "-tls1_2"] + list(args)), input=input, timeout=timeout,
               check=check)


def cert_serial(pem_text):
    r = run(["openssl", "x509", "-noout", "-serial"], input=pem_text.encode()
            if isinstance(pem_text, str) else pem_text)
    return int(r.stdout.decode().strip().split("=", 1)[1], 16)


def served_cert(port, servername=None, timeout=20):
    """The leaf certificate (PEM) the server sends, via s_client."""
    args = ["-showcerts"]
    if servername:
        args += ["-servername", servername]
    r = s_client(port, args, input=b"", timeout=timeout)
    m = re.search(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n",
                  r.stdout, re.S)
    if not m:
        raise AssertionError("no certificate from s_client: %r" % r.stdout[-1500:])
    return m.group(0)


def cert_subject(pem):
    return run(["openssl", "x509", "-noout", "-subject"], input=pem).stdout.decode().strip()


# ---- test scaffolding ---------------------------------------------------------------------

class E2E(unittest.TestCase):
    """A class-wide temp dir with a PKI and a backend; gates per test."""
    pki = None
    tmp = None

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(TLSGATE):
            raise unittest.SkipTest("no tlsgate binary at %s" % TLSGATE)
        cls.tmp = tempfile.mkdtemp(prefix="tg-e2e-")
        t = time.monotonic()
        cls.pki = Pki(cls.tmp)
        log("PKI ready in %.1fs in %s" % (time.monotonic() - t, cls.tmp))
        cls.backend = Backend()

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "backend", None):
            cls.backend.stop()
        if cls.tmp:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.gates = []
        self.t0 = time.monotonic()

    def tearDown(self):
        for g in self.gates:
            g.stop()
            if g.rc not in (0, None, -signal.SIGKILL):
                log("tlsgate exit %s; stderr tail:\n%s" % (g.rc, g.stderr()[-3000:]))
        log("%s: %.1fs" % (self.id(), time.monotonic() - self.t0))

    def gate(self, args=(), certs=("ec",), backends=None, **kw):
        a = []
        for c in certs:
            crt, key = {"ec": (self.pki.ec, self.pki.ec_key),
                        "rsa": (self.pki.rsa, self.pki.rsa_key),
                        "wild": (self.pki.wild, self.pki.wild_key)}.get(c, c)
            a += ["--cert", crt, "--key", key]
        for b in (backends or [self.backend.addr]):
            a += ["--backend", b]
        a += ["--access-log", "-"] if "--access-log" not in args else []
        g = Gate(self.tmp, a + list(args), **kw)
        self.gates.append(g)
        return g

    def assertGateUp(self, g):
        self.assertTrue(g.alive(), "tlsgate died: rc=%s\n%s" % (
            g.proc.returncode, g.stderr()[-3000:]))
        st, _, b = https_get(g.port, "/bytes/1000")
        self.assertEqual(st, 200)
        self.assertEqual(hashlib.sha256(b).hexdigest(), body_sha256(1000))


def main():
    r = unittest.main(exit=False, verbosity=2)
    sys.exit(0 if r.result.wasSuccessful() else 1)
