"""Issue 12 items 5, 6 and 10: hostile envelopes at ``store ingest`` and ``verify``.

Expected, as an auditor decides it before running anything: a station ingesting a folder where
some files are hostile stores every valid envelope and refuses each bad one with its reason (exit
1, no traceback); nothing an unsigned file holds costs more than parsing it (a valid signature
repeated 20,000 times is refused before any crypto); a signed payload whose ``iat`` is no time
(NaN, 10**400, -10**12) or that repeats a key is refused by verify and ingest alike; ingest
refuses an envelope older than its window (default 7 days) unless ``--max-age`` widens it.
"""
from __future__ import annotations

import base64
import json
import os
import re
import sqlite3
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(os.path.dirname(HERE))


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "jcstar_agent", *args], cwd=PROJECT, input=stdin,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def unit(tmp_path_factory):
    """Six real envelopes (attest API, distinct nonces) of one small unit, and its key."""
    from jcstar_agent import check
    from jcstar_agent.attest.api import attest_report, load_signer
    from jcstar_agent.attest.keys import generate
    from jcstar_agent.config import BoardConfig
    from jcstar_agent.criteria import Context, Options
    from jcstar_agent.target import Root

    base = tmp_path_factory.mktemp("ingest")
    key, pub, keyid = generate(str(base / "unit.key"))
    root = base / "root"
    for name, text in (("etc/os-release", 'NAME="Acme"\nVERSION_ID="1"\n'),
                       ("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
                       ("etc/shadow", "root:*:19000:0:99999:7:::\n")):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    ctx = Context(Root(str(root), live=False), BoardConfig(), Options())
    report = check.run(ctx)
    signer = load_signer(key)
    envs = [attest_report(ctx, report, signer, f"nonce-{i:04d}") for i in range(6)]
    return {"base": base, "pub": pub, "keyid": keyid, "signer": signer, "envs": envs}


def payload_of(env: bytes) -> bytes:
    return base64.b64decode(json.loads(env)["payload"])


def resign(unit, payload: bytes) -> bytes:
    """A real signature by the unit's key over a crafted payload (what a key holder can send)."""
    from jcstar_agent.attest import dsse

    e = dsse.Envelope(dsse.PAYLOAD_TYPE_INTOTO, payload)
    e.signatures.append(dsse.Signature(unit["signer"].sign(e.pae()), unit["signer"].keyid))
    return e.to_json()


def with_iat(unit, text: str) -> bytes:
    p = payload_of(unit["envs"][0]).decode()
    p, n = re.subn(r'"iat":-?[0-9]+', f'"iat":{text}', p)
    assert n == 1
    return resign(unit, p.encode())


def stored(db) -> int:
    with sqlite3.connect(str(db)) as c:
        return c.execute("select count(*) from attestations").fetchone()[0]


def test_hostile_files_are_refused_alone_and_the_valid_six_stored(unit, tmp_path):
    d = tmp_path / "batch"
    d.mkdir()
    for i, env in enumerate(unit["envs"]):
        (d / f"valid-{i}.json").write_bytes(env)
    (d / "nested.json").write_bytes(b"[" * 200_000)
    obj = json.loads(unit["envs"][0])
    obj["signatures"][0]["keyid"] = "KEYID"
    (d / "surrogate.json").write_text(json.dumps(obj).replace("KEYID", "\\ud800"))
    obj = json.loads(unit["envs"][1])
    obj["signatures"] = obj["signatures"] * 20_000
    (d / "repeated.json").write_text(json.dumps(obj))
    for extra in ([], ["--batch", "1"], ["--workers", "2"]):
        db = tmp_path / f"s{len(extra)}{extra[-1] if extra else ''}.db"
        started = time.monotonic()
        r = run("store", "ingest", "--pubkey", unit["pub"], "--store", str(db), *extra, str(d))
        took = time.monotonic() - started
        assert r.returncode == 1, r.stderr
        assert "Traceback" not in r.stderr and r.stderr == ""
        assert "6 stored, 0 already stored, 3 refused" in r.stdout, r.stdout
        refused = {ln.split(":")[0].split("/")[-1]: ln for ln in r.stdout.splitlines() if ln.startswith("REFUSED")}
        assert "nested" in refused["nested.json"]
        assert "keyid" in refused["surrogate.json"]
        assert "20000 signatures" in refused["repeated.json"]
        assert stored(db) == 6
        assert took < 30, took  # was 147 s for the repeated signatures alone


def test_repeated_signature_is_refused_before_any_crypto(unit):
    from jcstar_agent.attest import api
    from jcstar_agent.store.ingest import KeyRing, check

    obj = json.loads(unit["envs"][0])
    obj["signatures"] = obj["signatures"] * 20_000
    data = json.dumps(obj).encode()
    ring = KeyRing()
    ring.add_pem(open(unit["pub"], "rb").read())
    started = time.monotonic()
    v = check("x", data, ring, "s")
    took = time.monotonic() - started
    assert v.record is None and "more than 16" in v.refusal.reason
    assert took < 0.5, took
    started = time.monotonic()
    assert not api.verify_envelope(data, open(unit["pub"], "rb").read()).ok
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize("iat,why", [
    ("NaN", "NaN"),
    ("1" + "0" * 400, "not a time"),
    ("-1000000000000", "not a time"),
    ("1e400", "out of range"),
])
def test_iat_that_is_no_time_is_refused_by_verify_and_ingest(unit, tmp_path, iat, why):
    env = tmp_path / "env.json"
    env.write_bytes(with_iat(unit, iat))
    r = run("verify", str(env), "--pubkey", unit["pub"], "--max-age", "1")
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert why in r.stdout and "INVALID" in r.stdout, r.stdout
    r = run("store", "ingest", "--pubkey", unit["pub"], "--store", str(tmp_path / "s.db"), str(env))
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "REFUSED" in r.stdout and why in r.stdout and "0 stored" in r.stdout, r.stdout


def test_duplicate_keys_in_a_signed_payload_are_refused(unit, tmp_path):
    p = payload_of(unit["envs"][0]).decode()
    p = p.replace('"predicate":{', '"predicate":{"summary":{"pass":16,"fail":0},', 1)
    env = tmp_path / "dup.json"
    env.write_bytes(resign(unit, p.encode()))
    r = run("verify", str(env), "--pubkey", unit["pub"])
    assert r.returncode == 1 and "duplicate key 'summary'" in r.stdout, r.stdout + r.stderr
    r = run("store", "ingest", "--pubkey", unit["pub"], "--store", str(tmp_path / "s.db"), str(env))
    assert r.returncode == 1 and "duplicate key" in r.stdout and "0 stored" in r.stdout, r.stdout


def test_ingest_window_refuses_old_envelopes_unless_widened(unit, tmp_path):
    old = int(time.time()) - 27 * 3600
    eight_days = int(time.time()) - 8 * 86400
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "27h.json").write_bytes(with_iat(unit, str(old)))
    (tmp_path / "in" / "8d.json").write_bytes(with_iat(unit, str(eight_days)))
    db = tmp_path / "s.db"
    r = run("store", "ingest", "--pubkey", unit["pub"], "--store", str(db), str(tmp_path / "in"))
    assert r.returncode == 1 and "1 stored" in r.stdout and "too old" in r.stdout, r.stdout
    assert "8d.json" in r.stdout.split("REFUSED", 1)[1]
    r = run("store", "ingest", "--pubkey", unit["pub"], "--store", str(db), "--max-age", "3600",
            str(tmp_path / "in"))
    assert r.returncode == 1 and "0 stored, 0 already stored, 2 refused" in r.stdout, r.stdout  # 27 h > 1 h
    r = run("store", "ingest", "--pubkey", unit["pub"], "--store", str(db), "--max-age", "none",
            str(tmp_path / "in"))
    assert r.returncode == 0 and "1 stored, 1 already stored, 0 refused" in r.stdout, r.stdout
    assert stored(db) == 2


