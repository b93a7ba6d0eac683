"""S1.1-02 on synthetic trees: empty, bundled, derived and vendor-list passwords; options 1 and 2."""
import json

import pytest

from jcstar_agent import libcrypt
from jcstar_agent.config.schema import BoardConfig, Login
from jcstar_agent.criteria import s1_1_02
from jcstar_agent.criteria.interface import Context, Options, Verdict
from jcstar_agent.target import Root

SSHD = {"/usr/sbin/sshd": b"OpenSSH_9.2p1", "/etc/ssh/sshd_config": "UsePAM yes\n"}
PWQ = {"/etc/pam.d/passwd": "@include common-password\n",
       "/etc/pam.d/sshd": "@include common-auth\n@include common-password\n",  # as Debian's
       "/etc/pam.d/common-password": "password requisite pam_pwquality.so retry=3\n"
                                     "password [success=1 default=ignore] pam_unix.so obscure yescrypt\n"
                                     "password requisite pam_deny.so\n"}


def h(pw, salt="$6$abcdefgh$"):
    return libcrypt.load().hash(pw, salt)


def run(root, config=None, budget=20.0):
    ctx = Context(Root(root, live=False), config or BoardConfig(), Options(password_budget=budget))
    return s1_1_02.evaluate(ctx)


def files(shadow_lines, passwd_extra="", extra=None):
    f = dict(SSHD)
    f["/etc/passwd"] = "root:x:0:0:root:/root:/bin/sh\n" + passwd_extra
    f["/etc/shadow"] = "root:*:19000:0:99999:7:::\n" + "".join(shadow_lines)
    f.update(extra or {})
    return f


def checks(out):
    return [f.check for f in out.findings if f.is_problem]


def test_bundled_default_caught_without_leaking(tree):
    hashed = h("raspberry")
    root = tree(files([f"pi:{hashed}:19000:0:99999:7:::\n"], "pi:x:1000:1000::/home/pi:/bin/bash\n"))
    out = run(root)
    assert out.verdict is Verdict.FAIL and checks(out) == ["CRED-DEFAULT-PASSWORD"]
    f = out.findings[0]
    assert f.evidence["account"] == "pi" and f.evidence["matched"] == "bundled default list"
    text = json.dumps([vars(x) for x in out.findings]) + out.reason
    assert "raspberry" not in text and hashed not in text and hashed.split("$")[-1] not in text


def test_des_hash_of_an_old_image_is_cracked(tree):
    """Old BusyBox images store DES crypt (13 characters): tested, not 'not testable'."""
    hashed = h("admin", "ab")
    assert len(hashed) == 13
    root = tree(files([f"admin:{hashed}:19000:0:99999:7:::\n"], "admin:x:1000:1000::/home/admin:/bin/sh\n"))
    out = run(root)
    assert checks(out) == ["CRED-DEFAULT-PASSWORD"] and "not testable" not in out.reason


def test_strong_password_not_caught_manual_without_declaration(tree):
    root = tree(files([f"op:{h('x9#Lq!vB72mzP')}:19000:0:99999:7:::\n"],
                      "op:x:1000:1000::/home/op:/bin/sh\n"))
    out = run(root)
    assert out.verdict is Verdict.MANUAL and "not declared" in out.reason
    cfg = BoardConfig(logins=[Login(name="ssh", protocol="ssh", accounts=["op"], default_password="unique",
                                    generation="printed label, 12 random chars from the HSM")])
    assert run(root, cfg).verdict is Verdict.PASS


def test_empty_password_fails(tree):
    root = tree(files(["op::19000:0:99999:7:::\n"], "op:x:1000:1000::/home/op:/bin/sh\n",
                      {"/etc/ssh/sshd_config": "PermitEmptyPasswords yes\n"}))
    out = run(root)
    assert "CRED-EMPTY-PASSWORD" in checks(out)


