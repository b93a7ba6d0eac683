"""SIP (RFC 3261): VoIP gateways, door phones, intercoms — over UDP (and TCP).

Sends ``OPTIONS sip:<host>`` (identification; the ``Server``/``User-Agent`` header is a note), then
a ``REGISTER`` **without a Contact header** for a random address-of-record — RFC 3261 §10.2.3's
*query* of the current bindings, which stores nothing — and, when the registrar asks for
credentials (401/407 with ``Digest``), a bounded run of well-known extension/account names and
passwords on the same query. Never an INVITE, never a binding added. Concludes: ``200`` to the
query is a registrar that answers without authentication (anyone may register as any user and
take its calls: S1.1-01); 401/407 asks for credentials; a try accepted is a default credential
(S1.1-02); rejections without lockout or delay are S1.1-04's. Any other answer (kamailio's
``403 Not relaying`` for an address it does not take as its own domain) asks for no credentials
and decides nothing (a note). SIP over UDP/TCP is cleartext
signalling (SIP over TLS is the TLS probe's).

Example: kamailio with its packaged ``kamailio.cfg`` (no ``WITH_AUTH``) answers the query with
``200 OK``: ``LISTENER-NO-AUTH``.

References: RFC 3261 §10.2.3 (querying bindings), §11 (OPTIONS), §22 (Digest); nmap
``sip-methods``, ``sip-brute``.
"""
from __future__ import annotations

import re
import secrets
from typing import Optional, Tuple

from . import ProtocolObservation, host_header
from . import _digest, _logins

NAME, TRANSPORT, PORTS, SERVER_FIRST = "sip", ("udp", "tcp"), (5060,), False
ACCOUNTS = ("100", "1000", "admin")


def _message(method: str, host: str, port: int, transport: str, user: str, auth: str = "",
             max_forwards: int = 70, header: str = "Authorization") -> bytes:
    h = host_header(host)
    tag = secrets.token_hex(6)
    uri = f"sip:{h}:{port}"
    aor = f"<sip:{user}@{h}>" if user else f"<sip:{h}>"
    extra = f"{header}: {auth}\r\n" if auth else ""
    return (f"{method} {uri} SIP/2.0\r\nVia: SIP/2.0/{transport.upper()} {h}:9;rport;branch=z9hG4bK{tag}\r\n"
            f"Max-Forwards: {max_forwards}\r\nFrom: {aor};tag={tag}\r\nTo: {aor}\r\n"
            f"Call-ID: {tag}@jcstar\r\nCSeq: 1 {method}\r\n{extra}User-Agent: jcstar-agent-probe\r\n"
            "Content-Length: 0\r\n\r\n").encode()


def hello(host: str, port: int, transport: str = "UDP") -> bytes:
    return _message("OPTIONS", host, port, transport, "probe", max_forwards=0).replace(
        b"To: <sip:probe@", b"To: <sip:", 1)


def recognise(data: bytes) -> bool:
    return data.startswith(b"SIP/2.0 ")


def _ask(budget, host: str, port: int, transport: str, msg: bytes) -> bytes:
    if transport == "udp":
        return budget.datagram(host, port, msg)[0]
    return budget.exchange(host, port, msg, 4096, until=lambda d: b"\r\n\r\n" in d)


def _status(a: bytes) -> Tuple[Optional[int], str]:
    """(status, the Digest challenge header) of a SIP response."""
    m = re.match(rb"SIP/2\.0 (\d{3})", a)
    ch = re.search(rb"\r\n(?:WWW|Proxy)-Authenticate:\s*([^\r\n]*)", a, re.I)
    return (int(m.group(1)) if m else None), (ch.group(1).decode("latin-1") if ch else "")


def probe(host: str, port: int, budget, greeting: bytes = b"", transport: str = "udp") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, transport=transport, port=port, cleartext=True)
    a = _ask(budget, host, port, transport, hello(host, port, transport))
    obs.log("OPTIONS", a.split(b"\r\n")[0])
    for line in a.split(b"\r\n"):
        if line.lower().startswith((b"server:", b"user-agent:")):
            obs.notes.append(line.decode("latin-1")[:80])
    user = f"jcstar-probe-{secrets.token_hex(4)}"
    a = _ask(budget, host, port, transport, _message("REGISTER", host, port, transport, user))
    code, challenge = _status(a)
    obs.log("REGISTER without Contact (a bindings query, no credentials)", a.split(b"\r\n")[0])
    question = "REGISTER (bindings query) without credentials"
    if code == 200:
        return obs.verdict(True, question, "200 OK: the registrar answers anyone")
    if code in (401, 407):
        obs.verdict(False, question, f"{code} {challenge.split(' ')[0]}".strip())
        if _digest.challenge(challenge):
            _defaults(obs, budget, host, port, transport)
    elif code is not None:  # e.g. 403 "Not relaying": not a domain it serves, no credential asked
        obs.notes.append(f"REGISTER query answered {code}: not judged (no credentials were asked for)")
    return obs


def _defaults(obs: ProtocolObservation, budget, host: str, port: int, transport: str) -> None:
    def one(user: str, pw: str) -> str:
        a = _ask(budget, host, port, transport, _message("REGISTER", host, port, transport, user))
        code, challenge = _status(a)
        ch = _digest.challenge(challenge)
        if code is None:
            return _logins.CLOSED
        if code not in (401, 407) or not ch:
            return _logins.LOCKED if code in (403, 429, 503) else _logins.REJECTED
        uri = f"sip:{host_header(host)}:{port}"
        auth = _digest.authorization(ch, user, pw, "REGISTER", uri)
        header = "Proxy-Authorization" if code == 407 else "Authorization"
        a = _ask(budget, host, port, transport, _message("REGISTER", host, port, transport, user, auth,
                                                         header=header))
        code, _ = _status(a)
        if code is None:
            return _logins.CLOSED
        if code in (403, 429, 503):
            return _logins.LOCKED
        return _logins.ACCEPTED if code == 200 else _logins.REJECTED
    _logins.attempt(obs, budget, _logins.candidates(ACCOUNTS), one)
