"""Live network interfaces: names, MAC addresses, IP addresses, up/down (psutil).

Used for the device's identity (MAC) and to know the device's own addresses: active probes only
ever connect to loopback or to an address of one of these interfaces.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional


@dataclass
class Interface:
    name: str
    mac: Optional[str] = None
    addresses: List[str] = field(default_factory=list)  # IPv4 and IPv6 (no scope suffix)
    up: Optional[bool] = None
    loopback: bool = False


@dataclass
class Interfaces:
    items: List[Interface] = field(default_factory=list)
    error: Optional[str] = None

    def own_addresses(self) -> List[str]:
        return [a for i in self.items for a in i.addresses]

    def macs(self) -> List[str]:
        return [i.mac for i in self.items if i.mac and not i.loopback and i.mac != "00:00:00:00:00:00"]


def read(ctx) -> Interfaces:
    if not ctx.root.live:
        return Interfaces([], "interfaces are known only on the live device")
    try:
        import psutil
    except ImportError:
        return Interfaces([], "psutil is not installed")
    import socket

    try:
        addrs = psutil.net_if_addrs()
        stats = psutil.net_if_stats()
    except OSError as exc:
        return Interfaces([], f"cannot list interfaces: {exc.strerror or exc}")
    out = []
    for name in sorted(addrs):
        iface = Interface(name)
        for a in addrs[name]:
            if a.family == psutil.AF_LINK:
                iface.mac = (a.address or "").lower() or None
            elif a.family in (socket.AF_INET, socket.AF_INET6):
                iface.addresses.append(a.address.split("%", 1)[0])
        st = stats.get(name)
        iface.up = st.isup if st else None
        iface.loopback = name == "lo" or all(a.startswith("127.") or a == "::1" for a in iface.addresses) and bool(iface.addresses)
        out.append(iface)
    return Interfaces(out)
