"""The evidence store interface: one API, two engines (SQLite embedded, PostgreSQL by URL).

Append-only: rows are only ever inserted (both engines refuse UPDATE and DELETE with a trigger).
A row's identity is the SHA-256 of the DSSE payload, UNIQUE in the table, so ingesting the same
envelope again changes nothing. Each :meth:`Store.add` call is one transaction: a process killed
in the middle leaves the rows of earlier calls and none of the interrupted one.

The SQL both engines share is written here once; an engine supplies the placeholder, its DDL,
the insert-or-ignore statement and the connection.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from .model import Record, summary_json

# Row columns in table order, envelope last (left out of listings that do not need it).
META_COLUMNS = ("id", "digest", "keyid", "received_at", "station", "ueid", "serial", "model",
                "firmware_version", "issued_at", "nonce", "boot_id", "agent_version", "ok",
                "summary", "failed")
INSERT_COLUMNS = META_COLUMNS[1:] + ("envelope",)


@dataclass
class Query:
    """What to look for; every field given narrows the result (AND)."""
    serial: Optional[str] = None     # the unit: matches its serial or its ueid
    serial_ueid: Optional[str] = None  # …or this ueid (the one made from the serial, see query_of)
    model: Optional[str] = None
    version: Optional[str] = None
    keyid: Optional[str] = None
    failures: bool = False           # only attestations with a criterion fail or error
    since: Optional[float] = None    # received_at >= since (epoch seconds)
    until: Optional[float] = None    # received_at < until
    limit: Optional[int] = None
    newest_first: bool = False


@dataclass
class Conflict:
    """A uniqueness problem across units (check id, the shared value, who shares it)."""
    check: str        # STORE-DUPLICATE-UEID | STORE-SHARED-KEY | STORE-HARDWARE-KEY-SERIALS
    value: str        # the ueid or the keyid that is shared
    others: List[str]  # the distinct keyids (for a ueid) or ueids (for a key)
    message: str


class StoreError(Exception):
    """The store cannot be opened or written (the message says which and why)."""


class Store:
    """Base class: the engines subclass it. Use as a context manager or call :meth:`close`."""

    engine = "abstract"
    P = "?"  # placeholder of the engine's DB-API paramstyle
    _errors: tuple = ()  # the engine's database exception classes (become StoreError)
    # Where the envelope bytes live: a column of the row (PostgreSQL moves large values out of
    # line by itself), or a side table joined by id (SQLite, so that scans of the searchable
    # columns do not read a 24 KB row per unit).
    _FROM_ENVELOPE = "attestations a"
    _ENVELOPE = "a.envelope"

    # ----- engine hooks -------------------------------------------------------------------
    def _conn(self):
        raise NotImplementedError

    def _insert_many(self, rows: List[Tuple]) -> List[bool]:
        """Insert-or-ignore ``rows`` (INSERT_COLUMNS order) in ONE transaction; True = new."""
        raise NotImplementedError

    def add_key(self, keyid: str, pem: bytes) -> None:
        """Remember a public key (first one wins; append-only like the rows)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # ----- shared -------------------------------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def add(self, records: Sequence[Record]) -> List[bool]:
        """Store records in one transaction. Returns, per record, True if new, False if it was
        already there (same payload digest). Only :func:`jcstar_agent.store.ingest.ingest` builds
        records from verified envelopes: call that, not this, with anything received."""
        if not records:
            return []
        return self._insert_many([self._row(r) for r in records])

    @staticmethod
    def _row(r: Record) -> Tuple:
        return (r.digest, r.keyid, r.received_at, r.station, r.ueid, r.serial, r.model,
                r.firmware_version, r.issued_at, r.nonce, r.boot_id, r.agent_version,
                1 if r.ok else 0, summary_json(r.summary), ",".join(r.failed), r.envelope)

    def _select(self, sql: str, params: Sequence[Any] = ()) -> List[Tuple]:
        try:
            cur = self._conn().cursor()
            try:
                cur.execute(sql, tuple(params))
                return list(cur.fetchall())
            finally:
                cur.close()
        except self._errors as exc:
            raise StoreError(f"{self}: {str(exc).strip()}") from None

    def key(self, keyid: str) -> Optional[bytes]:
        rows = self._select(f"SELECT pem FROM keys WHERE keyid = {self.P}", (keyid,))
        return bytes(rows[0][0]) if rows else None

    def _where(self, q: Query) -> Tuple[str, List[Any]]:
        P, parts, params = self.P, [], []
        if q.serial is not None:
            parts.append(f"(serial = {P} OR ueid = {P} OR ueid = {P})")
            params += [q.serial, q.serial, q.serial_ueid or q.serial]
        for col, val in (("model", q.model), ("firmware_version", q.version), ("keyid", q.keyid)):
            if val is not None:
                parts.append(f"{col} = {P}")
                params.append(val)
        if q.failures:
            parts.append("ok = 0")
        if q.since is not None:
            parts.append(f"received_at >= {P}")
            params.append(float(q.since))
        if q.until is not None:
            parts.append(f"received_at < {P}")
            params.append(float(q.until))
        return (" WHERE " + " AND ".join(parts) if parts else ""), params

    def query(self, q: Optional[Query] = None, envelopes: bool = False) -> List[Record]:
        q = q or Query()
        where, params = self._where(q)
        cols = ", ".join(f"a.{c}" for c in META_COLUMNS) + (f", {self._ENVELOPE}" if envelopes else "")
        source = self._FROM_ENVELOPE if envelopes else "attestations a"
        order = "DESC" if q.newest_first else "ASC"
        sql = f"SELECT {cols} FROM {source}{where} ORDER BY a.received_at {order}, a.id {order}"
        if q.limit is not None:
            sql += f" LIMIT {int(q.limit)}"
        return [self._record(row) for row in self._select(sql, params)]

    def count(self, q: Optional[Query] = None) -> int:
        where, params = self._where(q or Query())
        return int(self._select(f"SELECT COUNT(*) FROM attestations{where}", params)[0][0])

    def get(self, digest: str) -> Optional[Record]:
        cols = ", ".join(f"a.{c}" for c in META_COLUMNS)
        rows = self._select(f"SELECT {cols}, {self._ENVELOPE} FROM {self._FROM_ENVELOPE} "
                            f"WHERE a.digest = {self.P}", (digest,))
        return self._record(rows[0]) if rows else None

    def by_prefix(self, prefix: str, limit: int = 2) -> List[str]:
        """Digests starting with ``prefix`` (hex), at most ``limit`` (an index range scan)."""
        p = prefix.lower()
        return [d for (d,) in self._select(
            f"SELECT digest FROM attestations WHERE digest >= {self.P} AND digest < {self.P} "
            f"ORDER BY digest LIMIT {int(limit)}", (p, p + "g"))]

    @staticmethod
    def _record(row: Tuple) -> Record:
        d = dict(zip(META_COLUMNS + ("envelope",), row))
        try:
            summary = json.loads(d["summary"] or "{}")
        except ValueError:
            summary = {}
        env = d.get("envelope")
        return Record(digest=d["digest"], envelope=bytes(env) if env is not None else b"",
                      keyid=d["keyid"], received_at=float(d["received_at"]), station=d["station"],
                      ueid=d["ueid"], serial=d["serial"], model=d["model"],
                      firmware_version=d["firmware_version"], issued_at=d["issued_at"],
                      nonce=d["nonce"], boot_id=d["boot_id"], agent_version=d["agent_version"],
                      summary=summary if isinstance(summary, dict) else {},
                      failed=[f for f in (d["failed"] or "").split(",") if f], id=d["id"])

    def groups(self, q: Optional[Query] = None) -> List[Tuple[Optional[str], Optional[str], int, float, float]]:
        """(model, firmware_version, count, first received, last received) per model/version."""
        where, params = self._where(q or Query())
        return [(m, v, int(n), float(lo), float(hi)) for m, v, n, lo, hi in self._select(
            "SELECT model, firmware_version, COUNT(*), MIN(received_at), MAX(received_at) "
            f"FROM attestations{where} GROUP BY model, firmware_version ORDER BY model, firmware_version",
            params)]

    def stale_units(self, before: float) -> List[Tuple[str, float, int]]:
        """(unit, last received, attestations) of units whose NEWEST attestation is older than
        ``before``: nothing of theirs is left inside the window. A unit is its ueid (the device's
        own identity: a row labelled at the factory and a later unlabelled one are the same unit),
        else its serial label, else its key; it is named by its label when one was recorded."""
        return [(u, float(last), int(n)) for u, last, n in self._select(
            "SELECT COALESCE(MAX(serial), COALESCE(ueid, serial, keyid)) AS unit, MAX(received_at), COUNT(*) "
            "FROM attestations GROUP BY COALESCE(ueid, serial, keyid) "
            f"HAVING MAX(received_at) < {self.P} ORDER BY unit", (float(before),))]

    def conflicts(self, ueid: Optional[str] = None, keyid: Optional[str] = None) -> List[Conflict]:
        """Units that are not unique: one ueid signed by several keys or carrying several
        serials (two devices claim one identity), or one key signing for several ueids (a key
        copied between devices). With ``ueid``/``keyid``, only conflicts involving them."""
        P = self.P
        out: List[Conflict] = []
        cond, params = "", []
        if ueid is not None:
            cond, params = f" AND ueid = {P}", [ueid]
        rows = self._select(
            "SELECT ueid, keyid, serial FROM attestations WHERE ueid IN ("
            " SELECT ueid FROM attestations WHERE ueid IS NOT NULL" + cond +
            " GROUP BY ueid HAVING COUNT(DISTINCT keyid) > 1 OR COUNT(DISTINCT serial) > 1)"
            " GROUP BY ueid, keyid, serial ORDER BY ueid, keyid, serial", params)
        by_ueid: Dict[str, Tuple[set, set]] = {}
        for u, k, s in rows:
            keys, serials = by_ueid.setdefault(u, (set(), set()))
            keys.add(k)
            if s is not None:
                serials.add(s)
        for u, (keys, serials) in by_ueid.items():
            what = []
            if len(keys) > 1:
                what.append(f"{len(keys)} signing keys")
            if len(serials) > 1:
                what.append(f"serials {', '.join(sorted(serials))}")
            out.append(Conflict("STORE-DUPLICATE-UEID", u, sorted(keys | serials),
                                f"ueid {u} is claimed with {' and '.join(what)}: two devices share one identity"))
        cond, params = "", []
        if keyid is not None:
            cond, params = f" AND keyid = {P}", [keyid]
        rows = self._select(
            "SELECT keyid, ueid FROM attestations WHERE ueid IS NOT NULL" + cond +
            " GROUP BY keyid, ueid HAVING keyid IN (SELECT keyid FROM attestations"
            " WHERE ueid IS NOT NULL GROUP BY keyid HAVING COUNT(DISTINCT ueid) > 1)"
            " ORDER BY keyid, ueid", params)
        by_key: Dict[str, List[str]] = {}
        for k, u in rows:
            by_key.setdefault(k, []).append(u)
        for k, ueids in by_key.items():
            out.append(Conflict("STORE-SHARED-KEY", k, ueids,
                                f"signing key {k[:16]}… signs for {len(ueids)} devices "
                                f"({', '.join(ueids[:5])}{' …' if len(ueids) > 5 else ''}): one key copied between units"))
        out += self._hardware_key_serials(keyid)
        return out

    def _hardware_key_serials(self, keyid: Optional[str]) -> List[Conflict]:
        """STORE-HARDWARE-KEY-SERIALS: a key that never leaves its TPM or token, recorded with
        two serials. Two units cannot hold it: a label was swapped, or the provenance is forged."""
        P = self.P
        cond, params = ("", []) if keyid is None else (f" AND keyid = {P}", [keyid])
        rows = self._select(
            "SELECT keyid, serial, MIN(digest) FROM attestations WHERE serial IS NOT NULL" + cond +
            " GROUP BY keyid, serial HAVING keyid IN (SELECT keyid FROM attestations"
            " WHERE serial IS NOT NULL GROUP BY keyid HAVING COUNT(DISTINCT serial) > 1)"
            " ORDER BY keyid, serial", params)
        by_key: Dict[str, Tuple[List[str], str]] = {}
        for k, serial, digest in rows:
            by_key.setdefault(k, ([], digest))[0].append(serial)
        out = []
        for k, (serials, digest) in by_key.items():
            kind = _key_kind(self.get(digest))
            if kind in ("tpm", "pkcs11"):
                out.append(Conflict("STORE-HARDWARE-KEY-SERIALS", k, serials,
                                    f"{kind} key {k[:16]}… cannot leave its hardware, yet it is recorded with "
                                    f"serials {', '.join(serials[:5])}: a swapped label or forged provenance"))
        return out


