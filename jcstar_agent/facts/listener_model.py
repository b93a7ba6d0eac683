"""The listener model: what one listening socket is (:class:`Listener`) and a set of them
(:class:`Listeners`), with the address helpers every reader shares. A leaf module: the readers
(:mod:`.sockets` live, :mod:`.listeners_offline` from an image, :mod:`.daemons` per daemon) import
it and nothing here imports them, so the readers form no import circle. It imports only the
address helpers of :mod:`jcstar_agent.target.address` (a layer to its left).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

# the address helpers live with the socket tables that need them too (target/address.py)
from ..target.address import ANY, is_loopback, normalise_address  # noqa: F401


@dataclass
class Listener:
    proto: str  # "tcp" | "udp"
    port: int
    address: str = "*"  # "*" when any address (0.0.0.0 / :: / unspecified)
    process: str = ""  # daemon name (sshd, in.telnetd via inetd ...)
    source: str = ""  # "/etc/inetd.conf:12", "systemd:ssh.service", "socket" (live) ...
    service: str = ""  # protocol/service name when known (telnet, ssh, http, mqtt ...)
    exe: str = ""  # live: the owning executable (under qemu-binfmt: the emulator)
    pid: Optional[int] = None  # live
    tls: Optional[bool] = None  # known from config (ssl on, listener with certfile ...)
    loopback_only: bool = False
    namespace: str = ""  # another network namespace than the agent's (net:[inode]): a container's,
    # ``ip netns``, the image's own; '' for the one the agent (or the booted sandbox) looks from

    @property
    def key(self):
        return (self.proto, self.port)


@dataclass
class Listeners:
    items: List[Listener] = field(default_factory=list)
    origin: str = ""  # "offline inference" or "live sockets"
    errors: List[str] = field(default_factory=list)  # what could not be read, per file
    inferred: List[Listener] = field(default_factory=list)  # live: what the image enables too


def merge_families(items: List[Listener]) -> List[Listener]:
    """One listener per (proto, port, address, pid): a daemon bound to both 0.0.0.0 and :: is one
    service on 'any address'."""
    out, seen = [], set()
    for l in items:
        k = (l.proto, l.port, l.address, l.pid, l.namespace)
        if k not in seen:
            seen.add(k)
            out.append(l)
    return out
