"""S1.1-04: sshd penalties, PAM lockout in the stack sshd uses, fail2ban, dropbear, probes, NA."""
from jcstar_agent import probes
from jcstar_agent.config.schema import BoardConfig, Login
from jcstar_agent.criteria import s1_1_04
from jcstar_agent.criteria.interface import Context, Verdict
from jcstar_agent.target import Root

DPKG = "Package: openssh-server\nStatus: install ok installed\nVersion: 1:{}-1\n\n"
BASE = {"/etc/passwd": "root:x:0:0::/root:/bin/sh\n", "/etc/shadow": "root:*:1::::::\n",
        "/usr/sbin/sshd": b"", "/etc/ssh/sshd_config": "UsePAM yes\nMaxAuthTries 3\n",
        "/var/lib/dpkg/status": DPKG.format("9.2p1"),
        "/etc/pam.d/sshd": "@include common-auth\n",
        "/etc/pam.d/common-auth": "auth [success=1 default=ignore] pam_unix.so nullok\nauth requisite pam_deny.so\n"}


def run(path, cfg=None, probe=None):
    ctx = Context(Root(path, live=False), cfg or BoardConfig())
    if probe is not None:
        ctx._facts[probes.results] = probe
    return s1_1_04.evaluate(ctx)


def problems(out):
    return [f.check for f in out.findings if f.is_problem]


def test_stock_openssh_92_unprotected(trees):
    out = run(trees(BASE))
    assert out.verdict is Verdict.FAIL and problems(out) == ["AUTH-BRUTEFORCE-UNPROTECTED"]
    ev = out.findings[0].evidence
    assert ev["port"] == 22 and ev["maxauthtries"] == "3" and ev["openssh_version"] == "9.2"


def test_openssh_98_penalties_default_and_disabled(trees):
    root = trees(dict(BASE, **{"/var/lib/dpkg/status": DPKG.format("9.8p1")}))
    out = run(root)
    assert out.verdict is Verdict.PASS and "PerSourcePenalties yes (default" in out.findings[0].message
    root = trees(dict(BASE, **{"/var/lib/dpkg/status": DPKG.format("9.8p1"),
                                                   "/etc/ssh/sshd_config": "PerSourcePenalties no\n"}))
    assert problems(run(root)) == ["AUTH-BRUTEFORCE-UNPROTECTED"]
    # written into the config of an OpenSSH without the option (9.2): no protection
    root = trees(dict(BASE, **{"/etc/ssh/sshd_config": "UsePAM yes\nPerSourcePenalties yes\n"}))
    out = run(root)
    assert problems(out) == ["AUTH-BRUTEFORCE-UNPROTECTED"]
    assert "9.8+" in out.findings[0].evidence["persourcepenalties_note"]


def test_faillock_counts_only_with_usepam(trees):
    auth = {"/etc/pam.d/common-auth": "auth required pam_faillock.so preauth deny=5\n"
                                      "auth [success=1 default=ignore] pam_unix.so\n"
                                      "auth [default=die] pam_faillock.so authfail deny=5\n"}
    out = run(trees(dict(BASE, **auth)))
    assert out.verdict is Verdict.PASS and "pam_faillock.so deny=5 (/etc/pam.d/common-auth:1)" in out.reason + out.findings[0].message
    out = run(trees(dict(BASE, **auth, **{"/etc/ssh/sshd_config": "UsePAM no\n"})))
    assert problems(out) == ["AUTH-BRUTEFORCE-UNPROTECTED"]


