"""MQTT 3.1.1 (OASIS): a broker answers a CONNECT with a CONNACK.

Sends CONNECT without credentials (client id ``jcstar-probe-…``, clean session), reads CONNACK
and disconnects; nothing is published or subscribed. Then, when refused, a bounded run of
well-known accounts (``admin``, ``mqtt``, ``guest`` …) with default passwords. Concludes:
CONNACK 0 without credentials is a broker open to anyone (no authentication); 4/5 asks for them;
a default credential accepted; no lockout after the attempts; cleartext always (8883 is TLS).

References: MQTT 3.1.1 §3.1, §3.2.2.3 (return codes); nmap ``mqtt-subscribe``.
"""
from __future__ import annotations

import secrets

from . import ProtocolObservation
from . import _logins

NAME, TRANSPORT, PORTS, SERVER_FIRST = "mqtt", "tcp", (1883, 1884), False
ACCOUNTS = ("admin", "mqtt", "guest", "user")


def hello(host: str, port: int) -> bytes:
    from ..banner import mqtt_connect

    return mqtt_connect("jcstar-probe-" + secrets.token_hex(4))


def recognise(data: bytes) -> bool:
    return len(data) >= 4 and data[0] == 0x20 and data[1] == 0x02


def connack(budget, host, port, user=None, password=None):
    from ..banner import mqtt_connect, parse_connack

    pkt = mqtt_connect("jcstar-probe-" + secrets.token_hex(4), user,
                       password.encode() if password is not None else None)
    return parse_connack(budget.exchange(host, port, pkt + b"\xe0\x00", 4, until=lambda d: len(d) >= 4))


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, port=port, cleartext=True)
    code = connack(budget, host, port)
    obs.log("CONNECT without credentials, DISCONNECT", f"CONNACK {code}")
    if code is None:
        return obs
    obs.facts["mqtt_connack"] = code
    if code == 0:
        return obs.verdict(True, "CONNECT without credentials", "CONNACK 0 (accepted)")
    obs.verdict(False, "CONNECT without credentials", f"CONNACK {code}")

    def one(user, pw):
        c = connack(budget, host, port, user, pw)
        return (_logins.CLOSED if c is None else _logins.ACCEPTED if c == 0 else
                _logins.LOCKED if c != code else _logins.REJECTED)
    return _logins.attempt(obs, budget, _logins.candidates(ACCOUNTS), one)
