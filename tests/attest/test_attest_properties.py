"""Properties of the envelope layer over arbitrary bytes (hypothesis)."""
from __future__ import annotations

import base64
import json

import pytest

from jcstar_agent.attest import dsse, keys
from jcstar_agent.attest.signer import FileSigner, verify_signature

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_base64_both_alphabets_with_and_without_padding(data):
    std = base64.b64encode(data).decode()
    url = base64.urlsafe_b64encode(data).decode()
    for text in (std, url, std.rstrip("="), url.rstrip("=")):
        assert dsse.b64decode(text) == data


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40), st.binary(max_size=400), st.data())
def test_any_single_bit_flip_breaks_the_signature(ptype, payload, data):
    from cryptography.hazmat.primitives.asymmetric import ed25519

    signer = FileSigner(ed25519.Ed25519PrivateKey.generate())
    env = dsse.Envelope(ptype, payload)
    env.signatures.append(dsse.Signature(signer.sign(env.pae()), signer.keyid))
    back = dsse.Envelope.from_json(env.to_json())
    assert back.payload == payload and back.payload_type == ptype
    assert verify_signature(signer.public_key, back.signatures[0].sig, back.pae())
    if payload:
        i = data.draw(st.integers(0, len(payload) - 1))
        bit = data.draw(st.integers(0, 7))
        flipped = bytearray(payload)
        flipped[i] ^= 1 << bit
        assert not verify_signature(signer.public_key, back.signatures[0].sig,
                                    dsse.pae(ptype, bytes(flipped)))
    assert keys.keyid_of(signer.public_key) == signer.keyid
    json.loads(env.to_json())  # always valid JSON, whatever the bytes
