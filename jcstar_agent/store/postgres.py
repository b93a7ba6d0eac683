"""PostgreSQL engine (psycopg 3) for fleets and many stations writing to one store.

Opened by URL: ``postgresql://user@host/db`` or with a unix socket,
``postgresql://user@/db?host=/run/postgresql``. Each batch is one transaction; inserts are
pipelined (``executemany``) with ``ON CONFLICT (digest) DO NOTHING``; triggers refuse UPDATE,
DELETE and TRUNCATE. The schema is created on first use under an advisory lock, so several stations may
start at once. Host-side only: install with ``pip install 'jcstar-agent[store]'``.
"""
from __future__ import annotations

from typing import List, Tuple

from .interface import INSERT_COLUMNS, Store, StoreError

_LOCK = 0x4A435354  # advisory lock id for schema creation ("JCST")

SCHEMA = """
CREATE TABLE attestations (
    id               BIGSERIAL PRIMARY KEY,
    digest           TEXT    NOT NULL UNIQUE,
    keyid            TEXT    NOT NULL,
    received_at      DOUBLE PRECISION NOT NULL,
    station          TEXT    NOT NULL,
    ueid             TEXT,
    serial           TEXT,
    model            TEXT,
    firmware_version TEXT,
    issued_at        DOUBLE PRECISION,
    nonce            TEXT,
    boot_id          TEXT,
    agent_version    TEXT,
    ok               SMALLINT NOT NULL,
    summary          TEXT    NOT NULL,
    failed           TEXT    NOT NULL,
    envelope         BYTEA   NOT NULL
);
-- out of line, uncompressed: base64 barely compresses, and pglz cost 2-3x the insert time
ALTER TABLE attestations ALTER COLUMN envelope SET STORAGE EXTERNAL;
CREATE INDEX attestations_serial   ON attestations (serial);
CREATE INDEX attestations_ueid     ON attestations (ueid);
CREATE INDEX attestations_model    ON attestations (model, firmware_version);
CREATE INDEX attestations_received ON attestations (received_at);
CREATE INDEX attestations_keyid    ON attestations (keyid);
CREATE INDEX attestations_failures ON attestations (ok, received_at);
CREATE TABLE keys (
    keyid TEXT PRIMARY KEY,
    pem   BYTEA NOT NULL
);
CREATE OR REPLACE FUNCTION jcstar_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'evidence store is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER attestations_append_only BEFORE UPDATE OR DELETE ON attestations
    FOR EACH ROW EXECUTE FUNCTION jcstar_append_only();
CREATE TRIGGER keys_append_only BEFORE UPDATE OR DELETE ON keys
    FOR EACH ROW EXECUTE FUNCTION jcstar_append_only();
-- TRUNCATE fires no row trigger: refuse it per statement
CREATE TRIGGER attestations_no_truncate BEFORE TRUNCATE ON attestations
    FOR EACH STATEMENT EXECUTE FUNCTION jcstar_append_only();
CREATE TRIGGER keys_no_truncate BEFORE TRUNCATE ON keys
    FOR EACH STATEMENT EXECUTE FUNCTION jcstar_append_only();
"""

_INSERT = (f"INSERT INTO attestations ({', '.join(INSERT_COLUMNS)}) "
           f"VALUES ({', '.join(['%s'] * len(INSERT_COLUMNS))}) "
           "ON CONFLICT (digest) DO NOTHING RETURNING id")


def _safe(url: str) -> str:
    """The URL without a password, for messages: user:PASSWORD@ and ?password=/&sslpassword=
    (libpq takes both)."""
    import re
    url = re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)
    return re.sub(r"([?&](?:ssl)?password=)[^&#]*", r"\1***", url, flags=re.I)


class PostgresStore(Store):
    engine = "postgresql"
    P = "%s"

    def __init__(self, url: str, create: bool = True):
        try:
            import psycopg
        except ImportError:
            from ..install_hint import hint

            raise StoreError(f"PostgreSQL store needs psycopg: {hint('store')}") from None
        self._psycopg = psycopg
        self._errors = (psycopg.Error,)
        self.url = _safe(url)
        try:
            self._db = psycopg.connect(url, autocommit=True, connect_timeout=15)
            if not create:  # readers: a read-only session on an existing store, never a new one
                self._db.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
                if self._db.execute("SELECT to_regclass('attestations')").fetchone()[0] is None:
                    self._db.close()
                    raise StoreError(f"{self.url}: no evidence store in this database "
                                     "('store ingest' or 'factory' creates one)")
                return
            with self._db.transaction():
                self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
                exists = self._db.execute("SELECT to_regclass('attestations')").fetchone()[0]
                if exists is None:
                    self._db.execute(SCHEMA)
        except psycopg.Error as exc:
            raise StoreError(f"{self.url}: cannot open the evidence store: {str(exc).strip()}") from None

    def __str__(self) -> str:
        return self.url

    def _conn(self):
        return self._db

    def _insert_many(self, rows: List[Tuple]) -> List[bool]:
        try:
            with self._db.transaction():
                cur = self._db.cursor()
                cur.executemany(_INSERT, rows, returning=True)
                new = []
                while True:
                    new.append(cur.fetchone() is not None)
                    if not cur.nextset():
                        break
                return new
        except self._psycopg.Error as exc:
            raise StoreError(f"{self.url}: {str(exc).strip()}") from None

    def add_key(self, keyid: str, pem: bytes) -> None:
        try:
            with self._db.transaction():
                self._db.execute("INSERT INTO keys (keyid, pem) VALUES (%s, %s) "
                                 "ON CONFLICT (keyid) DO NOTHING", (keyid, pem))
        except self._psycopg.Error as exc:
            raise StoreError(f"{self.url}: {str(exc).strip()}") from None

    def close(self) -> None:
        self._db.close()
