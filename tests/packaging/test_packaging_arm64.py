"""A second architecture: the same arch-all .deb installed into an arm64 debootstrap rootfs
(``--foreign``, second stage and apt under qemu-user-static) and the agent run there under
emulation; the envelope it signs verifies on this (x86-64) host. binfmt_misc is mounted when
it is not, and an aarch64 entry of this run's own registered and removed afterwards."""
from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

import pkgroots

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def arm64(deb, tmp_path_factory):
    why = pkgroots.rootfs.unavailable()
    if why:
        pytest.skip(why)
    with pkgroots.binfmt_aarch64() as why:
        if why:
            pytest.skip(f"no arm64 emulation: {why}")
        root = pkgroots.copy(pkgroots.arm64_root(), str(tmp_path_factory.mktemp("arm64") / "root"))
        pkgroots.install_deb(root, deb)
        yield root


def chroot(root, *cmd):
    return subprocess.run(pkgroots.in_root(root, *cmd), capture_output=True, text=True, timeout=900,
                          env=pkgroots.rootfs.chroot_env(LC_ALL="C.UTF-8"))


def test_it_is_arm64(arm64):
    assert chroot(arm64, "dpkg", "--print-architecture").stdout.strip() == "arm64"
    assert chroot(arm64, "uname", "-m").stdout.strip() == "aarch64"
    r = chroot(arm64, "python3", "-c", "import platform, psutil, cryptography; print(platform.machine())")
    assert r.returncode == 0 and r.stdout.strip() == "aarch64", r.stderr


def test_check_attest_verify_under_emulation(arm64, cli, tmp_path):
    t = time.monotonic()
    r = chroot(arm64, "jcstar-agent", "check", "--format", "json")
    took = time.monotonic() - t
    assert r.returncode in (0, 1), r.stderr
    assert "Traceback" not in r.stderr
    ids = [c["id"] for c in json.loads(r.stdout)["criteria"]]
    assert ids == [f"S1.1-{n:02d}" for n in range(1, 17)]
    print(f"\narm64 check under qemu-user emulation: {took:.1f} s")
    assert chroot(arm64, "jcstar-agent", "keygen", "--out", "/root/attest.key").returncode == 0
    r = chroot(arm64, "jcstar-agent", "attest", "--key", "/root/attest.key", "--nonce", "arm64-nonce",
               "--output", "/root/att.json")
    assert r.returncode in (0, 1), r.stderr
    r = chroot(arm64, "jcstar-agent", "verify", "/root/att.json", "--pubkey", "/root/attest.key.pub",
               "--nonce", "arm64-nonce")
    assert r.returncode == 0, r.stdout + r.stderr
    # The arm64 device's envelope verifies on the x86-64 host, with the host's agent.
    v = cli("verify", os.path.join(arm64, "root/att.json"), "--pubkey",
            os.path.join(arm64, "root/attest.key.pub"), "--nonce", "arm64-nonce")
    assert v.rc == 0, v.out + v.err
