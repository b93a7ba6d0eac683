"""Every reason and finding message the agent writes for the test trees has a Japanese entry.

The agent runs over the corpus trees (real Debian packages: the base, the extra tree and the
minimal bootstrap, each with every shipped board config and with none) and over synthetic trees
of the usual device faults (default and empty passwords, telnet, world-readable shadow and keys,
weak hashes, an undeclared listener, a declared NA); every reason and message of the reports is
looked up in ``locale/ja.po``. A message without an entry fails the test, listed as the .po
entries to add (``tools/i18n_missing.py REPORT.json`` does the same for one report).
"""
import os
import sys

import pytest

from jcstar_agent import libcrypt
from jcstar_agent.report import i18n

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "tools"))
from i18n_po import po_entry  # noqa: E402
from surface_testlib import enabled  # noqa: E402

BOARDS = sorted(f[:-5] for f in os.listdir(os.path.join(os.path.dirname(i18n.__file__), "..", "..",
                                                         "board_configs")) if f.endswith(".toml"))
SSHD = {"/usr/sbin/sshd": b"OpenSSH_9.2p1", "/etc/ssh/sshd_config": "UsePAM yes\n"}


def _h(pw, salt="$6$abcdefgh$"):
    return libcrypt.load().hash(pw, salt)


def synthetic():
    """name -> (files, modes, board config text or None): the faults a device most often has."""
    passwd = "root:x:0:0:root:/root:/bin/sh\npi:x:1000:1000::/home/pi:/bin/bash\n"
    return {
        "minimal": ({}, None, None),
        "default-password": (dict(SSHD, **{"/etc/passwd": passwd,
                                          "/etc/shadow": f"root:*:19000:0:99999:7:::\npi:{_h('raspberry')}:19000:0:99999:7:::\n"}),
                             None, None),
        "empty-password-telnet": (dict(SSHD, **{"/etc/passwd": passwd, "/etc/shadow": "root::19000:0:99999:7:::\npi:*:1:0:99999:7:::\n",
                                              "/etc/ssh/sshd_config": "PermitEmptyPasswords yes\n",
                                              "/etc/inetd.conf": "telnet stream tcp nowait root /usr/sbin/tcpd /usr/sbin/in.telnetd\n",
                                              "/usr/sbin/inetd": b"\x7fELF", "/usr/sbin/in.telnetd": b"\x7fELF"}),
                                  None, None),
        "world-readable": (dict(SSHD, **{"/etc/passwd": passwd,
                                        "/etc/shadow": f"root:*:19000:0:99999:7:::\npi:{_h('x9#Lq!vB72mzP', '$1$abcdefgh$')}:19000:0:99999:7:::\n",
                                        "/etc/ssl/private/device.key": "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"}),
                           {"/etc/shadow": 0o644, "/etc/ssl/private/device.key": 0o644}, None),
        "remote-logins": (dict(SSHD, **{
            "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\ntoor:x:0:0::/:/bin/sh\n",
            "/etc/shadow": "root:*:19000::::::\ntoor::19000::::::\n",
            "/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\n",
            "/etc/ssh/sshd_config.d/10-dev.conf": "Match Address 10.0.0.0/8\n PermitEmptyPasswords yes\n",
            "/etc/default/dropbear": "DROPBEAR_EXTRA_ARGS=-B\n", "/usr/sbin/dropbear": b"",
            "/etc/inetd.conf": "telnet stream tcp nowait root /usr/sbin/tcpd /usr/sbin/in.telnetd\n",
            "/usr/sbin/mosquitto": b"\x7fELF", "/etc/mosquitto/mosquitto.conf": "listener 1883\nallow_anonymous true\n"}),
            None, None),
        "weak-tls-and-updates": (dict(enabled("nginx", "/usr/sbin/nginx"), **{
            "/etc/nginx/nginx.conf": "http { server { listen 80; } server { listen 443 ssl; "
                                     "ssl_protocols TLSv1 TLSv1.2; } }\n",
            "/etc/apt/sources.list": "deb [trusted=yes] http://repo.example.com stable main\n",
            "/usr/bin/rauc": b"\x7fELF", "/etc/rauc/system.conf": "[system]\ncompatible=acme\n"}),
            None, None),
        "declared": (dict(SSHD, **{"/etc/passwd": passwd,
                                  "/etc/shadow": f"root:*:19000:0:99999:7:::\npi:{_h('x9#Lq!vB72mzP')}:19000:0:99999:7:::\n"}),
                     None, '[product]\nmodel = "GW-1"\n\n[update]\nnetwork = false\ndescription = "USB stick"\n\n'
                           '[not_applicable]\n"S1.1-08" = "updates arrive on a USB stick only"\n\n'
                           '[[listeners]]\nproto = "tcp"\nport = 22\nprocess = "sshd"\nauth = "password"\ntls = true\n\n'
                           '[[logins]]\nname = "ssh"\nprotocol = "ssh"\nport = 22\naccounts = ["pi"]\n'
                           'default_password = "unique"\ngeneration = "printed label"\nchange = "passwd"\n'),
    }


