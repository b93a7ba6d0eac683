"""jcstar_agent.facts.pam: the stack sshd really runs, lockout and minimum length."""
from jcstar_agent.facts import pam
from jcstar_agent.target import Root

COMMON = {
    "/etc/pam.d/sshd": "@include common-auth\naccount required pam_nologin.so\n"
                       "auth substack extra-auth\n-session optional pam_systemd.so\n",
    "/etc/pam.d/common-auth": "auth required pam_faildelay.so delay=4000000\n"
                              "auth [success=1 default=ignore] pam_unix.so nullok\n"
                              "auth requisite pam_deny.so\n",
    "/etc/pam.d/extra-auth": "auth required pam_faillock.so preauth \\\n silent\n"
                             "auth [default=die] pam_faillock.so authfail\n"
                             "account required pam_faillock.so\n",
    "/etc/security/faillock.conf": "# deny = 3\ndeny = 5\nunlock_time = 600\n",
}


def test_stack_follows_includes_and_substack(tree):
    root = Root(tree(COMMON), live=False)
    st = pam.stack(root, "sshd")
    mods = [(r.type, r.module) for r in st.rules]
    assert ("auth", "pam_unix.so") in mods and ("auth", "pam_faillock.so") in mods
    assert ("account", "pam_faillock.so") not in mods  # substack of type auth only
    assert st.of("auth", "pam_faillock.so")[0].args == ["preauth", "silent"]
    assert st.rules[-1].optional_missing_ok
    lk = pam.lockout(root, st)
    assert lk.module == "pam_faillock.so" and lk.deny == 5 and lk.unlock_time == 600
    assert lk.fail_delay_us == 4000000 and lk.source.startswith("/etc/pam.d/extra-auth:1")


def test_tally2_without_deny_is_no_lockout_and_loop_bounded(tree):
    root = Root(tree({"/etc/pam.d/sshd": "auth required pam_tally2.so onerr=fail\n@include sshd\n"}),
                live=False)
    st = pam.stack(root, "sshd")
    assert pam.lockout(root, st).deny is None
    assert any("loop" in e for e in st.errors)


def test_other_fallback_and_pam_conf(trees):
    root = Root(trees({"/etc/pam.d/other": "auth required pam_deny.so\n"}), live=False)
    assert pam.stack(root, "sshd").path == "/etc/pam.d/other"
    root = Root(trees({"/etc/pam.conf": "sshd auth required pam_tally2.so deny=4\n"}),
                live=False)
    assert pam.lockout(root, pam.stack(root, "sshd")).deny == 4


def test_min_length(trees):
    root = Root(trees({"/etc/pam.d/passwd": "password requisite pam_pwquality.so retry=3\n",
                                           "/etc/security/pwquality.conf": "minlen = 12\n"}), live=False)
    assert pam.min_length(root, pam.stack(root, "passwd")).length == 12
    root = Root(trees({"/etc/pam.d/passwd": "password requisite pam_cracklib.so\n"}),
                live=False)
    assert pam.min_length(root, pam.stack(root, "passwd")).length == 6  # 9 minus 4 credits, floor 6
    root = Root(trees({"/etc/pam.d/passwd": "password optional pam_pwquality.so minlen=20\n"
                                                                "password required pam_unix.so minlen=8\n"}),
                live=False)
    ml = pam.min_length(root, pam.stack(root, "passwd"))
    assert ml.length == 8 and ml.module == "pam_unix.so"


def test_real_debian_stacks(debian_rootfs):
    root = Root(debian_rootfs, live=False)
    st = pam.stack(root, "sshd")
    assert st.path == "/etc/pam.d/sshd" and st.of("auth", "pam_unix.so") and not st.errors
    assert pam.lockout(root, st).deny is None
    assert pam.min_length(root, pam.stack(root, "passwd")).length >= 8  # libpam-pwquality


def test_positive_credits_shorten_the_minimum(trees):
    root = Root(trees({"/etc/pam.d/passwd": "password requisite pam_pwquality.so dcredit=2\n",
                       "/etc/security/pwquality.conf": "minlen = 10\nucredit = 1\nlcredit = -1\n"}), live=False)
    assert pam.min_length(root, pam.stack(root, "passwd")).length == 7
    root = Root(trees({"/etc/pam.d/passwd": "password required pam_cracklib.so minlen=14 dcredit=-1 "
                                            "ucredit=-1 lcredit=0 ocredit=bad\n"}), live=False)
    assert pam.min_length(root, pam.stack(root, "passwd")).length == 14


def test_warning_only_quality_modules_enforce_nothing(trees):
    """pwquality 'enforcing = 0' (conf or argument) and passwdqc 'enforce=none' only print a warning."""
    root = Root(trees({"/etc/pam.d/passwd": "password requisite pam_pwquality.so minlen=12\n",
                       "/etc/security/pwquality.conf": "enforcing = 0\n"}), live=False)
    assert pam.min_length(root, pam.stack(root, "passwd")).length == 0
    root = Root(trees({"/etc/pam.d/passwd": "password requisite pam_pwquality.so enforcing=0\n"}), live=False)
    assert pam.min_length(root, pam.stack(root, "passwd")).length == 0
    root = Root(trees({"/etc/pam.d/passwd": "password requisite pam_pwquality.so enforcing=1\n"}), live=False)
    assert pam.min_length(root, pam.stack(root, "passwd")).length == 8
    root = Root(trees({"/etc/pam.d/passwd": "password requisite pam_passwdqc.so enforce=none\n"}), live=False)
    assert pam.min_length(root, pam.stack(root, "passwd")).length == 0
    root = Root(trees({"/etc/pam.d/passwd": "password requisite pam_passwdqc.so min=disabled,10,10,8,8\n"}),
                live=False)
    assert pam.min_length(root, pam.stack(root, "passwd")).length == 8


def test_faillock_preauth_alone_records_no_failure(trees):
    auth = ("auth requisite pam_faillock.so preauth deny=4\nauth [success=1 default=ignore] pam_unix.so\n"
            "{}auth requisite pam_deny.so\nauth required pam_permit.so\n")
    root = Root(trees({"/etc/pam.d/sshd": auth.format("auth [default=die] pam_faillock.so authfail\n")}), live=False)
    lk = pam.lockout(root, pam.stack(root, "sshd"))
    assert lk.module == "pam_faillock.so" and lk.deny == 4
    root = Root(trees({"/etc/pam.d/sshd": auth.format("")}), live=False)
    lk = pam.lockout(root, pam.stack(root, "sshd"))
    assert lk.deny is None and "no 'authfail' rule" in lk.source
