"""Issue 25 item 2: Ed25519 public keys of small order, or not canonically encoded, are refused.

With the identity point as the "public key", the signature R = identity, S = 0 verifies for any
payload: a forged all-pass envelope was VALID in ``verify`` and stored by ``store ingest``, and
``mcu keygen`` wrote such a key when a board answered ``JCA_PUB 0100…00`` (and crashed with a
ValueError traceback on ``JCA_PUB zz``). Expected: every loader refuses such a key with one line
(exit 2, run level: the trusted key itself is unusable), nothing is stored or written, and after
``mcu keygen`` the board must sign a fresh nonce that verifies with the key it reported.
"""
from __future__ import annotations

import base64
import json
import sys

import pytest

from clirun import run_cli, run_process, signing_unit

SPKI = bytes.fromhex("302a300506032b6570032100")
P = 2 ** 255 - 19
# the eight torsion points (each with both x signs where x != 0 has two) and their order
TORSION = {
    "0100000000000000000000000000000000000000000000000000000000000000": 1,
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f": 2,
    "0000000000000000000000000000000000000000000000000000000000000000": 4,
    "0000000000000000000000000000000000000000000000000000000000000080": 4,
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a": 8,
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa": 8,
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05": 8,
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85": 8,
}
# x = 0 written with the sign bit set: the identity and the order-2 point again (RFC 8032 decoding
# refuses them; a lenient decoder takes them for the points above)
NEGATIVE_ZERO = ["0100000000000000000000000000000000000000000000000000000000000080",
                 "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"]
NON_CANONICAL = [(P + k).to_bytes(32, "little").hex() for k in (0, 1, 5, 18)]  # y >= p
IDENTITY = bytes.fromhex("01" + "00" * 31)


def pem(raw: bytes) -> bytes:
    body = base64.b64encode(SPKI + raw).decode()
    return f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n".encode()


