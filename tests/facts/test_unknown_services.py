"""Issue 24, items 3 and 4 on small trees: every enabled service is read or named (generators,
SysV scripts of unknown daemons), PAM logins of any daemon, config secrets as stores, and what
``--boot`` saw kept (a socket PID 1 holds is its service's; a unit that failed for want of a
device or kernel feature says so)."""
from jcstar_agent.config import BoardConfig
from jcstar_agent.criteria import Context, Options
from jcstar_agent.facts import (boot_listeners, credstores, listeners_offline, network_logins,
                                systemd, unexplained)
from jcstar_agent.target import Root
from jcstar_agent.target.boot import BootResult, Socket, Unit

LIB = "/lib/systemd/system"
WANTS = "/etc/systemd/system/multi-user.target.wants"
SYSTEMD = {"/lib/systemd/systemd": "", f"{LIB}/multi-user.target": "[Unit]\nDescription=m\n"}


def ctx_of(root, boot=None):
    ctx = Context(Root(root), BoardConfig(), Options())
    if boot is not None:
        ctx.options.extra["boot"] = boot
    return ctx


def unit(execstart, extra="", unit_extra=""):
    return f"[Unit]\nDescription=x\n{unit_extra}\n[Service]\n{extra}ExecStart={execstart}\n"


def test_postgresql_generator_makes_one_unit_per_auto_cluster(tree):
    root = tree(dict(SYSTEMD, **{
        f"{LIB}/postgresql.service": unit("/bin/true"),
        f"{LIB}/postgresql@.service": unit("/usr/bin/pg_ctlcluster --skip-systemctl-redirect %i start"),
        f"{WANTS}/postgresql.service": ("symlink", f"{LIB}/postgresql.service"),
        "/lib/systemd/system-generators/postgresql-generator": "#!/bin/sh\n",
        "/etc/postgresql/15/main/postgresql.conf": "listen_addresses = '*'\n",
        "/etc/postgresql/15/main/pg_hba.conf": "host all all 0.0.0.0/0 trust\n",
        "/etc/postgresql/15/old/postgresql.conf": "port = 5433\n",
        "/etc/postgresql/15/old/start.conf": "# comment\ndisabled\n",
    }))
    ctx = ctx_of(root)
    sd = ctx.fact(systemd.read)
    assert sd.is_enabled("postgresql@15-main.service") and not sd.is_enabled("postgresql@15-old.service")
    s = ctx.fact(listeners_offline.surface)
    assert [(x.port, x.process) for x in s.listeners] == [(5432, "postgres")]
    assert [a.open for a in s.access] == [True]


def test_unknown_generator_and_unknown_sysv_daemon_are_named(tree):
    root = tree(dict(SYSTEMD, **{
        "/lib/systemd/system-generators/vendor-generator": "#!/bin/sh\n",
        "/lib/systemd/system-generators/systemd-fstab-generator": "",
        "/etc/init.d/vendord": "#!/bin/sh\nNAME=vendord\nDAEMON=/opt/vendor/bin/$NAME\n"
                               "start-stop-daemon --start --exec $DAEMON -- -d\n",
        "/etc/rc2.d/S02vendord": ("symlink", "/etc/init.d/vendord"),
        "/etc/init.d/cronish": "#!/bin/sh\nDAEMON=/usr/sbin/cron\nstart-stop-daemon --start --exec $DAEMON\n",
        "/etc/rc2.d/S03cronish": ("symlink", "/etc/init.d/cronish"),
    }))
    found = {(u.unit, u.program) for u in ctx_of(root).fact(unexplained.read)}
    assert ("vendord", "vendord") in found
    assert ("vendor-generator", "") in found
    assert not any(u == "cronish" or p == "cron" for u, p in found)  # opens no listener
    assert not any("fstab" in u for u, _p in found)


def test_eval_start_stop_daemon_is_read(tree):
    """Debian's shellinabox script: eval start-stop-daemon --exec "'$DAEMON'" -- ..."""
    root = tree({
        "/etc/init.d/shellinabox": "#!/bin/sh\nDAEMON=\"/usr/bin/shellinaboxd\"\n"
                                   "eval start-stop-daemon --start --oknodo --pidfile \"'$PIDFILE'\" \\\n"
                                   "  --exec \"'$DAEMON'\" -- -q -p 4200 $ARGS\n",
        "/etc/rc2.d/S01shellinabox": ("symlink", "/etc/init.d/shellinabox"),
    })
    s = ctx_of(root).fact(listeners_offline.surface)
    assert [(x.port, x.process) for x in s.listeners] == [(4200, "shellinaboxd")]
    assert not s.unread_scripts


