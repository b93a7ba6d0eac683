"""Issue 24's daemons on real Debian bookworm packages (corpus.build_daemons(): redis, memcached,
PostgreSQL, MariaDB, InfluxDB, the kernel NFS server, rsync, monit, Shell In A Box, OpenVPN,
hostapd, BusyBox, x11vnc), each configured the way IoT vendors ship them — open to the network
without a password, with a documented default login — and configured correctly, offline.

Every case's tree holds postgresql, whose package puts the postgres user in ssl-cert: the snakeoil
key is readable by a member of that group, an S1.1-11 failure of the tree itself (Debian's), so
S1.1-11 is asserted by its findings (``APP-SECRET-WORLD-READABLE`` present or absent), not its
verdict. Verdicts written as an auditor decides them, before the agent ran (as in test_corpus.py: ``fail``
must fail, ``ok`` must not fail, ``not_pass`` must not pass). Edits use the packages' own tools in a
chroot where they have one (pg_createcluster, x11vnc -storepasswd, openvpn --genkey, chpasswd).
"""
import json
import os
import subprocess

import pytest

import rootfs as rootfs_builder
from integration import corpus
from integration.test_corpus import Case, _by, _criteria_agree, _write

pytestmark = pytest.mark.integration
chroot = rootfs_builder.chroot
WANTS = "etc/systemd/system/multi-user.target.wants"


def _edit(root, dev, old, new):
    path = os.path.join(root, dev.lstrip("/"))
    text = open(path).read()
    assert old in text, (dev, old)
    mode = os.stat(path).st_mode & 0o7777
    os.unlink(path)  # a hard link to the cached tree: never written in place
    _write(root, dev, text.replace(old, new), mode)


def _enable(root, unit, target="multi-user.target.wants"):
    d = os.path.join(root, "etc/systemd/system", target)
    os.makedirs(d, exist_ok=True)
    os.symlink(f"/lib/systemd/system/{unit}", os.path.join(d, unit))


def _unit(root, name, execstart):
    _write(root, f"/etc/systemd/system/{name}",
           f"[Unit]\nDescription={name}\n[Service]\nExecStart={execstart}\n[Install]\nWantedBy=multi-user.target\n")
    os.symlink(f"/etc/systemd/system/{name}", os.path.join(root, WANTS, name))


def _admin_admin(root):
    chroot(root, "useradd", "-m", "-s", "/bin/bash", "admin")
    chroot(root, "chpasswd", input="admin:admin\n")


def _redis_open(root):  # as many images ship it: every address, protected mode off, no password
    _edit(root, "/etc/redis/redis.conf", "\nbind 127.0.0.1 -::1\n", "\nbind 0.0.0.0 ::\n")
    _edit(root, "/etc/redis/redis.conf", "\nprotected-mode yes\n", "\nprotected-mode no\n")


def _redis_foobared(root):  # the same, with redis.conf's own example password
    _redis_open(root)
    _edit(root, "/etc/redis/redis.conf", "\n# requirepass foobared\n", "\nrequirepass foobared\n")


def _memcached_open(root):
    _edit(root, "/etc/memcached.conf", "\n-l 127.0.0.1\n", "\n-l 0.0.0.0\n")


def _pg_cluster(root):
    os.chmod(root, 0o755)  # the cache's tree root is 0700: the postgres user could not reach initdb
    subprocess.run(["chroot", root, "pg_createcluster", "15", "main"], check=True, stdout=subprocess.DEVNULL,
                   env=rootfs_builder.chroot_env())  # never the host's environment (its TMPDIR is not in the image)


def _pg_trust(root):
    _pg_cluster(root)
    conf = "/etc/postgresql/15/main"
    _edit(root, f"{conf}/postgresql.conf", "#listen_addresses = 'localhost'", "listen_addresses = '*'")
    hba = os.path.join(root, conf.lstrip("/"), "pg_hba.conf")
    _write(root, f"{conf}/pg_hba.conf", open(hba).read() + "host    all  all  0.0.0.0/0  trust\n", 0o640)


def _pg_scram(root):
    _pg_cluster(root)
    conf = "/etc/postgresql/15/main"
    _edit(root, f"{conf}/postgresql.conf", "#listen_addresses = 'localhost'", "listen_addresses = '*'")
    hba = os.path.join(root, conf.lstrip("/"), "pg_hba.conf")
    _write(root, f"{conf}/pg_hba.conf", open(hba).read() + "host    all  all  0.0.0.0/0  scram-sha-256\n", 0o640)


