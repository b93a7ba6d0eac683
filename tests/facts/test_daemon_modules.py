"""One module per daemon (jcstar_agent/facts/daemons/): each parser on a small synthetic tree.

Expectations are the daemons' documented behaviour (their manuals), written before running: where
it listens, whether it serves clients without credentials (Access.open), the credentials its
config holds in clear (Secret: user and file:line, the value never in repr), PAM logins.
"""
import pytest

from jcstar_agent.config import BoardConfig
from jcstar_agent.criteria import Context, Options
from jcstar_agent.facts import daemons
from jcstar_agent.target import Root

SRC = "/lib/systemd/system/x.service:7"


def run(trees, files, argv, modes=None):
    root = trees(files, modes)
    return daemons.read_daemon(Context(Root(root), BoardConfig(), Options()), argv, SRC)


def opened(facts):
    return [(a.proto, a.port) for a in facts.access if a.open]


def closed(facts):
    return [(a.proto, a.port) for a in facts.access if not a.open]


def users(facts):
    return sorted((s.user, f"{s.path}:{s.line}") for s in facts.secrets)


def ports(facts):
    return sorted((x.proto, x.port, x.address) for x in facts.listeners)


def test_registry_lists_every_module_once_and_each_has_a_docstring():
    mods = daemons.modules()
    assert len(mods) >= 35
    for name, mod in mods.items():
        assert mod.__doc__ and len(mod.__doc__) > 80, name
        assert mod.PROGRAMS and callable(mod.read), name
    progs = [p for m in mods.values() for p in m.PROGRAMS]
    assert len(progs) == len(set(progs)), "a program claimed by two modules"


# --- redis -------------------------------------------------------------------------------------
REDIS = "/etc/redis/redis.conf"


def test_redis_debian_default_is_loopback_and_protected(trees):
    f = run(trees, {REDIS: "bind 127.0.0.1 -::1\nprotected-mode yes\nport 6379\n"},
            ["/usr/bin/redis-server", REDIS])
    assert ports(f) == [("tcp", 6379, "127.0.0.1"), ("tcp", 6379, "::1")]
    assert f.access == [] and f.secrets == []


def test_redis_open_to_the_network_without_password(trees):
    f = run(trees, {REDIS: "bind 0.0.0.0\nprotected-mode no\n"}, ["/usr/bin/redis-server", REDIS])
    assert opened(f) == [("tcp", 6379)]
    assert f"{REDIS}:1" in f.access[0].source


def test_redis_requirepass_is_a_secret_and_closes_it(trees):
    f = run(trees, {REDIS: "bind * -::*\nprotected-mode no\nrequirepass foobared\n"},
            ["/usr/bin/redis-server", REDIS])
    assert opened(f) == [] and closed(f) == [("tcp", 6379)]
    assert users(f) == [("default", f"{REDIS}:3")]
    assert "foobared" not in repr(f.secrets)


def test_redis_protected_mode_without_password_refuses_other_hosts(trees):
    f = run(trees, {REDIS: "bind 0.0.0.0\n"}, ["/usr/bin/redis-server", REDIS])
    assert opened(f) == [] and closed(f) == [("tcp", 6379)]


# --- memcached ---------------------------------------------------------------------------------
def test_memcached_wrapper_reads_its_conf(trees):
    f = run(trees, {"/etc/memcached.conf": "-m 64\n-p 11211\n-l 0.0.0.0\n"},
            ["/usr/share/memcached/scripts/systemd-memcached-wrapper", "/etc/memcached.conf"])
    assert ports(f) == [("tcp", 11211, "*")] and opened(f) == [("tcp", 11211)]
    g = run(trees, {"/etc/memcached.conf": "-l 127.0.0.1\n"},
            ["/usr/share/memcached/scripts/systemd-memcached-wrapper", "/etc/memcached.conf"])
    assert ports(g) == [("tcp", 11211, "127.0.0.1")] and g.access == []
    h = run(trees, {}, ["/usr/bin/memcached", "-S", "-p", "11311"])
    assert closed(h) == [("tcp", 11311)]


