"""Trees and artefacts for the packaging tests, built once and cached beside tests/rootfs.py's:

- ``build_deb(dest)``: the Debian package, built by ``dpkg-buildpackage -us -uc -b`` in a copy of
  the working tree under ``dest`` (nothing is written into the checkout);
- ``deps_root()``: the shared bookworm rootfs plus what the package depends on (python3-psutil,
  python3-cryptography), recommends (python3-serial) and ``sudo`` for the quick-start test, so
  that installing the .deb there needs no download;
- ``arm64_root()``: a second architecture, ``debootstrap --foreign --arch=arm64`` finished under
  qemu-user-static emulation, with the same packages;
- ``binfmt_aarch64()``: binfmt_misc mounted and qemu-aarch64 enabled as Debian's package does
  (``update-binfmts``; only what this run did is undone afterwards).

Run as a script to pre-build both trees: ``python3 tests/packaging/pkgroots.py``.
"""
from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
import rootfs  # noqa: E402  (tests/rootfs.py)

DEPS = ("python3-psutil", "python3-cryptography", "python3-serial", "sudo")
BUILD_TOOLS = ("dpkg-buildpackage", "dh", "dh_python3", "lintian")
BINFMT = "/proc/sys/fs/binfmt_misc"
QEMU = "/usr/bin/qemu-aarch64-static"
# What qemu-user-static registers (/usr/lib/binfmt.d/qemu-aarch64.conf): aarch64 ELF executables.
AARCH64_MAGIC = (r"\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00")
AARCH64_MASK = (r"\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff")


def _env():
    return dict(os.environ, DEBIAN_FRONTEND="noninteractive", LC_ALL="C")


def run(cmd, env=None, **kw):
    """Run on the host (or, given ``env``, in a tree), raising with the command's output on failure."""
    r = subprocess.run(cmd, env=env or _env(), capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r


# ---- the .deb ----------------------------------------------------------------------------------

def deb_unavailable() -> str:
    missing = [t for t in BUILD_TOOLS if not shutil.which(t)]
    if missing:
        return ("building the .deb needs " + ", ".join(missing)
                + " (.ci/apt-packages.txt: dpkg-dev debhelper dh-python pybuild-plugin-pyproject python3-all lintian)")
    return ""


def _tree_files():
    """The working tree's files as git sees them (tracked and new, not ignored)."""
    r = subprocess.run(["git", "-C", PROJECT, "ls-files", "-co", "--exclude-standard", "-z"],
                       capture_output=True, check=True)
    return [f for f in r.stdout.decode().split("\0") if f and os.path.lexists(os.path.join(PROJECT, f))]


def copy_tree(src: str) -> str:
    """The working tree's files copied to ``src`` (builds never write into the checkout)."""
    os.makedirs(src)
    for rel in _tree_files():
        target = os.path.join(src, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(PROJECT, rel), target, follow_symlinks=False)
    return src


def build_deb(dest: str) -> str:
    """Build the package from a copy of the working tree in ``dest``; the .deb's path."""
    src = copy_tree(os.path.join(dest, "src"))
    os.chmod(os.path.join(src, "debian/rules"), 0o755)
    # The distribution's own tools and Python, as on a Debian build machine: not a pyenv or venv
    # interpreter first in PATH (pybuild would build the wheel with it, or fail: no 'build').
    run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": dest, "LC_ALL": "C.UTF-8",
             "TMPDIR": tempfile.gettempdir()})
    debs = glob.glob(os.path.join(dest, "jcstar-agent_*_all.deb"))
    assert len(debs) == 1, debs
    return debs[0]


# ---- cached trees ------------------------------------------------------------------------------

def _cached(name: str, make) -> str:
    dest = os.path.join(rootfs.CACHE, name)
    if os.path.exists(os.path.join(dest, ".jcstar-complete")):
        return dest
    os.makedirs(rootfs.CACHE, exist_ok=True)
    work = tempfile.mkdtemp(prefix="pkgroot-", dir=rootfs.CACHE)
    try:
        make(work)
        os.chmod(work, 0o755)  # a root directory, not mkdtemp's private 0700
        open(os.path.join(work, ".jcstar-complete"), "w").close()
        if os.path.exists(dest):
            shutil.rmtree(dest)
        os.rename(work, dest)
    finally:
        if os.path.exists(work):
            shutil.rmtree(work, ignore_errors=True)
    return dest


