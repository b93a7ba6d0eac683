"""What every daemon reader shares: the facts one reader returns (:class:`DaemonFacts`:
listeners, transport weaknesses, access, secrets, PAM logins) and the helpers that turn command
lines and config files into them. A leaf of the package: the per-daemon modules import it, it
imports none of them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Tuple

from ..listener_model import Listener, is_loopback
from ..login_model import Guard, NetLogin, Reach

# Program basename -> service (protocol) name.
PROGRAM_SERVICE = {
    "telnetd": "telnet", "in.telnetd": "telnet", "utelnetd": "telnet", "telnetd.real": "telnet",
    "ftpd": "ftp", "in.ftpd": "ftp", "vsftpd": "ftp", "proftpd": "ftp", "pure-ftpd": "ftp",
    "rshd": "rsh", "in.rshd": "rsh", "rlogind": "rlogin", "in.rlogind": "rlogin",
    "rexecd": "rexec", "in.rexecd": "rexec", "tftpd": "tftp", "in.tftpd": "tftp",
    "atftpd": "tftp", "httpd": "http", "lighttpd": "http", "nginx": "http", "uhttpd": "http",
    "apache2": "http", "mini_httpd": "http", "thttpd": "http", "mosquitto": "mqtt",
    "snmpd": "snmp", "sshd": "ssh", "dropbear": "ssh", "dnsmasq": "dns", "avahi-daemon": "mdns",
}
# inetd/xinetd service names -> service.
NAME_SERVICE = {"shell": "rsh", "login": "rlogin", "exec": "rexec", "www": "http", "ftp": "ftp",
                "telnet": "telnet", "tftp": "tftp", "http": "http", "snmp": "snmp"}
PORT_SERVICE = {("tcp", 21): "ftp", ("tcp", 22): "ssh", ("tcp", 23): "telnet", ("udp", 69): "tftp",
                ("tcp", 80): "http", ("tcp", 8080): "http", ("tcp", 443): "https",
                ("tcp", 512): "rexec", ("tcp", 513): "rlogin", ("tcp", 514): "rsh",
                ("tcp", 1883): "mqtt", ("tcp", 8883): "mqtts", ("udp", 161): "snmp"}
WEAK_PROTOCOLS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1")
WEAK_CIPHER_WORDS = ("RC4", "DES", "3DES", "NULL", "EXPORT", "EXP-", "aNULL", "eNULL", "MD5", "ADH")
MAX_FILES = 200
@dataclass
class Weakness:
    """A transport-security problem in a daemon's configuration (for S1.1-12)."""

    kind: str  # "weak-tls-protocol", "weak-cipher", "snmp-v1v2c"
    daemon: str
    source: str  # file:line
    message: str
    port: Optional[int] = None


@dataclass
class Access:
    """What a daemon's config says about who may use one of its listeners (S1.1-01): ``open``
    when it serves clients without asking for any credential (redis without ``requirepass`` and
    ``protected-mode no``, a pg_hba ``trust`` line for network hosts, an NFS export to everyone),
    else the authentication it requires (judged seen, no declaration needed)."""

    daemon: str
    port: Optional[int]
    proto: str
    open: bool
    source: str  # file:line (or the command line) that says so
    message: str  # what is open, or how clients authenticate


@dataclass
class Secret:
    """A credential written in clear in a config file a daemon reads (``requirepass``, a
    ``user:password`` line, a VNC password file decoded): judged like a credential store's entry
    (S1.1-02 against the dictionary, S1.1-11 for who may read the file). ``value`` never leaves
    memory (``repr`` hides it)."""

    path: str
    line: int
    user: str  # the account, or the setting that holds the secret (requirepass)
    value: str = field(repr=False)
    daemon: str = ""
    setting: str = ""  # the directive, for the message ("requirepass", "allow")
    fmt: str = "plain"  # plain, or htpasswd when the value may be a crypt hash
    perms: bool = True  # False: another reader judges who may read the file (Wi-Fi PSKs)


@dataclass
class PamLogin:
    """The daemon logs clients in through PAM service ``service`` (or /bin/login): every system
    account the stack admits is a network login on ``port`` (S1.1-02, -03, -04)."""

    daemon: str
    port: Optional[int]
    service: str  # the /etc/pam.d file name
    source: str
    tls: Optional[bool] = None
    # what the daemon itself does against repeated failed logins (Webmin ``passdelay``): S1.1-04
    guards: List[Guard] = field(default_factory=list)


@dataclass
class DaemonFacts:
    listeners: List[Listener] = field(default_factory=list)
    weaknesses: List[Weakness] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)
    access: List[Access] = field(default_factory=list)
    secrets: List[Secret] = field(default_factory=list)
    pam: List[PamLogin] = field(default_factory=list)
    # files holding a key or secrets (an OpenVPN static key, an rsync secrets file): (path,
    # file:line that names it); S1.1-11 judges who may read them
    secret_files: List[Tuple[str, str]] = field(default_factory=list)


