"""The store API, the same tests against SQLite and a real PostgreSQL server (``store_url``)."""
from __future__ import annotations

import base64
import json
import time

import pytest

from jcstar_agent.store import Query, StoreError, open_store
from jcstar_agent.store.ingest import check, ingest
from store_units import set_verdict

DAY = 86400.0


def src(*envelopes, prefix="env"):
    return [(f"{prefix}{i}", e, "") for i, e in enumerate(envelopes)]


def test_ingest_stores_verified_rows_with_their_fields(store, units):
    env = units.sign(serial="SN-A1", version="2.1.0", nonce="n-1")
    res = ingest(store, src(env), units.keyring("a"), station="line-1")
    assert [len(res.stored), len(res.duplicates), len(res.refused)] == [1, 0, 0]
    row = store.query(Query(), envelopes=True)[0]
    assert row.envelope == env  # kept byte for byte: anyone can verify it again
    assert row.model == units.MODEL and row.firmware_version == "2.1.0"
    assert row.station == "line-1" and row.keyid == units.keys["a"]["keyid"]
    assert row.ueid and row.nonce == "n-1" and row.issued_at
    assert sum(row.summary.values()) == 16
    assert store.key(row.keyid) == units.keys["a"]["pem"]


def test_reingest_is_idempotent(store, units):
    envs = [units.sign(serial="SN-I", nonce=f"i{i}") for i in range(3)]
    first = ingest(store, src(*envs), units.keyring("a"), station="s")
    again = ingest(store, src(*envs, envs[0]), units.keyring("a"), station="s")
    assert len(first.stored) == 3
    assert len(again.stored) == 0 and len(again.duplicates) == 4
    assert store.count() == 3


def _tamper_payload(env: bytes) -> bytes:
    obj = json.loads(env)
    stmt = json.loads(base64.b64decode(obj["payload"]))
    for c in stmt["predicate"]["criteria"]:
        c["verdict"] = "pass"  # the classic forgery: make a failing unit pass
    stmt["predicate"]["target"]["firmware_version"] = "9.9.9"
    obj["payload"] = base64.b64encode(json.dumps(stmt).encode()).decode()
    return json.dumps(obj).encode()


def test_tampered_and_wrongly_signed_envelopes_are_refused(store, units):
    good = units.sign(serial="SN-T", nonce="t")
    flipped = bytearray(good)
    i = good.index(b'"sig": "') + 12
    flipped[i] = ord("A") if flipped[i] != ord("A") else ord("B")
    other_key = units.sign(serial="SN-T", nonce="t2", key="b")
    obj = json.loads(other_key)
    obj["signatures"][0]["keyid"] = units.keys["a"]["keyid"]  # lies about who signed it
    forged_keyid = json.dumps(obj).encode()
    cases = [("payload", _tamper_payload(good)), ("sig", bytes(flipped)), ("key-b", other_key),
             ("keyid-lie", forged_keyid), ("garbage", b"\x00\xff not json"), ("empty", b""),
             ("no-sigs", json.dumps({"payload": "", "payloadType": "x", "signatures": []}).encode())]
    res = ingest(store, [(n, e, "") for n, e in cases], units.keyring("a"), station="s")
    assert res.stored == [] and store.count() == 0
    why = {r.source: r.reason for r in res.refused}
    assert set(why) == {n for n, _ in cases}
    assert "signature does not verify" in why["payload"]
    assert "signature does not verify" in why["sig"] or "base64" in why["sig"]
    assert "not in the trusted key ring" in why["key-b"]
    assert "signature does not verify" in why["keyid-lie"]
    assert "malformed" in why["garbage"] and "malformed" in why["empty"]


def test_verification_with_nonce_and_age(units):
    env = units.sign(nonce="abc")
    ring = units.keyring("a")
    assert check("x", env, ring, "s", nonce="abc").record is not None
    assert "wrong nonce" in check("x", env, ring, "s", nonce="zzz").refusal.reason
    assert "too old" in check("x", env, ring, "s", max_age=-1).refusal.reason


