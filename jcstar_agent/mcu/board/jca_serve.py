"""The micro-agent's own serial endpoint: ``jcstar-agent pull`` without the REPL, while the product runs.

MicroPython-only module. It speaks the framed line protocol of the Linux ``serve``
(jcstar_agent/serial/framing.py: ``@JCS1`` lines with a CRC32, verbs ping, attest and resend) as
an asyncio task beside the product's own tasks, on the USB console or a second UART, so
``jcstar-agent pull --port DEV`` and ``factory --port DEV`` attest a board as they attest a Linux
device, with the REPL off (``micropython.kbd_intr(-1)``: mpremote cannot interrupt ``main.py``)::

    import asyncio, micropython, jca_serve
    micropython.kbd_intr(-1)              # production: Ctrl-C no longer stops main.py
    async def main():
        jca_serve.start()                 # or jca_serve.start(machine.UART(1, 115200, tx=.., rx=..))
        await product()                   # the product's own loop
    asyncio.run(main())

An attest request runs ``jca_main.attest_steps`` (facts, criteria, signature: the product's tasks
run between the steps and between the lines sent), then sends the envelope file as the protocol's
``zlib+base64`` document: a zlib stream of stored deflate blocks made on the fly from the flash
file (the board needs no compressor, and a resent line is cut from the file again, never kept in
RAM). Request lines are read in pieces and dropped past MAX_REQUEST bytes; anything that is not an
exact request is ignored. Between requests only this module stays loaded: the check and signing
code are dropped after each attestation.
"""
import os
import sys
import gc
import hashlib
from binascii import b2a_base64, hexlify

MARK = "@JCS1"
CHUNK = 288  # zlib bytes per data line: 384 base64 characters, as the host expects
MAX_REQUEST = 256
ENV = "jca_env.json"
NONCE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
BLOCK = 65535  # bytes of a stored deflate block
TRACE = False


def _crc32(data):
    try:
        from binascii import crc32  # pyright: ignore[reportAttributeAccessIssue] (most ports have it)
        return crc32(data) & 0xFFFFFFFF
    except ImportError:
        c = 0xFFFFFFFF
        for b in data:
            c ^= b
            for _ in range(8):
                c = (c >> 1) ^ (0xEDB88320 if c & 1 else 0)
        return c ^ 0xFFFFFFFF


def seal(*fields):
    """One protocol line: marker, fields, CRC32 of all that, newline (framing.seal)."""
    body = " ".join((MARK,) + fields)
    return ("%s %08x\n" % (body, _crc32(body.encode()))).encode()


def _nonce_ok(s):
    return 8 <= len(s) <= 64 and not [c for c in s if c not in NONCE_CHARS]


def _xid_ok(s):
    return len(s) == 6 and not [c for c in s if c not in "0123456789abcdef"]


def _num_ok(s):
    return 1 <= len(s) <= 9 and s[0] != "0" and not [c for c in s if c not in "0123456789"]


def parse(line):
    """(verb, nonce or xid, spec) of an exact request line, or None (framing.parse_line)."""
    try:
        text = line.decode()
    except UnicodeError:
        return None
    at = text.rfind(MARK)
    if at < 0:
        return None
    text = text[at:].rstrip("\r\n")
    body, _, check = text.rpartition(" ")
    if not body or check != "%08x" % _crc32(body.encode()):
        return None
    f = body.split(" ")
    if len(f) < 4 or f[1] != "Q":
        return None
    if f[2] in ("ping", "attest") and len(f) == 4 and _nonce_ok(f[3]):
        return f[2], f[3], ""
    if f[2] == "resend" and len(f) == 5 and _xid_ok(f[3]):
        for item in f[4].split(","):
            lo, _, hi = item.partition("-")
            if item not in ("h", "e") and not (_num_ok(lo) and (not hi or _num_ok(hi))):
                return None
        return "resend", f[3], f[4]
    return None


