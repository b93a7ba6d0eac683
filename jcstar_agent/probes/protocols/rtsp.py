"""RTSP (RFC 2326 / 7826): IP cameras' stream control.

Sends ``OPTIONS *`` (identification) and ``DESCRIBE`` without credentials, first on ``/`` and then,
while the server answers 404, on the stream paths cameras ship (``STREAM_PATHS``: the head of
nmap's ``rtsp-url-brute`` list; at most that many requests). Concludes: 200 with an SDP
description is a stream offered without authentication (S1.1-01); 401 asks for credentials —
then, with ``Basic`` or ``Digest`` asked, a bounded run of well-known accounts and passwords
(S1.1-02 when one is accepted, S1.1-04 from the rejections); 404 on every path asked decides
nothing (a note). Cleartext always (RTSPS is the TLS probe's). Nothing is played (no SETUP/PLAY).

Example: a camera whose ``/stream1`` answers ``DESCRIBE`` with ``200`` and ``application/sdp``
fails ``LISTENER-NO-AUTH``; one that takes ``admin``/``admin`` fails ``LISTENER-DEFAULT-CREDENTIAL``.

References: RFC 2326 §10.2 (DESCRIBE), RFC 7826; RFC 7617 (Basic), RFC 7616 (Digest); nmap
``rtsp-methods``, ``rtsp-url-brute``.
"""
from __future__ import annotations

import base64
import re
from typing import Optional, Tuple

from . import ProtocolObservation, host_header
from . import _digest, _logins

NAME, TRANSPORT, PORTS, SERVER_FIRST = "rtsp", "tcp", (554, 8554), False
STREAM_PATHS = ("/", "/live", "/live.sdp", "/stream1", "/stream", "/h264", "/ch0", "/11", "/video1",
                "/cam/realmonitor", "/Streaming/Channels/101", "/media.amp")
ACCOUNTS = ("admin", "root", "user")


def hello(host: str, port: int) -> bytes:
    return b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: jcstar-agent-probe\r\n\r\n"


def recognise(data: bytes) -> bool:
    # the CSeq echo too: some HTTP servers (miniupnpd's) answer in the request's version, "RTSP/1.0 501"
    return (data.startswith(b"RTSP/1.0 ") or data.startswith(b"RTSP/2.0 ")) and b"\r\ncseq:" in data.lower()


def _describe(budget, host: str, port: int, url: str, auth: str = "") -> Tuple[Optional[int], str]:
    """(status, WWW-Authenticate) of one DESCRIBE; (None, '') without an RTSP answer."""
    extra = f"Authorization: {auth}\r\n" if auth else ""
    req = (f"DESCRIBE {url} RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n{extra}"
           "User-Agent: jcstar-agent-probe\r\n\r\n").encode()
    a = budget.exchange(host, port, req, 8192, until=lambda d: b"\r\n\r\n" in d)
    m = re.match(rb"RTSP/\d\.\d (\d{3})", a)
    if not m:
        return None, ""
    challenge = re.search(rb"\r\nWWW-Authenticate:\s*([^\r\n]*)", a, re.I)
    return int(m.group(1)), challenge.group(1).decode("latin-1") if challenge else ""


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, port=port, cleartext=True)
    base = f"rtsp://{host_header(host)}:{port}"
    for path in STREAM_PATHS:
        if budget.left() < 1.0:
            break
        url = base + path
        code, challenge = _describe(budget, host, port, url)
        obs.log(f"DESCRIBE {url} (no credentials)", f"{code} {challenge.split(' ')[0]}".strip())
        if code == 404:
            continue
        if code == 200:
            return obs.verdict(True, f"DESCRIBE {path} without credentials", "200 with a stream description")
        if code in (401, 403):
            obs.verdict(False, f"DESCRIBE {path} without credentials", f"{code} {challenge.split(' ')[0]}".strip())
            if code == 401:
                _defaults(obs, budget, host, port, url, challenge)
        return obs
    if obs.exchanges:
        obs.notes.append(f"no stream on the {len(obs.exchanges)} path(s) asked (404): not judged")
    return obs


def _defaults(obs: ProtocolObservation, budget, host: str, port: int, url: str, challenge: str) -> None:
    """The bounded default-credential tries, in the scheme the server asked for."""
    scheme = challenge.split(" ")[0].lower()
    if scheme not in ("basic", "digest"):
        return

    def one(user: str, pw: str) -> str:
        if scheme == "basic":
            auth = "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()
        else:  # a fresh nonce for each try: a server may bind one to its connection
            code, fresh = _describe(budget, host, port, url)
            ch = _digest.challenge(fresh) or _digest.challenge(challenge)
            auth = _digest.authorization(ch, user, pw, "DESCRIBE", url)
        code, _ = _describe(budget, host, port, url, auth)
        if code is None:
            return _logins.CLOSED
        if code in (423, 429, 453, 503):
            return _logins.LOCKED
        return _logins.ACCEPTED if code == 200 else _logins.REJECTED
    _logins.attempt(obs, budget, _logins.candidates(ACCOUNTS), one)
