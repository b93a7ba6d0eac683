"""Issue 12 item 12 (device side): device nodes and FIFOs are never opened; a loop is a loop.

A hostile image puts character devices where the agent reads configuration (``c 1 5``,
``c 1 8`` were opened on the host before), a FIFO as /etc/passwd, and a symlink loop on
/etc/shadow (reported as "needs root" even as root). Under ``strace -f`` no open of any of those
host paths may appear (the type is checked with lstat first); the loop is named as a loop.
"""
from __future__ import annotations

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measured  # noqa: E402
import straced  # noqa: E402

from jcstar_agent.target import Root  # noqa: E402

SSHD = "PasswordAuthentication yes\nKbdInteractiveAuthentication no\n"


def test_shadow_symlink_loop_is_reported_as_a_loop_not_needs_root(tree):
    root = tree({"/usr/sbin/sshd": "x", "/etc/ssh/sshd_config": SSHD,
                 "/etc/passwd": "root:x:0:0::/root:/bin/sh\nadmin:x:1000:1000::/home/admin:/bin/sh\n",
                 "/etc/shadow": ("symlink", "shadow.d/../shadow-"),
                 "/etc/shadow-": ("symlink", "/etc/shadow")})
    os.chmod(os.path.join(root, "usr/sbin/sshd"), 0o755)
    m = measured.run("check", "--root", root, "--format", "json", "--password-budget", "1")
    assert m.rc in (0, 1), m.err[-2000:]
    crit = {c["id"]: c for c in json.loads(m.out)["criteria"]}
    for cid in ("S1.1-02", "S1.1-11"):  # the two that judge the hashes in /etc/shadow
        c = crit[cid]
        assert c["verdict"] == "error", c
        assert "symbolic link loop" in c["reason"] and "needs root" not in c["reason"], c["reason"]


@pytest.mark.integration  # root: mknod
@pytest.mark.host
@pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")
def test_device_nodes_and_fifos_are_never_opened(tree, tmp_path):
    root = tree({"/etc/passwd": "root:x:0:0::/root:/bin/sh\n",
                 "/etc/ssh/sshd_config": ("symlink", "/dev/zero"),  # absolute: re-rooted
                 "/usr/sbin/sshd": "x"})
    os.chmod(os.path.join(root, "usr/sbin/sshd"), 0o755)
    os.makedirs(os.path.join(root, "dev"), exist_ok=True)
    nodes = {"/etc/os-release": (1, 5), "/etc/hostname": (1, 8), "/dev/zero": (1, 5),
             "/etc/shadow": (1, 3)}
    for dev, (major, minor) in nodes.items():
        host = os.path.join(root, dev.lstrip("/"))
        if os.path.lexists(host):
            os.unlink(host)
        os.mknod(host, 0o644 | 0o020000, os.makedev(major, minor))
    os.unlink(os.path.join(root, "etc/passwd"))
    os.mkfifo(os.path.join(root, "etc/passwd"))  # a blocking open would hang the run
    r = Root(root, live=False)
    for dev in list(nodes) + ["/etc/passwd", "/etc/ssh/sshd_config"]:
        assert r.read(dev).error == "not a regular file", dev
        assert r.lines(dev, 1 << 20).error == "not a regular file", dev
    if not straced.available():
        pytest.skip("strace not installed (.ci/apt-packages.txt)")
    log = str(tmp_path / "strace.log")
    p = straced.run([sys.executable, "-m", "jcstar_agent", "check", "--root", root, "--format",
                     "json", "--password-budget", "1"], log, capture_output=True, text=True,
                    timeout=120, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    assert p.returncode in (0, 1), p.stderr[-2000:]
    opened = {os.path.normpath(path) for call, path in straced.writes(log, os.getcwd(), reads=True)}
    assert any(path.startswith(root) for path in opened), "strace saw no open in the root"
    special = {os.path.join(root, d.lstrip("/")) for d in list(nodes) + ["/etc/passwd"]}
    assert not opened & special, sorted(opened & special)
