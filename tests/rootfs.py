"""Real Debian root filesystems for integration tests, built once and reused.

``debootstrap --variant=minbase bookworm`` into a cache folder, then the packages the tests need
added with ``chroot … apt-get install`` (services are never started: a policy-rc.d says no).
The tree is keyed by the package list, so adding a package rebuilds it. Tests get either the
shared tree (read-only use) or a private copy (``copy_rootfs``) to change.

Run as a script to pre-build (``.ci/run`` does): ``python3 tests/rootfs.py``; every cached tree
(this one, the corpus and packaging trees beside it, .ci/run's records) lives in CACHE, and
``python3 tests/rootfs.py --clean`` (or ``sudo bash .ci/run --clean``) removes it.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

SUITE = "bookworm"
PACKAGES = (
    "openssh-server", "openbsd-inetd", "inetutils-telnetd", "openssl", "libpam-pwquality",
)
CACHE = os.environ.get("JCSTAR_ROOTFS_CACHE", "/var/tmp/jcstar-rootfs")
# All a command run inside a rootfs sees of an environment: none of the host's. The test run's
# TMPDIR (a folder that exists only on the host: ca-certificates' postinst then fails its
# mktemp), a developer's HOME, PYTHONPATH or proxy settings have no meaning inside the tree.
# tests/test_chroot_env.py checks that every chroot in tests/ and tools/ is given this.
CHROOT_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LC_ALL": "C",
              "DEBIAN_FRONTEND": "noninteractive"}


def chroot_env(**extra: str) -> dict:
    """CHROOT_ENV plus ``extra``: the environment to pass to a ``chroot`` (never os.environ)."""
    return dict(CHROOT_ENV, **extra)


def mirror() -> str:
    """The Debian mirror the host's apt uses (the only one this machine reaches)."""
    for path in ("/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"):
        try:
            text = open(path, encoding="utf-8").read()
        except OSError:
            continue
        for line in text.splitlines():
            f = line.split()
            if f[:1] == ["URIs:"] and "security" not in f[1]:
                return f[1]
            if f[:1] == ["deb"] and len(f) > 2 and "security" not in f[1]:
                return f[2] if f[1].startswith("[") else f[1]
    return "http://deb.debian.org/debian"


def key() -> str:
    return hashlib.sha256((SUITE + " ".join(PACKAGES)).encode()).hexdigest()[:12]


def path() -> str:
    return os.path.join(CACHE, f"{SUITE}-minbase-{key()}")


def unavailable() -> str:
    """Why a rootfs cannot be built here ('' when it can)."""
    if os.geteuid() != 0:
        return "building a debootstrap rootfs needs root"
    if not shutil.which("debootstrap"):
        return "debootstrap is not installed (apt-get install debootstrap)"
    return ""


def _run(cmd, env=None, **kw):
    """Run on the host (debootstrap: its environment) or, given ``env``, in a tree."""
    env = env or dict(os.environ, DEBIAN_FRONTEND="noninteractive", LC_ALL="C")
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, **kw)


def build() -> str:
    """Path of a complete rootfs, building it when the cache has none."""
    dest = path()
    if os.path.exists(os.path.join(dest, ".jcstar-complete")):
        return dest
    why = unavailable()
    if why:
        raise RuntimeError(why)
    os.makedirs(CACHE, exist_ok=True)
    work = tempfile.mkdtemp(prefix="build-", dir=CACHE)
    try:
        _run(["debootstrap", "--variant=minbase", SUITE, work, mirror()])
        _install_and_publish(work, PACKAGES, dest)
    finally:
        if os.path.exists(work):
            shutil.rmtree(work, ignore_errors=True)
    return dest


