"""Local accounts: /etc/passwd, /etc/shadow, /etc/group, /etc/gshadow and /etc/login.defs.

Each account carries its password *state* (empty, locked, no password, usable), the
forced-change flag (shadow field 3 = 0), expiry, and whether its shell allows an interactive
login. The hash itself is kept in memory for the default-password test only: ``Account`` has
no field that a report would print, and ``repr`` hides it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from .. import libcrypt

if TYPE_CHECKING:
    from .network_logins import NetLogin

PASSWD = "/etc/passwd"
SHADOW = "/etc/shadow"
GROUP = "/etc/group"
GSHADOW = "/etc/gshadow"
LOGIN_DEFS = "/etc/login.defs"
# Account databases are read whole, streamed; these caps only stop a hostile image (a 64 MiB
# /etc/passwd holds ~1,000,000 ordinary lines). A database cut at a cap is said, never passed.
ACCOUNT_DB_CAP = 64 << 20  # bytes per file
MAX_ENTRIES = 200_000  # accounts (or shadow entries, groups) per file: memory stays ~100 MB
NOLOGIN_SHELLS = ("nologin", "false", "sync", "halt", "shutdown", "true")


@dataclass
class Account:
    name: str
    uid: int
    gid: int
    home: str = ""
    shell: str = ""
    line: int = 0  # line in /etc/passwd
    hash: Optional[str] = field(default=None, repr=False)  # never printed
    hash_source: str = ""  # "/etc/shadow:3" or "/etc/passwd:3" (hash in the world-readable file)
    state: str = "unknown"  # empty | locked | no-password | usable | unknown (shadow unreadable)
    last_change: Optional[int] = None  # days since 1970-01-01; 0 = must change at next login
    expire: Optional[int] = None  # days since 1970-01-01
    # what /etc/passwd's password field held when it was not 'x' (kept even when /etc/shadow has
    # an entry too: a hash there is readable by everyone whatever shadow says); never printed
    passwd_field: Optional[str] = field(default=None, repr=False)

    @property
    def forced_change(self) -> bool:
        return self.last_change == 0

    @property
    def expired(self) -> bool:
        return self.expire is not None and self.expire < int(time.time() // 86400)

    @property
    def interactive(self) -> bool:
        """The shell allows a login session (an empty shell field means /bin/sh)."""
        base = self.shell.rstrip("/").rpartition("/")[2]
        return base not in NOLOGIN_SHELLS

    @property
    def scheme(self) -> str:
        if not self.hash:
            return ""
        return libcrypt.scheme(self.hash.lstrip("!"))

    @property
    def password_login(self) -> bool:
        """A password (or no password at all) gets this account in: usable or empty, not expired."""
        return self.state in ("usable", "empty") and not self.expired and self.interactive


@dataclass
class Group:
    name: str
    gid: int
    members: List[str] = field(default_factory=list)


@dataclass
class Accounts:
    accounts: List[Account] = field(default_factory=list)
    groups: List[Group] = field(default_factory=list)
    shadow_error: Optional[str] = None  # why /etc/shadow could not be read
    shadow_malformed: List[int] = field(default_factory=list)  # line numbers that do not parse
    login_defs: Dict[str, str] = field(default_factory=dict)
    errors: List[str] = field(default_factory=list)
    cut: List[str] = field(default_factory=list)  # databases not read to their end, and why
    _index: Dict[str, Account] = field(default_factory=dict, repr=False, compare=False)
    _indexed: int = field(default=-1, repr=False, compare=False)  # len(accounts) when indexed

    def get(self, name: str) -> Optional[Account]:
        """The account named ``name`` (the first one, as getpwnam), by an index: criteria look
        accounts up once per reachable account, and 10,000 accounts made a linear scan quadratic."""
        if self._indexed != len(self.accounts):
            self._index = {}
            for a in self.accounts:
                self._index.setdefault(a.name, a)
            self._indexed = len(self.accounts)
        return self._index.get(name)

    @property
    def shadow_why(self) -> str:
        """Why /etc/shadow was not read, for a reason: "needs root" only when permission is what
        stopped it (a symlink loop, a FIFO or a read error is said as what it is)."""
        err = self.shadow_error or ""
        if "permission" in err:
            return f"needs root to read {SHADOW} ({err})"
        return f"cannot read {SHADOW} ({err})"

    @property
    def shadow_readable(self) -> bool:
        return self.shadow_error is None


def _state(pw: str) -> str:
    if pw == "":
        return "empty"
    if pw.startswith("!"):
        return "locked"
    if pw in ("*", "x", "!!") or pw.startswith("*") or len(pw) < 13 and not pw.startswith("$"):
        return "no-password"  # not a hash any input can produce
    return "usable"


def _int(s: str) -> Optional[int]:
    s = s.strip()
    return int(s) if s.lstrip("-").isdigit() else None


def parse_login_defs(text: str) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for line in text.splitlines():
        f = line.split()
        if f and not f[0].startswith("#"):
            out[f[0].upper()] = f[1] if len(f) > 1 else ""
    return out


def _cut(acc: Accounts, lines, entries: int, path: str) -> bool:
    """Note a database not read to its end (over the byte cap or the entry cap)."""
    if entries > MAX_ENTRIES:
        acc.cut.append(f"{path}: read stopped after {MAX_ENTRIES:,} entries")
        return True
    if lines.cut:
        cap = ACCOUNT_DB_CAP
        size = f"{cap >> 20} MiB" if cap % (1 << 20) == 0 else f"{cap:,} bytes"
        acc.cut.append(f"{path}: read stopped after {size}")
        return True
    return False


def read(ctx) -> Accounts:
    """Read passwd, shadow and group whole, streamed line by line, up to :data:`ACCOUNT_DB_CAP`
    bytes and :data:`MAX_ENTRIES` entries each; a database cut there is named in ``cut`` (the
    criteria that judge accounts then say ``error``, never ``pass`` on what was not read)."""
    root = ctx.root
    acc = Accounts()
    r = root.lines(PASSWD, ACCOUNT_DB_CAP)
    if not r.ok:
        acc.errors.append(f"{PASSWD}: {r.error}")
        return acc
    malformed = []
    for n, line in r:
        if not line.strip() or line.startswith(("#", "+", "-")):
            continue
        f = line.split(":")
        if len(f) < 7 or _int(f[2]) is None or _int(f[3]) is None:
            malformed.append(n)
            continue
        if len(acc.accounts) >= MAX_ENTRIES:
            _cut(acc, r, MAX_ENTRIES + 1, PASSWD)
            break
        a = Account(f[0], _int(f[2]), _int(f[3]), f[5], f[6].strip(), n)
        if f[1] != "x":  # hash (or emptiness) right in the world-readable passwd file
            a.hash, a.hash_source, a.state = f[1], f"{PASSWD}:{n}", _state(f[1])
            a.passwd_field = f[1]
        acc.accounts.append(a)
    else:
        _cut(acc, r, 0, PASSWD)
    if r.error:
        acc.errors.append(f"{PASSWD}: {r.error}")
    acc.errors += [f"{PASSWD}:{n}: malformed line" for n in malformed[:20]]
    if len(malformed) > 20:
        acc.errors.append(f"{PASSWD}: {len(malformed) - 20} more malformed lines")
    s = root.lines(SHADOW, ACCOUNT_DB_CAP)
    if s.ok:
        by_name = {a.name: a for a in acc.accounts}
        entries = 0
        for n, line in s:
            f = line.split(":")
            if len(f) < 2 or not f[0] or not f[0].isprintable():
                if line.strip() and len(acc.shadow_malformed) < 1000:
                    acc.shadow_malformed.append(n)
                continue
            entries += 1
            if entries > MAX_ENTRIES:
                _cut(acc, s, entries, SHADOW)
                break
            a = by_name.get(f[0])
            if a is None or a.hash_source.startswith(PASSWD) and f[1] in ("x", "*", "!"):
                continue
            a.hash, a.hash_source, a.state = f[1], f"{SHADOW}:{n}", _state(f[1])
            a.last_change = _int(f[2]) if len(f) > 2 else None
            a.expire = _int(f[7]) if len(f) > 7 else None
        else:
            _cut(acc, s, 0, SHADOW)
        if s.error:
            acc.shadow_error = s.error
            acc.errors.append(f"{SHADOW}: {s.error}")
    elif s.error != "missing":
        acc.shadow_error = s.error
        acc.errors.append(f"{SHADOW}: {s.error}")
    else:
        acc.shadow_error = "missing"
    for a in acc.accounts:
        if a.state == "unknown" and acc.shadow_error == "missing":
            a.state = "no-password"  # 'x' pointing at a shadow file that does not exist
    g = root.lines(GROUP, ACCOUNT_DB_CAP)
    for _n, line in g:
        f = line.split(":")
        if len(f) >= 4 and _int(f[2]) is not None:
            if len(acc.groups) >= MAX_ENTRIES:
                _cut(acc, g, MAX_ENTRIES + 1, GROUP)
                break
            acc.groups.append(Group(f[0], _int(f[2]), [m for m in f[3].strip().split(",") if m]))
    else:
        _cut(acc, g, 0, GROUP)
    d = root.read(LOGIN_DEFS)
    if d.ok:
        acc.login_defs = parse_login_defs(d.text)
    return acc


# --- which accounts a network login reaches: facts/network_logins.py -------------------------
def network_logins(ctx) -> List["NetLogin"]:
    """Every network login that is started, reachable over IP and takes an OS account's password
    or a daemon's own credential (cached; :func:`.network_logins.read`)."""
    from . import network_logins as logins

    return ctx.fact(logins.read)


