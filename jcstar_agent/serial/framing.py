"""The serial line protocol as pure functions: bytes and lines in, frames out. No I/O here.

A console UART carries kernel messages, getty leftovers and line noise, and has no flow control.
So every protocol line is text, starts with the marker ``@JCS1``, and ends with the CRC32 of
everything before it (8 hex digits); a line that does not parse exactly is ignored, whatever it
is. Lines end with ``\\n`` (a ``\\r`` before it is accepted). Kinds of line::

    host -> device (requests, at most MAX_REQUEST bytes; only these three verbs exist)
      @JCS1 Q ping   <nonce> <crc>                 liveness: answered by a P line
      @JCS1 Q attest <nonce> <crc>                 run the checks, answer with a signed envelope
      @JCS1 Q resend <xid> <spec> <crc>            send again lines of a transfer, spec "h,3,7-9,e"
    device -> host
      @JCS1 P <nonce> <agent> <crc>                pong
      @JCS1 A <nonce> <xid> <crc>                  attest request accepted; transfer id to come
      @JCS1 H <xid> <nonce> zlib+base64 <lines> <zbytes> <bytes> <sha256> <crc>   header
      @JCS1 D <xid> <n> <base64> <crc>             data line n (1-based) of the transfer
      @JCS1 E <xid> <lines> <crc>                  end of a batch (after a transfer or a resend)

The document (the DSSE envelope) is zlib-compressed, then base64 in chunks of CHUNK characters.
The header binds the transfer id to the request's nonce and states the byte counts and the
SHA-256 of the document, so a document is accepted only when every line is there, in order, and
the whole decompresses to exactly that many bytes with exactly that digest. Nonces are
``[A-Za-z0-9_-]{8,64}``; transfer ids six hex digits. Nothing in a request names a file or a
command: the device answers three fixed verbs and ignores everything else.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
import zlib
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple, Union

MARK = "@JCS1"
ENCODING = "zlib+base64"
CHUNK = 384  # base64 characters per data line (288 bytes): framing overhead ~7% of a line
MAX_REQUEST = 256  # bytes: the device drops longer request lines unread
MAX_LINE = 1024  # bytes: the host drops longer lines (a data line is ~415)
MAX_DOCUMENT = 64 << 20  # the host refuses a header announcing more
MAX_LINES = (MAX_DOCUMENT * 4 // 3) // CHUNK + 2
VERBS = ("ping", "attest", "resend")

_NONCE = re.compile(r"[A-Za-z0-9_-]{8,64}\Z")
_XID = re.compile(r"[0-9a-f]{6}\Z")
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_NUM = re.compile(r"(0|[1-9][0-9]{0,8})\Z")
_B64 = re.compile(r"[A-Za-z0-9+/]+={0,2}\Z")
_AGENT = re.compile(r"[A-Za-z0-9._/+-]{1,64}\Z")
_SPEC = re.compile(r"(h|e|[1-9][0-9]{0,8}(-[1-9][0-9]{0,8})?)(,(h|e|[1-9][0-9]{0,8}(-[1-9][0-9]{0,8})?))*\Z")


def valid_nonce(nonce: str) -> bool:
    return bool(_NONCE.match(nonce))


def valid_xid(xid: str) -> bool:
    return bool(_XID.match(xid))


def crc(text: str) -> str:
    return "%08x" % (zlib.crc32(text.encode("ascii")) & 0xFFFFFFFF)


def seal(*fields: str) -> bytes:
    """One protocol line: marker, fields, CRC32 of all that, newline."""
    body = " ".join((MARK,) + fields)
    return f"{body} {crc(body)}\n".encode("ascii")


# --- frames -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Request:
    verb: str  # ping | attest | resend
    nonce: str = ""  # ping, attest
    xid: str = ""  # resend
    spec: str = ""  # resend


@dataclass(frozen=True)
class Pong:
    nonce: str
    agent: str


@dataclass(frozen=True)
class Ack:
    nonce: str
    xid: str


@dataclass(frozen=True)
class Header:
    xid: str
    nonce: str
    lines: int
    zbytes: int
    nbytes: int
    sha256: str


@dataclass(frozen=True)
class Data:
    xid: str
    n: int
    payload: bytes


@dataclass(frozen=True)
class End:
    xid: str
    lines: int


Frame = Union[Request, Pong, Ack, Header, Data, End]


def _num(text: str) -> Optional[int]:
    return int(text) if _NUM.match(text) else None


def parse_line(line: Union[bytes, str], max_len: int = MAX_LINE) -> Optional[Frame]:
    """The frame a line carries, or None for anything else (garbage, kernel message, bad CRC).

    Leading garbage before the last marker on the line is skipped (a console may glue a partial
    kernel message in front). Never raises.
    """
    if isinstance(line, str):
        try:
            line = line.encode("ascii")
        except UnicodeEncodeError:
            return None
    if len(line) > max_len:
        return None
    at = line.rfind(MARK.encode())
    if at < 0:
        return None
    try:
        text = line[at:].rstrip(b"\r\n").decode("ascii")
    except UnicodeDecodeError:
        return None
    body, sep, check = text.rpartition(" ")
    if not sep or check != crc(body):
        return None
    f = body.split(" ")
    if f[0] != MARK or len(f) < 3:
        return None
    kind, args = f[1], f[2:]
    try:
        return _FRAMES[kind](args)
    except (KeyError, ValueError, IndexError, binascii.Error):
        return None


def _request(a: List[str]) -> Optional[Request]:
    if a[0] in ("ping", "attest") and len(a) == 2 and valid_nonce(a[1]):
        return Request(a[0], nonce=a[1])
    if a[0] == "resend" and len(a) == 3 and valid_xid(a[1]) and _SPEC.match(a[2]):
        return Request("resend", xid=a[1], spec=a[2])
    return None


def _pong(a: List[str]) -> Optional[Pong]:
    if len(a) == 2 and valid_nonce(a[0]) and _AGENT.match(a[1]):
        return Pong(a[0], a[1])
    return None


def _ack(a: List[str]) -> Optional[Ack]:
    if len(a) == 2 and valid_nonce(a[0]) and valid_xid(a[1]):
        return Ack(a[0], a[1])
    return None


def _header(a: List[str]) -> Optional[Header]:
    if len(a) != 7 or not valid_xid(a[0]) or not valid_nonce(a[1]) or a[2] != ENCODING:
        return None
    lines, zbytes, nbytes = _num(a[3]), _num(a[4]), _num(a[5])
    if lines is None or zbytes is None or nbytes is None or not _HEX64.match(a[6]):
        return None
    if not (1 <= lines <= MAX_LINES) or zbytes > MAX_DOCUMENT or nbytes > MAX_DOCUMENT:
        return None
    if lines != max(1, -(-_b64len(zbytes) // CHUNK)):
        return None  # the counts must agree with each other
    return Header(a[0], a[1], lines, zbytes, nbytes, a[6])


def _data(a: List[str]) -> Optional[Data]:
    if len(a) != 3 or not valid_xid(a[0]) or not _B64.match(a[2]) or len(a[2]) > CHUNK:
        return None
    n = _num(a[1])
    if not n:
        return None
    return Data(a[0], n, base64.b64decode(a[2], validate=True))


def _end(a: List[str]) -> Optional[End]:
    n = _num(a[1]) if len(a) == 2 else None
    if n is None or not valid_xid(a[0]):
        return None
    return End(a[0], n)


_FRAMES = {"Q": _request, "P": _pong, "A": _ack, "H": _header, "D": _data, "E": _end}


def _b64len(nbytes: int) -> int:
    return 4 * (-(-nbytes // 3))


# --- requests ---------------------------------------------------------------------------------

def request(verb: str, nonce: str) -> bytes:
    """A ping or attest request line (a leading newline flushes whatever the device buffered)."""
    if verb not in ("ping", "attest") or not valid_nonce(nonce):
        raise ValueError(f"bad request {verb!r} {nonce!r}")
    return b"\n" + seal("Q", verb, nonce)


def resend_requests(xid: str, missing: Iterable[int], header: bool = False,
                    end: bool = False) -> List[bytes]:
    """Resend request lines naming the missing items, each within MAX_REQUEST bytes."""
    items = (["h"] if header else []) + _ranges(sorted(set(missing))) + (["e"] if end else [])
    out, cur = [], []
    budget = MAX_REQUEST - len(seal("Q", "resend", xid, "")) - 1
    for item in items:
        if cur and len(",".join(cur + [item])) > budget:
            out.append(b"\n" + seal("Q", "resend", xid, ",".join(cur)))
            cur = []
        cur.append(item)
    if cur:
        out.append(b"\n" + seal("Q", "resend", xid, ",".join(cur)))
    return out


def _ranges(nums: List[int]) -> List[str]:
    out: List[str] = []
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(str(nums[i]) if i == j else f"{nums[i]}-{nums[j]}")
        i = j + 1
    return out


def parse_spec(spec: str, lines: int, limit: int = 100000) -> Tuple[bool, List[int], bool]:
    """(header?, data line numbers within 1..lines, end?) of a resend spec, at most ``limit``.

    Each line is named once, in order, however often the spec repeats it: a request of at most
    MAX_REQUEST bytes draws at most one copy of the transfer, never a multiple of it."""
    header = end = False
    wanted = set()
    for item in spec.split(","):
        if item == "h":
            header = True
        elif item == "e":
            end = True
        else:
            lo, _, hi = item.partition("-")
            a, b = max(1, int(lo)), min(int(hi or lo), lines)
            if a <= b and len(wanted) < limit:
                wanted.update(range(a, min(b, a + limit - len(wanted) - 1) + 1))
    return header, sorted(wanted)[:limit], end


# --- transfers (device side) -----------------------------------------------------------------

@dataclass
class Transfer:
    """A document cut into sealed lines: header, data lines 1..n, end."""

    xid: str
    nonce: str
    header: bytes
    data: List[bytes]
    end: bytes
    zbytes: int
    nbytes: int

    def lines(self) -> List[bytes]:
        return [self.header] + self.data + [self.end]

    def select(self, spec: str) -> List[bytes]:
        """The lines a resend spec names, then the end line (so the host knows the batch ended)."""
        header, nums, _ = parse_spec(spec, len(self.data))
        return ([self.header] if header else []) + [self.data[n - 1] for n in nums] + [self.end]


def encode(document: bytes, xid: str, nonce: str) -> Transfer:
    if not valid_xid(xid) or not valid_nonce(nonce) or not document:
        raise ValueError("bad transfer id, nonce or empty document")
    z = zlib.compress(document, 9)
    text = base64.b64encode(z).decode("ascii")
    pieces = [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)]
    data = [seal("D", xid, str(n), p) for n, p in enumerate(pieces, 1)]
    header = seal("H", xid, nonce, ENCODING, str(len(data)), str(len(z)), str(len(document)),
                  hashlib.sha256(document).hexdigest())
    return Transfer(xid, nonce, header, data, seal("E", xid, str(len(data))), len(z), len(document))


# --- byte stream to lines -----------------------------------------------------------------------

class LineSplitter:
    """Bytes in, complete lines out. A line longer than ``max_len`` is dropped whole (the bytes up
    to its newline are skipped, never buffered), so memory stays bounded whatever arrives."""

    def __init__(self, max_len: int = MAX_LINE):
        self.max_len = max_len
        self.buf = bytearray()
        self.skipping = False
        self.dropped = 0

    def feed(self, data: bytes) -> List[bytes]:
        out: List[bytes] = []
        start = 0
        while True:
            nl = data.find(b"\n", start)
            piece = data[start:] if nl < 0 else data[start:nl]
            if not self.skipping:
                if len(self.buf) + len(piece) > self.max_len:
                    self.buf.clear()
                    self.skipping = True
                    self.dropped += 1
                else:
                    self.buf += piece
            if nl < 0:
                return out
            if not self.skipping:
                out.append(bytes(self.buf))
            self.buf.clear()
            self.skipping = False
            start = nl + 1


# --- reassembly (host side) ---------------------------------------------------------------------

class TransferError(Exception):
    """The transfer cannot complete: the reason is said in words."""


@dataclass
class Reassembly:
    """Collects the frames of the transfer answering ``nonce``; says what is missing; assembles.

    Frames of other transfers, other nonces, stale lines and duplicates are ignored. Data lines
    seen before the header (which may be lost) are kept per transfer id until the header or ack
    says which transfer is ours.
    """

    nonce: str
    xid: Optional[str] = None
    header: Optional[Header] = None
    ended: bool = False
    acked: bool = False
    chunks: Dict[int, bytes] = field(default_factory=dict)
    early: Dict[str, Dict[int, bytes]] = field(default_factory=dict)
    received: int = 0  # payload bytes of our transfer received (for progress)

    def feed(self, frame: Optional[Frame]) -> bool:
        """Take one frame; True when it was ours and told us something."""
        if isinstance(frame, Ack) and frame.nonce == self.nonce:
            self.acked = True
            return self._adopt(frame.xid)
        if isinstance(frame, Header) and frame.nonce == self.nonce:
            self.acked = True
            if self.header is not None or not self._adopt(frame.xid):
                return False  # the first header of our transfer stands; others are noise
            self.header = frame
            for n in [n for n in self.chunks if n > frame.lines]:
                self.received -= len(self.chunks.pop(n))
            return True
        if isinstance(frame, Data):
            if self.xid is None:
                if sum(map(len, self.early.values())) < MAX_LINES:
                    self.early.setdefault(frame.xid, {}).setdefault(frame.n, frame.payload)
                return False
            if frame.xid != self.xid or frame.n in self.chunks:
                return False
            if self.header and frame.n > self.header.lines:
                return False
            self.chunks[frame.n] = frame.payload
            self.received += len(frame.payload)
            return True
        if isinstance(frame, End) and frame.xid == self.xid and self.xid is not None:
            self.ended = True
            return True
        return False

    def _adopt(self, xid: str) -> bool:
        """Make ``xid`` our transfer (the first one named for our nonce stands); False if another is."""
        if self.xid is not None:
            return self.xid == xid
        self.xid = xid
        for n, p in self.early.pop(xid, {}).items():
            self.chunks[n] = p
            self.received += len(p)
        self.early.clear()
        return True

    @property
    def total(self) -> Optional[int]:
        return self.header.zbytes if self.header else None

    def missing(self) -> List[int]:
        if not self.header:
            return []
        return [n for n in range(1, self.header.lines + 1) if n not in self.chunks]

    def complete(self) -> bool:
        return self.header is not None and not self.missing()

    def repair(self) -> List[bytes]:
        """The resend requests for what is missing (empty when complete or nothing is known)."""
        if self.xid is None:
            return []
        if not self.header:
            return resend_requests(self.xid, [], header=True)
        return resend_requests(self.xid, self.missing())

    def restart(self) -> None:
        """Forget the data lines (after a digest mismatch): ask for everything again."""
        self.chunks, self.received = {}, 0

    def reset(self) -> None:
        """Forget the transfer entirely (the host asks again; the device may answer anew)."""
        self.xid, self.header, self.ended, self.acked = None, None, False, False
        self.chunks, self.early, self.received = {}, {}, 0

    def document(self) -> bytes:
        """The verified document. TransferError when incomplete or when it does not match."""
        h = self.header
        if h is None or self.missing():
            raise TransferError("transfer incomplete")
        z = b"".join(self.chunks[n] for n in range(1, h.lines + 1))
        if len(z) != h.zbytes:
            raise TransferError(f"transfer corrupted: {len(z)} compressed bytes, header says {h.zbytes}")
        try:
            d = zlib.decompressobj()
            doc = d.decompress(z, h.nbytes + 1)
            if not d.eof or d.unused_data or len(doc) != h.nbytes:
                raise TransferError(f"transfer corrupted: does not decompress to {h.nbytes} bytes")
        except zlib.error as exc:
            raise TransferError(f"transfer corrupted: {exc}")
        if hashlib.sha256(doc).hexdigest() != h.sha256:
            raise TransferError("transfer corrupted: sha256 of the document does not match the header")
        return doc

