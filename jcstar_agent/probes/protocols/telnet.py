"""Telnet (RFC 854): the server opens with IAC option negotiation (or a login prompt).

Sends a refusal of every option (DO → WONT, WILL → DONT), then reads what the server shows. Concludes:
cleartext always (passwords cross the network readable); a shell prompt (``#``/``$``/``>`` at the
end, no ``login:``/``Password:``) shown without any credential is a login without authentication
(BusyBox ``telnetd -l /bin/sh``); a ``login:`` prompt is authentication asked for. Nothing is typed.

References: RFC 854, RFC 855; nmap ``telnet-ntlm-info``.
"""
from __future__ import annotations

import re

from . import ProtocolObservation

NAME, TRANSPORT, PORTS, SERVER_FIRST = "telnet", "tcp", (23, 2323), True
IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240


def recognise(data: bytes) -> bool:
    return len(data) > 1 and data[0] == IAC and data[1] in (WILL, WONT, DO, DONT, SB)


def strip(data: bytes):
    """(text without negotiation, our refusals)."""
    out, reply, i = bytearray(), bytearray(), 0
    while i < len(data):
        b = data[i]
        if b == IAC and i + 1 < len(data):
            verb = data[i + 1]
            if verb in (DO, DONT, WILL, WONT) and i + 2 < len(data):
                if verb in (DO, WILL):
                    reply += bytes([IAC, WONT if verb == DO else DONT, data[i + 2]])
                i += 3
                continue
            if verb == SB:
                end = data.find(bytes([IAC, SE]), i)
                i = len(data) if end < 0 else end + 2
                continue
            i += 2
            continue
        out.append(b)
        i += 1
    return bytes(out), bytes(reply)


def judge(text: bytes):
    """True: a shell without login; False: a login prompt; None: cannot tell."""
    t = text.decode("latin-1").rstrip()
    if re.search(r"(login|username|user name|password)\s*:\s*$", t, re.I):
        return False
    if re.search(r"[#$>]\s*$", t) and not re.search(r"login|password", t, re.I):
        return True
    return None


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, port=port, cleartext=True)
    s = budget.connect(host, port)
    try:
        data = budget.recv(s, 2048, cap=1.0)
        text = b""
        for _ in range(4):  # negotiation rounds until the prompt settles
            t, reply = strip(data)
            text += t
            if reply:
                s.sendall(reply)
            if judge(text) is not None:
                break
            data = budget.recv(s, 2048, cap=1.0)
            if not data:
                break
    finally:
        s.close()
    obs.log("(options refused, nothing typed)", text)
    verdict = judge(text)
    if verdict is not None:
        obs.verdict(verdict, "connect without credentials",
                    "a shell prompt" if verdict else "a login prompt")
    return obs
