"""Issue 25 items 3 and 4: an image's text never drives the operator's terminal, and JUnit is XML.

The image's ``/etc/os-release`` VERSION_ID holds a clear-screen, a window-title OSC, a red
"FAKE PASS" and U+202E (right-to-left override); a private key file in the image is named with
the same. Expected, as an operator would want it: every human-readable output — ``check --format
text``, ``attest`` with the report on stderr, ``report --format text``, ``store query``, and the
factory station's lines — shows them as visible escapes (``\\x1b``, ``\\u202e``), with no ESC,
C1 control or bidi override left; ``check --format junit`` and ``factory --junit`` parse as
XML 1.0 (ElementTree), the escapes visible in the values.
"""
from __future__ import annotations

import base64
import json
import os
import re
import xml.etree.ElementTree as ET

import pytest

from clirun import run_process, signing_unit

HOSTILE = "1.0\x1b[2J\x1b]0;owned\x07\x1b[32mFAKE PASS\x1b[0m\u202eSSAP\x9b31m"
KEY_NAME = "k\x1b[31mRED\x1b[0m\u202egpj.key"
# raw control characters, C1 controls and bidi overrides: none may reach a terminal
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def unit(tmp_path_factory):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    base = tmp_path_factory.mktemp("esc")
    key, pub, root = signing_unit(base)
    with open(f"{root}/etc/os-release", "w") as fh:
        fh.write(f'NAME="Acme"\nID=acme\nVERSION_ID="{HOSTILE}"\n')
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    os.makedirs(f"{root}/etc/ssl/private")
    with open(f"{root}/etc/ssl/private/{KEY_NAME}", "wb") as fh:
        fh.write(pem)
    env = base / "att.json"
    r = run_process("attest", "--root", root, "--key", key, "--output", str(env))
    assert r.rc in (0, 1), r.err
    return {"key": key, "pub": pub, "root": root, "env": str(env), "base": base}


def clean(text: str) -> None:
    bad = sorted({f"U+{ord(c):04X}" for c in RAW.findall(text)})
    assert not bad, f"raw {bad} in: {text[-800:]!r}"


def test_the_envelope_carries_the_hostile_text(unit):
    """Premise: the image's text is in the signed report (otherwise the rest proves nothing)."""
    payload = json.loads(base64.b64decode(json.load(open(unit["env"]))["payload"]))
    assert payload["predicate"]["target"]["firmware_version"] == HOSTILE
    assert json.dumps(KEY_NAME, ensure_ascii=False)[1:-1] in json.dumps(payload["predicate"]["criteria"],
                                                                       ensure_ascii=False)


def test_check_text(unit):
    r = run_process("check", "--root", unit["root"], "--format", "text")
    assert r.rc in (0, 1), r.err
    clean(r.out)
    assert "\\x1b[2J" in r.out and "\\u202e" in r.out  # shown, not silently dropped
    assert "FAKE PASS" in r.out and "RED" in r.out  # the key file's finding names it


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "html"])
def test_attest_report_on_stderr(unit, tmp_path, fmt):
    r = run_process("attest", "--root", unit["root"], "--key", unit["key"], "--format", fmt,
                    "--output", str(tmp_path / "a.json"))
    assert r.rc in (0, 1), r.err[-600:]
    clean(r.err)
    assert "\\u202e" in r.err
    if fmt == "json":  # still JSON, with the same values
        report = json.loads(r.err[:r.err.rindex("}") + 1])
        assert report["target"]["firmware_version"] == HOSTILE


def test_report_text(unit):
    r = run_process("report", unit["env"], "--pubkey", unit["pub"], "--format", "text")
    assert r.rc == 0, r.err
    clean(r.out)
    assert "\\x1b]0;owned\\x07" in r.out


def test_store_query(unit):
    db = unit["base"] / "ev.db"
    r = run_process("store", "ingest", "--store", str(db), "--pubkey", unit["pub"], "--max-age", "none",
                    unit["env"])
    assert r.rc in (0, 1), r.err
    q = run_process("store", "query", "--store", str(db), "--format", "text")
    assert q.rc == 0 and "1.0\\x1b[2J" in q.out, (q.out, q.err)
    clean(q.out + q.err)


def test_verify(unit):
    r = run_process("verify", unit["env"], "--pubkey", unit["pub"])
    assert r.rc == 0
    clean(r.out + r.err)
    assert "\\u202e" in r.out


def test_a_run_level_message_naming_a_hostile_file(unit, tmp_path):
    bad = tmp_path / "evil\x1b]0;owned\x07\u202e.toml"
    bad.write_text("[product\n")
    r = run_process("check", "--root", unit["root"], "--config", str(bad))
    assert r.rc == 2, r.err
    clean(r.err)
    assert "\\x1b]0;owned" in r.err


# --- item 4: JUnit is XML 1.0 --------------------------------------------------------------------
def _xml(text: str):
    root = ET.fromstring(text.encode("utf-8"))  # "not well-formed (invalid token)" before
    return "".join(root.itertext()) + " ".join(v for el in root.iter() for v in el.attrib.values())


def test_check_junit_parses(unit):
    r = run_process("check", "--root", unit["root"], "--format", "junit")
    assert r.rc in (0, 1), r.err
    values = _xml(r.out)
    assert "\\x1b[2J" in values and "RED" in values


def test_factory_junit_parses(unit, tmp_path):
    junit = tmp_path / "station.xml"
    r = run_process("factory", "--key", unit["key"], "--root", unit["root"], "--store",
                    str(tmp_path / "f.db"), "--junit", str(junit), "--serial", "SN\x1b[2J1")
    assert r.rc in (0, 1), r.err[-600:]
    clean(r.out)
    values = _xml(junit.read_text())
    assert "SN\\x1b[2J1" in values
