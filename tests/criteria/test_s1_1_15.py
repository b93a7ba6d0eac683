"""S1.1-15: the declared erase command, run by --erase-test in a throw-away copy of the root.

The erase test chroots into a copy, so the copy needs a shell and the tools the script uses:
BusyBox when the host has a static one, else the host's /bin/sh and its libraries are copied in
(only into the test tree, never anywhere else).
"""
import os
import shutil
import subprocess

import pytest

from jcstar_agent.check import evaluate
from jcstar_agent.config import BoardConfig, load
from jcstar_agent.criteria import Context, Options, Verdict
from jcstar_agent import erase
from jcstar_agent.target import Root

RESET = """#!/bin/sh
# factory reset: user data, settings, credentials; keep the firmware
rm -rf /var/lib/app/*
rm -f /etc/app/settings.json
cp /usr/share/app/users.default /etc/app/users.json
{extra}
exit {rc}
"""


def _libs(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    return [w for line in out.splitlines() for w in line.split() if w.startswith("/")]


def shell_tree(base, files):
    """A root with a working /bin/sh, rm, cp, echo and the given files."""
    base = str(base)
    for dev, text in files.items():
        host = os.path.join(base, dev.lstrip("/"))
        os.makedirs(os.path.dirname(host), exist_ok=True)
        with open(host, "w") as fh:
            fh.write(text)
    for tool in ("sh", "rm", "cp", "echo"):
        src = shutil.which(tool)
        for path in [os.path.realpath(src)] + _libs(os.path.realpath(src)):
            dest = os.path.join(base, path.lstrip("/"))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            if not os.path.exists(dest):
                shutil.copy2(path, dest)
        link = os.path.join(base, "bin", tool)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if not os.path.exists(link):
            os.symlink(os.path.realpath(src), link)
    return base


CONFIG = """
[firmware]
version_source = "/etc/acme-release"
version_key = ""

[erase]
command = "/usr/sbin/factory-reset"
arguments = ["--all"]
data_paths = ["/var/lib/app/"]
settings_paths = ["/etc/app/settings.json"]
credential_paths = ["/etc/app/users.json"]
"""


def make(tmp_path, extra="", rc=0, config=CONFIG):
    root = shell_tree(tmp_path / "root", {
        "/etc/acme-release": "4.2.1\n",
        "/etc/app/settings.json": '{"wifi": "home"}\n',
        "/etc/app/users.json": '{"admin": "$6$hash"}\n',
        "/usr/share/app/users.default": '{}\n',
        "/var/lib/app/history.db": "rows\n",
        "/usr/sbin/factory-reset": RESET.format(extra=extra, rc=rc),
    })
    os.chmod(os.path.join(root, "usr/sbin/factory-reset"), 0o755)
    cfg = tmp_path / "board.toml"
    cfg.write_text(config)
    return root, str(cfg)


def ctx(root, cfg, erase_test=True, live=False):
    return Context(Root(root, live=live), load(cfg) if cfg else BoardConfig(),
                   Options(erase_test=erase_test))


def checks(out):
    return {f.check: f for f in out.findings}


def needs_chroot(test):
    """The erase test chroots (as root, or in a user namespace of its own): integration."""
    return pytest.mark.host(pytest.mark.integration(pytest.mark.skipif(
        os.geteuid() != 0 and not shutil.which("unshare"),
        reason="the erase test chroots: needs root or unshare")(test)))


@needs_chroot
def test_working_erase_passes_and_original_is_byte_identical(tmp_path):
    import glob
    import tempfile
    root, cfg = make(tmp_path)
    before, n = erase.tree_digest(root)
    work_dirs = set(glob.glob(os.path.join(tempfile.gettempdir(), "jcstar-erase-*")))
    out = evaluate(ctx(root, cfg), "S1.1-15")
    assert out.verdict is Verdict.PASS, (out.reason, out.findings)
    c = checks(out)
    assert c["ERASE-SANDBOX"].evidence["tree_sha256_before"] == c["ERASE-SANDBOX"].evidence["tree_sha256_after"]
    assert erase.tree_digest(root) == (before, n)  # the original, digested here independently
    assert c["ERASE-VERSION-KEPT"].evidence["version"] == "4.2.1"
    erased = {f.evidence["path"]: f.evidence["category"] for f in out.findings if f.check == "ERASE-ERASED"}
    assert erased == {"/var/lib/app/": "A", "/etc/app/settings.json": "B", "/etc/app/users.json": "C"}
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), "jcstar-erase-*"))) <= work_dirs  # copy removed


