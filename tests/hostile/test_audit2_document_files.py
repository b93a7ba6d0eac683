"""A ``[[documents]] file`` on the build host is read like every other input file.

Found at ca3e8dd: ``facts/documents.py`` opened a relative document file with a blocking
``open`` and read it to its end: a FIFO nobody writes to hung ``check`` forever, and
``file = "../../dev/zero"`` (a path that climbs out of the vendor's repo onto a device) read
without end. Expected, as a vendor decides it: the run ends; the FIFO is an empty file (its
digest is the empty file's); the device is named as not read, in the criterion's evidence.
"""
from __future__ import annotations

import hashlib
import json
import os

from clirun import run_process

EMPTY = hashlib.sha256(b"").hexdigest()


def test_fifo_and_device_documents_end_the_run(tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/os-release").write_text('NAME="Acme"\n')
    os.mkfifo(tmp_path / "doc.fifo")
    climb = "../" * len(tmp_path.parts) + "dev/zero"
    board = tmp_path / "board.toml"
    board.write_text(f'[[documents]]\ncriterion = "S1.1-05"\nfile = "doc.fifo"\nsha256 = "{EMPTY}"\n\n'
                     f'[[documents]]\ncriterion = "S1.1-16"\nfile = "{climb}"\nsha256 = "{EMPTY}"\n')
    r = run_process("check", "--root", str(root), "--config", str(board), "--format", "json", timeout=60)
    assert r.rc in (0, 1), r.err[-1500:]
    text = json.dumps(json.loads(r.out))
    assert "document file /dev/zero: not a regular file" in text
    assert f"document file {tmp_path / 'doc.fifo'}" not in text  # read: empty, its digest matches
