"""Round trip and every tamper: sign a real report, verify it, break it one way at a time."""
from __future__ import annotations

import base64
import json

import pytest

from jcstar_agent import check
from jcstar_agent.attest import api, dsse
from jcstar_agent.attest.statement import PREDICATE_TYPE, STATEMENT_TYPE
from jcstar_agent.config import BoardConfig
from jcstar_agent.errors import RunError
from attest_fixtures import keypairs, offline_ctx  # noqa: F401 (pytest fixtures)

NOW = 1_800_000_000.0


@pytest.fixture(params=["ed25519", "ecdsa-p256"])
def signed(request, keypairs, offline_ctx):
    priv, pub = keypairs[request.param]
    ctx = offline_ctx()
    report = check.run(ctx)
    signer = api.load_signer(priv)
    env = api.attest_report(ctx, report, signer, "nonce-123")
    return env, pub, signer, report


def _edit(env: bytes, fn) -> bytes:
    d = json.loads(env)
    fn(d)
    return json.dumps(d).encode()


def test_round_trip(signed):
    env, pub, signer, report = signed
    v = api.verify_envelope(env, pub, nonce="nonce-123", max_age=600)
    assert v.ok, v.reason
    assert v.keyid == signer.keyid
    assert v.statement["_type"] == STATEMENT_TYPE
    assert v.statement["predicateType"] == PREDICATE_TYPE
    # the predicate is the full report plus the claims
    rep = report.to_dict()
    for key in ("schema", "agent", "target", "config", "summary", "criteria"):
        assert v.predicate[key] == rep[key]
    assert v.claims["eat_nonce"] == "nonce-123"
    assert v.claims["swversion"] == ["1.2.3"] and v.claims["swname"] == "Acme Linux"
    assert abs(v.claims["iat"] - __import__("time").time()) < 60
    assert set(v.claims) == {"eat_nonce", "iat", "ueid", "hwmodel", "swname", "swversion", "boot_id"}
    d = json.loads(env)
    assert d["payloadType"] == "application/vnd.in-toto+json"
    assert d["signatures"][0]["keyid"] == signer.keyid


def test_offline_run_has_no_boot_id_and_says_why(signed):
    env, pub, _, _ = signed
    v = api.verify_envelope(env, pub)
    assert v.ok and v.claims["boot_id"] is None
    assert "offline" in v.predicate["attestation"]["absent"]["boot_id"]
    assert "boot_id" not in v.predicate


def test_url_safe_unpadded_base64_accepted(signed):
    env, pub, _, _ = signed

    def to_url(d):
        for obj, key in [(d, "payload")] + [(s, "sig") for s in d["signatures"]]:
            raw = base64.b64decode(obj[key])
            obj[key] = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    v = api.verify_envelope(_edit(env, to_url), pub, nonce="nonce-123")
    assert v.ok, v.reason


