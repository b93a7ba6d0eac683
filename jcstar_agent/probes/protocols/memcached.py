"""Memcached (text protocol): a cache; the client speaks first.

Sends ``version`` (identification), then ``stats`` — a read-only command. Concludes: ``STAT …``
lines answered without credentials mean anyone reads (``get``) and overwrites (``set``) the cache (no
authentication; memcached's SASL works on the binary protocol only, and a SASL-enabled server
refuses the text commands). Cleartext always.

References: memcached protocol.txt (``stats``, ``version``); memcached SASL wiki; nmap
``memcached-info``.
"""
from __future__ import annotations

from . import ProtocolObservation

NAME, TRANSPORT, PORTS, SERVER_FIRST = "memcached", "tcp", (11211,), False


def hello(host: str, port: int) -> bytes:
    return b"version\r\n"


def recognise(data: bytes) -> bool:
    return data.startswith(b"VERSION ")


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, port=port, cleartext=True)
    a = budget.exchange(host, port, b"stats\r\nquit\r\n", 8192, until=lambda d: d.endswith(b"END\r\n")
                        or d.startswith((b"ERROR", b"CLIENT_ERROR", b"SERVER_ERROR")))
    n = a.count(b"STAT ")
    obs.log("stats (no credentials)", f"{n} STAT lines" if n else a[:60])
    if n:
        return obs.verdict(True, "stats without credentials", f"{n} STAT lines")
    if a:
        return obs.verdict(False, "stats without credentials", a.split(b"\r\n")[0].decode("latin-1"))
    return obs