def service_of(program: str, proto: str = "", port: int = 0, name: str = "") -> str:
    return (PROGRAM_SERVICE.get(program) or NAME_SERVICE.get(name) or
            PORT_SERVICE.get((proto, port), name or ""))


def addr(value: str) -> str:
    value = value.strip().strip("[]")
    return "*" if value in ("", "*", "0", "0.0.0.0", "::", "0:0:0:0:0:0:0:0") else value


def host_port(value: str, default_port: Optional[int] = None) -> Tuple[str, Optional[int]]:
    """'[::1]:80' / '1.2.3.4:80' / '80' / ':80' / 'host' -> (address, port)."""
    value = value.strip()
    m = re.match(r"^\[([^\]]*)\](?::(\d+))?$", value)
    if m:
        return addr(m.group(1)), int(m.group(2)) if m.group(2) else default_port
    if value.isdigit():
        return "*", int(value)
    if value.count(":") == 1:
        h, p = value.split(":")
        return addr(h), int(p) if p.isdigit() else default_port
    if value.count(":") > 1:  # bare IPv6
        return addr(value), default_port
    return addr(value), default_port


def listener(proto, port, address, process, source, service="", tls=None) -> Listener:
    return Listener(proto=proto, port=port, address=address, process=process, source=source,
                    service=service or service_of(process, proto, port), tls=tls,
                    loopback_only=is_loopback(address))


def flag_values(argv: List[str], flag: str) -> List[str]:
    out = []
    for i, a in enumerate(argv):
        if a == flag and i + 1 < len(argv):
            out.append(argv[i + 1])
        elif a.startswith(flag) and len(a) > len(flag) and not a.startswith("--"):
            out.append(a[len(flag):])
    return out


# --- config helpers ------------------------------------------------------------------------
def conf_glob(root, pattern: str, base: str) -> List[str]:
    if not pattern.startswith("/"):
        pattern = f"{base.rstrip('/')}/{pattern}"
    if not any(c in pattern for c in "*?["):
        return [pattern]
    d, _, pat = pattern.rpartition("/")
    if any(c in d for c in "*?["):  # one wildcard level of folders (sites-enabled/*/x)
        pd, _, dpat = d.rpartition("/")
        return [p for sub in root.glob(pd, dpat) for p in root.glob(sub, pat)]
    return root.glob(d, pat)
class ConfigFiles:
    """Breadth-first walk over a daemon's config files and the ones they include.

    Iterating yields (path, text); ``add(paths)`` queues included files. Each file is read once,
    at most ``limit`` (MAX_FILES); unreadable files (other than missing ones) go to ``out.errors``.
    ``texts`` (path -> text) is filled with what was read, and what it already holds is not read
    again: a second walk over the same files (Apache's modules, then its directives) reads none.
    """

    def __init__(self, root, first: List[str], out: "DaemonFacts",
                 texts: Optional[Dict[str, str]] = None, limit: int = MAX_FILES):
        self.root, self.out, self.limit = root, out, limit
        self.queue: List[str] = list(first)
        self.seen: set = set()
        self.texts = {} if texts is None else texts

    def add(self, paths: List[str]) -> None:
        self.queue.extend(paths)

    def __iter__(self):
        while self.queue and len(self.seen) < self.limit:
            path = self.queue.pop(0)
            if path in self.seen:
                continue
            self.seen.add(path)
            if path not in self.texts:
                r = self.root.read(path)
                if not r.ok:
                    if not r.missing:
                        self.out.errors.append(f"{path}: {r.error}")
                    continue
                self.texts[path] = r.text
            yield path, self.texts[path]


def weak_protocols(words: List[str]) -> List[str]:
    """Protocol names enabled in a list (nginx ssl_protocols, Apache SSLProtocol ...)."""
    out = []
    for w in words:
        name = w.lstrip("+")
        if w.startswith("-"):
            continue
        for weak in WEAK_PROTOCOLS:
            if name.lower() in (weak.lower(), weak.lower().replace("v", "")):
                out.append(weak)
        if name.lower() == "all":  # Apache 2.4 / OpenSSL: SSLv3 and up (SSLv2 is gone from both)
            removed = {x.lstrip("-").lower() for x in words if x.startswith("-")}
            out += [p for p in WEAK_PROTOCOLS if p != "SSLv2" and p.lower() not in removed]
    return out


SECLEVEL_0 = "security level 0 (@SECLEVEL=0)"  # every cipher and TLS 1.0/1.1 back in OpenSSL 3
def weak_cipher_words(cipher_list: str) -> List[str]:
    found = []
    for part in re.split(r"[:, ]+", cipher_list):
        if not part or part[0] in "!-":
            continue
        if re.fullmatch(r"@SECLEVEL=0", part, re.I) and SECLEVEL_0 not in found:
            found.append(SECLEVEL_0)
            continue
        for w in WEAK_CIPHER_WORDS:
            if w.lower() in part.lower() and w not in found:
                found.append(w)
    return found


