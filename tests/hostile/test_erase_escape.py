"""Issue 12 item 1: ``--erase-test`` never writes outside its copy of the root.

The trees are the hostile tester's: a symlink ``/data -> nosuch/../../…/tmp/X`` with
``data_paths = ["/data/victim.conf"]``, and a declared path ``/var/lib/nosuchdir/../../…/tmp/X``.
Before the fix the canary was planted in the *host's* /tmp/X (truncating victim.conf, creating
settings/). Each test keeps a canary folder on the host, digests it and the original root before
and after, and runs the agent under ``strace -f`` to list every path opened for writing or
created outside a chroot: all of them must be inside the erase copy.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "criteria"))

import straced  # noqa: E402
from test_s1_1_15 import shell_tree  # noqa: E402  (a root with /bin/sh, rm, cp, echo)

from jcstar_agent import erase  # noqa: E402
from jcstar_agent.target import Root  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.host,  # chroots, as root or in a user namespace of its own
              pytest.mark.skipif(os.geteuid() != 0 and not shutil.which("unshare"),
                                 reason="the erase test chroots: needs root or unshare")]
UP = "../" * 40  # more than any tmp path is deep: climbs to the host's / when not contained

RESET = """#!/bin/sh
rm -rf "{victim_dir}"
exit 0
"""


@pytest.fixture
def canary():
    """A folder on the host the image points at, with a file to be truncated and no settings/."""
    top = tempfile.mkdtemp(prefix="jcstar-hostile-X-", dir="/tmp")
    with open(os.path.join(top, "victim.conf"), "w") as fh:
        fh.write("host data, must survive\n")
    yield top
    shutil.rmtree(top, ignore_errors=True)


def _tree(tmp_path, victim_dir: str, links: dict, config: str):
    root = shell_tree(tmp_path / "root", {
        "/etc/acme-release": "1.0\n",
        "/usr/sbin/factory-reset": RESET.format(victim_dir=victim_dir),
    })
    os.chmod(os.path.join(root, "usr/sbin/factory-reset"), 0o755)
    for dev, target in links.items():
        os.symlink(target, os.path.join(root, dev.lstrip("/")))
    cfg = tmp_path / "board.toml"
    cfg.write_text("[firmware]\nversion_source = \"/etc/acme-release\"\nversion_key = \"\"\n\n"
                   "[erase]\ncommand = \"/usr/sbin/factory-reset\"\n" + config)
    return root, str(cfg)


def _run_agent(tmp_path, root, cfg):
    log = str(tmp_path / "strace.log")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", TMPDIR=str(tmp_path / "tmp"))
    os.makedirs(env["TMPDIR"])
    cmd = [sys.executable, "-m", "jcstar_agent", "check", "--root", root, "--config", cfg,
           "--erase-test", "--format", "json"]
    if straced.available():
        p = straced.run(cmd, log, capture_output=True, text=True, env=env, cwd=str(tmp_path))
        found = straced.writes(log, str(tmp_path))
    else:
        p, found = subprocess.run(cmd, capture_output=True, text=True, env=env), None
    assert p.returncode in (0, 1), p.stderr[-2000:]
    return p, found, env["TMPDIR"]


def _snapshot(top):
    return erase.tree_digest(top)


def _sandbox_setup(path: str) -> bool:
    """The sandbox's own bookkeeping outside the copy: its cgroups and its scratch folder (named
    by boot.PREFIX) and the id maps of its user namespace, written by the agent's launcher, never
    by the image."""
    from jcstar_agent.target import boot
    parts = path.split("/")
    if path.startswith(("/sys/fs/cgroup/", "/tmp/" + boot.PREFIX, "/var/tmp/" + boot.PREFIX)) \
            and any(p.startswith(boot.PREFIX) for p in parts):
        return ".." not in parts
    return len(parts) == 4 and parts[1] == "proc" and parts[2].isdigit() and \
        parts[3] in ("uid_map", "gid_map")


def _check_contained(tmp_path, root, cfg, canary):
    before_canary, before_root = _snapshot(canary), _snapshot(root)
    p, found, tmpdir = _run_agent(tmp_path, root, cfg)
    assert _snapshot(canary) == before_canary  # victim.conf not truncated, no settings/ made
    assert sorted(os.listdir(canary)) == ["victim.conf"]
    assert _snapshot(root) == before_root
    if found is not None:
        assert found, "strace saw no write at all: the trace is not working"
        # the erase copy lives in TMPDIR; /dev/null is where the command's output goes
        bad = [(c, path) for c, path in straced.outside(found, [os.path.realpath(tmpdir), "/dev/null"])
               if not _sandbox_setup(path)]
        assert bad == [], bad[:10]
        planted = [path for call, path in found if erase.CANARY_NAME in path
                   or path.endswith("victim.conf")]
        assert planted, "the canary was not planted in the copy at all"
    assert os.listdir(tmpdir) == []  # the copy is removed
    return p


@pytest.mark.skipif(not straced.available(), reason="strace not installed (.ci/apt-packages.txt)")
def test_symlink_with_missing_component_and_dotdots_stays_in_the_copy(tmp_path, canary):
    root, cfg = _tree(tmp_path, canary, {"/data": "nosuch/" + UP + canary.lstrip("/")},
                      'data_paths = ["/data/victim.conf"]\n'
                      'settings_paths = ["/data/settings/"]\n')
    _check_contained(tmp_path, root, cfg, canary)


@pytest.mark.skipif(not straced.available(), reason="strace not installed (.ci/apt-packages.txt)")
def test_declared_path_with_missing_folder_and_dotdots_stays_in_the_copy(tmp_path, canary):
    os.makedirs(tmp_path / "root" / "var" / "lib")
    decl = "/var/lib/nosuchdir/" + UP + canary.lstrip("/")
    root, cfg = _tree(tmp_path, canary, {},
                      f'data_paths = ["{decl}/victim.conf"]\n'
                      f'settings_paths = ["{decl}/settings/"]\n')
    _check_contained(tmp_path, root, cfg, canary)


def test_plant_resolves_every_component_inside_the_copy(tmp_path, canary):
    """Without a subprocess: where the canary lands, for the two hostile spellings and for a
    symlink in the middle of a path that points out absolutely (re-rooted)."""
    root = str(tmp_path / "copy")
    os.makedirs(os.path.join(root, "var/lib"))
    os.symlink("nosuch/" + UP + "tmp/X", os.path.join(root, "data"))
    os.symlink(canary, os.path.join(root, "abs"))  # absolute: re-rooted, not followed to the host
    r = Root(root, live=False)
    assert erase.plant(r, "/data/victim.conf") is None
    assert erase.plant(r, "/var/lib/nosuchdir/" + UP + "tmp/Y/settings/") is None
    assert erase.plant(r, "/abs/victim.conf") is None
    with open(os.path.join(root, "tmp/X/victim.conf"), "rb") as fh:
        assert fh.read() == erase.CANARY
    assert os.path.isfile(os.path.join(root, "tmp/Y/settings", erase.CANARY_NAME))
    assert os.path.isfile(os.path.join(root, canary.lstrip("/"), "victim.conf"))
    with open(os.path.join(canary, "victim.conf")) as fh:
        assert fh.read() == "host data, must survive\n"


def test_plant_never_opens_a_device_node_or_fifo(tmp_path):
    root = str(tmp_path / "copy")
    os.makedirs(os.path.join(root, "etc"))
    os.mkfifo(os.path.join(root, "etc/fifo.conf"))
    r = Root(root, live=False)
    done = []
    t = threading.Thread(target=lambda: done.append(erase.plant(r, "/etc/fifo.conf")), daemon=True)
    t.start()
    t.join(10)
    assert done == ["not a regular file"]  # and it did not block opening the FIFO for writing
    if os.geteuid() == 0:
        os.mknod(os.path.join(root, "etc/null.conf"), 0o600 | 0o020000, os.makedev(1, 3))
        assert erase.plant(r, "/etc/null.conf") == "not a regular file"


def test_reads_resolve_missing_components_and_dotdots_inside_the_root(tmp_path):
    """The same spellings on the read side: the root's files, never the host's."""
    root = str(tmp_path / "img")
    os.makedirs(os.path.join(root, "etc"))
    with open(os.path.join(root, "etc/hostname"), "w") as fh:
        fh.write("image-host\n")
    os.symlink("nosuch/" + UP + "etc", os.path.join(root, "data"))
    r = Root(root, live=False)
    for path in ("/data/hostname", "/var/nosuch/" + UP + "etc/hostname", "/../../etc/hostname"):
        assert r.realpath(path) == "/etc/hostname", path
        assert r.read(path).data == b"image-host\n", path
    assert r.lstat("/..") is not None and r.lstat("/..").st_ino == os.lstat(root).st_ino
