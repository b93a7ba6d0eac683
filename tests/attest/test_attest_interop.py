"""Interoperability with an independent DSSE implementation (securesystemslib, tests only):
it verifies our envelopes, and we verify envelopes it signs."""
from __future__ import annotations

import json

import pytest

from jcstar_agent import check
from jcstar_agent.attest import api, keys, statement
from attest_fixtures import keypairs, offline_ctx  # noqa: F401 (pytest fixtures)

sslib_dsse = pytest.importorskip("securesystemslib.dsse")
sslib_signer = pytest.importorskip("securesystemslib.signer")


@pytest.mark.parametrize("alg", keys.ALGORITHMS)
def test_securesystemslib_verifies_ours(alg, keypairs, offline_ctx):
    priv, pub_pem = keypairs[alg]
    ctx = offline_ctx()
    signer = api.load_signer(priv)
    env = api.attest_report(ctx, check.run(ctx), signer, "n-42")
    theirs = sslib_dsse.Envelope.from_dict(json.loads(env))
    key = sslib_signer.SSlibKey.from_crypto(keys.load_public(pub_pem), keyid=signer.keyid)
    accepted = theirs.verify([key], 1)  # raises VerificationError when it does not verify
    assert list(accepted) == [signer.keyid]
    assert theirs.payload_type == "application/vnd.in-toto+json"
    assert json.loads(theirs.payload)["predicate"]["eat_nonce"] == "n-42"
    # and a tampered payload fails their verification too
    theirs.payload = theirs.payload.replace(b'"n-42"', b'"n-43"')
    with pytest.raises(Exception):
        theirs.verify([key], 1)


@pytest.mark.parametrize("alg", keys.ALGORITHMS)
def test_we_verify_securesystemslib_signed(alg, keypairs, offline_ctx):
    from cryptography.hazmat.primitives import serialization

    priv, pub_pem = keypairs[alg]
    private = serialization.load_pem_private_key(open(priv, "rb").read(), None)
    their_signer = sslib_signer.CryptoSigner(private)  # their own keyid scheme, not ours
    ctx = offline_ctx()
    stmt = statement.build(ctx, check.run(ctx), "their-nonce")
    env = sslib_dsse.Envelope(json.dumps(stmt).encode(), "application/vnd.in-toto+json", {})
    env.sign(their_signer)
    data = json.dumps(env.to_dict()).encode()
    assert json.loads(data)["signatures"][0]["keyid"] != keys.keyid_of(private.public_key())
    v = api.verify_envelope(data, pub_pem, nonce="their-nonce", max_age=600)
    assert v.ok, v.reason
    assert v.claims["eat_nonce"] == "their-nonce"
    # their envelope with a different payloadType is refused by us
    env2 = sslib_dsse.Envelope(json.dumps(stmt).encode(), "application/json", {})
    env2.sign(their_signer)
    v = api.verify_envelope(json.dumps(env2.to_dict()).encode(), pub_pem)
    assert not v.ok and "payloadType" in v.reason


def test_pae_agrees_with_securesystemslib():
    from jcstar_agent.attest import dsse

    for ptype, body in [("application/vnd.in-toto+json", b'{"a":1}'), ("", b""),
                        ("text/plain", "\u00fcml\u00e4ut \x00 bytes".encode())]:
        assert dsse.pae(ptype, body) == sslib_dsse.Envelope(body, ptype, {}).pae()
    # LEN is the BYTE length (DSSE protocol.md). securesystemslib < 1.6 counted characters of a
    # non-ASCII payloadType, so that case is checked against the spec, not against it.
    assert dsse.pae("t\u00e9st", b"") == b"DSSEv1 5 t\xc3\xa9st 0 "
