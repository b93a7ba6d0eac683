"""Drift over REAL attestations: ``attest --root`` of a copy of the debootstrap rootfs, changed
step by step as a device changes in the field (sshd opened to the network, a harmless new data
file, telnet enabled in inetd and a new login account added with useradd)."""
from __future__ import annotations

import os
import re
import subprocess

BOARD = """[product]
vendor = "Acme"
model = "ACME-GW-DRIFT"

[[listeners]]
proto = "tcp"
port = 22
address = "*"
process = "sshd"
auth = "key"

[[listeners]]
proto = "tcp"
port = 23
address = "*"
process = "inetd"
auth = "password"
"""


def _edit(path, old, new):
    with open(path) as fh:
        text = fh.read()
    assert old in text, (path, old)
    with open(path, "w") as fh:
        fh.write(text.replace(old, new, 1))


def test_drift_sees_listeners_accounts_and_ignores_figures_in_real_reports(cli, debian_copy, tmp_path):
    from jcstar_agent.attest.keys import generate

    root = debian_copy
    key, pub, _ = generate(str(tmp_path / "unit.key"))
    board = tmp_path / "board.toml"
    board.write_text(BOARD)

    def attest(name, config=True):
        out = str(tmp_path / f"{name}.json")
        r = cli("attest", "--root", root, "--key", key, "--output", out,
                *(("--config", str(board)) if config else ()))
        assert r.rc in (0, 1) and os.path.exists(out), r.err
        return out

    def drift(a, b, *extra):
        return cli("drift", a, b, "--pubkey", pub, "--format", "json", *extra)

    def checks(r, relevant=True):
        return [(c["check"], c["after"] if c["after"] is not None else c["before"])
                for c in r.json()["changes"] if c["relevant"] == relevant]

    sshd = os.path.join(root, "etc/ssh/sshd_config")
    with open(sshd, "a") as fh:
        fh.write("ListenAddress 127.0.0.1\n")
    loopback_ssh = attest("loopback-ssh")
    _edit(sshd, "ListenAddress 127.0.0.1\n", "")
    label_time = attest("label-time")

    # sshd opened from loopback to every address: the same listener, now reachable over IP
    r = drift(loopback_ssh, label_time)
    assert r.rc == 1
    assert ("DRIFT-LISTENER-EXPOSED", "reachable") in checks(r)
    assert not [c for c in checks(r) if c[0] in ("DRIFT-LISTENER-NEW", "DRIFT-LISTENER-REMOVED")]

    # a harmless change (a new data file): the secrets walk's figures move, nothing relevant
    os.makedirs(os.path.join(root, "var/lib/acme"), exist_ok=True)
    with open(os.path.join(root, "var/lib/acme/counters.dat"), "w") as fh:
        fh.write("boots=17\n")
    same = attest("same")
    r = drift(label_time, same)
    assert r.rc == 0 and r.json()["relevant"] == 0, checks(r)
    assert ("DRIFT-FINDING-INFO", "SECRETS-WALK") in checks(r, relevant=False)

    # telnet enabled in inetd (declared in the board config, so no "undeclared" finding says so:
    # the listener inventory does) and a new login account with a password
    _edit(os.path.join(root, "etc/inetd.conf"), "#<off># telnet\t", "telnet\t")
    pw = subprocess.run(["openssl", "passwd", "-6", "-salt", "driftsalt", "Corr3ct-Horse-Battery"],
                        capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run(["useradd", "-R", root, "-m", "-s", "/bin/bash", "-p", pw, "alice"], check=True)
    subprocess.run(["useradd", "-R", root, "-s", "/bin/sh", "bob"], check=True)  # locked: no password
    now = attest("now")
    r = drift(same, now)
    assert r.rc == 1, r.err
    got = checks(r)
    assert ("DRIFT-LISTENER-NEW", "tcp/23") in got
    assert ("DRIFT-ACCOUNT-NEW", "alice") in got
    assert ("DRIFT-ACCOUNT-NEW", "bob") in got  # from the report's account inventory
    assert ("DRIFT-VERDICT", "fail") in got  # S1.1-12: telnet is cleartext
    assert [c for c in got if c[0] == "DRIFT-LISTENER-NEW"] == [("DRIFT-LISTENER-NEW", "tcp/23")]
    text = cli("drift", same, now, "--pubkey", pub)
    assert text.rc == 1 and "DRIFT-LISTENER-NEW new listener tcp/23 (inetd)" in text.out
    back = drift(now, same)
    assert back.rc == 1 and ("DRIFT-LISTENER-REMOVED", "tcp/23") in checks(back)
    assert ("DRIFT-ACCOUNT-REMOVED", "alice") in checks(back, relevant=False)

    # the same without a board config (telnet undeclared; no model: --force)
    _edit(os.path.join(root, "etc/inetd.conf"), "telnet\t", "#<off># telnet\t")
    bare_before = attest("bare-before", config=False)
    _edit(os.path.join(root, "etc/inetd.conf"), "#<off># telnet\t", "telnet\t")
    bare_after = attest("bare-after", config=False)
    assert drift(bare_before, bare_after).rc == 2  # neither ueid nor model: not compared blindly
    r = drift(bare_before, bare_after, "--force")
    assert r.rc == 1
    assert [c for c in checks(r) if c[0].startswith("DRIFT-LISTENER")] == [("DRIFT-LISTENER-NEW", "tcp/23")]

    # a package replaced by another version (same firmware version string): the SBOM digest moves
    status = os.path.join(root, "var/lib/dpkg/status")
    with open(status) as fh:
        text = fh.read()
    changed = re.sub(r"(Package: openssh-server\n(?:[^\n]+\n)*?Version: )([^\n]+)", r"\1\2~old1", text, count=1)
    assert changed != text
    with open(status, "w") as fh:
        fh.write(changed)
    older_sshd = attest("older-sshd", config=False)
    r = drift(bare_after, older_sshd, "--force")
    assert r.rc == 1 and [c[0] for c in checks(r)] == ["DRIFT-PACKAGES"], checks(r)
