"""A :class:`~jcstar_agent.target.Root` over an unpacked image file that answers owners, modes
and file types from the image's own table (:mod:`.tree`), not from the host's inodes.

Unpacked as a plain user every file belongs to that user; the checks that judge who may read a
key or ``/etc/shadow`` must see ``root:shadow 0640`` as the image has it. Device nodes, FIFOs and
sockets of the image exist only as rows: they are listed and stat'ed with their type, and (being
no regular files) never opened.
"""
from __future__ import annotations

import os
import stat
from typing import Dict, List, Optional

from ..root import Root
from .tree import SPECIAL, Meta


class ImageRoot(Root):
    def __init__(self, path: str, table: Dict[str, Meta], specials: Dict[str, List[str]], image=None):
        super().__init__(path, live=False)
        self.table = table
        self.specials = specials
        self.image = image  # ImageInfo: what the report and the attestation say about the file

    def __repr__(self) -> str:
        return f"ImageRoot({self.path!r}, image={getattr(self.image, 'path', None)!r})"

    def _device(self, host: str) -> str:
        return host[len(self._prefix):] or "/"

    def _lstat(self, host: str) -> os.stat_result:
        meta = self.table.get(self._device(host))
        try:
            st: Optional[os.stat_result] = os.lstat(host)
        except OSError:
            if meta is None or stat.S_IFMT(meta[0]) not in SPECIAL:
                raise
            st = None
        if meta is None:
            return st  # type: ignore[return-value]
        mode, uid, gid, rdev = meta
        if st is None:
            return os.stat_result((mode, 0, 0, 1, uid, gid, 0, 0, 0, 0), {"st_rdev": rdev})
        if stat.S_IFMT(st.st_mode) != stat.S_IFMT(mode):
            return st  # replaced since (never by this agent): the host's inode is what is there
        seq, extra = st.__reduce__()[1]
        seq = list(seq)
        seq[0], seq[4], seq[5] = mode, uid, gid
        return os.stat_result(seq, extra)

    def _listdir(self, host: str) -> List[str]:
        names = os.listdir(host)
        extra = self.specials.get(self._device(host))
        return names + extra if extra else names

    def close(self) -> None:
        """Remove the unpacked tree (the image file itself was never written)."""
        if self.image is not None:
            self.image.close()
