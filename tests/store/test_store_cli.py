"""The ``store``, ``drift`` and ``factory`` verbs end to end, on both engines."""
from __future__ import annotations

import hashlib
import json
import os
import tarfile
import time
from xml.etree import ElementTree as ET

from store_units import set_verdict


def write(dirpath, name, data: bytes) -> str:
    os.makedirs(dirpath, exist_ok=True)
    p = os.path.join(str(dirpath), name)
    with open(p, "wb") as fh:
        fh.write(data)
    return p


def test_ingest_query_export_retention_unique(cli, store_url, units, tmp_path):
    pub = units.keys["a"]["pub"]
    inbox = tmp_path / "inbox"
    write(inbox, "u1.json", units.sign(serial="SN-C1", version="1.0.0", nonce="1"))
    write(inbox, "u1b.json", units.sign(serial="SN-C1", version="1.1.0", nonce="2",
                                        mutate=set_verdict("S1.1-05", "fail")))
    write(inbox, "u2.json", units.sign(serial="SN-C2", version="1.0.0", nonce="3", key="b"))
    keys = ("--pubkey", pub, "--pubkey", units.keys["b"]["pub"])

    r = cli("store", "ingest", "--store", store_url, *keys, "--station", "line-7", str(inbox))
    assert r.rc == 0, r.err
    assert "3 stored, 0 already stored, 0 refused (station line-7)" in r.out
    r = cli("store", "ingest", "--store", store_url, *keys, str(inbox))
    assert r.rc == 0 and "0 stored, 3 already stored" in r.out

    good = (inbox / "u2.json").read_bytes()
    write(tmp_path / "bad", "forged.json", good.replace(b'"payload": "', b'"payload": "AAAA', 1))
    r = cli("store", "ingest", "--store", store_url, *keys, str(tmp_path / "bad"))
    assert r.rc == 1 and "REFUSED" in r.out and "forged.json" in r.out and "0 stored" in r.out

    rows = cli("store", "query", "--store", store_url, "--format", "json").json()
    assert len(rows) == 3 and all(r["station"] == "line-7" for r in rows)
    assert all("envelope" not in r for r in rows)
    u1 = next(r for r in rows if r["firmware_version"] == "1.1.0")["ueid"]
    assert cli("store", "query", "--store", store_url, "--serial", u1, "--count").out.strip() == "2"
    fails = cli("store", "query", "--store", store_url, "--failures", "--format", "json").json()
    assert [f["failed"] for f in fails] == [["S1.1-05"]]
    assert cli("store", "query", "--store", store_url, "--model", units.MODEL, "--version", "1.0.0",
               "--count").out.strip() == "2"
    assert cli("store", "query", "--store", store_url, "--since", "2000-01-01", "--until", "2001-01-01",
               "--count").out.strip() == "0"
    text = cli("store", "query", "--store", store_url, "--failures")
    assert "FAIL S1.1-05" in text.out and units.MODEL in text.out

    bundle = str(tmp_path / "unit.tar.gz")
    r = cli("store", "export", "--store", store_url, "--serial", u1, "--output", bundle)
    assert r.rc == 0 and "2 attestation(s)" in r.out and "all verified" in r.out, r.err
    with tarfile.open(bundle) as tar:
        files = {m.name.split("/", 1)[1]: tar.extractfile(m).read() for m in tar.getmembers()}
    manifest = json.loads(files["MANIFEST.json"])
    assert manifest["count"] == 2 and manifest["all_verified"] is True
    sums = dict(reversed(line.split("  ", 1)) for line in files["SHA256SUMS"].decode().splitlines())
    for name, digest in sums.items():
        assert hashlib.sha256(files[name]).hexdigest() == digest
    key_name = f"keys/{units.keys['a']['keyid']}.pub"
    assert files[key_name] == units.keys["a"]["pem"]
    envs = [n for n in files if n.startswith("envelopes/")]
    assert len(envs) == 2
    # an auditor verifies with nothing but the bundle and the agent
    out = tmp_path / "audit"
    for name in envs + [key_name]:
        write(out / os.path.dirname(name), os.path.basename(name), files[name])
    r = cli("verify", str(out / envs[0]), "--pubkey", str(out / key_name))
    assert r.rc == 0, r.out + r.err

    r = cli("store", "retention", "--store", store_url, "--format", "json")
    assert r.rc == 0 and r.json()["outside_window"] == 0
    later = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 3 * 365 * 86400))
    r = cli("store", "retention", "--store", store_url, "--now", later)
    assert r.rc == 1 and "3 outside the window" in r.out and "RETENTION-NO-CURRENT-EVIDENCE" in r.out

    r = cli("store", "check-unique", "--store", store_url)
    assert r.rc == 0 and "0 uniqueness problem(s) across 3 attestation(s)" in r.out
    # a third unit signed with unit 1's key: one key copied between units
    write(tmp_path / "copy", "u3.json", units.sign(serial="SN-C3", nonce="4"))
    r = cli("store", "ingest", "--store", store_url, *keys, str(tmp_path / "copy"))
    assert r.rc == 1 and "STORE-SHARED-KEY" in r.out and "1 stored" in r.out
    assert cli("store", "check-unique", "--store", store_url).rc == 1


