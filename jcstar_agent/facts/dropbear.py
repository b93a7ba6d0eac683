"""Dropbear SSH server: its command-line flags as the init system would pass them.

Flags come from ``/etc/default/dropbear`` and ``/etc/sysconfig/dropbear`` (``DROPBEAR_EXTRA_ARGS``,
``DROPBEAR_ARGS``, ``DROPBEAR_PORT``), OpenWrt's UCI ``/etc/config/dropbear`` and systemd
``ExecStart=`` lines of dropbear units. Meaningful flags: ``-B`` (blank passwords allowed),
``-s`` (no password logins), ``-g`` (no root password logins), ``-w`` (no root logins),
``-p [addr:]port``, ``-T`` (max auth tries). Dropbear has no lockout of its own.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import List, Optional

from . import keyvalue

BINARIES = ("/usr/sbin/dropbear", "/sbin/dropbear", "/usr/bin/dropbear", "/usr/bin/dropbearmulti",
            "/usr/sbin/dropbearmulti")
SHELL_FILES = ("/etc/default/dropbear", "/etc/sysconfig/dropbear")
UNIT_DIRS = ("/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system")


@dataclass
class Dropbear:
    installed: bool = False
    binary: str = ""
    args: List[str] = field(default_factory=list)
    sources: List[str] = field(default_factory=list)  # where flags were found
    blank_passwords: bool = False  # -B / UCI BlankPassword
    password_auth: bool = True  # not -s
    root_password_auth: bool = True  # not -g
    root_login: bool = True  # not -w
    ports: List[int] = field(default_factory=list)
    max_auth_tries: Optional[int] = None  # -T (dropbear's default: 10)
    errors: List[str] = field(default_factory=list)


_WITH_VALUE = "brTcpPWKI"  # dropbear flags that take a value


def _apply(db: Dropbear, args: List[str]) -> None:
    db.args.extend(args)
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if not a.startswith("-") or a.startswith("--") or len(a) < 2:
            continue
        flags = a[1:]
        for j, ch in enumerate(flags):
            if ch in _WITH_VALUE:
                val = flags[j + 1:]
                if not val and i < len(args):
                    val = args[i]
                    i += 1
                if ch == "p":
                    port = val.rpartition(":")[2]
                    if port.isdigit():
                        db.ports.append(int(port))
                elif ch == "T" and val.isdigit():
                    db.max_auth_tries = int(val)
                break
            if ch == "B":
                db.blank_passwords = True
            elif ch == "s":
                db.password_auth = False
            elif ch == "g":
                db.root_password_auth = False
            elif ch == "w":
                db.root_login = False


def _split(value: str, where: str, db: Dropbear) -> List[str]:
    try:
        return shlex.split(value)
    except ValueError:
        db.errors.append(f"{where}: unbalanced quotes")
        return value.split()


def read(ctx) -> Dropbear:
    root = ctx.root
    db = Dropbear()
    db.binary = next((b for b in BINARIES if root.is_file(b)), "")
    for path in SHELL_FILES:
        text = root.text(path, 65536)
        if text is None:
            continue
        db.installed = True
        kv = keyvalue.parse(text)
        for k in ("DROPBEAR_EXTRA_ARGS", "DROPBEAR_ARGS"):
            if kv.get(k):
                _apply(db, _split(kv[k], path, db))
                db.sources.append(f"{path}: {k}")
        if kv.get("DROPBEAR_PORT", "").isdigit():
            db.ports.append(int(kv["DROPBEAR_PORT"]))
            db.sources.append(f"{path}: DROPBEAR_PORT")
    uci = root.text("/etc/config/dropbear", 65536)
    if uci is not None:
        db.installed = True
        db.sources.append("/etc/config/dropbear")
        for line in uci.splitlines():
            m = re.match(r"\s*option\s+(\w+)\s+['\"]?([^'\"]*)['\"]?", line)
            if not m:
                continue
            k, v = m.group(1), m.group(2).strip().lower()
            off = v in ("off", "0", "no", "false")
            if k == "PasswordAuth" and off:
                db.password_auth = False
            elif k == "RootPasswordAuth" and off:
                db.root_password_auth = False
            elif k == "RootLogin" and off:
                db.root_login = False
            elif k == "BlankPassword" and not off:
                db.blank_passwords = True
            elif k == "Port" and v.isdigit():
                db.ports.append(int(v))
            elif k == "MaxAuthTries" and v.isdigit():
                db.max_auth_tries = int(v)
    seen = set()  # merged /usr: /lib/systemd/system is /usr/lib/systemd/system, name each unit once
    for d in UNIT_DIRS:
        for unit in root.glob(d, "dropbear*.service"):
            real = root.realpath(unit) or unit
            if real in seen:
                continue
            seen.add(real)
            unit = real
            text = root.text(unit, 65536) or ""
            for line in text.splitlines():
                if line.strip().startswith("ExecStart="):
                    cmd = line.split("=", 1)[1].lstrip("-@+!:")
                    words = [w for w in _split(cmd, unit, db) if not w.startswith("$")]
                    _apply(db, words[1:])
                    db.sources.append(unit)
                    db.installed = True
    db.installed = db.installed or bool(db.binary)
    if db.installed and not db.ports:
        db.ports = [22]
    db.ports = sorted(set(db.ports))
    return db
