#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""tlsgate end to end: `meson install`, then the installed tlsgate.

Installs the build ($TG_BUILD_ROOT) with `meson install --destdir` into a
temporary directory (no root needed, nothing outside it written) and
checks what `meson introspect --installed` promises is there: both
programs, tlsgate(8) and tlsgate.conf(5) (rendered by groff, and linted
by mandoc when installed, without a warning; every flag of `tlsgate
--help` and every setting of the example is documented), the systemd
unit (Type, ExecStart, ExecReload, hardening; `systemd-analyze verify`
when present) and the example configuration (which the installed
tlsgate accepts with --check-config). Then it runs the INSTALLED tlsgate
the way the unit does (its ExecStart, with a config of ours in place of
the real one, as root with only CAP_NET_BIND_SERVICE and no_new_privs
when setpriv is there), with NOTIFY_SOCKET when sd_notify is built in:
READY=1, one verified TLS request through it to a backend on 127.0.0.1,
the unit's ExecReload (check, then SIGHUP), SIGTERM, exit 0.
"""
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tg_e2e import (E2E, HOST, body_sha256, client_ctx, free_port,  # noqa: E402
                    have, https_get, log, run)
from test_notify import Notifications  # noqa: E402

MESON = os.environ.get("MESON", "meson")
BUILD = os.environ.get("TG_BUILD_ROOT", "")
NOTIFY = os.environ.get("TG_NOTIFY", "1") == "1"
CONF = os.environ.get("TG_INSTALL_CONF", "/usr/local/etc/tlsgate/tlsgate.conf")


def unit_keys(text):
    """[(key, value)] of a unit file, in order (a key may repeat)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;[":
            continue
        k, _, v = line.partition("=")
        out.append((k.strip(), v.strip()))
    return out


class Install(E2E):
    dest = None
    files = None  # basename -> installed path (inside dest)

    @classmethod
    def setUpClass(cls):
        if not BUILD or not os.path.isfile(os.path.join(BUILD, "build.ninja")):
            raise unittest.SkipTest("no build directory (TG_BUILD_ROOT)")
        super().setUpClass()
        try:
            cls.dest = os.path.join(cls.tmp, "root")
            t = time.monotonic()
            run([MESON, "install", "-C", BUILD, "--no-rebuild", "--quiet",
                 "--destdir", cls.dest], timeout=120)
            log("meson install --destdir in %.1fs" % (time.monotonic() - t))
            inst = json.loads(run([MESON, "introspect", "--installed", BUILD],
                                  timeout=60).stdout)
        except BaseException:
            # unittest skips tearDownClass when setUpClass fails
            cls.tearDownClass()
            raise
        cls.files = {}
        for path in inst.values():
            cls.files[os.path.basename(path)] = cls.dest + path

    def f(self, name):
        self.assertIn(name, self.files, "meson install has no %s" % name)
        p = self.files[name]
        self.assertTrue(os.path.isfile(p), "%s not installed" % p)
        return p

    def read(self, name):
        with open(self.f(name)) as fh:
            return fh.read()

    # ---- what is installed ----------------------------------------------------

    def test_files(self):
        for prog in ("tlsgate", "tlsgate-bench"):
            p = self.f(prog)
            self.assertTrue(os.access(p, os.X_OK), p)
            self.assertTrue(p.startswith(self.dest + "/"), p)
        self.assertTrue(self.f("tlsgate.8").endswith("/man8/tlsgate.8"))
        self.assertTrue(self.f("tlsgate.conf.5").endswith("/man5/tlsgate.conf.5"))
        self.assertTrue(self.f("tlsgate.service").endswith("/systemd/system/tlsgate.service"))
        ex = self.f("tlsgate.conf.example")
        # an example, never the real config
        self.assertNotEqual(ex, self.dest + CONF)
        self.assertFalse(os.path.exists(self.dest + CONF))
        r = run([self.f("tlsgate"), "--version"], timeout=30)
        self.assertIn(b"tlsgate", r.stdout)
        r = run([self.f("tlsgate-bench"), "--version"], timeout=30)
        self.assertRegex(r.stdout.decode(), r"(?m)^build: \w+ \(")

    def test_man_pages_render(self):
        for name in ("tlsgate.8", "tlsgate.conf.5"):
            p = self.f(name)
            if have("groff"):
                r = run(["groff", "-man", "-Tutf8", "-ww", "-z", p], timeout=60,
                        check=False)
                self.assertEqual((r.returncode, r.stderr.decode()), (0, ""), name)
            if have("mandoc"):
                r = run(["mandoc", "-T", "lint", "-W", "warning", p], timeout=60,
                        check=False)
                self.assertEqual((r.returncode, r.stdout.decode() + r.stderr.decode()),
                                 (0, ""), name)
            if not have("groff") and not have("mandoc"):
                self.skipTest("neither groff nor mandoc (apt-get install groff-base mandoc)")
            # the installed paths were filled in
            self.assertNotIn("@", self.read(name).replace("@include", ""), name)

    def test_man_pages_cover_flags_and_settings(self):
        """Every long flag of the installed `tlsgate --help` is in tlsgate(8);
        every setting of the example is in tlsgate.conf(5)."""
        helptext = run([self.f("tlsgate"), "--help"], timeout=30).stdout.decode()
        # the option lines ("  -c, --config FILE", "      --listen ADDR ...")
        flags = set()
        for line in helptext.splitlines():
            if re.match(r"\s+-", line):
                flags.update(re.findall(r"--([a-z][a-z-]+)", line))
        self.assertGreater(len(flags), 20)
        man8 = self.read("tlsgate.8").replace("\\-", "-")
        missing = sorted(f for f in flags if "--" + f not in man8)
        self.assertEqual(missing, [], "flags of --help not in tlsgate(8)")
        man5 = self.read("tlsgate.conf.5").replace("\\-", "-")
        settings = set()
        for line in self.read("tlsgate.conf.example").splitlines():
            m = re.match(r"\s*#?\s*([a-z_]+)\s*=", line)
            if m:
                settings.add(m.group(1))
        self.assertGreater(len(settings), 20)
        missing = sorted(s for s in settings if not re.search(r"\b%s\b" % s, man5))
        self.assertEqual(missing, [], "settings of the example not in tlsgate.conf(5)")

    def test_unit(self):
        text = self.read("tlsgate.service")
        keys = unit_keys(text)
        d = dict(keys)
        self.assertEqual(d.get("Type"), "notify" if NOTIFY else "exec")
        argv = shlex.split(d["ExecStart"])
        self.assertEqual(argv[1:], ["-c", CONF])
        # ExecStart runs the tlsgate that was installed
        self.assertEqual(self.dest + argv[0], self.f("tlsgate"))
        reload_ = [v for k, v in keys if k == "ExecReload"]
        self.assertEqual(reload_[-1], "/bin/kill -HUP $MAINPID")
        self.assertEqual(shlex.split(reload_[0])[1:], ["--check-config", "-c", CONF])
        for k, v in (("NoNewPrivileges", "yes"), ("PrivateTmp", "yes"),
                     ("ProtectHome", "yes"), ("ProtectSystem", "full"),
                     ("CapabilityBoundingSet", "CAP_NET_BIND_SERVICE")):
            self.assertEqual(d.get(k), v, k)
        self.assertGreaterEqual(int(d["LimitNOFILE"]), 65536)
        self.assertEqual(d.get("WantedBy"), "multi-user.target")
        if not have("systemd-analyze"):
            return
        # verify it with its programs where they were installed
        bindir = os.path.dirname(argv[0])
        copy = os.path.join(self.tmp, "tlsgate.service")
        with open(copy, "w") as fh:
            fh.write(text.replace(bindir + "/", self.dest + bindir + "/"))
        r = run(["systemd-analyze", "verify", "--man=no", copy], timeout=60,
                check=False)
        out = (r.stdout + r.stderr).decode()
        self.assertEqual((r.returncode, out), (0, ""))

    def test_example_config_checks(self):
        """The example, with our certificates in place of its paths, passes
        --check-config of the installed tlsgate (nothing connects)."""
        text = self.read("tlsgate.conf.example")
        for name in ("example.com", "api.example.com"):
            text = text.replace('"/etc/tlsgate/%s.pem"' % name, '"%s"' % self.pki.ec)
            text = text.replace('"/etc/tlsgate/%s.key"' % name, '"%s"' % self.pki.ec_key)
        self.assertNotIn("/etc/tlsgate/example.com", text)
        p = os.path.join(self.tmp, "example.conf")
        with open(p, "w") as fh:
            fh.write(text)
        r = run([self.f("tlsgate"), "--check-config", "-c", p], timeout=60, check=False)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        self.assertIn(b"configuration OK", r.stdout)

    # ---- the installed tlsgate, started as the unit starts it -----------------------

    def test_installed_tlsgate_serves(self):
        keys = unit_keys(self.read("tlsgate.service"))
        d = dict(keys)
        port, admin = free_port(), free_port()
        conf = os.path.join(self.tmp, "tlsgate.conf")
        with open(conf, "w") as fh:
            fh.write('listen = "%s:%d";\n' % (HOST, port))
            fh.write('certificates = ( { cert = "%s"; key = "%s"; } );\n'
                     % (self.pki.ec, self.pki.ec_key))
            fh.write('backends = ["%s"];\n' % self.backend.addr)
            fh.write('admin = "%s:%d";\naccess_log = "-";\n' % (HOST, admin))
            fh.write('timeouts = { drain = 2000; };\n')

        def unit_cmd(line):
            argv = shlex.split(line)
            if argv[0] != "/bin/kill":
                argv[0] = self.dest + argv[0]
            return [conf if a == CONF else a for a in argv]

        start = unit_cmd(d["ExecStart"])
        sandbox = []
        if os.geteuid() == 0 and have("setpriv"):
            # the unit's capability sandbox: root with CAP_NET_BIND_SERVICE
            # alone, no_new_privs
            sandbox = ["setpriv", "--no-new-privs",
                       "--bounding-set=-all,+net_bind_service"]
        n = Notifications(os.path.join(self.tmp, "install-notify.sock")) if NOTIFY else None
        env = dict(os.environ)
        if n:
            env["NOTIFY_SOCKET"] = n.path
        errpath = os.path.join(self.tmp, "installed-tlsgate.stderr")
        err = open(errpath, "wb")
        log("starting %s" % " ".join(sandbox + start))
        proc = subprocess.Popen(sandbox + start, stdin=subprocess.DEVNULL,
                                stdout=err, stderr=err, cwd=self.tmp, env=env)

        def stderr():
            with open(errpath, "rb") as fh:
                return fh.read().decode("utf-8", "replace")[-3000:]
        try:
            if n:
                n.expect("READY", timeout=30)
            else:
                self._wait_port(proc, port, stderr)
            if sandbox:
                with open("/proc/%d/status" % proc.pid) as fh:
                    st = dict(line.split(":", 1) for line in fh if ":" in line)
                # CAP_NET_BIND_SERVICE (bit 10) only, no_new_privs set
                self.assertEqual(int(st["CapEff"], 16), 1 << 10)
                self.assertEqual(st["NoNewPrivs"].strip(), "1")
            ctx = client_ctx(self.pki)  # verifies the chain and the name
            st, h, b = https_get(port, "/bytes/5000", ctx=ctx, host="localhost")
            self.assertEqual(st, 200)
            self.assertEqual(h.get("x-sha256"), body_sha256(5000))
            # systemctl reload: ExecReload lines in order, with $MAINPID
            for line in [v for k, v in keys if k == "ExecReload"]:
                cmd = [a.replace("$MAINPID", str(proc.pid)) for a in unit_cmd(line)]
                r = run(sandbox + cmd if cmd[0] != "/bin/kill" else cmd,
                        timeout=60, check=False)
                self.assertEqual(r.returncode, 0, "%s: %s" % (cmd, r.stderr[-1500:]))
            if n:
                n.expect("RELOADING")
                n.expect("READY", timeout=30)
            else:
                end = time.monotonic() + 10
                while "reload: done" not in stderr() and time.monotonic() < end:
                    time.sleep(0.05)
            self.assertIn("reload: done", stderr())
            st, _, _ = https_get(port, "/bytes/100", ctx=ctx, host="localhost")
            self.assertEqual(st, 200)
            proc.send_signal(signal.SIGTERM)
            if n:
                n.expect("STOPPING")
            self.assertEqual(proc.wait(20), 0, stderr())
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
            err.close()
            if n:
                n.close()

    def _wait_port(self, proc, port, stderr, timeout=30):
        import socket
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if proc.poll() is not None:
                raise AssertionError("installed tlsgate exited (%d): %s"
                                     % (proc.returncode, stderr()))
            try:
                socket.create_connection((HOST, port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("installed tlsgate not listening: %s" % stderr())


if __name__ == "__main__":
    from tg_e2e import main
    main()
