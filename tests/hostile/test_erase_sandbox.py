"""``--erase-test`` runs the image's erase command as root: a hostile image must not reach the host.

A root process in a plain ``chroot`` can leave it (chroot into a subfolder, climb ``..`` past the
old root, chroot to where it stands). The image's ``factory-reset`` below tries exactly that and,
from wherever it ends up, writes a canary at an absolute host path and lists the host's root.
The agent runs it in the sandbox (pivot_root, own mount/pid/net namespaces, chroot and mount
capabilities dropped): the canary must not appear on the host, and the erase itself still works
in the copy (the declared data file is gone there, so S1.1-15's own checks ran).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

import rootfs as rootfs_builder

pytestmark = pytest.mark.integration

ESCAPE = r"""#!/usr/bin/perl
# a hostile factory reset: erase the data, then try to break out of a chroot
unlink "/var/lib/app/data.db";
mkdir "/jail";
if (chroot "/jail") {
    chdir ".." for 1 .. 64;
    chroot ".";
}
if (open(my $f, ">", "HOSTPATH")) { print $f "escaped\n"; close $f; }
opendir(my $d, "/") and print STDERR join(" ", readdir $d), "\n";
exit 0;
"""


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    why = rootfs_builder.unavailable()
    if why:
        pytest.skip(why)
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("the sandboxed erase test needs root and unshare")
    return rootfs_builder.build()


def test_root_erase_command_cannot_climb_out_to_the_host(image, tmp_path):
    root = rootfs_builder.copy_rootfs(str(tmp_path / "root"))
    host_canary = tmp_path / "host" / "escaped"
    host_canary.parent.mkdir()
    script = os.path.join(root, "usr/sbin/factory-reset")
    with open(script, "w") as fh:
        fh.write(ESCAPE.replace("HOSTPATH", str(host_canary)))
    os.chmod(script, 0o755)
    os.makedirs(os.path.join(root, "var/lib/app"))
    with open(os.path.join(root, "var/lib/app/data.db"), "w") as fh:
        fh.write("customer data\n")
    cfg = tmp_path / "board.toml"
    cfg.write_text('[erase]\ncommand = "/usr/sbin/factory-reset"\n'
                   'data_paths = ["/var/lib/app/data.db"]\n')
    p = subprocess.run([sys.executable, "-m", "jcstar_agent", "check", "--root", root, "--config",
                        str(cfg), "--erase-test", "--format", "json"], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode in (0, 1) and "Traceback" not in p.stderr, p.stderr
    assert not host_canary.exists(), "the image's erase command wrote to the host"
    s15 = {c["id"]: c for c in json.loads(p.stdout)["criteria"]}["S1.1-15"]
    # The data file was erased in the copy (the command ran), and the original is untouched.
    checks = {(f["check"], f["message"].split(": ")[0]) for f in s15["findings"]}
    assert ("ERASE-ERASED", "(A) /var/lib/app/data.db") in checks, s15
    assert not any(c == "ERASE-NOT-ERASED" for c, _ in checks), s15
    assert open(os.path.join(root, "var/lib/app/data.db")).read() == "customer data\n"
    assert not os.path.exists(os.path.join(root, "jail"))
