"""A real ingesting process killed with SIGKILL mid-ingest: nothing committed is lost, no half
row is left, and ingesting again completes the set (idempotently). Both engines."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from jcstar_agent.store import open_store

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(os.path.dirname(HERE))
N, BATCH = 1200, 40


@pytest.fixture(scope="module")
def inbox(units, tmp_path_factory):
    d = tmp_path_factory.mktemp("inbox")
    for i in range(N):
        with open(d / f"{i:05d}.json", "wb") as fh:
            fh.write(units.sign(serial="SN-CRASH", nonce=f"crash-{i}"))
    return str(d)


def _no_orphan_verifiers(cmd) -> None:
    """The verifier processes (forked, same command line) died with their parent."""
    import psutil

    deadline = time.monotonic() + 10
    left = []
    while time.monotonic() < deadline:
        left = []
        for proc in psutil.process_iter(["cmdline"]):
            try:
                if proc.info["cmdline"] == cmd:
                    left.append(proc.pid)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        if not left:
            return
        time.sleep(0.1)
    raise AssertionError(f"verifier processes outlived the killed ingest: {left}")


def test_sigkill_mid_ingest_loses_nothing_committed(store_url, units, inbox):
    from jcstar_agent.attest import dsse
    from jcstar_agent.attest.api import verify_envelope

    cmd = [sys.executable, "-m", "jcstar_agent", "store", "ingest", "--store", store_url, "--pubkey",
           units.keys["a"]["pub"], "--batch", str(BATCH), "--workers", "2", "--progress", inbox]
    p = subprocess.Popen(cmd, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    committed = 0
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = p.stdout.readline().decode()
            if not line:
                break
            if line.startswith("committed "):
                committed = int(line.split()[1])
                if committed >= 3 * BATCH:
                    os.kill(p.pid, signal.SIGKILL)  # mid-ingest: the next batch is being verified/written
                    break
    finally:
        p.wait(timeout=60)
        p.stdout.close()
        p.stderr.close()
    assert p.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"
    assert 0 < committed < N
    _no_orphan_verifiers(cmd)

    with open_store(store_url) as store:
        n = store.count()
        assert n >= committed                 # nothing committed was lost
        assert n % BATCH == 0 and n < N       # whole transactions only: no half batch, no half row
        if store.engine == "sqlite":
            assert store._conn().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        pem = units.keys["a"]["pem"]
        full = store.query(envelopes=True)
        assert len(full) == n  # every row has its envelope (SQLite keeps them in a side table)
        for r in full:
            env = dsse.Envelope.from_json(r.envelope)
            assert hashlib.sha256(env.payload).hexdigest() == r.digest
            assert verify_envelope(r.envelope, pem).ok
            assert r.summary and r.model and r.ueid and r.station

    p = subprocess.run(cmd, cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert f"{N - n} stored, {n} already stored, 0 refused" in p.stdout
    with open_store(store_url) as store:
        assert store.count() == N
        nonces = {r.nonce for r in store.query()}
        assert nonces == {f"crash-{i}" for i in range(N)}
