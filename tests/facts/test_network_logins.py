"""jcstar_agent.facts.network_logins: which logins are started and reachable, and each daemon's own
config semantics (vsftpd PAM service, ftpusers, userlist, anonymous, limits; SNMP communities)."""
import os

from jcstar_agent.facts.daemons import snmpd
from jcstar_agent.facts import listeners, network_logins
from jcstar_agent.facts.accounts import Account
from surface_testlib import enabled, make_ctx

VSFTPD_PAM = ("auth required pam_listfile.so item=user sense=deny file=/etc/ftpusers onerr=succeed\n"
              "auth required pam_unix.so nullok\n")


def _tree(tree, files):
    root = tree(files)
    for exe in ("usr/sbin/vsftpd", "usr/sbin/snmpd", "usr/sbin/sshd", "usr/sbin/inetd"):
        p = os.path.join(root, exe)
        if os.path.exists(p):
            os.chmod(p, 0o755)
    return root


def _logins(root):
    return {n.service: n for n in network_logins.read(make_ctx(root))}


def test_vsftpd_started_local_accounts_through_its_pam_service(tree):
    root = _tree(tree, dict(enabled("vsftpd", "/usr/sbin/vsftpd /etc/vsftpd.conf"), **{
        "/usr/sbin/vsftpd": b"", "/etc/pam.d/vsftpd": VSFTPD_PAM,
        "/etc/ftpusers": "# no ftp\nroot\nbin\n",
        "/etc/vsftpd.conf": "listen=NO\nlisten_ipv6=YES\nanonymous_enable=NO\nlocal_enable=YES\n"
                            "pam_service_name=vsftpd\nmax_login_fails=5\ndelay_failed_login=2\n"
                            "userlist_enable=YES\nuserlist_file=/etc/vsftpd.user_list\n",
        "/etc/vsftpd.user_list": "guest\n"}))
    ftp = _logins(root)["ftp"]
    assert (ftp.port, ftp.address, ftp.pam_service, ftp.tls, ftp.anonymous) == (21, "*", "vsftpd", False, False)
    assert (ftp.max_failures, ftp.fail_delay, ftp.chroot, ftp.empty_allowed) == (5, 2.0, False, True)
    assert ftp.source == "/etc/vsftpd.conf:4"
    op, root_, guest = (Account("op", 1000, 1000, shell="/bin/sh"), Account("root", 0, 0),
                        Account("guest", 1001, 1001, shell="/bin/sh"))
    assert ftp.admits(op) and not ftp.admits(root_) and not ftp.admits(guest)


def test_vsftpd_builtin_defaults_and_tls(tree):
    # no local_enable line: vsftpd's own default is NO (only anonymous, its default YES)
    files = dict(enabled("vsftpd", "/usr/sbin/vsftpd"), **{"/usr/sbin/vsftpd": b"",
                                                          "/etc/vsftpd.conf": "listen=YES\n"})
    ftp = _logins(_tree(tree, files))["ftp"]
    assert not ftp.password and ftp.anonymous and ftp.pam_service == "ftp"
    assert not ftp.admits(Account("op", 1000, 1000, shell="/bin/sh"))


def test_vsftpd_not_started_or_loopback_only_is_no_network_login(tree, trees):
    conf = {"/usr/sbin/vsftpd": b"", "/etc/vsftpd.conf": "local_enable=YES\n",
            "/etc/systemd/system/multi-user.target.wants/other.service": ("symlink", "/dev/null"),
            "/lib/systemd/system/vsftpd.service": "[Service]\nExecStart=/usr/sbin/vsftpd\n"}
    assert "ftp" not in _logins(_tree(tree, conf))  # installed, unit present, not enabled
    files = dict(enabled("vsftpd", "/usr/sbin/vsftpd"), **{
        "/usr/sbin/vsftpd": b"", "/etc/vsftpd.conf": "local_enable=YES\nlisten_address=127.0.0.1\n"})
    root = trees(dict(files, **{"/etc/passwd": "root:x:0:0::/root:/bin/sh\n"}))
    os.chmod(os.path.join(root, "usr/sbin/vsftpd"), 0o755)
    assert "ftp" not in _logins(root)