# --- postgresql --------------------------------------------------------------------------------
PG = "/etc/postgresql/15/main"


def test_postgresql_trust_for_network_hosts_is_open(trees):
    f = run(trees, {f"{PG}/postgresql.conf": "listen_addresses = '*'\nport = 5433\n",
                    f"{PG}/pg_hba.conf": "local all postgres peer\nhost all all 127.0.0.1/32 trust\n"
                                          "host all all 0.0.0.0/0 trust\n"},
            ["/usr/bin/pg_ctlcluster", "--skip-systemctl-redirect", "15-main", "start"])
    assert ports(f) == [("tcp", 5433, "*")]
    assert opened(f) == [("tcp", 5433)] and f"{PG}/pg_hba.conf:3" in f.access[0].source


def test_postgresql_scram_and_pam(trees):
    f = run(trees, {f"{PG}/postgresql.conf": "listen_addresses = '*'\n",
                    f"{PG}/pg_hba.conf": "host all all 127.0.0.1/32 trust\n"
                                          "host all all 10.0.0.0/8 scram-sha-256\n"
                                          "hostssl all all ::/0 pam pamservice=pgsql\n"},
            ["/usr/bin/pg_ctlcluster", "15", "main", "start"])
    assert opened(f) == [] and closed(f) == [("tcp", 5432)]
    assert [(p.service, p.port) for p in f.pam] == [("pgsql", 5432)]


def test_postgresql_default_listens_on_localhost_only(trees):
    f = run(trees, {f"{PG}/postgresql.conf": "port = 5432\n",
                    f"{PG}/pg_hba.conf": "host all all 0.0.0.0/0 trust\n"},
            ["/usr/bin/pg_ctlcluster", "15-main", "start"])
    assert ports(f) == [("tcp", 5432, "127.0.0.1")] and f.access == []


# --- mariadb -----------------------------------------------------------------------------------
def test_mariadb_skip_grant_tables_through_includedir(trees):
    f = run(trees, {"/etc/mysql/my.cnf": "[client-server]\n!includedir /etc/mysql/mariadb.conf.d/\n",
                    "/etc/mysql/mariadb.conf.d/50-server.cnf": "[mysqld]\nbind-address = 0.0.0.0\n",
                    "/etc/mysql/mariadb.conf.d/60-vendor.cnf": "[mariadbd]\nskip-grant-tables\n"},
            ["/usr/sbin/mariadbd"])
    assert ports(f) == [("tcp", 3306, "*")] and opened(f) == [("tcp", 3306)]
    assert "60-vendor.cnf:2" in f.access[0].source


def test_mariadb_default_checks_passwords(trees):
    f = run(trees, {"/etc/mysql/my.cnf": "[mysqld]\nbind-address = 127.0.0.1\n"}, ["/usr/sbin/mariadbd"])
    assert ports(f) == [("tcp", 3306, "127.0.0.1")] and opened(f) == []


# --- influxdb, mongodb --------------------------------------------------------------------------
def test_influxdb_packaged_default_is_open(trees):
    f = run(trees, {"/etc/influxdb/influxdb.conf": "[meta]\n  dir = \"/x\"\n[http]\n  # auth-enabled = false\n"},
            ["/usr/bin/influxd", "-config", "/etc/influxdb/influxdb.conf"])
    assert ("tcp", 8086, "*") in ports(f) and ("tcp", 8088, "127.0.0.1") in ports(f)
    assert opened(f) == [("tcp", 8086)]
    g = run(trees, {"/etc/influxdb/influxdb.conf": "[http]\n  auth-enabled = true\n"},
            ["/usr/bin/influxd", "-config", "/etc/influxdb/influxdb.conf"])
    assert opened(g) == [] and closed(g) == [("tcp", 8086)]