def _mariadb_skip_grants(root):
    _write(root, "/etc/mysql/mariadb.conf.d/60-vendor.cnf", "[mysqld]\nbind-address = 0.0.0.0\nskip-grant-tables\n")


def _influxdb_auth(root):
    _edit(root, "/etc/influxdb/influxdb.conf", "  # auth-enabled = false", "  auth-enabled = true")


def _nfs_everyone(root):
    os.makedirs(os.path.join(root, "srv/share"), exist_ok=True)
    _write(root, "/etc/exports", "/srv/share *(rw,sync,no_subtree_check,no_root_squash)\n")


def _rsync(conf, secrets=None):
    def edit(root):
        _write(root, "/etc/rsyncd.conf", conf)
        if secrets:
            _write(root, "/etc/rsyncd.secrets", secrets, 0o644)
        _enable(root, "rsync.service")
    return edit


def _monit_default(root):  # monitrc's own example, uncommented
    path = os.path.join(root, "etc/monit/monitrc")
    _write(root, "/etc/monit/monitrc", open(path).read() + "\nset httpd port 2812 and\n    allow admin:monit\n", 0o600)


def _busybox_httpd(root):
    _write(root, "/etc/httpd.conf", "A:*\n/cgi-bin:admin:admin\n", 0o644)
    _unit(root, "httpd.service", "/bin/busybox httpd -f -p 80 -h /var/www -c /etc/httpd.conf")


def _openvpn_static(root):
    chroot(root, "openvpn", "--genkey", "secret", "/etc/openvpn/static.key")
    os.chmod(os.path.join(root, "etc/openvpn/static.key"), 0o644)
    _write(root, "/etc/openvpn/server.conf", "dev tun\nport 1194\nproto udp\nifconfig 10.8.0.1 10.8.0.2\n"
                                             "secret /etc/openvpn/static.key\n")


def _hostapd(passphrase):
    def edit(root):
        _write(root, "/etc/hostapd/hostapd.conf", "interface=wlan0\ndriver=nl80211\nssid=gateway\nhw_mode=g\n"
                                                  f"channel=6\nwpa=2\nwpa_key_mgmt=WPA-PSK\nwpa_passphrase={passphrase}\n", 0o600)
    return edit


def _x11vnc(password):
    def edit(root):
        args = "-forever -display :0"
        if password:
            chroot(root, "x11vnc", "-storepasswd", password, "/etc/x11vnc.pass")
            args += " -rfbauth /etc/x11vnc.pass"
        _unit(root, "x11vnc.service", f"/usr/bin/x11vnc {args}")
    return edit