def test_keyring_picks_the_key_the_envelope_names(store, units):
    envs = [units.sign(serial="SN-K1", key="a"), units.sign(serial="SN-K2", key="b"),
            units.sign(serial="SN-K3", key="p256")]
    res = ingest(store, src(*envs), units.keyring("a", "b", "p256"), station="s")
    assert len(res.stored) == 3, res.refused
    assert {r.keyid for r in store.query()} == {units.keys[k]["keyid"] for k in ("a", "b", "p256")}


def test_queries(store, units):
    now = time.time()
    ring = units.keyring("a")
    ingest(store, src(units.sign(serial="SN-Q1", version="1.0.0")), ring, "s", received_at=now - 400 * DAY)
    ingest(store, src(units.sign(serial="SN-Q1", version="1.1.0")), ring, "s", received_at=now - 10 * DAY)
    ingest(store, src(units.sign(serial="SN-Q2", version="1.1.0",
                                 mutate=set_verdict("S1.1-02", "fail"))), ring, "s", received_at=now - 5 * DAY)
    ingest(store, src(units.sign(serial="SN-Q3", version="1.0.0", model="OTHER-1")), ring, "s",
           received_at=now - 1 * DAY)
    ueid_q1 = store.query(Query(version="1.0.0", model=units.MODEL))[0].ueid
    assert len(store.query(Query(serial=ueid_q1))) == 2
    assert [r.firmware_version for r in store.query(Query(serial=ueid_q1))] == ["1.0.0", "1.1.0"]
    assert store.count(Query(model=units.MODEL)) == 3
    assert store.count(Query(model=units.MODEL, version="1.1.0")) == 2
    fails = store.query(Query(failures=True))
    assert len(fails) == 1 and "S1.1-02" in fails[0].failed and not fails[0].ok
    assert store.count(Query(since=now - 30 * DAY)) == 3
    assert store.count(Query(since=now - 30 * DAY, until=now - 2 * DAY)) == 2
    assert store.count(Query(until=now - 365 * DAY)) == 1
    newest = store.query(Query(newest_first=True, limit=1))[0]
    assert newest.model == "OTHER-1"


def test_station_serial_is_recorded_and_searchable(store, units):
    from jcstar_agent.store.ingest import check as verify_one

    v = verify_one("x", units.sign(serial="SN-LBL"), units.keyring("a"), "s", serial="LABEL-0042")
    store.add([v.record])
    assert store.query(Query(serial="LABEL-0042"))[0].serial == "LABEL-0042"


def test_append_only(store, units):
    ingest(store, src(units.sign(serial="SN-AO")), units.keyring("a"), "s")
    db = store._conn()
    statements = ["UPDATE attestations SET ok = 1", "DELETE FROM attestations",
                  "UPDATE keys SET pem = NULL", "DELETE FROM keys"]
    if store.engine == "sqlite":  # the envelope bytes live in a side table there
        statements += ["UPDATE envelopes SET envelope = x'00'", "DELETE FROM envelopes"]
    else:  # TRUNCATE fires no row trigger
        statements += ["TRUNCATE attestations", "TRUNCATE keys"]
    for sql in statements:
        with pytest.raises(Exception) as exc:
            db.execute(sql)
        assert "append-only" in str(exc.value)
    assert store.count() == 1


