"""AMQP 0-9-1 (RabbitMQ and others): the client sends the protocol header first.

Sends ``AMQP\\x00\\x00\\x09\\x01``, reads ``Connection.Start`` (mechanisms), answers
``Connection.Start-Ok`` with ``PLAIN`` and the documented default account ``guest``/``guest``,
then a few well-known pairs; ``Connection.Tune`` is a login accepted, ``Connection.Close`` 403
(ACCESS_REFUSED) a refusal. No channel is opened. Concludes: a default credential accepted
(S1.1-02); cleartext always (5671 is the TLS probe's).

References: AMQP 0-9-1 specification §2.2.4, §4.2.3; RabbitMQ Access Control (the ``guest``
user, ``loopback_users``); nmap ``amqp-info``.
"""
from __future__ import annotations

import struct

from . import ProtocolObservation
from . import _logins

NAME, TRANSPORT, PORTS, SERVER_FIRST = "amqp", "tcp", (5672,), False
HEADER = b"AMQP\x00\x00\x09\x01"
DEFAULTS = (("guest", "guest"), ("admin", "admin"))


def hello(host: str, port: int) -> bytes:
    return HEADER


def method(data: bytes):
    """(class, method) of the first frame if it is a method frame."""
    if len(data) >= 11 and data[0] == 1:
        return struct.unpack("!HH", data[7:11])
    return None


def recognise(data: bytes) -> bool:
    return method(data) == (10, 10) or data.startswith(b"AMQP")


def _table(fields: bytes) -> bytes:
    return struct.pack("!I", len(fields)) + fields


# client-properties: capabilities.authentication_failure_close, so that a refused login is told
# at once (Connection.Close 403) instead of the connection just ending
PROPERTIES = _table(b"\x0ccapabilities" + b"F" + _table(b"\x1cauthentication_failure_close" + b"t\x01"))


def start_ok(user: str, password: str) -> bytes:
    resp = b"\x00" + user.encode() + b"\x00" + password.encode()
    args = struct.pack("!HH", 10, 11) + PROPERTIES + b"\x05PLAIN" + \
        struct.pack("!I", len(resp)) + resp + b"\x05en_US"
    return struct.pack("!BHI", 1, 0, len(args)) + args + b"\xce"


def _frame(budget, s) -> bytes:
    return budget.recv(s, 8192, until=lambda d: len(d) >= 7 and len(d) >= 8 + struct.unpack("!I", d[3:7])[0])


def login(budget, host, port, user, password) -> str:
    s = budget.connect(host, port)
    try:
        s.sendall(HEADER)
        if method(_frame(budget, s)) != (10, 10):
            return _logins.CLOSED
        s.sendall(start_ok(user, password))
        m = method(_frame(budget, s))
        return _logins.ACCEPTED if m == (10, 30) else _logins.REJECTED if m == (10, 50) or m is None \
            else _logins.REJECTED
    finally:
        s.close()


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, port=port, cleartext=True)
    s = budget.connect(host, port)
    try:
        s.sendall(HEADER)
        start = _frame(budget, s)
    finally:
        s.close()
    obs.log("protocol header 0-9-1", f"Connection.Start ({len(start)} bytes)" if method(start) == (10, 10)
            else start[:40])
    if method(start) != (10, 10):
        return obs
    obs.verdict(False, "Connection.Start", "credentials asked (SASL)")
    return _logins.attempt(obs, budget, _logins.candidates(("admin", "guest"), DEFAULTS),
                           lambda u, p: login(budget, host, port, u, p))
