"""Offline listener inference: systemd, inetd/xinetd, SysV/BusyBox init, daemon configs."""
import os

from jcstar_agent.config import BoardConfig
from jcstar_agent.criteria import Context, Options
from jcstar_agent.facts import daemons, inetd, initscripts, listeners_offline, systemd
from jcstar_agent.target import Root


def ctx_of(root, live=False):
    return Context(Root(root, live=live), BoardConfig(), Options())


def by_port(root, live=False):
    s = ctx_of(root, live).fact(listeners_offline.surface)
    return {(x.proto, x.port): x for x in s.listeners}, s


WANTS = "/etc/systemd/system/multi-user.target.wants"
LIB = "/lib/systemd/system"


def unit(execstart, extra=""):
    return f"[Unit]\nDescription=x\n\n[Service]\n{extra}ExecStart={execstart}\n\n[Install]\nWantedBy=multi-user.target\n"


# --- systemd ---------------------------------------------------------------------------------
def test_systemd_enabled_socket_unit_gives_listeners_with_file_and_line(tree):
    root = tree({
        f"{LIB}/telnet.socket": "[Unit]\nDescription=t\n[Socket]\nListenStream=23\nListenStream=/run/x.sock\n"
                                "ListenDatagram=127.0.0.1:5000\nAccept=yes\n",
        f"{LIB}/telnet@.service": unit("-/usr/sbin/in.telnetd"),
        "/etc/systemd/system/sockets.target.wants/telnet.socket": ("symlink", f"{LIB}/telnet.socket"),
    })
    ports, s = by_port(root)
    t = ports[("tcp", 23)]
    assert t.service == "telnet" and t.address == "*" and not t.loopback_only
    assert t.source.startswith(f"{LIB}/telnet.socket:4")
    u = ports[("udp", 5000)]
    assert u.loopback_only and u.address == "127.0.0.1"
    assert len(s.listeners) == 2  # the unix socket is not an IP listener


def test_systemd_masked_unit_and_presets_are_not_enablement(tree):
    root = tree({
        f"{LIB}/dropbear.service": unit("/usr/sbin/dropbear -F -p 2222"),
        f"{LIB}/mosquitto.service": unit("/usr/sbin/mosquitto"),
        f"{WANTS}/dropbear.service": ("symlink", f"{LIB}/dropbear.service"),
        "/etc/systemd/system/dropbear.service": ("symlink", "/dev/null"),  # masked
        "/lib/systemd/system-preset/90-default.preset": "enable mosquitto.service\n",
        "/dev/null": "",
    })
    sd = ctx_of(root).fact(systemd.read)
    assert "dropbear.service" in sd.masked and not sd.is_enabled("dropbear.service")
    assert not sd.is_enabled("mosquitto.service")
    ports, _ = by_port(root)
    assert ports == {}


def test_systemd_environment_file_and_dropin_are_applied(tree):
    root = tree({
        f"{LIB}/dropbear.service": unit("/usr/sbin/dropbear -F $DROPBEAR_ARGS",
                                        "EnvironmentFile=-/etc/default/dropbear\n"),
        f"{WANTS}/dropbear.service": ("symlink", f"{LIB}/dropbear.service"),
        "/etc/default/dropbear": 'DROPBEAR_ARGS="-p 127.0.0.1:2022 -p 2222"\n',
        "/etc/systemd/system/dropbear.service.d/override.conf":
            "[Service]\nExecStart=\nExecStart=/usr/sbin/dropbear -F $DROPBEAR_ARGS -p 4444\n",
    })
    ports, _ = by_port(root)
    assert set(ports) == {("tcp", 2022), ("tcp", 2222), ("tcp", 4444)}
    assert ports[("tcp", 2022)].loopback_only
    assert "override.conf:3" in ports[("tcp", 4444)].source


def test_systemd_reachability_follows_wants_keys_and_templates(tree):
    root = tree({
        "/etc/systemd/system/default.target": ("symlink", f"{LIB}/graphical.target"),
        f"{LIB}/graphical.target": "[Unit]\nWants=kiosk.service\n",
        f"{LIB}/kiosk.service": unit("/usr/sbin/httpd -f -p 8080"),
        f"{LIB}/orphan.target.wants/x.service": ("symlink", f"{LIB}/x.service"),
        f"{LIB}/x.service": unit("/usr/sbin/telnetd -F"),
    })
    ports, s = by_port(root)
    assert ("tcp", 8080) in ports and ("tcp", 23) not in ports  # orphan.target is never reached
    assert ports[("tcp", 8080)].service == "http"