def access_paths(ctx, password_only: bool = False) -> List[str]:
    """What on the device contradicts a "no network user access" NA declaration: network logins
    (sshd, dropbear, telnet/rlogin — with a password when ``password_only``), application
    credential stores, mosquitto listeners on a non-loopback address, declared logins."""
    from . import credstores, sshd

    acc = ctx.fact(read)
    out: List[str] = []
    ssh_addrs = ctx.fact(sshd.read).listen_addresses
    for n in ctx.fact(network_logins):
        if password_only and not n.password:
            continue
        if n.service == "ssh" and ssh_addrs and all(
                a in ("127.0.0.1", "::1", "localhost") or a.startswith("127.") for a in ssh_addrs):
            continue  # bound to loopback only: no way in over IP
        if password_only and n.service in ("ssh", "dropbear") and not any(
                n.admits(a) and a.state in ("usable", "empty", "unknown") and a.interactive
                and not a.expired for a in acc.accounts):
            continue  # a password login no account can use
        out.append(f"{n.service} on port {n.port} ({n.source})" if n.port else
                   f"{n.service} ({n.source})")
    stores = ctx.fact(credstores.read)
    for s in stores.stores:
        if s.entries:
            out.append(f"{s.service} credential store {s.path}")
    if not password_only:
        for lst in stores.mqtt_listeners:
            if not lst.loopback_only:
                out.append(f"mqtt listener on port {lst.port} ({lst.source.split(';')[0]})")
    for login in ctx.config.logins:
        out.append(f"declared login '{login.name}'")
    return out


