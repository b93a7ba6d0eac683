"""Super-server services: ``/etc/inetd.conf`` (+ ``/etc/inetd.d``) and xinetd.

inetd.conf: ``[addr:]service socktype proto flags user server args``; ``#`` and Debian's
``#<off>#`` (update-inetd's disabled mark) are comments; ``addr:`` alone on a line sets the
default address of the lines after it (openbsd-inetd). xinetd: ``service NAME { key = value }``
blocks from ``/etc/xinetd.conf`` and its ``includedir``; ``disable = yes`` and the ``defaults``
block's ``disabled = a b`` turn services off. Service names become ports through the image's
``/etc/services`` (a built-in table when it has none). RPC services are skipped (no fixed port).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

# Fallback when the image has no /etc/services (BusyBox images often do not).
WELL_KNOWN = {
    "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "time": 37, "domain": 53, "tftp": 69,
    "gopher": 70, "finger": 79, "http": 80, "www": 80, "pop3": 110, "sunrpc": 111, "auth": 113,
    "ntp": 123, "netbios-ns": 137, "netbios-ssn": 139, "imap": 143, "imap2": 143, "snmp": 161,
    "https": 443, "microsoft-ds": 445, "exec": 512, "biff": 512, "login": 513, "who": 513,
    "shell": 514, "syslog": 514, "printer": 515, "talk": 517, "ntalk": 518, "uucp": 540,
    "echo": 7, "discard": 9, "daytime": 13, "chargen": 19, "swat": 901, "rsync": 873,
    "ftps": 990, "telnets": 992, "imaps": 993, "pop3s": 995, "mqtt": 1883, "secure-mqtt": 8883,
}


@dataclass
class InetdService:
    name: str  # service name as written (telnet, ftp, shell ...)
    proto: str  # tcp | udp
    port: Optional[int]
    address: str  # "*" or the bound address
    server: str  # server program (/usr/sbin/tcpd, in.telnetd, internal ...)
    args: List[str]
    source: str  # file:line
    daemon: str  # inetd | xinetd

    @property
    def program(self) -> str:
        """The program that really serves (tcpd's first argument when wrapped)."""
        prog = self.server
        if prog.rsplit("/", 1)[-1] == "tcpd" and self.args:
            prog = self.args[0]
        elif self.daemon == "inetd" and self.args and prog.rsplit("/", 1)[-1] == "busybox":
            prog = self.args[0]
        return prog.rsplit("/", 1)[-1]


@dataclass
class InetdConfig:
    services: List[InetdService] = field(default_factory=list)
    files: List[str] = field(default_factory=list)  # config files read
    errors: List[str] = field(default_factory=list)


def services_table(root) -> Dict[Tuple[str, str], int]:
    """(name, proto) -> port from the image's /etc/services, aliases included."""
    table: Dict[Tuple[str, str], int] = {}
    for line in (root.text("/etc/services", 1 << 20) or "").splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) < 2 or "/" not in words[1]:
            continue
        port, _, proto = words[1].partition("/")
        if not port.isdigit():
            continue
        for name in [words[0]] + words[2:]:
            table.setdefault((name, proto), int(port))
    return table


def port_of(table, name: str, proto: str) -> Optional[int]:
    if name.isdigit():
        return int(name)
    return table.get((name, proto)) or WELL_KNOWN.get(name)


def _proto(p: str) -> Optional[str]:
    p = p.lower()
    if p.startswith("rpc/"):
        return None
    if p.startswith("tcp"):
        return "tcp"
    if p.startswith("udp"):
        return "udp"
    return None


def _address(addr: str) -> str:
    addr = addr.strip("[]")
    return "*" if addr in ("", "*", "0.0.0.0", "::") else addr


def parse_inetd(text: str, path: str, table) -> List[InetdService]:
    out = []
    default_addr = "*"
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split()
        if len(words) == 1 and words[0].endswith(":"):
            default_addr = _address(words[0][:-1])
            continue
        if len(words) < 6:
            continue
        name, _, proto_s, _, _, server = words[:6]
        proto = _proto(proto_s)
        if proto is None:
            continue
        addr = default_addr
        m = re.match(r"^(\[[^\]]*\]|[^:]*):(.+)$", name)
        if m:
            addr, name = _address(m.group(1)), m.group(2)
        args = words[6:]  # argv[0] of the server program first
        out.append(InetdService(name, proto, port_of(table, name, proto_s.rstrip("46")), addr,
                                server, args, f"{path}:{n}", "inetd"))
    return out


def parse_xinetd(text: str, path: str, table, disabled: Optional[List[str]] = None
                 ) -> Tuple[List[InetdService], List[str], List[str]]:
    """(services, includedirs, names disabled by the defaults block)."""
    out: List[InetdService] = []
    includes: List[str] = []
    off = list(disabled or [])
    block: Optional[Dict[str, str]] = None
    name, start = "", 0
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if block is None:
            m = re.match(r"^(service|defaults)\s*(\S*)\s*(\{)?$", line)
            if m:
                name, start = (m.group(2) if m.group(1) == "service" else ""), n
                block = {"__kind": m.group(1)}
                continue
            if line.startswith("includedir"):
                includes.append(line.split(None, 1)[1].strip() if " " in line else "")
            continue
        if line == "{":
            continue
        if line == "}":
            if block.get("__kind") == "defaults":
                off += block.get("disabled", "").split()
            else:
                out.append(_xinetd_service(name, block, f"{path}:{start}", table))
            block = None
            continue
        m = re.match(r"^([A-Za-z_]+)\s*([+-]?=)\s*(.*)$", line)
        if m:
            key, op, value = m.group(1), m.group(2), m.group(3).strip()
            block[key] = (block.get(key, "") + " " + value).strip() if op == "+=" else value
    return [s for s in out if s is not None], includes, off


def _xinetd_service(name, block, source, table) -> Optional[InetdService]:
    if block.get("disable", "no").lower() == "yes":
        return None
    proto = _proto(block.get("protocol", "") or
                   ("udp" if block.get("socket_type") == "dgram" else "tcp"))
    if proto is None:
        return None
    port = int(block["port"]) if block.get("port", "").isdigit() else port_of(table, name, proto)
    addr = _address(block.get("bind", block.get("interface", "")))
    return InetdService(name, proto, port, addr, block.get("server", "internal"),
                        block.get("server_args", "").split(), source, "xinetd")


def read(ctx) -> InetdConfig:
    root = ctx.root
    cfg = InetdConfig()
    table = services_table(root)
    for path in ["/etc/inetd.conf"] + root.glob("/etc/inetd.d", "*"):
        r = root.read(path, 1 << 20)
        if r.ok:
            cfg.files.append(path)
            cfg.services += parse_inetd(r.text, path, table)
        elif not r.missing:
            cfg.errors.append(f"{path}: {r.error}")
    r = root.read("/etc/xinetd.conf", 1 << 20)
    if r.ok:
        cfg.files.append("/etc/xinetd.conf")
        services, includes, off = parse_xinetd(r.text, "/etc/xinetd.conf", table)
        for d in includes:
            for path in root.glob(d, "*"):
                base = path.rsplit("/", 1)[-1]
                if base.endswith("~") or "." in base:
                    continue  # xinetd skips names with a dot or ending in ~
                fr = root.read(path, 1 << 20)
                if fr.ok:
                    cfg.files.append(path)
                    more, _, more_off = parse_xinetd(fr.text, path, table, off)
                    services += more
                    off += more_off
        cfg.services += [s for s in services if s.name not in off]
    elif not r.missing:
        cfg.errors.append(f"/etc/xinetd.conf: {r.error}")
    return cfg
