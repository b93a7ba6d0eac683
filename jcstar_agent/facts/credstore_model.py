"""What a credential store is (:class:`Store` of :class:`Entry`), and a mosquitto listener's
anonymous access (:class:`MqttListener`): a leaf both its finders use —
:mod:`.credstores` (the known daemons' and the declared stores) and :mod:`.pointed_stores` (files
any started daemon's settings point to) — so neither imports the other's module for it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional


@dataclass
class Entry:
    user: str
    stored: str = field(repr=False)
    line: int = 0


@dataclass
class Store:
    path: str
    fmt: str  # crypt | htpasswd | htdigest | plain | mosquitto | json | opaque (format not known)
    service: str  # mosquitto, nginx, lighttpd, apache, declared, or the daemon (redis-server ...)
    found_in: str  # "file:line" of the directive, or "declared login 'web'"
    login: str = ""  # declared login name when declared
    entries: List[Entry] = field(default_factory=list)
    error: Optional[str] = None
    # a secret a daemon's config holds in clear because the daemon needs it (requirepass, a
    # Wi-Fi passphrase): not judged as a weakly hashed store, only who may read the file
    inline: bool = False
    judge_perms: bool = True  # False: another check judges who may read it (Wi-Fi PSK files)


@dataclass
class MqttListener:
    port: int
    address: str  # '' = all addresses
    allow_anonymous: Optional[bool]  # None: not set (mosquitto 2.x default: false)
    source: str

    @property
    def loopback_only(self) -> bool:
        return self.address in ("127.0.0.1", "::1", "localhost")