# --- inetd / xinetd --------------------------------------------------------------------------
INETD = """# comment
#<off># telnet	stream	tcp	nowait	root	/usr/sbin/tcpd	/usr/sbin/telnetd
ftp	stream	tcp	nowait	root	/usr/sbin/tcpd	/usr/sbin/in.ftpd
127.0.0.1:shell	stream	tcp	nowait	root	/usr/sbin/in.rshd	in.rshd
tftp	dgram	udp	wait	nobody	/usr/sbin/in.tftpd	in.tftpd /srv
rstatd/1-3	dgram	rpc/udp	wait	root	/usr/sbin/rpc.rstatd	rpc.rstatd
garbage line
\xff\xfe binary junk
"""


def test_inetd_conf_parsing(tree):
    root = tree({"/etc/inetd.conf": INETD.encode("utf-8", "surrogateescape")})
    conf = inetd.read(ctx_of(root))
    got = {(s.name, s.proto, s.port, s.address, s.program) for s in conf.services}
    assert got == {("ftp", "tcp", 21, "*", "in.ftpd"), ("shell", "tcp", 514, "127.0.0.1", "in.rshd"),
                   ("tftp", "udp", 69, "*", "in.tftpd")}
    assert next(s for s in conf.services if s.name == "ftp").source == "/etc/inetd.conf:3"


def test_inetd_listeners_only_when_inetd_is_started(tree):
    files = {"/etc/inetd.conf": "telnet stream tcp nowait root /usr/sbin/tcpd /usr/sbin/telnetd\n",
             f"{LIB}/inetd.service": unit("/usr/sbin/inetd")}
    ports, _ = by_port(tree(files))
    assert ports == {}  # inetd installed, not enabled
    files[f"{WANTS}/inetd.service"] = ("symlink", f"{LIB}/inetd.service")
    ports, _ = by_port(tree(files))
    t = ports[("tcp", 23)]
    assert t.service == "telnet" and t.process == "inetd" and t.tls is False
    assert t.source.startswith("/etc/inetd.conf:1 (started by /etc/systemd/system/multi-user")


def test_xinetd_services_disable_and_defaults(tree):
    root = tree({
        "/etc/xinetd.conf": "defaults\n{\n  disabled = daytime\n}\nincludedir /etc/xinetd.d\n",
        "/etc/xinetd.d/telnet": "service telnet\n{\n socket_type = stream\n wait = no\n"
                                " server = /usr/sbin/in.telnetd\n bind = 10.0.0.1\n}\n",
        "/etc/xinetd.d/tftp": "service tftp\n{\n socket_type = dgram\n protocol = udp\n disable = yes\n}\n",
        "/etc/xinetd.d/daytime": "service daytime\n{\n type = INTERNAL\n socket_type = stream\n}\n",
        "/etc/xinetd.d/web.dpkg-old": "service http\n{\n socket_type = stream\n}\n",
        "/etc/xinetd.d/custom": "service mysvc\n{\n port = 7777\n socket_type = stream\n server = /opt/x\n}\n",
        "/etc/inittab": "::sysinit:/etc/init.d/rcS\n::respawn:/usr/sbin/xinetd -dontfork\n",
    })
    ports, _ = by_port(root)
    assert set(ports) == {("tcp", 23), ("tcp", 7777)}
    assert ports[("tcp", 23)].address == "10.0.0.1" and ports[("tcp", 23)].process == "xinetd"
    assert ports[("tcp", 23)].source.startswith("/etc/xinetd.d/telnet:1")