def test_check_unique_clean_and_duplicate_ueid(cli, store_url, units, tmp_path):
    d = tmp_path / "in"
    write(d, "a.json", units.sign(serial="SN-D1", key="a"))
    r = cli("store", "ingest", "--store", store_url, "--pubkey", units.keys["a"]["pub"], str(d))
    assert r.rc == 0
    assert cli("store", "check-unique", "--store", store_url).rc == 0
    d2 = tmp_path / "in2"
    write(d2, "clone.json", units.sign(serial="SN-D1", key="b"))  # a clone: same serial, other key
    r = cli("store", "ingest", "--store", store_url, "--pubkey", units.keys["b"]["pub"], str(d2))
    assert r.rc == 1 and "STORE-DUPLICATE-UEID" in r.out
    r = cli("store", "check-unique", "--store", store_url, "--format", "json")
    assert r.rc == 1 and [c["check"] for c in r.json()["conflicts"]] == ["STORE-DUPLICATE-UEID"]


def test_run_level_errors_exit_2(cli, tmp_path, units):
    r = cli("store", "ingest", "--store", str(tmp_path / "x.db"), str(tmp_path))
    assert r.rc == 2 and "no trusted public key" in r.err
    r = cli("store", "query", "--store", str(tmp_path / "nope" / "x.db"))
    assert r.rc == 2 and "does not exist" in r.err
    r = cli("store", "query", "--store", str(tmp_path / "x.db"), "--since", "last tuesday")
    assert r.rc == 2 and "not a date" in r.err
    r = cli("store", "ingest", "--store", str(tmp_path / "x.db"), "--pubkey", units.keys["a"]["private"], "-")
    assert r.rc == 2 and "not a PEM public key" in r.err
    assert cli("store").rc == 2


