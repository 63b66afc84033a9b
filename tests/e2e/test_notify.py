#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""tlsgate end to end: service manager notifications (sd_notify).

The test plays systemd: it owns a unix datagram socket, starts tlsgate
with NOTIFY_SOCKET pointing at it, and checks the messages and their
order: READY=1 once the listeners are up (a connection right after it is
served), RELOADING=1 with MONOTONIC_USEC then READY=1 around a SIGHUP
(also when the new config is refused), STOPPING=1 at SIGTERM; and no
READY=1 when a worker cannot listen. Skipped when tlsgate was built
without libsystemd (TG_NOTIFY=0 from meson)."""
import os
import signal
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tg_e2e import E2E, HOST, free_port, https_get, log  # noqa: E402


class Notifications:
    """The service manager's end: a datagram socket at PATH; each message
    parsed into a dict of its KEY=VALUE lines."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.got = []

    def close(self):
        self.sock.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass

    def next(self, timeout=20):
        """The next message (a dict), or None after TIMEOUT seconds."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return None
        msg = dict(line.split("=", 1) for line in data.decode().split("\n")
                   if "=" in line)
        self.got.append(msg)
        log("notify: %r" % msg)
        return msg

    def expect(self, key, timeout=20):
        """The next message, which must carry KEY=1."""
        m = self.next(timeout)
        if m is None or m.get(key) != "1":
            raise AssertionError("expected %s=1, got %r (all so far: %r)"
                                 % (key, m, self.got))
        return m


NOTIFY = os.environ.get("TG_NOTIFY", "1") == "1"
needs_notify = unittest.skipUnless(
    NOTIFY, "tlsgate built without libsystemd: no notifications")


class Notify(E2E):

    def setUp(self):
        super().setUp()
        self.n = Notifications(os.path.join(self.tmp, "notify-%d.sock" % os.getpid()))

    def tearDown(self):
        super().tearDown()
        self.n.close()

    def conf(self, text):
        p = os.path.join(self.tmp, "notify.conf")
        with open(p, "w") as f:
            f.write(text)
        return p

    @needs_notify
    def test_ready_reload_stopping(self):
        """READY=1 with every worker listening; SIGHUP: RELOADING=1 (its
        MONOTONIC_USEC is now) then READY=1, for a config taken and for
        one refused; SIGTERM: STOPPING=1, then a clean exit."""
        conf = self.conf("workers = 2;\n")
        g = self.gate(["-c", conf], wait=False,
                      env={"NOTIFY_SOCKET": self.n.path})
        m = self.n.expect("READY")
        # at READY=1 every listener is up: no retry
        st, _, _ = https_get(g.port, "/bytes/100")
        self.assertEqual(st, 200)
        self.assertIn(g.addr, m.get("STATUS", ""))
        self.assertIn("2 workers", m.get("STATUS", ""))

        for broken in (False, True):
            if broken:
                with open(conf, "w") as f:
                    f.write("workers = 2;\nnot a setting\n")
            before = time.monotonic_ns() // 1000
            g.signal(signal.SIGHUP)
            m = self.n.expect("RELOADING")
            after = time.monotonic_ns() // 1000
            usec = int(m["MONOTONIC_USEC"])
            self.assertTrue(before <= usec <= after,
                            "MONOTONIC_USEC %d not in [%d, %d]" % (usec, before, after))
            self.n.expect("READY", timeout=30)
            self.assertEqual(g.wait_reload(count=2 if broken else 1), not broken)
            st, _, _ = https_get(g.port, "/bytes/100")
            self.assertEqual(st, 200)

        g.signal(signal.SIGTERM)
        self.n.expect("STOPPING")
        self.assertEqual(g.proc.wait(20), 0, g.stderr()[-2000:])
        # nothing after STOPPING=1
        self.assertIsNone(self.n.next(timeout=0.3))

    @needs_notify
    def test_no_ready_when_a_listener_fails(self):
        """A port another socket holds (no SO_REUSEPORT): the worker cannot
        listen, tlsgate exits non-zero, and READY=1 was never sent."""
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((HOST, port))
            s.listen(1)
            g = self.gate([], wait=False, listen_port=port, admin=False,
                          env={"NOTIFY_SOCKET": self.n.path})
            rc = g.proc.wait(30)
        self.assertNotEqual(rc, 0)
        self.assertIn("cannot listen", g.stderr())
        m = self.n.next(timeout=0.5)
        self.assertTrue(m is None or "READY" not in m, m)

    def test_no_socket_no_harm(self):
        """NOTIFY_SOCKET naming a socket nobody listens on: tlsgate runs,
        serves, reloads and stops as without it."""
        g = self.gate([], env={"NOTIFY_SOCKET": os.path.join(self.tmp, "nobody.sock")})
        self.assertGateUp(g)
        g.signal(signal.SIGHUP)
        self.assertTrue(g.wait_reload())
        self.assertGateUp(g)
        self.assertEqual(g.stop(), 0)


if __name__ == "__main__":
    from tg_e2e import main
    main()