def test_uniqueness_same_ueid_and_same_key(store, units):
    ring = units.keyring("a", "b", "p256")
    # two physical units claiming one identity: same ueid, different signing keys
    ingest(store, src(units.sign(serial="SN-DUP", key="a"), units.sign(serial="SN-DUP", key="b", nonce="2")),
           ring, "s")
    # one key copied onto two units
    ingest(store, src(units.sign(serial="SN-U1", key="b"), units.sign(serial="SN-U2", key="b")), ring, "s")
    # a healthy unit attested twice with its own key is NOT a conflict
    ingest(store, src(units.sign(serial="SN-OK", key="p256", nonce="x"),
                      units.sign(serial="SN-OK", key="p256", nonce="y")), ring, "s")
    got = store.conflicts()
    checks = sorted(c.check for c in got)
    assert checks == ["STORE-DUPLICATE-UEID", "STORE-SHARED-KEY"], [c.message for c in got]
    shared = next(c for c in got if c.check == "STORE-SHARED-KEY")
    assert shared.value == units.keys["b"]["keyid"] and len(shared.others) == 3  # SN-DUP, U1, U2
    dup = next(c for c in got if c.check == "STORE-DUPLICATE-UEID")
    assert set(dup.others) == {units.keys["a"]["keyid"], units.keys["b"]["keyid"]}
    ok_ueid = store.query(Query(keyid=units.keys["p256"]["keyid"]))[-1].ueid
    assert store.conflicts(ueid=ok_ueid, keyid=units.keys["p256"]["keyid"]) == []
    assert [c.check for c in store.conflicts(keyid=units.keys["b"]["keyid"], ueid="none")] == ["STORE-SHARED-KEY"]


def test_open_errors_are_store_errors(tmp_path):
    with pytest.raises(StoreError):
        open_store(str(tmp_path / "missing-dir" / "x.db"))
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError):
        open_store(str(bad))
    with pytest.raises(StoreError):
        open_store("postgresql://nobody@/nodb?host=/nonexistent-socket-dir&connect_timeout=2")


def test_export_reverifies_and_flags_rows_altered_behind_the_store(store, units, tmp_path):
    import tarfile

    from jcstar_agent.store.export import export

    ring = units.keyring("a")
    envs = [units.sign(serial="SN-EX", nonce="1"), units.sign(serial="SN-EX", nonce="2")]
    ingest(store, src(*envs), ring, "s")
    ueid = store.query()[0].ueid
    ok = export(store, Query(serial=ueid), str(tmp_path / "ok.tar.gz"), ueid)
    assert ok.count == 2 and ok.failed == []
    # someone with database access drops the guard and edits the evidence
    db = store._conn()
    target = store.query()[1].digest
    forged = _tamper_payload(envs[1])
    if store.engine == "sqlite":
        db.execute("DROP TRIGGER envelopes_no_update")
        db.execute("UPDATE envelopes SET envelope = ? WHERE id = (SELECT id FROM attestations "
                   "WHERE digest = ?)", (forged, target))
    else:
        db.execute("DROP TRIGGER attestations_append_only ON attestations")
        db.execute("UPDATE attestations SET envelope = %s WHERE digest = %s", (forged, target))
    bad = export(store, Query(serial=ueid), str(tmp_path / "bad.tar.gz"), ueid)
    assert bad.failed == [target]
    with tarfile.open(tmp_path / "bad.tar.gz") as tar:
        manifest = json.loads(tar.extractfile("bad/MANIFEST.json").read())
    assert manifest["all_verified"] is False
    flagged = [a for a in manifest["attestations"] if not a["verified"]]
    assert [a["digest"] for a in flagged] == [target] and "signature" in flagged[0]["verification"]


def test_retention_window_is_two_calendar_years(store, units):
    from datetime import datetime, timezone

    from jcstar_agent.store import retention

    def t(*ymd):
        return datetime(*ymd, tzinfo=timezone.utc).timestamp()

    assert retention.years_before(t(2028, 2, 29), 2) == t(2026, 2, 28)
    assert retention.years_before(t(2027, 6, 1, 12), 2) == t(2025, 6, 1, 12)
    ring = units.keyring("a")
    now = t(2027, 6, 1)
    ingest(store, src(units.sign(serial="SN-R1", nonce="old")), ring, "s", received_at=t(2025, 5, 31))
    ingest(store, src(units.sign(serial="SN-R1", nonce="new")), ring, "s", received_at=t(2026, 1, 1))
    ingest(store, src(units.sign(serial="SN-R2", nonce="old2")), ring, "s", received_at=t(2025, 1, 1))
    rep = retention.report(store, now)
    assert (rep.total, rep.outside) == (3, 2)
    assert [g[2] for g in rep.groups] == [2]
    # SN-R1 still has evidence inside the window; SN-R2 has none left
    assert len(rep.stale_units) == 1 and rep.stale_units[0][2] == 1
    d = rep.to_dict()
    assert d["cutoff"] == "2025-06-01T00:00:00Z" and d["inside_window"] == 1