def _messages(reports) -> dict:
    found = {}
    for name, rep in reports:
        for text in i18n.texts(rep):
            found.setdefault(text, name)
    return found


def _missing(found: dict) -> list:
    cat = i18n.catalogue("ja")
    return [(text, where) for text, where in found.items() if cat.lookup(text, strict=True) is None]


def _fail_on(missing):
    if missing:
        entries = "\n".join(po_entry(t, comment=w) for t, w in missing)
        pytest.fail(f"{len(missing)} message(s) without a Japanese entry; add to "
                    f"jcstar_agent/report/locale/ja.po:\n\n{entries}")


def test_the_check_fails_on_a_message_without_entry():
    missing = _missing({"a message nobody translated (42 things)": "made up"})
    assert missing and missing[0][1] == "made up"


def test_po_parses_and_every_template_keeps_its_placeholders():
    with open(os.path.join(i18n.HERE, "ja.po"), encoding="utf-8") as fh:
        entries = i18n.parse_po(fh.read())
    assert len(entries) >= 60
    for msgid, msgstr in entries.items():
        assert set(i18n._PLACEHOLDER.findall(msgid)) == set(i18n._PLACEHOLDER.findall(msgstr)), msgid
        assert msgstr != msgid


def test_synthetic_trees_have_japanese_for_every_message(tmp_path, cli):
    # tests/conftest.py by its path: ``from conftest import`` gets whichever conftest.py pytest
    # imported last (tests/store/ has one too)
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "jcstar_tests_conftest", os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                              "conftest.py"))
    root_conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(root_conftest)
    MINIMAL, make_tree = root_conftest.MINIMAL, root_conftest.make_tree

    reports = []
    for name, (files, modes, config) in synthetic().items():
        root = make_tree(tmp_path / name, dict(MINIMAL, **files), modes)
        args = ["check", "--root", root, "--format", "json", "--password-budget", "5"]
        if config:
            cfg = tmp_path / f"{name}.toml"
            cfg.write_text(config, encoding="utf-8")
            args += ["--config", str(cfg)]
        res = cli(*args)
        assert res.rc in (0, 1), res.err
        reports.append((name, res.json()))
    _fail_on(_missing(_messages(reports)))


@pytest.mark.integration
def test_corpus_trees_have_japanese_for_every_message(cli):
    from integration import corpus

    import rootfs

    reports = []
    for root in (corpus.build(), corpus.build_extra(), rootfs.build()):
        for board in [None] + BOARDS:
            args = ["check", "--root", root, "--format", "json"] + (["--board", board] if board else [])
            res = cli(*args)
            assert res.rc in (0, 1), res.err
            reports.append((f"{os.path.basename(root)} {board or 'no config'}", res.json()))
    _fail_on(_missing(_messages(reports)))


def test_i18n_missing_tool_lists_what_lacks_an_entry(tmp_path):
    import json
    import subprocess

    tool = os.path.join(os.path.dirname(i18n.__file__), "..", "..", "tools", "i18n_missing.py")
    report = {"criteria": [{"id": "S1.1-15", "reason": "no erase mechanism declared: add [erase] command "
                            "(and data_paths, settings_paths, credential_paths) to the board config",
                            "findings": [{"check": "X", "message": "a brand-new message about port 8080"}]}]}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    p = subprocess.run([sys.executable, tool, str(path)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and p.stdout == 'msgid "a brand-new message about port 8080"\nmsgstr ""\n\n'
    report["criteria"][0]["findings"] = []
    path.write_text(json.dumps(report), encoding="utf-8")
    p = subprocess.run([sys.executable, tool, str(path)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout == ""
