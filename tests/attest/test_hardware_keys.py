"""Attestation keys in a TPM 2.0 (a real swtpm, manufactured with an EK certificate by its local CA)
and in a PKCS#11 token (SoftHSM2): keygen → attest → verify per backend, the provenance checked
and refused when swapped, replayed or altered, --require-hardware-key, drift over a PCR extended
between two attestations, the serial endpoint, the factory's first-attestation key and the
store's alarm for one hardware key on two serials. tpm2-tools cross-checks what the agent reads."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hardware  # noqa: E402
from clirun import run_process  # noqa: E402

pytestmark = pytest.mark.integration
tpm2_pytss = pytest.importorskip("tpm2_pytss", reason="tpm2-pytss (extra tpm, dev) is not installed")
if hardware.missing_tpm_tools():
    pytest.skip(f"not installed: {', '.join(hardware.missing_tpm_tools())} (apt swtpm swtpm-tools tpm2-tools)",
                allow_module_level=True)

CONFIG = ('[product]\nvendor = "Acme"\nmodel = "ACME-GW-100"\nserial_source = "/etc/acme/serial"\n'
          '[firmware]\nversion_source = "/etc/acme-release"\nversion_key = ""\n')


TPM_FOLDER = []  # the swtpm's folder: its local CA's certificates are the "TPM maker's" CA


@pytest.fixture(scope="module")
def tpm(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("swtpm"))
    TPM_FOLDER[:] = [folder]
    with hardware.swtpm(folder) as tcti:
        yield tcti


@pytest.fixture(scope="module")
def unit(tmp_path_factory):
    """A small image root with a serial (so its ueid is made from it) and its board config."""
    base = tmp_path_factory.mktemp("unit")
    root = base / "root"
    for path, text in (("etc/os-release", 'NAME="Acme"\n'), ("etc/acme/serial", "SN-HW-1\n"),
                       ("etc/acme-release", "3.0.0\n")):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    cfg = base / "board.toml"
    cfg.write_text(CONFIG)
    return str(root), str(cfg)


def agent(tcti, *args, env=None):
    return run_process(*args, env=dict({"TPM2TOOLS_TCTI": tcti}, **(env or {})))


def tools(tcti, *args, **kw):
    """A tpm2-tools command; without a resource manager each leaves its transient objects loaded,
    so they are flushed after it (the TPM has few object slots)."""
    env = dict(os.environ, TPM2TOOLS_TCTI=tcti)
    p = subprocess.run(list(args), env=env, capture_output=True, **kw)
    assert p.returncode == 0, (args, p.stderr)
    subprocess.run(["tpm2_flushcontext", "-t"], env=env, check=True, capture_output=True)
    return p


def attest(tcti, key, unit, out, nonce="n-1", *extra):
    root, cfg = unit
    r = agent(tcti, "attest", "--root", root, "--config", cfg, "--key", key, "--nonce", nonce,
              "--output", str(out), *extra)
    assert r.rc in (0, 1), r.err  # 1: a criterion fails on this small root; the envelope is written
    return out


def statement(path):
    return json.loads(base64.b64decode(json.loads(open(path).read())["payload"]))


def verify_json(tcti, env_path, pub, *extra):
    r = agent(tcti, "verify", str(env_path), "--pubkey", str(pub), "--format", "json", *extra)
    return r.rc, json.loads(r.out) if r.out.strip() else {}, r.err


# ------------------------------------------------------------------ TPM
def test_keygen_tpm_writes_only_a_tpm_wrapped_blob(tpm, tmp_path):
    key = tmp_path / "unit.tpmkey"
    r = agent(tpm, "keygen", "--tpm", "--out", str(key))
    assert r.rc == 0, r.err
    text = key.read_text()
    assert text.startswith("-----BEGIN TSS2 PRIVATE KEY-----") and "BEGIN PRIVATE KEY" not in text
    assert oct(os.stat(key).st_mode & 0o777) == "0o600"
    # no software key in it: cryptography cannot load it as a private key
    from cryptography.hazmat.primitives import serialization

    with pytest.raises(ValueError):
        serialization.load_pem_private_key(key.read_bytes(), None)
    # never overwritten
    again = agent(tpm, "keygen", "--tpm", "--out", str(key))
    assert again.rc == 2 and "already exists" in again.err
    # Ed25519 is not a TPM algorithm
    bad = agent(tpm, "keygen", "--tpm", "--algorithm", "ed25519", "--out", str(tmp_path / "x"))
    assert bad.rc == 2 and "ecdsa-p256" in bad.err


def test_tpm_roundtrip_with_provenance_and_measured_boot(tpm, unit, tmp_path):
    key = tmp_path / "unit.tpmkey"
    assert agent(tpm, "keygen", "--tpm", "--out", str(key)).rc == 0
    env = attest(tpm, str(key), unit, tmp_path / "a.json")
    rc, out, err = verify_json(tpm, env, f"{key}.pub", "--nonce", "n-1", "--require-hardware-key")
    assert rc == 0, (out, err)
    assert out["key"]["kind"] == "tpm" and out["key"]["ok"]
    details = " ".join(out["key"]["details"])
    assert "TPM2_Certify by attestation key" in details and "CN=swtpm-localca" in details
    assert sorted(out["key"]["pcrs"], key=int) == [str(i) for i in range(8)]
    meta = statement(env)["predicate"]["attestation"]
    assert meta["signer"]["kind"] == "tpm" and len(meta["signer"]["provenance"]["ek_certificates"]) >= 1
    # tpm2-tools read the same PCR values the TPM quoted
    pcrs = tools(tpm, "tpm2_pcrread", "sha256:0,7", "-o", str(tmp_path / "pcrs.bin")).returncode
    raw = (tmp_path / "pcrs.bin").read_bytes()
    assert pcrs == 0 and raw[:32].hex() == meta["measured_boot"]["pcrs"]["0"]
    assert raw[32:64].hex() == meta["measured_boot"]["pcrs"]["7"]
    # tpm2_print decodes the quote as ours does: extraData is the nonce/iat binding
    from jcstar_agent.attest import tpmwire

    blob = tmp_path / "quote.attest"
    blob.write_bytes(base64.b64decode(meta["measured_boot"]["quote"]["attest"]))
    printed = tools(tpm, "tpm2_print", "-t", "TPMS_ATTEST", str(blob), text=True).stdout
    assert tpmwire.binding("n-1", statement(env)["predicate"]["iat"]).hex() in printed
    # the EK certificate chains to the TPM maker's CA (swtpm's local CA: root + intermediate) …
    ca = tmp_path / "tpm-ca.pem"
    ca.write_bytes(b"".join(open(os.path.join(TPM_FOLDER[0], "ca", n), "rb").read()
                            for n in ("issuercert.pem", "swtpm-localca-rootca-cert.pem")))
    rc, out, err = verify_json(tpm, env, f"{key}.pub", "--tpm-ca", str(ca))
    assert rc == 0 and any("chains to the trusted TPM CA CN=swtpm-localca-rootca" in d
                           for d in out["key"]["details"]), (out, err)
    # … and not to another maker's: the attestation is then invalid
    rc, out, _ = verify_json(tpm, env, f"{key}.pub", "--tpm-ca", str(_other_ca(tmp_path)))
    assert rc == 1 and "no EK certificate of this TPM chains" in out["reason"]
    # the intermediate alone is no trust anchor (the chain must end at a self-signed root)
    only = tmp_path / "intermediate.pem"
    only.write_bytes(open(os.path.join(TPM_FOLDER[0], "ca", "issuercert.pem"), "rb").read())
    assert verify_json(tpm, env, f"{key}.pub", "--tpm-ca", str(only))[0] == 1
    bad = agent(tpm, "verify", str(env), "--pubkey", f"{key}.pub", "--tpm-ca", f"{key}.pub")
    assert bad.rc == 2 and "certificate" in bad.err and "Traceback" not in bad.err
    # the text output names the kind; S1.1-11's reason counts the key as stored securely
    text = agent(tpm, "verify", str(env), "--pubkey", f"{key}.pub").out
    assert "key kind:  tpm" in text
    s11 = next(c for c in statement(env)["predicate"]["criteria"] if c["id"] == "S1.1-11")
    assert "held in the TPM 2.0" in s11["reason"]


def _other_ca(tmp_path):
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Other TPM Maker Root")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    path = tmp_path / "other-ca.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def test_persistent_handle_made_by_tpm2_tools(tpm, unit, tmp_path):
    """A key another tool made persistent: --key tpm:0x81…; its public key read by tpm2_readpublic
    is what the verifier trusts, independent of the agent."""
    d = str(tmp_path)
    tools(tpm, "tpm2_createprimary", "-C", "o", "-G", "ecc256", "-c", f"{d}/srk.ctx")
    tools(tpm, "tpm2_create", "-C", f"{d}/srk.ctx", "-G", "ecc256:ecdsa-sha256",
          "-a", "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign", "-u", f"{d}/k.pub", "-r", f"{d}/k.priv")
    tools(tpm, "tpm2_load", "-C", f"{d}/srk.ctx", "-u", f"{d}/k.pub", "-r", f"{d}/k.priv", "-c", f"{d}/k.ctx")
    tools(tpm, "tpm2_evictcontrol", "-C", "o", "-c", f"{d}/k.ctx", "0x81000123")
    try:
        tools(tpm, "tpm2_readpublic", "-c", "0x81000123", "-f", "pem", "-o", f"{d}/trusted.pem")
        env = attest(tpm, "tpm:0x81000123", unit, tmp_path / "p.json", "n-2", "--tpm-pcrs", "none")
        rc, out, err = verify_json(tpm, env, f"{d}/trusted.pem", "--nonce", "n-2")
        assert rc == 0 and out["key"]["kind"] == "tpm", (out, err)
        assert "measured_boot" not in statement(env)["predicate"]["attestation"]  # --tpm-pcrs none
        # an RSA key at a persistent handle is no ECDSA P-256 signer: exit 2, one line
        tools(tpm, "tpm2_create", "-C", f"{d}/srk.ctx", "-G", "rsa2048", "-u", f"{d}/r.pub", "-r", f"{d}/r.priv")
        tools(tpm, "tpm2_load", "-C", f"{d}/srk.ctx", "-u", f"{d}/r.pub", "-r", f"{d}/r.priv", "-c", f"{d}/r.ctx")
        tools(tpm, "tpm2_evictcontrol", "-C", "o", "-c", f"{d}/r.ctx", "0x81000124")
        try:
            bad = agent(tpm, "attest", "--root", unit[0], "--key", "tpm:0x81000124")
            assert bad.rc == 2 and "not an ECDSA P-256 key" in bad.err and "Traceback" not in bad.err, bad.err
        finally:
            tools(tpm, "tpm2_evictcontrol", "-C", "o", "-c", "0x81000124")
        # not a handle of the persistent range: exit 2, one line
        bad = agent(tpm, "attest", "--root", unit[0], "--key", "tpm:0x01000000")
        assert bad.rc == 2 and "0x81000000" in bad.err and "Traceback" not in bad.err
    finally:
        tools(tpm, "tpm2_evictcontrol", "-C", "o", "-c", "0x81000123")


def _signed(signer, predicate_edit, nonce="n-3"):
    """An envelope signed by ``signer`` whose statement was edited after it was built."""
    from jcstar_agent import check
    from jcstar_agent.attest import dsse, statement as st
    from jcstar_agent.config import load
    from jcstar_agent.criteria import Context
    from jcstar_agent.target import Root

    ctx = Context(Root(UNIT_ROOT[0], live=False), load(UNIT_ROOT[1]))
    stmt = st.build(ctx, check.run(ctx), nonce, signer)
    predicate_edit(stmt["predicate"])
    payload = json.dumps(stmt).encode()
    env = dsse.Envelope(dsse.PAYLOAD_TYPE_INTOTO, payload)
    env.signatures.append(dsse.Signature(signer.sign(env.pae()), signer.keyid))
    return env.to_json()


UNIT_ROOT = []


def test_provenance_refused_when_swapped_replayed_or_altered(tpm, unit, tmp_path, monkeypatch):
    from jcstar_agent.attest import api, tpm as tpmkeys
    from jcstar_agent.attest.keys import generate

    UNIT_ROOT[:] = unit
    monkeypatch.setenv("TPM2TOOLS_TCTI", tpm)
    tpmkeys.generate(str(tmp_path / "k1"))
    tpmkeys.generate(str(tmp_path / "k2"))
    k1, k2 = api.load_signer(str(tmp_path / "k1")), api.load_signer(str(tmp_path / "k2"))
    try:
        pem = k1.public_key_pem()
        good = _signed(k1, lambda p: None)
        v = api.verify_envelope(good, pem, nonce="n-3")
        assert v.ok and v.key.kind == "tpm", v.reason
        iat = json.loads(base64.b64decode(json.loads(good)["payload"]))["predicate"]["iat"]

        def swap(p):  # k2's certify (same nonce and iat) under k1's signature
            p["attestation"]["signer"]["provenance"] = k2.describe("n-3", p["iat"])["provenance"]
        v = api.verify_envelope(_signed(k1, swap), pem)
        assert not v.ok and "another key than the one that signed" in v.reason

        def swap_certify_only(p):
            p["attestation"]["signer"]["provenance"]["certify"] = k2.describe("n-3", p["iat"])["provenance"]["certify"]
        v = api.verify_envelope(_signed(k1, swap_certify_only), pem)
        assert not v.ok and "certify names another key" in v.reason

        def replay(p):  # k1's own certify, from another nonce
            p["attestation"]["signer"]["provenance"] = k1.describe("old-nonce", iat)["provenance"]
        v = api.verify_envelope(_signed(k1, replay), pem)
        assert not v.ok and "replayed" in v.reason

        def pcr_edit(p):
            p["attestation"]["measured_boot"]["pcrs"]["7"] = "ab" * 32
        v = api.verify_envelope(_signed(k1, pcr_edit), pem)
        assert not v.ok and "not those the TPM quoted" in v.reason

        def no_provenance(p):
            del p["attestation"]["signer"]["provenance"]
        v = api.verify_envelope(_signed(k1, no_provenance), pem)
        assert not v.ok and "without provenance" in v.reason

        # a key file claiming to be a TPM key: its own public area cannot be made to match
        fkey, fpub, _ = generate(str(tmp_path / "file.key"), "ecdsa-p256")
        fsigner = api.load_signer(fkey)

        def claim_tpm(p):
            p["attestation"]["signer"] = dict(k1.describe("n-3", p["iat"]), keyid=fsigner.keyid)
        v = api.verify_envelope(_signed(fsigner, claim_tpm), open(fpub, "rb").read())
        assert not v.ok and "another key than the one that signed" in v.reason
    finally:
        k1.close()
        k2.close()


def test_securesystemslib_verifies_a_tpm_signed_envelope(tpm, unit, tmp_path):
    sslib_dsse = pytest.importorskip("securesystemslib.dsse")
    sslib_signer = pytest.importorskip("securesystemslib.signer")
    from jcstar_agent.attest import keys

    key = tmp_path / "k"
    assert agent(tpm, "keygen", "--tpm", "--out", str(key)).rc == 0
    env = attest(tpm, str(key), unit, tmp_path / "e.json")
    theirs = sslib_dsse.Envelope.from_dict(json.loads(env.read_text()))
    public = keys.load_public((tmp_path / "k.pub").read_bytes())
    sk = sslib_signer.SSlibKey.from_crypto(public, keyid=keys.keyid_of(public))
    assert list(theirs.verify([sk], 1)) == [keys.keyid_of(public)]


def test_drift_reports_a_pcr_extended_between_two_attestations(tpm, unit, tmp_path):
    key = tmp_path / "k"
    assert agent(tpm, "keygen", "--tpm", "--out", str(key)).rc == 0
    a = attest(tpm, str(key), unit, tmp_path / "a.json", "n-a")
    tools(tpm, "tpm2_pcrextend", "5:sha256=" + "11" * 32)  # a boot component measured differently
    b = attest(tpm, str(key), unit, tmp_path / "b.json", "n-b")
    r = agent(tpm, "drift", str(a), str(b), "--pubkey", f"{key}.pub", "--format", "json")
    assert r.rc == 1, r.err
    pcr = [c for c in json.loads(r.out)["changes"] if c["check"] == "DRIFT-PCR"]
    assert [c["where"]["pcr"] for c in pcr] == ["5"] and all(c["relevant"] for c in pcr)
    # with nothing extended in between, no PCR drift
    c = attest(tpm, str(key), unit, tmp_path / "c.json", "n-c")
    r = agent(tpm, "drift", str(b), str(c), "--pubkey", f"{key}.pub", "--format", "json")
    assert not [x for x in json.loads(r.out)["changes"] if x["check"] == "DRIFT-PCR"], r.out


def test_file_key_refused_under_require_hardware_key(tpm, unit, tmp_path):
    key = tmp_path / "file.key"
    assert agent(tpm, "keygen", "--out", str(key)).rc == 0
    env = attest(tpm, str(key), unit, tmp_path / "f.json")
    rc, out, _ = verify_json(tpm, env, f"{key}.pub")
    assert rc == 0 and out["key"]["kind"] == "file"
    rc, out, _ = verify_json(tpm, env, f"{key}.pub", "--require-hardware-key")
    assert rc == 1 and "--require-hardware-key" in out["reason"]
    db = str(tmp_path / "ev.db")
    r = agent(tpm, "store", "ingest", "--store", db, "--pubkey", f"{key}.pub", "--require-hardware-key", str(env))
    assert r.rc == 1 and "REFUSED" in r.out and "file key" in r.out, r.out
    r = agent(tpm, "store", "ingest", "--store", db, "--pubkey", f"{key}.pub", str(env))
    assert r.rc == 0 and "1 stored" in r.out


def test_factory_makes_the_key_in_the_tpm_and_the_store_alarms_on_two_serials(tpm, unit, tmp_path):
    root, cfg = unit
    key, db = str(tmp_path / "unit.tpmkey"), str(tmp_path / "ev.db")
    junit = tmp_path / "u.xml"
    r = agent(tpm, "factory", "--root", root, "--config", cfg, "--key", key, "--tpm-create", "--serial", "SN-HW-1",
              "--store", db, "--require-hardware-key", "--junit", str(junit), "--quiet")
    assert "[ok  ] keygen: key" in r.out and "made in the unit's TPM" in r.out, r.out + r.err
    assert "[ok  ] key: tpm key" in r.out and "[ok  ] unique" in r.out, r.out
    assert os.path.exists(key + ".pub")
    assert 'name="key_kind" value="tpm"' in junit.read_text()
    # the same TPM key under another label: the alarm, at the station and in check-unique
    r = agent(tpm, "factory", "--root", root, "--config", cfg, "--key", key, "--serial", "SN-HW-2",
              "--store", db, "--quiet")
    assert r.rc == 1 and "STORE-HARDWARE-KEY-SERIALS" in r.out, r.out
    r = agent(tpm, "store", "check-unique", "--store", db, "--format", "json")
    assert r.rc == 1
    hits = [c for c in json.loads(r.out)["conflicts"] if c["check"] == "STORE-HARDWARE-KEY-SERIALS"]
    assert len(hits) == 1 and hits[0]["others"] == ["SN-HW-1", "SN-HW-2"]
    # a file key under --require-hardware-key fails the unit's key step
    fkey = str(tmp_path / "file.key")
    assert agent(tpm, "keygen", "--out", fkey).rc == 0
    r = agent(tpm, "factory", "--root", root, "--config", cfg, "--key", fkey, "--store", str(tmp_path / "f.db"),
              "--require-hardware-key", "--quiet")
    assert r.rc == 1 and "[FAIL] key: signed by a key file" in r.out, r.out


def test_factory_asks_the_unit_to_make_its_key_and_enrols_it(tpm, unit, tmp_path):
    """--command: the unit's own attest --tpm-create makes the key in its TPM at the first
    attestation; the station enrols it from the provenance (no --pubkey), checks its EK chain
    against the TPM maker's CA, stores key and serial, and refuses to enrol a key file."""
    root, cfg = unit
    key, db = str(tmp_path / "unit.tpmkey"), str(tmp_path / "ev.db")
    ca = tmp_path / "tpm-ca.pem"
    ca.write_bytes(b"".join(open(os.path.join(TPM_FOLDER[0], "ca", n), "rb").read()
                            for n in ("issuercert.pem", "swtpm-localca-rootca-cert.pem")))
    cmd = (f"{sys.executable} -m jcstar_agent attest -q --root {root} --config {cfg} --key {key} --tpm-create "
           '--nonce "$JCSTAR_NONCE"')
    r = agent(tpm, "factory", "--command", cmd, "--enroll", "--tpm-ca", str(ca), "--serial", "SN-HW-1",
              "--store", db, "--quiet")
    assert "[ok  ] enroll: TPM key" in r.out and "[ok  ] verify" in r.out, r.out + r.err
    assert "[ok  ] key: tpm key" in r.out and "chains to the trusted TPM CA" in r.out, r.out
    assert os.path.exists(key) and os.path.exists(key + ".pub")
    rows = agent(tpm, "store", "query", "--store", db, "--format", "json")
    assert [x["serial"] for x in json.loads(rows.out)] == ["SN-HW-1"]
    # later runs trust the enrolled key; the key is not made again
    r = agent(tpm, "factory", "--command", cmd, "--pubkey", key + ".pub", "--serial", "SN-HW-1", "--store", db,
              "--quiet")
    assert "[ok  ] verify" in r.out and "[ok  ] unique" in r.out, r.out
    # another maker's CA: the enrolment fails at verify, nothing stored
    r = agent(tpm, "factory", "--command", cmd, "--enroll", "--tpm-ca", str(_other_ca(tmp_path)), "--store",
              str(tmp_path / "other.db"), "--quiet")
    assert r.rc == 1 and "[FAIL] verify" in r.out and "chains" in r.out, r.out
    # a unit signing with a key file has nothing to enrol
    fkey = str(tmp_path / "file.key")
    assert agent(tpm, "keygen", "--out", fkey).rc == 0
    fcmd = f'{sys.executable} -m jcstar_agent attest -q --root {root} --key {fkey} --nonce "$JCSTAR_NONCE"'
    r = agent(tpm, "factory", "--command", fcmd, "--enroll", "--store", str(tmp_path / "f.db"), "--quiet")
    assert r.rc == 1 and "[FAIL] verify: --enroll: the unit signs with a file key" in r.out, r.out
    bad = agent(tpm, "factory", "--command", fcmd, "--enroll", "--pubkey", fkey + ".pub", "--store", db)
    assert bad.rc == 2 and "--enroll" in bad.err