# --- SysV and BusyBox init -------------------------------------------------------------------
def test_sysv_rc_scripts_start_stop_daemon(tree):
    root = tree({
        "/etc/init.d/telnetd": "#!/bin/sh\nDAEMON=/usr/sbin/telnetd\nARGS='-p 2323'\n"
                               "[ -x $DAEMON ] || exit 0\ncase \"$1\" in start)\n"
                               "  start-stop-daemon -S -q -x $DAEMON -- \\\n     -F $ARGS\n  ;;\n"
                               " stop) start-stop-daemon -K -x $DAEMON ;;\nesac\n",
        "/etc/rc2.d/S20telnetd": ("symlink", "../init.d/telnetd"),
        "/etc/rc2.d/K01nginx": ("symlink", "../init.d/nginx"),
        "/etc/init.d/nginx": "#!/bin/sh\n/usr/sbin/nginx\n",
    })
    init = initscripts.read(ctx_of(root))
    assert init.kind == "sysv" and init.runlevel == "2"
    ports, s = by_port(root)
    assert set(ports) == {("tcp", 2323)}
    assert ports[("tcp", 2323)].source.startswith("/etc/init.d/telnetd:6")


def test_sysv_variable_built_from_another_variable(tree):
    """Debian's /etc/init.d/xinetd: NAME=xinetd, DAEMON=/usr/sbin/$NAME, then start-stop-daemon
    --exec "$DAEMON": the value expands the earlier variable, so xinetd (and its telnet) is seen."""
    root = tree({
        "/etc/init.d/xinetd": "#!/bin/sh\nNAME=xinetd\nDAEMON=/usr/sbin/$NAME\nPIDFILE=/run/$NAME.pid\n"
                              "case \"$1\" in start)\n  start-stop-daemon --pidfile \"$PIDFILE\" --start "
                              "--quiet --background --exec \"$DAEMON\" -- \\\n    -pidfile \"$PIDFILE\"\n"
                              "  ;;\nesac\n",
        "/etc/rc2.d/S01xinetd": ("symlink", "../init.d/xinetd"),
        "/etc/xinetd.conf": "defaults\n{\n}\nincludedir /etc/xinetd.d\n",
        "/etc/xinetd.d/telnet": "service telnet\n{\n disable = no\n socket_type = stream\n"
                                " wait = no\n user = root\n server = /usr/sbin/telnetd\n}\n",
    })
    ports, _ = by_port(root)
    assert set(ports) == {("tcp", 23)}
    assert ports[("tcp", 23)].process == "xinetd"
    assert "(started by /etc/rc2.d/S01xinetd)" in ports[("tcp", 23)].source


def test_busybox_inittab_and_rcS_scripts(tree):
    root = tree({
        "/etc/inittab": "::sysinit:/etc/init.d/rcS\n::respawn:/sbin/getty 115200 ttyS0\n"
                        "::respawn:/usr/sbin/telnetd -F -b 127.0.0.1 -p 23\nbad line\n",
        "/etc/init.d/S50httpd": "#!/bin/sh\nhttpd -p 8080 -h /www\n",
        "/etc/init.d/S60ftp": "#!/bin/sh\ntcpsvd -vE 0.0.0.0 21 ftpd -w /srv &\n",
        "/etc/init.d/K50x": "#!/bin/sh\nnginx\n",
    })
    ports, s = by_port(root)
    assert s.init == "busybox"
    assert ports[("tcp", 23)].loopback_only and ports[("tcp", 23)].source.startswith("/etc/inittab:3")
    assert ports[("tcp", 8080)].service == "http" and ports[("tcp", 8080)].tls is False
    assert ports[("tcp", 21)].service == "ftp" and ports[("tcp", 21)].process == "ftpd"
    assert ("tcp", 80) not in ports


def test_unknown_init_assumes_installed_daemons_start(tree):
    root = tree({"/usr/sbin/mosquitto": "#!/bin/sh\n", "/etc/mosquitto/mosquitto.conf": "listener 1883\n"},
                modes={"/usr/sbin/mosquitto": 0o755})
    ports, s = by_port(root)
    assert s.init == "unknown"
    assert "init system not recognised" in ports[("tcp", 1883)].source


# --- daemon configs --------------------------------------------------------------------------
def facts(root, argv, source="test"):
    return daemons.read_daemon(ctx_of(root), argv, source)


