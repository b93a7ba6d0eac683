"""The Debian package (debian/): built with dpkg-buildpackage from a copy of the working tree,
checked with lintian, installed with ``apt-get install ./…deb`` into a copy of the debootstrap
bookworm rootfs, and run there: 16 verdicts, keygen/attest/verify, ``--board`` from
/usr/share/jcstar-agent, the systemd units verified by ``systemd-analyze verify --root`` and not
enabled, and the README's quick start as a non-root user with sudo."""
from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

import pkgroots

pytestmark = pytest.mark.integration

UNITS = ("jcstar-agent-attest.service", "jcstar-agent-attest.timer", "jcstar-agent-serial@.service")


@pytest.fixture(scope="module")
def installed(deb, tmp_path_factory):
    """A private copy of bookworm (+ the package's dependencies) with the .deb installed."""
    why = pkgroots.rootfs.unavailable()
    if why:
        pytest.skip(why)
    root = str(tmp_path_factory.mktemp("bookworm") / "root")
    pkgroots.copy(pkgroots.deps_root(), root)
    pkgroots.install_deb(root, deb)
    return root


def chroot(root, *cmd, user=None, input=None):
    """Run in the rootfs as on a device: its own /proc (in a private mount namespace, gone with
    the command), as root or, through ``su -``, as ``user``."""
    argv = list(cmd) if user is None else ["su", "-", user, "-c", " ".join(cmd)]
    return subprocess.run(pkgroots.in_root(root, *argv), capture_output=True, text=True, input=input,
                          timeout=300, env=pkgroots.rootfs.chroot_env(LC_ALL="C.UTF-8"))


def test_control_fields_and_contents(deb):
    field = lambda name: subprocess.run(["dpkg-deb", "-f", deb, name], capture_output=True,  # noqa: E731
                                        text=True, check=True).stdout.strip()
    assert field("Architecture") == "all"
    depends = field("Depends")
    assert re.search(r"(^|, )python3-psutil\b", depends) and re.search(r"(^|, )python3-cryptography\b", depends)
    assert "python3-serial" in field("Recommends") and "python3-serial" not in depends
    files = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True, check=True).stdout
    paths = {line.split()[-1].lstrip(".") for line in files.splitlines()}
    assert "/usr/bin/jcstar-agent" in paths
    for unit in UNITS:
        assert f"/lib/systemd/system/{unit}" in paths
    for board in os.listdir(os.path.join(pkgroots.PROJECT, "board_configs")):
        if board.endswith(".toml"):
            assert f"/usr/share/jcstar-agent/board_configs/{board}" in paths
    site = "/usr/lib/python3/dist-packages/"
    top = {p[len(site):].split("/")[0] for p in paths if p.startswith(site) and len(p) > len(site)}
    assert "jcstar_agent" in top
    assert "agent" not in top and not any(t.startswith("agent") for t in top), top
    # Nothing enabled by the package itself: no wants-links shipped ...
    assert not any(".wants/" in p or ".requires/" in p for p in paths)


def test_maintainer_scripts_never_enable_or_start(deb, tmp_path):
    """dh_installsystemd --no-enable --no-start: postinst re-enables only what the admin had
    enabled before an upgrade (was-enabled), and never starts anything."""
    subprocess.run(["dpkg-deb", "-e", deb, str(tmp_path / "ctl")], check=True)
    scripts = "".join(open(p).read() for p in (tmp_path / "ctl").iterdir()
                      if p.name in ("preinst", "postinst", "prerm", "postrm"))
    assert "deb-systemd-invoke start" not in scripts and "invoke-rc.d" not in scripts
    assert "systemctl start" not in scripts and "systemctl enable" not in scripts
    for line in scripts.splitlines():
        if "deb-systemd-helper enable" in line:
            # only inside the "if … was-enabled" branch dh_installsystemd writes for upgrades
            assert "was-enabled" in scripts.split(line)[0].rsplit("fi", 1)[-1], line


def test_lintian_no_errors(deb, tmp_path):
    # TMPDIR: lintian leaves its mldbm-elf-* cache files behind in the temp folder
    r = subprocess.run(["lintian", "--fail-on", "error", deb], capture_output=True, text=True, timeout=600,
                       env=dict(os.environ, TMPDIR=str(tmp_path)))
    assert r.returncode == 0 and not re.search(r"^E: ", r.stdout, re.M), r.stdout + r.stderr


