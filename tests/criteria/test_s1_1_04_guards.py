"""S1.1-04 from the daemons' own guards (each daemon module reads them, file:line).

Decided as an auditor would, before running: a ban or a delay that holds across connections
(proftpd mod_ban on failed logins, Webmin ``passdelay`` with host blocking) is brute-force
protection; a limit that only ends one connection (proftpd ``MaxLoginAttempts``, Webmin's block
settings that nothing counts without ``passdelay``) is not — a client reconnects at once; a ban
whose module may or may not be built in cannot be judged offline (manual); a PAM lockout in the
stack of a PAM daemon's service protects it like sshd's.
"""
from jcstar_agent.criteria import s1_1_04
from jcstar_agent.criteria.interface import Verdict
from jcstar_agent.report import i18n
from surface_testlib import enabled, make_ctx

BASE = {"/etc/passwd": "root:x:0:0::/root:/bin/sh\n", "/etc/shadow": "root:*:1::::::\n"}
PCONF = "/etc/proftpd/proftpd.conf"
BAN = ("<IfModule mod_ban.c>\nBanEngine on\nBanOnEvent MaxLoginAttempts 2/00:10:00 01:00:00\n"
       "</IfModule>\n")


def run(root):
    out = s1_1_04.evaluate(make_ctx(root))
    report = {"criteria": [{"reason": out.reason, "findings": [{"message": f.message} for f in out.findings]}]}
    assert i18n.missing(report) == []  # every new message has its Japanese entry
    return out


def problems(out):
    return [f.check for f in out.findings if f.is_problem]


def _proftpd(trees, conf):
    return trees(dict(BASE, **enabled("proftpd", f"/usr/sbin/proftpd -c {PCONF}"),
                      **{PCONF: conf, "/usr/sbin/proftpd": b""}))


def test_proftpd_mod_ban_protects(trees):
    out = run(_proftpd(trees, "LoadModule mod_ban.c\n" + BAN))
    assert out.verdict is Verdict.PASS, out.reason
    (f,) = [f for f in out.findings if f.check == "AUTH-BRUTEFORCE-PROTECTED"]
    assert f"({PCONF}:4)" in f.message and "BanOnEvent MaxLoginAttempts" in f.message
    assert {g["setting"]: g["protects"] for g in f.evidence["guards"]}["MaxLoginAttempts 3"] is False


def test_proftpd_max_login_attempts_alone_fails(trees):
    out = run(_proftpd(trees, "MaxLoginAttempts 2\n"))
    assert out.verdict is Verdict.FAIL and problems(out) == ["AUTH-BRUTEFORCE-UNPROTECTED"]
    assert f"MaxLoginAttempts 2 ({PCONF}:1): ends the connection only" in out.findings[0].message


def test_proftpd_ban_of_a_module_not_loaded_is_manual(trees):
    out = run(_proftpd(trees, BAN))
    assert out.verdict is Verdict.MANUAL and "LoadModule mod_ban.c" in out.reason


def _webmin(trees, conf, extra=None):
    files = dict(BASE, **enabled("webmin", "/usr/bin/perl /usr/share/webmin/miniserv.pl "
                                           "/etc/webmin/miniserv.conf"))
    files.update({"/etc/webmin/miniserv.conf": "port=10000\n" + conf,
                  "/etc/webmin/miniserv.users": "root:x:0\n"}, **(extra or {}))
    return trees(files)


def test_webmin_passdelay_and_host_blocking_protect(trees):
    out = run(_webmin(trees, "passdelay=1\nblockhost_failures=5\nblockhost_time=60\n"))
    assert out.verdict is Verdict.PASS, out.reason
    assert "blockhost_failures=5 blockhost_time=60 (/etc/webmin/miniserv.conf:3)" in out.findings[0].message


def test_webmin_block_settings_without_passdelay_fail(trees):
    out = run(_webmin(trees, "blockhost_failures=5\nblockhost_time=60\n"))
    assert out.verdict is Verdict.FAIL and problems(out) == ["AUTH-BRUTEFORCE-UNPROTECTED"]
    assert "miniserv.pl on port 10000" in out.findings[0].message
    assert "blockhost_failures=5 blockhost_time=60 (/etc/webmin/miniserv.conf:2): counted only with passdelay" \
        in out.findings[0].message


def test_pam_daemon_with_faillock_in_its_stack_is_protected(trees):
    pam = {"/etc/pam.d/webmin": "auth required pam_faillock.so preauth deny=4\n"
                                "auth [success=1 default=ignore] pam_unix.so\n"
                                "auth [default=die] pam_faillock.so authfail deny=4\n"}
    out = run(_webmin(trees, "", pam))
    assert out.verdict is Verdict.PASS and "pam_faillock.so deny=4 (/etc/pam.d/webmin:1)" in out.findings[0].message
    assert problems(run(_webmin(trees, ""))) == ["AUTH-BRUTEFORCE-UNPROTECTED"]
