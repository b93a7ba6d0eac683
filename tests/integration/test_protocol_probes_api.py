"""``--active`` on HTTP JSON APIs, HTTP Digest logins and PostgreSQL SCRAM: real daemons, real verdicts.

The companion of test_protocol_probes.py (same agent snippet, same judgement), for the logins and
APIs that need more than one question: InfluxDB from Debian as packaged and with authentication,
Node-RED from npm (Debian has none) with its default settings and with ``adminAuth``, lighttpd's
``mod_auth`` asking for Digest (MD5 from an ``htdigest`` file, SHA-256 from a plain file), and a
PostgreSQL whose superuser password is ``postgres`` over SCRAM-SHA-256, and Samba with Debian's
smb.conf, as packaged and with a guest share added. Every daemon runs in a
network namespace the test creates (``jcs-papi-<pid>``, loopback plus 10.77.0.1 on a veth, as protocol_netns.py makes it). The
expected verdicts were written from the configs, as an auditor decides, before the agent ran:

============  =====  ==========================================  ===================================
daemon        port   configuration                               expected
============  =====  ==========================================  ===================================
influxd 1.6   8086   /etc/influxdb/influxdb.conf as packaged     01 LISTENER-NO-AUTH (SHOW DATABASES
                     (auth-enabled = false)                      answered with its data)
influxd 1.6   8087   auth-enabled = true, an admin user with a   01 refused (401); no default login
                     random password
node-red 3.1  1880   default settings (no adminAuth)             01 LISTENER-NO-AUTH (GET /flows)
node-red 3.1  1881   adminAuth: admin, bcrypt of a random pw     01 refused (401 on /flows)
lighttpd      8082   Digest MD5, htdigest file admin:admin       02 LISTENER-DEFAULT-CREDENTIAL
lighttpd      8083   Digest SHA-256, plain file admin:admin      02 LISTENER-DEFAULT-CREDENTIAL
lighttpd      8084   Digest MD5, htdigest admin:<random>         01 refused (401 Digest); 04 not
                     (lighttpd delays each wrong login by 1 s:   judged: the 5 s budget ends the
                     auth.delay-invalid-creds, on by default)    tries before the 10 that decide
lighttpd      8085   as 8084, auth.delay-invalid-creds disabled  01 refused; 04 NO-LOCKOUT
lighttpd      8090   an HTML login form (password field) posted  02 LISTENER-LOGIN-FORM naming
                     to /cgi-bin/login.cgi, no HTTP auth         /cgi-bin/login.cgi, not tried;
                                                                 01 no verdict (a public page)
postgresql    5434   scram-sha-256, postgres's password is       02 LISTENER-DEFAULT-CREDENTIAL
                     'postgres'                                  ('postgres')
postgresql    5435   scram-sha-256, a random password            01 refused (SASL); 04 NO-LOCKOUT
postgresql    5436   md5, postgres's password 'postgres' stored  02 LISTENER-DEFAULT-CREDENTIAL
                     as an MD5 hash                              ('postgres')
smbd          445    Debian's smb.conf + a share [public] with   01 LISTENER-NO-AUTH (anonymous
                     guest ok = yes (map to guest = bad user)    session opens 'public')
smbd          4445   Debian's smb.conf as packaged ([homes],     01 refused (print$ and the homes
                     [printers], [print$] guest ok = no)         share refuse anonymous)
============  =====  ==========================================  ===================================

All are cleartext (S1.1-12). No password or hash sent appears in the report or the probes' record.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pathlib
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import protocol_netns as pn  # noqa: E402
from protocol_netns import crit as _crit, findings as _findings, probe as _probe, write as _write  # noqa: E402

PG = "/usr/lib/postgresql/15/bin"

NET = pn.Netns(f"jcs-papi-{os.getpid()}")
CACHE = os.environ.get("JCSTAR_ROOTFS_CACHE", "/var/tmp/jcstar-rootfs")
NODE_RED = "3.1.15"
NODE_RED_DIR = os.path.join(CACHE, f"npm-node-red-{NODE_RED}")
NEEDED = ("/usr/bin/influxd", "/usr/sbin/lighttpd", f"{PG}/initdb", "/usr/bin/node", "/usr/sbin/smbd")
TCP = {"influx-open": 8086, "influx-auth": 8087, "nodered-open": 1880, "nodered-auth": 1881,
       "digest-md5-default": 8082, "digest-sha256-default": 8083, "digest-random": 8084, "digest-random-nodelay": 8085, "form": 8090,
       "pg-scram-default": 5434, "pg-scram-random": 5435, "pg-md5-default": 5436, "smb-guest": 445, "smb-packaged": 4445}


def _why_not() -> str:
    if pn.why_not(NEEDED):
        return pn.why_not(NEEDED)
    if not os.path.exists(os.path.join(NODE_RED_DIR, "node_modules", "node-red")) and not shutil.which("npm"):
        return f"Node-RED not cached in {NODE_RED_DIR} and no npm to install it"
    return ""


pytestmark = [pytest.mark.integration, pytest.mark.skipif(bool(_why_not()), reason=_why_not() or "ok")]


def node_red() -> str:
    """Node-RED from npm, installed once into the cache (a folder of its own, renamed when complete)."""
    if not os.path.exists(os.path.join(NODE_RED_DIR, "node_modules", "node-red")):
        os.makedirs(CACHE, exist_ok=True)
        build = tempfile.mkdtemp(prefix="npm-node-red-build-", dir=CACHE)
        try:
            subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--omit=dev", "--prefix", build,
                            f"node-red@{NODE_RED}"], check=True, capture_output=True, timeout=600,
                           env=dict(os.environ, npm_config_cache=os.path.join(build, ".npm")))
            shutil.rmtree(os.path.join(build, ".npm"), ignore_errors=True)
            os.rename(build, NODE_RED_DIR)
        finally:
            shutil.rmtree(build, ignore_errors=True)
    return os.path.join(NODE_RED_DIR, "node_modules", "node-red", "red.js")


def _influxdb(work, d):
    """influxd as Debian ships its config (auth-enabled = false), and with authentication on."""
    packaged = pathlib.Path("/etc/influxdb/influxdb.conf").read_text()
    for name, port, rpc, http in (("influx-open", 8086, 8088, ""),
                                  ("influx-auth", 8087, 8089, "  auth-enabled = true\n")):
        (work / name).mkdir()
        conf = packaged.replace("/var/lib/influxdb", str(work / name))
        conf = f'bind-address = "127.0.0.1:{rpc}"\n' + re.sub(
            r"(?m)^\[http\]\n", f'[http]\n  bind-address = ":{port}"\n{http}', conf, count=1)
        d.start("/usr/bin/influxd", "-config", _write(work / f"{name}.conf", conf))


def _influx_admin(port: int) -> None:
    """The first admin user of the authenticated InfluxDB (allowed once without credentials)."""
    q = urllib.parse.quote(f"CREATE USER admin WITH PASSWORD '{secrets.token_hex(12)}' WITH ALL PRIVILEGES")
    code = ("import urllib.request,sys; r=urllib.request.urlopen(urllib.request.Request("
            f"'http://127.0.0.1:{port}/query', data=b'q={q}', method='POST')); sys.exit(r.status != 200)")
    NET.run(sys.executable, "-c", code, check=True, capture_output=True, timeout=30)


def _node_red(work, d):
    red = node_red()
    hashed = subprocess.run(["htpasswd", "-nbBC", "8", "admin", secrets.token_hex(10)], check=True,
                            capture_output=True, text=True).stdout.strip().split(":", 1)[1]
    hashed = "$2b$" + hashed[4:]  # htpasswd writes $2y$, the same bcrypt that bcryptjs reads as $2b$
    for name, port, extra in (("nodered-open", 1880, ""),
                              ("nodered-auth", 1881, "adminAuth: {type: 'credentials', users: [{username: "
                                                     f"'admin', password: '{hashed}', permissions: '*'}}]}},")):
        home = work / name
        home.mkdir()
        settings = _write(home / "settings.js", f"module.exports = {{ uiPort: {port}, flowFile: 'flows.json', "
                                                f"{extra} logging: {{ console: {{ level: 'error' }} }} }};\n")
        d.start("/usr/bin/node", red, "--userDir", str(home), "--settings", settings,
                cwd=str(home))


def _lighttpd(work, d):
    """One lighttpd, three sockets: Digest MD5 from htdigest (admin:admin), SHA-256 from a plain
    file (admin:admin), MD5 from htdigest with a random password; and a second lighttpd with that
    random password and its delay of wrong logins switched off."""
    (work / "www").mkdir()
    (work / "www" / "index.html").write_text("<h1>gateway</h1>\n")

    def htdigest(password):
        ha1 = hashlib.md5(f"admin:gw:{password}".encode()).hexdigest()  # nosec - the file format's
        return f"admin:gw:{ha1}\n"
    files = {"default.htdigest": htdigest("admin"), "default.plain": "admin:admin\n",
             "random.htdigest": htdigest(secrets.token_hex(10))}
    for f, text in files.items():
        _write(work / f, text, 0o600)
    blocks = []
    for port, backend, file, algorithm in ((8082, "htdigest", "default.htdigest", "MD5"),
                                           (8083, "plain", "default.plain", "SHA-256"),
                                           (8084, "htdigest", "random.htdigest", "MD5"),
                                           (8085, "htdigest", "random.htdigest", "MD5")):
        blocks.append(f"""\
