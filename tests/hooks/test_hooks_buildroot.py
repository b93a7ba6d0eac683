"""The br2-external tree: its files, and the post-build and post-fakeroot scripts run the way
Buildroot runs them (environment, arguments shared with other scripts, the post-fakeroot script
inside a real ``fakeroot`` after the users table chowned files) against a fixture rootfs and the
debootstrap rootfs."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from hookutil import HOOKS, PLANTED_FAIL, PROJECT, failing, read_report, verdict

BR = os.path.join(HOOKS, "buildroot")
POST_BUILD = os.path.join(BR, "scripts", "post-build.sh")
POST_FAKEROOT = os.path.join(BR, "scripts", "post-fakeroot.sh")
POST_IMAGE = os.path.join(BR, "scripts", "post-image.sh")  # booted: test_hooks_image_boot.py
OTHER_ARGS = ["--board-rev", "3", "--jcstar-formats=junit"]  # BR2_ROOTFS_POST_SCRIPT_ARGS is shared

needs_fakeroot = pytest.mark.skipif(shutil.which("fakeroot") is None,
                                    reason="fakeroot is not installed (.ci/apt-packages.txt lists it)")


@pytest.fixture
def br(tmp_path, build_bin):
    """Buildroot's output folders and the environment make exports to the scripts."""
    out = tmp_path / "output"
    for d in ("images", "build", "host/bin"):
        (out / d).mkdir(parents=True)
    agent = os.path.join(build_bin.split(":")[0], "jcstar-agent")
    os.symlink(agent, out / "host" / "bin" / "jcstar-agent")  # host-python-jcstar-agent
    (out / ".config").write_text("BR2_PACKAGE_PYTHON_JCSTAR_AGENT=y\n")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root"),
           "LC_ALL": "C.UTF-8", "BR2_CONFIG": str(out / ".config"), "HOST_DIR": str(out / "host"),
           "BINARIES_DIR": str(out / "images"), "BUILD_DIR": str(out / "build"),
           "BASE_DIR": str(out), "O": str(out)}
    return env


def run_post_build(env, target, *args):
    return subprocess.run([POST_BUILD, target, *args], env=dict(env, TARGET_DIR=target),
                          capture_output=True, text=True, timeout=300)


