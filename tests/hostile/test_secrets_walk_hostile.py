"""Issue 12 item 7 (b)-(e): S1.1-11 and -14 never pass on what the agent could not see.

(b) a secrets walk cut at ``max_files`` or at the depth limit is said (``SECRETS-WALK-CUT``) and is
    never a pass; the places that matter most (/root, /home/*/.ssh, /etc/ssl/private, /etc/ssh …)
    are walked first, so a 0644 ``/root/.ssh/id_ed25519`` is found even when /etc alone exceeds
    the limit; (c) an MD5 hash in /etc/passwd's password field is a finding even when /etc/shadow
    has an entry too; (d) /etc/passwd and /etc/shadow both unreadable → S1.1-11 and -14 do not
    pass; (e) ``secrets.max_files = -5`` is refused at config load (exit 2, file:line).
Also issue 13 item 4: the agent's own installed source is never a stored secret.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from jcstar_agent import libcrypt
from jcstar_agent.facts import secrets
from jcstar_agent.target import Root

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _key() -> bytes:
    return subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519"], capture_output=True,
                          check=True).stdout


def _config(tmp_path, text: str) -> str:
    p = tmp_path / "board.toml"
    p.write_text(text)
    return str(p)


def _by(r) -> dict:
    assert r.rc in (0, 1) and "Traceback" not in r.err, r.err
    return {c["id"]: c for c in json.loads(r.out)["criteria"]}


@pytest.mark.integration
def test_key_in_root_found_first_when_etc_alone_exceeds_max_files(debian_copy, tmp_path, cli):
    etc_files = sum(len(f) for _d, _s, f in os.walk(os.path.join(debian_copy, "etc")))
    assert etc_files > 100  # a real Debian /etc is larger than the limit below
    cfg = _config(tmp_path, '[secrets]\npaths = ["/etc", "/root"]\nmax_files = 100\n')
    # nothing planted: the cut walk is said and S1.1-11 is not a pass
    by = _by(cli("check", "--root", debian_copy, "--config", cfg, "--format", "json"))
    s11 = by["S1.1-11"]
    assert s11["verdict"] == "manual", s11
    cut = next(f for f in s11["findings"] if f["check"] == "SECRETS-WALK-CUT")
    assert cut["evidence"]["cut"] is True and cut["evidence"]["max_files"] == 100
    assert "cut" in s11["reason"] and "max_files" in s11["reason"]
    # a 0644 key in /root/.ssh: walked before /etc, so the cut does not hide it
    os.makedirs(os.path.join(debian_copy, "root/.ssh"), exist_ok=True)
    key = os.path.join(debian_copy, "root/.ssh/id_ed25519")
    with open(key, "wb") as fh:
        fh.write(_key())
    os.chmod(key, 0o644)
    os.chmod(os.path.join(debian_copy, "root"), 0o755)  # reachable: every user reads it
    by = _by(cli("check", "--root", debian_copy, "--config", cfg, "--format", "json"))
    s11 = by["S1.1-11"]
    assert s11["verdict"] == "fail", s11
    hit = next(f for f in s11["findings"] if f["check"] == "KEY-PRIVATE-READABLE")
    assert hit["evidence"]["path"] == "/root/.ssh/id_ed25519"
    assert "readable by every user" in hit["message"]


def test_depth_cut_is_said_and_never_a_pass(tree, cli):
    deep = "/opt/" + "/".join(f"d{i}" for i in range(14)) + "/key.pem"
    h = libcrypt.load().hash("x9#Lq!vB72mzP", "$6$abcdefgh$")
    root = tree({deep: _key(), "/etc/shadow": f"root:{h}:19000::::::\n"})
    os.chmod(os.path.join(root, deep.lstrip("/")), 0o644)
    os.chmod(os.path.join(root, "etc/shadow"), 0o600)
    by = _by(cli("check", "--root", root, "--format", "json"))
    s11 = by["S1.1-11"]
    assert s11["verdict"] == "manual", s11  # the key 14 levels down was not seen: not a pass
    cut = next(f for f in s11["findings"] if f["check"] == "SECRETS-WALK-CUT")
    assert any(d.startswith("/opt/d0/d1/") for d in cut["evidence"]["depth_cut"]), cut
    assert cut["evidence"]["cut"] is False
    # and with nothing deep, the same tree passes
    shutil.rmtree(os.path.join(root, "opt/d0"))
    assert _by(cli("check", "--root", root, "--format", "json"))["S1.1-11"]["verdict"] == "pass"


def test_md5_hash_in_passwd_field_with_a_shadow_entry(tree, cli):
    lib = libcrypt.load()
    md5 = lib.hash("secret-pw-1", "$1$abcdefgh$")
    strong = lib.hash("x9#Lq!vB72mzP", "$6$abcdefgh$")
    root = tree({"/etc/passwd": f"root:x:0:0:root:/root:/bin/sh\nop:{md5}:1000:1000::/home/op:/bin/sh\n",
                 "/etc/shadow": f"root:*:19000::::::\nop:{strong}:19000::::::\n"})
    os.chmod(os.path.join(root, "etc/shadow"), 0o600)
    by = _by(cli("check", "--root", root, "--format", "json"))
    s11 = by["S1.1-11"]
    assert s11["verdict"] == "fail", s11
    checks = {(f["check"], f["evidence"].get("path")) for f in s11["findings"]}
    assert ("CRED-HASH-IN-PASSWD", "/etc/passwd:2") in checks
    assert ("CRED-WEAK-HASH", "/etc/passwd:2") in checks
    assert md5 not in json.dumps(by)  # the hash itself never appears


def test_passwd_and_shadow_both_unreadable(tree, cli):
    root = tree({})
    for name in ("passwd", "shadow"):
        os.unlink(os.path.join(root, "etc", name))
    os.symlink("passwd.loop", os.path.join(root, "etc/passwd"))  # a symlink loop: unreadable
    os.symlink("passwd", os.path.join(root, "etc/passwd.loop"))  # even as root
    os.makedirs(os.path.join(root, "etc/shadow"))  # a folder where the file should be
    by = _by(cli("check", "--root", root, "--format", "json"))
    for cid in ("S1.1-11", "S1.1-14"):
        assert by[cid]["verdict"] not in ("pass", "na"), (cid, by[cid])


@pytest.mark.parametrize("setting", ["max_files = -5", "max_files = 0", "max_file_size = -1",
                                     'paths = ["etc"]'])
def test_bad_secrets_settings_refused_at_config_load(tree, tmp_path, proc, setting):
    cfg = _config(tmp_path, f"[secrets]\n{setting}\n")
    r = proc("check", "--root", tree({}), "--config", cfg, "--format", "json")
    assert r.rc == 2 and r.out == "", (r.rc, r.err)
    assert f"{cfg}:2" in r.err and "Traceback" not in r.err, r.err


def test_the_agents_own_source_is_not_a_secret(tree):
    """issue 13 item 4: installed as pip/venv/pipx/dist-packages would (world-readable), the
    agent's facts/secrets.py ('psk = ...' in a file that also says 'ssid') is program source."""
    root = tree({"/etc/wpa_supplicant/wpa_supplicant.conf":
                 'ctrl_interface=/run/wpa_supplicant\nnetwork={\n\tssid="lab"\n\tpsk="hunter2-lab"\n}\n'})
    ignore = shutil.ignore_patterns("__pycache__")
    dests = ("usr/lib/python3/dist-packages/jcstar_agent",
             "opt/jcstar/venv/lib/python3.11/site-packages/jcstar_agent",
             "root/.local/share/pipx/venvs/jcstar-agent/lib/python3.11/site-packages/jcstar_agent",
             "home/op/.local/lib/python3.11/site-packages/jcstar_agent",
             "var/lib/jcstar/lib/jcstar_agent")
    for dest in dests:
        shutil.copytree(os.path.join(PROJECT, "jcstar_agent"), os.path.join(root, dest), ignore=ignore)
    os.chmod(os.path.join(root, "etc/wpa_supplicant/wpa_supplicant.conf"), 0o644)
    w = secrets.scan(Root(root, live=False), ["/etc", "/var/lib", "/opt", "/home", "/root", "/usr/lib"],
                     100000, 1 << 20)
    assert not w.cut and w.entries > 5 * 50
    # the real PSK is still found; nothing in the agent's copies is
    assert [(f.path, f.kind) for f in w.found] == [("/etc/wpa_supplicant/wpa_supplicant.conf", "wifi-psk")]


