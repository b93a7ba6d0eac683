"""``declare`` on small synthetic images: identity sources with the value each shows, and the
not-applicable reasons it asks for only where the device shows nothing that contradicts them."""
import re
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import pytest

QUIET = {  # nothing listens, nobody logs in; a Raspberry Pi OS build stamp and a vendor release file
    "/etc/rpi-issue": "Raspberry Pi reference 2024-11-19\nGenerated using pi-gen\n",
    "/etc/acme-release": "ACME-OS 4.2\n",
    "/etc/product-model": "ACME-GW-100\n",
}


def test_identity_sources_are_listed_with_their_values(tree, cli):
    r = cli("declare", "--root", tree(QUIET))
    assert r.rc == 0, r.err
    data = tomllib.loads(r.out)
    assert data["product"]["model_source"] == "/etc/product-model"
    assert data["product"]["hostname"] == "gw-0001"
    assert (data["firmware"]["version_source"], data["firmware"]["version_key"]) == ("/etc/rpi-issue", "")
    assert data["firmware"]["name"] == "Acme Linux"
    for seen in ("/etc/product-model shows 'ACME-GW-100'",
                 "/etc/rpi-issue shows 'Raspberry Pi reference 2024-11-19'",
                 "/etc/os-release VERSION_ID shows '1.2.3'", "/etc/acme-release shows 'ACME-OS 4.2'"):
        assert f"# seen: {seen}" in r.out, seen
    assert "listeners" not in data and "logins" not in data


def test_na_is_asked_only_where_nothing_contradicts_it_and_an_answered_draft_gives_na(tree, cli, tmp_path):
    root = tree(QUIET)
    r = cli("declare", "--root", root)
    na = tomllib.loads(r.out)["not_applicable"]
    assert sorted(na) == ["S1.1-01", "S1.1-02", "S1.1-03", "S1.1-04", "S1.1-12"]
    assert all(v.startswith("<FILL-IN:") for v in na.values())
    draft = tmp_path / "board.toml"
    answers = {"command": '"/sbin/factory-reset"', "url": '"https://example.com/docs"'}
    reason = '"a sensor with no network login"'
    draft.write_text(re.sub(r'^("?[\w.-]+"?) = "<FILL-IN:.*>"$',
                            lambda m: f"{m.group(1)} = {answers.get(m.group(1), reason)}",
                            r.out, flags=re.M))
    c = {x["id"]: x for x in cli("check", "--root", root, "--config", str(draft), "--format",
                                 "json").json()["criteria"]}
    for cid in ("S1.1-01", "S1.1-02", "S1.1-03", "S1.1-04", "S1.1-12"):
        assert c[cid]["verdict"] == "na", (cid, c[cid])


def test_a_login_means_no_na_for_logins(tree, cli):
    files = dict(QUIET, **{"/etc/passwd": "root:x:0:0:root:/root:/bin/sh\nop:x:1000:1000::/home/op:/bin/sh\n",
                           "/etc/shadow": "root:*:19000:0:99999:7:::\nop:$6$salt$abc:19000:0:99999:7:::\n",
                           "/usr/sbin/telnetd": "#!/bin/sh\n",
                           "/etc/inittab": "::sysinit:/etc/init.d/rcS\n::respawn:/usr/sbin/telnetd -F\n"})
    r = cli("declare", "--root", tree(files))
    data = tomllib.loads(r.out)
    assert "$6$" not in r.out and "salt" not in r.out
    assert [(x["port"], x["auth"]) for x in data["listeners"]] == [(23, "password")]
    assert [(x["name"], x["protocol"], x["accounts"]) for x in data["logins"]] == [("telnet", "telnet", ["op"])]
    assert sorted(data.get("not_applicable", {})) == []


TELNET_ROOT_AND_OP = dict(QUIET, **{
    "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\nop:x:1000:1000::/home/op:/bin/sh\n",
    "/usr/sbin/telnetd": "#!/bin/sh\n",
    "/etc/inittab": "::sysinit:/etc/init.d/rcS\n::respawn:/usr/sbin/telnetd -F\n"})


def test_unreadable_shadow_guesses_no_account_into_a_login(tree, cli):
    """/etc/shadow that cannot be read (here: a folder): whether root or op has a password that
    telnet takes is unknown, so neither is declared; the draft says what it could not read."""
    r = cli("declare", "--root", tree(dict(TELNET_ROOT_AND_OP, **{"/etc/shadow": ("dir",)})))
    assert r.rc == 0, r.err
    (login,) = tomllib.loads(r.out)["logins"]
    assert login["name"] == "telnet" and login["accounts"] == []
    comments = " ".join(line[2:] for line in r.out.splitlines() if line.startswith("# "))  # wrapped
    assert re.search(r"cannot read /etc/shadow \(.*\): whether root, op can log in here is not known, "
                     r"so none of them is listed; run declare as root, or add the accounts that do", comments), r.out


@pytest.mark.integration  # root, to run as nobody with setpriv
@pytest.mark.host
def test_declare_without_root_says_it_needs_root_for_shadow(tree):
    """The user's case: declare run as an ordinary user on a device (here: as 'nobody' over a
    copy whose /etc/shadow is root's 0600, as on a device)."""
    import os
    import shutil
    import subprocess
    import tempfile

    import pytest

    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to run as another user")
    import plainuser

    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", plainuser.SYSTEM_PYTHON]
    if subprocess.run(nobody + ["-c", "import psutil"], capture_output=True, cwd="/").returncode:
        pytest.skip(f"user nobody cannot run {plainuser.SYSTEM_PYTHON} with psutil here")
    base = tempfile.mkdtemp()  # the run's temp folder: 'nobody' reaches it, unlike tmp_path
    try:
        os.chmod(base, 0o755)
        root = os.path.join(base, "root")
        shutil.copytree(tree(dict(TELNET_ROOT_AND_OP, **{"/etc/shadow": "root:$6$s$h:19000:0:99999:7:::\n"})),
                        root)
        os.chmod(os.path.join(root, "etc/shadow"), 0o600)
        with plainuser.readable_package() as package:
            r = subprocess.run(nobody + ["-m", "jcstar_agent", "declare", "--root", root], cwd="/",
                               capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=package))
    finally:
        shutil.rmtree(base)
    assert r.returncode == 0, r.stderr
    (login,) = tomllib.loads(r.stdout)["logins"]
    assert login["accounts"] == [] and "root" not in login["accounts"]
    comments = " ".join(line[2:] for line in r.stdout.splitlines() if line.startswith("# "))
    assert "needs root to read /etc/shadow (" in comments and "whether root, op can log in here" in comments