def test_telnet_line_counts_only_when_inetd_starts(trees):
    line = {"/etc/passwd": "root:x:0:0::/root:/bin/sh\n",
            "/etc/inetd.conf": "telnet stream tcp nowait root /usr/sbin/tcpd /usr/sbin/telnetd\n",
            "/usr/sbin/inetd": b"",
            "/lib/systemd/system/inetd.service": "[Service]\nExecStart=/usr/sbin/inetd\n",
            "/etc/systemd/system/multi-user.target.wants/ssh.service": ("symlink", "/dev/null")}
    assert "telnet" not in _logins(_tree(trees, line))
    started = dict(line, **enabled("inetd", "/usr/sbin/inetd"))
    started.pop("/etc/systemd/system/multi-user.target.wants/ssh.service")
    telnet = _logins(_tree(trees, started))["telnet"]
    assert telnet.port == 23 and telnet.tls is False and telnet.pam_service == "login"


def test_snmp_default_community_reachable(tree):
    files = dict(enabled("snmpd", "/usr/sbin/snmpd -LOw -u Debian-snmp -g Debian-snmp -I -smux"), **{
        "/usr/sbin/snmpd": b"",
        "/etc/snmp/snmpd.conf": "agentaddress udp:161\nrocommunity  public default -V systemonly\n",
        "/etc/snmp/snmpd.conf.d/site.conf": "com2sec local localhost s3cr3t-c0mmunity\n"})
    snmp = _logins(_tree(tree, files))["snmp"]
    assert snmp.kind == "community" and snmp.default_credentials == ["public"]
    assert snmp.source == "/etc/snmp/snmpd.conf:2" and snmp.port == 161
    assert not snmp.admits(Account("op", 1000, 1000, shell="/bin/sh"))
    # the site's own community is known in memory only, never copied into the login
    assert "s3cr3t" not in repr(snmp)


def test_snmp_loopback_only_is_no_network_login(tree):
    files = dict(enabled("snmpd", "/usr/sbin/snmpd"), **{
        "/usr/sbin/snmpd": b"", "/etc/snmp/snmpd.conf": "agentaddress 127.0.0.1,[::1]\nrocommunity public\n"})
    assert "snmp" not in _logins(_tree(tree, files))


def test_snmp_v3_users_are_a_login_unless_one_needs_no_authentication(tree, trees):
    base = dict(enabled("snmpd", "/usr/sbin/snmpd"), **{"/usr/sbin/snmpd": b""})
    v3 = ("agentaddress udp:161\ncreateUser mon SHA \"pw-not-copied\" AES\nrouser -s usm mon priv\nrwuser adm\n"
          "createUser adm SHA \"pw-not-copied\"\n")
    snmp = _logins(_tree(tree, dict(base, **{"/etc/snmp/snmpd.conf": v3})))["snmp"]
    assert snmp.kind == "usm" and snmp.port == 161 and snmp.source == "/etc/snmp/snmpd.conf:3"
    assert snmp.tls is False  # adm defaults to auth: not encrypted
    assert "pw-not-copied" not in repr(snmp)
    noauth = "agentaddress udp:161\ncreateUser guest\nrouser guest noauth\n"
    root = trees(dict(base, **{"/etc/snmp/snmpd.conf": noauth}))
    os.chmod(os.path.join(root, "usr/sbin/snmpd"), 0o755)
    assert "snmp" not in _logins(root)


def test_live_listener_without_a_process_name_matches_by_port(tree):
    """Live without root: the socket table hides other users' processes; inetd's telnet is known
    by its port."""
    ctx = make_ctx(tree({}), live=True)
    ctx._facts[listeners.read] = listeners.Listeners(
        [listeners.Listener("tcp", 23, "*", "", "socket (ipv4)"),
         listeners.Listener("tcp", 513, "127.0.0.1", "", "socket (ipv4)", loopback_only=True)],
        "live sockets")
    got = {n.service: n.port for n in network_logins.read(ctx)}
    assert got == {"telnet": 23}


def test_busybox_ftpd_behind_tcpsvd_is_an_ftp_login(trees):
    files = dict(enabled("ftp", "/usr/bin/tcpsvd -vE 0.0.0.0 21 ftpd -w /srv/ftp"), **{
        "/etc/passwd": "root:x:0:0::/root:/bin/sh\n", "/usr/bin/tcpsvd": b""})
    ftp = _logins(_tree(trees, files))["ftp"]
    assert (ftp.port, ftp.tls, ftp.pam_service, ftp.kind) == (21, False, "ftp", "account")
    assert ftp.admits(Account("op", 1000, 1000, shell="/bin/sh"))


