"""S1.1-01 on synthetic trees: each unauthenticated way in caught, the hardened variant passing."""
from jcstar_agent.config.schema import BoardConfig, Listener
from jcstar_agent.criteria import s1_1_01
from jcstar_agent.criteria.interface import Context, Verdict
from jcstar_agent.facts import listeners
from jcstar_agent.target import Root

BASE = {"/etc/passwd": "root:x:0:0:root:/root:/bin/sh\n", "/etc/shadow": "root:*:19000::::::\n",
        "/usr/sbin/sshd": b"OpenSSH_9.2p1", "/etc/ssh/sshd_config": "PermitEmptyPasswords no\n"}


def run(path, cfg=None, items=None):
    ctx = Context(Root(path, live=False), cfg or BoardConfig())
    if items is not None:  # the listener reader is another module's: give its answer directly
        ctx._facts[listeners.read] = listeners.Listeners(items, "offline inference")
    return s1_1_01.evaluate(ctx)


def problems(out):
    return sorted(f.check for f in out.findings if f.is_problem)


def test_each_defect_caught(trees):
    root = trees(dict(BASE, **{
        "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\ntoor:x:0:0::/:/bin/sh\n",
        "/etc/shadow": "root:*:19000::::::\ntoor::19000::::::\n",
        "/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\n",
        "/etc/ssh/sshd_config.d/10-dev.conf": "Match Address 10.0.0.0/8\n PermitEmptyPasswords yes\n",
        "/etc/default/dropbear": "DROPBEAR_EXTRA_ARGS=-B\n", "/usr/sbin/dropbear": b"",
        "/etc/inetd.conf": "telnet stream tcp nowait root /usr/sbin/tcpd /usr/sbin/in.telnetd\n",
        "/etc/mosquitto/mosquitto.conf": "listener 1883\nallow_anonymous true\n"}))
    out = run(root, items=[])
    assert out.verdict is Verdict.FAIL
    assert problems(out) == ["ACCT-DUPLICATE-UID0", "AUTH-CLEARTEXT-LOGIN", "AUTH-UID0-NO-PASSWORD",
                             "DROPBEAR-BLANK-PASSWORDS", "MQTT-ANONYMOUS", "SSH-PERMIT-EMPTY-PASSWORDS"]
    ssh = next(f for f in out.findings if f.check == "SSH-PERMIT-EMPTY-PASSWORDS")
    assert ssh.evidence == {"path": "/etc/ssh/sshd_config.d/10-dev.conf:2", "match": "Address 10.0.0.0/8"}


def test_config_left_by_a_removed_server_logs_nobody_in(trees):
    """'apt remove openssh-server dropbear' keeps sshd_config and /etc/default/dropbear."""
    files = {"/etc/passwd": BASE["/etc/passwd"], "/etc/shadow": BASE["/etc/shadow"],
             "/etc/ssh/sshd_config": "PermitEmptyPasswords yes\n",
             "/etc/default/dropbear": "DROPBEAR_EXTRA_ARGS=-B\n"}
    out = run(trees(files), items=[])
    assert problems(out) == [] and out.verdict is Verdict.PASS
    files.update({"/usr/sbin/sshd": b"OpenSSH_9.2p1", "/usr/sbin/dropbear": b""})
    assert problems(run(trees(files), items=[])) == ["DROPBEAR-BLANK-PASSWORDS", "SSH-PERMIT-EMPTY-PASSWORDS"]


def test_hardened_passes_and_listeners_declared(trees):
    root = trees(dict(BASE, **{
        "/etc/mosquitto/mosquitto.conf": "listener 1883 127.0.0.1\nallow_anonymous true\n"}))
    items = [listeners.Listener("tcp", 22, "*", "sshd"), listeners.Listener("tcp", 631, "127.0.0.1"),
             listeners.Listener("udp", 5353, "*", "avahi")]
    cfg = BoardConfig(listeners=[Listener(port=22, auth="key"),
                                 Listener(proto="udp", port=5353, auth="none", purpose="mDNS")])
    out = run(root, cfg, items)
    assert out.verdict is Verdict.PASS, out.reason
    assert {f.check for f in out.findings} == {"LISTENER-AUTH-DECLARED", "LISTENER-NO-AUTH-DECLARED"}
    # sshd's authentication is read from its config: no declaration needed to judge it (issue 13)
    cfg.listeners[0].auth = ""
    out = run(root, cfg, items)
    assert out.verdict is Verdict.PASS and problems(out) == [], out.reason
    assert {f.check for f in out.findings} == {"LISTENER-AUTH-SEEN", "LISTENER-NO-AUTH-DECLARED"}
    # undeclared: sshd still judged by its config; avahi's authentication cannot be seen -> manual,
    # never a fail of S1.1-01 (the undeclared port is S1.1-13's failure)
    out = run(root, BoardConfig(), items)
    assert out.verdict is Verdict.MANUAL and problems(out) == [], out.reason
    assert "udp/5353 (avahi)" in out.reason and "tcp/22" not in out.reason
    assert [f.evidence["port"] for f in out.findings if f.check == "LISTENER-AUTH-UNDECLARED"] == [5353]


def test_listener_part_unavailable_is_manual_not_fail(trees):
    root = trees(BASE)
    ctx = Context(Root(root, live=False), BoardConfig())
    ctx._facts[listeners.read] = listeners.Listeners([], "offline inference", ["not implemented"])
    out = s1_1_01.evaluate(ctx)
    assert out.verdict is Verdict.MANUAL and "listener part could not run" in out.reason