def test_check_in_the_rootfs_gives_16_verdicts(installed):
    r = chroot(installed, "jcstar-agent", "check", "--format", "json")
    assert r.returncode in (0, 1), r.stderr
    assert "Traceback" not in r.stderr
    report = json.loads(r.stdout)
    ids = [c["id"] for c in report["criteria"]]
    assert ids == [f"S1.1-{n:02d}" for n in range(1, 17)]
    assert all(c["verdict"] in ("pass", "fail", "na", "manual", "error") for c in report["criteria"])
    assert report["target"]["mode"] == "live"
    # The package's Python is the system's, with Debian's psutil and cryptography.
    r = chroot(installed, "python3", "-c",
               "import jcstar_agent, psutil, cryptography; print(jcstar_agent.__file__)")
    assert r.returncode == 0 and r.stdout.startswith("/usr/lib/python3/dist-packages/jcstar_agent/"), r.stderr
    r = chroot(installed, "python3", "-m", "jcstar_agent", "--version")
    assert r.returncode == 0 and r.stdout.startswith("jcstar-agent "), r.stderr
    r = chroot(installed, "python3", "-c", "import agent")
    assert r.returncode != 0 and "ModuleNotFoundError" in r.stderr


def test_board_from_usr_share(installed):
    r = chroot(installed, "jcstar-agent", "check", "--board", "raspberrypi-4", "--format", "json")
    assert r.returncode in (0, 1), r.stderr
    report = json.loads(r.stdout)
    assert report["config"]["path"] == "/usr/share/jcstar-agent/board_configs/raspberrypi-4.toml"
    r = chroot(installed, "jcstar-agent", "check", "--board", "no-such-board")
    assert r.returncode == 2 and "raspberrypi-4" in r.stderr  # the hint lists the shipped boards


def test_keygen_attest_verify_round_trip(installed):
    assert chroot(installed, "mkdir", "-p", "/etc/jcstar-agent").returncode == 0
    r = chroot(installed, "jcstar-agent", "keygen", "--out", "/etc/jcstar-agent/attest.key")
    assert r.returncode == 0, r.stderr
    r = chroot(installed, "jcstar-agent", "attest", "--key", "/etc/jcstar-agent/attest.key",
               "--nonce", "n0nce-from-the-station", "--output", "/tmp/att.json")
    assert r.returncode in (0, 1), r.stderr
    r = chroot(installed, "jcstar-agent", "verify", "/tmp/att.json", "--pubkey",
               "/etc/jcstar-agent/attest.key.pub", "--nonce", "n0nce-from-the-station")
    assert r.returncode == 0, r.stdout + r.stderr
    r = chroot(installed, "jcstar-agent", "verify", "/tmp/att.json", "--pubkey",
               "/etc/jcstar-agent/attest.key.pub", "--nonce", "another-nonce")
    assert r.returncode == 1


def _systemd_units_into(root):
    """The rootfs is minbase (no systemd): give systemd-analyze the host's own unit files
    (sysinit.target …) under the root, never replacing a file the root has."""
    host = next((d for d in ("/usr/lib/systemd/system", "/lib/systemd/system")
                 if os.path.isfile(os.path.join(d, "sysinit.target"))), None)
    if host is None:
        pytest.skip("no systemd unit files on this host to verify against")
    dest = os.path.join(root, "lib/systemd/system")
    for name in os.listdir(host):
        if not os.path.lexists(os.path.join(dest, name)):
            src = os.path.join(host, name)
            if os.path.isdir(src) and not os.path.islink(src):
                shutil.copytree(src, os.path.join(dest, name), symlinks=True)
            else:
                shutil.copy2(src, os.path.join(dest, name), follow_symlinks=False)


