"""Redis (RESP): a key-value store; the client speaks first.

Sends ``PING`` without ``AUTH``. Concludes: ``+PONG`` is the whole store readable and writable by anyone (no
authentication); ``-NOAUTH`` asks for a password; ``-DENIED`` is protected mode refusing a
client. When a password is asked, a bounded run of ``AUTH <password>`` (the legacy default user)
with well-known passwords. Nothing is read or written (``PING``/``AUTH``/``QUIT`` only).
Cleartext unless TLS (that is the TLS probe's).

References: Redis security (``requirepass``, protected mode, ACL); RESP specification; nmap
``redis-info``.
"""
from __future__ import annotations

from . import ProtocolObservation
from . import _logins

NAME, TRANSPORT, PORTS, SERVER_FIRST = "redis", "tcp", (6379, 6380), False


def hello(host: str, port: int) -> bytes:
    return b"PING\r\n"


def recognise(data: bytes) -> bool:
    return data.startswith((b"+PONG", b"-NOAUTH", b"-DENIED", b"-ERR operation not permitted"))


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, port=port, cleartext=True)
    a = budget.exchange(host, port, b"PING\r\nQUIT\r\n", 512, until=lambda d: d.count(b"\r\n") >= 1)
    obs.log("PING (no AUTH)", a.split(b"\r\n")[0])
    if a.startswith(b"+PONG"):
        return obs.verdict(True, "PING without AUTH", "+PONG")
    if not a.startswith((b"-NOAUTH", b"-DENIED", b"-ERR")):
        return obs
    obs.verdict(False, "PING without AUTH", a.split(b"\r\n")[0].decode("latin-1")[:60])

    def one(user, pw):
        r = budget.exchange(host, port, b"AUTH " + _bulk(pw) + b"\r\nQUIT\r\n", 256,
                            until=lambda d: b"\r\n" in d)
        return (_logins.ACCEPTED if r.startswith(b"+OK") else _logins.CLOSED if not r else _logins.REJECTED)
    return _logins.attempt(obs, budget, _logins.candidates(("default",)), one)


def _bulk(pw: str) -> bytes:
    """The password as one inline argument (quoted: spaces and quotes escaped)."""
    return b'"' + pw.encode().replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
