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
    """Everything under tests/integration/, or using the real rootfs, is an integration test."""
    for item in items:
        if "/integration/" in str(item.fspath) or "debian_rootfs" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.integration)
