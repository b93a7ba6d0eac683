"""RTSP (RFC 2326 / 7826): IP cameras' stream control.

Sends ``OPTIONS *`` (identification) and ``DESCRIBE rtsp://host:port/`` without credentials.
Concludes: 200 with an SDP description is a stream offered without authentication; 401 asks for
it (Basic or Digest, a note); cleartext always (RTSPS is the TLS probe's).

References: RFC 2326 §10.2 (DESCRIBE), RFC 7826; nmap ``rtsp-methods``, ``rtsp-url-brute``.
"""
from __future__ import annotations

import re

from . import ProtocolObservation, host_header

NAME, TRANSPORT, PORTS, SERVER_FIRST = "rtsp", "tcp", (554, 8554), False


def hello(host: str, port: int) -> bytes:
    return b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: jcstar-agent-probe\r\n\r\n"


def recognise(data: bytes) -> bool:
    return data.startswith(b"RTSP/1.0 ") or data.startswith(b"RTSP/2.0 ")


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, port=port, cleartext=True)
    url = f"rtsp://{host_header(host)}:{port}/"
    req = (f"DESCRIBE {url} RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n"
           "User-Agent: jcstar-agent-probe\r\n\r\n").encode()
    a = budget.exchange(host, port, req, 8192, until=lambda d: b"\r\n\r\n" in d)
    obs.log(f"DESCRIBE {url} (no credentials)", a.split(b"\r\n")[0])
    m = re.match(rb"RTSP/\d\.\d (\d{3})", a)
    if not m:
        return obs
    code = int(m.group(1))
    if code == 200:
        return obs.verdict(True, "DESCRIBE without credentials", "200 with a stream description")
    if code in (401, 403):
        return obs.verdict(False, "DESCRIBE without credentials", str(code))
    return obs