def _install_and_publish(tree: str, packages, dest: str) -> None:
    """``apt-get install packages`` in ``tree`` under a policy-rc.d that starts nothing, then mark
    it complete and move it to ``dest`` (the cache entry)."""
    rc = os.path.join(tree, "usr/sbin/policy-rc.d")
    with open(rc, "w") as fh:
        fh.write("#!/bin/sh\nexit 101\n")
    os.chmod(rc, 0o755)
    _run(["chroot", tree, "apt-get", "update", "-q"], env=chroot_env())
    _run(["chroot", tree, "apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
         env=chroot_env())
    _run(["chroot", tree, "apt-get", "clean"], env=chroot_env())
    os.unlink(rc)
    open(os.path.join(tree, ".jcstar-complete"), "w").close()
    if os.path.exists(dest):
        shutil.rmtree(dest)
    os.rename(tree, dest)


def copy_rootfs(dest: str) -> str:
    """A private copy of the shared rootfs (hard links are not used: tests may write)."""
    src = build()
    subprocess.run(["cp", "-a", src, dest], check=True)
    return dest


def derived(prefix: str, packages, base: str = "") -> str:
    """Path of a tree built once from the rootfs (or ``base``) plus ``packages``, installed by
    ``chroot … apt-get install`` under a policy-rc.d (nothing started); cached beside the rootfs
    as ``PREFIX-<key>``, keyed by the base and the package list."""
    base = base or build()
    digest = hashlib.sha256((base + " " + " ".join(packages)).encode()).hexdigest()[:12]
    dest = os.path.join(CACHE, f"{prefix}-{digest}")
    if os.path.exists(os.path.join(dest, ".jcstar-complete")):
        return dest
    work = tempfile.mkdtemp(prefix=f"{prefix}-build-", dir=CACHE)
    tree = os.path.join(work, "t")
    try:
        subprocess.run(["cp", "-a", "--reflink=auto", base, tree], check=True)
        _install_and_publish(tree, packages, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def cheap_copy(src: str, dest: str, real=("etc",)) -> str:
    """A private copy of a cached tree for one test case: files hard-linked (fast, no space), the
    folders in ``real`` copied for real — a case may change files only there (new files in fresh
    folders anywhere). Across filesystems, a full copy."""
    if subprocess.run(["cp", "-al", src, dest], stderr=subprocess.DEVNULL).returncode != 0:
        shutil.rmtree(dest, ignore_errors=True)
        subprocess.run(["cp", "-a", "--reflink=auto", src, dest], check=True)
        return dest
    for sub in real:
        if os.path.lexists(os.path.join(src, sub)):
            shutil.rmtree(os.path.join(dest, sub))
            subprocess.run(["cp", "-a", os.path.join(src, sub), os.path.join(dest, sub)], check=True)
    return dest


def chroot(root: str, *cmd: str, input: str = None) -> None:
    """Run a command inside a rootfs (useradd, chpasswd ...)."""
    subprocess.run(["chroot", root, *cmd], check=True, input=input, text=True,
                   env=chroot_env(), stdout=subprocess.DEVNULL)


def clean(cache: str = CACHE) -> str:
    """Remove the whole cache folder; what was done, or why not (something is mounted in it: a
    test still running, or one that failed with its mount left, must not be removed through)."""
    if not os.path.lexists(cache):
        return f"{cache}: nothing cached"
    prefix = os.path.realpath(cache) + "/"
    with open("/proc/self/mountinfo", encoding="utf-8") as fh:
        mounted = [f.split()[4] for f in fh if (f.split()[4] + "/").startswith(prefix)]
    if mounted:
        raise RuntimeError(f"{cache} not removed: still mounted there: {', '.join(mounted[:3])}")
    subprocess.run(["rm", "-rf", "--one-file-system", "--", cache], check=True)
    return f"{cache}: removed"


if __name__ == "__main__":
    if sys.argv[1:] == ["--clean"]:
        try:
            print(clean())
        except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
            sys.exit(f"rootfs.py: {exc}")
        sys.exit(0)
    if sys.argv[1:]:
        sys.exit("usage: python3 tests/rootfs.py [--clean]")
    print(build())
    sys.exit(0)