def test_the_listed_points_are_the_torsion_points():
    """The list is checked against the curve itself (the board's pure-Python arithmetic), so a
    typo in it cannot go unnoticed: each point times its order is the identity, and not before."""
    sys.path.insert(0, __import__("jcstar_agent.mcu.bundle", fromlist=["x"]).BOARD_DIR)
    try:
        import jca_ed25519 as ed
    finally:
        sys.path.pop(0)
    for h, order in TORSION.items():
        pt = ed._decode(bytes.fromhex(h))
        assert pt is not None, h
        assert ed._encode(ed._mul(order, pt)) == IDENTITY, h
        if order > 1:
            assert ed._encode(ed._mul(order // 2, pt)) != IDENTITY, h


@pytest.mark.parametrize("hexkey", list(TORSION) + NEGATIVE_ZERO + NON_CANONICAL)
def test_every_key_loader_refuses_it(tmp_path, hexkey):
    from jcstar_agent.attest.keys import load_public
    from jcstar_agent.errors import RunError

    with pytest.raises(RunError) as exc:
        load_public(pem(bytes.fromhex(hexkey)), "bad.pub")
    text = str(exc.value)
    assert text.startswith("bad.pub: refused: ") and "\n" not in text
    assert ("non-canonical" if hexkey in NON_CANONICAL else "small order") in text


@pytest.fixture(scope="module")
def forged(tmp_path_factory):
    """A real attestation's payload, its signature replaced by R = identity, S = 0, and the
    identity point as the public key."""
    from jcstar_agent.attest import dsse

    base = tmp_path_factory.mktemp("forged")
    key, pub, root = signing_unit(base)
    good = base / "att.json"
    assert run_process("attest", "--root", root, "--key", key, "--output", str(good)).rc in (0, 1)
    env = json.loads(good.read_text())
    stmt = json.loads(base64.b64decode(env["payload"]))
    stmt["predicate"]["summary"] = {"pass": 16, "fail": 0, "na": 0, "manual": 0, "error": 0}
    for c in stmt["predicate"]["criteria"]:
        c.update(verdict="pass", findings=[])
    forged_env = dsse.Envelope(dsse.PAYLOAD_TYPE_INTOTO, json.dumps(stmt).encode())
    forged_env.signatures.append(dsse.Signature(IDENTITY + b"\0" * 32, ""))
    path = base / "forged.json"
    path.write_bytes(forged_env.to_json())
    bad_pub = base / "identity.pub"
    bad_pub.write_bytes(pem(IDENTITY))
    return {"env": str(path), "pub": str(bad_pub), "base": base}


def test_forged_envelope_is_not_valid_in_verify(forged):
    r = run_process("verify", forged["env"], "--pubkey", forged["pub"])
    assert r.rc == 2 and "VALID" not in r.out, (r.rc, r.out[-400:], r.err[-400:])
    assert "Traceback" not in r.err and len(r.err.strip().splitlines()) == 1, r.err
    assert "identity.pub: refused: Ed25519 public key of small order" in r.err


def test_forged_envelope_is_refused_by_store_ingest(forged):
    db = forged["base"] / "ev.db"
    for keys in (["--pubkey", forged["pub"]], ["--keys", str(forged["base"])]):
        r = run_process("store", "ingest", "--store", str(db), *keys, forged["env"])
        assert r.rc == 2 and "Traceback" not in r.err, (r.rc, r.err[-600:])
        assert "small order" in r.err
    assert not db.exists() or "identity" not in run_process("store", "query", "--store", str(db)).out


# --- mcu keygen against a board that lies -------------------------------------------------------
# A stand-in for mpremote: it prints what a hostile board would answer to each command.
BOARD = """
import sys
code = sys.argv[-1]
if "prove(" in code:
    nonce = code.split("prove(")[1].split(")")[0].strip("'\\"")
    if SEED is None:
        print("JCA_PROOF", "00" * 64)
    else:
        from cryptography.hazmat.primitives.asymmetric import ed25519
        key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(SEED))
        print("JCA_PROOF", key.sign(TAG + nonce.encode()).hex())
else:
    print("JCA_PUB", PUB)
"""


def _board(monkeypatch, tmp_path, pub: str, signer_seed=None):
    """A fake mpremote answering JCA_PUB ``pub``; with ``signer_seed``, proofs are signed with
    that Ed25519 seed (a real signature, by the key that seed makes), else all zeros."""
    from jcstar_agent.mcu import remote

    script = tmp_path / "board.py"
    script.write_text(f"PUB, SEED, TAG = {pub!r}, {signer_seed!r}, {remote.PROOF_TAG!r}\n" + BOARD)
    monkeypatch.setattr(remote, "mpremote_cmd", lambda: [sys.executable, str(script)])


@pytest.mark.parametrize("answer, says", [("01" + "00" * 31, "small order"),
                                          ("ec" + "ff" * 30 + "7f", "small order"),
                                          (NON_CANONICAL[0], "non-canonical"),
                                          ("zz", "not hex"),
                                          ("abcd", "32 bytes")])
def test_mcu_keygen_refuses_what_a_board_reports(monkeypatch, tmp_path, answer, says):
    _board(monkeypatch, tmp_path, answer)
    out = tmp_path / "unit.pub"
    r = run_cli("mcu", "keygen", "--port", "/dev/null", "--out", str(out), "--timeout", "30")
    assert r.rc == 2 and says in r.err and len(r.err.strip().splitlines()) == 1, (r.rc, r.err)
    assert not out.exists()


def _pair(seed: bytes):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    k = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    return k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def test_mcu_keygen_refuses_a_key_the_board_does_not_sign_with(monkeypatch, tmp_path):
    reported, signing = bytes(range(32)), bytes(range(1, 33))
    _board(monkeypatch, tmp_path, _pair(reported), signer_seed=signing.hex())
    out = tmp_path / "unit.pub"
    r = run_cli("mcu", "keygen", "--port", "/dev/null", "--out", str(out), "--timeout", "30")
    assert r.rc == 2 and "does not verify with the public key it reported" in r.err, r.err
    assert not out.exists()


def test_mcu_keygen_writes_the_key_the_board_proves(monkeypatch, tmp_path):
    seed = bytes(range(32))
    _board(monkeypatch, tmp_path, _pair(seed), signer_seed=seed.hex())
    out = tmp_path / "unit.pub"
    r = run_cli("mcu", "keygen", "--port", "/dev/null", "--out", str(out), "--timeout", "30")
    assert r.rc == 0, r.err
    assert out.read_bytes() == pem(bytes.fromhex(_pair(seed)))
