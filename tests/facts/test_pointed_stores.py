"""Credential files that any started daemon's settings point to are judged like the known stores
(S1.1-11 permissions and weak/plain formats, S1.1-02 default passwords), whatever the daemon."""
from jcstar_agent.check import evaluate
from jcstar_agent.facts import credstores
from surface_testlib import enabled, make_ctx

APP = {
    **enabled("appd", "/opt/app/bin/appd --config /etc/app/app.conf"),
    "/etc/app/app.conf": "# app settings\nlisten = 0.0.0.0:9000\npassword_file = /etc/app/users.txt\n"
                         "ssl_cert_file = /etc/app/cert.pem\n",
    "/etc/app/users.txt": "admin:admin\n",
    "/etc/app/cert.pem": "-----BEGIN CERTIFICATE-----\n",
    **enabled("vncd", "/usr/bin/vncd -rfbauth /etc/vncd/passwd -forever"),
    "/etc/vncd/passwd": b"\x17\x52\x6b\x06\x23\x4e\x58\x07",
    **enabled("quiet", "/usr/bin/other --secrets-file=/etc/other/secrets"),
    "/etc/other/secrets": "token=abc\n",
    # not a credential store: a user list, and a setting naming a folder
    **enabled("ftpish", "/usr/sbin/ftpish"),
    "/etc/ftpish.conf": "userlist_file=/etc/ftpish.users\nsecret_dir=/etc\n",
    "/etc/ftpish.users": "anonymous\n",
}
MODES = {"/etc/app/users.txt": 0o644, "/etc/vncd/passwd": 0o644, "/etc/other/secrets": 0o600,
         "/etc/ftpish.users": 0o644}


def test_pointed_files_found_with_where(tree):
    ctx = make_ctx(tree(APP, MODES))
    stores = {s.path: s for s in ctx.fact(credstores.read).stores}
    assert set(stores) == {"/etc/app/users.txt", "/etc/vncd/passwd", "/etc/other/secrets"}
    assert stores["/etc/app/users.txt"].fmt == "htpasswd"
    assert stores["/etc/app/users.txt"].found_in == "/etc/app/app.conf:3 (password_file)"
    assert stores["/etc/app/users.txt"].service == "appd"
    assert stores["/etc/vncd/passwd"].fmt == "opaque" and stores["/etc/vncd/passwd"].entries == []
    assert stores["/etc/vncd/passwd"].found_in.endswith("(-rfbauth)")
    assert stores["/etc/other/secrets"].fmt == "opaque"


def test_judged_like_known_stores(tree):
    root = tree(APP, MODES)
    s11 = evaluate(make_ctx(root), "S1.1-11")
    got = {(f.check, f.evidence.get("path")) for f in s11.findings if f.is_problem}
    assert ("APP-SECRET-WORLD-READABLE", "/etc/app/users.txt") in got
    assert ("APP-SECRET-WORLD-READABLE", "/etc/vncd/passwd") in got
    assert ("CRED-WEAK-HASH", "/etc/app/users.txt") in got  # plain text
    assert not any(p in ("/etc/other/secrets", "/etc/ftpish.users", "/etc/app/cert.pem") for _c, p in got)
    s02 = evaluate(make_ctx(root), "S1.1-02")
    assert any(f.check == "CRED-DEFAULT-PASSWORD" and "/etc/app/users.txt" in f.message for f in s02.findings)
