"""ProFTPD: its port, TLS, its login (local accounts through PAM) and its brute-force guards.

Read: the config of ``-c``/``--config`` (default ``/etc/proftpd/proftpd.conf``) and the files it
``Include``\\ s, server-wide directives only (not those inside ``<VirtualHost>``, ``<Anonymous>``,
``<Directory>`` or ``<Limit>``): ``ServerType inetd`` (the super-server owns the port), ``Port``
(21; 0: no default server), ``TLSEngine``/``TLSRequired``, ``AuthPAM``/``AuthPAMConfig`` (PAM
service ``ftp`` by default), ``LoadModule``.

**Logins** (:func:`logins`): a reachable proftpd listener logs local accounts in with their
password through the PAM service, in cleartext unless ``TLSRequired`` covers the login.

**Brute-force guards** (S1.1-04, on the login's ``guards``):

- ``MaxLoginAttempts N`` (default 3) ends the connection after N failed logins: a client
  reconnects at once, so it is evidence, not protection;
- mod_ban ``BanEngine on`` with ``BanOnEvent MaxLoginAttempts|LoginFailed N/hh:mm:ss
  hh:mm:ss`` bans the client address after that many events: a lockout. Inside ``<IfModule
  mod_ban.c>`` it counts only with ``LoadModule mod_ban.c`` (Debian builds mod_ban as a DSO);
  otherwise whether the module is there cannot be read and the guard is said unknown.

**Example.** ``Port 2121`` and ``BanOnEvent MaxLoginAttempts 2/00:10:00 01:00:00`` with
``BanEngine on`` and ``LoadModule mod_ban.c`` → listener tcp/2121 (ftp) and a login guarded by
that ban at its file:line.

**References.** proftpd.conf directives (Port, ServerType, MaxLoginAttempts), mod_ban, mod_tls,
mod_auth_pam documentation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from ..login_model import Guard, NetLogin, Reach, first_port
from ._base import ConfigFiles, DaemonFacts, argv_values, conf_glob, listener

PROGRAMS = ("proftpd",)
CONF = "/etc/proftpd/proftpd.conf"
SCOPES = ("virtualhost", "anonymous", "directory", "limit", "class", "ifuser", "ifgroup", "ifclass")
BAN_EVENTS = ("maxloginattempts", "loginfailed")
TLS_LOGIN = ("on", "ctrl", "auth", "both", "auth+data", "ctrl+data", "auth+ctrl")


@dataclass
class Settings:
    """Server-wide directives: name (lower case) -> (value words, file:line, the mod_x.c names of
    the ``<IfModule>`` blocks around it)."""

    values: Dict[str, Tuple[List[str], str, Tuple[str, ...]]] = field(default_factory=dict)
    ban_events: List[Tuple[List[str], str, Tuple[str, ...]]] = field(default_factory=list)
    loaded: set = field(default_factory=set)  # LoadModule names

    def get(self, key: str, default: str = "") -> str:
        v = self.values.get(key)
        return v[0][0].lower() if v and v[0] else default

    def where(self, key: str) -> str:
        return self.values[key][1] if key in self.values else ""


def config_path(argv: List[str]) -> str:
    return (argv_values(argv, "-c", "--config") or [CONF])[-1]


def settings(ctx, conf: str = CONF, out: Optional[DaemonFacts] = None) -> Settings:
    s, out = Settings(), out if out is not None else DaemonFacts()
    files = ConfigFiles(ctx.root, [conf], out, limit=50)
    for path, text in files:
        scope: List[str] = []  # open blocks: "ifmodule:mod_ban.c", "virtualhost" ...
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if line.startswith("</"):
                if scope:
                    scope.pop()
                continue
            if line.startswith("<"):
                words = line.strip("<>").split()
                name = words[0].lower() if words else ""
                scope.append(f"ifmodule:{words[1].lower()}" if name == "ifmodule" and len(words) > 1
                             else name)
                continue
            if any(sc in SCOPES for sc in scope):
                continue
            words = line.split()
            key, args = words[0].lower(), [w.strip("\"'") for w in words[1:]]
            mods = tuple(sc.split(":", 1)[1] for sc in scope if sc.startswith("ifmodule:"))
            where = f"{path}:{n}"
            if key == "include" and args:
                files.add(conf_glob(ctx.root, args[0], path.rsplit("/", 1)[0]))
            elif key == "loadmodule" and args:
                s.loaded.add(args[0].lower())
            elif key == "banonevent" and args:
                s.ban_events.append((args, where, mods))
            else:
                s.values[key] = (args, where, mods)
    return s


def read(ctx, argv, src) -> DaemonFacts:
    out = DaemonFacts()
    s = settings(ctx, config_path(argv), out)
    if s.get("servertype") == "inetd":
        return out  # the super-server's reader gives the port
    port = s.get("port", "21")
    if not port.isdigit() or port == "0":
        return out
    where = s.where("port") or f"{config_path(argv)} (default Port 21)"
    tls = _tls(s)
    out.listeners.append(listener("tcp", int(port), "*", "proftpd", where, "ftps" if tls else "ftp", tls))
    return out


def _tls(s: Settings) -> bool:
    return s.get("tlsengine") == "on" and s.get("tlsrequired", "off") in TLS_LOGIN


def _loaded(s: Settings, mods: Tuple[str, ...]) -> Optional[bool]:
    """The ``<IfModule>`` blocks around a directive are all active: True; one names a module no
    ``LoadModule`` loads — it may be built in, which cannot be read — None."""
    missing = [m for m in mods if not m.startswith("!") and m not in s.loaded]
    return None if missing else True


def guards(s: Settings, conf: str) -> List[Guard]:
    out: List[Guard] = []
    tries = s.values.get("maxloginattempts")
    out.append(Guard(f"MaxLoginAttempts {tries[0][0] if tries and tries[0] else 3}",
                     tries[1] if tries else f"{conf} (default)", False,
                     "ends the connection only: the client reconnects at once"))
    if s.get("banengine") != "on":
        return out
    for args, where, mods in s.ban_events:
        if args[0].lower() not in BAN_EVENTS or len(args) < 3:
            continue
        on = _loaded(s, mods + s.values["banengine"][2])
        out.append(Guard(f"BanOnEvent {' '.join(args[:3])} (mod_ban, BanEngine on at "
                         f"{s.where('banengine')})", where, on,
                         "" if on else "inside <IfModule mod_ban.c> without LoadModule mod_ban.c: "
                                       "whether mod_ban is built in cannot be read"))
    return out


def logins(ctx, r: Reach) -> List[NetLogin]:
    if not r.visible:
        return []
    _started, up = r.of(("proftpd",), (), ())
    if not up:
        return []
    s = settings(ctx)
    pam_service = "" if s.get("authpam") == "off" else (s.values.get("authpamconfig", (["ftp"],))[0]
                                                        or ["ftp"])[0]
    port, address, src = first_port(up, 21)
    return [NetLogin("ftp", port, src or "listener", tls=_tls(s), pam_service=pam_service,
                     address=address, guards=guards(s, CONF))]
