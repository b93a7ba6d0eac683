"""The device identity claims: UEID types per RFC 9711, what is hashed, what is never shown."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid

import pytest

from jcstar_agent import check
from jcstar_agent.attest import statement
from jcstar_agent.config.schema import BoardConfig, Firmware, Product
from jcstar_agent.criteria import Context
from jcstar_agent.target import Root
from attest_fixtures import offline_ctx  # noqa: F401 (pytest fixtures)

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _stmt(ctx, nonce=None):
    return statement.build(ctx, check.run(ctx), nonce)


def _ueid(stmt) -> bytes:
    return statement.b64url_decode(stmt["predicate"]["ueid"])


def test_serial_gives_hashed_rand_ueid(offline_ctx):
    cfg = BoardConfig(product=Product(vendor="Acme", serial_source="/etc/acme/serial"))
    ctx = offline_ctx({"/etc/acme/serial": "SN-000123\n"}, cfg)
    st = _stmt(ctx)
    u = _ueid(st)
    assert u[0] == 0x01 and len(u) == 33
    assert u == statement.ueid_from_serial("SN-000123", "Acme")  # recomputable from the label
    assert u != statement.ueid_from_serial("SN-000123", "Other")  # vendor-scoped
    assert "SN-000123" not in json.dumps(st)  # the serial itself is never in the attestation
    meta = st["predicate"]["attestation"]
    assert meta["ueid_type"] == "RAND" and meta["ueid_source"] == "serial"
    assert meta["ueid_from"] == "/etc/acme/serial"
    dev = st["subject"][0]
    import hashlib

    assert dev["name"] == "device" and dev["digest"]["sha256"] == hashlib.sha256(u).hexdigest()


def test_placeholder_serial_falls_back_to_declared_mac(offline_ctx):
    cfg = BoardConfig(product=Product(serial_source="/sn", mac_addresses=["B8-27-EB-01-02-03"]))
    st = _stmt(offline_ctx({"/sn": "To be filled by O.E.M.\n"}, cfg))
    assert _ueid(st) == bytes.fromhex("02b827eb010203")
    assert st["predicate"]["attestation"]["ueid_type"] == "EUI"


def test_imei_type(offline_ctx):
    cfg = BoardConfig(product=Product(imei_source="/etc/modem/imei", serial_source="/sn"))
    st = _stmt(offline_ctx({"/etc/modem/imei": "35-209900-176148-1\n", "/sn": "X1"}, cfg))
    assert _ueid(st) == bytes([3, 3, 5, 2, 0, 9, 9, 0, 0, 1, 7, 6, 1, 4, 8])  # check digit dropped
    # a bad IMEI is not guessed at: the serial is used and the reason kept
    cfg = BoardConfig(product=Product(imei_source="/etc/modem/imei", serial_source="/sn"))
    st = _stmt(offline_ctx({"/etc/modem/imei": "ABC\n", "/sn": "X1"}, cfg))
    assert _ueid(st)[0] == 0x01


def test_offline_without_identity_says_why(offline_ctx):
    st = _stmt(offline_ctx({"/etc/machine-id": "0123456789abcdef0123456789abcdef\n"}))
    p = st["predicate"]
    assert "ueid" not in p and "image's machine-id" in p["attestation"]["absent"]["ueid"]
    assert [s["name"] for s in st["subject"]] == ["firmware:version-source"]
    assert "0123456789abcdef" not in json.dumps(st)


def test_no_subject_possible_uses_report_digest(tree):
    root = tree({"/etc/os-release": ""}, minimal=False)
    cfg = BoardConfig(firmware=Firmware(version_source="/etc/none"))
    st = _stmt(Context(Root(root, live=False), cfg))
    assert [s["name"] for s in st["subject"]] == ["report"]
    assert "swversion" in st["predicate"]["attestation"]["absent"]


def test_mac_helpers():
    assert statement.parse_mac("00:16:3E:12:34:56") == bytes.fromhex("00163e123456")
    assert statement.parse_mac("0016.3e12.3456") == bytes.fromhex("00163e123456")
    assert statement.parse_mac("zz:16:3e:12:34:56") is None
    assert statement.is_universal_mac(bytes.fromhex("00163e123456"))
    assert not statement.is_universal_mac(bytes.fromhex("02163e123456"))  # locally administered
    assert not statement.is_universal_mac(bytes.fromhex("01005e000001"))  # multicast
    with pytest.raises(ValueError):
        statement.ueid_from_imei("123")


LIVE_PROBE = """
import json, sys
from jcstar_agent import check
from jcstar_agent.attest import statement
from jcstar_agent.config import BoardConfig
from jcstar_agent.criteria import Context
from jcstar_agent.target import Root
ctx = Context(Root(sys.argv[1], live=True), BoardConfig())
st = statement.build(ctx, check.run(ctx), None)
print(json.dumps({"ueid": st["predicate"].get("ueid"), "meta": st["predicate"]["attestation"]}))
"""


@pytest.fixture
def netns():
    if os.geteuid() != 0 or not shutil.which("ip"):
        pytest.skip("needs root and iproute2 to create a network namespace")
    name = f"jcs-att-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def _live_probe(ns, root):
    p = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", LIVE_PROBE, root],
                       cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.mark.integration  # a network namespace
@pytest.mark.host
def test_live_mac_then_machine_id_in_a_namespace(netns, tree):
    """Live identity from real interfaces: a universally administered MAC gives an EUI ueid;
    with only loopback and a locally administered MAC, the machine-id (hashed) is used."""
    root = tree({"/etc/machine-id": "0123456789abcdef0123456789abcdef\n"})
    subprocess.run(["ip", "netns", "exec", netns, "ip", "link", "add", "va", "type", "veth",
                    "peer", "name", "vb"], check=True)
    subprocess.run(["ip", "netns", "exec", netns, "ip", "link", "set", "vb", "address",
                    "02:00:00:00:00:01"], check=True)
    subprocess.run(["ip", "netns", "exec", netns, "ip", "link", "set", "va", "address",
                    "00:16:3e:12:34:56"], check=True)
    out = _live_probe(netns, root)
    assert statement.b64url_decode(out["ueid"]) == bytes.fromhex("0200163e123456")
    assert out["meta"]["ueid_from"] == "va"
    subprocess.run(["ip", "netns", "exec", netns, "ip", "link", "del", "va"], check=True)
    out = _live_probe(netns, root)
    assert statement.b64url_decode(out["ueid"]) == \
        statement.ueid_from_machine_id("0123456789abcdef0123456789abcdef")
    assert out["meta"]["ueid_source"] == "machine-id"


def test_garbage_identity_files_do_not_crash(offline_ctx, tmp_path):
    """Binary garbage, a huge file, a directory and a symlink loop as identity sources."""
    cfg = BoardConfig(product=Product(serial_source="/sn", model_source="/model",
                                      imei_source="/imei"),
                      firmware=Firmware(version_source="/ver", version_key=""))
    ctx = offline_ctx({"/sn": b"\x00\xff\xfe\x1b[31m" * 1000, "/model": b"\xff" * 5_000_000,
                       "/imei": ("dir",), "/ver": ("symlink", "/ver")}, cfg)
    st = _stmt(ctx)
    meta = st["predicate"]["attestation"]
    assert "imei: /imei unreadable" in meta["absent"].get("ueid", "") or meta["ueid_source"] == "serial"
    assert "swversion" in meta["absent"]
    from jcstar_agent.attest import schemas

    pytest.importorskip("jsonschema")
    assert schemas.errors(st, "attestation-v1") == []
