"""Issue 25 item 6: a signed payload that starts with a UTF-8 byte-order mark is INVALID.

``json.loads`` of bytes skips a BOM (and guesses UTF-16/32), so such a payload verified here
while other in-toto verifiers refuse it (RFC 8259 8.1: JSON as sent has no BOM). Evidence must
verify the same everywhere: ``verify`` says INVALID with the reason (exit 1), ``store ingest``
refuses the envelope (exit 1, nothing stored), and the same statement without the BOM is VALID.
"""
from __future__ import annotations

import base64
import json

import pytest

from clirun import run_process, signing_unit


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    from jcstar_agent.attest import dsse
    from jcstar_agent.attest.api import load_signer

    base = tmp_path_factory.mktemp("bom")
    key, pub, root = signing_unit(base)
    good = base / "att.json"
    assert run_process("attest", "--root", root, "--key", key, "--output", str(good)).rc in (0, 1)
    payload = base64.b64decode(json.loads(good.read_text())["payload"])
    out = {"pub": pub, "good": str(good), "base": base}
    signer = load_signer(key)
    for name, data in (("bom", b"\xef\xbb\xbf" + payload),
                       ("utf16", b"\xff\xfe" + payload.decode().encode("utf-16-le"))):
        env = dsse.Envelope(dsse.PAYLOAD_TYPE_INTOTO, data)
        env.signatures.append(dsse.Signature(signer.sign(env.pae()), signer.keyid))
        (base / f"{name}.json").write_bytes(env.to_json())
        out[name] = str(base / f"{name}.json")
    return out


@pytest.mark.parametrize("name, reason", [("bom", "starts with a UTF-8 byte-order mark"),
                                          ("utf16", "is not UTF-8")])
def test_verify_says_invalid(signed, name, reason):
    assert run_process("verify", signed["good"], "--pubkey", signed["pub"]).rc == 0
    r = run_process("verify", signed[name], "--pubkey", signed["pub"])
    assert r.rc == 1 and "Traceback" not in r.err, (r.rc, r.err[-400:])
    assert "INVALID" in r.out + r.err and reason in r.out + r.err, (r.out[-400:], r.err[-400:])


@pytest.mark.parametrize("name", ["bom", "utf16"])
def test_store_ingest_refuses(signed, name):
    db = signed["base"] / f"{name}.db"
    r = run_process("store", "ingest", "--store", str(db), "--pubkey", signed["pub"], signed[name])
    assert r.rc == 1 and "Traceback" not in r.err, (r.rc, r.err[-400:])
    assert "payload" in r.out + r.err
    q = run_process("store", "query", "--store", str(db), "--format", "json")
    assert q.rc in (0, 1) and json.loads(q.out or "[]") in ([], {"records": []}), q.out[-400:]
