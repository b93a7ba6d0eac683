"""A device named as an input file is refused before it is opened, not after.

Found at fa4e7bd: ``infile.read_bytes`` (verify, drift, report, store ingest, --pubkey), the board
config reader and the private-key reader opened the path and only then looked at what it was.
Opening a device is already an act — ``/dev/watchdog`` arms the watchdog (the host reboots when
the agent exits), a tape rewinds, a tty without O_NOCTTY becomes the controlling terminal. A
device with no driver shows it from outside: its open fails with "No such device or address",
which was the message, where an operator expects "not a regular file". Expected: exit 2, one
line naming the file, saying it is not a regular file; the node is never opened.
"""
from __future__ import annotations

import os

import pytest

from clirun import run_process


def _free_major() -> int:
    with open("/proc/devices") as fh:
        used = {int(w[0]) for w in (ln.split() for ln in fh) if w and w[0].isdigit()}
    return next(m for m in range(240, 255) if m not in used)  # "local/experimental use"


@pytest.fixture
def node(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mknod needs root")
    path = tmp_path / "ttyUSB9"
    os.mknod(path, 0o600 | 0o020000, os.makedev(_free_major(), 0))
    return str(path)


def _refused_unopened(r, path):
    assert r.rc == 2, (r.rc, r.err[-1500:])
    assert "Traceback" not in r.err
    lines = [ln for ln in r.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and path in lines[0], r.err
    assert "not a regular file" in lines[0] and "No such device" not in lines[0], lines[0]


@pytest.mark.integration  # root: mknod
@pytest.mark.host
def test_verify_inputs_and_pubkey(node, tmp_path):
    from jcstar_agent.attest.keys import generate

    _key, pub, _ = generate(str(tmp_path / "u.key"))
    for args in (["verify", node, "--pubkey", pub], ["report", node],
                 ["drift", node, node, "--pubkey", pub]):
        _refused_unopened(run_process(*args, timeout=30), node)


@pytest.mark.integration  # root: mknod
@pytest.mark.host
def test_board_config_and_private_key(node, tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/os-release").write_text('NAME="Acme"\n')
    _refused_unopened(run_process("check", "--root", str(root), "--config", node, timeout=60), node)
    _refused_unopened(run_process("attest", "--root", str(root), "--key", node, "--nonce", "n1",
                                  timeout=60), node)
