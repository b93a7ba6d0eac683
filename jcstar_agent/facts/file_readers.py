"""Who can actually read a file: its mode, the folders on the way, and the groups' members.

Mode bits alone mislead both ways: Debian's ``ssl-cert-snakeoil.key`` is 0640 ``root:ssl-cert``
in a 0710 folder and the group has no member, so nobody but root reads it; a 0644 key in a 0700
root folder is out of every other user's reach. A user other than root reads a file when every
folder on the way lets that user through (``x`` as owner, group member or other) and the file
lets that user read (``r`` likewise). Group membership comes from ``/etc/group`` (member list)
and ``/etc/passwd`` (primary group). Root and the file's owner are not counted: they read it
anyway.
"""
from __future__ import annotations

import stat
from dataclasses import dataclass, field
from typing import Dict, List, Set


@dataclass
class Readers:
    everyone: bool = False  # any account at all (others bits all the way)
    group: str = ""  # the file's group name (or gid as text)
    group_readable: bool = False  # the file's mode gives its group read access
    members: List[str] = field(default_factory=list)  # of the file's group, besides root/owner
    users: List[str] = field(default_factory=list)  # every account besides root/owner that reads
    blocked_by: str = ""  # the folder that keeps others out, when the mode alone would not

    @property
    def anyone_else(self) -> bool:
        return self.everyone or bool(self.users)

    def describe(self) -> str:
        """'readable by every user' / 'readable by group G (members: a, b)' / ..."""
        if self.everyone:
            return "readable by every user"
        if self.users and set(self.users) <= set(self.members):
            return f"readable by group {self.group} (members: {', '.join(self.users)})"
        if self.users:
            return f"readable by {', '.join(self.users)}"
        if self.group_readable and not self.blocked_by:
            return f"readable by group {self.group}, which has no member but root"
        if self.blocked_by:
            return f"readable by no other user ({self.blocked_by} keeps them out)"
        return "readable by no other user"


def _groups_of(acc) -> Dict[str, Set[int]]:
    """account name -> every gid it belongs to (primary + supplementary)."""
    out: Dict[str, Set[int]] = {a.name: {a.gid} for a in acc.accounts}
    for g in acc.groups:
        for m in g.members:
            if m in out:
                out[m].add(g.gid)
    return out


def _can(st, uid: int, gids: Set[int], bits) -> bool:
    """``bits``: (owner bit, group bit, other bit) — POSIX picks exactly one class."""
    if st.st_uid == uid:
        return bool(st.st_mode & bits[0])
    if st.st_gid in gids:
        return bool(st.st_mode & bits[1])
    return bool(st.st_mode & bits[2])


R = (stat.S_IRUSR, stat.S_IRGRP, stat.S_IROTH)
X = (stat.S_IXUSR, stat.S_IXGRP, stat.S_IXOTH)


def readers(root, path: str, st, acc) -> Readers:
    """Who besides root and the owner can read ``path`` (``st`` its lstat), given the accounts
    fact ``acc`` (accounts.read)."""
    real = root.realpath(path) or path
    folders = []
    parts = real.strip("/").split("/")[:-1]
    for i in range(1, len(parts) + 1):  # "/" itself: an image's root folder mode is the build
        d = "/" + "/".join(parts[:i])     # host's (mkdtemp 0700), always 0755 on a device
        dst = root.stat(d)
        if dst is not None:
            folders.append((d, dst))
    gname = next((g.name for g in acc.groups if g.gid == st.st_gid), str(st.st_gid))
    members = sorted({a.name for a in acc.accounts if a.gid == st.st_gid and a.uid != 0
                      and a.uid != st.st_uid} |
                     {m for g in acc.groups if g.gid == st.st_gid for m in g.members
                      if m != "root" and (acc.get(m) is None or acc.get(m).uid not in (0, st.st_uid))})
    out = Readers(group=gname, group_readable=bool(st.st_mode & stat.S_IRGRP), members=members)
    nobody: Set[int] = set()  # an account in no group: the "other" class everywhere but its own
    out.everyone = (bool(st.st_mode & stat.S_IROTH) and
                    all(_can(dst, -1, nobody, X) for _d, dst in folders))
    if st.st_mode & stat.S_IROTH and not out.everyone:
        out.blocked_by = next((d for d, dst in folders if not _can(dst, -1, nobody, X)), "")
    groups = _groups_of(acc)
    users = []
    for a in acc.accounts:
        if a.uid == 0 or a.uid == st.st_uid:
            continue
        gids = groups.get(a.name, {a.gid})
        if _can(st, a.uid, gids, R) and all(_can(dst, a.uid, gids, X) for _d, dst in folders):
            users.append(a.name)
    out.users = sorted(set(users))
    return out