def test_nginx_listen_ssl_and_weak_protocols(tree):
    root = tree({
        "/etc/nginx/nginx.conf": "events {}\nhttp {\n  ssl_protocols TLSv1 TLSv1.1 TLSv1.2; # old\n"
                                 "  include /etc/nginx/sites-enabled/*;\n}\n",
        "/etc/nginx/sites-enabled/default": "server {\n  listen 80 default_server;\n  listen [::]:80;\n}\n"
                                            "server {\n  listen 443 ssl http2;\n  ssl_ciphers 'HIGH:!aNULL:RC4';\n}\n"
                                            "server {\n  listen 127.0.0.1:8081;\n}\nserver { server_name x; }\n",
    })
    f = facts(root, ["/usr/sbin/nginx", "-g", "daemon off;"])
    got = {(x.port, x.address, x.tls) for x in f.listeners}
    assert got == {(80, "*", False), (443, "*", True), (8081, "127.0.0.1", False)}
    weak = [w for w in f.weaknesses if w.kind == "weak-tls-protocol"]
    assert {w.message.split(" enables ")[1].split()[0] for w in weak} == {"TLSv1", "TLSv1.1"}
    assert weak[0].source == "/etc/nginx/nginx.conf:3"
    assert any(w.kind == "weak-cipher" and "RC4" in w.message for w in f.weaknesses)


def test_nginx_hardened_has_no_weakness(tree):
    root = tree({"/etc/nginx/nginx.conf": "http { server { listen 443 ssl; ssl_protocols TLSv1.2 TLSv1.3; } }\n"})
    f = facts(root, ["nginx"])
    assert [(x.port, x.tls) for x in f.listeners] == [(443, True)] and f.weaknesses == []


def test_lighttpd_port_socket_blocks_and_ssl_options(tree):
    root = tree({
        "/etc/lighttpd/lighttpd.conf": 'server.port = 8080\nserver.bind = "0.0.0.0"\n'
                                       'include "conf-enabled/*.conf"\n',
        "/etc/lighttpd/conf-enabled/10-ssl.conf":
            '$SERVER["socket"] == ":443" {\n  ssl.engine = "enable"\n'
            '  ssl.openssl.ssl-conf-cmd = ("MinProtocol" => "TLSv1.1")\n  ssl.use-sslv3 = "enable"\n}\n',
    })
    f = facts(root, ["/usr/sbin/lighttpd", "-D", "-f", "/etc/lighttpd/lighttpd.conf"])
    assert {(x.port, x.tls) for x in f.listeners} == {(8080, False), (443, True)}
    msgs = " ".join(w.message for w in f.weaknesses)
    assert "SSLv3" in msgs and "TLSv1.1" in msgs



def test_lighttpd_http_redirected_to_https_only_with_mod_redirect_and_every_path(tree):
    """$HTTP["scheme"] == "http" { url.redirect = ("" => "https://...") } makes port 80 a
    redirect; not without mod_redirect loaded, nor when only some paths are redirected."""
    def service(modules, key):
        root = tree({
            "/etc/lighttpd/lighttpd.conf": f'server.modules = (\n  "mod_access",\n{modules})\n'
                                           'server.port = 80\ninclude "conf-enabled/*.conf"\n',
            "/etc/lighttpd/conf-enabled/90-r.conf":
                f'$HTTP["scheme"] == "http" {{\n  url.redirect = ("{key}" => "https://${{url.authority}}")\n}}\n',
        })
        f = facts(root, ["/usr/sbin/lighttpd", "-D", "-f", "/etc/lighttpd/lighttpd.conf"])
        return [(x.port, x.service) for x in f.listeners]
    assert service('  "mod_redirect",\n', "") == [(80, "http-redirect")]
    assert service('  "mod_redirect",\n', "^/admin") == [(80, "http")]
    assert service("", "") == [(80, "http")]

def test_mosquitto_default_is_loopback_and_listeners_tls_version(tree):
    root = tree({"/etc/mosquitto/mosquitto.conf": "# nothing\npersistence true\n"})
    f = facts(root, ["mosquitto", "-c", "/etc/mosquitto/mosquitto.conf"])
    assert [(x.port, x.address, x.loopback_only) for x in f.listeners] == [(1883, "127.0.0.1", True)]
    root = tree({"/etc/mosquitto/mosquitto.conf": "include_dir /etc/mosquitto/conf.d\n",
                 "/etc/mosquitto/conf.d/a.conf": "listener 1883\nallow_anonymous false\n"
                                                 "listener 8883 10.0.0.2\ncertfile /etc/m/c.pem\n"
                                                 "tls_version tlsv1.1\n"})
    f = facts(root, ["mosquitto"])
    got = {(x.port, x.address, x.tls, x.service) for x in f.listeners}
    assert got == {(1883, "*", False, "mqtt"), (8883, "10.0.0.2", True, "mqtts")}
    assert [w.port for w in f.weaknesses] == [8883] and "conf.d/a.conf:5" in f.weaknesses[0].source


