"""Issue 12 item 12 (store part): readers never create or change an evidence store.

``store query/export/retention/check-unique`` and ``drift --store`` on a mistyped path exit 2
naming it and leave nothing behind; on a real store they open it read-only (the file's bytes and
row count are unchanged, and a write through that connection is impossible); only ``ingest`` and
``factory`` create one.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(os.path.dirname(HERE))

READERS = [
    ["store", "query"],
    ["store", "query", "--count"],
    ["store", "export", "--serial", "SN1", "--output", "OUT/bundle.tar.gz"],
    ["store", "retention"],
    ["store", "check-unique"],
    ["drift", "--serial", "SN1"],
]


def run(*args):
    return subprocess.run([sys.executable, "-m", "jcstar_agent", *args], cwd=PROJECT,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("argv", READERS, ids=lambda a: " ".join(a[:2]))
def test_reader_on_a_mistyped_path_creates_nothing(tmp_path, argv):
    missing = tmp_path / "evidnce.db"
    argv = [a.replace("OUT", str(tmp_path)) for a in argv]
    r = run(*argv, "--store", str(missing))
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and str(missing) in lines[0] and "Traceback" not in r.stderr
    assert os.listdir(tmp_path) == []
    r = subprocess.run([sys.executable, "-m", "jcstar_agent", *argv], cwd=str(tmp_path),
                       capture_output=True, text=True, timeout=120,
                       env={k: v for k, v in os.environ.items() if k != "JCSTAR_STORE"})
    assert r.returncode == 2 and os.listdir(tmp_path) == []  # the default name, not created either


def test_readers_open_an_existing_store_read_only(tmp_path):
    from jcstar_agent.store import StoreError, open_store

    db = tmp_path / "evidence.db"
    open_store(str(db)).close()  # what ingest makes: an empty, valid store
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    for argv in READERS[:2] + READERS[3:5]:
        r = run(*argv, "--store", str(db))
        assert r.returncode == 0, (argv, r.stderr)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    ro = open_store(str(db), create=False)
    with pytest.raises(StoreError):
        ro.add_key("00" * 32, b"pem")
    ro.close()


def test_a_file_that_is_not_a_store_is_exit_2_and_untouched(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n")
    r = run("store", "query", "--store", str(notes))
    assert r.returncode == 2 and str(notes) in r.stderr, r.stderr
    assert notes.read_text() == "not a database\n"


@pytest.fixture(scope="module")
def pg(tmp_path_factory):
    """A private PostgreSQL server (tests/store/pgserver.py: unix socket only, stopped after)."""
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "store"))
    from pgserver import PgServer, unavailable

    why = unavailable()
    if why:
        pytest.skip(why)
    server = PgServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.integration  # a real PostgreSQL server
def test_postgres_readers_create_no_schema_and_cannot_write(pg):
    import psycopg

    from jcstar_agent.store import StoreError, open_store

    url = pg.new_db()
    r = run("store", "query", "--store", url)
    assert r.returncode == 2 and "no evidence store" in r.stderr, r.stderr
    with psycopg.connect(url) as db:
        assert db.execute("SELECT to_regclass('attestations')").fetchone()[0] is None
    open_store(url).close()  # what ingest/factory do: create the schema
    assert run("store", "check-unique", "--store", url).returncode == 0
    ro = open_store(url, create=False)
    with pytest.raises(StoreError):
        ro.add_key("00" * 32, b"pem")
    ro.close()
