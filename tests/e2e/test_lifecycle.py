#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""tlsgate end to end: lifecycle. SIGTERM drain under load (close_notify
at the deadline), SIGHUP reload under load (new certificate; new backends;
broken config kept out), /metrics, `tlsgate stats`, --check-config,
dropping root to --user (and what a reload can read then)."""
import hashlib
import os
import pwd
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tg_e2e import (E2E, HOST, TLSGATE, Backend, Gate, body, body_sha256,  # noqa: E402
                    cert_serial, client_ctx, free_port, https_get, log, read_response,
                    run, served_cert)

DRAIN_MS = 3000


def tagged_backend():
    """A Backend whose responses say which backend served them, in an
    X-Backend header (its port)."""
    b = Backend()
    base = b.RequestHandlerClass

    class Tagged(base):
        def end_headers(self):
            self.send_header("X-Backend", str(self.server.port))
            super().end_headers()
    b.RequestHandlerClass = Tagged
    return b


class KeepAliveClient(threading.Thread):
    """Repeated keep-alive GETs of SIZE bytes on one connection until told to
    stop (then it finishes the request in flight and closes), or until the
    server closes the connection. Records every request's fate."""

    def __init__(self, port, size, ctx, stop_ev):
        super().__init__(daemon=True)
        self.port, self.size, self.ctx, self.stop_ev = port, size, ctx, stop_ev
        self.sent = []       # (t_sent, ok, detail)
        self.backends = []   # X-Backend of each response (None without)
        self.clean_close = None
        self.error = None

    def run(self):
        try:
            raw = socket.create_connection((HOST, self.port), timeout=20)
            s = self.ctx.wrap_socket(raw, server_hostname="localhost")
        except Exception as e:  # noqa: BLE001
            self.error = "connect: %r" % e
            return
        f = s.makefile("rb")
        want = body_sha256(self.size)
        try:
            while not self.stop_ev.is_set():
                t = time.monotonic()
                try:
                    s.sendall(b"GET /bytes/%d HTTP/1.1\r\nHost: localhost\r\n\r\n" % self.size)
                except OSError as e:
                    self.sent.append((t, False, "send: %r" % e))
                    return
                try:
                    st, h, b = read_response(f)
                except (ConnectionError, OSError, ssl.SSLError) as e:
                    self.sent.append((t, False, "recv: %r" % e))
                    return
                self.backends.append(h.get("x-backend"))
                ok = st == 200 and len(b) == self.size and hashlib.sha256(b).hexdigest() == want
                self.sent.append((t, ok, "status %d, %d bytes" % (st, len(b))))
                if not ok:
                    return
        finally:
            f.close()
            s.close()


