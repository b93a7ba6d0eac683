"""Plaintext protocol recognition: what a listener's first bytes (or its answer to a greeting) say.

Pure functions over bytes (unit-tested without sockets) plus the small socket helpers that
collect those bytes. Recognised: telnet (IAC option negotiation), FTP (``220`` greeting), SMTP
(``220 … SMTP``), SSH (``SSH-`` banner), HTTP (status line, and whether it redirects to
``https://``), MQTT (CONNACK to a CONNECT). Banners kept in results are trimmed printable text,
never anything a client sent.
"""
from __future__ import annotations

import re
import socket
import struct
from typing import Optional, Tuple

IAC = 0xFF
TELNET_VERBS = (0xFB, 0xFC, 0xFD, 0xFE, 0xFA)  # WILL WONT DO DONT SB
PLAINTEXT = {"telnet": True, "ftp": True, "smtp": True, "http": True, "mqtt": True, "imap": True,
             "pop3": True, "ssh": False, "tls": False}


def printable(data: bytes, limit: int = 80) -> str:
    """First printable line of a banner (telnet negotiation and control bytes removed)."""
    out, i = [], 0
    while i < len(data):
        b = data[i]
        if b == IAC and i + 1 < len(data):
            i += 3 if data[i + 1] in TELNET_VERBS[:4] else 2
            continue
        if b in (10, 13) and out:
            break
        if 32 <= b < 127:
            out.append(chr(b))
        i += 1
    return "".join(out).strip()[:limit]


def recognise_greeting(data: bytes) -> Optional[str]:
    """Protocol of a server-speaks-first greeting, or None."""
    if not data:
        return None
    if data[0] == IAC and len(data) > 1 and data[1] in TELNET_VERBS:
        return "telnet"
    if data.startswith(b"SSH-"):
        return "ssh"
    if re.match(rb"220[ -]", data):
        head = data[:512].upper()
        if b"SMTP" in head or b"POSTFIX" in head or b"EXIM" in head:
            return "smtp"
        return "ftp"
    if data.startswith(b"HTTP/"):
        return "http"
    if re.match(rb"\* OK", data):
        return "imap"
    if data.startswith(b"+OK"):
        return "pop3"
    return None


def http_request(host: str, path: str = "/") -> bytes:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal in Host is bracketed (RFC 9110 7.2 / RFC 3986)
    return (f"GET {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: jcstar-agent-probe\r\n"
            "Connection: close\r\n\r\n").encode()


def parse_http(data: bytes) -> Optional[Tuple[int, Optional[str]]]:
    """(status, Location header) of an HTTP response head, or None when it is not HTTP."""
    m = re.match(rb"HTTP/\d(?:\.\d)? (\d{3})", data)
    if not m:
        return None
    location = None
    head = data.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"location":
            location = value.strip().decode("latin-1")
    return int(m.group(1)), location


def redirects_to_https(status: int, location: Optional[str]) -> bool:
    return status in (301, 302, 303, 307, 308) and bool(location) and location.lower().startswith("https://")


def mqtt_connect(client_id: str, username: Optional[str] = None, password: Optional[bytes] = None) -> bytes:
    """An MQTT 3.1.1 CONNECT packet (clean session, keepalive 10 s)."""
    def s(b: bytes) -> bytes:
        return struct.pack("!H", len(b)) + b

    flags = 0x02
    payload = s(client_id.encode())
    if username is not None:
        flags |= 0x80
        payload += s(username.encode())
        if password is not None:
            flags |= 0x40
            payload += s(password)
    var = s(b"MQTT") + bytes([4, flags]) + struct.pack("!H", 10)
    body = var + payload
    return bytes([0x10]) + _remaining_length(len(body)) + body


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n % 128, n // 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def parse_connack(data: bytes) -> Optional[int]:
    """Return code of an MQTT CONNACK (0 accepted, 4 bad user/password, 5 not authorised)."""
    if len(data) >= 4 and data[0] == 0x20 and data[1] == 0x02:
        return data[3]
    return None


# --- sockets ----------------------------------------------------------------------------------
def connect(address: str, port: int, timeout: float) -> socket.socket:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((address, port))
    except BaseException:
        s.close()
        raise
    return s


def receive(s: socket.socket, timeout: float, limit: int = 4096) -> bytes:
    """What arrives within ``timeout`` (stops at the peer closing or ``limit`` bytes)."""
    import time

    s.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while len(data) < limit:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            chunk = s.recv(limit - len(data))
        except socket.timeout:
            break
        except OSError:
            break
        if not chunk:
            break
        data += chunk
        if data[0] == IAC and len(data) >= 3:
            break  # telnet option negotiation: enough to know, the server now waits for us
        if data.startswith((b"SSH-", b"220")) and b"\n" in data:
            break
    return data


def exchange(address: str, port: int, send: bytes, timeout: float, limit: int = 4096,
             within=None) -> bytes:
    """Connect, send, return what comes back (b'' on silence or a closed connection), all within
    ``timeout`` seconds in total (and within the ``within`` deadline, if given)."""
    from ..deadline import Deadline

    with Deadline(timeout, within=within) as d:
        s = connect(address, port, d.timeout(timeout))
        try:
            d.watch(s)
            s.settimeout(d.timeout(timeout))
            s.sendall(send)  # a peer that never reads is cut at the deadline
            return receive(s, d.left(), limit)
        finally:
            s.close()
