"""PostgreSQL (frontend/backend protocol 3.0): the client speaks first.

Sends a StartupMessage as user ``postgres`` (the superuser every Debian/Yocto package creates) to
database ``postgres``, reads the first authentication message and closes (Terminate). Concludes:
``AuthenticationOk`` with no password asked is a superuser login without authentication (a
``trust`` line in pg_hba.conf); ``AuthenticationCleartextPassword`` / ``MD5Password`` /
``SASL`` ask for one (then, for cleartext and MD5, a bounded run of well-known passwords —
SCRAM is not attempted); an ``ErrorResponse`` (no pg_hba entry) refuses. Cleartext unless the
client asks for TLS (an ``SSLRequest`` answered ``S`` is a note).

References: PostgreSQL docs, Frontend/Backend Protocol §55.2 (start-up), §55.7 (message formats);
pg_hba.conf ``trust``; nmap ``pgsql-brute``.
"""
from __future__ import annotations

import hashlib
import struct

from . import ProtocolObservation
from . import _logins

NAME, TRANSPORT, PORTS, SERVER_FIRST = "postgresql", "tcp", (5432,), False
AUTH = {0: "AuthenticationOk", 2: "KerberosV5", 3: "CleartextPassword", 5: "MD5Password",
        7: "GSS", 9: "SSPI", 10: "SASL"}


def startup(user: str = "postgres", database: str = "postgres") -> bytes:
    body = struct.pack("!I", 196608) + b"user\x00" + user.encode() + b"\x00database\x00" + \
        database.encode() + b"\x00\x00"
    return struct.pack("!I", len(body) + 4) + body


def hello(host: str, port: int) -> bytes:
    return startup()


def recognise(data: bytes) -> bool:
    if len(data) < 9 or data[:1] not in (b"R", b"E"):
        return False
    n = struct.unpack("!I", data[1:5])[0]
    return 8 <= n < 8192 and (data[:1] == b"R" or b"SFATAL" in data or b"\x00C" in data)


def _first(budget, s) -> bytes:
    return budget.recv(s, 2048, until=lambda d: len(d) >= 5 and len(d) >= 1 + struct.unpack("!I", d[1:5])[0])


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, port=port, cleartext=True)
    ssl = budget.exchange(host, port, struct.pack("!II", 8, 80877103), 1, until=lambda d: len(d) >= 1)
    if ssl == b"S":
        obs.notes.append("TLS offered (SSLRequest answered S), optional for the client")
    s = budget.connect(host, port)
    try:
        s.sendall(startup())
        a = _first(budget, s)
        s.sendall(b"X\x00\x00\x00\x04")
    finally:
        s.close()
    if a[:1] == b"R" and len(a) >= 9:
        code = struct.unpack("!I", a[5:9])[0]
        obs.log("StartupMessage user=postgres database=postgres (no password)", f"Authentication{AUTH.get(code, code)}")
        if code == 0:
            return obs.verdict(True, "start-up as postgres without a password", "AuthenticationOk")
        obs.verdict(False, "start-up as postgres without a password", AUTH.get(code, str(code)))
        if code in (3, 5):
            return _logins.attempt(obs, budget, _logins.candidates(("postgres",)),
                                   lambda u, p: _password(budget, host, port, u, p))
        return obs
    if a[:1] == b"E":
        msg = next((f[1:].decode("latin-1") for f in a[5:].split(b"\x00") if f[:1] == b"M"), "error")
        obs.log("StartupMessage user=postgres database=postgres (no password)", f"ErrorResponse: {msg[:80]}")
        return obs.verdict(False, "start-up as postgres without a password", "refused: " + msg[:60])
    return obs


def _password(budget, host, port, user: str, pw: str) -> str:
    s = budget.connect(host, port)
    try:
        s.sendall(startup(user))
        a = _first(budget, s)
        if a[:1] != b"R" or len(a) < 9:
            return _logins.CLOSED
        code = struct.unpack("!I", a[5:9])[0]
        if code == 3:
            secret = pw.encode() + b"\x00"
        elif code == 5:
            inner = hashlib.md5(pw.encode() + user.encode()).hexdigest().encode()  # nosec - the protocol's
            secret = b"md5" + hashlib.md5(inner + a[9:13]).hexdigest().encode() + b"\x00"  # nosec
        else:
            return _logins.REJECTED
        s.sendall(b"p" + struct.pack("!I", len(secret) + 4) + secret)
        r = _first(budget, s)
        s.sendall(b"X\x00\x00\x00\x04")
        if r[:1] == b"R" and r[5:9] == b"\x00\x00\x00\x00":
            return _logins.ACCEPTED
        return _logins.REJECTED if r else _logins.CLOSED
    finally:
        s.close()
