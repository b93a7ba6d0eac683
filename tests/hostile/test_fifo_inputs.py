"""Every file a host verb reads is read at once or refused at once (next door to issue 12).

Found from outside at 06828da: ``verify FIFO``, ``verify --pubkey FIFO``, ``drift FIFO B``,
``store ingest`` of a FIFO among its files, ``factory --pubkey FIFO`` and ``pull --pubkey FIFO``
opened the FIFO and waited for a writer that never came (a factory station hung until someone
killed it), and a character device (``/dev/zero``) was read as far as the bound. Expected, as an
operator decides it: a FIFO nobody writes to is an empty input — exit 2 and one line naming the
file within seconds; a device is "not a regular file or a pipe"; ``store ingest`` refuses such
a file alone and stores every valid envelope beside it (exit 1); a pipe with a writer —
``verify <(cat att.json)`` — and a regular file keep working.
"""
from __future__ import annotations

import os
import sqlite3

import pytest

from clirun import run_process, signing_unit


@pytest.fixture(scope="module")
def unit(tmp_path_factory):
    base = tmp_path_factory.mktemp("fifo")
    key, pub, root = signing_unit(base)
    env = base / "att.json"
    r = run_process("attest", "--root", str(root), "--key", key, "--nonce", "n1", "--output", str(env))
    assert r.rc in (0, 1), r.err
    fifo = base / "pipe.json"
    os.mkfifo(fifo)
    return {"key": key, "pub": pub, "env": str(env), "fifo": str(fifo), "base": base}


def _refused(r, path, why=""):
    assert r.rc == 2, (r.rc, r.out[-500:], r.err[-1500:])
    assert "Traceback" not in r.err
    lines = [ln for ln in r.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and path in lines[0] and why in lines[0], r.err


def test_a_device_is_refused_unread(unit):
    for args in (["verify", "/dev/zero", "--pubkey", unit["pub"]],
                 ["verify", unit["env"], "--pubkey", "/dev/zero"],
                 ["report", "/dev/zero"], ["drift", "/dev/zero", unit["env"], "--pubkey", unit["pub"]]):
        _refused(run_process(*args, timeout=20), "/dev/zero", "not a regular file or a pipe")


def test_a_pipe_with_a_writer_is_read(unit):
    import subprocess
    import sys

    from clirun import PROJECT

    p = subprocess.run(["bash", "-c", f'"{sys.executable}" -m jcstar_agent verify <(cat "$1") '
                        f'--pubkey <(cat "$2") --nonce n1', "-", unit["env"], unit["pub"]],
                       cwd=PROJECT, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.startswith("VALID"), p.stdout + p.stderr


def test_verify_reads_a_fifo_without_writer_as_empty(unit):
    empty = run_process("verify", unit["fifo"], "--pubkey", unit["pub"], timeout=20)
    assert empty.rc == 1 and empty.out.startswith("INVALID") and "not JSON" in empty.out, empty.out + empty.err
    _refused(run_process("verify", unit["env"], "--pubkey", unit["fifo"], timeout=20), unit["fifo"])
    ok = run_process("verify", unit["env"], "--pubkey", unit["pub"], "--nonce", "n1", timeout=60)
    assert ok.rc == 0 and ok.out.startswith("VALID"), ok.out + ok.err


def test_drift_refuses_a_fifo(unit):
    _refused(run_process("drift", unit["fifo"], unit["env"], "--pubkey", unit["pub"], timeout=20),
             unit["fifo"])


def test_factory_and_pull_refuse_a_fifo_public_key(unit):
    _refused(run_process("factory", "--command", "true", "--pubkey", unit["fifo"], timeout=20), unit["fifo"])
    _refused(run_process("pull", "--port", "/dev/null", "--pubkey", unit["fifo"], "--output",
                         str(unit["base"] / "o.json"), timeout=20), unit["fifo"])
    _refused(run_process("report", unit["env"], "--pubkey", unit["fifo"], timeout=20), unit["fifo"])


def test_ingest_refuses_the_fifo_alone(unit, tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "good.json").write_bytes(open(unit["env"], "rb").read())
    os.mkfifo(tmp_path / "pipe.json")  # named: refused (in a folder only regular files are taken)
    db = tmp_path / "s.db"
    r = run_process("store", "ingest", "--pubkey", unit["pub"], "--store", str(db), "--max-age", "3600",
                    str(batch), str(tmp_path / "pipe.json"), timeout=30)
    assert r.rc == 1 and "Traceback" not in r.err, (r.rc, r.out, r.err)
    refused = [ln for ln in r.out.splitlines() if ln.startswith("REFUSED")]
    assert len(refused) == 1 and "pipe.json" in refused[0], r.out
    with sqlite3.connect(str(db)) as c:
        assert c.execute("select count(*) from attestations").fetchone()[0] == 1
    _refused(run_process("store", "ingest", "--pubkey", unit["fifo"], "--store", str(db), str(batch),
                         timeout=20), unit["fifo"])
