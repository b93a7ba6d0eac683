"""Issue 12 item 12 (serial part): a resend answer is bounded by what was asked.

A host may name lines of the last transfer again; a request line (at most MAX_REQUEST bytes)
that repeats the widest range as often as it fits must draw each line at most once — at most
one copy of the transfer — never a multiple of it (it drew 311,927 bytes for 251 before).
"""
from __future__ import annotations

import os

from jcstar_agent.serial import framing
from jcstar_agent.serial.device import Responder


def answered(responder, line: bytes) -> list:
    return list(responder.handle(line))


def test_repeated_ranges_draw_each_line_once():
    document = os.urandom(60_000)  # incompressible: ~210 data lines
    r = Responder(lambda nonce: document)
    first = answered(r, framing.seal("Q", "attest", "nonce-0001"))
    transfer = first[1:]  # the accept line, then header, data lines, end
    assert len(transfer) > 100
    xid = r.last.xid
    budget = framing.MAX_REQUEST - len(framing.seal("Q", "resend", xid, "")) - 1
    spec = ",".join(["1-999999999"] * (budget // len("1-999999999,")) + ["h"])
    line = framing.seal("Q", "resend", xid, spec)
    assert len(line) <= framing.MAX_REQUEST
    answer = answered(r, line)
    assert answer, "a valid resend request is answered"
    size = sum(map(len, answer))
    assert size <= sum(map(len, transfer)), (size, len(line))
    data = [ln for ln in answer if ln.split(b" ")[1] == b"D"]
    assert len(data) == len(set(data)) == len(r.last.data)  # every line, once, in order
    assert data == r.last.data


def test_named_lines_are_exactly_those_asked():
    r = Responder(lambda nonce: os.urandom(20_000))
    answered(r, framing.seal("Q", "attest", "nonce-0002"))
    xid = r.last.xid
    answer = answered(r, framing.seal("Q", "resend", xid, "3,5-6,3,5,e"))
    assert answer == [r.last.data[2], r.last.data[4], r.last.data[5], r.last.end]
