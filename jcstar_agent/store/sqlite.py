"""SQLite engine (stdlib ``sqlite3``): the embedded default, one file per line or station.

WAL journal (readers never block the writer), ``synchronous=FULL`` (a committed batch survives
power loss, not only a killed process), explicit ``BEGIN IMMEDIATE … COMMIT`` per batch, and
triggers that make the tables append-only. The envelope bytes sit in a side table
(``envelopes``, same id, written in the same transaction) so that scanning the searchable columns
of 100,000 units reads a few MB, not a 24 KB row per unit.
"""
from __future__ import annotations

import os
import sqlite3
from typing import List, Tuple

from .interface import INSERT_COLUMNS, Store, StoreError

SCHEMA = """
CREATE TABLE IF NOT EXISTS attestations (
    id               INTEGER PRIMARY KEY,
    digest           TEXT    NOT NULL UNIQUE,
    keyid            TEXT    NOT NULL,
    received_at      REAL    NOT NULL,
    station          TEXT    NOT NULL,
    ueid             TEXT,
    serial           TEXT,
    model            TEXT,
    firmware_version TEXT,
    issued_at        REAL,
    nonce            TEXT,
    boot_id          TEXT,
    agent_version    TEXT,
    ok               INTEGER NOT NULL,
    summary          TEXT    NOT NULL,
    failed           TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS envelopes (
    id       INTEGER PRIMARY KEY REFERENCES attestations (id),
    envelope BLOB    NOT NULL
);
CREATE INDEX IF NOT EXISTS attestations_serial   ON attestations (serial);
CREATE INDEX IF NOT EXISTS attestations_ueid     ON attestations (ueid);
CREATE INDEX IF NOT EXISTS attestations_model    ON attestations (model, firmware_version);
CREATE INDEX IF NOT EXISTS attestations_received ON attestations (received_at);
CREATE INDEX IF NOT EXISTS attestations_keyid    ON attestations (keyid);
CREATE INDEX IF NOT EXISTS attestations_failures ON attestations (ok, received_at);
CREATE TABLE IF NOT EXISTS keys (
    keyid TEXT PRIMARY KEY,
    pem   BLOB NOT NULL
);
CREATE TRIGGER IF NOT EXISTS attestations_no_update BEFORE UPDATE ON attestations
    BEGIN SELECT RAISE(ABORT, 'evidence store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS attestations_no_delete BEFORE DELETE ON attestations
    BEGIN SELECT RAISE(ABORT, 'evidence store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS envelopes_no_update BEFORE UPDATE ON envelopes
    BEGIN SELECT RAISE(ABORT, 'evidence store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS envelopes_no_delete BEFORE DELETE ON envelopes
    BEGIN SELECT RAISE(ABORT, 'evidence store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS keys_no_update BEFORE UPDATE ON keys
    BEGIN SELECT RAISE(ABORT, 'evidence store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS keys_no_delete BEFORE DELETE ON keys
    BEGIN SELECT RAISE(ABORT, 'evidence store is append-only'); END;
"""

_ROW = INSERT_COLUMNS[:-1]  # the envelope goes to its own table, same transaction
_INSERT = (f"INSERT OR IGNORE INTO attestations ({', '.join(_ROW)}) "
           f"VALUES ({', '.join('?' * len(_ROW))})")


class SqliteStore(Store):
    engine = "sqlite"
    P = "?"
    _FROM_ENVELOPE = "attestations a JOIN envelopes e ON e.id = a.id"
    _ENVELOPE = "e.envelope"
    _errors = (sqlite3.Error,)

    def __init__(self, path: str, create: bool = True):
        self.path = path
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise StoreError(f"{path}: folder {parent} does not exist")
        if not create:
            self._open_read_only(path)
            return
        try:
            # isolation_level=None: no implicit transactions; we BEGIN/COMMIT ourselves.
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            # checkpoint (and fsync the database file) every ~32 MB of WAL, not every 4 MB:
            # a batch of 24 KB envelopes would otherwise pay several fsyncs
            self._db.execute("PRAGMA wal_autocheckpoint=8192")
            self._db.executescript("BEGIN IMMEDIATE;" + SCHEMA + "COMMIT;")
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the evidence store: {exc}") from None

    def _open_read_only(self, path: str) -> None:
        """Readers (query, export, retention, check-unique, drift) never create a store: a
        mistyped path is an error naming it, not a new empty database."""
        from urllib.parse import quote

        if not os.path.isfile(path):
            raise StoreError(f"{path}: no evidence store here ('store ingest' or 'factory' creates one)")
        try:
            self._db = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True,
                                       timeout=30, isolation_level=None)
            found = self._db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                     "name IN ('attestations', 'envelopes', 'keys')").fetchone()[0]
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the evidence store: {exc}") from None
        if found != 3:
            self._db.close()
            raise StoreError(f"{path}: not an evidence store (no attestations table)")

    def __str__(self) -> str:
        return self.path

    def _conn(self):
        return self._db

    def _tx(self, fn):
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                result = fn(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return result
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from None

    def _insert_many(self, rows: List[Tuple]) -> List[bool]:
        def work(db):
            new = []
            for row in rows:
                cur = db.execute(_INSERT, row[:-1])
                if cur.rowcount == 1:
                    db.execute("INSERT INTO envelopes (id, envelope) VALUES (?, ?)", (cur.lastrowid, row[-1]))
                new.append(cur.rowcount == 1)
            return new
        return self._tx(work)

    def add_key(self, keyid: str, pem: bytes) -> None:
        self._tx(lambda db: db.execute("INSERT OR IGNORE INTO keys (keyid, pem) VALUES (?, ?)",
                                       (keyid, pem)))

    def close(self) -> None:
        self._db.close()