def test_report_and_checklist_show_the_key_kind(tpm, unit, tmp_path):
    key = tmp_path / "k"
    assert agent(tpm, "keygen", "--tpm", "--out", str(key)).rc == 0
    env = attest(tpm, str(key), unit, tmp_path / "e.json")
    r = agent(tpm, "report", str(env), "--pubkey", f"{key}.pub", "--format", "html")
    assert r.rc in (0, 1) and "key kind / 鍵の保管 <code>tpm</code>" in r.out, r.err
    from jcstar_agent import checklist
    from jcstar_agent.commands import stored

    s = stored.load(str(env), f"{key}.pub")
    rows = dict(checklist.info_rows(s.report, checklist.Product(), s.provenance))
    assert rows["署名鍵の保管 (key kind)"] == "tpm" and rows["署名鍵 keyid"] == s.keyid


def test_serve_signs_with_the_tpm_key_over_the_serial_endpoint(tpm, unit, tmp_path):
    pytest.importorskip("serial", reason="pyserial (dev extra)")
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "serial"))
    import signal
    import time

    from clirun import PROJECT
    from serial_relay import pty_pair

    key = tmp_path / "k"
    assert agent(tpm, "keygen", "--tpm", "--out", str(key)).rc == 0
    log = tmp_path / "serve.log"
    with pty_pair(str(tmp_path), "tty") as (dev, host), open(log, "w+") as fh:
        p = subprocess.Popen([sys.executable, "-m", "jcstar_agent", "serve", "--port", dev, "--key", str(key),
                              "--root", unit[0], "--config", unit[1]], cwd=PROJECT, stderr=fh,
                             stdout=subprocess.DEVNULL, env=dict(os.environ, TPM2TOOLS_TCTI=tpm))
        try:
            deadline = time.monotonic() + 30
            while "serving on" not in log.read_text():
                assert p.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
            out = tmp_path / "pulled.json"
            r = agent(tpm, "pull", "--port", host, "--pubkey", f"{key}.pub", "--output", str(out), "--timeout", "60")
            assert r.rc == 0, r.out + r.err
            rc, v, _ = verify_json(tpm, out, f"{key}.pub")
            assert rc == 0 and v["key"]["kind"] == "tpm" and v["key"]["pcrs"], v
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(10)


