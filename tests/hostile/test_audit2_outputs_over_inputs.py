"""No output of a run is written over its own key, store, config or input.

Found at fa4e7bd (``distinct_outputs`` compared some outputs, not all, and no inputs):
``factory --key unit.key --sbom unit.key`` replaced the unit's private signing key with the
SBOM (exit 1, the key gone); ``factory --junit ev.db`` would write JUnit over the SQLite store;
``store export --output ev.db`` replaced the whole evidence store with the export bundle (exit
0); ``check --config board.toml --output board.toml`` wrote the report over the declaration;
``report att.json --output att.json`` replaced the signed envelope with its rendering; ``serve
--key K --sbom K`` would overwrite the key at the first request. Expected, as an operator
decides it: exit 2 before any work, one line naming the file and both options; every file
byte for byte as it was.
"""
from __future__ import annotations

import hashlib
import os

import pytest

from clirun import run_process, signing_unit


def _digest(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("outs")
    key, pub, root = signing_unit(base)
    store = str(base / "ev.db")
    r = run_process("factory", "--root", str(root), "--key", key, "--store", store, "--serial", "X1",
                    "--quiet", timeout=120)
    assert r.rc in (0, 1) and os.path.exists(store), r.err[-1500:]
    att = str(base / "att.json")
    r = run_process("attest", "--root", str(root), "--key", key, "--nonce", "n1", "--output", att)
    assert r.rc in (0, 1), r.err[-1500:]
    board = base / "board.toml"
    board.write_text('[product]\nvendor = "Acme"\n')
    return {"key": key, "pub": pub, "root": str(root), "store": store, "att": att, "board": str(board)}


def _refused(args, path, *options):
    before = _digest(path)
    r = run_process(*args, timeout=60)
    assert r.rc == 2, (r.rc, r.err[-1500:])
    lines = [ln for ln in r.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and path in lines[0] and "same file" in lines[0], r.err
    assert all(o in lines[0] for o in options), lines[0]
    assert _digest(path) == before, f"{path} was written"


def test_factory_sbom_or_junit_over_the_key_or_store(site):
    s = site
    _refused(["factory", "--root", s["root"], "--key", s["key"], "--store", s["store"], "--serial", "X2",
              "--sbom", s["key"]], s["key"], "--key", "--sbom")
    _refused(["factory", "--root", s["root"], "--key", s["key"], "--store", s["store"], "--serial", "X2",
              "--junit", s["store"]], s["store"], "--junit", "--store")
    _refused(["factory", "--root", s["root"], "--key", s["key"], "--store", f"sqlite://{s['store']}",
              "--serial", "X2", "--sbom", s["store"]], s["store"], "--sbom", "--store")


def test_store_export_over_the_store(site):
    _refused(["store", "export", "--store", site["store"], "--serial", "X1", "--output", site["store"]],
             site["store"], "--store", "--output")


def test_check_and_attest_outputs_over_the_config(site):
    s = site
    _refused(["check", "--root", s["root"], "--config", s["board"], "--output", s["board"]],
             s["board"], "--config", "--output")
    _refused(["attest", "--root", s["root"], "--config", s["board"], "--key", s["key"], "--nonce", "n",
              "--sbom", s["board"]], s["board"], "--config", "--sbom")


def test_report_over_its_source(site):
    _refused(["report", site["att"], "--format", "html", "--output", site["att"]], site["att"], "--output")


def test_serve_sbom_over_the_key(site):
    _refused(["serve", "--port", "loop://", "--key", site["key"], "--root", site["root"],
              "--sbom", site["key"]], site["key"], "--key", "--sbom")