$SERVER["socket"] == ":{port}" {{
  auth.backend = "{backend}"
  auth.backend.{backend}.userfile = "{work / file}"
  auth.require = ( "/" => ( "method" => "digest", "algorithm" => "{algorithm}", "realm" => "gw",
                            "require" => "valid-user" ) )
}}
""")
    # a router-style web admin: its login is an HTML form posted to a CGI, no HTTP authentication
    (work / "www-form").mkdir()
    (work / "www-form" / "index.html").write_text(
        '<html><body><form method="post" action="/cgi-bin/login.cgi"><input name="username">'
        '<input type="password" name="password"><input type="submit"></form></body></html>\n')
    blocks.append(f'$SERVER["socket"] == ":8090" {{\n  server.document-root = "{work / "www-form"}"\n}}\n')
    head = f"""\
server.modules = ( "mod_auth", "mod_authn_file" )
server.document-root = "{work / 'www'}"
index-file.names = ( "index.html" )
"""
    # lighttpd delays every wrong login (auth.delay-invalid-creds, on by default); a second one
    # with the delay switched off, as a vendor tuning for speed ships it
    for name, port, sockets, extra in (("lighttpd", 8082, blocks[:3], ""),
                                       ("lighttpd-nodelay", 8085, blocks[3:],
                                        'server.feature-flags = ( "auth.delay-invalid-creds" => "disable" )\n')):
        conf = _write(work / f"{name}.conf", head + extra + f"""\