def words_conf(root, path: str, out: Optional["DaemonFacts"] = None,
               comment: str = "#") -> Iterator[Tuple[int, List[str]]]:
    """(line number, words) of a whitespace-separated config file (comments cut); nothing when
    it is missing, an error in ``out.errors`` when it cannot be read."""
    r = root.read(path)
    if not r.ok:
        if out is not None and not r.missing:
            out.errors.append(f"{path}: {r.error}")
        return
    for n, raw in enumerate(r.text.splitlines(), 1):
        words = raw.split(comment, 1)[0].split()
        if words:
            yield n, words


def kv_conf(root, path: str, out: Optional["DaemonFacts"] = None, sep: str = "=",
            comment: str = "#") -> Dict[str, Tuple[str, int]]:
    """``key = value`` settings of a config file (the last one wins): key (lower case) ->
    (value without quotes, line)."""
    kv: Dict[str, Tuple[str, int]] = {}
    r = root.read(path)
    if not r.ok:
        if out is not None and not r.missing:
            out.errors.append(f"{path}: {r.error}")
        return kv
    for n, raw in enumerate(r.text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith((comment, ";")) or sep not in line:
            continue
        k, v = line.split(sep, 1)
        kv[k.strip().lower()] = (v.split(" " + comment, 1)[0].strip().strip("\"'"), n)
    return kv


def truthy(value: str) -> bool:
    return value.strip().strip("\"'").lower() in ("yes", "true", "on", "1", "enable", "enabled")


def reachable(address: str) -> bool:
    """A bind address others on the network reach (not loopback, not a unix socket)."""
    return not (is_loopback(address) or address.startswith("/"))


# VNC's fixed DES key (the bytes 23 82 107 6 35 78 88 7, each bit-reversed as VNC does):
# every VNC password file (vncpasswd, x11vnc -storepasswd) is "encrypted" with it
_VNC_KEY = bytes((0xE8, 0x4A, 0xD6, 0x60, 0xC4, 0x72, 0x1A, 0xE0))


def vnc_password(data: bytes) -> Optional[str]:
    """The password a VNC password file holds (its first 8 bytes, DES with the fixed key); None
    when the file is too short or DES is not available."""
    if len(data) < 8:
        return None
    try:
        import warnings

        from cryptography.hazmat.primitives.ciphers import Cipher, modes
        try:
            from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
        except ImportError:  # cryptography < 43
            from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dec = Cipher(TripleDES(_VNC_KEY * 3), modes.ECB()).decryptor()
        plain = dec.update(data[:8]) + dec.finalize()
    except Exception:  # noqa: BLE001 - no DES in this build of the library: not decoded
        return None
    return plain.split(b"\0", 1)[0].decode("latin-1")


def argv_values(argv: List[str], *flags: str) -> List[str]:
    """Values of long or short options: ``--port 80``, ``--port=80``, ``-p 80`` (no glued ``-p80``:
    the callers' flags are words)."""
    out = []
    for i, a in enumerate(argv):
        for f in flags:
            if a == f and i + 1 < len(argv):
                out.append(argv[i + 1])
            elif f.startswith("--") and a.startswith(f + "="):
                out.append(a[len(f) + 1:])
    return out


def port_of(value: str, default: int) -> int:
    v = value.strip().strip("\"'")
    return int(v) if v.isdigit() else default


def split_source(src: str) -> Tuple[str, int]:
    """("/lib/systemd/system/x.service", 9) of "…/x.service:9" (line 0 when none)."""
    path, _, line = src.partition(" ")[0].rpartition(":")
    return (path, int(line)) if path and line.isdigit() else (src.partition(" ")[0], 0)


def superserver_login(ctx, r: Reach, name: str, services: Tuple[str, ...], port: int,
                      pam_service: str, mine) -> List[NetLogin]:
    """The cleartext login(1) of a remote-terminal daemon (telnet, rlogin), usually behind
    inetd/xinetd: its reachable listener (by program, service or port); when the listeners cannot
    be seen, the first enabled inetd line ``mine(svc)`` accepts, assumed served."""
    if r.visible:
        procs = tuple(p for p, s in PROGRAM_SERVICE.items() if s in services)
        _started, up = r.of(procs, services, (port,))
        return [NetLogin(name, up[0].port, up[0].source or "listener", tls=False,
                         pam_service=pam_service, address=up[0].address)] if up else []
    from .. import inetd  # the listeners cannot be seen: every enabled line may be served

    for svc in ctx.fact(inetd.read).services:
        if svc.proto == "tcp" and mine(svc):
            return [NetLogin(name, svc.port or port,
                             f"{svc.source} (listeners unknown: assumed served)", tls=False,
                             pam_service=pam_service)]
    return []