@pytest.mark.parametrize("bad", ["nan", "inf", "-1", "soon"])
def test_bad_max_age_is_exit_2(unit, tmp_path, bad):
    r = run("store", "ingest", "--pubkey", unit["pub"], "--store", str(tmp_path / "s.db"),
            "--max-age", bad, str(tmp_path))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "s.db").exists()
    r = run("verify", str(tmp_path / "x"), "--pubkey", unit["pub"], "--max-age", "nan")
    assert r.returncode == 2


def test_worker_pool_path_refuses_alone_too(unit, tmp_path):
    """200+ files switch ingest to verifier processes: the same outcome, window included."""
    d = tmp_path / "many"
    d.mkdir()
    for i, env in enumerate(unit["envs"]):
        (d / f"valid-{i}.json").write_bytes(env)
    for i in range(200):
        (d / f"nested-{i:03d}.json").write_bytes(b"[" * 2000)
    (d / "old.json").write_bytes(with_iat(unit, str(int(time.time()) - 8 * 86400)))
    db = tmp_path / "s.db"
    r = run("store", "ingest", "--pubkey", unit["pub"], "--store", str(db), "--workers", "2", str(d))
    assert r.returncode == 1 and r.stderr == "", r.stderr
    assert "6 stored, 0 already stored, 201 refused" in r.stdout, r.stdout[-500:]
    assert "old.json: too old" in r.stdout
    assert stored(db) == 6


@pytest.mark.parametrize("verb", [["verify", "ENV", "--pubkey", "PUB"], ["pull", "--port", "loop://"],
                                  ["factory", "--port", "loop://"]])
@pytest.mark.parametrize("bad", ["nan", "inf", "-5"])
def test_max_age_that_is_no_number_of_seconds_is_exit_2(unit, tmp_path, verb, bad):
    env = tmp_path / "env.json"
    env.write_bytes(unit["envs"][0])
    argv = [a.replace("ENV", str(env)).replace("PUB", unit["pub"]) for a in verb]
    r = run(*argv, "--max-age", bad)
    assert r.returncode == 2 and "--max-age" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_a_nan_max_age_is_never_fresh_through_the_api(unit):
    from jcstar_agent.attest.api import verify_envelope

    v = verify_envelope(unit["envs"][0], open(unit["pub"], "rb").read(), max_age=float("nan"))
    assert not v.ok and "too old" in v.reason