def test_pam_logins_of_modules_and_of_unknown_programs(tree):
    root = tree(dict(SYSTEMD, **{
        f"{LIB}/webmin.service": unit("/usr/bin/perl /usr/share/webmin/miniserv.pl /etc/webmin/miniserv.conf"),
        f"{WANTS}/webmin.service": ("symlink", f"{LIB}/webmin.service"),
        "/etc/webmin/miniserv.conf": "port=10000\n",
        "/etc/webmin/miniserv.users": "root:x:0\n",
        f"{LIB}/vendorweb.service": unit("/opt/bin/vendorweb --port 8443"),
        f"{WANTS}/vendorweb.service": ("symlink", f"{LIB}/vendorweb.service"),
        "/etc/pam.d/vendorweb": "auth required pam_unix.so\n",
    }))
    logins = {(n.service, n.port, n.pam_service) for n in ctx_of(root).fact(network_logins.read)}
    assert ("miniserv.pl", 10000, "webmin") in logins
    assert ("vendorweb", None, "vendorweb") in logins
    named = {u.unit for u in ctx_of(root).fact(unexplained.read)}
    assert "webmin.service" not in named and "vendorweb.service" in named  # perl runs a known daemon


def test_config_secrets_become_inline_stores(tree):
    root = tree(dict(SYSTEMD, **{
        f"{LIB}/redis-server.service": unit("/usr/bin/redis-server /etc/redis/redis.conf"),
        f"{WANTS}/redis-server.service": ("symlink", f"{LIB}/redis-server.service"),
        "/etc/redis/redis.conf": "bind 0.0.0.0\nrequirepass foobared\naclfile /etc/redis/users.acl\n",
        "/etc/redis/users.acl": "user default on #abc ~* +@all\n",
    }), modes={"/etc/redis/redis.conf": 0o644})
    stores = {s.path: s for s in ctx_of(root).fact(credstores.read).stores}
    conf = stores["/etc/redis/redis.conf"]
    assert conf.inline and conf.service == "redis-server" and [(e.user, e.line) for e in conf.entries] == [("default", 2)]
    assert "foobared" not in repr(conf)
    assert stores["/etc/redis/users.acl"].fmt == "opaque"


def _boot(sockets=(), units=()):
    return BootResult(init="systemd", arch="x86_64", settled=True, sockets=list(sockets), units=list(units))


def test_boot_socket_held_by_pid1_is_its_service(tree):
    root = tree(dict(SYSTEMD, **{
        f"{LIB}/telnet.socket": "[Socket]\nListenStream=23\nAccept=yes\n",
        f"{LIB}/telnet@.service": unit("-/usr/sbin/in.telnetd"),
        "/etc/systemd/system/sockets.target.wants/telnet.socket": ("symlink", f"{LIB}/telnet.socket"),
        f"{LIB}/mariadb.socket": "[Socket]\nListenStream=3306\n",
        f"{LIB}/mariadb.service": unit("/usr/sbin/mariadbd"),
        "/etc/systemd/system/sockets.target.wants/mariadb.socket": ("symlink", f"{LIB}/mariadb.socket"),
    }))
    boot = _boot([Socket("tcp", "*", 23, "ipv6", 1, "systemd", "/lib/systemd/systemd", "init.scope"),
                  Socket("tcp", "*", 3306, "ipv4", 1, "systemd", "/lib/systemd/systemd", "init.scope"),
                  Socket("tcp", "*", 8080, "ipv4", 77, "python3", "/usr/bin/python3", "app.service")])
    items = {x.port: x for x in boot_listeners.read(ctx_of(root, boot)).items}
    assert items[23].process == "in.telnetd" and "telnet.socket" in items[23].source
    assert items[3306].process == "mariadbd" and "mariadb.service" in items[3306].source
    assert items[8080].process == "python3"


def test_boot_failure_for_want_of_a_device_says_so(tree):
    root = tree(dict(SYSTEMD, **{
        f"{LIB}/openvpn@.service": unit("/usr/sbin/openvpn --config /etc/openvpn/%i.conf",
                                        "DeviceAllow=/dev/null rw\nDeviceAllow=/dev/net/tun rw\n"),
        f"{WANTS}/openvpn@server.service": ("symlink", f"{LIB}/openvpn@.service"),
        f"{LIB}/hostapd.service": unit("/usr/sbin/hostapd /etc/hostapd/hostapd.conf", "Restart=on-failure\n"),
        f"{WANTS}/hostapd.service": ("symlink", f"{LIB}/hostapd.service"),
        f"{LIB}/nfs-server.service": unit("/usr/sbin/rpc.nfsd", unit_extra="Requires=proc-fs-nfsd.mount\n"),
        f"{WANTS}/nfs-server.service": ("symlink", f"{LIB}/nfs-server.service"),
        f"{LIB}/slow.service": unit("/opt/bin/slowd"),
        f"{WANTS}/slow.service": ("symlink", f"{LIB}/slow.service"),
    }))
    boot = _boot(units=[Unit("openvpn@server.service", "failed", "failed"),
                        Unit("hostapd.service", "starting", "auto-restart"),
                        Unit("slow.service", "starting", "start")])
    why = {u.unit: u.why for u in ctx_of(root, boot).fact(unexplained.read)}
    assert "needs /dev/net/tun, not given to the sandbox" in why["openvpn@server.service"]
    assert "failed to start" in why["hostapd.service"] and "wireless LAN device" in why["hostapd.service"]
    assert "still starting" in why["slow.service"]
    assert "did not start in the sandbox" in why["nfs-server.service"] and "nfsd kernel module" in why["nfs-server.service"]
