"""``mcu deploy``'s board config: a document file is read like every host input file.

Found at 9e61555 (``mcu/bundle.py``, next door to facts/documents.py): a document ``file``
naming a FIFO nobody writes to hung the bundle (``mcu deploy``) forever; a device was opened and
read to 64 MiB, and a larger file was cut there and its digest recorded as the document's.
Expected, as a vendor decides it: the bundle is built; the device and the too-large file each
get a problem naming the file; the FIFO is an empty file.
"""
from __future__ import annotations

import hashlib
import os
import threading

from jcstar_agent.mcu import bundle

EMPTY = hashlib.sha256(b"").hexdigest()


def test_document_files_are_bounded(tmp_path):
    os.mkfifo(tmp_path / "doc.fifo")
    with open(tmp_path / "big.pdf", "wb") as fh:
        fh.truncate((64 << 20) + 1)
    board = tmp_path / "board.toml"
    board.write_text("".join(f'[[documents]]\ncriterion = "S1.1-05"\nfile = "{f}"\nsha256 = "{EMPTY}"\n\n'
                             for f in ("doc.fifo", "/dev/zero", "big.pdf")))
    got = {}
    t = threading.Thread(target=lambda: got.update(cfg=bundle.config_json(str(board))), daemon=True)
    t.start()
    t.join(60)
    assert "cfg" in got, "config_json did not return within 60 s"
    fifo, dev, big = got["cfg"]["documents"]
    assert fifo["problems"] == [], fifo
    assert any("/dev/zero" in p and "not a regular file" in p for p in dev["problems"]), dev
    assert any("big.pdf" in p and "larger than 64 MiB" in p for p in big["problems"]), big
