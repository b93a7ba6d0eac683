"""PostgreSQL (frontend/backend protocol 3.0): the client speaks first.

Sends a StartupMessage as user ``postgres`` (the superuser every Debian/Yocto package creates) to
database ``postgres``, reads the first authentication message and closes (Terminate). Concludes:
``AuthenticationOk`` with no password asked is a superuser login without authentication (a
``trust`` line in pg_hba.conf); ``AuthenticationCleartextPassword`` / ``MD5Password`` /
``SASL`` ask for one, then a bounded run of well-known passwords (``postgres``/``postgres`` …,
bounded by ``--password-budget``): cleartext, MD5 (``md5`` + md5(md5(password + user) + salt)) or
SCRAM-SHA-256 (RFC 5802/7677, no channel binding: ``n,,``); a login counts as accepted only when
the server's final SCRAM message proves it knows the verifier and ``AuthenticationOk`` follows. An
``ErrorResponse`` (no pg_hba entry) refuses. Cleartext unless the
client asks for TLS (an ``SSLRequest`` answered ``S`` is a note).

References: PostgreSQL docs, Frontend/Backend Protocol §55.2 (start-up), §55.7 (message formats),
§55.3.1 (SCRAM-SHA-256); RFC 5802 (SCRAM), RFC 7677 (SCRAM-SHA-256);
pg_hba.conf ``trust``; nmap ``pgsql-brute``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from typing import Tuple

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
        if code in (3, 5) or (code == 10 and b"SCRAM-SHA-256\x00" in a[9:]):
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
        elif code == 10 and b"SCRAM-SHA-256\x00" in a[9:]:
            return _scram(budget, s, pw)
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


def scram_sha256(pw: str, salt: bytes, iterations: int, auth_message: bytes) -> Tuple[str, str]:
    """(ClientProof, ServerSignature), base64, of RFC 5802 §3 with SHA-256 (RFC 7677)."""
    salted = hashlib.pbkdf2_hmac("sha256", pw.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    signature = hmac.new(hashlib.sha256(client_key).digest(), auth_message, hashlib.sha256).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    return (base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature))).decode(),
            base64.b64encode(hmac.new(server_key, auth_message, hashlib.sha256).digest()).decode())


def _scram(budget, s, pw: str) -> str:
    """SCRAM-SHA-256 over an open connection that was just sent ``AuthenticationSASL``."""
    nonce = base64.b64encode(secrets.token_bytes(18)).decode()
    first_bare = f"n=,r={nonce}"  # PostgreSQL takes the user from the start-up message
    first = ("n,," + first_bare).encode()
    body = b"SCRAM-SHA-256\x00" + struct.pack("!i", len(first)) + first
    s.sendall(b"p" + struct.pack("!I", len(body) + 4) + body)
    r = _first(budget, s)
    if r[:1] != b"R" or len(r) < 9 or struct.unpack("!I", r[5:9])[0] != 11:  # AuthenticationSASLContinue
        return _logins.REJECTED if r else _logins.CLOSED
    server_first = r[9:1 + struct.unpack("!I", r[1:5])[0]].decode("ascii", "replace")
    attrs = dict(kv.split("=", 1) for kv in server_first.split(",") if "=" in kv)
    try:
        salt, iterations = base64.b64decode(attrs["s"]), int(attrs["i"])
    except (KeyError, ValueError):
        return _logins.REJECTED
    if not attrs.get("r", "").startswith(nonce) or not 0 < iterations <= 100000:
        return _logins.REJECTED
    final_bare = f"c=biws,r={attrs['r']}"  # biws: base64 of "n,,"
    auth_message = f"{first_bare},{server_first},{final_bare}".encode()
    proof, verifier = scram_sha256(pw, salt, iterations, auth_message)
    final = f"{final_bare},p={proof}".encode()
    s.sendall(b"p" + struct.pack("!I", len(final) + 4) + final)
    r = _first(budget, s)
    if r[:1] == b"R" and len(r) >= 9 and struct.unpack("!I", r[5:9])[0] == 12:  # AuthenticationSASLFinal
        got = r[9:1 + struct.unpack("!I", r[1:5])[0]]
        rest = r[1 + struct.unpack("!I", r[1:5])[0]:] or _first(budget, s)
        s.sendall(b"X\x00\x00\x00\x04")
        ok = hmac.compare_digest(got, f"v={verifier}".encode()) and rest[:1] == b"R" and rest[5:9] == b"\x00\x00\x00\x00"
        return _logins.ACCEPTED if ok else _logins.REJECTED
    return _logins.REJECTED if r else _logins.CLOSED
