"""jcstar_agent.facts.credstores + jcstar_agent.passwords.formats against files made by the real tools."""
import base64
import hashlib
import os
import shutil
import subprocess

import pytest

from jcstar_agent.config.schema import BoardConfig, Login
from jcstar_agent.criteria.interface import Context
from jcstar_agent.facts import credstores
from jcstar_agent.passwords import formats
from jcstar_agent.target import Root


def ctx_of(root, cfg=None):
    return Context(Root(root, live=False), cfg or BoardConfig())


def openssl_passwd(*args):
    return subprocess.run(["openssl", "passwd", *args], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.mark.skipif(not shutil.which("mosquitto_passwd"), reason="mosquitto_passwd not installed")
def test_mosquitto_real_password_file(tree, tmp_path):
    pwfile = tmp_path / "passwd"
    pwfile.write_text("")
    subprocess.run(["mosquitto_passwd", "-b", str(pwfile), "sensor", "public"], check=True,
                   capture_output=True)
    root = tree({"/etc/mosquitto/mosquitto.conf": "per_listener_settings false\n"
                                                  "include_dir /etc/mosquitto/conf.d\n",
                 "/etc/mosquitto/conf.d/lan.conf": "listener 1883 0.0.0.0\nallow_anonymous true\n"
                                                   "listener 1884 127.0.0.1\n"
                                                   "password_file /etc/mosquitto/passwd\n",
                 "/etc/mosquitto/passwd": pwfile.read_bytes()})
    cs = credstores.read(ctx_of(root))
    assert [(s.path, s.fmt, s.service) for s in cs.stores] == [("/etc/mosquitto/passwd", "mosquitto", "mosquitto")]
    e = cs.stores[0].entries[0]
    assert e.user == "sensor" and e.line == 1
    sch, verify = formats.verifier(e.stored, "mosquitto")
    assert sch in ("mosquitto-pbkdf2", "mosquitto-sha512")
    assert verify("public") and not verify("Public")
    lst = {(m.port, m.address): m for m in cs.mqtt_listeners}
    assert lst[(1883, "0.0.0.0")].allow_anonymous and not lst[(1883, "0.0.0.0")].loopback_only
    assert lst[(1884, "127.0.0.1")].loopback_only


def test_mosquitto_sha512_format():
    salt = os.urandom(12)
    stored = "$6$" + base64.b64encode(salt).decode() + "$" + \
        base64.b64encode(hashlib.sha512(b"letmein" + salt).digest()).decode()
    sch, verify = formats.verifier(stored, "mosquitto")
    assert sch == "mosquitto-sha512" and verify("letmein") and not verify("x")


def test_web_stores_and_formats(tree):
    apr1 = openssl_passwd("-apr1", "-salt", "saltsalt", "admin")
    sha = "{SHA}" + base64.b64encode(hashlib.sha1(b"password").digest()).decode()
    digest = hashlib.md5(b"bob:realm:secret").hexdigest()
    root = tree({"/etc/nginx/sites-enabled/default": "server {\n auth_basic \"x\";\n"
                                                     "  auth_basic_user_file /etc/nginx/.htpasswd;\n}\n",
                 "/etc/nginx/.htpasswd": f"admin:{apr1}\nguest:{sha}\n\ngarbage\n",
                 "/etc/lighttpd/conf-enabled/05-auth.conf":
                     'auth.backend.plain.userfile = "/etc/lighttpd/plain.user"\n'
                     'auth.backend.htdigest.userfile = "/etc/lighttpd/digest.user"\n',
                 "/etc/lighttpd/plain.user": "op:hunter2\n",
                 "/etc/lighttpd/digest.user": f"bob:realm:{digest}\n",
                 "/etc/apache2/sites-enabled/a.conf": "AuthUserFile \"/missing/htpasswd\"\n",
                 "/opt/app/users.txt": "api:$6$abcdefgh$xyz\n"})
    cfg = BoardConfig(logins=[Login(name="api", kind="app", store="/opt/app/users.txt", store_format="crypt")])
    cs = credstores.read(ctx_of(root, cfg))
    by = {s.path: s for s in cs.stores}
    assert by["/etc/nginx/.htpasswd"].found_in == "/etc/nginx/sites-enabled/default:3"
    assert [e.user for e in by["/etc/nginx/.htpasswd"].entries] == ["admin", "guest"]
    assert by["/missing/htpasswd"].error == "missing"
    assert by["/opt/app/users.txt"].login == "api" and by["/opt/app/users.txt"].fmt == "crypt"
    checks = {"admin": "admin", "guest": "password", "op": "hunter2", "bob": "secret"}
    for s in cs.stores:
        for e in s.entries:
            if e.user in checks:
                sch, verify = formats.verifier(e.stored, s.fmt)
                assert verify(checks[e.user]) and not verify("nope"), (e.user, sch)
                assert sch in formats.WEAK


def test_md5crypt_matches_openssl():
    assert formats.md5crypt(b"pw", b"abcdefgh", b"$1$") == openssl_passwd("-1", "-salt", "abcdefgh", "pw")


def test_vendor_json_store(tree):
    from jcstar_agent import libcrypt

    h = libcrypt.load().hash("admin", "$2b$05$abcdefghijklmnopqrstuu")
    root = tree({"/opt/app/users.json": '{"version": 2, "users": [\n {"username": "admin", "password_hash": "%s"},\n'
                                        ' {"username": "viewer", "password": "viewer"}],\n "x": [1, "a"]}\n' % h,
                 "/opt/app/bad.json": "{not json"})
    cfg = BoardConfig(logins=[Login(name="web", kind="app", store="/opt/app/users.json", store_format="json"),
                              Login(name="b", kind="app", store="/opt/app/bad.json", store_format="json")])
    by = {s.path: s for s in credstores.read(ctx_of(root, cfg)).stores}
    entries = {e.user: e for e in by["/opt/app/users.json"].entries}
    assert set(entries) == {"admin", "viewer"} and entries["admin"].line == 2
    sch, verify = formats.verifier(entries["admin"].stored, "json")
    assert sch == "bcrypt" and verify("admin")
    assert formats.verifier(entries["viewer"].stored, "json")[0] == "plaintext"
    assert by["/opt/app/bad.json"].error.startswith("not valid JSON")


def test_mosquitto_defaults_by_version(trees):
    conf = {"/etc/mosquitto/mosquitto.conf": "# nothing configured\n"}
    old = dict(conf, **{"/var/lib/dpkg/status": "Package: mosquitto\nStatus: install ok installed\n"
                                                 "Version: 1.6.12-1\n\n"})
    lst = credstores.read(ctx_of(trees(old))).mqtt_listeners
    assert [(m.port, m.address, m.allow_anonymous) for m in lst] == [(1883, "", True)]
    assert "before mosquitto 2.0" in lst[0].source
    new = dict(conf, **{"/var/lib/dpkg/status": "Package: mosquitto\nStatus: install ok installed\n"
                                                 "Version: 2.0.11-1.2\n\n"})
    lst = credstores.read(ctx_of(trees(new))).mqtt_listeners
    assert [(m.port, m.address, m.allow_anonymous) for m in lst] == [(1883, "127.0.0.1", None)]


@pytest.mark.skipif(not shutil.which("htpasswd"), reason="htpasswd (apache2-utils) not installed")
def test_htpasswd_real_tool_every_format_cracked(tree, tmp_path):
    """Files made by Apache's own htpasswd (bcrypt, apr1, {SHA}, DES crypt, plain), found through an
    nginx config that writes its directives on one line, and every default password found."""
    from jcstar_agent.criteria import s1_1_02, s1_1_11
    from jcstar_agent.criteria.interface import Options

    made = {}
    for flag, pw in (("-B", "admin"), ("-m", "password"), ("-s", "123456"), ("-d", "12345"),
                     ("-p", "guest")):
        f = tmp_path / f"ht{flag[1]}"
        subprocess.run(["htpasswd", "-c", "-b", flag, str(f), "bob", pw], check=True, capture_output=True)
        made[f"/etc/nginx/ht{flag[1]}"] = f.read_bytes()
    assert made["/etc/nginx/htB"].startswith(b"bob:$2y$") and b"$apr1$" in made["/etc/nginx/htm"]
    conf = "".join(f"location /{p[-3:]} {{ auth_basic \"x\"; auth_basic_user_file {p}; }}\n" for p in made)
    conf += "# auth_basic_user_file /etc/nginx/commented;\n"
    root = tree(dict(made, **{"/etc/nginx/conf.d/sites.conf": conf}))
    ctx = Context(Root(root, live=False), BoardConfig(), Options(password_budget=60))
    assert sorted(s.path for s in credstores.read(ctx).stores) == sorted(made)
    out = s1_1_02.evaluate(ctx)
    hits = {f.evidence["store"] for f in out.findings if f.check == "CRED-DEFAULT-PASSWORD"}
    assert hits == set(made), out.reason
    assert "not testable" not in out.reason
    weak = {f.evidence["path"]: f.evidence["scheme"] for f in s1_1_11.evaluate(ctx).findings
            if f.check == "CRED-WEAK-HASH"}
    assert weak == {"/etc/nginx/htm": "apr1", "/etc/nginx/hts": "sha1", "/etc/nginx/htd": "des",
                    "/etc/nginx/htp": "plaintext"}


@pytest.mark.skipif(not shutil.which("mosquitto_passwd"), reason="mosquitto_passwd not installed")
def test_mosquitto_both_hash_formats_made_by_the_real_tool_cracked(tree, tmp_path):
    """mosquitto_passwd -H sha512 ($6$, the 1.x default) and -H sha512-pbkdf2 ($7$): both tested by
    S1.1-02; the single salted SHA-512 is a weak hash for S1.1-11, PBKDF2 is not."""
    from jcstar_agent.criteria import s1_1_02, s1_1_11
    from jcstar_agent.criteria.interface import Options

    pw = tmp_path / "passwd"
    pw.write_text("")
    for algo, user, secret in (("sha512", "cam", "admin"), ("sha512-pbkdf2", "hub", "changeme"),
                               ("sha512-pbkdf2", "ops", "Zx9!kk2LmQp0w-7")):
        subprocess.run(["mosquitto_passwd", "-H", algo, "-b", str(pw), user, secret], check=True,
                       capture_output=True)
    stored = dict(ln.split(":", 1) for ln in pw.read_text().splitlines())
    assert stored["cam"].startswith("$6$") and stored["hub"].startswith("$7$")
    root = tree({"/etc/mosquitto/mosquitto.conf": "listener 8883\npassword_file /etc/mosquitto/passwd\n",
                 "/etc/mosquitto/passwd": pw.read_bytes()}, {"/etc/mosquitto/passwd": 0o600})
    ctx = Context(Root(root, live=False), BoardConfig(), Options(password_budget=60))
    out = s1_1_02.evaluate(ctx)
    hits = sorted(f.evidence["account"] for f in out.findings if f.check == "CRED-DEFAULT-PASSWORD")
    assert hits == ["cam", "hub"], out.reason
    weak = [(f.evidence["scheme"], f.evidence["accounts"]) for f in s1_1_11.evaluate(ctx).findings
            if f.check == "CRED-WEAK-HASH"]
    assert weak == [("mosquitto-sha512", ["cam"])]


def test_apache_htaccess_in_the_web_root(tree):
    """AuthUserFile in a .htaccess (AllowOverride AuthConfig) protects a folder just as well."""
    apr1 = openssl_passwd("-apr1", "-salt", "saltsalt", "admin")
    root = tree({"/var/www/html/admin/.htaccess": "AuthType Basic\nAuthName \"admin\"\n"
                                                  "AuthUserFile /var/www/.htpasswd\n# AuthUserFile /nope\n"
                                                  "Require valid-user\n",
                 "/var/www/.htpasswd": f"admin:{apr1}\n"})
    stores = credstores.read(ctx_of(root)).stores
    assert [(s.path, s.service, s.found_in) for s in stores] == [
        ("/var/www/.htpasswd", "apache", "/var/www/html/admin/.htaccess:3")]
    assert [e.user for e in stores[0].entries] == ["admin"]
