"""What a network login is (:class:`NetLogin`) and which listeners a login daemon owns
(:class:`Reach`), and what a daemon itself does against password guessing (:class:`Guard`): a leaf
shared by :mod:`.network_logins` and the daemon modules that know a
daemon's logins (:mod:`.daemons.vsftpd`, :mod:`.daemons.snmpd`), so none imports another for it.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import List, Optional, Tuple


@dataclass
class Guard:
    """What a daemon itself does against password guessing, read from its own config (S1.1-04),
    with the file:line that says so.

    ``locks``: True — after repeated failures it locks the client or the account out, or delays
    it, across connections (what an auditor accepts: reconnecting does not reset it); False — it
    only ends or slows the one connection (``MaxAuthTries``, vsftpd ``max_login_fails``): a client
    reconnects at once, so it is evidence, not protection; None — it would lock, but whether it
    applies on this device could not be read (``note`` says why)."""

    setting: str  # "blockhost_failures=5 blockhost_time=60", "PerSourcePenalties yes"
    source: str  # file:line, or "default (...)" for a compiled-in default
    locks: Optional[bool]
    note: str = ""

    def describe(self) -> str:
        return f"{self.setting} ({self.source})"


@dataclass
class NetLogin:
    """A way in over the network that takes an OS account's password, or the daemon's own
    credential (``kind`` "community")."""

    service: str  # ssh | dropbear | telnet | rlogin | ftp | snmp | declared login name
    port: Optional[int]
    source: str  # where this was seen
    password: bool = True  # password (or keyboard-interactive) authentication enabled
    root_password: bool = True  # root may log in with a password
    empty_allowed: bool = True  # an empty password logs in (sshd PermitEmptyPasswords ...)
    allow_users: Optional[List[str]] = None  # sshd AllowUsers patterns (None: everyone)
    deny_users: List[str] = field(default_factory=list)
    # sshd "Match User <patterns>" blocks that set the password methods, in file order:
    # (patterns, password login allowed for those users); the first matching one wins
    user_rules: List[Tuple[List[str], bool]] = field(default_factory=list)
    base_password: Optional[bool] = None  # for users no rule matches (None: as ``password``)
    kind: str = "account"  # account: logs OS accounts in; community: the daemon's own secret
    pam_service: str = ""  # the PAM service it authenticates through (vsftpd, login ...)
    tls: Optional[bool] = None  # credentials protected by TLS/SSH (None: not known)
    anonymous: bool = False  # logs anyone in without credentials (anonymous FTP)
    chroot: Optional[bool] = None  # local users are jailed to their home (vsftpd)
    max_failures: Optional[int] = None  # failed logins before the connection is dropped
    fail_delay: Optional[float] = None  # seconds after each failed login
    default_credentials: List[str] = field(default_factory=list)  # well-known defaults in use
    # (user, file:line) of users whose secret is written in the image itself (snmpd createUser):
    # every unit built from it shares that credential
    image_secrets: List[Tuple[str, str]] = field(default_factory=list)
    address: str = "*"
    # why root is counted as admitted though the config does not say so (the default depends on
    # a version that could not be read): said beside any finding that rests on it
    root_assumed: str = ""
    # what the daemon itself does against repeated failures (its module reads them): S1.1-04
    guards: List[Guard] = field(default_factory=list)

    def admits(self, account) -> bool:
        if self.kind != "account" or not self.password:
            return False
        for patterns, allowed in self.user_rules:
            if match_list(account.name, patterns):
                if not allowed:
                    return False
                break
        else:
            if self.base_password is False:
                return False
        if account.uid == 0 and not self.root_password:
            return False
        if any(fnmatch.fnmatchcase(account.name, p.split("@")[0]) for p in self.deny_users):
            return False
        if self.allow_users is not None:
            return any(fnmatch.fnmatchcase(account.name, p.split("@")[0]) for p in self.allow_users)
        return True


def match_list(name: str, patterns: List[str]) -> bool:
    """sshd's match_pattern_list: a negated pattern that matches wins (no), else any match."""
    hit = False
    for p in patterns:
        neg = p.startswith("!")
        if fnmatch.fnmatchcase(name, p[1:] if neg else p):
            if neg:
                return False
            hit = True
    return hit


@dataclass
class Reach:
    """Which listeners of the image/device a login daemon owns (from the listeners fact)."""

    visible: bool  # the listeners could be read at all
    items: list

    def of(self, processes: Tuple[str, ...] = (), services: Tuple[str, ...] = (),
           ports: Tuple[int, ...] = (), proto: str = "tcp") -> Tuple[bool, list]:
        """(started, its listeners reachable over IP). Matched by owning process, else by the
        service or port of a super-server's/socket unit's/unnamed listener."""
        mine = []
        for x in self.items:
            if x.proto != proto:
                continue
            prog = x.process or (x.exe.rsplit("/", 1)[-1] if x.exe else "")
            if prog in processes or (prog in ("", "systemd", "inetd", "xinetd", "tcpsvd", "udpsvd")
                                     and (x.service in services or
                                          (not x.service and x.port in ports))):
                mine.append(x)
        return bool(mine), [x for x in mine if not x.loopback_only]


def first_port(reachable: list, default: int) -> Tuple[int, str, str]:
    if reachable:
        x = reachable[0]
        return x.port, x.address, x.source
    return default, "*", ""