server.port = {port}
server.pid-file = "{work / (name + '.pid')}"
server.errorlog = "{work / (name + '.log')}"
""" + "".join(sockets))
        d.start("/usr/sbin/lighttpd", "-D", "-f", conf)


def _postgres(work, name, port, password, d, method="scram-sha-256"):
    data = work / name
    data.mkdir()
    shutil.chown(data, "postgres", "postgres")
    pwfile = _write(work / f"{name}.pw", password + "\n", 0o600)
    shutil.chown(pwfile, "postgres")
    subprocess.run(["runuser", "-u", "postgres", "--", f"{PG}/initdb", "-D", str(data), "-A", "scram-sha-256",
                    "-U", "postgres", "--no-sync", f"--pwfile={pwfile}"], check=True, capture_output=True,
                   timeout=120)
    (data / "pg_hba.conf").write_text(f"local all all peer\nhost all all 0.0.0.0/0 {method}\n"
                                      f"host all all ::/0 {method}\n")
    d.start(f"{PG}/postgres", "-D", str(data), "-p", str(port), "-c", "listen_addresses=*",
            "-c", f"unix_socket_directories={data}", "-c", "fsync=off", "-c", f"password_encryption={method}",
            user="postgres")


def _pg_md5_password(name: str, port: int, work) -> None:
    """The password stored again as an MD5 hash (initdb stored it as SCRAM), over the local socket."""
    sql = _write(work / f"{name}.sql", "SET password_encryption = 'md5';\nALTER USER postgres PASSWORD 'postgres';\n",
                 0o644)
    NET.run("runuser", "-u", "postgres", "--", "psql", "-h", str(work / name), "-p", str(port), "-d", "postgres",
        "-q", "-f", sql, check=True, capture_output=True, timeout=60)


def _samba(work, d):
    """Debian's own smb.conf, its state redirected into the test's folder; one with a guest share."""
    packaged = pathlib.Path("/etc/samba/smb.conf").read_text()
    for port, share in ((445, "\n[public]\n   path = {state}/share\n   guest ok = yes\n   read only = yes\n"),
                        (4445, "")):
        state = work / f"samba{port}"
        (state / "share").mkdir(parents=True)
        own = "".join(f"   {k} = {v}\n" for k, v in (
            ("smb ports", port), ("lock directory", state), ("state directory", state),
            ("cache directory", state), ("pid directory", state), ("private dir", state),
            ("ncalrpc dir", state / "ncalrpc"), ("log file", state / "log"), ("load printers", "no"),
            ("disable spoolss", "yes")))
        # the settings go at the end of [global], before the first share section
        conf = re.sub(r"(?m)^\[(?!global\])", lambda m: own + "[", packaged, count=1)
        conf = _write(work / f"smb{port}.conf", conf + share.format(state=state))
        d.start("/usr/sbin/smbd", "-F", "--no-process-group", "-s", conf)


@contextlib.contextmanager
def api_daemons():
    with pn.daemon_world(NET, "jcs-papi-") as (work, d):
        _influxdb(work, d)
        _node_red(work, d)
        _lighttpd(work, d)
        _postgres(work, "pg-scram-default", 5434, "postgres", d)
        _postgres(work, "pg-scram-random", 5435, secrets.token_hex(16), d)
        _postgres(work, "pg-md5-default", 5436, "postgres", d, method="md5")
        _samba(work, d)
        NET.wait_listening({("tcp", p) for p in TCP.values()}, 60)
        _influx_admin(8087)
        _pg_md5_password("pg-md5-default", 5436, work)
        yield work


@pytest.fixture(scope="module")
def run():
    with api_daemons() as work:
        yield pn.run_agent(NET, work)


def test_every_listener_is_recognised_from_the_wire(run):
    got = {port: _probe(run, "tcp", port)["protocol"] for port in TCP.values()}
    assert got == {p: {5434: "postgresql", 5435: "postgresql", 5436: "postgresql", 445: "smb", 4445: "smb"}.get(p, "http")
                   for p in TCP.values()}


def test_json_apis_answering_without_credentials_fail_s1_1_01(run):
    no_auth = _findings(run, "S1.1-01", "LISTENER-NO-AUTH")
    assert set(no_auth) == {("tcp", 8086), ("tcp", 1880), ("tcp", 445)}, sorted(no_auth)
    assert "public" in no_auth[("tcp", 445)]["message"]
    assert "InfluxDB API" in no_auth[("tcp", 8086)]["message"]
    assert "Node-RED admin API" in no_auth[("tcp", 1880)]["message"]
    refused = _findings(run, "S1.1-01", "LISTENER-AUTH-OBSERVED")
    for port in (8087, 1881, 8084, 8085, 5435, 4445):
        assert ("tcp", port) in refused, (port, sorted(refused))
    assert refused[("tcp", 5435)]["evidence"]["answer"] == "SASL"
    assert "no listed share opened anonymously" in refused[("tcp", 4445)]["evidence"]["answer"]
    assert _crit(run, "S1.1-01")["verdict"] == "fail"


def test_default_credentials_over_digest_and_scram_fail_s1_1_02(run):
    found = _findings(run, "S1.1-02", "LISTENER-DEFAULT-CREDENTIAL")
    assert {("tcp", 8082), ("tcp", 8083), ("tcp", 5434), ("tcp", 5436)} <= set(found), sorted(found)
    for port in (8084, 8085, 5435, 8087, 1881):
        assert ("tcp", port) not in found
    assert "'admin'" in found[("tcp", 8082)]["message"] and "'postgres'" in found[("tcp", 5434)]["message"]
    assert _crit(run, "S1.1-02")["verdict"] == "fail"


def test_a_login_form_is_named_for_a_manual_judgement(run):
    form = _findings(run, "S1.1-02", "LISTENER-LOGIN-FORM")
    assert set(form) == {("tcp", 8090)}, sorted(form)
    assert "/cgi-bin/login.cgi" in form[("tcp", 8090)]["message"]
    probe = _probe(run, "tcp", 8090)["observation"]
    assert probe["attempts"] == 0 and probe["no_auth"] is None  # nothing tried, no verdict from a page


def test_no_lockout_after_wrong_digest_and_scram_logins_fails_s1_1_04(run):
    found = _findings(run, "S1.1-04", "LISTENER-NO-LOCKOUT")
    assert {("tcp", 8085), ("tcp", 5435)} <= set(found), sorted(found)
    assert found[("tcp", 8085)]["evidence"]["attempts"] >= 10
    # lighttpd's own delay: every wrong login answered after a second, too few tries to decide
    delayed = _probe(run, "tcp", 8084)["observation"]
    assert ("tcp", 8084) not in found and 3 <= delayed["attempts"] < 10
    assert min(delayed["attempt_seconds"]) >= 0.9


def test_no_secret_in_the_evidence(run):
    text = json.dumps(run)
    assert "admin:admin" not in text and "YWRtaW46YWRtaW4" not in text
    assert "c=biws" not in text and "response=" not in text  # no SCRAM proof, no Digest response


def test_cleartext_fails_s1_1_12(run):
    plain = {(f["evidence"].get("proto", "tcp"), f["evidence"].get("port"))
             for f in _crit(run, "S1.1-12")["findings"] if f["severity"] != "info"}
    assert {("tcp", p) for p in TCP.values()} <= plain, sorted(plain)


def test_bounded_in_time(run):
    for s in run["probes"]["services"]:
        assert s["seconds"] <= 12, (s["proto"], s["port"], s["seconds"])