def test_drift_between_label_time_and_now(cli, units, tmp_path):
    before = write(tmp_path, "label.json", units.sign(serial="SN-DR", version="1.0.0", nonce="l"))
    after_env = units.sign(serial="SN-DR", version="1.2.0", nonce="n", mutate=lambda rep: (
        set_verdict("S1.1-12", "fail", [{"check": "SURFACE-UNDECLARED-LISTENER", "severity": "high",
                                          "message": "tcp/23 (telnetd) is not declared",
                                          "evidence": {"proto": "tcp", "port": 23, "process": "telnetd"}},
                                         {"check": "CRED-NEW-ACCOUNT", "severity": "medium",
                                          "message": "account 'support' can log in",
                                          "evidence": {"path": "/etc/passwd", "account": "support"}}])(rep)))
    after = write(tmp_path, "now.json", after_env)
    same = write(tmp_path, "again.json", units.sign(serial="SN-DR", version="1.0.0", nonce="x"))
    pub = units.keys["a"]["pub"]

    r = cli("drift", before, after, "--pubkey", pub, "--format", "json")
    assert r.rc == 1, r.err
    got = r.json()
    checks = {c["check"] for c in got["changes"] if c["relevant"]}
    assert {"DRIFT-VERSION", "DRIFT-VERDICT", "DRIFT-LISTENER-NEW", "DRIFT-ACCOUNT-NEW",
            "DRIFT-FINDING-NEW"} <= checks
    new_listener = next(c for c in got["changes"] if c["check"] == "DRIFT-LISTENER-NEW")
    assert new_listener["after"] == "tcp/23"
    r = cli("drift", after, before, "--pubkey", pub)
    assert r.rc == 1 and "DRIFT-LISTENER-REMOVED listener tcp/23 is gone (telnetd)" in r.out
    r = cli("drift", before, same, "--pubkey", pub)
    assert r.rc == 0 and "0 security-relevant change(s)" in r.out

    # nothing unverified is compared
    assert cli("drift", before, after).rc == 2
    assert "does not verify" in cli("drift", before, after, "--pubkey", units.keys["b"]["pub"]).err
    other = write(tmp_path, "other.json", units.sign(serial="SN-X", model="OTHER-9"))
    r = cli("drift", before, other, "--pubkey", pub)
    assert r.rc == 2 and "not the same device or product" in r.err
    assert cli("drift", before, other, "--pubkey", pub, "--force").rc == 1


def test_drift_from_the_store(cli, store_url, units, tmp_path):
    d = tmp_path / "in"
    write(d, "1.json", units.sign(serial="SN-DS", version="1.0.0"))
    write(d, "2.json", units.sign(serial="SN-DS", version="2.0.0"))
    assert cli("store", "ingest", "--store", store_url, "--pubkey", units.keys["a"]["pub"], str(d)).rc == 0
    rows = cli("store", "query", "--store", store_url, "--format", "json").json()
    r = cli("drift", "--store", store_url, "--serial", rows[0]["ueid"])
    assert r.rc == 1 and "DRIFT-VERSION firmware version changed: 1.0.0 → 2.0.0" in r.out
    r = cli("drift", rows[0]["digest"][:10], rows[1]["digest"][:10], "--store", store_url)
    assert r.rc == 1 and "DRIFT-VERSION" in r.out
    assert cli("drift", "abc", rows[1]["digest"][:10], "--store", store_url).rc == 2


def test_factory_line_local_attest(cli, store_url, units, line_unit, tmp_path):
    root, cfg = line_unit
    junit = str(tmp_path / "unit.xml")
    args = ("factory", "--root", root, "--config", cfg, "--key", units.keys["p256"]["private"],
            "--store", store_url, "--station", "line-1", "--serial", "SN-F1", "--junit", junit,
            "--keep", str(tmp_path / "kept"))
    r = cli(*args)
    word = "PASS" if r.rc == 0 else "FAIL"
    assert r.rc in (0, 1), r.err
    assert f"\n{word} SN-F1\n" in r.out and "█" in r.out
    assert "[ok  ] verify" in r.out and "[ok  ] store" in r.out and "[ok  ] unique" in r.out
    assert "[ok  ] serial: label SN-F1 is the unit's own serial" in r.out
    suite = ET.parse(junit).getroot()
    names = [c.get("name") for c in suite.iter("testcase")]
    assert names[:5] == ["attest", "verify", "store", "unique", "serial"]
    assert sum(n.startswith("S1.1-") for n in names) == 16
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["serial"] == "SN-F1" and props["result"] == word and props["station"] == "line-1"
    # the exit status follows the attested report: PASS only if no criterion fails or errors
    rows = cli("store", "query", "--store", store_url, "--serial", "SN-F1", "--format", "json").json()
    assert len(rows) == 1 and rows[0]["ok"] == (r.rc == 0) and rows[0]["serial"] == "SN-F1"
    assert len(os.listdir(tmp_path / "kept")) == 1
    # the same unit on the line again: a new attestation (new nonce), still unique
    assert cli(*args).rc == r.rc
    assert cli("store", "query", "--store", store_url, "--count").out.strip() == "2"


