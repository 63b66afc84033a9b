#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""tlsgate end to end: what outside clients, suites and load found
(issue 16). Real clients (openssl s_client, curl, Python ssl) and raw
records against tlsgate on loopback:

* certificate choice without SNI, both certificates in both orders;
* streams of warning alerts and of 1-byte handshake records;
* large and fragmented ClientHellos, and the alerts of what is refused;
* TLS 1.2 signature schemes whatever the curve, long lists;
* resumption details and SNI syntax.

Each case asserts what docs/failures.md and docs/decisions.md say."""
import io
import os
import re
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tg_e2e import (E2E, HOST, client_ctx, client_hello, curl, log, main,  # noqa: E402
                    plain_alert, read_response, recv_until_close, s_client)

UNEXPECTED_MESSAGE = 10
ILLEGAL_PARAMETER = 47
DECODE_ERROR = 50


def records(data):
    """Split whole TLS records: [(type, payload)]."""
    out, off = [], 0
    while off + 5 <= len(data):
        n = data[off + 3] << 8 | data[off + 4]
        out.append((data[off], data[off + 5:off + 5 + n]))
        off += 5 + n
    assert off == len(data), "a partial record"
    return out


def record(ctype, payload):
    return bytes([ctype, 3, 3, len(payload) >> 8, len(payload) & 0xff]) + payload


def grow_client_hello(msg, n_suites, pad):
    """A ClientHello message (header included) with N_SUITES unassigned
    cipher suites in front of its own and a padding extension (RFC 7685)
    of PAD bytes after its extensions."""
    at = 4 + 2 + 32
    at += 1 + msg[at]
    n_old = msg[at] << 8 | msg[at + 1]
    suites = msg[at + 2:at + 2 + n_old]
    comp_at = at + 2 + n_old
    ext_at = comp_at + 1 + msg[comp_at]
    exts = msg[ext_at + 2:]
    assert len(exts) == (msg[ext_at] << 8 | msg[ext_at + 1])
    new_suites = b"".join(bytes([0xfe, i & 0xff]) for i in range(n_suites)) + suites
    new_exts = exts + b"\x00\x15" + pad.to_bytes(2, "big") + bytes(pad)
    body = (msg[4:at] + len(new_suites).to_bytes(2, "big") + new_suites +
            msg[comp_at:ext_at] + len(new_exts).to_bytes(2, "big") + new_exts)
    return bytes([1]) + len(body).to_bytes(3, "big") + body


class Hello:
    """A ClientHello message (header included) taken apart: version and
    random, session_id, cipher suites and compression (kept as bytes),
    and the extensions as a list of [type, data]; bytes() puts it back."""

    def __init__(self, msg):
        assert msg[0] == 1
        at = 4 + 2 + 32
        self.head = msg[4:at]
        self.sid = msg[at + 1:at + 1 + msg[at]]
        at += 1 + msg[at]
        n = msg[at] << 8 | msg[at + 1]
        comp_at = at + 2 + n
        ext_at = comp_at + 1 + msg[comp_at]
        self.middle = msg[at:ext_at]
        self.exts = []
        off, end = ext_at + 2, len(msg)
        while off < end:
            t, ln = msg[off] << 8 | msg[off + 1], msg[off + 2] << 8 | msg[off + 3]
            self.exts.append([t, msg[off + 4:off + 4 + ln]])
            off += 4 + ln

    def drop(self, t):
        self.exts = [e for e in self.exts if e[0] != t]
        return self

    def set(self, t, data):
        for e in self.exts:
            if e[0] == t:
                e[1] = data
        return self

    def __bytes__(self):
        exts = b"".join(t.to_bytes(2, "big") + len(d).to_bytes(2, "big") + d
                        for t, d in self.exts)
        body = (self.head + bytes([len(self.sid)]) + self.sid + self.middle +
                len(exts).to_bytes(2, "big") + exts)
        return bytes([1]) + len(body).to_bytes(3, "big") + body


def server_flight(port, msg, timeout=10):
    """Send ClientHello MSG (one record), read the server's answer up to
    its ChangeCipherSpec (resumed), ServerHelloDone (full) or an alert:
    [(record type, payload)] with handshake messages split apart, as
    (22, message)."""
    out, hs, raw = [], b"", b""
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(record(22, msg))
        while True:
            b = s.recv(65536)
            if not b:
                return out
            raw += b
            while len(raw) >= 5 and len(raw) >= 5 + (raw[3] << 8 | raw[4]):
                n = raw[3] << 8 | raw[4]
                t, p = raw[0], raw[5:5 + n]
                raw = raw[5 + n:]
                if t != 22:
                    out.append((t, p))
                    if t in (20, 21):
                        return out
                    continue
                hs += p
                while len(hs) >= 4 and len(hs) >= 4 + int.from_bytes(hs[1:4], "big"):
                    ln = 4 + int.from_bytes(hs[1:4], "big")
                    out.append((22, hs[:ln]))
                    if hs[0] == 14:  # ServerHelloDone
                        return out
                    hs = hs[ln:]


def server_hello_sid(flight):
    """The session_id of the ServerHello in FLIGHT."""
    sh = [m for t, m in flight if t == 22 and m[0] == 2][0]
    at = 4 + 2 + 32
    return sh[at + 1:at + 1 + sh[at]]


def one_byte_records(data):
    """The handshake records in DATA re-sent one byte per record, until a
    ChangeCipherSpec (after it the records are protected: left as they
    are)."""
    out, ccs = bytearray(), False
    for t, p in records(data):
        if t == 22 and not ccs:
            for b in p:
                out += record(22, bytes([b]))
        else:
            ccs = ccs or t == 20
            out += record(t, p)
    return bytes(out)


def prepend_once(prefix):
    """A MemClient rewrite that sends PREFIX before the first flight."""
    sent = []

    def rw(data):
        if sent:
            return data
        sent.append(True)
        return prefix + data
    return rw


class MemClient:
    """Python's ssl over memory BIOs on a plain socket, with a hook that
    rewrites what the client sends (to fragment it, for one)."""

    def __init__(self, port, ctx=None, sni=None, rewrite=None, timeout=10):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = (ctx or client_ctx()).wrap_bio(self.inc, self.out,
                                                  server_hostname=sni)
        self.rewrite = rewrite or (lambda b: b)
        self.raw = bytearray()
        self.received = bytearray()  # every byte from the server
        end = time.monotonic() + timeout
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                if time.monotonic() > end:
                    raise TimeoutError("handshake")
                b = self.sock.recv(65536)
                if not b:
                    raise ConnectionError("EOF in the handshake")
                self.raw += b
                self.received += b
                self._feed()
        self._flush()

    def _feed(self):
        while len(self.raw) >= 5:
            n = self.raw[3] << 8 | self.raw[4]
            if len(self.raw) < 5 + n:
                break
            self.inc.write(bytes(self.raw[:5 + n]))
            del self.raw[:5 + n]

    def _flush(self):
        data = self.out.read()
        if data:
            self.sock.sendall(self.rewrite(data))

    def get(self, path):
        self.obj.write(("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                        % path).encode())
        self._flush()
        buf = bytearray()
        while True:
            try:
                b = self.obj.read(65536)
                if not b:
                    break
                buf += b
                continue
            except ssl.SSLWantReadError:
                pass
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                break
            b = self.sock.recv(65536)
            if not b:
                break
            self.raw += b
            self._feed()
        return read_response(io.BufferedReader(io.BytesIO(bytes(buf))))

    def close(self):
        self.sock.close()


class Peers(E2E):

    def failed_hs(self, g, alert):
        return g.metric("tlsgate_handshakes_failed_total", {"alert": alert})

    def close_with(self, g, data, timeout=5):
        """Send DATA on a new connection; what came back, how and when the
        connection ended."""
        s = socket.create_connection((HOST, g.port), timeout=timeout)
        try:
            try:
                s.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # tlsgate closed first: what it said is still read
            return recv_until_close(s, timeout)
        finally:
            s.close()

    # ---- item 1: certificate choice without SNI ----------------------------------

    def test_no_sni_certificate_choice(self):
        """--cert ec --cert rsa (and the other way round): a client without
        SNI gets whichever certificate of the default name fits what it
        offers (RFC 6066 §3 leaves the choice to the server; nginx and
        HAProxy offer both): openssl s_client -noservername without
        P-256 in its groups, or with RSA suites only, gets the RSA
        certificate; an ECDSA-only client the ECDSA one; curl to
        https://127.0.0.1 (no SNI) too."""
        for order in (("ec", "rsa"), ("rsa", "ec")):
            g = self.gate(certs=order)
            for args, want in (
                    # as reported: no -servername (an IP literal is no SNI)
                    (["-groups", "X25519"], "ECDHE-RSA-"),
                    (["-noservername", "-groups", "X25519"], "ECDHE-RSA-"),
                    (["-noservername", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"],
                     "ECDHE-RSA-AES128-GCM-SHA256"),
                    (["-noservername", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305",
                      "-sigalgs", "rsa_pss_rsae_sha256"], "ECDHE-RSA-CHACHA20-POLY1305"),
                    (["-noservername", "-cipher",
                      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384",
                      "-sigalgs", "ECDSA+SHA256"], "ECDHE-ECDSA-AES128-GCM-SHA256"),
                    (["-noservername", "-groups", "P-256"], "ECDHE-ECDSA-")):
                with self.subTest(order=order, args=args):
                    r = s_client(g.port, ["-CAfile", self.pki.ca,
                                          "-verify_return_error"] + args, input=b"")
                    out = (r.stdout + r.stderr).decode("utf-8", "replace")
                    m = re.search(r"Cipher is (\S+)", out)
                    cipher = m.group(1) if m else None
                    log("%s, %s: rc %d, %s" % (",".join(order), " ".join(args),
                                               r.returncode, cipher))
                    self.assertEqual(r.returncode, 0, out[-1500:])
                    self.assertTrue(cipher and cipher.startswith(want), cipher)
            for curl_args in (["--ciphers", "ECDHE-RSA-AES128-GCM-SHA256"],
                              ["--curves", "X25519"],
                              ["--ciphers", "ECDHE-ECDSA-AES256-GCM-SHA384"]):
                r = curl(["--cacert", self.pki.ca, "--tls-max", "1.2", "-w", "%{http_code}",
                          "-o", "/dev/null"] + curl_args +
                         ["https://127.0.0.1:%d/" % g.port], check=False)
                log("curl %s: rc %d %r" % (" ".join(curl_args), r.returncode, r.stdout))
                self.assertEqual((r.returncode, r.stdout), (0, b"200"), r.stderr[-500:])
            g.stop()
            self.assertEqual(g.rc, 0)

    # ---- item 4: resumption, groups, SNI -----------------------------------------

    def session_and_hello(self, g, sni="localhost"):
        """A full handshake with Python's ssl (tickets and EMS on), then
        the ClientHello that resumes it; also the first ServerHello's
        session ID."""
        ctx = client_ctx()
        c = MemClient(g.port, ctx=ctx, sni=sni)
        seen = c.received
        st, _, _ = c.get("/bytes/10")
        self.assertEqual(st, 200)
        sess = c.obj.session
        c.close()
        first = [p for t, p in records(bytes(seen)) if t == 22 and p[0] == 2][0]
        sid0 = first[39:39 + first[38]]
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(inc, out, server_hostname=sni, session=sess)
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        return records(out.read())[0][1], sid0

    def test_ticket_any_session_id(self):
        """RFC 5077 §3.4: a ticket resumes whatever session ID comes with it
        (none, a random one, the first ServerHello's), and a non-empty one
        is echoed in the ServerHello of the abbreviated handshake."""
        g = self.gate()
        ch, sid0 = self.session_and_hello(g)
        h = Hello(ch)
        self.assertTrue(any(t == 35 and d for t, d in h.exts), "no ticket offered")
        for sid in (b"", os.urandom(32), os.urandom(7), sid0):
            h.sid = sid
            f = server_flight(g.port, bytes(h))
            types = [(t, m[0]) for t, m in f]
            log("ticket with a %d-byte session ID: %s" % (len(sid), types))
            self.assertEqual(f[-1][0], 20, "not resumed: %s" % types)
            self.assertNotIn((22, 11), types)  # no Certificate
            self.assertEqual(server_hello_sid(f), sid)

    def test_ems_session_without_ems(self):
        """RFC 7627 §5.3: an EMS session offered in a ClientHello without
        extended_master_secret aborts the handshake (handshake_failure),
        by ticket and by session ID, even where clients without EMS are
        allowed; without a session it is a full handshake."""
        conf = os.path.join(self.tmp, "no-ems.conf")
        with open(conf, "w") as f:
            f.write("allow_no_ems = true;\n")
        for extra in ([], ["--no-tickets"]):
            g = self.gate(["-c", conf] + extra)
            ch, _ = self.session_and_hello(g)
            h = Hello(ch)
            if extra:
                self.assertTrue(h.sid)
            f = server_flight(g.port, bytes(h.drop(23)))
            log("%s: %s" % (extra, [(t, m[:2]) for t, m in f]))
            self.assertEqual(f, [(21, bytes([2, 40]))])
            # the same ClientHello without the session: a full handshake
            h.sid = b""
            h.set(35, b"")
            f = server_flight(g.port, bytes(h))
            self.assertEqual(f[-1], (22, bytes([14, 0, 0, 0])))

    def test_no_supported_groups(self):
        """RFC 8422 §4: a ClientHello without supported_groups leaves the
        curve to the server; such clients predate X25519: P-256."""
        g = self.gate()
        h = Hello(records(client_hello())[0][1]).drop(10)
        f = server_flight(g.port, bytes(h))
        ske = [m for t, m in f if t == 22 and m[0] == 12]
        self.assertTrue(ske, f)
        self.assertEqual(ske[0][4], 3)  # named_curve
        self.assertEqual(int.from_bytes(ske[0][5:7], "big"), 23)

    def test_sni_syntax(self):
        """RFC 6066 §3: one host_name at most, ASCII: two host_names, or a
        name with a control character, a space or a byte past 0x7f, is
        refused with illegal_parameter."""
        g = self.gate()
        h = Hello(records(client_hello("abc.example"))[0][1])

        def sni(*names):
            lst = b"".join(b"\x00" + len(n).to_bytes(2, "big") + n for n in names)
            return len(lst).to_bytes(2, "big") + lst
        for names in ((b"abc.example", b"abc.example"), (b"abc.example", b"def.example"),
                      (b"a\nb.example",), (b"a b.example",), (b"w\xc3\xa9.example",),
                      (b"a\x00b.example",), (b"abc.example.",)):
            got, dt, how = self.close_with(g, record(22, bytes(h.set(0, sni(*names)))))
            log("SNI %r: %r" % (names, got))
            self.assertEqual(got, plain_alert(ILLEGAL_PARAMETER), names)
        # and the same ClientHello with one good name goes on
        f = server_flight(g.port, bytes(h.set(0, sni(b"abc.example"))))
        self.assertEqual(f[-1], (22, bytes([14, 0, 0, 0])))
        self.assertGateUp(g)

    # ---- item 5: warning alerts and tiny handshake records -----------------------

    def test_warning_alert_stream(self):
        """RFC 5246 §7.2 warnings do not end a handshake, but a handful is
        all one takes: the 5th is a fatal unexpected_message in clear, and
        a 64 KiB stream of them ends the same way, at once."""
        g = self.gate(["--handshake-timeout", "5000"])
        warn = plain_alert(90, level=1)  # user_canceled
        um0 = self.failed_hs(g, "unexpected_message")
        got, dt, how = self.close_with(g, warn * 5)
        log("5 warnings: %r, %s after %.3fs" % (got, how, dt))
        self.assertEqual(got, plain_alert(UNEXPECTED_MESSAGE))
        self.assertLess(dt, 3)
        got, dt, how = self.close_with(g, warn * (65536 // 7))
        log("64 KiB of warnings: %r, %s after %.3fs" % (got, how, dt))
        self.assertLess(dt, 3)
        g.wait_metric("tlsgate_handshakes_failed_total", lambda v: v >= um0 + 2,
                      labels={"alert": "unexpected_message"})
        # four, then a ClientHello: the handshake goes on
        c = MemClient(g.port, rewrite=prepend_once(warn * 4))
        st, _, body = c.get("/bytes/100")
        c.close()
        self.assertEqual(st, 200)
        self.assertGateUp(g)

    def test_one_byte_fragments(self):
        """RFC 5246 §6.2.1: a client may fragment its handshake messages at
        will; a whole handshake whose plaintext flights come one byte per
        record completes. 64 KiB of 1-byte records is 65536 records: past
        the bound of 16384 per handshake, unexpected_message, at once."""
        g = self.gate()
        c = MemClient(g.port, sni="localhost", rewrite=one_byte_records)
        st, _, body = c.get("/bytes/5000")
        c.close()
        self.assertEqual(st, 200)
        self.assertEqual(len(body), 5000)
        um0 = self.failed_hs(g, "unexpected_message")
        msg = bytes([1, 0, 0xff, 0xfc]) + bytes(65532)  # a 64 KiB "ClientHello"
        t = time.monotonic()
        got, dt, how = self.close_with(g, one_byte_records(record(22, msg[:16384]) +
                                                           record(22, msg[16384:32768]) +
                                                           record(22, msg[32768:49152]) +
                                                           record(22, msg[49152:])))
        log("64 KiB of 1-byte records: %r, %s after %.3fs" % (got[:16], how, dt))
        self.assertLess(time.monotonic() - t, 3)
        self.assertTrue(got in (b"", plain_alert(UNEXPECTED_MESSAGE)), got[:32])
        g.wait_metric("tlsgate_handshakes_failed_total", lambda v: v >= um0 + 1,
                      labels={"alert": "unexpected_message"})
        self.assertGateUp(g)

    # ---- item 3: ClientHello size ------------------------------------------------

    def test_large_client_hello(self):
        """RFC 8446 §4.1.2: a ClientHello may carry 32767 cipher suites and
        64 KiB of extensions. Python's own ClientHello grown past 64 KiB
        (unknown suites in front, a padding extension), in 16 KiB records:
        tlsgate answers with its ServerHello. One that says it is longer
        than any ClientHello can be: decode_error in clear, at once."""
        g = self.gate()
        for n_suites, pad in ((20000, 30000), (32700, 65000)):
            msg = grow_client_hello(records(client_hello())[0][1], n_suites, pad)
            self.assertGreater(len(msg), 65540)
            wire = b"".join(record(22, msg[i:i + 16384]) for i in range(0, len(msg), 16384))
            with socket.create_connection((HOST, g.port), timeout=10) as s:
                s.sendall(wire)
                got = b""
                while len(got) < 6:
                    b = s.recv(65536)
                    if not b:
                        break
                    got += b
            log("ClientHello of %d bytes: %r" % (len(msg), got[:12]))
            self.assertEqual(got[0], 22, got[:16])
            self.assertEqual(got[5], 2, "not a ServerHello: %r" % got[:16])
        l = 131396 + 1
        got, dt, how = self.close_with(g, record(22, bytes([1, l >> 16, (l >> 8) & 0xff, l & 0xff])))
        self.assertEqual(got, plain_alert(DECODE_ERROR))
        self.assertLess(dt, 3)
        self.assertGateUp(g)

    # ---- item 2: TLS 1.2 signature schemes ---------------------------------------

    def sigalg_run(self, g, sigalgs, cipher):
        """s_client offering only SIGALGS: (returncode, peer digest, peer
        signature type, cipher)."""
        r = s_client(g.port, ["-sigalgs", sigalgs, "-cipher", cipher,
                              "-CAfile", self.pki.ca], input=b"")
        out = (r.stdout + r.stderr).decode("utf-8", "replace")
        dig = re.search(r"Peer signing digest: (\S+)", out)
        typ = re.search(r"Peer signature type: (\S+)", out)
        cip = re.search(r"Cipher is (\S+)", out)
        return (r.returncode, dig and dig.group(1), typ and typ.group(1),
                cip and cip.group(1))

    def test_tls12_sigalgs(self):
        """RFC 5246 §7.4.1.4.1, RFC 8422 §5.1.3: in TLS 1.2 an ECDSA scheme
        is "ECDSA with that hash" on any curve. s_client offering only
        ECDSA with SHA-384, SHA-512 or SHA-224 completes a handshake with
        tlsgate's P-256 certificate, signed with that hash; RSA with
        rsa_pss_rsae_sha512 and rsa_pkcs1_sha512 likewise."""
        gates = {"ec": self.gate(certs=("ec",)), "rsa": self.gate(certs=("rsa",))}
        for sigalgs, cipher, dig, typ in (
                ("ECDSA+SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256", "SHA384", "ECDSA"),
                ("ECDSA+SHA512", "ECDHE-ECDSA-AES128-GCM-SHA256", "SHA512", "ECDSA"),
                ("ECDSA+SHA224", "ECDHE-ECDSA-AES256-GCM-SHA384", "SHA224", "ECDSA"),
                ("rsa_pss_rsae_sha512", "ECDHE-RSA-AES128-GCM-SHA256", "SHA512", "RSA-PSS"),
                ("RSA+SHA512", "ECDHE-RSA-AES128-GCM-SHA256", "SHA512", "RSA")):
            with self.subTest(sigalgs=sigalgs):
                g = gates["rsa" if "-RSA-" in cipher else "ec"]
                rc, d, t, c = self.sigalg_run(g, sigalgs, cipher)
                log("%s: rc %d, %s %s, %s" % (sigalgs, rc, t, d, c))
                self.assertEqual((rc, d, t, c), (0, dig, typ, cipher))

    def test_rsa_pss_certificate(self):
        """An RSASSA-PSS key (RFC 4055) signs with rsa_pss_pss_* (RFC 8446
        §4.2.3, in TLS 1.2 too): s_client offering rsa_pss_pss_sha256 or
        _sha384 gets it; one offering only PKCS#1 and rsa_pss_rsae_* does
        not."""
        crt, key, _ = self.pki.issue("pss", "rsa-pss", "www.example.com",
                                     ["DNS:www.example.com", "DNS:localhost"])
        g = self.gate(certs=((crt, key),))
        for sigalgs, dig in (("rsa_pss_pss_sha256", "SHA256"),
                             ("rsa_pss_pss_sha384", "SHA384")):
            rc, d, t, c = self.sigalg_run(g, sigalgs, "ECDHE-RSA-AES128-GCM-SHA256")
            log("%s: rc %d, %s %s, %s" % (sigalgs, rc, t, d, c))
            self.assertEqual((rc, d, t), (0, dig, "RSA-PSS"))
        rc, d, t, c = self.sigalg_run(g, "rsa_pss_rsae_sha256:RSA+SHA256",
                                      "ECDHE-RSA-AES128-GCM-SHA256")
        self.assertNotEqual(rc, 0)


if __name__ == "__main__":
    main()