@pytest.mark.parametrize("pw,label", [("gw-0001", "derived from the hostname"),
                                      ("Gw00011", "derived from the hostname"),
                                      ("a1b2c3", "derived from a MAC address (last 6 hex digits)"),
                                      ("ACME-SECRET-77", "vendor dictionary")])
def test_derived_and_vendor_candidates(tree, pw, label):
    root = tree(files([f"op:{h(pw)}:19000:0:99999:7:::\n"], "op:x:1000:1000::/home/op:/bin/sh\n"))
    cfg = BoardConfig()
    cfg.product.mac_addresses = ["00:11:22:a1:b2:c3"]
    cfg.passwords.dictionary = ["ACME-SECRET-77"]
    out = run(root, cfg)
    assert checks(out) == ["CRED-DEFAULT-PASSWORD"] and out.findings[0].evidence["matched"] == label


def test_option2_forced_change_with_pwquality_passes(tree):
    root = tree(files([f"pi:{h('raspberry')}:0:0:99999:7:::\n"], "pi:x:1000:1000::/home/pi:/bin/bash\n", PWQ))
    cfg = BoardConfig(logins=[Login(name="ssh", protocol="ssh", accounts=["pi"],
                                    default_password="forced-change")])
    out = run(root, cfg)
    assert out.verdict is Verdict.PASS, out.reason
    assert [f.check for f in out.findings][0] == "CRED-DEFAULT-PASSWORD-FORCED-CHANGE"


def test_option2_judges_the_stack_that_sets_the_new_password(tree):
    """With UsePAM yes sshd changes an expired password through its own PAM stack: a pwquality
    rule in passwd's stack alone does not bind the first-login change over ssh."""
    pam_files = {"/etc/pam.d/passwd": PWQ["/etc/pam.d/passwd"],
                 "/etc/pam.d/common-password": PWQ["/etc/pam.d/common-password"],
                 "/etc/pam.d/sshd": "auth required pam_unix.so\npassword required pam_unix.so\n"}
    root = tree(files([f"pi:{h('raspberry')}:0:0:99999:7:::\n"], "pi:x:1000:1000::/home/pi:/bin/bash\n",
                      pam_files))
    cfg = BoardConfig(logins=[Login(name="ssh", protocol="ssh", accounts=["pi"],
                                    default_password="forced-change")])
    out = run(root, cfg)
    assert "CRED-FORCED-CHANGE-WEAK-LENGTH" in checks(out)
    weak = next(f for f in out.findings if f.check == "CRED-FORCED-CHANGE-WEAK-LENGTH")
    assert weak.evidence["pam_stack"] == "/etc/pam.d/sshd"
    pam_files["/etc/pam.d/sshd"] = "auth required pam_unix.so\n@include common-password\n"
    root = tree(files([f"pi:{h('raspberry')}:0:0:99999:7:::\n"], "pi:x:1000:1000::/home/pi:/bin/bash\n",
                      pam_files))
    assert run(root, cfg).verdict is Verdict.PASS


def test_option2_without_length_rule_fails(tree):
    root = tree(files([f"pi:{h('raspberry')}:0:0:99999:7:::\n"], "pi:x:1000:1000::/home/pi:/bin/bash\n"))
    cfg = BoardConfig(logins=[Login(name="ssh", protocol="ssh", accounts=["pi"],
                                    default_password="forced-change")])
    assert "CRED-FORCED-CHANGE-WEAK-LENGTH" in checks(run(root, cfg))


def test_declared_forced_change_but_flag_missing(tree):
    root = tree(files([f"op:{h('x9#Lq!vB72mzP')}:19000:0:99999:7:::\n"],
                      "op:x:1000:1000::/home/op:/bin/sh\n", PWQ))
    cfg = BoardConfig(logins=[Login(name="ssh", protocol="ssh", accounts=["op"],
                                    default_password="forced-change")])
    assert checks(run(root, cfg)) == ["CRED-FORCED-CHANGE-MISSING"]


