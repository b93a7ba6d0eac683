"""``--active`` asks real daemons in their own protocols and judges S1.1-01/-02/-04/-12 from the answers.

Real daemons from Debian packages, each with its own config, in a network namespace the test
creates (``jcs-proto-<pid>``: loopback plus a veth interface 10.77.0.1 — a listener on every
address is then asked on that own address, as a client on the network reaches it). For each
protocol one service that answers without credentials (or with a documented default) and one
configured correctly. The expected verdicts below were written from the configs, as an auditor
decides, before the agent ran:

============  =====  ==========================================  ===================================
daemon        port   configuration                               expected
============  =====  ==========================================  ===================================
redis         6379   bind *, protected-mode no, no requirepass   01 LISTENER-NO-AUTH (PING → +PONG)
redis         6380   bind *, requirepass (random, 40 chars)      01 refused (NOAUTH); 04 NO-LOCKOUT
redis         80     bind *, requirepass, on HTTP's port         recognised as redis (the wire, not the port)
memcached     11211  -l 0.0.0.0                                  01 LISTENER-NO-AUTH (stats)
memcached     11212  -l 127.0.0.1                                not reachable: no finding
postgresql    5432   listen *, pg_hba host all all trust         01 LISTENER-NO-AUTH (AuthenticationOk)
postgresql    5433   listen *, pg_hba host all all scram         01 refused (SASL)
vsftpd        21     anonymous_enable=YES                        01 LISTENER-NO-AUTH (230)
vsftpd        2121   anonymous_enable=NO                         01 refused
rsync         873    module [pub], no auth users                 01 LISTENER-NO-AUTH (module opened)
rsync         8730   module [priv], auth users + secrets file    01 refused (AUTHREQD)
tftpd-hpa     69/u   -a 0.0.0.0:69                               01 LISTENER-NO-AUTH (TFTP has none)
snmpd         161/u  rocommunity public                          02 LISTENER-DEFAULT-CREDENTIAL
snmpd         1161/u v3 user only (authPriv)                     01 refused (v3 only)
mosquitto     1883   listener 1883, allow_anonymous true         01 fail: CONNACK 0 without credentials
mosquitto     1884   allow_anonymous false, password_file        01 refused (CONNACK 5); 04 NO-LOCKOUT
busybox httpd 8080   httpd.conf /:admin:admin (Basic)            02 LISTENER-DEFAULT-CREDENTIAL
busybox httpd 8081   httpd.conf /:admin:<random>                 01 refused (401)
telnetd       23     inetd, telnetd -E /bin/sh                   01 LISTENER-NO-AUTH (shell prompt)
telnetd       2323   inetd, telnetd (login)                      01 refused (login prompt)
dnsmasq       53/u   --no-resolv                                 recognised as dns, no verdict
mariadb       3306   root@'%' created with an empty password     01 LISTENER-NO-AUTH (OK packet)
mariadb       3307   as packaged (root by unix_socket only)      01 refused (host not allowed / ERR)
Xtigervnc     5901   -SecurityTypes None                         01 LISTENER-NO-AUTH (type None)
Xtigervnc     5902   -SecurityTypes VncAuth, a password file     01 refused (VNC authentication)
coap-server   5683/u -A 0.0.0.0                                  01 LISTENER-NO-AUTH (2.05 Content)
pymodbus      502    TCP server on every address                 01 LISTENER-NO-AUTH (Modbus has none)
dovecot       143    imap, ssl = no                              12 cleartext; recognised as imap
dovecot       110    pop3, ssl = no                              12 cleartext; recognised as pop3
prosody       5222   anonymous authentication, no encryption     01 LISTENER-NO-AUTH (SASL ANONYMOUS)
prosody       5223   c2s_require_encryption, a certificate       STARTTLS required: not cleartext
prometheus    9090   as packaged: no web config                  01 LISTENER-NO-AUTH (JSON API data)
prometheus    9091   web config with basic_auth_users (bcrypt)   01 refused (401)
rabbitmq      5672   loopback_users = none (guest from anywhere) 02 LISTENER-DEFAULT-CREDENTIAL (guest)
rabbitmq      5673   as packaged (guest on loopback only)        01 refused; 04 NO-LOCKOUT
smbd          445    server min protocol = NT1, signing off      12 cleartext, notes "SMB1 still accepted";
                     (both: a share [public] with guest ok)      01 LISTENER-NO-AUTH (anonymous: public)
smbd          4445   SMB2 and later (smbd's default)             12 cleartext (no SMB3 encryption), no SMB1;
                                                                 01 LISTENER-NO-AUTH (anonymous: public)
minidlna      8200   its HTTP description server                 recognised as http, no verdict
minidlna      1900/u SSDP bound to the group 239.255.255.250      not probed (only a multicast would
                                                                 reach it: other hosts too), said
============  =====  ==========================================  ===================================

Every cleartext one reachable over the network is S1.1-12's (TRANSPORT-PROBE-PLAINTEXT or the
HTTP variant), DNS excepted (it carries no credentials).
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import protocol_netns as pn  # noqa: E402
from protocol_netns import ADDR, crit as _crit, findings as _findings, probe as _probe  # noqa: E402,F401

NET = pn.Netns(f"jcs-proto-{os.getpid()}")
_ns = NET.run
_write = pn.write
PG = "/usr/lib/postgresql/15/bin"
NEEDED = ("/usr/bin/redis-server", "/usr/bin/memcached", f"{PG}/initdb", "/usr/sbin/vsftpd", "/usr/bin/rsync",
          "/usr/sbin/in.tftpd", "/usr/sbin/snmpd", "/usr/sbin/mosquitto", "/usr/bin/busybox",
          "/usr/sbin/inetd", "/usr/sbin/telnetd", "/usr/sbin/dnsmasq", "/usr/sbin/mariadbd",
          "/usr/bin/Xtigervnc", "/usr/bin/coap-server-notls", "/usr/sbin/dovecot", "/usr/sbin/minidlnad",
          "/usr/lib/python3/dist-packages/pymodbus", "/usr/bin/prosody",
          "/usr/bin/prometheus", "/usr/bin/htpasswd", "/usr/lib/rabbitmq/bin/rabbitmq-server", "/usr/bin/epmd",
          "/usr/sbin/smbd")
TCP = {"redis-open": 6379, "redis-auth": 6380, "redis-port-80": 80, "memcached-open": 11211, "memcached-lo": 11212,
       "pg-trust": 5432, "pg-scram": 5433, "ftp-anon": 21, "ftp-local": 2121, "rsync-open": 873,
       "rsync-auth": 8730, "mqtt-open": 1883, "mqtt-auth": 1884, "http-default": 8080, "http-good": 8081,
       "telnet-shell": 23, "telnet-login": 2323, "mysql-open": 3306, "mysql-packaged": 3307,
       "vnc-none": 5901, "vnc-auth": 5902, "modbus": 502, "imap": 143, "pop3": 110, "dlna-http": 8200,
       "xmpp-open": 5222, "xmpp-tls": 5223, "prometheus-open": 9090, "prometheus-auth": 9091,
       "amqp-open": 5672, "amqp-packaged": 5673, "smb1": 445, "smb-packaged": 4445}
UDP = {"tftp": 69, "snmp-public": 161, "snmp-v3": 1161, "dns": 53, "coap": 5683, "ssdp": 1900}


def _why_not() -> str:
    return pn.why_not(NEEDED)


pytestmark = [pytest.mark.integration, pytest.mark.skipif(bool(_why_not()), reason=_why_not() or "ok")]


def _postgres(work, name, port, method, d):
    data = work / name
    data.mkdir()
    shutil.chown(data, "postgres", "postgres")
    pwfile = work / f"{name}.pw"
    pwfile.write_text(secrets.token_hex(16) + "\n")
    shutil.chown(pwfile, "postgres")
    subprocess.run(["runuser", "-u", "postgres", "--", f"{PG}/initdb", "-D", str(data), "-A", method,
                    "-U", "postgres", "--no-sync", f"--pwfile={pwfile}"], check=True, capture_output=True,
                   timeout=120)
    (data / "pg_hba.conf").write_text(f"local all all trust\nhost all all 0.0.0.0/0 {method}\n"
                                      f"host all all ::/0 {method}\n")
    d.start(f"{PG}/postgres", "-D", str(data), "-p", str(port), "-c", "listen_addresses=*",
            "-c", f"unix_socket_directories={data}", "-c", "fsync=off", user="postgres")


MODBUS = """
from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartTcpServer
store = ModbusSlaveContext(hr=ModbusSequentialDataBlock(0, [17] * 16))
StartTcpServer(context=ModbusServerContext(slaves=store, single=True), address=("0.0.0.0", 502))
"""


def _mariadb(work, d):
    """Two servers from the package: one where the vendor added root@'%' with an empty password,
    one as installed (root logs in through unix_socket only)."""
    for name, port, init in (("mysql-open", 3306, "CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '';\n"
                                                   "GRANT ALL ON *.* TO 'root'@'%';\n"),
                             ("mysql-packaged", 3307, "")):
        data = work / name
        data.mkdir()
        shutil.chown(data, "mysql", "mysql")
        subprocess.run(["mariadb-install-db", "--user=mysql", f"--datadir={data}", "--skip-test-db",
                        "--auth-root-authentication-method=socket"], check=True, capture_output=True, timeout=180)
        extra = []
        if init:
            extra = [f"--init-file={_write(work / (name + '.sql'), init)}"]
        d.start("/usr/sbin/mariadbd", "--no-defaults", "--user=mysql", f"--datadir={data}", f"--port={port}",
                "--bind-address=0.0.0.0", f"--socket={data / 'mysqld.sock'}", f"--pid-file={data / 'mysqld.pid'}",
                "--skip-log-bin", *extra)


def _vnc(work, d):
    """Two VNC servers, each with a /tmp of its own (X's lock and socket never touch the host's)."""
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    from cryptography.hazmat.primitives.ciphers import Cipher, modes

    # the VNC password file: the password DES-encrypted with VNC's fixed key (bits reversed)
    key = bytes(int(f"{b:08b}"[::-1], 2) for b in bytes([23, 82, 107, 6, 35, 78, 88, 7]))
    enc = Cipher(TripleDES(key * 3), modes.ECB()).encryptor()  # 3 x the key: single DES
    pw = work / "vnc.passwd"
    pw.write_bytes(enc.update(secrets.token_hex(4).encode()) + enc.finalize())
    os.chmod(pw, 0o600)
    for display, port, security in ((41, 5901, ["-SecurityTypes", "None"]),
                                    (42, 5902, ["-SecurityTypes", "VncAuth", "-PasswordFile", str(pw)])):
        args = " ".join(["Xtigervnc", f":{display}", "-rfbport", str(port), "-interface", "0.0.0.0",
                         "-nolisten", "tcp", "-geometry", "320x200", *security])
        d.start("unshare", "-m", "sh", "-c", f"mount -t tmpfs jcs-vnc /tmp && exec {args}")


def _dovecot(work, d):
    run = work / "dovecot-run"
    run.mkdir()
    conf = _write(work / "dovecot.conf", f"""\
        protocols = imap pop3
        listen = *
        ssl = no
        base_dir = {run}
        log_path = {work / 'dovecot.log'}
        auth_mechanisms = plain
        passdb {{
          driver = pam
        }}
        userdb {{
          driver = passwd
        }}
        """)
    d.start("/usr/sbin/dovecot", "-F", "-c", conf)


def _minidlna(work, d):
    for sub in ("media", "mdb", "mlog"):
        (work / sub).mkdir()
        shutil.chown(work / sub, "minidlna", "minidlna")
    conf = _write(work / "minidlna.conf", f"""\
        port=8200
        network_interface=jcs0
        media_dir={work / 'media'}
        db_dir={work / 'mdb'}
        log_dir={work / 'mlog'}
        friendly_name=jcs-gateway
        """)
    d.start("/usr/sbin/minidlnad", "-d", "-f", conf, "-P", str(work / "mlog" / "pid"), "-u", "minidlna")


def _prosody(work, d):
    """XMPP as a gateway ships it (anonymous logins, no TLS), and as it should (TLS required)."""
    cert, key = work / "xmpp.crt", work / "xmpp.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "30", "-subj", f"/CN={ADDR}"],
                   check=True, capture_output=True)
    for name, port, host in (("xmpp-open", 5222, 'authentication = "anonymous"'),
                             ("xmpp-tls", 5223, f'ssl = {{ key = "{key}"; certificate = "{cert}" }}')):
        data = work / name
        data.mkdir()
        for p in (data, key):
            shutil.chown(p, "prosody", "prosody")
        conf = _write(work / f"{name}.cfg.lua", f"""\
            daemonize = false
            pidfile = "{data / 'prosody.pid'}"
            data_path = "{data}"
            log = {{ error = "{data / 'error.log'}" }}
            c2s_ports = {{ {port} }}
            s2s_ports = {{ }}
            interfaces = {{ "*" }}
            c2s_require_encryption = {'true' if port == 5223 else 'false'}
            modules_enabled = {{ "saslauth", "tls", "disco", "ping" }}
            VirtualHost "{ADDR}"
              {host}
            """)
        d.start("/usr/bin/prosody", "--config", conf, user="prosody")


def _prometheus(work, d):
    """The monitoring server beside many gateways: its HTTP API as packaged, and behind basic auth."""
    config = _write(work / "prometheus.yml", "global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    hashed = subprocess.run(["htpasswd", "-nbBC", "10", "admin", secrets.token_hex(10)], check=True,
                            capture_output=True, text=True).stdout.strip().split(":", 1)[1]
    web = _write(work / "prometheus-web.yml", f"basic_auth_users:\n  admin: '{hashed}'\n")
    for port, extra in ((9090, []), (9091, [f"--web.config.file={web}"])):
        d.start("/usr/bin/prometheus", f"--config.file={config}", f"--storage.tsdb.path={work / f'tsdb{port}'}",
                f"--web.listen-address=0.0.0.0:{port}", *extra)


def _rabbitmq(work, d):
    """Two RabbitMQ nodes: guest allowed from the network (loopback_users = none), and as packaged.
    epmd runs in the foreground under the test (the nodes would start a daemonised one)."""
    d.start("/usr/bin/epmd")
    for n, (port, extra) in enumerate(((5672, "loopback_users = none\n"), (5673, "")), 1):
        home = work / f"rabbit{n}"
        home.mkdir()
        shutil.chown(home, "rabbitmq", "rabbitmq")
        conf = _write(home / "rabbitmq.conf", f"listeners.tcp.default = {port}\n{extra}")
        env = {"HOME": home, "RABBITMQ_MNESIA_BASE": home / "mnesia", "RABBITMQ_LOG_BASE": home / "log",
               "RABBITMQ_NODENAME": f"jcs{n}@localhost", "RABBITMQ_CONFIG_FILE": conf,
               "RABBITMQ_ENABLED_PLUGINS_FILE": home / "plugins", "RABBITMQ_DIST_PORT": 25671 + n,
               "RABBITMQ_PID_FILE": home / "pid", "RABBITMQ_CONF_ENV_FILE": home / "env"}
        d.start("/usr/bin/env", *(f"{k}={v}" for k, v in env.items()), "/usr/lib/rabbitmq/bin/rabbitmq-server",
                user="rabbitmq")


def _samba(work, d):
    """smbd with SMB1 switched back on and a guest share, and smbd as packaged (SMB2 and later)."""
    for port, extra in ((445, "server min protocol = NT1\n  server signing = disabled\n"), (4445, "")):
        state = work / f"samba{port}"
        (state / "share").mkdir(parents=True)
        conf = _write(work / f"smb{port}.conf", f"""\
            [global]
              {extra}  smb ports = {port}
              map to guest = Bad User
              lock directory = {state}
              state directory = {state}
              cache directory = {state}
              pid directory = {state}
              private dir = {state}
              ncalrpc dir = {state / 'ncalrpc'}
              log file = {state / 'log'}
              load printers = no
              disable spoolss = yes
            [public]
              path = {state / 'share'}
              guest ok = yes
              read only = yes
            """)
        d.start("/usr/sbin/smbd", "-F", "--no-process-group", "-s", conf)



@contextlib.contextmanager
def protocol_daemons():
    """The namespace with the daemons of the table above listening (also tools/bench_probes.py)."""
    with pn.daemon_world(NET, "jcs-proto-") as (work, d):
        # redis: open, and with a password
        for port, extra in ((6379, ["--protected-mode", "no"]), (6380, ["--requirepass", secrets.token_hex(20)]),
                            (80, ["--requirepass", secrets.token_hex(20)])):
            d.start("/usr/bin/redis-server", "--port", str(port), "--bind", "*", "--save", "", "--appendonly",
                    "no", "--dir", str(work), "--daemonize", "no", *extra)
        d.start("/usr/bin/memcached", "-u", "nobody", "-l", "0.0.0.0", "-p", "11211", "-U", "0")
        d.start("/usr/bin/memcached", "-u", "nobody", "-l", "127.0.0.1", "-p", "11212", "-U", "0")
        _postgres(work, "pg-trust", 5432, "trust", d)
        _postgres(work, "pg-scram", 5433, "scram-sha-256", d)
        # vsftpd: anonymous, and local users only
        (work / "empty").mkdir()
        (work / "ftp").mkdir()
        for port, anon in ((21, "YES"), (2121, "NO")):
            conf = _write(work / f"vsftpd-{port}.conf", f"""\
                listen=YES
                listen_port={port}
                background=NO
                anonymous_enable={anon}
                local_enable=YES
                anon_root={work / 'ftp'}
                secure_chroot_dir={work / 'empty'}
                seccomp_sandbox=NO
                pam_service_name=vsftpd
                """, 0o600)
            d.start("/usr/sbin/vsftpd", conf)
        # rsyncd: a module for anyone, and one with auth users
        (work / "pub").mkdir()
        secrets_file = _write(work / "rsyncd.secrets", f"backup:{secrets.token_hex(12)}\n", 0o600)
        for port, module in ((873, "[pub]\n  path = {pub}\n  read only = yes\n"),
                             (8730, "[priv]\n  path = {pub}\n  auth users = backup\n  secrets file = {sec}\n")):
            conf = _write(work / f"rsyncd-{port}.conf", "use chroot = no\npid file =\n"
                          + module.format(pub=work / "pub", sec=secrets_file))
            d.start("/usr/bin/rsync", "--daemon", "--no-detach", f"--port={port}", f"--config={conf}")
        (work / "tftp").mkdir()
        d.start("/usr/sbin/in.tftpd", "-L", "-a", "0.0.0.0:69", "-s", str(work / "tftp"))
        # snmpd: v2c public, and a v3-only agent
        (work / "snmp").mkdir()
        pub = _write(work / "snmpd-public.conf", "agentaddress udp:161\nrocommunity public default\n")
        v3 = _write(work / "snmpd-v3.conf", f"""\
            agentaddress udp:1161
            createUser jcsops SHA-256 "{secrets.token_hex(12)}" AES "{secrets.token_hex(12)}"
            rouser jcsops authpriv
            """, 0o600)
        for conf, persist in ((pub, "p1"), (v3, "p2")):
            (work / "snmp" / persist).mkdir()
            d.start("/usr/bin/env", f"SNMP_PERSISTENT_DIR={work / 'snmp' / persist}", "/usr/sbin/snmpd",
                    "-f", "-Lo", "-C", "-c", conf, "-p", str(work / "snmp" / f"{persist}.pid"))
        # mosquitto with a password file
        pw = work / "mosquitto.passwd"
        subprocess.run(["mosquitto_passwd", "-b", "-c", str(pw), "sensor", secrets.token_hex(12)], check=True,
                       capture_output=True)
        os.chmod(pw, 0o644)
        conf = _write(work / "mosquitto.conf", f"listener 1884\nallow_anonymous false\npassword_file {pw}\n")
        d.start("/usr/sbin/mosquitto", "-c", conf)
        # and one as many gateways ship it: every address, anonymous clients allowed
        d.start("/usr/sbin/mosquitto", "-c", _write(work / "mosquitto-open.conf",
                                                    "listener 1883 0.0.0.0\nallow_anonymous true\n"))
        # busybox httpd with an inline user:password (admin:admin), and one with a random one
        for port, password in ((8080, "admin"), (8081, secrets.token_hex(10))):
            www = work / f"www{port}"
            www.mkdir()
            (www / "index.html").write_text("<h1>gateway</h1>\n")
            conf = _write(work / f"httpd-{port}.conf", f"/:admin:{password}\n", 0o600)
            d.start("/usr/bin/busybox", "httpd", "-f", "-p", str(port), "-h", str(www), "-c", conf, "-r", "gw")
        inetd = _write(work / "inetd.conf", "telnet stream tcp nowait root /usr/sbin/telnetd telnetd -E /bin/sh\n"
                       "2323 stream tcp nowait root /usr/sbin/telnetd telnetd\n")
        d.start("/usr/sbin/inetd", "-d", inetd)
        d.start("/usr/sbin/dnsmasq", "-k", "--no-resolv", "--no-hosts", "--port=53", "--user=nobody",
                f"--pid-file={work / 'dnsmasq.pid'}", "--bind-interfaces", f"--listen-address={ADDR}")
        _mariadb(work, d)
        _vnc(work, d)
        d.start("/usr/bin/coap-server-notls", "-A", "0.0.0.0", "-p", "5683")
        d.start("/usr/bin/python3", "-c", MODBUS)
        _dovecot(work, d)
        _minidlna(work, d)
        _prosody(work, d)
        _prometheus(work, d)
        _rabbitmq(work, d)
        _samba(work, d)
        want = {("tcp", p) for p in TCP.values()} | {("udp", p) for p in UDP.values()}
        NET.wait_listening(want, 60)  # RabbitMQ takes its time
        yield work


@pytest.fixture(scope="module")
def services():
    with protocol_daemons() as work:
        yield work


@pytest.fixture(scope="module")
def run(services):
    return pn.run_agent(NET, services)


def _problems(data, cid):
    return pn.problems(data, cid, UDP.values())


def test_protocols_recognised_from_the_wire(run):
    want = {("tcp", 53): "dns", ("tcp", 80): "redis", ("tcp", 6379): "redis", ("tcp", 6380): "redis", ("tcp", 11211): "memcached",
            ("tcp", 5432): "postgresql", ("tcp", 5433): "postgresql", ("tcp", 21): "ftp",
            ("tcp", 2121): "ftp", ("tcp", 873): "rsync", ("tcp", 8730): "rsync", ("tcp", 1883): "mqtt", ("tcp", 1884): "mqtt",
            ("tcp", 8080): "http", ("tcp", 8081): "http", ("tcp", 23): "telnet", ("tcp", 2323): "telnet",
            ("udp", 69): "tftp", ("udp", 161): "snmp", ("udp", 1161): "snmp", ("udp", 53): "dns",
            ("tcp", 3306): "mysql", ("tcp", 3307): "mysql", ("tcp", 5901): "vnc", ("tcp", 5902): "vnc",
            ("udp", 5683): "coap", ("tcp", 502): "modbus", ("tcp", 143): "imap", ("tcp", 110): "pop3",
            ("tcp", 8200): "http", ("tcp", 5222): "xmpp", ("tcp", 5223): "xmpp", ("tcp", 9090): "http",
            ("tcp", 9091): "http", ("tcp", 5672): "amqp", ("tcp", 5673): "amqp", ("tcp", 445): "smb",
            ("tcp", 4445): "smb"}
    got = {k: _probe(run, *k)["protocol"] for k in want}
    assert got == want
    # SSDP listens on its multicast group: asking it would reach every host of the network
    assert "udp port 1900 bound to 239.255.255.250: not an own address, not probed" in run["probes"]["errors"]
    # the listener on every address was asked on the namespace's own address, not on loopback
    assert _probe(run, "tcp", 6379)["address"] == ADDR


def test_unauthenticated_services_fail_s1_1_01(run):
    no_auth = _findings(run, "S1.1-01", "LISTENER-NO-AUTH")
    expected = {("tcp", 6379), ("tcp", 11211), ("tcp", 5432), ("tcp", 21), ("tcp", 873), ("tcp", 23), ("udp", 69),
                ("tcp", 3306), ("tcp", 5901), ("udp", 5683), ("tcp", 502), ("tcp", 5222), ("tcp", 9090),
                ("tcp", 445), ("tcp", 4445)}
    assert set(no_auth) == expected, sorted(no_auth)
    assert _crit(run, "S1.1-01")["verdict"] == "fail"
    assert "PING without AUTH" in no_auth[("tcp", 6379)]["message"]
    assert no_auth[("tcp", 5432)]["evidence"]["answer"] == "AuthenticationOk"
    assert "Prometheus API" in no_auth[("tcp", 9090)]["message"]
    # the loopback-only memcached is not an access path over IP
    assert ("tcp", 11212) not in no_auth
    # the anonymous broker: failed once, by the MQTT check that has judged CONNACK since before the
    # protocol probes (one cause, one finding)
    mqtt = _findings(run, "S1.1-01", "AUTH-PROBE-UNAUTHENTICATED-ACCEPTED")
    assert set(mqtt) == {("tcp", 1883)} and "CONNECT without credentials" in mqtt[("tcp", 1883)]["message"]


def test_correctly_configured_services_are_judged_by_their_refusal(run):
    refused = _findings(run, "S1.1-01", "LISTENER-AUTH-OBSERVED")
    for key in (("tcp", 6380), ("tcp", 5433), ("tcp", 2121), ("tcp", 8730), ("tcp", 1884), ("tcp", 8081),
                ("tcp", 2323), ("udp", 1161), ("tcp", 3307), ("tcp", 5902), ("tcp", 9091), ("tcp", 5673)):
        assert key in refused, (key, sorted(refused))
    assert "NOAUTH" in refused[("tcp", 6380)]["evidence"]["answer"]
    assert refused[("tcp", 5433)]["evidence"]["answer"] == "SASL"


def test_default_credentials_fail_s1_1_02_without_the_secret(run):
    found = _findings(run, "S1.1-02", "LISTENER-DEFAULT-CREDENTIAL")
    assert ("tcp", 8080) in found and ("tcp", 8081) not in found, sorted(found)
    assert ("tcp", 5672) in found and "'guest'" in found[("tcp", 5672)]["message"]
    assert ("tcp", 5673) not in found  # guest is refused from the network as packaged
    assert "'admin'" in found[("tcp", 8080)]["message"]
    # SNMP: the probe's v2c get with 'public' was answered; the live check may also have read the
    # host's own snmpd.conf (CRED-DEFAULT-COMMUNITY) — one finding for the port either way
    assert "'public'" in _probe(run, "udp", 161)["observation"]["default_login"]
    assert not _probe(run, "udp", 1161)["observation"]["default_login"]
    assert ("udp", 161) in _problems(run, "S1.1-02") and ("udp", 1161) not in _problems(run, "S1.1-02")
    assert _crit(run, "S1.1-02")["verdict"] == "fail"
    text = json.dumps(run["report"]) + json.dumps(run["probes"])
    assert "YWRtaW46YWRtaW4" not in text and "admin:admin" not in text


def test_no_lockout_after_the_bounded_attempts_fails_s1_1_04(run):
    found = _findings(run, "S1.1-04", "LISTENER-NO-LOCKOUT")
    assert {("tcp", 6380), ("tcp", 1884), ("tcp", 5673)} <= set(found), sorted(found)
    assert found[("tcp", 6380)]["evidence"]["attempts"] >= 10
    assert _crit(run, "S1.1-04")["verdict"] == "fail"


def test_cleartext_services_fail_s1_1_12(run):
    plain = _problems(run, "S1.1-12")
    for key in (("tcp", 6379), ("tcp", 5432), ("tcp", 21), ("tcp", 23), ("udp", 69), ("udp", 161), ("tcp", 8080),
                ("tcp", 873), ("tcp", 11211), ("tcp", 3306), ("tcp", 5901), ("udp", 5683), ("tcp", 502),
                ("tcp", 143), ("tcp", 110), ("tcp", 5222), ("tcp", 445), ("tcp", 4445), ("tcp", 1883)):
        assert key in plain, (key, sorted(plain))
    smb = _findings(run, "S1.1-12", "TRANSPORT-PROBE-PLAINTEXT")
    assert "SMB1 still accepted (deprecated, no encryption)" in smb[("tcp", 445)]["evidence"]["notes"]
    assert not any("SMB1" in n for n in smb[("tcp", 4445)]["evidence"].get("notes", []))
    for key in (("udp", 53), ("udp", 1161), ("udp", 1900), ("tcp", 5223)):  # DNS; SNMPv3 authPriv; SSDP
        assert key not in plain, key  # discovery (public by design); XMPP with STARTTLS required
    assert _crit(run, "S1.1-12")["verdict"] == "fail"


def test_bounded_in_time(run):
    for s in run["probes"]["services"]:
        assert s["seconds"] <= 12, (s["proto"], s["port"], s["seconds"])