def test_openwrt_luci_logs_root_in_with_its_system_password(trees):
    files = dict(enabled("uhttpd", "/usr/sbin/uhttpd -f -p 0.0.0.0:80 -h /www"), **{
        "/etc/passwd": "root:x:0:0::/root:/bin/ash\n",
        "/etc/config/rpcd": "config login\n\toption username 'root'\n\toption password '$p$root'\n"
                            "\tlist read '*'\n"})
    luci = _logins(_tree(trees, files))["luci"]
    assert (luci.port, luci.allow_users, luci.source) == (80, ["root"], "/etc/config/rpcd:3")
    assert luci.admits(Account("root", 0, 0, shell="/bin/ash"))
    assert not luci.admits(Account("op", 1000, 1000, shell="/bin/ash"))
    files["/etc/config/rpcd"] = "config rpcd\n\toption socket /var/run/ubus/ubus.sock\n"
    assert "luci" not in _logins(_tree(trees, files))  # no login section: nobody


def test_cockpit_socket_is_a_pam_login(trees):
    files = {"/etc/passwd": "root:x:0:0::/root:/bin/sh\n",
             "/lib/systemd/system/cockpit.socket": "[Socket]\nListenStream=9090\n",
             "/etc/systemd/system/sockets.target.wants/cockpit.socket":
                 ("symlink", "/lib/systemd/system/cockpit.socket")}
    cockpit = _logins(_tree(trees, files))["cockpit"]
    assert (cockpit.port, cockpit.pam_service, cockpit.tls, cockpit.root_password) == (9090, "cockpit", True, False)



def test_sshd_match_user_authentication_methods_and_loopback_blocks(tree):
    """A Match User block whose AuthenticationMethods names no password method keeps its users
    from password logins; a global one does the same for everyone else; a Match Address block of
    loopback addresses only turns passwords on for nobody over the network."""
    root = _tree(tree, dict(enabled("ssh", "/usr/sbin/sshd -D"), **{"/usr/sbin/sshd": b"\x7fELF OpenSSH_9.2p1"}))

    def ssh(conf):
        os.makedirs(os.path.join(root, "etc/ssh"), exist_ok=True)
        with open(os.path.join(root, "etc/ssh/sshd_config"), "w") as fh:
            fh.write(conf)
        return _logins(root)["ssh"]
    admin, op = Account("admin", 1000, 1000, shell="/bin/sh"), Account("op", 1001, 1001, shell="/bin/sh")
    s = ssh("PasswordAuthentication yes\nMatch User admin\n  AuthenticationMethods publickey\n")
    assert not s.admits(admin) and s.admits(op)
    s = ssh("AuthenticationMethods publickey\nMatch User admin\n  AuthenticationMethods password\n")
    assert s.admits(admin) and not s.admits(op)
    s = ssh("PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            "Match Address 127.0.0.1,::1\n  PasswordAuthentication yes\n")
    assert not s.password and not s.admits(admin)



def test_snmp_localhost_communities_and_users_never_created_are_no_login(tree):
    """Debian's snmpd.conf opened to the network with 'public' for localhost/::1 only, and its
    'rouser authPrivUser' that no createUser/usmUser line creates: nobody on the network logs in;
    a usmUser line snmpd persisted (hex name) makes the user a login again."""
    root = _tree(tree, dict(enabled("snmpd", "/usr/sbin/snmpd"), **{
        "/usr/sbin/snmpd": b"",
        "/etc/snmp/snmpd.conf": "agentaddress udp:161\nrocommunity public localhost -V systemonly\n"
                                "rocommunity6 public ::1\ncom2sec local 127.0.0.1 private\n"
                                "rouser authPrivUser authpriv -V systemonly\n"}))
    assert snmpd.snmp_communities(make_ctx(root).root) == []
    assert "snmp" not in _logins(root)
    os.makedirs(os.path.join(root, "var/lib/snmp"), exist_ok=True)
    with open(os.path.join(root, "var/lib/snmp/snmpd.conf"), "w") as fh:
        fh.write("usmUser 1 3 0x80001f88 0x%s 0x%s NULL .1.3.6.1.6.3.10.1.1.3 0x00 "
                 ".1.3.6.1.6.3.10.1.2.4 0x00 \"\"\n" % (b"authPrivUser".hex(), b"authPrivUser".hex()))
    snmp = _logins(root)["snmp"]
    assert snmp.kind == "usm" and snmp.tls is True
