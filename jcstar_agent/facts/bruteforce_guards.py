"""Brute-force guards outside sshd and PAM: fail2ban jails and sshguard.

fail2ban: ``jail.conf`` then ``jail.d/*.conf``, ``jail.local``, ``jail.d/*.local`` (the order
fail2ban reads them, later wins); a jail counts only when ``enabled = true`` (its own section or
``[DEFAULT]``). Whether the service starts at boot is seen from systemd ``*.wants`` links or a
SysV ``rc?.d/S*`` link, when present. fail2ban counts as installed only with its program
(``fail2ban-server``/``fail2ban-client``): a removed package leaves its jail files behind. sshguard: the binary and its configuration.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

F2B = "/etc/fail2ban"
WANTS_DIRS = ("/etc/systemd/system/multi-user.target.wants", "/etc/systemd/system/default.target.wants",
              "/etc/systemd/system/sysinit.target.wants")


@dataclass
class Jail:
    name: str
    enabled: bool
    maxretry: Optional[int] = None
    bantime: str = ""
    source: str = ""  # file that set 'enabled'


@dataclass
class Guards:
    fail2ban_installed: bool = False
    fail2ban_boot: Optional[bool] = None  # None: no init system evidence either way
    jails: Dict[str, Jail] = field(default_factory=dict)
    sshguard_installed: bool = False
    sshguard_boot: Optional[bool] = None
    sshguard_source: str = ""
    errors: List[str] = field(default_factory=list)

    def enabled_jails(self) -> List[Jail]:
        return [j for j in self.jails.values() if j.enabled]


def _starts_at_boot(ctx, names: List[str]) -> Optional[bool]:
    from . import systemd

    root = ctx.root
    sd = ctx.fact(systemd.read)
    if sd.present:
        return any(sd.is_enabled(f"{n}.service") for n in names)
    evidence = False
    for d in WANTS_DIRS:
        if root.is_dir(d):
            evidence = True
            if any(root.lstat(f"{d}/{n}.service") is not None for n in names):
                return True
    for rc in ("/etc/rc2.d", "/etc/rc3.d", "/etc/rc5.d", "/etc/rcS.d", "/etc/rc.d"):
        for entry in root.listdir(rc):
            evidence = True
            if entry.startswith("S") and any(n in entry for n in names):
                return True
    return False if evidence else None


def _truthy(v: str) -> bool:
    return v.strip().lower() in ("true", "yes", "1", "on")


def read(ctx) -> Guards:
    import configparser

    root = ctx.root
    g = Guards()
    # The program, not its configuration: conffiles stay behind when the package is removed.
    g.fail2ban_installed = bool(root.which("fail2ban-server") or root.which("fail2ban-client"))
    if root.is_dir(F2B) and not g.fail2ban_installed:
        g.errors.append(f"{F2B} present but no fail2ban-server/fail2ban-client installed: its jails "
                        f"protect nothing")
    if g.fail2ban_installed:
        files = [f"{F2B}/jail.conf"] + root.glob(f"{F2B}/jail.d", "*.conf") + \
            [f"{F2B}/jail.local"] + root.glob(f"{F2B}/jail.d", "*.local")
        cp = configparser.RawConfigParser(strict=False, default_section="DEFAULT",
                                          inline_comment_prefixes=("#", ";"))
        source: Dict[str, str] = {}
        for f in files:
            r = root.read(f, 1 << 20)
            if not r.ok:
                if not r.missing:
                    g.errors.append(f"{f}: {r.error}")
                continue
            try:
                before = {s: cp.get(s, "enabled", fallback=None) for s in cp.sections()}
                cp.read_string(r.text, source=f)
            except configparser.Error as exc:
                g.errors.append(f"{f}: {str(exc).splitlines()[0]}")
                continue
            for s in cp.sections():
                if cp.has_option(s, "enabled") and before.get(s) != cp.get(s, "enabled") or (
                        s not in before and cp.has_option(s, "enabled")):
                    source[s] = f
        for s in cp.sections():
            if s.lower() in ("includes", "definition", "init"):
                continue
            enabled = _truthy(cp.get(s, "enabled", fallback="false"))
            mr = cp.get(s, "maxretry", fallback="")
            g.jails[s] = Jail(s, enabled, int(mr) if mr.strip().isdigit() else None,
                              cp.get(s, "bantime", fallback=""), source.get(s, ""))
        g.fail2ban_boot = _starts_at_boot(ctx, ["fail2ban"])
    sg = root.which("sshguard")
    if sg:
        g.sshguard_installed = True
        g.sshguard_source = sg
        g.sshguard_boot = _starts_at_boot(ctx, ["sshguard"])
    return g