CASES = [
    # Debian's redis: loopback and protected mode: nothing reachable, nothing to fail
    Case("redis-default", ("redis",), ok=("S1.1-01", "S1.1-02", "S1.1-12", "S1.1-13"),
         absent={"S1.1-01": ("SERVICE-NO-AUTH",)}),
    # every address, protected mode off, no password: anyone reads and writes every key
    # (and Redis speaks in clear: its data and commands cross the network readable, 12)
    Case("redis-open", ("redis",), _redis_open, fail=("S1.1-01", "S1.1-12", "S1.1-13"), ok=("S1.1-02",),
         checks={"S1.1-01": ("SERVICE-NO-AUTH",)}, says={"S1.1-01": "/etc/redis/redis.conf"}),
    # requirepass foobared (redis.conf's example): authenticated (01), a default password (02);
    # redis.conf is 0640 redis: not world-readable (11)
    Case("redis-foobared", ("redis",), _redis_foobared, fail=("S1.1-02", "S1.1-12", "S1.1-13"), ok=("S1.1-01",),
         checks={"S1.1-02": ("CRED-DEFAULT-PASSWORD",), "S1.1-01": ("LISTENER-AUTH-SEEN",)},
         absent={"S1.1-11": ("APP-SECRET-WORLD-READABLE",)}, says={"S1.1-02": "/etc/redis/redis.conf"}),
    Case("memcached-default", ("memcached",), ok=("S1.1-01", "S1.1-12", "S1.1-13"), absent={"S1.1-01": ("SERVICE-NO-AUTH",)}),
    Case("memcached-open", ("memcached",), _memcached_open, fail=("S1.1-01", "S1.1-12", "S1.1-13"),
         checks={"S1.1-01": ("SERVICE-NO-AUTH",)}),
    # the generator's postgresql@15-main is read: localhost only, nothing reachable
    Case("postgresql-default", ("postgresql",), _pg_cluster, ok=("S1.1-01", "S1.1-13"),
         absent={"S1.1-01": ("SERVICE-NO-AUTH",)}, says={"S1.1-13": "5432"}),
    # listen '*' and a trust line for every IPv4 host: any client is the superuser
    Case("postgresql-trust", ("postgresql",), _pg_trust, fail=("S1.1-01", "S1.1-13"),
         checks={"S1.1-01": ("SERVICE-NO-AUTH",)}, says={"S1.1-01": "pg_hba.conf"}),
    Case("postgresql-scram", ("postgresql",), _pg_scram, fail=("S1.1-13",), ok=("S1.1-01",),
         checks={"S1.1-01": ("LISTENER-AUTH-SEEN",)}, absent={"S1.1-01": ("SERVICE-NO-AUTH",)}),
    # Debian enables mariadb.socket (ListenStream=3306, every address): reachable, grant tables on
    Case("mariadb-default", ("mariadb",), fail=("S1.1-13",), ok=("S1.1-01",),
         absent={"S1.1-01": ("SERVICE-NO-AUTH", "LISTENER-AUTH-UNDECLARED")}),
    Case("mariadb-skip-grant-tables", ("mariadb",), _mariadb_skip_grants, fail=("S1.1-01", "S1.1-13"),
         checks={"S1.1-01": ("SERVICE-NO-AUTH",)}, says={"S1.1-01": "60-vendor.cnf"}),
    # InfluxDB as packaged: the HTTP API on 8086 without auth-enabled (01), HTTP in clear (12)
    Case("influxdb-default", ("influxdb",), fail=("S1.1-01", "S1.1-12", "S1.1-13"),
         checks={"S1.1-01": ("SERVICE-NO-AUTH",)}),
    Case("influxdb-auth", ("influxdb",), _influxdb_auth, fail=("S1.1-12", "S1.1-13"), ok=("S1.1-01",),
         absent={"S1.1-01": ("SERVICE-NO-AUTH",)}),
    # an NFS export to everyone with no_root_squash
    Case("nfs-everyone", ("nfs",), _nfs_everyone, fail=("S1.1-01", "S1.1-12", "S1.1-13"),
         checks={"S1.1-01": ("SERVICE-NO-AUTH",)}, says={"S1.1-01": "/etc/exports:1"}),
    Case("nfs-nothing-exported", ("nfs",), fail=("S1.1-12", "S1.1-13"), ok=("S1.1-01",),
         absent={"S1.1-01": ("SERVICE-NO-AUTH",)}),
    # rsync daemon with an anonymous module
    Case("rsync-anonymous", (), _rsync("[pub]\n path = /srv\n read only = no\n"),
         fail=("S1.1-01", "S1.1-12", "S1.1-13"),
         checks={"S1.1-01": ("SERVICE-NO-AUTH",)}),
    # a module with auth users and a world-readable secrets file holding backup:admin
    Case("rsync-secrets-readable", (), _rsync("[bak]\n path = /srv\n auth users = backup\n"
                                              " secrets file = /etc/rsyncd.secrets\n", "backup:admin\n"),
         fail=("S1.1-02", "S1.1-12", "S1.1-13"), ok=("S1.1-01",),
         checks={"S1.1-11": ("APP-SECRET-WORLD-READABLE",), "S1.1-02": ("CRED-DEFAULT-PASSWORD",)},
         says={"S1.1-11": "/etc/rsyncd.secrets"}),
    # monit's documented default login (SysV script, under systemd): 02 fails, 01 does not
    Case("monit-admin-monit", ("monit",), _monit_default, fail=("S1.1-02", "S1.1-13"), ok=("S1.1-01",),
         checks={"S1.1-02": ("CRED-DEFAULT-PASSWORD",)}, says={"S1.1-02": "/etc/monit/monitrc"},
         absent={"S1.1-11": ("APP-SECRET-WORLD-READABLE",)}),
    # Shell In A Box runs login: every system account is a web login; admin/admin exists
    Case("shellinabox-admin", ("shellinabox",), _admin_admin, fail=("S1.1-02", "S1.1-13"), ok=("S1.1-01",),
         checks={"S1.1-02": ("CRED-DEFAULT-PASSWORD",)}),
    # BusyBox httpd with /cgi-bin:admin:admin in a world-readable httpd.conf
    Case("busybox-httpd-admin", (), _busybox_httpd, fail=("S1.1-02", "S1.1-12", "S1.1-13"),
         checks={"S1.1-11": ("APP-SECRET-WORLD-READABLE",), "S1.1-02": ("CRED-DEFAULT-PASSWORD",)},
         says={"S1.1-11": "/etc/httpd.conf"}),
    # an OpenVPN static key left 0644 (the generator starts openvpn@server): readable by every
    # local user (11); written in the image, every unit shares it unless provisioning replaces it
    # and nothing says so (02 never a pass)
    Case("openvpn-static-key-readable", ("openvpn",), _openvpn_static, fail=("S1.1-13",),
         ok=("S1.1-01",), not_pass=("S1.1-02",), reason={"S1.1-02": "/etc/openvpn/static.key"},
         checks={"S1.1-11": ("APP-SECRET-WORLD-READABLE",)},
         says={"S1.1-11": "/etc/openvpn/static.key"}),
    # an access point with 12345678: the network's shared credential is a default (02)
    Case("hostapd-12345678", ("hostapd",), _hostapd("12345678"), fail=("S1.1-02",), ok=("S1.1-01",),
         checks={"S1.1-02": ("CRED-DEFAULT-PASSWORD",)}),
    Case("hostapd-strong", ("hostapd",), _hostapd("vK7#qP2!zR9mW4xTb8"), ok=("S1.1-01",),
         absent={"S1.1-02": ("CRED-DEFAULT-PASSWORD",)}),
    # x11vnc with no password: the desktop to anyone (01); with "password" stored by -storepasswd (02)
    Case("x11vnc-nopw", (), _x11vnc(""), fail=("S1.1-01", "S1.1-12", "S1.1-13"),
         checks={"S1.1-01": ("SERVICE-NO-AUTH",), "S1.1-12": ("TRANSPORT-PLAINTEXT-SERVICE",)}),
    Case("x11vnc-password", (), _x11vnc("password"), fail=("S1.1-02", "S1.1-12", "S1.1-13"), ok=("S1.1-01",),
         checks={"S1.1-02": ("CRED-DEFAULT-PASSWORD",)}),
]


