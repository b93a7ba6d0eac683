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


# S1.1-02: the same unknown version is not "the newest" for who sshd lets in either. Before
# OpenSSH 7.0 an unset PermitRootLogin meant "yes": with the version unreadable, root's guessable
# password is a finding that says the assumption; a readable 9.x (default prohibit-password)
# keeps root out of reach, and so does PermitRootLogin written in the config.
def _root_pw_tree(trees, **extra):
    from jcstar_agent import libcrypt

    hashed = libcrypt.load().hash("root", "$6$saltsaltsalt$")
    files = dict(BASE, **{"/etc/shadow": f"root:{hashed}:19000:0:99999:7:::\n",
                          "/etc/ssh/sshd_config": "PasswordAuthentication yes\n"})
    files.update(extra)
    return trees(files)


def _s1_1_02(root):
    from jcstar_agent.criteria import s1_1_02

    return s1_1_02.evaluate(Context(Root(root, live=False), BoardConfig()))


def test_unknown_version_counts_root_as_reachable_and_says_so(trees):
    out = _s1_1_02(_root_pw_tree(trees))
    hits = [f for f in out.findings if f.check == "CRED-DEFAULT-PASSWORD" and f.evidence.get("account") == "root"]
    assert out.verdict is Verdict.FAIL and hits, (out.verdict, out.reason)
    assert "OpenSSH version could not be read" in hits[0].message
    assert "PermitRootLogin" in hits[0].message and "$6$" not in hits[0].message


def test_known_version_or_explicit_setting_keeps_root_out(trees):
    for extra in ({"/var/lib/dpkg/status": DPKG.format("9.2p1")},
                  {"/etc/ssh/sshd_config": "PasswordAuthentication yes\nPermitRootLogin prohibit-password\n"}):
        out = _s1_1_02(_root_pw_tree(trees, **extra))
        assert not any(f.check == "CRED-DEFAULT-PASSWORD" for f in out.findings), (extra, out.reason)
    old = _s1_1_02(_root_pw_tree(trees, **{"/var/lib/dpkg/status": DPKG.format("6.9p1")}))
    hits = [f for f in old.findings if f.check == "CRED-DEFAULT-PASSWORD"]
    assert hits and "could not be read" not in hits[0].message  # a known old default: no caveat
