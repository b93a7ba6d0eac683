"""Update frameworks installed in the image: which ones, and the file that shows each.

Detection only (S1.1-06 needs "an update mechanism is installed"); whether each one verifies
signatures (S1.1-08) is read by the framework-specific readers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

# name -> (executables, marker files); any one present counts.
FRAMEWORKS: Tuple[Tuple[str, Tuple[str, ...], Tuple[str, ...]], ...] = (
    ("rauc", ("rauc",), ("/etc/rauc/system.conf",)),
    ("swupdate", ("swupdate",), ("/etc/swupdate.cfg", "/etc/swupdate/swupdate.cfg")),
    ("mender", ("mender", "mender-update"), ("/etc/mender/mender.conf",)),
    ("ostree", ("ostree",), ("/ostree/repo/config", "/sysroot/ostree/repo/config")),
    ("apt", ("apt-get", "apt"), ()),
    ("opkg", ("opkg",), ("/etc/opkg/opkg.conf",)),
    ("apk", ("apk",), ("/etc/apk/repositories",)),
)


@dataclass
class Framework:
    name: str
    evidence: str  # device path that shows it is installed
    declared: bool = False


@dataclass
class Updates:
    found: List[Framework]
    declared: Optional[str]  # update.mechanism from the config
    declared_problem: Optional[str] = None  # declared but not found on the device

    def get(self, name: str) -> Optional[Framework]:
        return next((f for f in self.found if f.name == name), None)


def read(ctx) -> Updates:
    root, upd = ctx.root, ctx.config.update
    found = []
    for name, exes, markers in FRAMEWORKS:
        hit = next((p for p in (root.which(e) for e in exes) if p), None)
        hit = hit or next((m for m in markers if root.exists(m)), None)
        if hit:
            found.append(Framework(name, hit, declared=(upd.mechanism == name)))
    problem = None
    if upd.mechanism == "custom":
        if not upd.command:
            problem = "update.mechanism = 'custom' but no update.command is declared"
        elif root.is_executable(upd.command):
            found.insert(0, Framework("custom", upd.command, declared=True))
        else:
            problem = f"declared update command {upd.command} is not an executable file on the device"
    elif upd.mechanism and not any(f.name == upd.mechanism for f in found):
        problem = f"declared update mechanism '{upd.mechanism}' is not installed on the device"
    return Updates(found, upd.mechanism or None, problem)
