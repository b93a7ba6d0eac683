"""FTP (RFC 959): a ``220`` greeting first (an SMTP greeting is told apart by its words).

Sends ``USER anonymous`` / ``PASS`` (an e-mail-like string) — ``230`` is an anonymous login
(files readable without credentials) — then, when anonymous is refused, a bounded run of
well-known accounts and passwords (``ftp``, ``admin``, ``root``); then ``QUIT``. Nothing is listed,
read or written. Concludes: cleartext always (``AUTH TLS`` offered is a note); anonymous login;
a default credential; no lockout after the attempts.

References: RFC 959, RFC 1635 (anonymous FTP), RFC 4217 (FTPS); nmap ``ftp-anon``, ``ftp-brute``.
"""
from __future__ import annotations

import re

from . import ProtocolObservation
from . import _logins

NAME, TRANSPORT, PORTS, SERVER_FIRST = "ftp", "tcp", (21, 2121), True
ACCOUNTS = ("admin", "root", "ftp", "user")


def recognise(data: bytes) -> bool:
    head = data[:512].upper()
    return bool(re.match(rb"220[ -]", data)) and not any(w in head for w in (b"SMTP", b"POSTFIX", b"EXIM"))


def _reply(budget, s) -> bytes:
    # a failed PASS is answered after PAM's failure delay (pam_unix: about 2 s): wait for it
    return budget.recv(s, 2048, until=lambda d: re.search(rb"(^|\n)\d{3} [^\n]*\n", d) is not None, cap=5.0)


def login(budget, host, port, user: str, password: str) -> bytes:
    s = budget.connect(host, port)
    try:
        _reply(budget, s)
        s.sendall(f"USER {user}\r\n".encode())
        r = _reply(budget, s)
        if r.startswith(b"331"):
            s.sendall(f"PASS {password}\r\n".encode())
            r = _reply(budget, s)
        try:
            s.sendall(b"QUIT\r\n")
        except OSError:
            pass
        return r
    finally:
        s.close()


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, port=port, cleartext=True)
    r = login(budget, host, port, "anonymous", "probe@jcstar.invalid")
    obs.log("USER anonymous / PASS (e-mail address)", r)
    if r.startswith(b"230"):
        return obs.verdict(True, "anonymous login", r.decode("latin-1").split("\r")[0])
    obs.verdict(False, "anonymous login", r.decode("latin-1").split("\r")[0] or "refused")

    def one(user, pw):
        a = login(budget, host, port, user, pw)
        if a.startswith(b"230"):
            return _logins.ACCEPTED
        if not a:
            return _logins.CLOSED
        if a.startswith(b"421"):
            return _logins.LOCKED
        return _logins.REJECTED
    return _logins.attempt(obs, budget, _logins.candidates(ACCOUNTS), one)