def test_dnsmasq_avahi_snmpd(tree):
    root = tree({
        "/etc/dnsmasq.conf": "conf-dir=/etc/dnsmasq.d,*.conf\n",
        "/etc/dnsmasq.d/x.conf": "port=5353\nlisten-address=127.0.0.1\nenable-tftp\n",
        "/etc/avahi/avahi-daemon.conf": "[server]\nallow-interfaces=lo\n",
        "/etc/snmp/snmpd.conf": "agentAddress udp:161\nrocommunity s3cr3t-community default\n",
    })
    d = facts(root, ["dnsmasq", "-k"])
    assert {(x.proto, x.port, x.loopback_only) for x in d.listeners} == {
        ("udp", 5353, True), ("tcp", 5353, True), ("udp", 69, True)}
    a = facts(root, ["avahi-daemon", "-s"])
    assert a.listeners[0].loopback_only and a.listeners[0].port == 5353
    s = facts(root, ["/usr/sbin/snmpd", "-f"])
    assert [(x.proto, x.port, x.address) for x in s.listeners] == [("udp", 161, "*")]
    assert s.weaknesses[0].kind == "snmp-v1v2c" and s.weaknesses[0].source == "/etc/snmp/snmpd.conf:2"
    assert "s3cr3t" not in repr(s)  # the community is a secret


def test_busybox_and_small_daemons_args(tree):
    root = tree({})
    assert [(x.port, x.address) for x in facts(root, ["/bin/busybox", "httpd", "-p", "10.1.1.1:81"]).listeners] \
        == [(81, "10.1.1.1")]
    assert facts(root, ["/usr/sbin/in.telnetd", "-i"]).listeners == []
    assert [(x.proto, x.port) for x in facts(root, ["in.tftpd", "-a", ":6969"]).listeners] == [("udp", 6969)]
    assert [(x.proto, x.port, x.address, x.service) for x in
            facts(root, ["udpsvd", "-E", "0", "69", "tftpd", "/srv"]).listeners] == [("udp", 69, "*", "tftp")]
    assert facts(root, ["/usr/bin/unknown-daemon"]) is None


def test_garbage_configs_never_crash(tree):
    junk = bytes(range(256)) * 50
    root = tree({p: junk for p in ("/etc/nginx/nginx.conf", "/etc/lighttpd/lighttpd.conf",
                                   "/etc/mosquitto/mosquitto.conf", "/etc/dnsmasq.conf",
                                   "/etc/snmp/snmpd.conf", "/etc/inetd.conf", "/etc/xinetd.conf",
                                   "/etc/inittab", "/etc/vsftpd.conf", f"{LIB}/x.service")})
    os.symlink("loop", os.path.join(root, "etc/loop"))
    c = ctx_of(root)
    for argv in (["nginx"], ["lighttpd"], ["mosquitto"], ["dnsmasq"], ["snmpd"], ["vsftpd"]):
        daemons.read_daemon(c, argv, "t")
    assert isinstance(c.fact(listeners_offline.surface).listeners, list)


def test_read_works_on_a_live_root_too(tree):
    root = tree({"/etc/inittab": "::respawn:/usr/sbin/telnetd -F\n"})
    ls = listeners_offline.read(ctx_of(root, live=True))
    assert ls.origin == "offline inference" and [x.port for x in ls.items] == [23]


# --- audit additions ---------------------------------------------------------------------------
def test_mosquitto_1x_without_listener_binds_every_address(tree):
    root = tree({"/etc/mosquitto/mosquitto.conf": "persistence true\n",
                 "/var/lib/dpkg/status": "Package: mosquitto\nStatus: install ok installed\n"
                                         "Architecture: armhf\nVersion: 1.5.7-1+deb10u1\n"})
    f = facts(root, ["/usr/sbin/mosquitto", "-c", "/etc/mosquitto/mosquitto.conf"])
    [lst] = f.listeners
    assert (lst.port, lst.address, lst.loopback_only, lst.tls) == (1883, "*", False, False)
    assert "1.5" in lst.source and "/var/lib/dpkg/status" in lst.source