# criteria that must pass: everything the verdict rests on was read (the generator's cluster, its
# localhost-only listener), nothing is unknown
PASSES = {"postgresql-default": ("S1.1-01",), "redis-default": ("S1.1-01",),
          "memcached-default": ("S1.1-01",)}


@pytest.fixture(scope="module")
def base():
    why = rootfs_builder.unavailable()
    if why:
        pytest.skip(why)
    return corpus.build_daemons()


def _make(case: Case, tmp_path) -> str:
    root = corpus.copy_case(str(tmp_path / case.name), daemons=True)
    corpus.only(root, case.started)
    if case.edit:
        case.edit(root)
    return root


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_daemon_corpus_verdicts(base, case, tmp_path, cli):
    root = _make(case, tmp_path)
    r = cli("check", "--root", root, "--format", "json")
    assert r.rc in (0, 1) and "Traceback" not in r.err, r.err
    by = _by(json.loads(r.out))
    for cid in case.fail:
        assert by[cid]["verdict"] == "fail", (cid, by[cid])
    for cid in case.ok:
        assert by[cid]["verdict"] != "fail", (cid, by[cid])
    for cid in case.not_pass:
        assert by[cid]["verdict"] != "pass", (cid, by[cid])
    for cid in PASSES.get(case.name, ()):
        assert by[cid]["verdict"] == "pass", (cid, by[cid])
    for cid, ids in case.checks.items():
        seen = {f["check"] for f in by[cid]["findings"]}
        assert set(ids) <= seen, (cid, seen, by[cid]["findings"])
    for cid, ids in case.absent.items():
        seen = {f["check"] for f in by[cid]["findings"]}
        assert not set(ids) & seen, (cid, by[cid])
    for cid, text in case.says.items():
        assert any(text in f["message"] for f in by[cid]["findings"]), (cid, by[cid]["findings"])
    assert "foobared" not in r.out or "CRED-DEFAULT-PASSWORD" in r.out  # a default is named, no secret
    assert "vK7#qP2!zR9mW4xTb8" not in r.out + r.err  # a strong passphrase never leaves the device
    _criteria_agree(by)
