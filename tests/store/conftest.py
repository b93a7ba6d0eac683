"""Evidence-store fixtures: a private PostgreSQL server, a store per engine, signed envelopes.

Every store test takes ``store_url`` and so runs twice: against SQLite (a file in tmp) and
against a REAL PostgreSQL server this session starts itself (initdb into a private data dir,
unix socket only in a private folder — no TCP port is opened — run as the ``postgres`` user when
we are root, stopped at the end by its own pg_ctl; only that server is ever stopped).
"""
from __future__ import annotations

import copy
import os
import sys

import pytest

ENGINES = ("sqlite", "postgresql")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # pgserver.py


@pytest.fixture(scope="session")
def pg_server():
    """A private PostgreSQL server for this test session (see pgserver.py)."""
    from pgserver import PgServer, unavailable

    why = unavailable()
    if why:
        pytest.skip(why)
    try:
        server = PgServer().start()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=ENGINES)
def store_url(request, tmp_path):
    """A fresh, empty store location for each engine."""
    if request.param == "sqlite":
        return str(tmp_path / "evidence.db")
    return request.getfixturevalue("pg_server").new_db()


@pytest.fixture
def store(store_url):
    from jcstar_agent.store import open_store

    s = open_store(store_url)
    yield s
    s.close()


@pytest.fixture(scope="session")
def units(tmp_path_factory):
    """Signs real attestations of synthetic units (see store_units.py)."""
    from store_units import Units

    return Units(str(tmp_path_factory.mktemp("units")))


@pytest.fixture
def line_unit(units):
    """An image root of one unit plus its board config file, as a factory station has them."""
    root = units.root("SN-F1", "3.0.0", units.MODEL)
    cfg = os.path.join(os.path.dirname(root), "board-f1.toml")
    with open(cfg, "w") as fh:
        fh.write('[product]\nvendor = "Acme"\nmodel = "ACME-GW-100"\nmodel_source = "/etc/acme/model"\n'
                 'serial_source = "/etc/acme/serial"\n[firmware]\nversion_source = "/etc/acme-release"\n'
                 'version_key = ""\n')
    return root, cfg
