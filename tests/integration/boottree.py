"""A bookworm tree that boots: the debootstrap rootfs of :mod:`rootfs` plus systemd as init and
python3, cached under the rootfs cache and keyed by the package list.

Cases copy it cheaply (:func:`copy_case`: files hard-linked, ``/etc`` copied for real) and add
their own units (:func:`add_unit`): a python3 http.server the agent has no reader for, a unit that
hangs at start. Run as a script to pre-build: ``python3 tests/integration/boottree.py``.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import rootfs  # noqa: E402

PACKAGES = ("systemd", "systemd-sysv", "python3")


def key() -> str:
    return hashlib.sha256((rootfs.key() + " ".join(PACKAGES)).encode()).hexdigest()[:12]


def path() -> str:
    return os.path.join(rootfs.CACHE, f"boot-{key()}")


def build() -> str:
    dest = path()
    if os.path.exists(os.path.join(dest, ".jcstar-complete")):
        return dest
    base = rootfs.build()
    work = tempfile.mkdtemp(prefix="boot-build-", dir=rootfs.CACHE)
    tree = os.path.join(work, "t")
    try:
        subprocess.run(["cp", "-a", "--reflink=auto", base, tree], check=True)
        rc = os.path.join(tree, "usr/sbin/policy-rc.d")
        with open(rc, "w") as fh:
            fh.write("#!/bin/sh\nexit 101\n")
        os.chmod(rc, 0o755)
        rootfs._run(["chroot", tree, "apt-get", "update", "-q"])
        rootfs._run(["chroot", tree, "apt-get", "install", "-y", "-q", "--no-install-recommends",
                     *PACKAGES])
        rootfs._run(["chroot", tree, "apt-get", "clean"])
        os.unlink(rc)
        open(os.path.join(tree, ".jcstar-complete"), "w").close()
        if os.path.exists(dest):
            shutil.rmtree(dest)
        os.rename(tree, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def copy_case(dest: str) -> str:
    """A private case tree: hard links to the base tree's files, /etc copied for real."""
    src = build()
    if subprocess.run(["cp", "-al", src, dest], stderr=subprocess.DEVNULL).returncode != 0:
        shutil.rmtree(dest, ignore_errors=True)  # another filesystem: no hard links across
        subprocess.run(["cp", "-a", "--reflink=auto", src, dest], check=True)
        return dest
    shutil.rmtree(os.path.join(dest, "etc"))
    subprocess.run(["cp", "-a", os.path.join(src, "etc"), os.path.join(dest, "etc")], check=True)
    return dest


def add_unit(root: str, name: str, exec_start: str, wanted_by: str = "multi-user.target",
             extra: str = "") -> None:
    """Write /etc/systemd/system/NAME and enable it (the link systemctl enable makes)."""
    unit = os.path.join(root, "etc/systemd/system", name)
    with open(unit, "w") as fh:
        fh.write(f"[Unit]\nDescription={name}\n\n[Service]\nExecStart={exec_start}\n{extra}\n"
                 f"[Install]\nWantedBy={wanted_by}\n")
    wants = os.path.join(root, "etc/systemd/system", f"{wanted_by}.wants")
    os.makedirs(wants, exist_ok=True)
    os.symlink(f"/etc/systemd/system/{name}", os.path.join(wants, name))


if __name__ == "__main__":
    print(build())
