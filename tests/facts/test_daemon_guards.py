"""Each daemon module's brute-force guards (its own config, file:line) and the logins moved out of
network_logins (proftpd, rlogind, rpcd, cockpit), on small synthetic trees.

Expectations are the daemons' documented behaviour, written before running: proftpd's
MaxLoginAttempts (default 3) ends one connection only, mod_ban's ``BanOnEvent MaxLoginAttempts``
bans the address (a lockout) when mod_ban is loaded; miniserv counts failures only with
``passdelay``; OpenSSH's PerSourcePenalties exists from 9.8; vsftpd's and dropbear's limits are
per connection.
"""
import os

from jcstar_agent.facts import network_logins
from jcstar_agent.facts.daemons import proftpd, webmin
from surface_testlib import enabled, make_ctx

PASSWD = {"/etc/passwd": "root:x:0:0::/root:/bin/sh\nop:x:1000:1000::/home/op:/bin/sh\n"}
PCONF = "/etc/proftpd/proftpd.conf"


def _logins(root):
    return {n.service: n for n in network_logins.read(make_ctx(root))}


def _proftpd(trees, conf, extra=None):
    files = dict(PASSWD, **enabled("proftpd", f"/usr/sbin/proftpd -c {PCONF}"))
    files.update({PCONF: conf, "/usr/sbin/proftpd": b""}, **(extra or {}))
    return trees(files)


def test_proftpd_port_include_and_inetd_mode(trees):
    root = _proftpd(trees, "Include /etc/proftpd/conf.d/*.conf\n<VirtualHost 10.0.0.1>\nPort 2222\n"
                           "</VirtualHost>\n", {"/etc/proftpd/conf.d/port.conf": "# ours\nPort 2121\n"})
    ctx = make_ctx(root)
    f = proftpd.read(ctx, ["/usr/sbin/proftpd", "-c", PCONF], "unit")
    assert [(x.port, x.service, x.tls, x.source) for x in f.listeners] == [
        (2121, "ftp", False, "/etc/proftpd/conf.d/port.conf:2")]
    ftp = _logins(root)["ftp"]
    assert (ftp.port, ftp.pam_service, ftp.tls) == (2121, "ftp", False)
    root = _proftpd(trees, "ServerType inetd\n")
    assert proftpd.read(make_ctx(root), ["/usr/sbin/proftpd"], "unit").listeners == []


def test_proftpd_tls_required_and_pam_service(trees):
    root = _proftpd(trees, "TLSEngine on\nTLSRequired on\nAuthPAMConfig proftpd\n")
    ftp = _logins(root)["ftp"]
    assert (ftp.port, ftp.tls, ftp.pam_service) == (21, True, "proftpd")


def test_proftpd_max_login_attempts_is_evidence_only(trees):
    root = _proftpd(trees, "Port 21\n")
    (g,) = _logins(root)["ftp"].guards
    assert (g.setting, g.source, g.locks) == ("MaxLoginAttempts 3", f"{PCONF} (default)", False)
    root = _proftpd(trees, "MaxLoginAttempts 2\n<Anonymous ~ftp>\nMaxLoginAttempts 9\n</Anonymous>\n")
    (g,) = _logins(root)["ftp"].guards
    assert (g.setting, g.source, g.locks) == ("MaxLoginAttempts 2", f"{PCONF}:1", False)


def test_proftpd_mod_ban_is_a_lockout_when_loaded(trees):
    ban = ("<IfModule mod_ban.c>\n  BanEngine on\n  BanTable /var/lib/proftpd/ban.tab\n"
           "  BanOnEvent MaxLoginAttempts 2/00:10:00 01:00:00\n</IfModule>\n")
    root = _proftpd(trees, "Include /etc/proftpd/modules.conf\n" + ban,
                    {"/etc/proftpd/modules.conf": "LoadModule mod_ban.c\n"})
    g = _logins(root)["ftp"].guards[-1]
    assert g.locks is True and g.source == f"{PCONF}:5"
    assert g.setting.startswith("BanOnEvent MaxLoginAttempts 2/00:10:00 01:00:00")
    # the same block, mod_ban not loaded (commented out): built in or not cannot be read
    root = _proftpd(trees, "Include /etc/proftpd/modules.conf\n" + ban,
                    {"/etc/proftpd/modules.conf": "# LoadModule mod_ban.c\n"})
    g = _logins(root)["ftp"].guards[-1]
    assert g.locks is None and "LoadModule mod_ban.c" in g.note
    # banned on an event that is no failed login, or BanEngine off: no ban guard
    root = _proftpd(trees, "LoadModule mod_ban.c\nBanEngine on\nBanOnEvent ClientConnectRate 5/00:00:10 00:10:00\n")
    assert [g.setting for g in _logins(root)["ftp"].guards] == ["MaxLoginAttempts 3"]
    root = _proftpd(trees, "LoadModule mod_ban.c\nBanEngine off\nBanOnEvent MaxLoginAttempts 2/00:10:00 01:00:00\n")
    assert len(_logins(root)["ftp"].guards) == 1


def test_busybox_ftpd_is_not_taken_by_proftpd(trees):
    """A proftpd listener is proftpd's login, a tcpsvd ftpd on another port stays the generic one."""
    root = _proftpd(trees, "Port 2121\n", dict(enabled("ftp", "/usr/bin/tcpsvd -vE 0.0.0.0 21 ftpd -w /srv"),
                                                **{"/usr/bin/tcpsvd": b""}))
    got = sorted((n.port, len(n.guards)) for n in network_logins.read(make_ctx(root)) if n.service == "ftp")
    assert got == [(21, 0), (2121, 1)]


