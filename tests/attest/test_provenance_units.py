"""The pieces of hardware-key provenance that need no hardware: TPM wire parsing bounds, the
RFC 7512 URI, what a verifier makes of a statement without a kind or with a bogus one, and the
--key value that names no file."""
from __future__ import annotations

import struct

import pytest

from jcstar_agent.attest import provenance, tpmwire
from jcstar_agent.errors import RunError


def _ecc_public(attrs=0x00040072, x=b"\x01" * 32, y=b"\x02" * 32):
    """A TPMT_PUBLIC: ECC, sha256 name, ECDSA-SHA256 scheme, P-256."""
    return (struct.pack(">HHI", tpmwire.ALG_ECC, tpmwire.ALG_SHA256, attrs) + struct.pack(">H", 0) +
            struct.pack(">HHHHH", tpmwire.ALG_NULL, tpmwire.ALG_ECDSA, tpmwire.ALG_SHA256,
                        tpmwire.ECC_NIST_P256, tpmwire.ALG_NULL) +
            struct.pack(">H", len(x)) + x + struct.pack(">H", len(y)) + y)


def test_public_area_parses_and_names_itself():
    raw = _ecc_public()
    pub = tpmwire.parse_public(raw)
    assert pub.curve == tpmwire.ECC_NIST_P256 and pub.x == b"\x01" * 32
    assert pub.has(tpmwire.FIXED_TPM | tpmwire.SIGN) and not pub.has(tpmwire.RESTRICTED)
    import hashlib

    assert pub.name() == b"\x00\x0b" + hashlib.sha256(raw).digest()
    with pytest.raises(tpmwire.WireError, match="not on P-256"):
        pub.public_key()  # (1…, 2…) is no curve point


@pytest.mark.parametrize("cut", [0, 3, 10, 20, 40, 75])
def test_truncated_structures_are_wire_errors(cut):
    with pytest.raises(tpmwire.WireError):
        tpmwire.parse_public(_ecc_public()[:cut])


def test_trailing_bytes_and_wrong_magic_are_refused():
    with pytest.raises(tpmwire.WireError, match="after the structure"):
        tpmwire.parse_public(_ecc_public() + b"\x00")
    body = struct.pack(">IH", 0x12345678, tpmwire.ST_ATTEST_QUOTE)
    with pytest.raises(tpmwire.WireError, match="TPM_GENERATED"):
        tpmwire.parse_attest(body)


def test_quote_attest_round_trip():
    sel = tpmwire.pcr_select_bytes(tpmwire.ALG_SHA256, list(range(8)))
    values = {i: bytes([i]) * 32 for i in range(8)}
    digest = tpmwire.pcr_composite(values)
    extra = tpmwire.binding("n", 5)
    blob = (struct.pack(">IH", tpmwire.TPM_GENERATED, tpmwire.ST_ATTEST_QUOTE) + struct.pack(">H", 2) + b"\x00\x0b"
            + struct.pack(">H", 32) + extra + struct.pack(">QIIB", 1, 2, 3, 1) + struct.pack(">Q", 7)
            + sel + struct.pack(">H", 32) + digest)
    att = tpmwire.parse_attest(blob)
    assert att.pcr_select == [(tpmwire.ALG_SHA256, list(range(8)))] and att.pcr_digest == digest
    assert att.extra_data == extra != tpmwire.binding("n", 6) != tpmwire.binding("m", 5)


def test_statements_without_a_kind_are_file_keys_and_unknown_kinds_fail():
    assert provenance.check({"attestation": {"signer": {"keyid": "x"}}}, None, None, 1).kind == "file"
    assert provenance.check({}, None, None, 1).ok
    bad = provenance.check({"attestation": {"signer": {"kind": "hsm-magic"}}}, None, None, 1)
    assert not bad.ok and "unknown key kind" in bad.problem
    tpm = provenance.check({"attestation": {"signer": {"kind": "tpm"}}}, None, None, 1)
    assert not tpm.ok and "without provenance" in tpm.problem
    p11 = provenance.check({"attestation": {"signer": {"kind": "pkcs11", "provenance": {
        "attributes": {"extractable": True, "never_extractable": False}}}}}, None, None, 1)
    assert not p11.ok and "non-extractable" in p11.problem
    junk = provenance.check({"attestation": {"signer": {"kind": "tpm", "provenance": {
        "public_area": "@@@"}}}}, None, None, 1)
    assert not junk.ok and "not base64" in junk.problem
    mb = provenance.check({"attestation": {"measured_boot": {"quote": {"attest": "AA==", "signature": "AA=="}}}},
                          None, None, 1)
    assert not mb.ok and "quote" in mb.problem  # a quote with no AK to check it against


def test_pkcs11_uri():
    from jcstar_agent.attest.pkcs11 import parse_uri

    path, q = parse_uri("pkcs11:token=My%20Token;object=att;id=%01%ff?module-path=/x.so&pin-source=file:/p")
    assert path == {"token": "My Token", "object": "att", "id": "\x01\xff"}
    assert q == {"module-path": "/x.so", "pin-source": "file:/p"}
    with pytest.raises(RunError, match="pin-value"):
        parse_uri("pkcs11:token=t;object=o?pin-value=1234")
    with pytest.raises(RunError, match="no value"):
        parse_uri("pkcs11:token")


def test_key_values_that_name_no_file():
    from jcstar_agent.commands import key_file

    assert key_file("pkcs11:token=t;object=o") is None and key_file("tpm:0x81000001") is None
    assert key_file("tpm:/etc/k") == "/etc/k" and key_file("/etc/k") == "/etc/k"


def test_tpm_pcr_lists():
    from jcstar_agent.attest.tpm import parse_pcrs

    assert parse_pcrs("0-7") == list(range(8)) and parse_pcrs("none") == []
    assert parse_pcrs("0,2,4-5") == [0, 2, 4, 5]
    for bad in ("7-0", "24", "a"):
        with pytest.raises(RunError):
            parse_pcrs(bad)