def test_factory_refuses_a_unit_signed_by_an_untrusted_key(cli, store_url, units, line_unit):
    root, cfg = line_unit
    r = cli("factory", "--root", root, "--config", cfg, "--key", units.keys["a"]["private"],
            "--pubkey", units.keys["b"]["pub"], "--store", store_url, "--quiet")
    assert r.rc == 1 and "FAIL" in r.out and "[FAIL] verify" in r.out
    assert cli("store", "query", "--store", store_url, "--count").out.strip() == "0"


def test_factory_flags_a_cloned_identity(cli, store_url, units, line_unit):
    root, cfg = line_unit
    base = ("factory", "--root", root, "--config", cfg, "--store", store_url, "--quiet")
    first = cli(*base, "--key", units.keys["a"]["private"])
    clone = cli(*base, "--key", units.keys["b"]["private"])  # same serial, another key
    assert "[ok  ] unique" in first.out
    assert clone.rc == 1 and "[FAIL] unique" in clone.out and "STORE-DUPLICATE-UEID" in clone.out


def test_factory_run_level_problems_exit_2(cli, units, line_unit, tmp_path):
    root, cfg = line_unit
    r = cli("factory", "--root", root, "--store", str(tmp_path / "no" / "x.db"), "--key", units.keys["a"]["private"])
    assert r.rc == 2 and "does not exist" in r.err
    assert cli("factory", "--root", root, "--store", str(tmp_path / "x.db")).rc == 2  # neither --key nor --port
    r = cli("factory", "--port", "/dev/nonexistent-tty", "--store", str(tmp_path / "x.db"))
    assert r.rc == 2 and "--pubkey" in r.err
    r = cli("factory", "--root", root, "--config", cfg, "--store", str(tmp_path / "x.db"), "--key",
            units.keys["a"]["private"], "--junit", str(tmp_path / "no" / "unit.xml"))
    assert r.rc == 2 and "folder of this output file does not exist" in r.err
    q = cli("store", "query", "--store", str(tmp_path / "x.db"), "--count")  # untouched (readers create no store)
    assert (q.rc == 2 and not (tmp_path / "x.db").exists()) or q.out.strip() == "0"


def test_factory_envelope_from_a_command(cli, store_url, units, line_unit, tmp_path):
    """The SSH-style flow: the unit attests with the station's nonce, the station verifies."""
    import shlex
    import sys

    root, cfg = line_unit
    attest = (f"{shlex.quote(sys.executable)} -m jcstar_agent attest --root {shlex.quote(root)} --config {shlex.quote(cfg)} "
              f"--key {shlex.quote(units.keys['a']['private'])} --nonce \"$JCSTAR_NONCE\"")
    base = ("factory", "--store", store_url, "--pubkey", units.keys["a"]["pub"], "--quiet")
    r = cli(*base, "--command", attest)
    assert r.rc in (0, 1) and "[ok  ] verify" in r.out and "from --command" in r.out, r.out + r.err
    # a replayed envelope (fixed nonce, not the station's) is refused
    replay = attest.replace('"$JCSTAR_NONCE"', "old-nonce")
    r = cli(*base, "--command", replay)
    assert r.rc == 1 and "[FAIL] verify" in r.out and "wrong nonce" in r.out
    r = cli(*base, "--command", "echo nothing >&2; exit 3")
    assert r.rc == 1 and "[FAIL] attest" in r.out and "exited 3" in r.out
    assert cli("store", "query", "--store", store_url, "--count").out.strip() == "1"


