"""A validly signed statement whose predicate is not a report is refused, not a traceback.

Found at 894d62a: the signature and statement checks passed a predicate with ``"criteria": 1``
(a unit's key signs whatever the unit says; a station verifies what units send), and every
reader iterated over it: ``verify``, ``store ingest`` and ``drift`` ended with a TypeError
traceback. Expected, as a station operator decides it: the envelope is INVALID — ``verify``
exit 1 with the reason, ``store ingest`` refuses that envelope (exit 1), ``drift`` exit 2 — and
a real attestation still verifies.
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

    base = tmp_path_factory.mktemp("signed")
    key, pub, root = signing_unit(base)
    good = base / "att.json"
    assert run_process("attest", "--root", root, "--key", key, "--nonce", "n1", "--output", str(good)).rc in (0, 1)
    stmt = json.loads(base64.b64decode(json.loads(good.read_text())["payload"]))
    out = {}
    for name, value in (("int", 1), ("strings", ["x"])):
        st = dict(stmt, predicate=dict(stmt["predicate"], criteria=value))
        env = dsse.Envelope(dsse.PAYLOAD_TYPE_INTOTO, json.dumps(st).encode())
        signer = load_signer(key)
        env.signatures.append(dsse.Signature(signer.sign(env.pae()), signer.keyid))
        path = base / f"{name}.json"
        path.write_bytes(env.to_json())
        out[name] = str(path)
    return {"pub": pub, "good": str(good), "bad": out, "base": base}


def test_not_a_report_is_invalid_everywhere(signed):
    pub, base = signed["pub"], signed["base"]
    assert run_process("verify", signed["good"], "--pubkey", pub).rc == 0
    for bad in signed["bad"].values():
        for args, rc in ((["verify", bad, "--pubkey", pub], 1),
                         (["store", "ingest", "--store", str(base / "ev.db"), "--pubkey", pub, bad], 1),
                         (["drift", signed["good"], bad, "--pubkey", pub, "--force"], 2)):
            r = run_process(*args)
            assert r.rc == rc and "Traceback" not in r.err, (args[0], r.rc, r.err[-800:])
            assert "not a report" in r.out + r.err, (args[0], r.out[-400:], r.err[-400:])


def test_a_malformed_absent_map_is_described(signed, tmp_path):
    # Found at bf78ae0: attestation.absent signed as 1 or a list ended verify's description with
    # an AttributeError traceback after "VALID"; it is the unit's text, shown as far as it goes.
    from jcstar_agent.attest import dsse
    from jcstar_agent.attest.api import load_signer

    stmt = json.loads(base64.b64decode(json.loads(open(signed["good"]).read())["payload"]))
    for value in (1, [None]):
        pred = dict(stmt["predicate"], attestation=dict(stmt["predicate"]["attestation"], absent=value))
        env = dsse.Envelope(dsse.PAYLOAD_TYPE_INTOTO, json.dumps(dict(stmt, predicate=pred)).encode())
        signer = load_signer(str(signed["base"] / "unit.key"))
        env.signatures.append(dsse.Signature(signer.sign(env.pae()), signer.keyid))
        path = tmp_path / "absent.json"
        path.write_bytes(env.to_json())
        r = run_process("verify", str(path), "--pubkey", signed["pub"])
        assert r.rc == 0 and "Traceback" not in r.err and "boot_id:" in r.out, (value, r.rc, r.err[-600:])