def test_units_installed_not_enabled_and_verified(installed):
    exe = shutil.which("systemd-analyze")
    if not exe:
        pytest.skip("systemd-analyze is not installed (.ci/apt-packages.txt lists systemd)")
    # Not enabled: no link anywhere under /etc/systemd/system, and systemctl agrees.
    links = subprocess.run(["find", os.path.join(installed, "etc/systemd/system"), "-name", "jcstar-agent*"],
                           capture_output=True, text=True).stdout
    assert links.strip() == ""
    if shutil.which("systemctl"):
        for unit in ("jcstar-agent-attest.timer", "jcstar-agent-attest.service", "jcstar-agent-serial@.service"):
            r = subprocess.run(["systemctl", f"--root={installed}", "is-enabled", unit],
                               capture_output=True, text=True)
            assert r.stdout.strip() in ("disabled", "static", "indirect"), (unit, r.stdout, r.stderr)
    # Each unit's ExecStart names the installed executable.
    for unit in UNITS:
        text = open(os.path.join(installed, "lib/systemd/system", unit)).read()
        assert re.search(r"^ExecStart=/usr/bin/jcstar-agent ", text, re.M) or unit.endswith(".timer")
    _systemd_units_into(installed)
    etc = os.path.join(installed, "etc/systemd/system")
    os.makedirs(etc, exist_ok=True)
    os.symlink("/lib/systemd/system/jcstar-agent-serial@.service", os.path.join(etc, "jcstar-agent-serial@ttyS0.service"))
    paths = ["/lib/systemd/system/jcstar-agent-attest.service", "/lib/systemd/system/jcstar-agent-attest.timer",
             "/etc/systemd/system/jcstar-agent-serial@ttyS0.service"]
    r = subprocess.run([exe, "verify", "--man=no", f"--root={installed}", *paths],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and not r.stderr.strip() and not r.stdout.strip(), r.stdout + r.stderr


def test_quick_start_as_a_user_with_sudo(deb, tmp_path):
    """The README's Debian quick start, line 2, typed by a non-root user with sudo rights on a
    fresh bookworm: sudo apt install ./the.deb && sudo jcstar-agent check."""
    root = str(tmp_path / "root")
    pkgroots.copy(pkgroots.deps_root(), root)
    assert chroot(root, "useradd", "-m", "-s", "/bin/bash", "-G", "sudo", "pi").returncode == 0
    with open(os.path.join(root, "etc/sudoers.d/pi"), "w") as fh:
        fh.write("pi ALL=(ALL) NOPASSWD: ALL\n")
    os.chmod(os.path.join(root, "etc/sudoers.d/pi"), 0o440)
    shutil.copy(deb, os.path.join(root, "home/pi"))
    subprocess.run(["chroot", root, "chown", "pi:pi", "/home/pi/" + os.path.basename(deb)], check=True,
                   env=pkgroots.rootfs.chroot_env())
    r = chroot(root, "sudo", "apt-get", "install", "-y", "-q", "./jcstar-agent_*_all.deb",
               "&&", "sudo", "jcstar-agent", "check", "--format", "json", user="pi")
    assert r.returncode in (0, 1), r.stdout[-2000:] + r.stderr
    report = json.loads(r.stdout[r.stdout.index('{\n'):])
    assert len(report["criteria"]) == 16
    # As root the shadow file is readable: nothing says it needs root.
    assert not [c["id"] for c in report["criteria"] if "needs root" in (c.get("reason") or "")]
    # Without sudo the same command says what it could not see instead of passing it.
    r = chroot(root, "jcstar-agent", "check", "--format", "json", user="pi")
    assert r.returncode == 1
    criteria = json.loads(r.stdout)["criteria"]
    needs_root = [c["id"] for c in criteria if c["verdict"] == "error" and "needs root" in (c.get("reason") or "")]
    assert needs_root, [(c["id"], c["verdict"], c.get("reason")) for c in criteria]


def test_quick_start_build_needs_no_root():
    """The quick start's first line builds the package as the user (Rules-Requires-Root: no):
    dpkg-buildpackage run as 'nobody' in a copy of the tree makes a package owned by root."""
    why = pkgroots.deb_unavailable()
    if why:
        pytest.skip(why)
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to become another user")
    base = tempfile.mkdtemp(prefix="jcstar-userbuild-")  # pytest's tmp folders are root's 0700
    try:
        os.chmod(base, 0o755)
        src = pkgroots.copy_tree(os.path.join(base, "build", "src"))
        subprocess.run(["chown", "-R", "65534:65534", os.path.join(base, "build")], check=True)
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            "dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, capture_output=True,
                           text=True, timeout=600,
                           env={"PATH": "/usr/bin:/bin", "HOME": os.path.join(base, "build"), "LC_ALL": "C.UTF-8"})
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
        (deb,) = glob.glob(os.path.join(base, "build", "jcstar-agent_*_all.deb"))
        owners = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True, check=True).stdout
        assert all(line.split()[1] == "root/root" for line in owners.splitlines())
    finally:
        shutil.rmtree(base, ignore_errors=True)
