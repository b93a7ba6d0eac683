"""The model is stored and shown as text, never as its base64url EAT encoding (issue 16).

An offline root that shows no model carries the declared product.model only in the ``hwmodel``
claim (base64url of its UTF-8): ``QUNNRS1HVy0xMDA`` for ACME-GW-100.
"""
import json

MODEL, B64 = "ACME-GW-100", "QUNNRS1HVy0xMDA"
CONFIG = f'[product]\nvendor = "Acme"\nmodel = "{MODEL}"\nmac_addresses = ["02:00:00:00:00:01"]\n'


def _envelopes(tree, cli, tmp_path):
    cfg = tmp_path / "board.toml"
    cfg.write_text(CONFIG)
    key = tmp_path / "k.key"
    assert cli("keygen", "--out", str(key)).rc == 0
    root = tree()
    envs = []
    for n in ("1", "2"):
        env = tmp_path / f"e{n}.json"
        assert cli("attest", "--root", root, "--config", str(cfg), "--key", str(key), "--nonce", n * 8,
                   "--output", str(env)).rc in (0, 1)
        envs.append(env)
    v = cli("verify", str(envs[0]), "--pubkey", f"{key}.pub", "--format", "json").json()
    assert v["claims"]["hwmodel"] == B64  # the claim stays as RFC 9711 wants it
    assert v["model"] == MODEL
    return envs, f"{key}.pub"


def test_store_query_and_drift_show_the_model_text(tree, cli, tmp_path, store_url):
    envs, pub = _envelopes(tree, cli, tmp_path)
    r = cli("store", "ingest", "--store", store_url, "--pubkey", pub, *map(str, envs))
    assert r.rc == 0, r.err
    assert cli("store", "query", "--store", store_url, "--model", MODEL, "--count").out.strip() == "2"
    rows = cli("store", "query", "--store", store_url, "--format", "json").json()
    assert {row["model"] for row in rows} == {MODEL}
    text = cli("store", "query", "--store", store_url)
    assert MODEL in text.out and B64 not in text.out
    d = cli("drift", str(envs[0]), str(envs[1]), "--pubkey", pub)
    assert d.rc in (0, 1) and B64 not in d.out + d.err, d.out


def test_verify_json_leaves_absent_claims_out(tree, cli, tmp_path):
    envs, pub = _envelopes(tree, cli, tmp_path)
    for flag in (("--json",), ("--format", "json")):
        r = cli("verify", str(envs[0]), "--pubkey", pub, *flag)
        assert r.rc == 0, r.err
        doc = json.loads(r.out)
        assert "boot_id" not in doc["claims"]  # offline: absent, so left out (docs/attestation.md)
        assert None not in doc["claims"].values()
        assert "null" not in json.dumps(doc["claims"])