def test_mongodb_bindip_and_authorization(trees):
    f = run(trees, {"/etc/mongod.conf": "net:\n  port: 27017\n  bindIp: 0.0.0.0\n"},
            ["/usr/bin/mongod", "--config", "/etc/mongod.conf"])
    assert ports(f) == [("tcp", 27017, "*")] and opened(f) == [("tcp", 27017)]
    g = run(trees, {"/etc/mongod.conf": "net:\n  bindIp: 0.0.0.0\nsecurity:\n  authorization: enabled\n"},
            ["/usr/bin/mongod", "--config", "/etc/mongod.conf"])
    assert opened(g) == [] and "mongod.conf:4" in g.access[0].source
    h = run(trees, {"/etc/mongod.conf": "net:\n  port: 27017\n"}, ["/usr/bin/mongod"])
    assert ports(h) == [("tcp", 27017, "127.0.0.1")] and h.access == []


# --- nfs, rsync, samba ---------------------------------------------------------------------------
def test_nfs_exports(trees):
    f = run(trees, {"/etc/exports": "# comment\n/srv/pub *(ro,sync)\n/srv/lan 192.168.1.0/24(rw)\n"
                                    "/srv/root 10.0.0.5(rw,no_root_squash)\n/srv/k gss/krb5(rw)\n"},
            ["/usr/sbin/rpc.nfsd"])
    assert ports(f) == [("tcp", 2049, "*")]
    assert sorted(a.source for a in f.access if a.open) == ["/etc/exports:2", "/etc/exports:4"]
    assert "/srv/lan" not in " ".join(a.message for a in f.access)  # host-based: not judged here


def test_rsyncd_anonymous_module_and_secrets_file(trees):
    f = run(trees, {"/etc/rsyncd.conf": "uid = nobody\n[pub]\n path = /srv\n[bak]\n path = /b\n"
                                        " auth users = backup\n secrets file = /etc/rsyncd.secrets\n",
                    "/etc/rsyncd.secrets": "backup:s3cret-Backup\n"},
            ["/usr/bin/rsync", "--daemon", "--no-detach"], {"/etc/rsyncd.secrets": 0o644})
    assert ports(f) == [("tcp", 873, "*")]
    assert [a.open for a in f.access] == [True, False] and "'pub'" in f.access[0].message
    assert users(f) == [("backup", "/etc/rsyncd.secrets:1")]
    assert f.secret_files == [("/etc/rsyncd.secrets", "/etc/rsyncd.conf:7")]
    assert run(trees, {}, ["/usr/bin/rsync", "-a", "/x", "/y"]).listeners == []


def test_samba_guest_share(trees):
    conf = "[global]\n map to guest = bad user\n[public]\n path = /srv\n guest ok = yes\n read only = no\n"
    f = run(trees, {"/etc/samba/smb.conf": conf}, ["/usr/sbin/smbd", "--foreground"])
    assert ports(f) == [("tcp", 139, "*"), ("tcp", 445, "*")]
    assert sorted(opened(f)) == [("tcp", 139), ("tcp", 445)] and "read and write" in f.access[0].message
    g = run(trees, {"/etc/samba/smb.conf": "[global]\n[homes]\n browseable = no\n"}, ["/usr/sbin/smbd"])
    assert opened(g) == [] and len(closed(g)) == 2


# --- web terminals, VNC, consoles --------------------------------------------------------------
def test_ttyd_without_credential_gives_a_shell(trees):
    f = run(trees, {}, ["/usr/bin/ttyd", "-p", "7681", "-W", "bash"])
    assert ports(f) == [("tcp", 7681, "*")] and opened(f) == [("tcp", 7681)] and "bash" in f.access[0].message
    g = run(trees, {}, ["/usr/bin/ttyd", "-c", "admin:admin", "bash"])
    assert opened(g) == [] and users(g) == [("admin", "/lib/systemd/system/x.service:7")]
    assert "admin:admin" not in repr(g) and "'admin'" not in repr(g.secrets[0]).split("user=")[0]
    h = run(trees, {}, ["/usr/bin/ttyd", "login"])
    assert opened(h) == [] and [p.service for p in h.pam] == ["login"]