def test_budget_cut_says_partial(tree):
    root = tree(files([f"op:{h('x9#Lq!vB72mzP', '$y$j9T$abcdefghijklmnop$')}:19000:0:99999:7:::\n"],
                      "op:x:1000:1000::/home/op:/bin/sh\n"))
    out = run(root, budget=0.2)
    assert "partial" in out.reason
    # everything declared, nothing found, but not every candidate tried: not a pass
    cfg = BoardConfig(logins=[Login(name="ssh", protocol="ssh", accounts=["op"], default_password="unique",
                                    generation="printed label, 12 random chars from the HSM")])
    out = run(root, cfg, budget=0.2)
    assert out.verdict is Verdict.MANUAL and "partial" in out.reason
    assert run(root, cfg, budget=120).verdict is Verdict.PASS


def test_locked_and_nologin_accounts_skipped(tree):
    root = tree(files([f"a:!{h('raspberry')}:19000:0:99999:7:::\n", f"b:{h('raspberry')}:19000:0:99999:7:::\n"],
                      "a:x:1000:1000::/home/a:/bin/sh\nb:x:1001:1001::/:/usr/sbin/nologin\n"))
    out = run(root)
    assert checks(out) == [] and out.verdict is Verdict.MANUAL


def test_root_excluded_by_prohibit_password(tree):
    f = files([])
    f["/etc/shadow"] = f"root:{h('root')}:19000:0:99999:7:::\n"
    out = run(tree(f))
    assert checks(out) == []
    f["/etc/ssh/sshd_config"] = "PermitRootLogin yes\n"
    assert checks(run(tree(f))) == ["CRED-DEFAULT-PASSWORD"]


def test_declared_na(tree):
    root = tree({})  # root has no password, no sshd
    cfg = BoardConfig(not_applicable={"S1.1-02": "no network login at all"})
    assert run(root, cfg).verdict is Verdict.NA
    assert run(root).verdict is Verdict.MANUAL


def test_na_contradicted(tree):
    root = tree(files([f"op:{h('x9#Lq!vB72mzP')}:19000:0:99999:7:::\n"], "op:x:1000:1000::/home/op:/bin/sh\n"))
    cfg = BoardConfig(not_applicable={"S1.1-02": "none"})
    assert checks(run(root, cfg)) == ["CRED-NA-CONTRADICTED"]


def test_garbage_everywhere_no_crash(trees):
    """Garbage bytes, a FIFO, a symlink loop, a huge file in every file the credential readers
    open: every criterion still answers with a verdict and a reason, never an internal error."""
    import os

    from jcstar_agent import check

    junk = bytes(range(256)) * 64 + b"\n:::\n\xff\xfe:\x00:x:y:z:\n[sshd\nenabled = \x00\n"
    paths = ["/etc/passwd", "/etc/shadow", "/etc/group", "/etc/login.defs", "/etc/ssh/sshd_config",
             "/etc/pam.d/sshd", "/etc/pam.d/passwd", "/etc/default/dropbear", "/etc/config/dropbear",
             "/etc/fail2ban/jail.conf", "/etc/mosquitto/mosquitto.conf", "/etc/nginx/nginx.conf",
             "/etc/lighttpd/lighttpd.conf", "/etc/inetd.conf", "/var/lib/dpkg/status",
             "/etc/security/pwquality.conf", "/usr/sbin/sshd", "/etc/wpa_supplicant/wpa_supplicant.conf"]
    files = {p: junk for p in paths}
    files["/etc/ssh/sshd_config"] = junk + b"\nInclude /etc/ssh/loop/*\nPort 99999\nPort abc\n"
    files["/etc/ssh/loop/a"] = ("symlink", "/etc/ssh/loop/a")
    files["/etc/nginx/conf.d/x.conf"] = "auth_basic_user_file /dev/zero;\n"
    files["/etc/mosquitto/mosquitto.conf"] = junk + b"\npassword_file /etc/mosquitto/huge\ninclude_dir /etc\n"
    files["/etc/mosquitto/huge"] = b"u:" + b"A" * (5 << 20)
    root = trees(files)
    os.mkfifo(os.path.join(root, "etc/app.fifo"))
    cfg = BoardConfig(logins=[Login(name="x", kind="app", store="/etc/app.fifo")])
    rep = check.run(Context(Root(root, live=False), cfg, Options(password_budget=5)),
                    only=("S1.1-01", "S1.1-02", "S1.1-03", "S1.1-04", "S1.1-11"))
    assert len(rep.criteria) == 5
    for c in rep.criteria:
        assert c.reason and "internal error" not in c.reason, (c.id, c.reason)