def test_missing_tpm_library_is_exit_2_with_the_install_hint(tpm, tmp_path):
    blocker = tmp_path / "block" / "tpm2_pytss"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('blocked for the test')\n")
    from clirun import PROJECT

    r = agent(tpm, "keygen", "--tpm", "--out", str(tmp_path / "k"),
              env={"PYTHONPATH": f"{tmp_path / 'block'}:{PROJECT}"})
    assert r.rc == 2 and "tpm2-pytss" in r.err and "jcstar-agent[tpm]" in r.err and "Traceback" not in r.err


# ------------------------------------------------------------------ PKCS#11
@pytest.fixture(scope="module")
def token(tmp_path_factory):
    pytest.importorskip("pkcs11", reason="python-pkcs11 (extra pkcs11, dev) is not installed")
    if not hardware.softhsm_module():
        pytest.skip("SoftHSM2 is not installed (apt softhsm2)")
    folder = str(tmp_path_factory.mktemp("softhsm"))
    with hardware.softhsm(folder) as (module, pin, env):
        hardware.make_token_key(module, "attest")
        hardware.make_token_key(module, "loose", extractable=True)
        yield module, pin, env


def test_pkcs11_roundtrip_with_token_provenance(tpm, token, unit, tmp_path):
    module, pin, env = token
    uri = f"pkcs11:token=unit;object=attest?module-path={module}&pin-source=file:{pin}"
    root, cfg = unit
    out = tmp_path / "e.json"
    r = agent(tpm, "attest", "--root", root, "--config", cfg, "--key", uri, "--nonce", "p-1", "--output", str(out),
              env=env)
    assert r.rc in (0, 1), r.err
    assert "pkcs11 key" in r.err
    prov = statement(out)["predicate"]["attestation"]["signer"]["provenance"]
    assert prov["attributes"]["extractable"] is False and prov["attributes"]["never_extractable"] is True
    assert prov["token"]["model"] == "SoftHSM v2" and prov["token"]["serial"]
    # the verifier trusts the public key the token holds, exported by the test through PKCS#11 itself
    import pkcs11
    from pkcs11 import ObjectClass
    from pkcs11.util.ec import encode_ec_public_key
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    from jcstar_agent.attest.keys import public_pem

    with pkcs11.lib(module).get_token(token_label="unit").open(user_pin="1234") as s:
        der = encode_ec_public_key(s.get_key(ObjectClass.PUBLIC_KEY, label="attest"))
    (tmp_path / "t.pub").write_bytes(public_pem(load_der_public_key(der)))
    rc, v, err = verify_json(tpm, out, tmp_path / "t.pub", "--nonce", "p-1", "--require-hardware-key")
    assert rc == 0 and v["key"]["kind"] == "pkcs11", (v, err)
    assert any("SoftHSM v2" in d for d in v["key"]["details"])
    # an independent DSSE verifier (securesystemslib) accepts the token's signature (DER ECDSA)
    sslib_dsse = pytest.importorskip("securesystemslib.dsse")
    sslib_signer = pytest.importorskip("securesystemslib.signer")
    from jcstar_agent.attest.keys import keyid_of

    public = load_der_public_key(der)
    theirs = sslib_dsse.Envelope.from_dict(json.loads(out.read_text()))
    assert list(theirs.verify([sslib_signer.SSlibKey.from_crypto(public, keyid=keyid_of(public))], 1))
    # PIN from the environment works too; a PIN in the URI is refused before anything is opened
    r = agent(tpm, "attest", "--root", root, "--key", f"pkcs11:token=unit;object=attest?module-path={module}",
              "--output", str(tmp_path / "e2.json"), env=dict(env, JCSTAR_PKCS11_PIN="1234"))
    assert r.rc in (0, 1), r.err
    r = agent(tpm, "attest", "--root", root, "--key", f"pkcs11:token=unit;object=attest?module-path={module}"
              "&pin-value=1234", env=env)
    assert r.rc == 2 and "pin-value" in r.err and "1234" not in r.err
    # a wrong PIN: exit 2, one line, no traceback
    r = agent(tpm, "attest", "--root", root, "--key", f"pkcs11:token=unit;object=attest?module-path={module}",
              env=dict(env, JCSTAR_PKCS11_PIN="0000"))
    assert r.rc == 2 and "cannot log in" in r.err and "Traceback" not in r.err


