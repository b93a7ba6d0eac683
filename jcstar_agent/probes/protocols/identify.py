"""Which protocol a listener speaks, from the wire — never from its port number.

TCP: connect and wait briefly; a greeting is matched against the server-first protocols' own
``recognise`` (SSH, telnet, FTP, SMTP, POP3, IMAP, VNC, MySQL, rsync); an unknown greeting is an
unknown protocol (its banner kept). A silent listener gets the client-first hellos, one fresh
connection each: first a TLS handshake, then the others — those whose ``PORTS`` hint at the port
first, then the rest in the registry's order — until one recognises the answer, at most
``MAX_HELLOS`` of them and within the listener's deadline. UDP: the client-first UDP hellos alike
(a silent UDP port stays unknown: UDP has no refusal to read).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List

from . import BudgetSpent, printable
from . import registry

GREETING_WAIT = 1.0
HELLO_WAIT = 0.5
MAX_HELLOS = 24


@dataclass
class Identified:
    module: object = None            # the protocol module, None when unknown
    greeting: bytes = b""            # what a server-first service said
    tried: List[str] = field(default_factory=list)  # the hellos sent, in order

    @property
    def name(self) -> str:
        return self.module.NAME if self.module is not None else "unknown"


def identify(host: str, port: int, transport: str, budget) -> Identified:
    out = Identified()
    if transport == "udp":
        for m in registry.client_first("udp", port)[:MAX_HELLOS]:
            if budget.left() < 0.2:
                break
            out.tried.append(m.NAME)
            answer, _ = budget.datagram(host, port, m.hello(host, port), cap=HELLO_WAIT)
            if answer and m.recognise(answer):
                out.module = m
                return out
        return out
    s = budget.connect(host, port)
    try:
        out.greeting = budget.recv(s, 1024, until=lambda d: b"\n" in d or len(d) >= 12, cap=GREETING_WAIT)
    finally:
        s.close()
    if out.greeting:
        out.module = next((m for m in registry.server_first() if m.recognise(out.greeting)), None)
        if out.module is None:  # a greeting no server-first probe knows: unknown, with its banner
            out.tried.append(f"greeting: {printable(out.greeting, 60)}")
        return out
    for m in registry.client_first("tcp", port)[:MAX_HELLOS]:
        if budget.left() < 0.2:
            break
        out.tried.append(m.NAME)
        try:
            if hasattr(m, "detect"):
                ok = m.detect(host, port, budget)
            else:
                hello = getattr(m, "tcp_hello", m.hello)  # a protocol framed otherwise over TCP (DNS)
                ok = m.recognise(budget.exchange(host, port, hello(host, port), 2048, cap=HELLO_WAIT,
                                                 until=lambda d, m=m: m.recognise(d)))
        except BudgetSpent:
            break
        if ok:
            out.module = m
            return out
    return out