def test_socket_unit_address_spellings_and_masked_socket(tree):
    root = tree({
        f"{LIB}/multi.socket": "[Socket]\nListenStream=[::]:22\nListenStream=127.0.0.1:8080\n"
                               "ListenStream=0.0.0.0:80\nListenDatagram=[::1]:161\nListenStream=2323\n",
        f"{LIB}/multi.service": unit("/usr/bin/true"),
        f"{LIB}/gone.socket": "[Socket]\nListenStream=4444\n",
        "/etc/systemd/system/sockets.target.wants/multi.socket": ("symlink", f"{LIB}/multi.socket"),
        "/etc/systemd/system/sockets.target.wants/gone.socket": ("symlink", f"{LIB}/gone.socket"),
        "/etc/systemd/system/gone.socket": ("symlink", "/dev/null"),  # masked; no /dev/null in the image
    })
    ports, _ = by_port(root)
    got = {k: (v.address, v.loopback_only, v.source.split(" ")[0]) for k, v in ports.items()}
    assert got == {("tcp", 22): ("*", False, f"{LIB}/multi.socket:2"),
                   ("tcp", 8080): ("127.0.0.1", True, f"{LIB}/multi.socket:3"),
                   ("tcp", 80): ("*", False, f"{LIB}/multi.socket:4"),
                   ("udp", 161): ("::1", True, f"{LIB}/multi.socket:5"),
                   ("tcp", 2323): ("*", False, f"{LIB}/multi.socket:6")}


def test_sysvinit_inittab_processes_of_the_runlevel_start_too(tree):
    root = tree({
        "/etc/inittab": "id:5:initdefault:\nsi::sysinit:/etc/init.d/rcS\nl5:5:wait:/etc/init.d/rc 5\n"
                        "T0:12345:respawn:/usr/sbin/telnetd -F -p 2323\n"
                        "T1:1:respawn:/usr/sbin/telnetd -F -p 2424\n",  # single-user only: not at 5
        "/etc/rc5.d/S01dummy": ("symlink", "../init.d/dummy"),
        "/etc/init.d/dummy": "#!/bin/sh\ntrue\n",
    })
    ports, s = by_port(root)
    assert s.init == "sysv" and set(ports) == {("tcp", 2323)}
    assert ports[("tcp", 2323)].source.startswith("/etc/inittab:4")
    # under systemd /etc/inittab is never read
    root = tree({"/lib/systemd/systemd": "", "/etc/inittab": "::respawn:/usr/sbin/telnetd -F\n"})
    ports, s = by_port(root)
    assert s.init.startswith("systemd") and ("tcp", 23) not in ports


def test_old_nginx_and_mosquitto_default_tls_versions_are_weak(trees):
    def dpkg(name, version):
        return {"/var/lib/dpkg/status": f"Package: {name}\nStatus: install ok installed\nVersion: {version}\n"}
    nginx = {"/etc/nginx/nginx.conf": "http {\n  server {\n    listen 443 ssl;\n  }\n}\n"}
    old = trees(dict(nginx, **dpkg("nginx-core", "1.18.0-6.1+deb11u3")))
    f = daemons.read_daemon(ctx_of(old), ["/usr/sbin/nginx"], "t")
    [w] = f.weaknesses
    assert w.port == 443 and w.source == "/etc/nginx/nginx.conf:2" and "1.18" in w.message
    for version in ("1.24.0-2", None):  # new enough, or version unknown: the default is not assumed weak
        root = trees(dict(nginx, **(dpkg("nginx", version) if version else {})))
        assert daemons.read_daemon(ctx_of(root), ["/usr/sbin/nginx"], "t").weaknesses == []
    mq = {"/etc/mosquitto/mosquitto.conf": "listener 8883\ncertfile /c.pem\nkeyfile /k.pem\n"}
    f = daemons.read_daemon(ctx_of(trees(dict(mq, **dpkg("mosquitto", "1.6.9-1")))), ["mosquitto"], "t")
    assert [(w.port, w.source) for w in f.weaknesses] == [(8883, "/etc/mosquitto/mosquitto.conf:1")]
    f = daemons.read_daemon(ctx_of(trees(dict(mq, **dpkg("mosquitto", "2.0.11-1.2+deb12u1")))), ["mosquitto"], "t")
    assert f.weaknesses == []