class Transfer:
    """The envelope file as the protocol's document: zlib (stored blocks) + base64 lines."""

    def __init__(self, path, xid, nonce):
        self.path, self.xid, self.nonce = path, xid, nonce
        self.size = os.stat(path)[6]
        h = hashlib.sha256()
        a, b = 1, 0
        buf = bytearray(512)
        with open(path, "rb") as fh:
            while True:
                n = fh.readinto(buf)
                if not n:
                    break
                mv = memoryview(buf)[:n]
                h.update(mv)
                for x in mv:
                    a += x
                    b += a
                a %= 65521  # adler32, reduced per piece: 512 bytes cannot overflow anything
                b %= 65521
        self.adler = (b << 16) | a
        self.sha = hexlify(h.digest()).decode()
        self.blocks = max(1, -(-self.size // BLOCK))
        self.zbytes = 2 + 5 * self.blocks + self.size + 4
        self.lines = max(1, -(-self.zbytes // CHUNK))

    def _segments(self):
        """(z offset, bytes or file offset, length) of the zlib stream's pieces, in order."""
        yield 0, b"\x78\x01", 2  # CMF/FLG: deflate, 32 KiB window, no dictionary
        z, left, off = 2, self.size, 0
        for k in range(self.blocks):
            n = min(left, BLOCK)
            last = 1 if k == self.blocks - 1 else 0
            yield z, bytes((last, n & 0xFF, n >> 8, (~n) & 0xFF, ((~n) >> 8) & 0xFF)), 5
            yield z + 5, off, n
            z, left, off = z + 5 + n, left - n, off + n
        a = self.adler
        yield z, bytes(((a >> 24) & 0xFF, (a >> 16) & 0xFF, (a >> 8) & 0xFF, a & 0xFF)), 4

    def zread(self, start, n):
        out = bytearray()
        end = start + n
        with open(self.path, "rb") as fh:
            for z, src, ln in self._segments():
                lo, hi = max(start, z), min(end, z + ln)
                if lo >= hi:
                    continue
                if isinstance(src, bytes):
                    out += src[lo - z:hi - z]
                else:
                    fh.seek(src + lo - z)
                    out += fh.read(hi - lo)
        return bytes(out)

    def header(self):
        return seal("H", self.xid, self.nonce, "zlib+base64", str(self.lines), str(self.zbytes),
                    str(self.size), self.sha)

    def data(self, n):
        piece = self.zread((n - 1) * CHUNK, CHUNK)
        return seal("D", self.xid, str(n), b2a_base64(piece).decode().strip())

    def end(self):
        return seal("E", self.xid, str(self.lines))

    def select(self, spec):
        """The line numbers a resend spec names, once each, in order (framing.parse_spec)."""
        header = end = False
        wanted = []
        for item in spec.split(","):
            if item == "h":
                header = True
            elif item == "e":
                end = True
            else:
                lo, _, hi = item.partition("-")
                for n in range(max(1, int(lo)), min(int(hi or lo), self.lines) + 1):
                    if n not in wanted and len(wanted) < self.lines:
                        wanted.append(n)
        wanted.sort()
        return header, wanted, end


def _agent():
    try:
        import json
        with open("jca_cfg.json") as fh:
            v = str(json.load(fh).get("agent_version", "0"))
    except (OSError, ValueError):
        v = "0"
    v = "".join(c for c in v if c in NONCE_CHARS or c in "./+")[:32] or "0"
    return "jcstar-agent-micropython/" + v


def _release():
    """Drop the check and signing code (everything jca_ but this module) from RAM."""
    for k in [k for k in sys.modules if k.startswith("jca_") and k != "jca_serve"]:
        del sys.modules[k]
    gc.collect()


class Endpoint:
    def __init__(self, writer, log=None):
        self.w = writer
        self.last = None
        self.agent = _agent()
        self.log = log
        self.answered = 0

    async def _send(self, line):
        import asyncio
        self.w.write(line)
        await asyncio.sleep_ms(0)  # the product's tasks run between lines

    async def handle(self, line):
        req = parse(line)
        if req is None:
            return
        verb, arg, spec = req
        if verb == "ping":
            await self._send(seal("P", arg, self.agent))
        elif verb == "attest":
            await self._attest(arg)
        elif verb == "resend" and self.last is not None and self.last.xid == arg:
            t = self.last
            header, nums, _ = t.select(spec)
            if header:
                await self._send(t.header())
            for n in nums:
                await self._send(t.data(n))
            await self._send(t.end())
        self.answered += 1

    async def _attest(self, nonce):
        import asyncio
        t = self.last
        if t is not None and t.nonce == nonce:  # asked again: the same transfer, header and end
            await self._send(seal("A", nonce, t.xid))
            await self._send(t.header())
            await self._send(t.end())
            return
        xid = hexlify(os.urandom(3)).decode()
        await self._send(seal("A", nonce, xid))  # before the checks: the host knows to wait
        self.last = None
        try:
            import jca_main
            for _ in jca_main.attest_steps(nonce, ENV):
                await asyncio.sleep_ms(0)  # the product runs between facts, criteria and signing
            jca_main = None
        except Exception as exc:  # noqa: BLE001 — said in the log, the endpoint keeps serving
            if self.log:
                self.log("attest failed: %s: %s" % (type(exc).__name__, exc))
            if TRACE:
                sys.print_exception(exc, sys.stderr)  # pyright: ignore[reportAttributeAccessIssue, reportArgumentType]
            _release()
            return
        _release()
        t = self.last = Transfer(ENV, xid, nonce)
        await self._send(t.header())
        for n in range(1, t.lines + 1):
            await self._send(t.data(n))
        await self._send(t.end())


async def serve(reader=None, writer=None, log=None, max_requests=None):
    """Answer requests read from ``reader`` (an asyncio stream; default the console, sys.stdin)
    on ``writer`` (``.write(bytes)``; default sys.stdout) until the stream ends or
    ``max_requests`` answers were given."""
    import asyncio
    if reader is None:
        reader = asyncio.StreamReader(sys.stdin.buffer)  # pyright: ignore[reportAttributeAccessIssue]
    if writer is None:
        writer = sys.stdout.buffer  # pyright: ignore[reportAttributeAccessIssue]
    ep = Endpoint(writer, log)
    buf = bytearray()
    skipping = False
    while max_requests is None or ep.answered < max_requests:
        data = await reader.read(1)  # a byte once it is there: read(n) may wait for all n (a tty)
        if not data:
            return ep.answered
        for b in data:
            if b == 10:
                if not skipping and buf:
                    await ep.handle(bytes(buf))
                buf = bytearray()
                skipping = False
            elif not skipping:
                buf.append(b)
                if len(buf) > MAX_REQUEST:  # an over-long line is dropped whole, never kept
                    buf = bytearray()
                    skipping = True
    return ep.answered


def start(uart=None, log=None):
    """Run the endpoint as an asyncio task on ``uart`` (a machine.UART) or the console."""
    import asyncio
    reader = asyncio.StreamReader(uart) if uart is not None else None
    return asyncio.create_task(serve(reader, uart, log))