TELNETDS = ("telnetd", "utelnetd", "in.telnetd", "telnetd.real")
SHELLS = ("sh", "ash", "bash", "dash", "zsh", "ksh", "mksh", "hush", "busybox")


def _login_program(argv: List[str]) -> Optional[str]:
    """The program a telnetd runs instead of login(1): BusyBox/utelnetd ``-l``, netkit ``-L``,
    inetutils ``-E``/``--exec-login=``."""
    for i, a in enumerate(argv[1:], 1):
        if a in ("-l", "-L", "-E", "--exec-login") and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--exec-login="):
            return a.split("=", 1)[1]
        if len(a) > 2 and a[:2] in ("-l", "-L", "-E") and not a.startswith("--"):
            return a[2:]
    return None


def shell_logins(ctx) -> List[Tuple[str, str, str]]:
    """Facts reader: (program, shell, where) of every telnetd started with a shell as its login
    program (``telnetd -l /bin/sh``): a shell over the network without any authentication.
    Started commands of the image (systemd, SysV/BusyBox init, inetd/xinetd); live, also the
    running processes."""
    from . import inetd, listeners_offline

    cmds: List[Tuple[List[str], str]] = []
    for st in ctx.fact(listeners_offline.surface).starts:
        cmds.append((list(st.argv), st.source))
    for svc in ctx.fact(inetd.read).services:
        # inetd.conf: the arguments start with argv[0] (tcpd's: the wrapped program's path);
        # xinetd's server_args do not
        argv = list(svc.args) if svc.daemon == "inetd" and svc.args else [svc.server] + list(svc.args)
        if argv[0].rsplit("/", 1)[-1] == "tcpd" and len(argv) > 1:
            argv = argv[1:]
        cmds.append((argv, svc.source))
    if ctx.live:
        try:
            import psutil

            for p in psutil.process_iter(["cmdline"]):
                argv = p.info.get("cmdline") or []
                if argv:
                    cmds.append((argv, f"process {p.pid}"))
        except Exception:  # psutil missing or a process gone: the file view still stands
            pass
    out: List[Tuple[str, str, str]] = []
    for argv, where in cmds:
        if argv and argv[0].rsplit("/", 1)[-1] == "busybox":
            argv = argv[1:]
        if not argv or argv[0].rsplit("/", 1)[-1] not in TELNETDS:
            continue
        login = _login_program(argv)
        if login and login.rsplit("/", 1)[-1] in SHELLS and (argv[0], login, where) not in out:
            out.append((argv[0], login, where))
    return out