def _key_kind(rec: Optional[Record]) -> Optional[str]:
    """The key kind a stored (verified at ingest) envelope's statement gives."""
    if rec is None:
        return None
    from ..attest import dsse

    try:
        meta = dsse.loads(dsse.Envelope.from_json(rec.envelope).payload, "payload")["predicate"]["attestation"]
        return meta["signer"].get("kind", "file")
    except (dsse.EnvelopeError, KeyError, TypeError, AttributeError):
        return None


def sqlite_path(url: str) -> Optional[str]:
    """The SQLite file a store URL names (``sqlite:///path`` or a plain path); None for
    PostgreSQL."""
    if url.startswith(("postgresql://", "postgres://")):
        return None
    return url[len("sqlite://"):] if url.startswith("sqlite://") else url


def open_store(url: str, create: bool = True) -> Store:
    """``postgresql://…`` (or ``postgres://``) → PostgreSQL; ``sqlite:///path`` or a plain path →
    SQLite. Raises StoreError with the reason when it cannot be opened. ``create=False`` (every
    reader) opens an existing store read-only and never creates one."""
    if url.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore
        return PostgresStore(url, create)
    if re.search(r"(^|\s)(host|dbname|user|password)\s*=", url):
        # a libpq "key=value" string taken for a file name would be echoed whole, password too
        raise StoreError("a PostgreSQL connection string is given as postgresql://USER@HOST/DB "
                         "(password in ~/.pgpass or $PGPASSWORD), not as key=value words")
    from .sqlite import SqliteStore
    return SqliteStore(sqlite_path(url), create)


def chunks(items: Iterable, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
