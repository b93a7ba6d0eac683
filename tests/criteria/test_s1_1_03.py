"""S1.1-03: a change mechanism per login."""
import os

from jcstar_agent import libcrypt
from jcstar_agent.config.schema import BoardConfig, Login
from jcstar_agent.criteria import s1_1_03
from jcstar_agent.criteria.interface import Context, Verdict
from jcstar_agent.target import Root


def base():
    h = libcrypt.load().hash("x9#Lq!vB72mzP", "$6$abcdefgh$")
    return {"/etc/passwd": "root:x:0:0::/root:/bin/sh\nop:x:1000:1000::/home/op:/bin/sh\n",
            "/etc/shadow": f"root:*:1::::::\nop:{h}:19000::::::\n",
            "/usr/sbin/sshd": b"OpenSSH_9.2p1", "/etc/ssh/sshd_config": "\n"}


def run(path, cfg=None):
    return s1_1_03.evaluate(Context(Root(path, live=False), cfg or BoardConfig()))


def test_passwd_present_passes_missing_fails(trees):
    files = dict(base(), **{"/usr/bin/passwd": "#!/bin/sh\n"})
    root = trees(files, {"/usr/bin/passwd": 0o755})
    out = run(root)
    assert out.verdict is Verdict.PASS and out.findings[0].evidence == {"account": "op", "path": "/usr/bin/passwd"}
    out = run(trees(base()))
    assert out.verdict is Verdict.FAIL and [f.check for f in out.findings] == ["CRED-CHANGE-MISSING"]
    assert "'op'" in out.reason


def test_busybox_applet_link(trees):
    files = dict(base(), **{"/bin/busybox": "", "/bin/passwd": ("symlink", "busybox")})
    root = trees(files)
    os.chmod(os.path.join(root, "bin/busybox"), 0o755)
    assert run(root).verdict is Verdict.PASS


def test_app_logins(trees):
    files = dict(base(), **{"/usr/bin/passwd": "", "/usr/bin/webpw": "",
                            "/etc/mosquitto/mosquitto.conf": "password_file /etc/mosquitto/pw\n",
                            "/etc/mosquitto/pw": "u:$7$101$abc$def\n"})
    root = trees(files, {"/usr/bin/passwd": 0o755, "/usr/bin/webpw": 0o755})
    out = run(root)
    assert out.verdict is Verdict.MANUAL and "/etc/mosquitto/pw" in out.reason
    cfg = BoardConfig(logins=[
        Login(name="mqtt", kind="app", store="/etc/mosquitto/pw", change="/usr/bin/webpw --user"),
        Login(name="web", kind="app", change="POST /api/v1/password")])
    out = run(root, cfg)
    assert out.verdict is Verdict.PASS, out.reason
    assert {f.check for f in out.findings} == {"CRED-CHANGE-AVAILABLE", "CRED-CHANGE-DECLARED"}
    cfg.logins[0].change = "/usr/sbin/missing-tool"
    out = run(root, cfg)
    assert [f.check for f in out.findings if f.is_problem] == ["CRED-CHANGE-COMMAND-MISSING"]
    cfg.logins[0].change = ""
    assert run(root, cfg).verdict is Verdict.MANUAL


def test_nothing_found_is_manual_and_na_declared(trees):
    root = trees({"/etc/passwd": "root:x:0:0::/root:/bin/sh\n", "/etc/shadow": "root:*:1::::::\n"})
    assert run(root).verdict is Verdict.MANUAL
    assert run(root, BoardConfig(not_applicable={"S1.1-03": "no login"})).verdict is Verdict.NA


def test_declared_na_contradicted_by_a_password_login(trees):
    from jcstar_agent import libcrypt

    files = {"/etc/passwd": "root:x:0:0::/root:/bin/sh\nop:x:1000:1000::/home/op:/bin/sh\n",
             "/etc/shadow": f"root:*:1::::::\nop:{libcrypt.load().hash('x9#Lq!vB72mzP', '$6$abcdefgh$')}:1::::::\n",
             "/usr/sbin/sshd": b"OpenSSH_9.2p1", "/etc/ssh/sshd_config": "UsePAM yes\n"}
    cfg = BoardConfig(not_applicable={"S1.1-03": "no network user authentication"})
    out = run(trees(files), cfg)
    assert out.verdict is Verdict.FAIL and [f.check for f in out.findings] == ["CRED-NA-CONTRADICTED"]
    # key-only sshd: no user authentication by password, the declaration holds
    files["/etc/ssh/sshd_config"] = "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
    assert run(trees(files), cfg).verdict is Verdict.NA