def test_auditor_follows_the_bundle_readme(store_url, units, tmp_path):
    """The README.txt inside an exported bundle, followed literally by an auditor with nothing but
    the bundle, sha256sum, openssl and the agent: every command it names succeeds."""
    import re
    import subprocess
    import sys

    from jcstar_agent.store import Query
    from jcstar_agent.store import open_store
    from jcstar_agent.store.export import export
    from jcstar_agent.store.ingest import ingest

    project = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    envs = [units.sign(serial="SN-AUD", nonce="1", key="a"), units.sign(serial="SN-AUD", nonce="2", key="p256")]
    with open_store(store_url) as store:
        ingest(store, [(f"e{i}", e, "") for i, e in enumerate(envs)], units.keyring("a", "p256"), "s")
        ueid = store.query()[0].ueid
        bundle = str(tmp_path / "sn-aud.tar.gz")
        assert export(store, Query(serial=ueid), bundle, "SN-AUD").failed == []
    with tarfile.open(bundle) as tar:
        readme = tar.extractfile("sn-aud/README.txt").read().decode()
    # how to get the agent: the README's routes, not a PyPI name that pip refuses on Debian 12
    assert "pip install jcstar-agent" not in readme and "Debian package" in readme
    commands = [line.strip() for line in readme.splitlines() if line.startswith("     ")]
    assert commands[0] == "tar xzf sn-aud.tar.gz && cd sn-aud" and commands[1] == "sha256sum -c SHA256SUMS"
    verifies = [c for c in commands if c.startswith("jcstar-agent verify ")]
    assert len(verifies) == 2  # one per attestation, each with the key that signed it
    auditor = tmp_path / "auditor"
    auditor.mkdir()
    subprocess.run(["cp", bundle, str(auditor)], check=True)
    subprocess.run(commands[0].split(" && ")[0].split(), cwd=str(auditor), check=True)
    here = auditor / "sn-aud"
    assert subprocess.run(commands[1].split(), cwd=str(here), capture_output=True).returncode == 0
    env = dict(os.environ, PYTHONPATH=project)
    keyids = set()
    for c in verifies:
        argv = c.split()
        p = subprocess.run([sys.executable, "-m", "jcstar_agent"] + argv[1:], cwd=str(here), env=env,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0 and p.stdout.startswith("VALID"), c + p.stdout + p.stderr
        keyids.add(re.search(r"keys/([0-9a-f]{64})\.pub", c).group(1))
    assert keyids == {units.keys["a"]["keyid"], units.keys["p256"]["keyid"]}
    for keyid in keyids:  # step 3: the key file's name is its keyid, as openssl computes it
        der = subprocess.run(["openssl", "pkey", "-pubin", "-in", f"keys/{keyid}.pub", "-outform", "DER"],
                             cwd=str(here), capture_output=True, check=True).stdout
        assert hashlib.sha256(der).hexdigest() == keyid


def test_factory_flags_one_key_on_two_units(cli, store_url, units, line_unit, tmp_path):
    """Two units with their own serials (so their own ueids) signed with ONE key: the key was
    copied between units; the second unit on the line FAILs with STORE-SHARED-KEY."""
    root, cfg = line_unit
    other = units.root("SN-F2", "3.0.0", units.MODEL)
    key = units.keys["a"]["private"]
    first = cli("factory", "--root", root, "--config", cfg, "--key", key, "--store", store_url, "--quiet")
    assert "[ok  ] unique" in first.out, first.out
    second = cli("factory", "--root", other, "--config", cfg, "--key", key, "--store", store_url, "--quiet",
                 "--junit", str(tmp_path / "second.xml"))
    assert second.rc == 1 and "[FAIL] unique" in second.out and "STORE-SHARED-KEY" in second.out
    assert second.out.rstrip().endswith("FAIL unit") or "FAIL " in second.out.splitlines()[-1]
    suite = ET.parse(str(tmp_path / "second.xml")).getroot()
    unique = next(c for c in suite.iter("testcase") if c.get("name") == "unique")
    assert unique.find("failure") is not None and "STORE-SHARED-KEY" in unique.find("failure").get("message")
    rows = cli("store", "query", "--store", store_url, "--format", "json").json()
    assert len({r["ueid"] for r in rows}) == 2 and len({r["keyid"] for r in rows}) == 1


def test_factory_label_that_is_not_the_units_serial_fails(cli, store_url, units, line_unit):
    """The scanned label against the unit's own serial (its ueid is made from vendor + serial)."""
    root, cfg = line_unit
    base = ("factory", "--root", root, "--config", cfg, "--key", units.keys["a"]["private"],
            "--store", store_url, "--quiet")
    r = cli(*base, "--serial", "SN-F9")
    assert r.rc == 1 and "[FAIL] serial" in r.out and "FACTORY-SERIAL-MISMATCH" in r.out, r.out
    r = cli(*base, "--serial", "SN-F1")
    assert "[ok  ] serial" in r.out and "FACTORY-SERIAL-MISMATCH" not in r.out, r.out


def test_query_by_serial_without_a_recorded_label(cli, store_url, units, tmp_path):
    """Envelopes ingested from files carry no label; the unit's ueid is made from vendor + serial,
    so ``--serial S --vendor V`` still finds the unit (and export bundles it)."""
    d = tmp_path / "field"
    write(d, "1.json", units.sign(serial="SN-FIELD-7", nonce="1"))
    write(d, "2.json", units.sign(serial="SN-OTHER", nonce="2", key="b"))
    r = cli("store", "ingest", "--store", store_url, "--pubkey", units.keys["a"]["pub"], "--pubkey",
            units.keys["b"]["pub"], str(d))
    assert r.rc == 0, r.out
    q = ("store", "query", "--store", store_url, "--count")
    assert cli(*q, "--serial", "SN-FIELD-7", "--vendor", "Acme").out.strip() == "1"
    assert cli(*q, "--serial", "SN-FIELD-7").out.strip() == "0"  # another vendor's ueid
    assert cli(*q, "--serial", "SN-FIELD-8", "--vendor", "Acme").out.strip() == "0"
    r = cli("store", "export", "--store", store_url, "--serial", "SN-FIELD-7", "--vendor", "Acme",
            "--output", str(tmp_path / "f.tar.gz"))
    assert r.rc == 0 and "1 attestation(s) of SN-FIELD-7" in r.out


def test_factory_command_gets_a_nonce_attest_accepts(cli, tmp_path, monkeypatch):
    """Even when the random draw starts with '-', the factory's --command receives a nonce that
    'attest --nonce "$JCSTAR_NONCE"' parses (the flake this test pins down)."""
    import secrets

    from jcstar_agent.attest.keys import generate

    draws = iter(["-Zm9vYmFyLWRhc2gtZmlyc3QtbG9uZw", "second-draw-no-dash-xxxxxxxxxxxx"])
    real = secrets.token_urlsafe
    monkeypatch.setattr(secrets, "token_urlsafe", lambda n=None: next(draws, None) or real(n))
    key, pub, _ = generate(str(tmp_path / "k"))
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/os-release").write_text('ID=acme\nVERSION_ID="1"\n')
    import shlex
    import sys
    cmd = (f"{shlex.quote(sys.executable)} -m jcstar_agent attest --root {shlex.quote(str(root))} "
           f"--key {shlex.quote(key)} --nonce \"$JCSTAR_NONCE\"")
    r = cli("factory", "--store", str(tmp_path / "e.db"), "--pubkey", pub, "--command", cmd, "--quiet")
    assert "[ok  ] verify" in r.out, r.out + r.err