def test_gotty_and_shellinabox(trees):
    assert opened(run(trees, {}, ["/usr/bin/gotty", "-t", "-w", "bash"])) == [("tcp", 8080)]
    f = run(trees, {"/etc/default/shellinabox": "SHELLINABOX_PORT=4200\nSHELLINABOX_ARGS=\"--no-beep\"\n"},
            ["/usr/bin/shellinaboxd", "-q", "-p", "", "-u", "shellinabox"])
    assert ports(f) == [("tcp", 4200, "*")] and opened(f) == [] and [p.service for p in f.pam] == ["login"]
    g = run(trees, {}, ["/usr/bin/shellinaboxd", "-t", "-s", "/:root:root:/:/bin/sh"])
    assert opened(g) == [("tcp", 4200)] and g.listeners[0].tls is False


def test_x11vnc_password_file_is_decoded(trees):
    f = run(trees, {"/etc/x11vnc.pass": bytes.fromhex("dbd83cfd727a1458")},  # "password" (vncpasswd)
            ["/usr/bin/x11vnc", "-forever", "-rfbauth", "/etc/x11vnc.pass"])
    assert ports(f) == [("tcp", 5900, "*")] and opened(f) == []
    assert users(f) == [("vnc", "/etc/x11vnc.pass:1")] and f.secrets[0].value == "password"
    g = run(trees, {}, ["/usr/bin/x11vnc", "-forever", "-display", ":0"])
    assert opened(g) == [("tcp", 5900)]
    assert run(trees, {}, ["/usr/bin/x11vnc", "-localhost"]).access == []


def test_tigervnc_security_type_none(trees):
    f = run(trees, {}, ["/usr/bin/Xtigervnc", ":1", "-SecurityTypes", "None", "-localhost", "no"])
    assert ports(f) == [("tcp", 5901, "*")] and opened(f) == [("tcp", 5901)]


def test_webmin_unix_users_are_pam_logins(trees):
    f = run(trees, {"/etc/webmin/miniserv.conf": "port=10000\nssl=1\n",
                    "/etc/webmin/miniserv.users": "root:x:0\nadmin:$1$abc$0123456789abcdefghijkl:0\n"},
            ["/usr/bin/perl", "/usr/share/webmin/miniserv.pl", "/etc/webmin/miniserv.conf"])
    assert ports(f) == [("tcp", 10000, "*")] and f.listeners[0].tls is True
    assert [(p.service, p.port) for p in f.pam] == [("webmin", 10000)]
    assert users(f) == [("admin", "/etc/webmin/miniserv.users:2")]


def test_monit_documented_default_login(trees):
    rc = "set daemon 30\nset httpd port 2812 and\n    allow admin:monit\n    allow 192.168.0.0/16\ncheck system x\n"
    f = run(trees, {"/etc/monit/monitrc": rc}, ["/usr/bin/monit", "-c", "/etc/monit/monitrc"])
    assert ports(f) == [("tcp", 2812, "*")] and opened(f) == []
    assert users(f) == [("admin", "/etc/monit/monitrc:3")] and f.secrets[0].value == "monit"
    g = run(trees, {"/etc/monit/monitrc": "set httpd port 2812\n  allow 0.0.0.0/0\n"}, ["/usr/bin/monit"])
    assert opened(g) == [("tcp", 2812)]
    h = run(trees, {"/etc/monit/monitrc": "set httpd port 2812 and use address localhost\n allow admin:monit\n"},
            ["/usr/bin/monit"])
    assert ports(h) == [("tcp", 2812, "127.0.0.1")] and h.access == []