def test_retention_a_unit_is_its_ueid_labelled_or_not(store, units):
    """A unit labelled at the factory long ago and attested again (unlabelled, from the field)
    inside the window still has current evidence."""
    from datetime import datetime, timezone

    from jcstar_agent.store import retention
    from jcstar_agent.store.ingest import check as verify_one

    def t(*ymd):
        return datetime(*ymd, tzinfo=timezone.utc).timestamp()

    ring = units.keyring("a")
    old = verify_one("f", units.sign(serial="SN-RL", nonce="factory"), ring, "line-1", received_at=t(2024, 1, 1),
                     serial="LABEL-RL")
    store.add([old.record])
    ingest(store, src(units.sign(serial="SN-RL", nonce="field")), ring, "s", received_at=t(2026, 6, 1))
    assert retention.report(store, t(2027, 1, 1)).stale_units == []
    stale = retention.report(store, t(2029, 1, 1)).stale_units
    assert [(u, n) for u, _, n in stale] == [("LABEL-RL", 2)]  # named by its label, both rows counted


def test_a_hardware_key_recorded_with_two_serials_is_an_alarm(store, units):
    """One PKCS#11 key (a token's key cannot be copied) seen with two serials: the alarm. The same
    with a key file is only STORE-SHARED-KEY's business when the ueids differ, and a hardware key on
    one serial, attested twice, is no conflict."""
    from jcstar_agent.attest.api import attest_report

    base = units.signer("p256")

    class TokenSigner(type(base)):  # the token's word: what a PKCS#11 signer puts in the statement
        kind = "pkcs11"

        def describe(self, nonce, iat):
            return dict(super().describe(nonce, iat), provenance={
                "attributes": {"extractable": False, "never_extractable": True},
                "token": {"manufacturer": "Acme", "model": "SE-1", "serial": "T1"}})

    token = TokenSigner(base._key)

    def signed(serial, signer, nonce):
        rep = units.report()
        rep["target"]["serial"] = serial
        return attest_report(units.ctx("SN-HW", "1.0.0", units.MODEL), rep, signer, nonce)
    ring = units.keyring("p256", "a")
    res = ingest(store, src(signed("LBL-1", token, "1"), signed("LBL-1", token, "2")), ring, "s")
    assert len(res.stored) == 2 and not [c for c in store.conflicts() if c.check == "STORE-HARDWARE-KEY-SERIALS"]
    ingest(store, src(signed("LBL-2", token, "3")), ring, "s")
    hits = [c for c in store.conflicts() if c.check == "STORE-HARDWARE-KEY-SERIALS"]
    assert len(hits) == 1 and hits[0].value == token.keyid and hits[0].others == ["LBL-1", "LBL-2"]
    assert "pkcs11 key" in hits[0].message
    # one ueid with two serials is also STORE-DUPLICATE-UEID; the key's own alarm is this one
    assert "STORE-HARDWARE-KEY-SERIALS" in [c.check for c in store.conflicts(keyid=token.keyid)]
    # a key file on two serials of one ueid is not this alarm (STORE-DUPLICATE-UEID says it)
    file_key = units.signer("a")
    ingest(store, src(signed("LBL-3", file_key, "4"), signed("LBL-4", file_key, "5")), ring, "s")
    assert not [c for c in store.conflicts(keyid=file_key.keyid) if c.check == "STORE-HARDWARE-KEY-SERIALS"]