def test_docs_login_example_loads(tmp_path):
    """The check catalogue's credentials example (docs/checks.md) is a valid board config for the
    strict loader."""
    import os
    import re

    from jcstar_agent.config import loader

    page = open(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "checks.md"), encoding="utf-8").read()
    section = page[page.index("<!-- BEGIN catalogue-credentials -->"):
                   page.index("<!-- END catalogue-credentials -->")]
    path = tmp_path / "board.toml"
    path.write_text(re.search(r"```toml\n(.*?)```", section, re.S).group(1))
    cfg = loader.load(str(path))
    assert [lg.default_password for lg in cfg.logins] == ["forced-change", "unique"]


def test_threads_capped_by_free_memory_for_memory_hard_schemes(trees):
    root = trees({"/proc/meminfo": "MemTotal: 262144 kB\nMemAvailable: 100000 kB\n"})
    live = Context(Root(root, live=True), BoardConfig())
    assert s1_1_02._threads(live, {"yescrypt"}) == 1  # ~97 MiB free: one 64 MiB slot
    assert s1_1_02._threads(live, {"sha512crypt"}) is None
    assert s1_1_02._threads(Context(Root(root, live=False), BoardConfig()), {"yescrypt"}) is None


def test_openwrt_luci_root_password_is_a_network_login(trees):
    """issue 13 item 2: rpcd logs root in over HTTP with its /etc/shadow password ('$p$root')."""
    import os

    tree = {"/etc/passwd": "root:x:0:0:root:/root:/bin/ash\n",
            "/etc/shadow": f"root:{h('admin')}:19000:0:99999:7:::\n",
            "/usr/sbin/uhttpd": b"", "/etc/config/rpcd":
                "config login\n\toption username 'root'\n\toption password '$p$root'\n"}
    root = trees(tree)
    os.chmod(os.path.join(root, "usr/sbin/uhttpd"), 0o755)  # no init known: installed = started
    out = run(root)
    assert out.verdict is Verdict.FAIL and checks(out) == ["CRED-DEFAULT-PASSWORD"], out.reason
    f = next(f for f in out.findings if f.check == "CRED-DEFAULT-PASSWORD")
    assert f.evidence["account"] == "root" and f.evidence["logins"] == ["luci"]


def test_logins_without_passwords_are_named_not_said_absent(tree, trees):
    # sshd with keys only: a network login exists; "no network login found" would be false
    root = tree(files(["admin:" + h("Str0ng-and-l0ng!") + ":19000:0:99999:7:::\n"],
                      "admin:x:1000:1000::/home/admin:/bin/sh\n",
                      {"/etc/ssh/sshd_config": "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"}))
    out = run(root)
    assert out.verdict is Verdict.MANUAL, out.reason
    assert "no network login found" not in out.reason
    assert "ask for no account password" in out.reason and "ssh (" in out.reason
    # nothing at all: the old wording stays true
    bare = trees({"/etc/passwd": "root:x:0:0:root:/root:/bin/sh\n", "/etc/shadow": "root:*:19000::::::\n"})
    assert "no network login found" in run(bare).reason


