"""Socket addresses as every listener reader says them: '*' for any address, IPv4-mapped IPv6 as
plain IPv4, loopback recognised. Shared by the live and booted socket tables (:mod:`.boot`) and the
listener model (:mod:`jcstar_agent.facts.listener_model`)."""
from __future__ import annotations

import ipaddress

ANY = ("0.0.0.0", "::", "")


def normalise_address(ip: str) -> str:
    """'*' for any address; IPv4-mapped IPv6 addresses as plain IPv4."""
    if ip in ANY:
        return "*"
    ip = ip.split("%", 1)[0]  # fe80::1%eth0
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    mapped = getattr(addr, "ipv4_mapped", None)
    return str(mapped) if mapped else str(addr)


def is_loopback(address: str) -> bool:
    if address == "*":
        return False
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address == "localhost"
