"""jcstar_agent.facts.accounts: passwd/shadow states, forced change, expiry, network logins."""
import os

from jcstar_agent import libcrypt
from jcstar_agent.config.schema import BoardConfig
from jcstar_agent.criteria.interface import Context
from jcstar_agent.facts import accounts
from jcstar_agent.target import Root


def ctx_of(root, cfg=None):
    return Context(Root(root, live=False), cfg or BoardConfig())


def test_states_and_flags(tree):
    h = libcrypt.load().hash("pw", "$6$abcdefgh$")
    root = tree({
        "/etc/passwd": "root:x:0:0::/root:/bin/sh\nop:x:1000:1000::/home/op:/bin/bash\n"
                       "lk:x:1001:1001::/:/bin/sh\nsvc:x:2:2::/:/usr/sbin/nologin\n"
                       "old:%s:1002:1002::/:\ngarbage line\nnop:x:1003:1003::/:/bin/sh\n" % h,
        "/etc/shadow": f"root::19000::::::\nop:{h}:0:0:99999:7:::\nlk:!{h}:19000:::::1:\n"
                       "svc:*:19000::::::\nnop:*::::::\n",
        "/etc/login.defs": "# c\nENCRYPT_METHOD YESCRYPT\nPASS_MIN_LEN 8\n",
    })
    acc = accounts.read(ctx_of(root))
    st = {a.name: a.state for a in acc.accounts}
    assert st == {"root": "empty", "op": "usable", "lk": "locked", "svc": "no-password",
                  "old": "usable", "nop": "no-password"}
    assert acc.get("op").forced_change and not acc.get("lk").forced_change
    assert acc.get("lk").expired
    assert not acc.get("svc").interactive and acc.get("old").interactive  # empty shell = /bin/sh
    assert acc.get("old").hash_source == "/etc/passwd:5"
    assert acc.get("op").scheme == "sha512crypt"
    assert h not in repr(acc.get("op")) and h.split("$")[-1] not in repr(acc)
    assert any("malformed" in e for e in acc.errors)
    assert acc.login_defs["ENCRYPT_METHOD"] == "YESCRYPT"


def test_unreadable_shadow(tree):
    root = tree({})
    os.chmod(os.path.join(root, "etc/shadow"), 0)
    acc = accounts.read(ctx_of(root))
    if os.geteuid() != 0:
        assert acc.shadow_error.startswith("permission denied") and acc.get("root").state == "unknown"


def test_network_logins_sshd_and_telnet(tree):
    root = tree({"/usr/sbin/sshd": b"OpenSSH_9.2p1",
                 "/etc/ssh/sshd_config": "PasswordAuthentication no\nAllowUsers op admin@10.*\n"
                                         "Match User admin\n PasswordAuthentication yes\n",
                 "/etc/inetd.conf": "#<off># telnet stream tcp nowait root /usr/sbin/tcpd /usr/sbin/in.telnetd\n"
                                    "telnet stream tcp nowait root /usr/sbin/tcpd /usr/sbin/in.telnetd\n"})
    ctx = ctx_of(root)
    nl = {n.service: n for n in accounts.network_logins(ctx)}
    assert set(nl) >= {"ssh", "telnet"}
    ssh = nl["ssh"]
    assert ssh.password and not ssh.root_password and ssh.allow_users == ["op", "admin@10.*"]
    a = accounts.Account("admin", 1000, 1000, shell="/bin/sh")
    b = accounts.Account("eve", 1001, 1001, shell="/bin/sh")
    assert ssh.admits(a) and not ssh.admits(b)
    assert nl["telnet"].port == 23 and nl["telnet"].source.startswith("/etc/inetd.conf:2")


def test_authentication_methods_publickey_only_takes_no_password(tree):
    root = tree({"/usr/sbin/sshd": b"OpenSSH_9.2p1",
                 "/etc/ssh/sshd_config": "PasswordAuthentication yes\nAuthenticationMethods publickey\n"})
    ssh = next(n for n in accounts.network_logins(ctx_of(root)) if n.service == "ssh")
    assert not ssh.password


def test_match_user_blocks_decide_per_account(tree):
    """'Match User pi' turning passwords off keeps pi out (no false default-password finding for a
    key-only account); turning them on for one user only does not let the others in."""
    root = tree({"/usr/sbin/sshd": b"OpenSSH_9.2p1",
                 "/etc/ssh/sshd_config": "PasswordAuthentication yes\nKbdInteractiveAuthentication no\n"
                                         "Match User pi,!op\n PasswordAuthentication no\n"})
    ssh = next(n for n in accounts.network_logins(ctx_of(root)) if n.service == "ssh")
    acct = {n: accounts.Account(n, 1000 + i, 1000, shell="/bin/sh") for i, n in enumerate(("pi", "op", "eve"))}
    assert [n for n, a in acct.items() if ssh.admits(a)] == ["op", "eve"]
    root = tree({"/etc/ssh/sshd_config": "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                                         "Match User admin\n PasswordAuthentication yes\n"})
    ssh = next(n for n in accounts.network_logins(ctx_of(root)) if n.service == "ssh")
    assert ssh.password and [n for n in ("admin", "op") if ssh.admits(accounts.Account(n, 1, 1, shell="/bin/sh"))] == ["admin"]
    # any other kind of Match block that turns passwords on may match anyone's connection
    root = tree({"/etc/ssh/sshd_config": "PasswordAuthentication yes\nKbdInteractiveAuthentication no\n"
                                         "Match Address 10.0.0.0/8\n PasswordAuthentication yes\n"
                                         "Match User pi\n PasswordAuthentication no\n"})
    ssh = next(n for n in accounts.network_logins(ctx_of(root)) if n.service == "ssh")
    assert ssh.admits(acct["pi"])


def test_match_block_turning_keyboard_interactive_on_is_a_password_login(tree):
    """With UsePAM yes, keyboard-interactive is PAM asking for the password."""
    conf = ("PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM {}\n"
            "Match Address 192.168.0.0/16\n KbdInteractiveAuthentication yes\n")
    root = tree({"/usr/sbin/sshd": b"OpenSSH_9.2p1", "/etc/ssh/sshd_config": conf.format("yes")})
    assert next(n for n in accounts.network_logins(ctx_of(root)) if n.service == "ssh").password
    root = tree({"/usr/sbin/sshd": b"OpenSSH_9.2p1", "/etc/ssh/sshd_config": conf.format("no")})
    assert not next(n for n in accounts.network_logins(ctx_of(root)) if n.service == "ssh").password


def test_live_running_telnetd_with_a_shell_is_seen(tmp_path):
    """Live, a running 'telnetd -l /bin/sh' counts even when no file in the image starts it."""
    import subprocess
    import sys

    p = subprocess.Popen(["telnetd", "-c", "import time; time.sleep(60)", "-l", "/bin/sh"],
                         executable=sys.executable)
    try:
        ctx = Context(Root("/", live=True), BoardConfig())
        found = [x for x in accounts.shell_logins(ctx) if x[2] == f"process {p.pid}"]
    finally:
        p.kill()
        p.wait()
    assert found == [("telnetd", "/bin/sh", f"process {p.pid}")]