@needs_chroot
def test_erase_that_forgets_credentials_and_bumps_version_fails(tmp_path):
    root, cfg = make(tmp_path, extra="echo 0.0.1 > /etc/acme-release")
    with open(os.path.join(root, "usr/sbin/factory-reset"), "w") as fh:
        fh.write("#!/bin/sh\nrm -rf /var/lib/app\necho 0.0.1 > /etc/acme-release\n")
    before = erase.tree_digest(root)
    out = evaluate(ctx(root, cfg), "S1.1-15")
    assert out.verdict is Verdict.FAIL
    not_erased = {f.evidence["path"] for f in out.findings if f.check == "ERASE-NOT-ERASED"}
    assert not_erased == {"/etc/app/settings.json", "/etc/app/users.json"}
    assert checks(out)["ERASE-VERSION-CHANGED"].evidence == {
        "path": "/etc/acme-release", "before": "4.2.1", "after": "0.0.1"}
    assert erase.tree_digest(root) == before
    assert open(os.path.join(root, "etc/acme-release")).read() == "4.2.1\n"


@needs_chroot
def test_failing_erase_command_fails(tmp_path):
    root, cfg = make(tmp_path, rc=3)
    out = evaluate(ctx(root, cfg), "S1.1-15")
    assert out.verdict is Verdict.FAIL
    assert checks(out)["ERASE-COMMAND-FAILED"].evidence["rc"] == 3


def test_tree_digest_sees_content_mode_and_links(tmp_path):
    root, _ = make(tmp_path)
    d0 = erase.tree_digest(root)
    path = os.path.join(root, "etc/app/settings.json")
    with open(path, "r+") as fh:
        fh.write("X")
    st = os.stat(path)
    d1 = erase.tree_digest(root)
    assert d1 != d0
    os.chmod(path, 0o600)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert erase.tree_digest(root) != d1
    os.symlink("/nowhere", os.path.join(root, "etc/dangling"))
    assert erase.tree_digest(root)[1] == d1[1] + 1


def test_without_erase_test_present_command_is_manual(tmp_path):
    root, cfg = make(tmp_path)
    out = evaluate(ctx(root, cfg, erase_test=False), "S1.1-15")
    assert out.verdict is Verdict.MANUAL and "--erase-test" in out.reason
    assert "ERASE-COMMAND" in checks(out)


def test_missing_command_fails_and_nothing_declared_is_manual(tmp_path):
    root, cfg = make(tmp_path)
    os.unlink(os.path.join(root, "usr/sbin/factory-reset"))
    out = evaluate(ctx(root, cfg), "S1.1-15")
    assert out.verdict is Verdict.FAIL
    assert checks(out)["ERASE-COMMAND-MISSING"].evidence == {"path": "/usr/sbin/factory-reset"}
    out = evaluate(ctx(root, None), "S1.1-15")
    assert out.verdict is Verdict.MANUAL and "[erase]" in out.reason


def test_never_runs_live(tmp_path):
    root, cfg = make(tmp_path)
    out = evaluate(ctx(root, cfg, live=True), "S1.1-15")
    assert out.verdict is Verdict.MANUAL and "never on the live" in out.reason
    with pytest.raises(erase.EraseError):
        erase.run(ctx("/", cfg, live=True))


def test_cli_refuses_erase_test_live(cli):
    r = cli("check", "--erase-test")
    assert r.rc == 2 and "never live" in r.err


@needs_chroot
def test_command_that_cannot_execute_in_the_copy_is_an_error(tmp_path):
    root, cfg = make(tmp_path)
    with open(os.path.join(root, "usr/sbin/factory-reset"), "w") as fh:
        fh.write("#!/usr/bin/python9\nreset()\n")  # its interpreter is not in the image
    before = erase.tree_digest(root)
    out = evaluate(ctx(root, cfg), "S1.1-15")
    assert out.verdict is Verdict.ERROR and "could not start" in out.reason
    assert erase.tree_digest(root) == before


# --- audit additions ---------------------------------------------------------------------------
def test_never_runs_on_the_system_root_spelt_otherwise(tmp_path):
    _, cfg = make(tmp_path)
    link = tmp_path / "slash"
    os.symlink("/", link)
    for spelling in (str(link), "//", "/./"):
        with pytest.raises(erase.EraseError, match="never live"):
            erase.run(ctx(spelling, cfg, live=False))
        out = evaluate(ctx(spelling, cfg, live=False), "S1.1-15")
        assert out.verdict is not Verdict.PASS


@needs_chroot
def test_an_undeclared_category_is_not_a_pass(tmp_path):
    root, cfg = make(tmp_path, config=CONFIG.replace('settings_paths = ["/etc/app/settings.json"]\n', ""))
    out = evaluate(ctx(root, cfg), "S1.1-15")
    assert out.verdict is Verdict.MANUAL and "(B) user settings" in out.reason
    assert {f.evidence["category"] for f in out.findings if f.check == "ERASE-ERASED"} == {"A", "C"}


@needs_chroot
def test_work_copy_is_never_made_inside_the_root(tmp_path, monkeypatch):
    root, cfg = make(tmp_path)
    inner = os.path.join(root, "tmp")
    os.makedirs(inner, exist_ok=True)
    monkeypatch.setattr("tempfile.tempdir", inner)
    before = erase.tree_digest(root)
    out = evaluate(ctx(root, cfg), "S1.1-15")
    assert out.verdict is Verdict.PASS, out.reason
    assert erase.tree_digest(root) == before and os.listdir(inner) == []