class Lifecycle(E2E):

    def conf(self, name, text):
        p = os.path.join(self.tmp, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    # ---- SIGTERM ----------------------------------------------------------------------

    def test_sigterm_drain_under_load(self):
        """20 keep-alive clients; SIGTERM; they stop after the request in
        flight. Every request sent before SIGTERM completes correctly, the
        listener is closed, and tlsgate exits (0) once they are gone, well
        within the drain timeout."""
        conf = self.conf("drain.conf", "timeouts = { drain = %d; };\n" % DRAIN_MS)
        g = self.gate(["-c", conf])
        ctx = client_ctx()
        stop_ev = threading.Event()
        clients = [KeepAliveClient(g.port, 100000 if i % 2 else 3000, ctx, stop_ev)
                   for i in range(20)]
        # one big download in flight at SIGTERM too
        big = {"n": 30 << 20}

        def download():
            try:
                raw = socket.create_connection((HOST, g.port), timeout=20)
                with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                    s.sendall(b"GET /bytes/%d HTTP/1.1\r\nHost: x\r\n\r\n" % big["n"])
                    f = s.makefile("rb")
                    st, h, b = read_response(f)
                    f.close()
                    big["ok"] = hashlib.sha256(b).hexdigest() == body_sha256(big["n"])
                    big["len"] = len(b)
            except Exception as e:  # noqa: BLE001
                big["err"] = repr(e)
        for c in clients:
            c.start()
        dl = threading.Thread(target=download, daemon=True)
        time.sleep(0.8)
        dl.start()
        time.sleep(0.1)
        t_term = time.monotonic()
        g.signal(signal.SIGTERM)
        time.sleep(0.3)
        stop_ev.set()
        # the listener is closed during the drain
        with self.assertRaises(OSError):
            socket.create_connection((HOST, g.port), timeout=2).close()
        for c in clients:
            c.join(30)
        dl.join(30)
        try:
            rc = g.proc.wait(DRAIN_MS / 1000 + 5)
        except Exception:  # noqa: BLE001
            rc = None
        t_exit = time.monotonic() - t_term
        log("drain: exit %s after %.2fs" % (rc, t_exit))
        total = sum(len(c.sent) for c in clients)
        before = [(c, x) for c in clients for x in c.sent if x[0] < t_term]
        bad = [x for c, x in before if not x[1]]
        log("drain: %d requests, %d sent before SIGTERM, %d bad" % (total, len(before), len(bad)))
        self.assertEqual([c.error for c in clients if c.error], [])
        self.assertGreater(len(before), 20)
        self.assertEqual(bad, [], "requests sent before SIGTERM that did not complete")
        after = [x for c in clients for x in c.sent if x[0] >= t_term and not x[1]]
        self.assertEqual(after, [], "requests on open connections during the drain failed")
        self.assertEqual(big.get("err"), None)
        self.assertTrue(big.get("ok"), big)
        self.assertEqual(rc, 0, g.stderr()[-2000:])
        self.assertLess(t_exit, DRAIN_MS / 1000 + 4)
        self.assertIn("draining", g.stderr())

    def test_sigterm_drain_deadline(self):
        """Idle keep-alive connections that never close: tlsgate ends them at
        the drain deadline with close_notify, then exits 0."""
        conf = self.conf("drain2.conf", "timeouts = { drain = 1500; };\n")
        g = self.gate(["-c", conf])
        ctx = client_ctx()
        conns = []
        for i in range(5):
            raw = socket.create_connection((HOST, g.port), timeout=10)
            # a bare FIN raises SSLEOFError instead of reading as b""
            s = ctx.wrap_socket(raw, server_hostname="localhost",
                                suppress_ragged_eofs=False)
            s.sendall(b"GET /bytes/10 HTTP/1.1\r\nHost: x\r\n\r\n")
            f = s.makefile("rb")
            self.assertEqual(read_response(f)[2], body(10))
            conns.append((s, f))
        t = time.monotonic()
        g.signal(signal.SIGTERM)
        rc = g.proc.wait(1.5 + 10)
        dt = time.monotonic() - t
        log("drain deadline: exit %s after %.2fs" % (rc, dt))
        self.assertEqual(rc, 0)
        self.assertGreaterEqual(dt, 1.4)
        self.assertLess(dt, 1.5 + 4)
        for s, f in conns:
            s.settimeout(2)
            # a clean TLS close (close_notify): b"" only then; a reset, a
            # bare FIN (SSLEOFError) or another alert raise
            self.assertEqual(s.recv(100), b"")
            f.close()
            s.close()

    def test_second_sigterm_stops_at_once(self):
        conf = self.conf("drain3.conf", "timeouts = { drain = 20000; };\n")
        g = self.gate(["-c", conf])
        raw = socket.create_connection((HOST, g.port), timeout=10)
        s = client_ctx().wrap_socket(raw, server_hostname="localhost",
                                     suppress_ragged_eofs=False)
        s.sendall(b"GET /bytes/10 HTTP/1.1\r\nHost: x\r\n\r\n")
        f = s.makefile("rb")
        self.assertEqual(read_response(f)[2], body(10))
        g.signal(signal.SIGTERM)
        time.sleep(0.3)
        self.assertTrue(g.alive(), "drain with a connection open")
        t = time.monotonic()
        g.signal(signal.SIGTERM)
        rc = g.proc.wait(5)
        self.assertEqual(rc, 0)
        # far from the 20 s drain (slack for a loaded 2-core machine)
        self.assertLess(time.monotonic() - t, 5)
        # stopping at once still ends the open connection with close_notify
        s.settimeout(2)
        self.assertEqual(s.recv(100), b"")
        f.close()
        s.close()

    # ---- SIGHUP -----------------------------------------------------------------------

    def test_sighup_new_certificate_under_load(self):
        live_crt = os.path.join(self.tmp, "live.pem")
        live_key = os.path.join(self.tmp, "live.key")
        c1, k1, serial1 = self.pki.issue("gen1", "ec", "www.example.com",
                                         ["DNS:localhost", "DNS:www.example.com"])
        c2, k2, serial2 = self.pki.issue("gen2", "ec", "www.example.com",
                                         ["DNS:localhost", "DNS:www.example.com"])
        shutil.copy(c1, live_crt)
        shutil.copy(k1, live_key)
        g = self.gate(certs=((live_crt, live_key),))
        self.assertEqual(cert_serial(served_cert(g.port, "localhost")), serial1)
        ctx = client_ctx(self.pki)
        stop_ev = threading.Event()
        clients = [KeepAliveClient(g.port, 50000, ctx, stop_ev) for _ in range(8)]
        for c in clients:
            c.start()
        # and new connections all along
        fresh = {"ok": 0, "fail": []}

        def fresh_loop():
            while not stop_ev.is_set():
                try:
                    st, _, b = https_get(g.port, "/bytes/4000", ctx=ctx)
                    assert st == 200 and b == body(4000)
                    fresh["ok"] += 1
                except Exception as e:  # noqa: BLE001
                    fresh["fail"].append(repr(e))
        ft = threading.Thread(target=fresh_loop, daemon=True)
        ft.start()
        time.sleep(0.7)
        for src, dst in ((c2, live_crt), (k2, live_key)):
            shutil.copy(src, dst + ".tmp")
            os.replace(dst + ".tmp", dst)
        n_before = [len(c.sent) for c in clients]
        g.signal(signal.SIGHUP)
        self.assertTrue(g.wait_reload(1), g.stderr()[-1500:])
        time.sleep(0.7)
        self.assertEqual(cert_serial(served_cert(g.port, "localhost")), serial2,
                         "new connections get the new certificate")
        stop_ev.set()
        for c in clients:
            c.join(30)
        ft.join(30)
        self.assertEqual([c.error for c in clients if c.error], [])
        bad = [x for c in clients for x in c.sent if not x[1]]
        self.assertEqual(bad, [], "established connections broke across the reload")
        for c, n in zip(clients, n_before):
            self.assertGreater(len(c.sent), n, "an established connection made no "
                               "progress after the reload")
        self.assertEqual(fresh["fail"], [])
        self.assertGreater(fresh["ok"], 0)
        self.assertTrue(g.alive())

    def test_sighup_new_backends_under_load(self):
        """SIGHUP after the config's backends changed from OLD to NEW, under
        load: established keep-alive connections keep working, still to
        OLD; connections made after the reload go to NEW; no completed
        request is lost; the connections left on OLD close cleanly after
        the reload and their access log lines name OLD.

        tlsgate runs with glibc's tcache off and MALLOC_PERTURB_ so that
        freed memory is overwritten: a flow that still reads the backend
        list the reload freed shows up as garbage in its log line."""
        old, new = tagged_backend(), tagged_backend()
        access = os.path.join(self.tmp, "reload-backends.access")

        def text(b):
            return ('backends = ["%s"];\nhealth_interval = 0;\naccess_log = "%s";\n'
                    % (b.addr, access))
        try:
            conf = self.conf("reload-backends.conf", text(old))
            g = Gate(self.tmp, ["-c", conf, "--cert", self.pki.ec, "--key", self.pki.ec_key],
                     env={"GLIBC_TUNABLES": "glibc.malloc.tcache_count=0",
                          "MALLOC_PERTURB_": "165"})
            self.gates.append(g)
            ctx = client_ctx()
            stop_ev = threading.Event()
            clients = [KeepAliveClient(g.port, 30000, ctx, stop_ev) for _ in range(6)]
            for c in clients:
                c.start()
            fresh = []  # (t_start, t_end, X-Backend, ok)

            def fresh_loop():
                while not stop_ev.is_set():
                    t = time.monotonic()
                    try:
                        st, h, b = https_get(g.port, "/bytes/4000", ctx=ctx)
                        fresh.append((t, time.monotonic(), h.get("x-backend"),
                                      st == 200 and b == body(4000)))
                    except Exception as e:  # noqa: BLE001
                        fresh.append((t, time.monotonic(), repr(e), False))
            ft = threading.Thread(target=fresh_loop, daemon=True)
            ft.start()
            time.sleep(0.7)
            self.conf("reload-backends.conf", text(new))
            n_before = [len(c.sent) for c in clients]
            t_hup = time.monotonic()
            g.signal(signal.SIGHUP)
            self.assertTrue(g.wait_reload(1), g.stderr()[-1500:])
            t_done = time.monotonic()
            old_conns = old.conns
            time.sleep(0.8)
            stop_ev.set()
            for c in clients:
                c.join(30)
            ft.join(30)
            self.assertTrue(g.alive(), g.stderr()[-3000:])
            # no request lost, on either kind of connection
            self.assertEqual([c.error for c in clients if c.error], [])
            bad = [x for c in clients for x in c.sent if not x[1]]
            self.assertEqual(bad, [], "established connections broke across the reload")
            self.assertEqual([f for f in fresh if not f[3]], [])
            # established connections: on, and still to, the old backend
            for c, n in zip(clients, n_before):
                self.assertGreater(len(c.sent), n, "an established connection made no "
                                   "progress after the reload")
                self.assertEqual(set(c.backends), {str(old.port)})
            self.assertEqual(old.conns, old_conns, "a new connection went to the old backend")
            # new connections: to the new backend once the reload is
            # done, to the old one before the signal
            after = [f[2] for f in fresh if f[0] > t_done]
            before = [f[2] for f in fresh if f[1] < t_hup]
            log("reload: %d fresh requests before, %d after; old backend %d conns, new %d" % (
                len(before), len(after), old.conns, new.conns))
            self.assertGreater(len(after), 0)
            self.assertEqual(set(after), {str(new.port)})
            self.assertEqual(set(before), {str(old.port)})
            # the connections that were on the old backend closed after
            # the reload: their log lines must still name it
            g.wait_metric("tlsgate_connections_active", lambda v: v == 0)
            with open(access, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            named = [m.group(1) if m else "(no backend= field)"
                     for m in (re.search(r" backend=(\S*) in=", ln) for ln in lines)]
            self.assertEqual(sorted(set(named) - {"-"}), sorted([old.addr, new.addr]),
                             "access log lines name a backend that is neither: %r" % [
                                 ln for ln, n in zip(lines, named)
                                 if n not in (old.addr, new.addr, "-")][:3])
            self.assertGreaterEqual(named.count(old.addr), len(clients))
            self.assertTrue(g.alive(), g.stderr()[-3000:])
            self.assertEqual(g.stop(), 0, g.stderr()[-3000:])
        finally:
            old.stop()
            new.stop()

    def test_sighup_broken_config_kept_out(self):
        lp, ap = free_port(), free_port()
        good = ('listen = "127.0.0.1:%d";\nadmin = "127.0.0.1:%d";\n'
                'certificates = ( { cert = "%s"; key = "%s"; } );\n'
                'backends = ["%s"];\naccess_log = "-";\n'
                % (lp, ap, self.pki.ec, self.pki.ec_key, self.backend.addr))
        conf = self.conf("reload.conf", good)
        g = Gate(self.tmp, ["-c", conf], listen_port=lp, admin_port=ap, addr_flags=False)
        self.gates.append(g)
        serial = cert_serial(served_cert(g.port))
        # 1. a syntax error
        self.conf("reload.conf", good + "workers = [ 2 ;\n")
        g.signal(signal.SIGHUP)
        self.assertFalse(g.wait_reload(1))
        self.assertRegex(g.stderr(), re.escape(conf) + r":\d+: ")
        self.assertIn("keeping the running one", g.stderr())
        self.assertGateUp(g)
        self.assertEqual(cert_serial(served_cert(g.port)), serial)
        # 2. a certificate that does not load
        bad_crt = self.conf("broken.pem", "-----BEGIN CERTIFICATE-----\nnope\n")
        self.conf("reload.conf", good.replace(self.pki.ec, bad_crt))
        g.signal(signal.SIGHUP)
        self.assertFalse(g.wait_reload(2))
        self.assertGateUp(g)
        self.assertEqual(cert_serial(served_cert(g.port)), serial)
        # 3. a good one again (RSA certificate now)
        self.conf("reload.conf", good.replace(self.pki.ec_key, self.pki.rsa_key)
                  .replace(self.pki.ec, self.pki.rsa))
        g.signal(signal.SIGHUP)
        self.assertTrue(g.wait_reload(3), g.stderr()[-1500:])
        self.assertEqual(cert_serial(served_cert(g.port)), self.pki.rsa_serial)
        self.assertGateUp(g)

    # ---- metrics, stats, check-config -----------------------------------------------------

    def test_metrics(self):
        g = self.gate()
        # the readiness probe made one connection (no TLS)
        g.wait_metric("tlsgate_connections_active", lambda v: v == 0)
        self.assertEqual(g.metric("tlsgate_connections_accepted_total"), 1)
        for i in range(7):
            st, _, b = https_get(g.port, "/bytes/%d" % (i * 1000))
            self.assertEqual(b, body(i * 1000))
        g.wait_metric("tlsgate_connections_active", lambda v: v == 0)
        text = g.metrics()
        self.assertEqual(g.metric("tlsgate_connections_accepted_total"), 8)
        self.assertEqual(g.metric("tlsgate_handshakes_total", {"kind": "full"}), 7)
        self.assertGreaterEqual(g.metric("tlsgate_records_total", {"dir": "sealed"}), 7)
        self.assertEqual(g.metric("tlsgate_backend_up"), 1)
        # Prometheus text format: every family has HELP and TYPE, every
        # sample is name{labels} value
        typed = set(re.findall(r"^# TYPE (\S+) (counter|gauge|histogram)$", text, re.M))
        names = {t[0] for t in typed}
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})? '
                         r'(-?[0-9.e+]+|\+Inf|NaN)$', line)
            self.assertIsNotNone(m, "bad sample line: %r" % line)
            base = re.sub(r"_(bucket|sum|count)$", "", m.group(1))
            self.assertTrue(m.group(1) in names or base in names, "no TYPE for %s" % line)
        self.assertIn("tlsgate_connections_accepted_total", names)
        # every connection accepted is closed or still open
        self.assertEqual(g.metric("tlsgate_connections_closed_total") +
                         g.metric("tlsgate_connections_active"),
                         g.metric("tlsgate_connections_accepted_total"))

    def test_default_lcore_follows_affinity(self):
        """Started on one CPU (as `taskset -c N tlsgate ...`) without -l:
        the worker runs on that CPU, not on the EAL's default CPU 0."""
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            self.skipTest("needs two CPUs")
        target = cpus[-1]
        mine = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {target})  # inherited by tlsgate
        try:
            g = self.gate()
        finally:
            os.sched_setaffinity(0, mine)
        with open("/proc/%d/status" % g.pid) as f:
            allowed = re.search(r"^Cpus_allowed_list:\s*(\S+)$", f.read(), re.M).group(1)
        # worker 0 runs on the main thread
        self.assertEqual(allowed, str(target))
        self.assertGateUp(g)

    def test_stats_cli(self):
        g = self.gate()
        for i in range(3):
            https_get(g.port, "/bytes/10")
        r = run([TLSGATE, "stats", "--admin", g.admin], timeout=20)
        out = r.stdout.decode()
        log("stats:\n" + out)
        self.assertIn("accepted", out)
        self.assertRegex(out, r"(?m)^total\s+4\s+\d+\s+3\s+0\s+0\b")
        self.assertRegex(out, r"(?m)^\s+default\s+%s\s+up\b" % re.escape(self.backend.addr))
        # nothing listening there: an error, not a hang
        r = run([TLSGATE, "stats", "--admin", "127.0.0.1:%d" % free_port()], timeout=20,
                check=False)
        self.assertNotEqual(r.returncode, 0)

    def test_check_config(self):
        good = self.conf("good.conf", 'listen = "127.0.0.1:%d";\n'
                         'certificates = ( { cert = "%s"; key = "%s"; } );\n'
                         'backends = ["%s"];\n'
                         % (free_port(), self.pki.ec, self.pki.ec_key, self.backend.addr))
        r = run([TLSGATE, "-c", good, "--check-config"], timeout=30, check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"configuration OK", r.stdout)
        cases = [("bad-name.conf", "workers = 2;\nworker = 3;\n", 2),
                 ("bad-syntax.conf", "workers = 2;\nlisten = [ \"x\" ;\n", 2),
                 ("bad-type.conf", "\n\ntickets = \"yes\";\n", 3)]
        with open(good) as f:
            good_text = f.read()
        for name, extra, line in cases:
            p = self.conf(name, good_text + extra)
            nlines = good_text.count("\n")
            r = run([TLSGATE, "-c", p, "--check-config"], timeout=30, check=False)
            err = r.stderr.decode()
            self.assertNotEqual(r.returncode, 0, name)
            self.assertIn("%s:%d:" % (p, nlines + line), err, name)
        # a certificate path that does not exist
        p = self.conf("bad-cert.conf", good_text.replace(self.pki.ec, "/nonexistent.pem"))
        r = run([TLSGATE, "-c", p, "--check-config"], timeout=30, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"/nonexistent.pem", r.stderr)


    # ---- privileges --------------------------------------------------------------------------

    def proc_ids(self, path):
        """{"Uid": [real, effective, saved, fs], "Gid": [...], "Groups": [...]}
        of a /proc/PID[/task/TID]/status file."""
        ids = {}
        with open(path) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("Uid", "Gid", "Groups"):
                    ids[k] = [int(x) for x in v.split()]
        return ids

    def test_user_drops_root(self):
        """Started as root with user = nobody: tlsgate binds its listeners and
        loads its keys as root, then every thread runs as nobody (real,
        effective, saved and fs ids, no root group) and it still serves. A
        reload then reads the files as nobody: a certificate nobody may read
        loads; a key only root may read keeps the running configuration."""
        if os.geteuid() != 0:
            self.skipTest("not root")
        try:
            pw = pwd.getpwnam("nobody")
        except KeyError:
            self.skipTest("no user nobody")
        # the class's temp dir is root's (0700): files nobody may read go here
        pub = tempfile.mkdtemp(prefix="tg-e2e-pub-")
        self.addCleanup(shutil.rmtree, pub, True)
        os.chmod(pub, 0o755)
        files = {}
        for name, src in (("ec.pem", self.pki.ec), ("ec.key", self.pki.ec_key),
                          ("rsa.pem", self.pki.rsa), ("rsa.key", self.pki.rsa_key)):
            files[name] = os.path.join(pub, name)
            shutil.copy(src, files[name])
            os.chmod(files[name], 0o644)
        lp, ap = free_port(), free_port()
        conf = os.path.join(pub, "tlsgate.conf")

        def write_conf(crt, key):
            with open(conf, "w") as f:
                f.write('listen = "127.0.0.1:%d";\nadmin = "127.0.0.1:%d";\n'
                        'certificates = ( { cert = "%s"; key = "%s"; } );\n'
                        'backends = ["%s"];\naccess_log = "-";\nuser = "nobody";\n'
                        % (lp, ap, crt, key, self.backend.addr))
            os.chmod(conf, 0o644)
        write_conf(files["ec.pem"], files["ec.key"])
        g = Gate(self.tmp, ["-c", conf], listen_port=lp, admin_port=ap, addr_flags=False)
        self.gates.append(g)
        # the listeners accept (the kernel's backlog) before the drop: wait for it
        end = time.monotonic() + 20
        while "running as user nobody" not in g.stderr() and time.monotonic() < end:
            self.assertTrue(g.alive(), g.stderr()[-2000:])
            time.sleep(0.05)
        self.assertIn("running as user nobody", g.stderr())
        ids = self.proc_ids("/proc/%d/status" % g.pid)
        log("tlsgate ids: %s" % ids)
        self.assertEqual(ids["Uid"], [pw.pw_uid] * 4)
        self.assertEqual(ids["Gid"], [pw.pw_gid] * 4)
        self.assertNotIn(0, ids["Groups"])
        tasks = os.listdir("/proc/%d/task" % g.pid)
        self.assertGreater(len(tasks), 1)  # workers, control, signals, admin...
        for t in tasks:
            tid = self.proc_ids("/proc/%d/task/%s/status" % (g.pid, t))
            self.assertEqual((tid["Uid"], tid["Gid"]), ([pw.pw_uid] * 4, [pw.pw_gid] * 4), t)
        self.assertGateUp(g)
        # a reload reads as nobody: a certificate it may read loads
        write_conf(files["rsa.pem"], files["rsa.key"])
        g.signal(signal.SIGHUP)
        self.assertTrue(g.wait_reload(1), g.stderr()[-1500:])
        self.assertEqual(cert_serial(served_cert(g.port)), self.pki.rsa_serial)
        # a key only root may read: the reload fails, the running config stays
        os.chmod(files["rsa.key"], 0o600)
        g.signal(signal.SIGHUP)
        self.assertFalse(g.wait_reload(2))
        self.assertIn("cannot read it: Permission denied", g.stderr())
        self.assertGateUp(g)
        self.assertEqual(cert_serial(served_cert(g.port)), self.pki.rsa_serial)
        self.assertEqual(self.proc_ids("/proc/%d/status" % g.pid)["Uid"], [pw.pw_uid] * 4)

    def test_user_unknown(self):
        r = run([TLSGATE, "--listen", "127.0.0.1:%d" % free_port(), "--cert", self.pki.ec,
                 "--key", self.pki.ec_key, "--backend", self.backend.addr,
                 "--user", "tg-no-such-user"], timeout=30, check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"--user: user 'tg-no-such-user': no such user", r.stderr)

if __name__ == "__main__":
    from tg_e2e import main
    main()