def test_payload_byte_flipped(signed):
    env, pub, _, _ = signed

    def flip(d):
        raw = bytearray(base64.b64decode(d["payload"]))
        raw[len(raw) // 2] ^= 0x01
        d["payload"] = base64.b64encode(bytes(raw)).decode()
    v = api.verify_envelope(_edit(env, flip), pub)
    assert not v.ok and "signature does not verify" in v.reason
    assert v.predicate is None and v.statement is None  # nothing unauthenticated is returned


def test_verdict_edited_in_payload(signed):
    env, pub, _, _ = signed

    def forge(d):
        stmt = json.loads(base64.b64decode(d["payload"]))
        stmt["predicate"]["summary"]["fail"] = 0
        d["payload"] = base64.b64encode(json.dumps(stmt).encode()).decode()
    v = api.verify_envelope(_edit(env, forge), pub)
    assert not v.ok and "signature does not verify" in v.reason


def test_signature_byte_flipped(signed):
    env, pub, _, _ = signed

    def flip(d):
        raw = bytearray(base64.b64decode(d["signatures"][0]["sig"]))
        raw[5] ^= 0x80
        d["signatures"][0]["sig"] = base64.b64encode(bytes(raw)).decode()
    v = api.verify_envelope(_edit(env, flip), pub)
    assert not v.ok and "signature does not verify" in v.reason


def test_payload_type_changed(signed):
    env, pub, _, _ = signed
    v = api.verify_envelope(_edit(env, lambda d: d.update(payloadType="application/json")), pub)
    assert not v.ok and "payloadType" in v.reason and "application/json" in v.reason


def test_swapped_key(signed, keypairs):
    env, pub, signer, _ = signed
    other = keypairs["ecdsa-p256" if signer.algorithm == "ed25519" else "ed25519"][1]
    v = api.verify_envelope(env, other)
    assert not v.ok and "signature does not verify" in v.reason and "keyid" in v.reason
    assert v.keyid != signer.keyid


def test_keyid_in_envelope_is_not_trusted(signed, keypairs, tmp_path):
    """Relabelling the signature with the verifier's own keyid does not make it verify."""
    env, pub, signer, _ = signed
    from jcstar_agent.attest import keys

    _, other_pub, other_id = keys.generate(str(tmp_path / "k"), signer.algorithm)
    relabelled = _edit(env, lambda d: d["signatures"][0].update(keyid=other_id))
    v = api.verify_envelope(relabelled, open(other_pub, "rb").read())
    assert not v.ok and "signature does not verify" in v.reason
    # and a wrong keyid label does not stop the right key from verifying
    assert api.verify_envelope(relabelled, pub).ok


def test_wrong_nonce(signed):
    env, pub, _, _ = signed
    v = api.verify_envelope(env, pub, nonce="nonce-124")
    assert not v.ok and "wrong nonce" in v.reason
    assert v.predicate is not None  # signed content is shown, but it is not fresh


def test_missing_nonce(keypairs, offline_ctx):
    priv, pub = keypairs["ed25519"]
    ctx = offline_ctx()
    env = api.attest_report(ctx, check.run(ctx), api.load_signer(priv), None)
    assert api.verify_envelope(env, pub).ok
    v = api.verify_envelope(env, pub, nonce="x")
    assert not v.ok and "no eat_nonce" in v.reason
    assert "no --nonce" in v.predicate["attestation"]["absent"]["eat_nonce"]


def test_too_old_and_future(signed):
    env, pub, _, _ = signed
    iat = api.verify_envelope(env, pub).claims["iat"]
    assert api.verify_envelope(env, pub, max_age=100, now=iat + 99).ok
    v = api.verify_envelope(env, pub, max_age=100, now=iat + 101)
    assert not v.ok and "too old" in v.reason
    v = api.verify_envelope(env, pub, now=iat - 3600)
    assert not v.ok and "future" in v.reason
    assert api.verify_envelope(env, pub, now=iat - 10).ok  # small skew tolerated


@pytest.mark.parametrize("garbage", [b"", b"not json", b"[]", b'{"payload": 1}',
                                     b'{"payload":"!!","payloadType":"x","signatures":[{"sig":"AA"}]}',
                                     b'{"payload":"","payloadType":"application/vnd.in-toto+json","signatures":[]}',
                                     b"\xff\xfe" * 100, b"[" * 200_000 + b"]" * 200_000])
def test_garbage_is_invalid_not_a_crash(garbage, keypairs):
    v = api.verify_envelope(garbage, keypairs["ed25519"][1])
    assert not v.ok and v.reason


def test_signed_but_wrong_statement_type(keypairs):
    priv, pub = keypairs["ed25519"]
    signer = api.load_signer(priv)
    for stmt, word in [({"_type": "https://in-toto.io/Statement/v0.1", "predicateType": PREDICATE_TYPE,
                         "subject": [], "predicate": {}}, "_type"),
                       ({"_type": STATEMENT_TYPE, "predicateType": "https://slsa.dev/provenance/v1",
                         "subject": [], "predicate": {}}, "predicateType"),
                       ([1, 2], "_type")]:
        env = dsse.Envelope(dsse.PAYLOAD_TYPE_INTOTO, json.dumps(stmt).encode())
        env.signatures.append(dsse.Signature(signer.sign(env.pae()), signer.keyid))
        v = api.verify_envelope(env.to_json(), pub)
        assert not v.ok and word in v.reason


def test_bad_public_key_is_a_run_error(signed):
    env, _, _, _ = signed
    with pytest.raises(RunError):
        api.verify_envelope(env, b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")


def test_pae_matches_the_spec_example():
    # DSSE protocol.md's worked example
    assert dsse.pae("http://example.com/HelloWorld", b"hello world") == \
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"


def test_bad_nonce_rejected(keypairs, offline_ctx):
    ctx = offline_ctx()
    with pytest.raises(RunError):
        api.attest_report(ctx, check.run(ctx), api.load_signer(keypairs["ed25519"][0]), "a\nb")


def test_signed_deeply_nested_payload_is_invalid(keypairs):
    priv, pub = keypairs["ed25519"]
    signer = api.load_signer(priv)
    env = dsse.Envelope(dsse.PAYLOAD_TYPE_INTOTO, b"[" * 200_000 + b"]" * 200_000)
    env.signatures.append(dsse.Signature(signer.sign(env.pae()), signer.keyid))
    v = api.verify_envelope(env.to_json(), pub)
    assert not v.ok and "not JSON" in v.reason


def test_eat_claims_have_rfc9711_json_types(keypairs, offline_ctx, tmp_path):
    """RFC 9711 in JSON: iat a NumericDate (integer), eat_nonce text, ueid and hwmodel byte strings
    as base64url (hwmodel 1..32 bytes: a longer model name is hashed), swname text, swversion
    the array [version, ?scheme]."""
    import hashlib

    from jcstar_agent.attest import statement
    from jcstar_agent.config import load as load_config

    priv, pub = keypairs["ed25519"]
    signer = api.load_signer(priv)
    cases = {"ACME-GW-100": (b"ACME-GW-100", "utf-8"),
             "Acme Industrial Gateway Model 9000 Rev C": (None, "sha256")}
    for model, (raw, encoding) in cases.items():
        cfg = tmp_path / f"{encoding}.toml"
        cfg.write_text(f'[product]\nvendor = "Acme"\nmodel = "{model}"\nmac_addresses = ["00:16:3e:aa:bb:cc"]\n')
        ctx = offline_ctx(config=load_config(str(cfg)))
        env = api.attest_report(ctx, check.run(ctx), signer, "n-12345678")
        v = api.verify_envelope(env, pub)
        assert v.ok, v.reason
        c, meta = v.claims, v.predicate["attestation"]
        assert isinstance(c["iat"], int) and not isinstance(c["iat"], bool)
        assert c["eat_nonce"] == "n-12345678"
        hw = statement.b64url_decode(c["hwmodel"])
        assert 1 <= len(hw) <= 32 and "=" not in c["hwmodel"]
        assert hw == (raw if raw else hashlib.sha256(model.encode()).digest())
        assert meta["hwmodel_text"] == model and meta["hwmodel_encoding"] == encoding
        assert statement.hwmodel_display(c["hwmodel"], meta) == model
        assert isinstance(c["swversion"], list) and c["swversion"] == ["1.2.3"]
        assert statement.swversion_display(c["swversion"]) == "1.2.3"
        ueid = statement.b64url_decode(c["ueid"])
        assert ueid[0] == 0x02 and len(ueid) == 7  # IEEE EUI-48 with its type byte


def test_too_many_signatures_is_refused_before_any_verification(signed):
    """A hostile envelope with thousands of signatures costs the verifier no public-key work."""
    env, pub, _, _ = signed
    d = json.loads(env)
    good = d["signatures"][0]
    d["signatures"] = [{"keyid": "", "sig": base64.b64encode(b"\0" * 64).decode()}] * 5000 + [good]
    v = api.verify_envelope(json.dumps(d).encode(), pub)
    assert not v.ok and "5001 signatures" in v.reason
    d["signatures"] = [{"keyid": "x", "sig": base64.b64encode(b"\0" * 64).decode()}] * 3 + [good]
    assert api.verify_envelope(json.dumps(d).encode(), pub).ok  # a few extra ones are fine
