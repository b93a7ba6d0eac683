"""Net-SNMP snmpd: its agent addresses and v1/v2c communities.

Read: ``-c`` (default ``/etc/snmp/snmpd.conf``) and ``snmpd.conf.d``; ``agentAddress`` (default
udp/161) and positional addresses; ``rocommunity``/``rwcommunity``/``com2sec`` whose SOURCE is
not the device itself are cleartext credentials (S1.1-12 ``TRANSPORT-SNMP-V1V2C``; the community
is never copied out). Its logins (communities, USM users) are :mod:`..network_logins`'.

**Example.** ``agentaddress udp:161`` + ``rocommunity public default`` → S1.1-12 fails.
"""
from __future__ import annotations

import re
from typing import List, Tuple

from ._base import DaemonFacts, Weakness, flag_values, host_port, listener

PROGRAMS = ('snmpd',)


def _snmpd(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    conf = (flag_values(argv, "-c") or ["/etc/snmp/snmpd.conf"])[0]
    agent: List[Tuple[str, str]] = []
    communities: List[str] = []
    for path in [conf] + root.glob("/etc/snmp/snmpd.conf.d", "*.conf"):
        for n, raw in enumerate((root.text(path) or "").splitlines(), 1):
            words = raw.split("#", 1)[0].split()
            if not words:
                continue
            key = words[0].lower()
            if key == "agentaddress" and len(words) > 1:
                agent += [(a, f"{path}:{n}") for a in " ".join(words[1:]).split(",")]
            elif key in ("rocommunity", "rwcommunity", "rocommunity6", "rwcommunity6", "com2sec",
                         "com2sec6") and not snmp_community_local(words):
                communities.append(f"{path}:{n}")  # the community itself is a secret: not kept
    positional = [a for a in argv[1:] if not a.startswith("-") and ":" in a]
    agent += [(a, src) for a in positional]
    if not agent:
        agent = [("udp:161", f"{conf} (default agentAddress udp:161)")]
    ports = []
    for spec, where in agent:
        spec = spec.strip()
        transport = "udp"
        m = re.match(r"^(udp6?|tcp6?|udp|tcp):(.*)$", spec, re.I)
        if m:
            transport, spec = m.group(1).lower().rstrip("6"), m.group(2)
        if not spec:
            a, p = "*", 161
        elif spec.isdigit():
            a, p = "*", int(spec)
        else:
            a, p = host_port(spec, 161)
        out.listeners.append(listener(transport, p or 161, a, "snmpd", where, "snmp", False))
        ports.append(p or 161)
    for where in communities:
        out.weaknesses.append(Weakness("snmp-v1v2c", "snmpd", where,
                                       "SNMP v1/v2c community configured: community and data "
                                       "travel in cleartext", ports[0] if ports else 161))
    return out


def snmp_community_local(words: List[str]) -> bool:
    """A community line (split, keyword first) whose SOURCE admits only the device itself
    (``rocommunity public localhost``, ``com2sec local 127.0.0.1 public``): snmpd ignores the
    community from any other address, so it is no credential over the network."""
    import ipaddress

    key, rest = words[0].lower(), words[1:]
    if key.startswith("com2sec"):
        if rest[:1] == ["-Cn"]:
            rest = rest[2:]
        source = rest[1] if len(rest) >= 3 else "default"
    else:
        source = rest[1] if len(rest) >= 2 and not rest[1].startswith(("-", ".")) else "default"
    if source.lower() == "localhost":
        return True
    try:
        net = ipaddress.ip_network(source, strict=False)
    except ValueError:
        return False
    return net.subnet_of(ipaddress.ip_network("127.0.0.0/8" if net.version == 4 else "::1/128"))


read = _snmpd
