"""From the Debian package, a missing optional dependency names the apt line (pip is refused on
Debian 12 under PEP 668, and the agent is apt's, not pip's), and the package Suggests them."""
from __future__ import annotations

import os
import subprocess

import pytest

import pkgroots

pytestmark = pytest.mark.integration


def test_suggests_and_apt_hint_from_the_deb(deb, tmp_path):
    suggests = subprocess.run(["dpkg-deb", "-f", deb, "Suggests"], capture_output=True, text=True,
                              check=True).stdout
    for pkg in ("python3-openpyxl", "python3-psycopg"):
        assert pkg in suggests, suggests
    why = pkgroots.rootfs.unavailable()
    if why:
        pytest.skip(why)
    root = str(tmp_path / "root")
    pkgroots.copy(pkgroots.deps_root(), root)
    pkgroots.install_deb(root, deb)
    with open(os.path.join(root, "tmp/r.json"), "w") as fh:
        fh.write("{}")
    r = subprocess.run(pkgroots.in_root(root, "jcstar-agent", "checklist", "/tmp/r.json", "--output",
                                        "/tmp/c.xlsx"),
                       capture_output=True, text=True, timeout=300,
                       env=pkgroots.rootfs.chroot_env(LC_ALL="C.UTF-8"))
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.strip().splitlines() == [
        "jcstar-agent: checklist needs openpyxl (hint: sudo apt install python3-openpyxl)"], r.stderr
