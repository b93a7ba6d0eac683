"""S1.1-02: what the password test cannot reach is a finding naming it, never a silent pass."""
import os

from jcstar_agent.check import evaluate
from jcstar_agent.config import load
from jcstar_agent.criteria import Context, Options, Verdict
from jcstar_agent.target import Root

SSH = {"/usr/sbin/sshd": "x", "/etc/ssh/sshd_config": "PasswordAuthentication yes\nKbdInteractiveAuthentication no\n"}
PASSWD = "root:x:0:0::/root:/bin/sh\nadmin:x:1000:1000::/home/admin:/bin/sh\n"
SSH_LOGIN = '[[logins]]\nname = "ssh"\nprotocol = "ssh"\nport = 22\naccounts = ["admin"]\ndefault_password = "unique"\ngeneration = "label"\n'


def run(tree, tmp_path, files, toml):
    root = tree(files)
    os.chmod(os.path.join(root, "usr/sbin/sshd"), 0o755) if os.path.exists(os.path.join(root, "usr/sbin/sshd")) else None
    cfg = tmp_path / "board.toml"
    cfg.write_text(toml)
    out = evaluate(Context(Root(root, live=False), load(str(cfg)), Options(password_budget=5)), "S1.1-02")
    return out, {f.check: f for f in out.findings if f.is_problem}


def test_garbage_shadow_is_named(tree, tmp_path):
    files = dict(SSH, **{"/etc/passwd": PASSWD, "/etc/shadow": b"\x00\xff\xfe garbage\n\x01\x02:\n"})
    out, found = run(tree, tmp_path, files, SSH_LOGIN)
    assert out.verdict is Verdict.FAIL
    assert "admin" in found["CRED-UNCHECKABLE"].message or any(
        f.check == "CRED-UNCHECKABLE" and f.evidence.get("account") == "admin" for f in out.findings)


def test_missing_declared_store_and_account(tree, tmp_path):
    toml = SSH_LOGIN.replace('accounts = ["admin"]', 'accounts = ["operator"]') + (
        '[[logins]]\nname = "web"\nkind = "app"\nprotocol = "http-basic"\nport = 80\n'
        'store = "/opt/acme/users.json"\nstore_format = "json"\ndefault_password = "unique"\ngeneration = "label"\n')
    out, found = run(tree, tmp_path, dict(SSH, **{"/etc/passwd": PASSWD}), toml)
    assert out.verdict is Verdict.FAIL
    assert found["CRED-STORE-UNREADABLE"].evidence["path"] == "/opt/acme/users.json"
    assert "missing" in found["CRED-STORE-UNREADABLE"].message
    assert found["CRED-DECLARED-ACCOUNT-MISSING"].evidence["account"] == "operator"


def test_unparseable_json_store(tree, tmp_path):
    toml = ('[[logins]]\nname = "web"\nkind = "app"\nprotocol = "http-basic"\nport = 80\n'
            'store = "/opt/acme/users.json"\nstore_format = "json"\ndefault_password = "unique"\ngeneration = "label"\n')
    out, found = run(tree, tmp_path, {"/opt/acme/users.json": "{not json"}, toml)
    assert out.verdict is Verdict.FAIL and "not valid JSON" in found["CRED-STORE-UNREADABLE"].message