def run_fakeroot_stage(env, target, *args, users_table=()):
    """What fs/common.mk writes into the fakeroot script: chown to root, the users/device tables,
    the post-fakeroot scripts, then the filesystem command (here: a stand-in image file)."""
    image = os.path.join(env["BINARIES_DIR"], "rootfs.tar")
    lines = ["#!/bin/sh", "set -e"]
    if users_table:
        lines.append(f'chown -h -R 0:0 "{target}"')
        lines += [f'chown {owner} "{target}{path}"' for path, owner in users_table]
    lines += [" ".join(["'%s'" % a for a in (POST_FAKEROOT, target, *args)]),
              f'tar -C "{target}" -cf "{image}" etc']
    script = os.path.join(env["BUILD_DIR"], "fakeroot.fs")
    with open(script, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    os.chmod(script, 0o755)
    # As Buildroot does: FAKEROOTDONTTRYCHOWN=1, the chowns live only in fakeroot's database.
    r = subprocess.run(["fakeroot", "--", script],
                       env=dict(env, TARGET_DIR=target, FAKEROOTDONTTRYCHOWN="1"),
                       capture_output=True, text=True, timeout=300)
    return r, os.path.exists(image)


def test_external_tree_files():
    desc = open(os.path.join(BR, "external.desc")).read()
    assert re.search(r"^name: JCSTAR$", desc, re.M)
    assert "$BR2_EXTERNAL_JCSTAR_PATH/package/python-jcstar-agent/Config.in" in \
        open(os.path.join(BR, "Config.in")).read()
    assert "$(BR2_EXTERNAL_JCSTAR_PATH)/package/*/*.mk" in open(os.path.join(BR, "external.mk")).read()
    pkg = os.path.join(BR, "package", "python-jcstar-agent")
    cfg = open(os.path.join(pkg, "Config.in")).read()
    assert re.search(r"^config BR2_PACKAGE_PYTHON_JCSTAR_AGENT$", cfg, re.M)
    for sym in ("PYTHON_PSUTIL", "PYTHON_CRYPTOGRAPHY", "PYTHON_SERIAL", "PYTHON3_ZLIB",
                "PYTHON3_PYEXPAT", "PYTHON3_SSL"):
        assert f"select BR2_PACKAGE_{sym}" in cfg, sym
    mk = open(os.path.join(pkg, "python-jcstar-agent.mk")).read()
    assert "$(eval $(python-package))" in mk and "$(eval $(host-python-package))" in mk
    version = re.search(r"^PYTHON_JCSTAR_AGENT_VERSION = (\S+)$", mk, re.M).group(1)
    import jcstar_agent
    assert version == jcstar_agent.__version__
    for rel in re.findall(r"\$\(@D\)/(\S+)", mk):
        assert os.path.isfile(os.path.join(PROJECT, rel)), rel
    for script in (POST_BUILD, POST_FAKEROOT, POST_IMAGE):
        assert os.access(script, os.X_OK)
        subprocess.run(["/bin/sh", "-n", script], check=True)


@needs_fakeroot
def test_planted_fail_stops_the_build(tree, br, write_config):
    target = tree({"/etc/product-model": "OTHER-MODEL-7\n"}, modes={"/etc/shadow": 0o644})
    cfg = write_config(PLANTED_FAIL.format(source="/etc/product-model"))
    r, image_made = run_fakeroot_stage(br, target, *OTHER_ARGS, f"--jcstar-config={cfg}",
                                       users_table=[("/etc/shadow", "1234:42")])
    assert r.returncode != 0 and not image_made, r.stdout + r.stderr
    assert "ERROR: jcstar:" in r.stderr and "S1.1-10 fail" in r.stderr
    report = read_report(os.path.join(br["BINARIES_DIR"], "jcstar-report.json"))
    s10 = verdict(report, "S1.1-10")
    assert s10["verdict"] == "fail"
    assert any(f["check"] == "MODEL-MISMATCH" for f in s10["findings"])
    # The check saw the fakeroot view: the owner the users table gave, not the real one.
    assert os.stat(os.path.join(target, "etc/shadow")).st_uid != 1234
    shadow = [f for f in verdict(report, "S1.1-11")["findings"]
              if f["check"] == "SHADOW-WORLD-READABLE" and f["evidence"]["path"] == "/etc/shadow"]
    assert shadow and shadow[0]["evidence"]["uid"] == 1234
    ET.parse(os.path.join(br["BINARIES_DIR"], "jcstar-report.junit.xml"))


@needs_fakeroot
def test_warn_only_does_not_stop_the_build(tree, br, write_config):
    target = tree({"/etc/product-model": "OTHER-MODEL-7\n"})
    cfg = write_config(PLANTED_FAIL.format(source="/etc/product-model"))
    r, image_made = run_fakeroot_stage(br, target, "--jcstar-config", cfg, "--jcstar-warn-only",
                                       users_table=[("/etc/shadow", "0:0")])
    assert r.returncode == 0 and image_made, r.stdout + r.stderr
    assert "WARNING: jcstar:" in r.stderr and "S1.1-10 fail" in r.stderr
    report = read_report(os.path.join(br["BINARIES_DIR"], "jcstar-report.json"))
    assert verdict(report, "S1.1-10")["verdict"] == "fail"


@needs_fakeroot
def test_outcome_follows_the_verdicts(tree, br, write_config):
    target = tree({"/etc/product-model": "ACME-GW-100\n"})
    cfg = write_config(PLANTED_FAIL.format(source="/etc/product-model"))
    r, image_made = run_fakeroot_stage(br, target, f"--jcstar-config={cfg}",
                                       users_table=[("/etc/shadow", "0:0")])
    report = read_report(os.path.join(br["BINARIES_DIR"], "jcstar-report.json"))
    assert verdict(report, "S1.1-10")["verdict"] == "pass"
    bad = failing(report)
    assert image_made == (r.returncode == 0) == (not bad), (bad, r.stderr)
    for cid in bad:
        assert cid in r.stderr


def test_post_build_installs_the_declaration_and_previews(tree, br, write_config):
    target = tree({"/etc/product-model": "OTHER-MODEL-7\n", "/usr/bin/jcstar-agent": "#!/bin/sh\n"},
                  modes={"/usr/bin/jcstar-agent": 0o755})
    cfg = write_config(PLANTED_FAIL.format(source="/etc/product-model"))
    r = run_post_build(br, target, *OTHER_ARGS, f"--jcstar-config={cfg}")
    # A planted FAIL does not stop the build here: owners are only final under fakeroot.
    assert r.returncode == 0, r.stdout + r.stderr
    assert "preview" in r.stdout and "S1.1-10 fail" in r.stdout
    installed = os.path.join(target, "etc/jcstar-agent/board.toml")
    assert open(installed).read() == open(cfg).read()
    assert oct(os.stat(installed).st_mode & 0o777) == "0o644"
    preview = read_report(os.path.join(br["BUILD_DIR"], "jcstar-agent", "post-build.json"))
    assert verdict(preview, "S1.1-10")["verdict"] == "fail"
    assert not os.path.exists(os.path.join(br["BINARIES_DIR"], "jcstar-report.json"))


def test_post_build_board_name_and_no_agent_in_image(tree, br):
    target = tree()
    r = run_post_build(br, target, "--jcstar-board=generic-buildroot-busybox")
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(os.path.join(target, "etc/jcstar-agent"))  # no agent, no config
    preview = read_report(os.path.join(br["BUILD_DIR"], "jcstar-agent", "post-build.json"))
    assert preview["config"]["path"] == os.path.join(PROJECT, "board_configs",
                                                     "generic-buildroot-busybox.toml")


def test_invalid_config_stops_the_build_early(tree, br, write_config):
    cfg = write_config('[update]\nmechanism = "yum"\n')
    r = run_post_build(br, tree(), f"--jcstar-config={cfg}", "--jcstar-warn-only")
    assert r.returncode != 0
    assert f"{cfg}:2:" in r.stderr and "mechanism" in r.stderr
    r = run_post_build(br, tree(), "--jcstar-config=/nonexistent/board.toml")
    assert r.returncode != 0 and "not found" in r.stderr
    r = run_post_build(br, tree(), "--jcstar-typo")
    assert r.returncode != 0 and "unknown option --jcstar-typo" in r.stderr


def test_post_image_option_is_ours_in_the_shared_arguments(tree, br):
    """BR2_ROOTFS_POST_SCRIPT_ARGS reach every script: post-image.sh's --jcstar-image is known to
    the others (no "unknown option"), and changes nothing for them."""
    r = run_post_build(br, tree(), "--jcstar-board=generic-buildroot-busybox", "--jcstar-image=rootfs.tar")
    assert r.returncode == 0, r.stderr


@needs_fakeroot
def test_on_the_debootstrap_rootfs(debian_rootfs, br, write_config, tmp_path):
    """The real tree (read-only; fakeroot's chown never reaches the disk, and none is done):
    planted FAIL stops, warn-only goes on, the reports land in BINARIES_DIR."""
    cfg = write_config(PLANTED_FAIL.format(source="/etc/debian_version"))
    r, made = run_fakeroot_stage(br, debian_rootfs, f"--jcstar-config={cfg}")
    assert r.returncode != 0 and not made and "S1.1-10 fail" in r.stderr
    report = read_report(os.path.join(br["BINARIES_DIR"], "jcstar-report.json"))
    assert report["target"]["root"] == debian_rootfs
    r, made = run_fakeroot_stage(br, debian_rootfs, f"--jcstar-config={cfg}", "--jcstar-warn-only")
    assert r.returncode == 0 and made, r.stderr
    assert verdict(read_report(os.path.join(br["BINARIES_DIR"], "jcstar-report.json")),
                   "S1.1-10")["verdict"] == "fail"
    assert os.path.getsize(os.path.join(br["BINARIES_DIR"], "jcstar-report.junit.xml")) > 0


@needs_fakeroot
def test_extra_check_options_reach_the_agent(tree, br, write_config, tmp_path):
    """--jcstar-check-args passes `check` options (here --sbom) like Yocto's JCSTAR_CHECK_ARGS."""
    target = tree({"/etc/product-model": "ACME-GW-100\n"})
    cfg = write_config(PLANTED_FAIL.format(source="/etc/product-model"))
    sbom = tmp_path / "sbom.cdx.json"
    r, _ = run_fakeroot_stage(br, target, f"--jcstar-config={cfg}", f"--jcstar-check-args=--sbom {sbom}",
                              users_table=[("/etc/shadow", "0:0")])
    assert sbom.exists(), r.stdout + r.stderr
    assert '"bomFormat": "CycloneDX"' in sbom.read_text()
