"""Issue 12 item 7(a): an OpenSSH version the agent cannot read is not "the newest".

Before: no package database and a binary without a version string made the agent assume the
current defaults, PerSourcePenalties on, and S1.1-04 passed. An auditor decides: the protection
is unknown, so S1.1-04 is ``manual`` and says the version could not be read — not ``pass``, and
not ``fail`` either (a 9.8+ sshd would be protected). With a readable version the verdicts stay.
"""
from __future__ import annotations

from jcstar_agent.config.schema import BoardConfig
from jcstar_agent.criteria import s1_1_04
from jcstar_agent.criteria.interface import Context, Verdict
from jcstar_agent.target import Root

BASE = {"/etc/passwd": "root:x:0:0::/root:/bin/sh\nadmin:x:1000:1000::/home/admin:/bin/sh\n",
        "/etc/shadow": "root:*:1::::::\n",
        "/usr/sbin/sshd": b"\x7fELF no version string here",
        "/etc/ssh/sshd_config": "PasswordAuthentication yes\n"}
DPKG = "Package: openssh-server\nStatus: install ok installed\nVersion: 1:{}-1\n\n"


def run(root):
    return s1_1_04.evaluate(Context(Root(root, live=False), BoardConfig()))


def test_unknown_version_default_penalties_are_not_assumed(trees):
    out = run(trees(BASE))
    assert out.verdict is Verdict.MANUAL, (out.verdict, out.reason)
    assert "OpenSSH version could not be read" in out.reason
    assert not any(f.check == "AUTH-BRUTEFORCE-PROTECTED" for f in out.findings)


def test_unknown_version_with_penalties_written_in_the_config_is_not_assumed_either(trees):
    out = run(trees(dict(BASE, **{"/etc/ssh/sshd_config": "PasswordAuthentication yes\n"
                                                          "PerSourcePenalties yes\n"})))
    assert out.verdict is Verdict.MANUAL and "could not be read" in out.reason


def test_unknown_version_with_another_protection_still_passes(trees):
    f2b = {"/usr/bin/fail2ban-server": "x", "/etc/fail2ban/jail.conf": "[sshd]\nport=ssh\n",
           "/etc/fail2ban/jail.d/x.conf": "[sshd]\nenabled=true\n"}
    out = run(trees(dict(BASE, **f2b), {"/usr/bin/fail2ban-server": 0o755}))
    assert out.verdict is Verdict.PASS, out.reason


def test_known_versions_keep_their_verdicts(trees):
    assert run(trees(dict(BASE, **{"/var/lib/dpkg/status": DPKG.format("9.8p1")}))).verdict is Verdict.PASS
    assert run(trees(dict(BASE, **{"/var/lib/dpkg/status": DPKG.format("9.2p1")}))).verdict is Verdict.FAIL
    # the version string in the binary is read when no package database says it
    assert run(trees(dict(BASE, **{"/usr/sbin/sshd": b"\x00OpenSSH_9.9p1\x00"}))).verdict is Verdict.PASS
