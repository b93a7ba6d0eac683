"""OpenSSH server: its effective configuration as sshd itself would compute it.

Reads ``/etc/ssh/sshd_config`` and follows ``Include`` (globs, relative to ``/etc/ssh``, bounded
depth), keeps ``Match`` blocks apart from the global settings, and fills every keyword not set
with the default of the installed OpenSSH version (defaults changed over time:
``PermitRootLogin`` became ``prohibit-password`` in 7.0, ``PerSourcePenalties`` exists and is on
from 9.8, ``ChallengeResponseAuthentication`` is an alias of ``KbdInteractiveAuthentication`` from
8.7 and turned keyboard-interactive on by itself before). The version comes from the package database (dpkg, opkg, apk) or, failing that, from
the ``OpenSSH_X.Y`` string inside the sshd binary (bounded read). No verdicts here.

As in sshd, the first value obtained for a keyword wins, except for keywords that accumulate
(``Port``, ``ListenAddress``, ``HostKey`` ...). Whether sshd is enabled is not decided here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

CONFIG_PATHS = ("/etc/ssh/sshd_config", "/etc/sshd_config", "/usr/etc/ssh/sshd_config")
BINARY_PATHS = ("/usr/sbin/sshd", "/sbin/sshd", "/usr/bin/sshd", "/usr/local/sbin/sshd")
MAX_INCLUDE_DEPTH = 16  # sshd's own bound (SERVCONF_MAX_DEPTH)
MAX_FILES = 256
BINARY_CAP = 8 << 20

# Keywords whose every occurrence counts (first-wins does not apply).
MULTI = frozenset({"port", "listenaddress", "hostkey", "hostcertificate", "acceptenv",
                   "setenv", "subsystem", "include", "allowusers", "denyusers", "allowgroups",
                   "denygroups", "authorizedkeysfile", "permitlisten", "permitopen",
                   "channeltimeout"})

_VERSION_RE = re.compile(rb"OpenSSH_(\d+)\.(\d+)(?:p\d+)?")


@dataclass
class MatchBlock:
    criteria: str  # "User admin", "Address 10.0.0.0/8" ...
    source: str  # "file:line" of the Match line
    options: Dict[str, List[str]] = field(default_factory=dict)
    sources: Dict[str, str] = field(default_factory=dict)

    @property
    def local_only(self) -> bool:
        """The block matches only clients on the device itself: an ``Address`` (client) or
        ``LocalAddress`` criterion whose every pattern is a loopback address. Criteria are ANDed,
        so one such criterion keeps the block away from every client over the network."""
        words = self.criteria.split()
        for key, value in zip(words[::2], words[1::2]):
            if key.lower() not in ("address", "localaddress"):
                continue
            pats = [p for p in value.split(",") if p and not p.startswith("!")]
            if pats and all(_loopback_pattern(p) for p in pats):
                return True
        return False


def _loopback_pattern(pattern: str) -> bool:
    """127.0.0.1, ::1, 127.0.0.0/8, 127.* — never a pattern that could match another address."""
    import ipaddress

    if re.fullmatch(r"127(\.(\d+|\*))*\.?\*?", pattern):
        return True
    try:
        return ipaddress.ip_network(pattern, strict=False).subnet_of(
            ipaddress.ip_network("127.0.0.0/8" if ":" not in pattern else "::1/128"))
    except (ValueError, TypeError):
        return False


@dataclass
class SshdConfig:
    path: str = ""  # the main config file (device path), '' when none was found
    installed: bool = False  # an sshd binary or config file is present
    binary: str = ""
    version: Optional[Tuple[int, int]] = None
    version_source: str = ""  # "dpkg:openssh-server 1:9.2p1-2", "/usr/sbin/sshd" ...
    options: Dict[str, List[str]] = field(default_factory=dict)  # explicitly set, global
    sources: Dict[str, str] = field(default_factory=dict)  # keyword -> "file:line"
    matches: List[MatchBlock] = field(default_factory=list)
    files: List[str] = field(default_factory=list)  # every file read
    errors: List[str] = field(default_factory=list)

    # --- the effective view --------------------------------------------------------------
    def get(self, keyword: str, default: Optional[str] = None) -> Optional[str]:
        """Effective global value of a keyword (set value, else the version's default)."""
        k = keyword.lower()
        if k == "kbdinteractiveauthentication" and self.version and self.version < (8, 7):
            # before 8.7 sshd turned keyboard-interactive on for ChallengeResponseAuthentication
            # (default yes) or KbdInteractiveAuthentication (default no)
            cr = (self.options.get("challengeresponseauthentication") or ["yes"])[0].lower()
            kb = (self.options.get(k) or ["no"])[0].lower()
            return "yes" if "yes" in (cr, kb) else "no"
        if k in self.options and self.options[k]:
            return self.options[k][0]
        d = defaults(self.version).get(k)
        return d if d is not None else default

    def values(self, keyword: str) -> List[str]:
        """Every value of an accumulating keyword (Port, ListenAddress ...), set ones only."""
        return list(self.options.get(keyword.lower(), []))

    def is_set(self, keyword: str) -> bool:
        return keyword.lower() in self.options

    def source(self, keyword: str) -> str:
        """Where the effective value comes from: 'file:line' or 'default (OpenSSH X.Y)'."""
        k = keyword.lower()
        if k in self.sources:
            return self.sources[k]
        return "default" + (f" (OpenSSH {self.version[0]}.{self.version[1]})" if self.version else "")

    def overrides(self, keyword: str, network: bool = False) -> List[Tuple[str, str, str]]:
        """(match criteria, value, file:line) of every Match block that sets the keyword; with
        ``network``, only blocks a client over the network can match (not ``Address 127.0.0.1``)."""
        k = keyword.lower()
        return [(m.criteria, m.options[k][0], m.sources[k]) for m in self.matches
                if k in m.options and m.options[k] and not (network and m.local_only)]

    @property
    def ports(self) -> List[int]:
        ports: List[int] = []
        for v in self.values("port") or ["22"]:
            if v.isdigit() and 0 < int(v) < 65536 and int(v) not in ports:
                ports.append(int(v))
        for _addr, port in self.listen:
            if port is not None and port not in ports:
                ports.append(port)
        return ports or [22]

    @property
    def listen(self) -> List[Tuple[str, Optional[int]]]:
        """(address, port or None) of every ListenAddress."""
        out = []
        for v in self.values("listenaddress"):
            addr = v.split()[0] if v.split() else v
            port: Optional[int] = None
            m = re.match(r"^\[([^\]]+)\](?::(\d+))?$", addr)
            if m:
                addr, p = m.group(1), m.group(2)
                port = int(p) if p else None
            elif addr.count(":") == 1:
                addr, p = addr.split(":")
                port = int(p) if p.isdigit() else None
            out.append((addr, port))
        return out

    @property
    def listen_addresses(self) -> List[str]:
        """Bound addresses; [] means every address (sshd's default)."""
        return [a for a, _p in self.listen]


def defaults(version: Optional[Tuple[int, int]]) -> Dict[str, str]:
    """OpenSSH's compiled-in defaults for a version (unknown version: the current ones)."""
    v = version or (99, 0)
    d = {
        "port": "22",
        "maxauthtries": "6",
        "maxsessions": "10",
        "maxstartups": "10:30:100",
        "logingracetime": "120",
        "permitemptypasswords": "no",
        "passwordauthentication": "yes",
        "pubkeyauthentication": "yes",
        "kbdinteractiveauthentication": "yes",
        "challengeresponseauthentication": "yes",
        "hostbasedauthentication": "no",
        "permitrootlogin": "prohibit-password" if v >= (7, 0) else "yes",
        "usepam": "no",
        "authenticationmethods": "any",
        "strictmodes": "yes",
    }
    if v >= (9, 8):
        d["persourcepenalties"] = "yes"
    return d


def package_version(ctx, names) -> Tuple[Optional[Tuple[int, int]], str]:
    """(major, minor) and 'database: name version' of the first installed package named so."""
    from . import packages

    for p in ctx.fact(packages.read).items:
        if p.ecosystem != "python" and p.name in names:
            vm = re.match(r"^(?:\d+:)?(\d+)\.(\d+)", p.version)
            if vm:
                return (int(vm.group(1)), int(vm.group(2))), f"{p.database}: {p.name} {p.version}"
    return None, ""


def _version_from_binary(root, binary: str) -> Optional[Tuple[int, int]]:
    r = root.read(binary, limit=BINARY_CAP)
    if not r.ok:
        return None
    m = _VERSION_RE.search(r.data)
    return (int(m.group(1)), int(m.group(2))) if m else None


def _split(line: str) -> Tuple[str, List[str]]:
    """Keyword and arguments of one config line (quotes honoured, '=' separator allowed)."""
    line = line.strip()
    m = re.match(r"^(\S+?)(?:\s*=\s*|\s+)(.*)$", line)
    if not m:
        return line.lower(), []
    kw, rest = m.group(1), m.group(2)
    args: List[str] = []
    for q in re.finditer(r'"([^"]*)"|(\S+)', rest):
        if q.group(2) is not None and q.group(2).startswith("#"):
            break
        args.append(q.group(1) if q.group(1) is not None else q.group(2))
    return kw.lower(), args


class _Parser:
    def __init__(self, root, cfg: SshdConfig):
        self.root = root
        self.cfg = cfg

    def parse_file(self, path: str, depth: int, match: Optional[MatchBlock]) -> None:
        cfg = self.cfg
        if len(cfg.files) >= MAX_FILES:
            cfg.errors.append(f"{path}: too many included files (>{MAX_FILES}), rest ignored")
            return
        r = self.root.read(path)
        if not r.ok:
            cfg.errors.append(f"{path}: {r.error}")
            return
        cfg.files.append(path)
        if r.truncated:
            cfg.errors.append(f"{path}: larger than the read cap, rest ignored")
        for n, raw in enumerate(r.text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            kw, args = _split(line)
            if kw == "challengeresponseauthentication" and (cfg.version is None or cfg.version >= (8, 7)):
                kw = "kbdinteractiveauthentication"  # a deprecated alias since OpenSSH 8.7
            where = f"{path}:{n}"
            if kw == "match":
                match = MatchBlock(" ".join(args), where)  # "Match all" too: applies to all
                cfg.matches.append(match)
                continue
            if kw == "include":
                if depth + 1 > MAX_INCLUDE_DEPTH:
                    cfg.errors.append(f"{where}: Include nested too deeply (>{MAX_INCLUDE_DEPTH})")
                    continue
                for pattern in args:
                    for inc in self._expand(pattern):
                        self.parse_file(inc, depth + 1, match)
                continue
            if not args:
                cfg.errors.append(f"{where}: {kw[:40]!r} without a value")
                continue
            value = " ".join(args)
            if match is not None:
                opts, srcs = match.options, match.sources
            else:
                opts, srcs = cfg.options, cfg.sources
            if kw in MULTI:
                opts.setdefault(kw, []).append(value)
                srcs.setdefault(kw, where)
            elif kw not in opts:
                opts[kw] = [value]
                srcs[kw] = where

    def _expand(self, pattern: str) -> List[str]:
        if not pattern.startswith("/"):
            pattern = "/etc/ssh/" + pattern
        directory, _, name = pattern.rpartition("/")
        if any(c in directory for c in "*?["):
            self.cfg.errors.append(f"Include {pattern}: wildcards in folders not followed")
            return []
        if any(c in name for c in "*?["):
            return [p for p in self.root.glob(directory or "/", name) if self.root.is_file(p)]
        return [pattern]


def read(ctx) -> SshdConfig:
    """The sshd effective configuration of the target (``installed`` False when none)."""
    root = ctx.root
    cfg = SshdConfig()
    cfg.binary = next((b for b in BINARY_PATHS if root.is_file(b)), "")
    path = next((p for p in CONFIG_PATHS if root.exists(p)), "")
    cfg.installed = bool(cfg.binary or path)
    if not cfg.installed:
        return cfg
    cfg.version, cfg.version_source = package_version(
        ctx, ("openssh-server", "openssh-sshd", "openssh-server-pam", "openssh"))
    if cfg.version is None and cfg.binary:
        cfg.version = _version_from_binary(root, cfg.binary)
        cfg.version_source = cfg.binary if cfg.version else ""
    if not path:
        cfg.errors.append("no sshd_config found: compiled-in defaults assumed")
        return cfg
    cfg.path = path
    _Parser(root, cfg).parse_file(path, 0, None)
    return cfg