def test_fail2ban_jail_and_key_only_ssh(trees):
    f2b = {"/etc/fail2ban/jail.conf": "[sshd]\nport=ssh\n", "/etc/fail2ban/jail.d/x.conf": "[sshd]\nenabled=true\n",
           "/usr/bin/fail2ban-server": "#!/usr/bin/python3\n"}
    exe = {"/usr/bin/fail2ban-server": 0o755}
    assert run(trees(dict(BASE, **f2b), exe)).verdict is Verdict.PASS
    # the package removed, its conffiles left: the jail protects nothing
    removed = {k: v for k, v in f2b.items() if k != "/usr/bin/fail2ban-server"}
    assert problems(run(trees(dict(BASE, **removed)))) == ["AUTH-BRUTEFORCE-UNPROTECTED"]
    f2b["/etc/fail2ban/jail.d/x.conf"] = "[sshd]\nenabled=false\n"
    assert problems(run(trees(dict(BASE, **f2b), exe))) == ["AUTH-BRUTEFORCE-UNPROTECTED"]
    keyonly = {"/etc/ssh/sshd_config": "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"}
    out = run(trees(dict(BASE, **keyonly)))
    assert out.verdict is Verdict.MANUAL and not problems(out)


def test_dropbear_needs_a_guard(trees):
    files = {"/etc/passwd": "root:x:0:0::/root:/bin/sh\n", "/etc/shadow": "root:*:1::::::\n",
             "/etc/default/dropbear": "DROPBEAR_PORT=2222\n", "/usr/sbin/sshguard": "",
             "/usr/sbin/dropbear": ""}
    out = run(trees(files))
    assert problems(out) == ["AUTH-BRUTEFORCE-UNPROTECTED"] and out.findings[0].evidence["port"] == 2222
    root = trees(files, {"/usr/sbin/sshguard": 0o755})
    assert run(root).verdict is Verdict.PASS


def test_probe_results_win(trees):
    root = trees(dict(BASE, **{"/var/lib/dpkg/status": DPKG.format("9.8p1")}))
    bad = probes.BruteForceProbe("ssh", "ssh", 22, attempts=30, seconds=3.1, protected=False)
    out = run(root, probe=probes.ProbeResults(brute_force=[bad]))
    assert problems(out) == ["AUTH-BRUTEFORCE-PROBE-UNPROTECTED"]
    assert out.findings[0].evidence["attempts"] == 30 and "port 22" in out.reason
    good = probes.BruteForceProbe("ssh", "ssh", 22, attempts=8, seconds=20.0, delayed=True, protected=True)
    out = run(trees(BASE), probe=probes.ProbeResults(brute_force=[good]))
    assert out.verdict is Verdict.PASS


def test_app_logins_and_na(trees):
    root = trees({"/etc/passwd": "root:x:0:0::/root:/bin/sh\n"})
    cfg = BoardConfig(logins=[Login(name="web", kind="app", protocol="http-form", port=443)])
    assert run(root, cfg).verdict is Verdict.MANUAL
    cfg.logins[0].lockout = "5 failures lock the account for 10 minutes"
    assert run(root, cfg).verdict is Verdict.PASS
    cfg = BoardConfig()
    cfg.product.constrained = True
    assert run(root, cfg).verdict is Verdict.MANUAL
    cfg.product.constrained_reason = "battery-only sensor, no credential input"
    out = run(root, cfg)
    assert out.verdict is Verdict.NA and "battery-only" in out.reason


def test_declared_na_contradicted_by_a_password_login(trees):
    from jcstar_agent import libcrypt

    files = {"/etc/passwd": "root:x:0:0::/root:/bin/sh\npi:x:1000:1000::/home/pi:/bin/bash\n",
             "/etc/shadow": f"root:*:1::::::\npi:{libcrypt.load().hash('x9#Lq!vB72mzP', '$6$abcdefgh$')}:1::::::\n",
             "/usr/sbin/sshd": b"OpenSSH_9.2p1", "/etc/ssh/sshd_config": "UsePAM yes\n"}
    cfg = BoardConfig(not_applicable={"S1.1-04": "no network user access"})
    out = run(trees(files), cfg)
    assert out.verdict is Verdict.FAIL and [f.check for f in out.findings] == ["CRED-NA-CONTRADICTED"]
    assert "ssh on port 22" in out.reason
    files["/etc/shadow"] = "root:*:1::::::\npi:!:1::::::\n"  # nobody can use the password login
    assert run(trees(files), cfg).verdict is Verdict.NA