def test_busybox_httpd_conf_credentials(trees):
    f = run(trees, {"/etc/httpd.conf": "A:*\n/cgi-bin:admin:admin\n/adm:root:$1$xyz$abcdefghijklmnopqrstu.\n.au:audio/basic\n"},
            ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"])
    assert ports(f) == [("tcp", 8080, "*")]
    assert users(f) == [("admin", "/etc/httpd.conf:2"), ("root", "/etc/httpd.conf:3")]
    assert closed(f) == [("tcp", 8080)]


# --- VPN and Wi-Fi -----------------------------------------------------------------------------
def test_openvpn_static_key_and_pam_plugin(trees):
    f = run(trees, {"/etc/openvpn/server.conf": "dev tun\nport 1194\nproto udp\nsecret static.key\n"
                                                "plugin /usr/lib/openvpn/openvpn-plugin-auth-pam.so openvpn\n",
                    "/etc/openvpn/static.key": "-----BEGIN OpenVPN Static key V1-----\n"},
            ["/usr/sbin/openvpn", "--daemon", "ovpn-server", "--cd", "/etc/openvpn",
             "--config", "/etc/openvpn/server.conf"])
    assert ports(f) == [("udp", 1194, "*")]
    assert f.secret_files == [("/etc/openvpn/static.key", "/etc/openvpn/server.conf:4")]
    assert [(p.service, p.port) for p in f.pam] == [("openvpn", 1194)]
    assert daemons.module_of("openvpn").NEEDS == ("/dev/net/tun",)


def test_hostapd_passphrase_and_open_network(trees):
    f = run(trees, {"/etc/hostapd/hostapd.conf": "interface=wlan0\nssid=gw\nwpa=2\nwpa_passphrase=12345678\n"},
            ["/usr/sbin/hostapd", "-B", "-P", "/run/hostapd.pid", "/etc/hostapd/hostapd.conf"])
    assert f.listeners == [] and f.access == []
    assert users(f) == [("wpa_passphrase", "/etc/hostapd/hostapd.conf:4")] and f.secrets[0].perms is False
    g = run(trees, {"/etc/hostapd/hostapd.conf": "interface=wlan0\nssid=open\n"}, ["/usr/sbin/hostapd",
                                                                                  "/etc/hostapd/hostapd.conf"])
    assert [(a.proto, a.open) for a in g.access] == [("wlan", True)]


def test_cups_admin_open_to_all(trees):
    conf = "Port 631\n<Location />\n  Order allow,deny\n  Allow all\n</Location>\n<Location /admin>\n" \
           "  AuthType Default\n  Require user @SYSTEM\n</Location>\n"
    f = run(trees, {"/etc/cups/cupsd.conf": conf}, ["/usr/sbin/cupsd", "-l"])
    assert ports(f) == [("tcp", 631, "*")] and opened(f) == [("tcp", 631)]
    assert [p.service for p in f.pam] == ["cups"]
    g = run(trees, {"/etc/cups/cupsd.conf": "Listen localhost:631\n"}, ["/usr/sbin/cupsd"])
    assert ports(g) == [("tcp", 631, "127.0.0.1")] and g.access == []


@pytest.mark.parametrize("garbage", ["\x00\xff" * 50, "bind\nport x\nrequirepass\n", "[\n=\n"])
def test_garbage_configs_never_raise(trees, garbage):
    for argv, path in ((["/usr/bin/redis-server", "/etc/r.conf"], "/etc/r.conf"),
                       (["/usr/bin/rsync", "--daemon"], "/etc/rsyncd.conf"),
                       (["/usr/sbin/smbd"], "/etc/samba/smb.conf"),
                       (["/usr/bin/monit"], "/etc/monit/monitrc"),
                       (["/usr/bin/mongod"], "/etc/mongod.conf")):
        f = run(trees, {path: garbage}, argv)
        assert f is not None