@pytest.mark.parametrize("text,found", [
    ('network={\n ssid="x"\n psk="hunter22"\n}\n', "psk"),
    ('network={\n ssid="x"\n psk=' + "ab" * 32 + '\n}\n', "psk"),
    ('network={\n ssid="x"\n psk = "hunter22"\n}\n', None),  # wpa_supplicant rejects spaces
    ('psk="hunter22"\n', None),  # outside a network block
    ("[wifi-security]\nkey-mgmt=wpa-psk\npsk=hunter22x\n", "psk"),
    ("[wifi-security]\nkey-mgmt=wpa-psk\npsk-flags=1\n", None),  # agent-owned secret: no value
    ("interface=wlan0\nssid=ap\nwpa_passphrase=hunter22\n", "wpa_passphrase"),
    ("interface=wlan0\nwpa_passphrase=hunter22\n", None),  # no ssid: not a hostapd config
    ("[Security]\nPassphrase=hunter22\n", "Passphrase"),
    ("[service_wifi]\nType=wifi\nName=x\nPassphrase=hunter22\n", "Passphrase"),
    ("    psk = _PSK.search(data)  # ssid\n", None),
    ("if psk=\"$1\"; then ssid=x; fi\n", None),
])
def test_psk_only_in_a_format_that_holds_one(text, found):
    assert secrets.find_psk(text.encode()) == found
