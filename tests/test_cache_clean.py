"""The test command's cache has one folder and one documented way to remove it:
``python3 tests/rootfs.py --clean`` (and ``bash .ci/run --clean``, which also removes .ci/run's
venv) removes the whole cache folder, and refuses while something is mounted inside it."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

import rootfs

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _cache(tmp_path):
    cache = tmp_path / "cache"
    (cache / "bookworm-minbase-x/etc").mkdir(parents=True)
    (cache / "bookworm-minbase-x/etc/passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    (cache / "ci-installed-packages").write_text("sudo\n")
    return cache


def test_clean_removes_the_cache_folder(tmp_path):
    cache = _cache(tmp_path)
    r = subprocess.run([sys.executable, os.path.join(PROJECT, "tests/rootfs.py"), "--clean"],
                       env=dict(os.environ, JCSTAR_ROOTFS_CACHE=str(cache)), capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == f"{cache}: removed", r.stderr
    assert not cache.exists() and tmp_path.exists()
    assert rootfs.clean(str(cache)) == f"{cache}: nothing cached"


def test_ci_run_clean_removes_the_cache_and_its_venv(tmp_path):
    project = tmp_path / "checkout"  # a copy: the real checkout's .venv-ci stays
    (project / ".ci").mkdir(parents=True)
    (project / "tests").mkdir()
    shutil.copy(os.path.join(PROJECT, ".ci/run"), project / ".ci/run")
    shutil.copy(os.path.join(PROJECT, "tests/rootfs.py"), project / "tests/rootfs.py")
    (project / ".venv-ci/bin").mkdir(parents=True)
    cache = _cache(tmp_path)
    r = subprocess.run(["bash", str(project / ".ci/run"), "--clean"], capture_output=True, text=True,
                       env=dict(os.environ, JCSTAR_ROOTFS_CACHE=str(cache)))
    assert r.returncode == 0, r.stdout + r.stderr
    assert not cache.exists() and not (project / ".venv-ci").exists()
    r = subprocess.run(["bash", str(project / ".ci/run"), "--cleen"], capture_output=True, text=True)
    assert r.returncode == 2 and "usage" in r.stderr


@pytest.mark.integration  # a mount namespace
@pytest.mark.host
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"), reason="mounting needs root and unshare")
def test_clean_refuses_while_something_is_mounted_inside(tmp_path):
    cache = _cache(tmp_path)
    target = cache / "bookworm-minbase-x/etc"
    # In a private mount namespace: the mount is gone with the command, the host never sees it.
    script = (f"mount -t tmpfs tmpfs {target} && "
              f"exec {sys.executable} {os.path.join(PROJECT, 'tests/rootfs.py')} --clean")
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                       env=dict(os.environ, JCSTAR_ROOTFS_CACHE=str(cache)), capture_output=True, text=True)
    assert r.returncode == 1 and "not removed: still mounted there" in r.stderr and str(target) in r.stderr
    assert (cache / "ci-installed-packages").exists()


def test_readme_says_where_the_cache_is_and_how_to_remove_it():
    readme = open(os.path.join(PROJECT, "README.md"), encoding="utf-8").read()
    setup = readme[:readme.index("\n## Install")]  # the quick start, beside the test command
    assert "sudo bash .ci/run --clean" in setup and rootfs.CACHE in setup
    assert 'python3 -m pytest -q -n auto -m "not integration" tests' in setup  # the quick tier
    assert 'pytest -q -n auto -m "not integration or host" tests' in open(os.path.join(PROJECT, ".ci/run")).read()
    assert "python3 -m pytest -q tests" in open(os.path.join(PROJECT, ".ci/run")).read()
