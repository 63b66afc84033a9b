#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The README's DPDK try-out, run as the README writes it.

The shell block under "## Try the DPDK transport without a NIC" is taken
from README.md and run with bash in a temporary directory, with only
what a second copy on this machine must not share changed: the tlsgate
executable of this build for ./build/app/tlsgate, the absolute path of
tests/net/linux_peer.py, a namespace and veth names of this process, and
a free admin port. Passes when the block exits 0, curl got the
backend's directory listing through tlsgate, `tlsgate stats` showed the
"DPDK port" table with the one connection, and the namespace is gone
afterwards. Root only (a namespace, a veth pair, AF_PACKET): skipped
(77) otherwise. Bounded: the block gets 90 s."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tg_e2e import free_port  # noqa: E402

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
HEADING = "## Try the DPDK transport without a NIC"


def readme_block(text):
    """The first ```sh block after HEADING."""
    at = text.find(HEADING)
    if at < 0:
        raise AssertionError("README.md has no %r" % HEADING)
    m = re.search(r"```sh\n(.*?)```", text[at:], re.S)
    if m is None:
        raise AssertionError("no sh block under %r" % HEADING)
    return m.group(1)


def adapt(block, tlsgate, tag, admin_port):
    """The block with this run's names; every replaced text must be
    there, so that a README change the test does not follow fails it
    rather than running something else."""
    subs = [("./build/app/tlsgate", tlsgate),
            ("tests/net/linux_peer.py", os.path.join(ROOT, "tests/net/linux_peer.py")),
            ("tgdemo", "tgrd%s" % tag),
            ("tgd0", "tgr%sa" % tag),
            ("tgd1", "tgr%sb" % tag),
            ("127.0.0.1:9443", "127.0.0.1:%d" % admin_port)]
    for old, new in subs:
        if old not in block:
            raise AssertionError("the README's block no longer has %r" % old)
        block = block.replace(old, new)
    return block


def main():
    tlsgate = os.environ.get("TLSGATE", os.path.join(ROOT, "build/app/tlsgate"))
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        block = readme_block(f.read())
    tag = "%d" % (os.getpid() % 100000)
    ns = "tgrd%s" % tag
    script = adapt(block, tlsgate, tag, free_port())
    tmp = tempfile.mkdtemp(prefix="tg-readme-")
    p = subprocess.Popen(["bash", "-e", "-c", script], cwd=tmp, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        out += "\n(timed out after 90 s)"
    finally:
        # the block's background jobs (the backend, tlsgate draining)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)
    print(out[-6000:])
    failures = []
    if p.returncode != 0:
        failures.append("the block exited %s" % p.returncode)
    if "Directory listing for /" not in out:
        failures.append("curl did not get the backend's page through tlsgate")
    m = re.search(r"DPDK port:\n.*\n0\s+(\d+)\s+(\d+)", out)
    if m is None or int(m.group(1)) == 0 or int(m.group(2)) == 0:
        failures.append("no 'DPDK port' table with packets in and out in tlsgate stats")
    if not re.search(r"^total\s+1\s+0\s+1\s", out, re.M):
        failures.append("tlsgate stats: not one connection accepted with one full handshake")
    ls = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    if re.search(r"^%s\b" % ns, ls, re.M):
        failures.append("namespace %s left behind" % ns)
    for f in failures:
        print("FAIL: " + f)
    print("PASS" if not failures else "FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("SKIP: the README's DPDK try-out needs root (a network namespace, "
              "a veth pair, AF_PACKET)")
        sys.exit(SKIP)
    for tool in ("ip", "curl", "openssl"):
        if shutil.which(tool) is None:
            print("SKIP: needs %s" % tool)
            sys.exit(SKIP)
    sys.exit(main())