def _apt_install(root: str, packages) -> None:
    rc = os.path.join(root, "usr/sbin/policy-rc.d")
    with open(rc, "w") as fh:
        fh.write("#!/bin/sh\nexit 101\n")
    os.chmod(rc, 0o755)
    try:
        run(["chroot", root, "apt-get", "update", "-q"], env=rootfs.chroot_env())
        run(["chroot", root, "apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
            env=rootfs.chroot_env())
        run(["chroot", root, "apt-get", "clean"], env=rootfs.chroot_env())
    finally:
        os.unlink(rc)


def deps_root() -> str:
    """The shared bookworm rootfs plus DEPS (cached)."""
    base = rootfs.build()
    key = hashlib.sha256((base + " ".join(DEPS)).encode()).hexdigest()[:12]

    def make(work):
        run(["cp", "-a", base + "/.", work])
        os.unlink(os.path.join(work, ".jcstar-complete"))
        _apt_install(work, DEPS)
    return _cached(f"{os.path.basename(base)}+pkgdeps-{key}", make)


def readme_build_tools() -> tuple:
    """The packages the README's .deb quick start installs before dpkg-buildpackage (line 1)."""
    import re

    with open(os.path.join(PROJECT, "README.md"), encoding="utf-8") as fh:
        m = re.search(r"^sudo apt install -y ((?:[\w.+-]+ )+)&& dpkg-buildpackage", fh.read(), re.M)
    assert m, "README: the .deb quick start's 'sudo apt install -y … && dpkg-buildpackage' line"
    return tuple(m.group(1).split())


def quick_start_packages() -> tuple:
    """pipx and python3-venv (the pipx/venv routes, after 'sudo apt install pipx'), and exactly the
    README's build tools, installed without Recommends (as on a system with them off): a build
    tool the README forgets fails the .deb route's test."""
    return ("pipx", "python3-venv") + readme_build_tools()


def pipx_root() -> str:
    """deps_root() plus what the README quick start installs with apt (cached): Debian's pipx and
    python3-venv, and the .deb route's build tools, so that its 'sudo apt install' line finds them
    installed and downloads nothing."""
    base = deps_root()
    packages = quick_start_packages()
    key = hashlib.sha256((base + " " + " ".join(packages)).encode()).hexdigest()[:12]

    def make(work):
        run(["cp", "-a", base + "/.", work])
        os.unlink(os.path.join(work, ".jcstar-complete"))
        _apt_install(work, packages)
    return _cached(f"{os.path.basename(rootfs.build())}+quickstart-{key}", make)


def arm64_root() -> str:
    """bookworm minbase for arm64 (second stage run under emulation) plus DEPS (cached).
    Needs binfmt_aarch64() active."""
    key = hashlib.sha256((rootfs.SUITE + " arm64 " + " ".join(DEPS)).encode()).hexdigest()[:12]

    def make(work):
        run(["debootstrap", "--foreign", "--arch=arm64", "--variant=minbase", rootfs.SUITE, work,
             rootfs.mirror()], timeout=1800)
        shutil.copy2(QEMU, os.path.join(work, "usr/bin/"))  # for hosts registered without F
        run(["chroot", work, "/debootstrap/debootstrap", "--second-stage"], timeout=3600,
            env=rootfs.chroot_env())
        _apt_install(work, DEPS)
    return _cached(f"{rootfs.SUITE}-arm64-minbase-{key}", make)


# ---- emulation ---------------------------------------------------------------------------------

def _aarch64_entry():
    for name in ("qemu-aarch64", "qemu-aarch64-static"):
        p = os.path.join(BINFMT, name)
        if os.path.exists(p):
            return p
    return None


@contextlib.contextmanager
def binfmt_aarch64():
    """Yield '' with aarch64 binaries runnable through qemu-user-static, or the reason why not.
    Mounts binfmt_misc when it is not and enables qemu-aarch64 the way Debian's package does
    (``update-binfmts --enable``: flags PF, the interpreter opened on the host, no copy needed in
    a chroot) when it is not registered; undoes exactly what it did: an entry the machine already
    had is used and left alone."""
    if os.geteuid() != 0:
        yield "registering qemu-user-static with binfmt_misc needs root"
        return
    if not os.path.exists(QEMU):
        yield "qemu-user-static is not installed (.ci/apt-packages.txt lists it)"
        return
    mounted = registered = False
    try:
        if not os.path.exists(os.path.join(BINFMT, "register")):
            r = subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", BINFMT],
                               capture_output=True, text=True)
            if r.returncode != 0:
                yield f"binfmt_misc cannot be mounted here: {r.stderr.strip()}"
                return
            mounted = True
        if _aarch64_entry() is None:
            # exactly as Debian's package does it (binfmt-support reads
            # /usr/share/binfmts/qemu-aarch64: the kernel then prints "flags: PF")
            if not shutil.which("update-binfmts"):
                yield "update-binfmts is not installed (binfmt-support, .ci/apt-packages.txt)"
                return
            r = subprocess.run(["update-binfmts", "--enable", "qemu-aarch64"],
                               capture_output=True, text=True)
            if r.returncode != 0 or _aarch64_entry() is None:
                yield f"qemu-aarch64 cannot be enabled with update-binfmts: {r.stderr.strip()}"
                return
            registered = True
        yield ""
    finally:
        if registered and _aarch64_entry():  # only what this run enabled
            subprocess.run(["update-binfmts", "--disable", "qemu-aarch64"], capture_output=True)
        # Unmounted only when this run mounted it and no one registered anything since.
        if mounted and set(os.listdir(BINFMT)) <= {"register", "status"}:
            subprocess.run(["umount", BINFMT], capture_output=True)


def in_root(root: str, *cmd: str) -> list:
    """argv running ``cmd`` chrooted into ``root`` with /proc mounted there, in a private mount
    namespace (the mount vanishes with the command; the host's mounts are untouched). Run it with
    ``env=rootfs.chroot_env()``: nothing of the host's environment goes in."""
    return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
            'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"', root, *cmd]


def copy(src: str, dest: str) -> str:
    """A private copy of a cached tree, its top directory 0755 like any root directory."""
    subprocess.run(["cp", "-a", src, dest], check=True)
    os.chmod(dest, 0o755)
    return dest


def install_deb(root: str, deb: str) -> None:
    """``apt-get install ./jcstar-agent_…deb`` inside ``root`` (no download: deps are there)."""
    shutil.copy(deb, os.path.join(root, "tmp"))
    run(["chroot", root, "apt-get", "install", "-y", "-q",
         "/tmp/" + os.path.basename(deb)], env=rootfs.chroot_env())


if __name__ == "__main__":
    print(deps_root())
    t = time.monotonic()
    with binfmt_aarch64() as why:
        print(why or arm64_root(), f"{time.monotonic() - t:.0f} s")