def test_declared_na(trees):
    quiet = {"/etc/passwd": BASE["/etc/passwd"], "/etc/shadow": BASE["/etc/shadow"]}
    out = run(trees(quiet), BoardConfig(not_applicable={"S1.1-01": "no IP at all"}))
    assert out.verdict is Verdict.NA and "no IP at all" in out.reason


def test_declared_na_contradicted_by_a_real_login(trees):
    """An sshd (even key-only), a LAN MQTT listener: the device has an IP access path."""
    cfg = BoardConfig(not_applicable={"S1.1-01": "no IP at all"})
    out = run(trees(dict(BASE, **{"/etc/ssh/sshd_config": "PasswordAuthentication no\n"})), cfg)
    assert out.verdict is Verdict.FAIL and problems(out) == ["CRED-NA-CONTRADICTED"]
    assert "ssh on port 22" in out.reason and out.findings[0].evidence["criterion"] == "S1.1-01"
    # an sshd bound to loopback only is no way in over IP
    lo = dict(BASE, **{"/etc/ssh/sshd_config": "ListenAddress 127.0.0.1\nListenAddress [::1]:22\n"})
    assert run(trees(lo), cfg).verdict is Verdict.NA
    mqtt = {"/etc/passwd": BASE["/etc/passwd"],
            "/etc/mosquitto/mosquitto.conf": "listener 1883 0.0.0.0\nallow_anonymous false\n"}
    out = run(trees(mqtt), cfg)
    assert problems(out) == ["CRED-NA-CONTRADICTED"] and "mqtt listener on port 1883" in out.reason


def test_telnetd_running_a_shell_is_a_login_without_authentication(trees):
    """BusyBox 'telnetd -l /bin/sh' from inittab (the Mirai-era camera default) and netkit's
    in.telnetd -L /bin/bash behind tcpd: a shell for anyone; telnetd -l /bin/login is not."""
    files = {"/etc/passwd": BASE["/etc/passwd"], "/etc/shadow": BASE["/etc/shadow"],
             "/etc/inittab": "::sysinit:/etc/init.d/rcS\n::respawn:/usr/sbin/telnetd -F -l /bin/sh\n"
                             "::respawn:/sbin/getty 115200 ttyS0\n",
             "/etc/inetd.conf": "telnet stream tcp nowait root /usr/sbin/tcpd /usr/sbin/in.telnetd -L /bin/bash\n"
                                "2323 stream tcp nowait root /usr/sbin/in.telnetd in.telnetd -L /bin/login\n"}
    out = run(trees(files), items=[])
    shells = [f for f in out.findings if f.check == "AUTH-SHELL-WITHOUT-LOGIN"]
    assert sorted((f.evidence["login_program"], f.evidence["path"]) for f in shells) == [
        ("/bin/bash", "/etc/inetd.conf:1"), ("/bin/sh", "/etc/inittab:2")]
    assert out.verdict is Verdict.FAIL and all(f.severity == "critical" for f in shells)
    files["/etc/inittab"] = "::respawn:/usr/sbin/telnetd -F -l /bin/login\n"
    files["/etc/inetd.conf"] = "telnet stream tcp nowait root /usr/sbin/tcpd /usr/sbin/in.telnetd\n"
    out = run(trees(files), items=[])
    assert not [f for f in out.findings if f.check == "AUTH-SHELL-WITHOUT-LOGIN"]


def _redis_open(trees):
    return trees(dict(BASE, **{
        "/lib/systemd/systemd": "", "/lib/systemd/system/multi-user.target": "[Unit]\n",
        "/lib/systemd/system/redis-server.service": "[Service]\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf\n",
        "/etc/systemd/system/multi-user.target.wants/redis-server.service":
            ("symlink", "/lib/systemd/system/redis-server.service"),
        "/etc/redis/redis.conf": "bind 0.0.0.0\nprotected-mode no\n"}))


def test_daemon_config_open_to_the_network_fails_unless_declared_none(trees):
    """Issue 24: a daemon whose own config serves clients without credentials fails
    SERVICE-NO-AUTH naming file:line; the vendor's auth = "none" with a purpose is the
    statement that nothing protected is served (evidence, not a failure)."""
    root = _redis_open(trees)
    out = run(root)
    assert out.verdict is Verdict.FAIL and "SERVICE-NO-AUTH" in problems(out)
    hit = next(f for f in out.findings if f.check == "SERVICE-NO-AUTH")
    assert hit.evidence["port"] == 6379 and hit.evidence["path"] == "/etc/redis/redis.conf:1"
    cfg = BoardConfig(listeners=[Listener(port=6379, auth="none", purpose="cache of public data")])
    out = run(root, cfg)
    assert "SERVICE-NO-AUTH" not in problems(out)
    assert any(f.check == "LISTENER-NO-AUTH-DECLARED" for f in out.findings)


def test_daemon_config_open_on_loopback_only_is_not_a_way_in(trees):
    root = _redis_open(trees)
    with open(f"{root}/etc/redis/redis.conf", "w") as fh:
        fh.write("bind 127.0.0.1\nprotected-mode no\n")
    out = run(root)
    assert "SERVICE-NO-AUTH" not in problems(out) and out.verdict is Verdict.PASS
