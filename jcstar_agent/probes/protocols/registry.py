"""The protocol probes, in the order identification tries them (one module per protocol).

Adding a protocol: one module in this package (``NAME``, ``TRANSPORT``, ``PORTS``,
``SERVER_FIRST``, ``recognise``, ``hello`` when client-first, ``probe``) and its name here. Order
matters only among the client-first hellos a listener gets when its port hints at nothing: the
common and the harmless first. RTSP goes before HTTP: an RTSP server (GStreamer's, cameras') also
answers HTTP (RTSP-over-HTTP tunnelling), an HTTP server never answers ``RTSP/1.0``.
"""
from __future__ import annotations

import importlib
from typing import List

SERVER_FIRST = ("ssh", "telnet", "ftp", "smtp", "pop3", "imap", "vnc", "mysql", "rsync")
CLIENT_FIRST = ("tls", "rtsp", "http", "mqtt", "redis", "memcached", "postgresql", "mongodb",
                "amqp", "modbus", "nfs", "smb", "adb", "xmpp", "sip", "coap", "snmp", "dns", "ssdp",
                "tftp")
NAMES = SERVER_FIRST + CLIENT_FIRST


def module(name: str):
    return importlib.import_module(f"{__package__}.{name}")


def transports(m) -> tuple:
    return m.TRANSPORT if isinstance(m.TRANSPORT, tuple) else (m.TRANSPORT,)


def server_first() -> List:
    return [module(n) for n in SERVER_FIRST]


def client_first(transport: str, port: int = 0) -> List:
    """The client-first probes of ``transport``: those whose ``PORTS`` hint at ``port`` first."""
    mods = [module(n) for n in CLIENT_FIRST]
    mods = [m for m in mods if transport in transports(m)]
    return sorted(mods, key=lambda m: 0 if port in m.PORTS else 1)