def test_missing_pkcs11_library_is_exit_2_with_the_install_hint(tpm, tmp_path):
    blocker = tmp_path / "block" / "pkcs11"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('blocked for the test')\n")
    from clirun import PROJECT

    r = agent(tpm, "attest", "--root", str(tmp_path), "--key", "pkcs11:token=t;object=o",
              env={"PYTHONPATH": f"{tmp_path / 'block'}:{PROJECT}"})
    assert r.rc == 2 and "python-pkcs11" in r.err and "jcstar-agent[pkcs11]" in r.err and "Traceback" not in r.err


def test_pkcs11_extractable_key_fails_its_provenance(tpm, token, unit, tmp_path):
    module, pin, env = token
    uri = f"pkcs11:token=unit;object=loose?module-path={module}&pin-source=file:{pin}"
    from jcstar_agent.attest import api

    signer = api.load_signer(uri)
    try:
        (tmp_path / "l.pub").write_bytes(signer.public_key_pem())
    finally:
        signer.close()
    out = tmp_path / "l.json"
    r = agent(tpm, "attest", "--root", unit[0], "--key", uri, "--output", str(out), env=env)
    assert r.rc in (0, 1), r.err
    rc, v, _ = verify_json(tpm, out, tmp_path / "l.pub")
    assert rc == 1 and "non-extractable" in v["reason"]
