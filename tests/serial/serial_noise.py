"""A line-noise model of a console UART, shared by the property tests, the pty relay and the
serial benchmark: lines dropped, duplicated, corrupted (a byte flipped, a line cut short, a
kernel message written into the middle of it, with or without a newline before it, or the tail
of one glued in front) and garbage lines injected between them."""
from __future__ import annotations

import random
from typing import Iterable, List

KERNEL = (
    b"[   12.345678] usb 1-1: new high-speed USB device number 3 using dwc2",
    b"[  101.000001] g_serial gadget: g_serial ready",
    b"<6>[ 3.14] EXT4-fs (mmcblk0p2): mounted filesystem with ordered data mode",
    b"Debian GNU/Linux 12 gw-0001 ttyGS0",
    b"gw-0001 login: ",
    b"@JCS1 D 00beef 1 AAAA 00000000",  # looks like ours, wrong CRC
    b"@JCS1 Q attest ../../etc/shadow 12345678",
)


class Noise:
    def __init__(self, seed: int = 0, drop: float = 0.1, dup: float = 0.1, corrupt: float = 0.1,
                 garbage: float = 0.1):
        self.rng = random.Random(seed)
        self.drop, self.dup, self.corrupt, self.garbage = drop, dup, corrupt, garbage
        self.stats = {"lines": 0, "dropped": 0, "duplicated": 0, "corrupted": 0, "injected": 0}
        self.kinds = [0] * 5  # corruptions by kind (see mangle)

    def junk(self) -> bytes:
        r = self.rng
        kind = r.randrange(3)
        if kind == 0:
            return r.choice(KERNEL)
        if kind == 1:
            return bytes(r.randrange(256) for _ in range(r.randrange(0, 80))).replace(b"\n", b"")
        return b""

    def mangle(self, line: bytes) -> bytes:
        r = self.rng
        body = line.rstrip(b"\n")
        if not body:
            return self.junk()
        kind = r.randrange(5)
        self.kinds[kind] += 1
        i = r.randrange(len(body))
        if kind == 0:  # one byte changed
            return body[:i] + bytes([(body[i] + r.randrange(1, 256)) % 256]).replace(b"\n", b"x") + body[i + 1:]
        if kind == 1:  # cut short
            return body[:i]
        if kind == 2:  # a kernel message printed into the middle of our line, on lines of its own
            return body[:i] + b"\n" + r.choice(KERNEL) + b"\n" + body[i:]
        if kind == 3:  # a printk in the middle of our line as a console shows it: no newline before
            return body[:i] + r.choice(KERNEL) + b"\r\n" + body[i:]
        # the tail of a kernel message still going out when our line starts: glued in front
        k = r.choice(KERNEL)
        return k[r.randrange(len(k)):] + body

    def lines(self, lines: Iterable[bytes]) -> List[bytes]:
        """What arrives for these lines (each without or with its newline)."""
        out: List[bytes] = []
        r = self.rng
        for line in lines:
            body = line.rstrip(b"\n")
            self.stats["lines"] += 1
            if r.random() < self.garbage:
                out.append(self.junk())
                self.stats["injected"] += 1
            if r.random() < self.drop:
                self.stats["dropped"] += 1
                continue
            if r.random() < self.corrupt:
                self.stats["corrupted"] += 1
                body = self.mangle(body)
            out.append(body)
            if r.random() < self.dup:
                self.stats["duplicated"] += 1
                out.append(body)
        return out

    def stream(self, lines: Iterable[bytes]) -> bytes:
        return b"".join(l + b"\n" for l in self.lines(lines))