def test_an_snmpv3_passphrase_written_in_the_image_is_a_shared_credential(trees):
    # Decided before running: "createUser adm SHA <passphrase>" in the image gives every unit the
    # same SNMPv3 credential for a user with access — a universal default (fail), named by file
    # and line, the passphrase never printed. Users with localized keys only (usmUser, what snmpd
    # writes after its first start on the unit), a commented line or a user with no access are not.
    base = {"/etc/passwd": "root:x:0:0:root:/root:/bin/sh\n", "/etc/shadow": "root:*:19000::::::\n",
            "/usr/sbin/snmpd": b"", "/etc/snmp/snmpd.conf": "agentaddress udp:161\nrwuser adm priv\n"}
    exe = {"/usr/sbin/snmpd": 0o755}
    shipped = dict(base, **{"/var/lib/snmp/snmpd.conf": "# persistent\ncreateUser adm SHA-512 \"Sh1pped-Pass\" AES \"Pr1v-Pass\"\n"})
    out = run(trees(shipped, exe))
    [f] = [f for f in out.findings if f.check == "CRED-IMAGE-SECRET"]
    assert out.verdict is Verdict.FAIL and f.severity == "high"
    assert "'adm'" in f.message and "/var/lib/snmp/snmpd.conf:2" in f.message
    assert "Sh1pped" not in json.dumps([x.evidence for x in out.findings]) + out.reason + f.message
    # declared unique per device: provisioning replaces the image's passphrase (info, no fail)
    declared = BoardConfig(logins=[Login(name="snmp", kind="app", accounts=["adm"], default_password="unique",
                                         generation="snmpd createUser written per unit at provisioning")])
    out = run(trees(shipped, exe), declared)
    [f] = [f for f in out.findings if f.check == "CRED-IMAGE-SECRET"]
    assert f.severity == "info" and "'unique'" in f.message and out.verdict is not Verdict.FAIL, out.reason
    for files in (dict(base, **{"/var/lib/snmp/snmpd.conf": "usmUser 1 3 0x80001f88 0x61646d00 0x61646d00 NULL .1.3.6.1.6.3.10.1.1.3 0xab12 .1.3.6.1.6.3.10.1.2.4 0xcd34 \"\"\n"}),
                  dict(base, **{"/etc/snmp/snmpd.conf": base["/etc/snmp/snmpd.conf"] + "#createUser adm SHA \"x\"\n"}),
                  dict(base, **{"/etc/snmp/snmpd.conf": "agentaddress udp:161\nrwuser adm priv\ncreateUser other SHA \"x1234567\"\n"})):
        out = run(trees(files, exe))
        assert not any(f.check == "CRED-IMAGE-SECRET" for f in out.findings), files


def test_live_a_written_passphrase_may_be_this_units_own(trees):
    # live, /etc/snmp/snmpd.conf may have been written for this unit at provisioning: not a
    # shared credential the agent can show — info, and manual until [[logins]] declares it
    from jcstar_agent.facts import accounts as accounts_facts
    from jcstar_agent.facts.network_logins import NetLogin

    root = trees({"/etc/passwd": "root:x:0:0:root:/root:/bin/sh\n", "/etc/shadow": "root:*:19000::::::\n"})
    snmp = NetLogin("snmp", 161, "/etc/snmp/snmpd.conf:2", password=False, root_password=False,
                    empty_allowed=False, kind="usm", image_secrets=[("adm", "/etc/snmp/snmpd.conf:3")])
    for config, verdict in ((BoardConfig(), Verdict.MANUAL),
                            (BoardConfig(logins=[Login(name="snmp", kind="app", accounts=["adm"],
                                                       default_password="unique",
                                                       generation="per-unit at provisioning")]), None)):
        ctx = Context(Root(root, live=True), config, Options(password_budget=5))
        ctx.answer_with(accounts_facts.network_logins, lambda _c: [snmp])
        out = s1_1_02.evaluate(ctx)
        [f] = [f for f in out.findings if f.check == "CRED-IMAGE-SECRET"]
        assert f.severity == "info" and "/etc/snmp/snmpd.conf:3" in f.message
        if verdict:
            assert out.verdict is verdict and "snmp user 'adm'" in out.reason, out.reason
        else:
            assert "snmp user 'adm'" not in out.reason and out.verdict is not Verdict.FAIL, out.reason
