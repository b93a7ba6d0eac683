"""No host environment goes into a chroot: every ``chroot`` that tests/ and tools/ start is given
tests/rootfs.py's ``chroot_env()`` (PATH, HOME=/root, LC_ALL, DEBIAN_FRONTEND and what the call
adds), never ``os.environ``. The run's TMPDIR names a host folder that does not exist in the
tree: a package's maintainer script that calls mktemp there fails (ca-certificates' postinst did,
on a machine whose cache was cold).

The check reads the source: a call whose argv is a list with a ``"chroot"`` element, which starts
``"chroot"`` as its first argument (a daemon launcher) or wraps ``in_root(...)`` must pass
``env=`` built by ``chroot_env``."""
from __future__ import annotations

import ast
import glob
import os

import rootfs

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _starts_chroot(arg: ast.AST) -> bool:
    if isinstance(arg, ast.Constant) and arg.value == "chroot":
        return True
    if isinstance(arg, (ast.List, ast.Tuple)):
        return any(isinstance(e, ast.Constant) and e.value == "chroot" for e in arg.elts)
    if isinstance(arg, ast.Call):
        f = arg.func
        return (f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")) == "in_root"
    return False


def chroot_calls_without_clean_env():
    bad, seen = [], 0
    files = glob.glob(os.path.join(PROJECT, "tests", "**", "*.py"), recursive=True) \
        + glob.glob(os.path.join(PROJECT, "tools", "*.py"))
    for path in files:
        with open(path, encoding="utf-8") as fh:
            source = fh.read()
        for node in ast.walk(ast.parse(source, path)):
            if not isinstance(node, ast.Call) or not node.args or not _starts_chroot(node.args[0]):
                continue
            seen += 1
            env = next((k.value for k in node.keywords if k.arg == "env"), None)
            if env is None or "chroot_env" not in ast.get_source_segment(source, env):
                bad.append(f"{os.path.relpath(path, PROJECT)}:{node.lineno}")
    return seen, bad


def test_every_chroot_gets_the_clean_environment():
    seen, bad = chroot_calls_without_clean_env()
    assert seen >= 15, seen  # the audit finds the calls it is about
    assert not bad, "chroot started with the host's environment (pass env=rootfs.chroot_env()): " + ", ".join(bad)


def test_the_clean_environment_has_nothing_of_the_host(monkeypatch):
    monkeypatch.setenv("TMPDIR", "/tmp/jcstar-tests-x/tmp")
    monkeypatch.setenv("PYTHONPATH", "/work/somewhere")
    env = rootfs.chroot_env(LC_ALL="C.UTF-8")
    assert set(env) == {"PATH", "HOME", "LC_ALL", "DEBIAN_FRONTEND"}
    assert env["LC_ALL"] == "C.UTF-8" and env["HOME"] == "/root"
    assert rootfs.chroot_env()["LC_ALL"] == "C"  # extra changes the copy, not CHROOT_ENV
