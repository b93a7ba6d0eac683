"""The three verbs end to end through the real CLI: keygen -> attest -> verify."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import pytest

from jcstar_agent.attest import api, dsse, statement
from attest_fixtures import offline_ctx  # noqa: F401 (pytest fixtures)

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    from jcstar_agent.attest import keys

    d = tmp_path_factory.mktemp("clikey")
    priv, pub, keyid = keys.generate(str(d / "dev.key"))
    return priv, pub, keyid


def test_attest_then_verify(cli, tree, key, tmp_path):
    priv, pub, keyid = key
    root = tree({"/etc/acme/model": "ACME-GW-100\n"})
    cfg = tmp_path / "board.toml"
    cfg.write_text('[product]\nvendor = "Acme"\nmodel = "ACME-GW-100"\nmodel_source = "/etc/acme/model"\n'
                   'mac_addresses = ["00:16:3e:aa:bb:cc"]\n'
                   '[firmware]\nimage_digest = "sha256:' + "ab" * 32 + '"\n')
    env_path = str(tmp_path / "att.json")
    r = cli("attest", "--root", root, "--config", str(cfg), "--key", priv, "--nonce", "n0nce",
            "--output", env_path)
    check_rc = cli("check", "--root", root, "--config", str(cfg)).rc
    assert r.rc == check_rc, r.err  # same exit status as check
    assert r.out == "" and "attested offline" in r.err and keyid[:16] in r.err
    v = cli("verify", env_path, "--pubkey", pub, "--nonce", "n0nce", "--max-age", "300")
    assert v.rc == 0, v.out + v.err
    assert v.out.startswith("VALID: valid and fresh")
    assert "ACME-GW-100" in v.out and "EUI from mac" in v.out and "issued:" in v.out
    assert "summary:" in v.out and "boot_id:   none (offline" in v.out
    stmt = json.loads(dsse.Envelope.from_json(open(env_path, "rb").read()).payload)
    names = [s["name"] for s in stmt["subject"]]
    assert names == ["device", "firmware:version-source", "firmware:image"]
    assert stmt["subject"][2]["digest"] == {"sha256": "ab" * 32}
    assert stmt["predicate"]["ueid"] == statement.b64url(bytes.fromhex("02 00163eaabbcc"))
    j = cli("verify", env_path, "--pubkey", pub, "--json")
    assert j.rc == 0 and j.json()["claims"]["hwmodel"] == statement.b64url(b"ACME-GW-100")  # RFC 9711 bytes


def test_verify_exit_1_cases(cli, tree, key, tmp_path):
    priv, pub, _ = key
    env_path = tmp_path / "att.json"
    cli("attest", "--root", tree(), "--key", priv, "--nonce", "right", "--output", str(env_path))
    r = cli("verify", str(env_path), "--pubkey", pub, "--nonce", "wrong")
    assert r.rc == 1 and r.out.startswith("INVALID: wrong nonce")
    d = json.loads(env_path.read_text())
    d["payload"] = base64.b64encode(base64.b64decode(d["payload"]).replace(b"right", b"wrong")).decode()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(d))
    r = cli("verify", str(bad), "--pubkey", pub, "--nonce", "wrong")
    assert r.rc == 1 and "signature does not verify" in r.out
    assert "device:" not in r.out  # nothing unauthenticated is shown


def test_verify_stale(cli, offline_ctx, key, tmp_path):
    """An envelope issued an hour ago is rejected by --max-age 60 and accepted by --max-age 7200."""
    priv, pub, _ = key
    from jcstar_agent import check

    signer = api.load_signer(priv)
    ctx = offline_ctx()
    import time

    stmt = statement.build(ctx, check.run(ctx), None, signer, now=time.time() - 3600)
    env = dsse.Envelope(dsse.PAYLOAD_TYPE_INTOTO, json.dumps(stmt).encode())
    env.signatures.append(dsse.Signature(signer.sign(env.pae()), signer.keyid))
    p = tmp_path / "old.json"
    p.write_bytes(env.to_json())
    r = cli("verify", str(p), "--pubkey", pub, "--max-age", "60")
    assert r.rc == 1 and "too old" in r.out
    assert cli("verify", str(p), "--pubkey", pub, "--max-age", "7200").rc == 0


def test_verify_exit_2_cases(cli, key, tmp_path):
    _, pub, _ = key
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(b"\x00\x01junk")
    env = tmp_path / "e.json"
    env.write_text("{}")
    for args, words in [((str(tmp_path / "missing.json"), "--pubkey", pub), "cannot read envelope"),
                        ((str(env), "--pubkey", str(tmp_path / "nokey.pub")), "cannot read public key"),
                        ((str(env), "--pubkey", str(garbage)), "not a PEM public key"),
                        ((str(env), "--pubkey", pub, "--max-age", "-1"), "max-age"),
                        ((str(env),), "--pubkey")]:
        r = cli("verify", *args)
        assert r.rc == 2 and words in r.err, (args, r.err)
    r = cli("verify", str(env), "--pubkey", pub)
    assert r.rc == 1 and "malformed envelope" in r.out


def test_verify_from_stdin_and_url_safe(key, tree, tmp_path):
    priv, pub, _ = key
    out = subprocess.run([sys.executable, "-m", "jcstar_agent", "attest", "--root", tree(), "--key", priv],
                         cwd=PROJECT, capture_output=True, check=False)
    assert out.returncode in (0, 1) and out.stdout.startswith(b"{")
    d = json.loads(out.stdout)
    d["payload"] = base64.urlsafe_b64encode(base64.b64decode(d["payload"])).rstrip(b"=").decode()
    v = subprocess.run([sys.executable, "-m", "jcstar_agent", "verify", "-", "--pubkey", pub], cwd=PROJECT,
                       input=json.dumps(d).encode(), capture_output=True)
    assert v.returncode == 0 and v.stdout.startswith(b"VALID"), v.stdout + v.stderr


def test_attest_report_option_and_bad_config(cli, tree, key, tmp_path):
    priv, _, _ = key
    rep = tmp_path / "report.xml"
    r = cli("attest", "--root", tree(), "--key", priv, "--report", str(rep), "--format", "junit",
            "--output", str(tmp_path / "e.json"))
    assert r.rc in (0, 1) and rep.read_text().lstrip().startswith("<")
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[firmware]\nimage_digest = "md5:abc"\n')
    r = cli("attest", "--root", tree(), "--key", priv, "--config", str(cfg))
    assert r.rc == 2 and "image_digest" in r.err
    r = cli("attest", "--root", tree(), "--key", priv, "--nonce", "bad\x07nonce")
    assert r.rc == 2 and "--nonce" in r.err


def test_live_attest_carries_boot_id(key, tmp_path):
    """Live (no --root): boot_id is this boot's, iat is now, and the envelope verifies."""
    priv, pub, _ = key
    env = tmp_path / "live.json"
    p = subprocess.run([sys.executable, "-m", "jcstar_agent", "attest", "--key", priv, "--nonce", "live-1",
                        "--output", str(env)], cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert p.returncode in (0, 1), p.stderr
    v = api.verify_envelope(env.read_bytes(), open(pub, "rb").read(), nonce="live-1", max_age=300)
    assert v.ok, v.reason
    with open("/proc/sys/kernel/random/boot_id") as fh:
        assert v.claims["boot_id"] == fh.read().strip()
    assert v.predicate["target"]["mode"] == "live"


def test_check_never_imports_cryptography(tree, tmp_path):
    """`check` (even the whole CLI path) never loads cryptography; attest does."""
    code = ("import sys\nfrom jcstar_agent.cli import main\nrc = main(sys.argv[1:])\n"
            "print('CRYPTO=' + ','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'cryptography')[:3]),"
            " file=sys.stderr)\n")
    root = tree()
    p = subprocess.run([sys.executable, "-c", code, "check", "--root", root, "--format", "json",
                        "--output", str(tmp_path / "r.json")], cwd=PROJECT, capture_output=True, text=True)
    assert p.returncode in (0, 1), p.stderr
    assert "CRYPTO=\n" in p.stderr, p.stderr
    from jcstar_agent.attest import keys

    priv, _, _ = keys.generate(str(tmp_path / "k"))
    p = subprocess.run([sys.executable, "-c", code, "attest", "--root", root, "--key", priv,
                        "--output", str(tmp_path / "e.json")], cwd=PROJECT, capture_output=True, text=True)
    assert "CRYPTO=cryptography" in p.stderr, p.stderr  # the probe itself works
