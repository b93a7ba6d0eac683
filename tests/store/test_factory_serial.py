"""The factory line pulling the attestation from a unit over a serial console: ``serve`` runs as
a real process on one end of a real pty pair (socat), ``factory --port`` on the other."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from xml.etree import ElementTree as ET

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "serial"))
pytest.importorskip("serial", reason="pyserial is the serial verbs' dependency (dev extra)")
pytestmark = pytest.mark.integration
PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@contextmanager
def unit_on_the_line(units, line_unit, tmp_path, name):
    """A pty pair with ``jcstar-agent serve`` (a real process, key 'a') on the device end;
    yields the station end once the unit listens."""
    from serial_relay import pty_pair

    root, cfg = line_unit
    log = tmp_path / f"serve-{name}.log"
    with pty_pair(str(tmp_path), name) as (device_end, station_end), open(log, "w+") as fh:
        p = subprocess.Popen([sys.executable, "-m", "jcstar_agent", "serve", "--port", device_end, "--key",
                              units.keys["a"]["private"], "--root", root, "--config", cfg],
                             cwd=PROJECT, stderr=fh, stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while "serving on" not in log.read_text():
                assert p.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
            yield station_end
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(10)


def test_factory_pulls_over_serial_verifies_and_stores(cli, units, line_unit, tmp_path):
    db = str(tmp_path / "evidence.db")
    with unit_on_the_line(units, line_unit, tmp_path, "line") as station_end:
        junit = str(tmp_path / "unit.xml")
        r = cli("factory", "--port", station_end, "--pubkey", units.keys["a"]["pub"], "--store", db,
                "--serial", "LBL-SER-1", "--junit", junit, "--timeout", "60")
        assert r.rc in (0, 1), r.err
        assert f"pulled over {station_end}" in r.out and "[ok  ] verify" in r.out, r.out
        assert "[ok  ] store" in r.out and "[ok  ] unique" in r.out
        assert ET.parse(junit).getroot().find("testcase").get("name") == "attest"
        # the wrong trusted key: the unit's attestation is refused, nothing stored
        r = cli("factory", "--port", station_end, "--pubkey", units.keys["b"]["pub"], "--store", db,
                "--timeout", "60", "--quiet")
        assert r.rc == 1 and "[FAIL] verify" in r.out
    rows = cli("store", "query", "--store", db, "--format", "json").json()
    assert len(rows) == 1 and rows[0]["serial"] == "LBL-SER-1"


def test_factory_serial_nobody_answers(cli, units, tmp_path):
    from serial_relay import pty_pair

    with pty_pair(str(tmp_path), "dead") as (_device_end, station_end):
        r = cli("factory", "--port", station_end, "--pubkey", units.keys["a"]["pub"],
                "--store", str(tmp_path / "e.db"), "--timeout", "3", "--quiet")
    assert r.rc == 1 and "[FAIL] attest" in r.out and "serial pull" in r.out


def test_store_ingest_straight_from_pull(cli, units, line_unit, tmp_path):
    db = str(tmp_path / "evidence.db")
    with unit_on_the_line(units, line_unit, tmp_path, "ing") as station_end:
        r = cli("store", "ingest", "--store", db, "--pubkey", units.keys["a"]["pub"], "--port", station_end,
                "--timeout", "60", "--station", "bench-3")
        assert r.rc == 0 and "1 stored, 0 already stored, 0 refused (station bench-3)" in r.out, r.out + r.err
        r = cli("store", "ingest", "--store", db, "--pubkey", units.keys["b"]["pub"], "--port", station_end,
                "--timeout", "60")
        assert r.rc == 1 and f"REFUSED {station_end}" in r.out
    assert cli("store", "query", "--store", db, "--count").out.strip() == "1"
