"""Shared fixtures: synthetic trees for unit tests, the real debootstrap rootfs, the CLI."""
from __future__ import annotations

import os
import sys
from typing import Dict, Optional

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
sys.path.insert(0, HERE)  # tests/rootfs.py and helpers import as top-level modules

import rootfs as rootfs_builder  # noqa: E402

_SESSION_TMP = None


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Every temp file of the run — pytest's tmp_path, and what the tools the tests start leave
    in $TMPDIR (pip's extracted cacert.pem, lintian's caches, a SIGKILLed process's files) — goes
    to one folder of this run, removed at its end: the test command leaves /tmp as it found it.
    ``--basetemp DIR`` (or JCSTAR_KEEP_TMP=1, to look at a failure) keeps them."""
    global _SESSION_TMP
    import tempfile

    if config.option.basetemp or os.environ.get("JCSTAR_KEEP_TMP"):
        return
    _SESSION_TMP = tempfile.mkdtemp(prefix="jcstar-tests-")
    os.chmod(_SESSION_TMP, 0o755)
    config.option.basetemp = os.path.join(_SESSION_TMP, "pytest")  # 0700, as pytest makes it
    tmp = os.path.join(_SESSION_TMP, "tmp")
    os.mkdir(tmp)
    os.chmod(tmp, 0o1777)  # as /tmp: the users tests run tools as (postgres, nobody) use it too
    os.environ["TMPDIR"] = tmp
    tempfile.tempdir = tmp


def pytest_unconfigure(config):
    import shutil
    import tempfile

    if not _SESSION_TMP:
        return
    tempfile.tempdir = None
    try:  # never remove through a mount a failed test left (it could be a host folder)
        with open("/proc/self/mountinfo") as fh:
            mounted = [ln.split()[4] for ln in fh if ln.split()[4].startswith(_SESSION_TMP + "/")]
    except OSError:
        mounted = []
    if mounted:
        sys.stderr.write(f"tests: {_SESSION_TMP} kept: still mounted there: {', '.join(mounted[:3])}\n")
        return
    shutil.rmtree(_SESSION_TMP, ignore_errors=True)


def make_tree(base, files: Dict[str, object], modes: Optional[Dict[str, int]] = None) -> str:
    """Write a synthetic root: {"/etc/os-release": "text" | b"bytes", "/a/link": ("symlink", target)}."""
    base = str(base)
    for dev, content in files.items():
        host = os.path.join(base, dev.lstrip("/"))
        os.makedirs(os.path.dirname(host), exist_ok=True)
        if isinstance(content, tuple) and content[0] == "symlink":
            os.symlink(content[1], host)
        elif isinstance(content, tuple) and content[0] == "dir":
            os.makedirs(host, exist_ok=True)
        else:
            with open(host, "wb") as fh:
                fh.write(content.encode() if isinstance(content, str) else content)
        if modes and dev in modes:
            os.chmod(host, modes[dev])
    return base


MINIMAL = {
    "/etc/os-release": 'NAME="Acme Linux"\nID=acme\nVERSION_ID="1.2.3"\nPRETTY_NAME="Acme Linux 1.2.3"\n',
    "/etc/hostname": "gw-0001\n",
    "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\n",
    "/etc/shadow": "root:*:19000:0:99999:7:::\n",
    "/usr/bin/apt-get": "#!/bin/sh\n",
}


@pytest.fixture
def tree(tmp_path):
    """A factory: tree({...}) -> path of a synthetic root with MINIMAL plus the given files."""
    def _make(files=None, modes=None, minimal=True):
        root = tmp_path / "root"
        root.mkdir(exist_ok=True)
        make_tree(root, dict(MINIMAL, **(files or {})) if minimal else (files or {}), modes)
        os.chmod(root / "usr/bin/apt-get", 0o755) if (root / "usr/bin/apt-get").exists() else None
        return str(root)
    return _make


@pytest.fixture
def trees(tmp_path):
    """A factory for several separate synthetic roots in one test (no MINIMAL files added):
    trees(files, modes=None, base=None) -> a new root folder on each call."""
    made = []

    def _make(files, modes=None, base=None):
        made.append(1)
        return make_tree(os.path.join(str(base or tmp_path), f"tree{len(made)}"), files, modes)
    return _make


from clirun import CliResult, run_cli, run_process  # noqa: E402,F401 (a module of its own: see there)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def proc():
    return run_process


@pytest.fixture(scope="session")
def debian_rootfs():
    """The shared debootstrap bookworm rootfs (read-only use!). Built once, cached."""
    why = rootfs_builder.unavailable()
    if why:
        pytest.skip(why)
    return rootfs_builder.build()


@pytest.fixture
def debian_copy(debian_rootfs, tmp_path):
    """A private copy of the debootstrap rootfs that the test may change."""
    return rootfs_builder.copy_rootfs(str(tmp_path / "rootfs"))


def pytest_collection_modifyitems(config, items):
    """Everything under tests/integration/ and tests/packaging/ (they build packages, install
    them, make trees), using the real rootfs, or run against the real PostgreSQL server (the
    ``postgresql`` case of the store tests' ``store_url``: a daemon) is an integration test: the
    quick tier (``-m "not integration"``) runs none of them."""
    for item in items:
        path = str(item.fspath)
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "/integration/" in path or "/packaging/" in path \
                or "debian_rootfs" in getattr(item, "fixturenames", ()) \
                or params.get("store_url") == "postgresql":
            item.add_marker(pytest.mark.integration)