WEBMIN = "/etc/webmin/miniserv.conf"


def _webmin(trees, conf):
    return trees({WEBMIN: "port=10000\n" + conf, "/etc/webmin/miniserv.users": "root:x:0\n"})


def test_webmin_guards_count_only_with_passdelay(trees):
    ctx = make_ctx(_webmin(trees, "passdelay=1\nblockhost_failures=5\nblockhost_time=60\n"))
    (login,) = webmin.read(ctx, ["/usr/share/webmin/miniserv.pl", WEBMIN], "unit").pam
    assert [(g.setting, g.source, g.locks) for g in login.guards] == [
        ("passdelay=1", f"{WEBMIN}:2", True),
        ("blockhost_failures=5 blockhost_time=60", f"{WEBMIN}:3", True)]
    ctx = make_ctx(_webmin(trees, "blockhost_failures=5\nblockhost_time=60\nblockuser_failures=3\n"))
    (login,) = webmin.read(ctx, ["/usr/share/webmin/miniserv.pl", WEBMIN], "unit").pam
    assert [g.locks for g in login.guards] == [False, False]  # nothing counts the failures
    ctx = make_ctx(_webmin(trees, "passdelay=1\ninetd=1\n"))
    assert webmin.read(ctx, ["/usr/share/webmin/miniserv.pl", WEBMIN], "unit").pam[0].guards == []


DPKG = "Package: openssh-server\nStatus: install ok installed\nVersion: 1:{}-1\n\n"


def _ssh(trees, version, conf):
    root = trees(dict(PASSWD, **enabled("ssh", "/usr/sbin/sshd -D"), **{
        "/usr/sbin/sshd": b"", "/etc/ssh/sshd_config": conf, "/var/lib/dpkg/status": DPKG.format(version)}))
    return _logins(root)["ssh"].guards


def test_sshd_guards_by_version(trees):
    g = {x.setting.split()[0]: x for x in _ssh(trees, "9.8p1", "MaxAuthTries 4\n")}
    assert g["PerSourcePenalties"].locks is True and g["PerSourcePenalties"].source.startswith("default")
    assert (g["MaxAuthTries"].locks, g["MaxAuthTries"].source) == (False, "/etc/ssh/sshd_config:1")
    assert g["MaxStartups"].locks is False
    g = {x.setting.split()[0]: x for x in _ssh(trees, "9.2p1", "PerSourcePenalties yes\n")}
    assert g["PerSourcePenalties"].locks is False and "9.8+" in g["PerSourcePenalties"].note
    g = {x.setting.split()[0]: x for x in _ssh(trees, "9.9p1", "PerSourcePenalties no\n")}
    assert "PerSourcePenalties" not in g


def test_vsftpd_and_dropbear_limits_are_per_connection(trees):
    root = trees(dict(PASSWD, **enabled("vsftpd", "/usr/sbin/vsftpd"), **{
        "/usr/sbin/vsftpd": b"", "/etc/vsftpd.conf": "listen=YES\nlocal_enable=YES\nmax_login_fails=5\n"}))
    os.chmod(os.path.join(root, "usr/sbin/vsftpd"), 0o755)
    assert [(g.setting, g.source, g.locks) for g in _logins(root)["ftp"].guards] == [
        ("max_login_fails=5", "/etc/vsftpd.conf:3", False),
        ("delay_failed_login=1", "/etc/vsftpd.conf (default)", False)]
    root = trees(dict(PASSWD, **enabled("dropbear", "/usr/sbin/dropbear -F -T 3"), **{"/usr/sbin/dropbear": b""}))
    os.chmod(os.path.join(root, "usr/sbin/dropbear"), 0o755)
    (g,) = _logins(root)["dropbear"].guards
    assert (g.setting, g.locks) == ("-T 3", False)


def test_rlogin_line_of_an_unrecognised_init_is_assumed_served(trees):
    """No init system recognised: the listeners cannot be seen, so an enabled inetd rlogin line
    counts (assumed served); a telnet line is telnetd's, never rlogind's too."""
    root = trees(dict(PASSWD, **{
        "/etc/inetd.conf": "telnet stream tcp nowait root /usr/sbin/in.telnetd in.telnetd\n"
                           "login stream tcp nowait root /usr/sbin/in.rlogind in.rlogind\n"}))
    got = {n.service: (n.port, n.pam_service, n.tls) for n in network_logins.read(make_ctx(root))}
    assert got["rlogin"] == (513, "rlogin", False) and got["telnet"] == (23, "login", False)


PG = "/etc/postgresql/15/main"


def test_postgresql_auth_delay_is_evidence_only_when_preloaded_and_set(trees):
    from jcstar_agent.facts.daemons import postgresql

    hba = "hostssl all all ::/0 pam\n"
    argv = ["/usr/bin/pg_ctlcluster", "15", "main", "start"]

    def pam_guards(conf):
        root = trees({f"{PG}/postgresql.conf": "listen_addresses = '*'\n" + conf, f"{PG}/pg_hba.conf": hba})
        (login,) = postgresql.read(make_ctx(root), argv, "unit").pam
        return [(g.setting, g.source, g.locks) for g in login.guards]
    assert pam_guards("shared_preload_libraries = 'pg_stat_statements,auth_delay'\n"
                      "auth_delay.milliseconds = 500\n") == [
        ("auth_delay.milliseconds = 500", f"{PG}/postgresql.conf:3", False)]
    assert pam_guards("auth_delay.milliseconds = 500\n") == []  # the module is not loaded
    assert pam_guards("shared_preload_libraries = 'auth_delay'\n") == []  # its default is 0 ms
