"""Property tests of the serial framing: whatever the line does, the host gets the exact document
(with resends) or a clear TransferError — never a different document."""
from __future__ import annotations

import base64
import hashlib
import random
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jcstar_agent.serial import framing
from jcstar_agent.serial.device import Responder
from jcstar_agent.serial.framing import (MAX_REQUEST, Data, End, Header, LineSplitter, Reassembly,
                                  TransferError, encode, parse_line, parse_spec, request,
                                  resend_requests, seal)
from serial_noise import Noise

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

documents = st.one_of(
    st.binary(min_size=1, max_size=6000),  # incompressible
    st.builds(lambda n, seed: ("".join(random.Random(seed).choice('{}":,abc 0123\n') for _ in range(n))).encode(),
              st.integers(1, 40000), st.integers()),
)
nonces = st.from_regex(r"[A-Za-z0-9_-]{8,64}", fullmatch=True)


def exchange(doc: bytes, nonce: str, noise_down: Noise, noise_up: Noise, rounds: int = 60,
             tamper=None):
    """The whole protocol, pure: host -> noisy line -> Responder -> noisy line -> Reassembly."""
    calls = []

    def make(n):
        calls.append(n)
        return doc

    dev = Responder(make)
    dev_in, host_in = LineSplitter(MAX_REQUEST), LineSplitter()
    r = Reassembly(nonce)

    def send(reqs):
        answer = []
        for line in dev_in.feed(noise_up.stream(reqs)):
            answer.extend(dev.handle(line))
        down = noise_down.stream(answer)
        if tamper:
            down = tamper(down)
        for line in host_in.feed(down):
            r.feed(parse_line(line))

    send([request("attest", nonce)])
    restarted = False
    for i in range(rounds + 1):
        if r.complete():
            try:
                return r.document(), r, calls
            except TransferError:
                if restarted:
                    raise
                restarted = True
                r.restart()
        if i < rounds:
            send(r.repair() or [request("attest", nonce)])
    raise TransferError("gave up")


@SETTINGS
@given(doc=documents, nonce=nonces, seed=st.integers(0, 2**32))
def test_exact_recovery_at_10_percent_noise(doc, nonce, seed):
    got, r, calls = exchange(doc, nonce, Noise(seed), Noise(seed + 1))
    assert got == doc
    assert calls == [nonce]  # the checks ran once; repeats were served from the last transfer


@SETTINGS
@given(doc=documents, nonce=nonces, seed=st.integers(0, 2**32))
def test_clean_line_needs_no_resend(doc, nonce, seed):
    quiet = Noise(seed, 0, 0, 0, 0)
    got, r, _ = exchange(doc, nonce, quiet, quiet, rounds=0)
    assert got == doc


@SETTINGS
@given(doc=documents, nonce=nonces, seed=st.integers(0, 2**32), forged=st.binary(min_size=1, max_size=300))
def test_forged_lines_never_yield_a_wrong_document(doc, nonce, seed, forged):
    """An adversary that seals well-formed lines for our transfer (right CRC, wrong content)."""
    rng = random.Random(seed)

    def tamper(stream: bytes) -> bytes:
        out = []
        for line in stream.split(b"\n"):
            f = parse_line(line)
            if isinstance(f, Data) and rng.random() < 0.3:
                out.append(seal("D", f.xid, str(f.n), base64.b64encode(forged[:288]).decode()))
            if isinstance(f, Header) and rng.random() < 0.3:
                out.append(seal("H", f.xid, f.nonce, "zlib+base64", str(f.lines), str(f.zbytes),
                                str(f.nbytes), hashlib.sha256(forged).hexdigest()))
            out.append(line)
        return b"\n".join(out)

    try:
        got, _, _ = exchange(doc, nonce, Noise(seed, 0.05, 0.05, 0.05, 0.05), Noise(seed + 1, 0, 0, 0, 0),
                             tamper=tamper)
    except TransferError as exc:
        assert str(exc)  # a clear failure, said in words
        return
    assert got == doc


@SETTINGS
@given(data=st.binary(max_size=2000))
def test_parse_line_never_raises_and_rejects_noise(data):
    for line in data.split(b"\n"):
        assert parse_line(line) is None or line.count(b"@JCS1")


@SETTINGS
@given(lines=st.lists(st.binary(max_size=300).map(lambda b: b.replace(b"\n", b"")), max_size=30),
       cuts=st.lists(st.integers(0, 10000), max_size=20), max_len=st.integers(1, 400))
def test_splitter_is_bounded_and_chunking_blind(lines, cuts, max_len):
    stream = b"".join(l + b"\n" for l in lines)
    s = LineSplitter(max_len)
    out, last = [], 0
    for c in sorted(set(cuts)) + [len(stream)]:
        out += s.feed(stream[last:c])
        assert len(s.buf) <= max_len
        last = max(last, c)
    assert out == [l for l in lines if len(l) <= max_len]


@SETTINGS
@given(missing=st.sets(st.integers(1, 20000), max_size=3000), header=st.booleans(), end=st.booleans())
def test_resend_requests_name_exactly_the_missing_lines(missing, header, end):
    reqs = resend_requests("abc123", missing, header=header, end=end)
    got, h, e = set(), False, False
    for q in reqs:
        assert len(q) <= MAX_REQUEST
        f = parse_line(q.strip(b"\n"), MAX_REQUEST)
        assert f.verb == "resend" and f.xid == "abc123"
        hh, nums, ee = parse_spec(f.spec, 20000)
        got |= set(nums)
        h, e = h or hh, e or ee
    assert got == missing and h == header and e == end


@SETTINGS
@given(data=st.binary(max_size=3000))
def test_device_answers_nothing_but_valid_requests(data):
    calls = []
    dev = Responder(lambda n: calls.append(n) or b"x")
    for line in LineSplitter(MAX_REQUEST).feed(data + b"\n"):
        assert list(dev.handle(line)) == [] or parse_line(line, MAX_REQUEST) is not None
    assert not calls or all(framing.valid_nonce(n) for n in calls)


def test_requests_are_fixed_verbs_and_bounded():
    dev = Responder(lambda n: b"{}")
    for bad in (seal("Q", "shell", "abcdefgh"), seal("Q", "attest", "../../etc/shadow"),
                seal("Q", "read", "/etc/shadow"), seal("Q", "attest", "abcdefgh", "extra"),
                seal("Q", "attest", "a" * 65), seal("Q", "resend", "abc123", "1;ls"),
                seal("Q", "attest", "abcdefgh")[:-10] + b"00000000\n"):
        assert list(dev.handle(bad)) == [], bad
    # a valid request glued after >MAX_REQUEST bytes of junk on one line is dropped unread
    s = LineSplitter(MAX_REQUEST)
    assert s.feed(b"x" * 300 + seal("Q", "ping", "abcdefgh")) == []
    assert s.feed(seal("Q", "ping", "abcdefgh")) == [seal("Q", "ping", "abcdefgh").rstrip(b"\n")]
    ping = list(dev.handle(seal("Q", "ping", "abcdefgh")))
    assert len(ping) == 1 and parse_line(ping[0]).nonce == "abcdefgh"


def test_transfer_layout_and_overhead():
    doc = random.Random(1).randbytes(50000)
    t = encode(doc, "a1b2c3", "n" * 22)
    h = parse_line(t.header)
    assert (h.lines, h.zbytes, h.nbytes) == (len(t.data), len(zlib.compress(doc, 9)), len(doc))
    assert parse_line(t.end) == End("a1b2c3", len(t.data))
    payload = sum(len(parse_line(d).payload) for d in t.data)
    b64 = -(-payload // 3) * 4
    line_bytes = sum(len(l) for l in t.lines())
    assert (line_bytes - b64) / line_bytes <= 0.10  # framing, beyond the base64 encoding itself
    r = Reassembly("n" * 22)
    for line in reversed(t.lines()):
        r.feed(parse_line(line))
    assert r.document() == doc


def test_header_counts_must_agree_and_are_bounded():
    good = seal("H", "a1b2c3", "abcdefgh", "zlib+base64", "1", "10", "5", "0" * 64)
    assert isinstance(parse_line(good), Header)
    for lines, z, n in (("2", "10", "5"), ("1", "10", str(framing.MAX_DOCUMENT + 1)), ("0", "0", "0")):
        assert parse_line(seal("H", "a1b2c3", "abcdefgh", "zlib+base64", lines, z, n, "0" * 64)) is None


def test_decompression_is_bounded_by_the_header():
    bomb = zlib.compress(b"\0" * 10_000_000)
    nonce = "abcdefgh"
    text = base64.b64encode(bomb).decode()
    pieces = [text[i:i + framing.CHUNK] for i in range(0, len(text), framing.CHUNK)]
    r = Reassembly(nonce)
    r.feed(parse_line(seal("H", "a1b2c3", nonce, "zlib+base64", str(len(pieces)), str(len(bomb)), "100",
                           hashlib.sha256(b"\0" * 100).hexdigest())))
    for n, p in enumerate(pieces, 1):
        r.feed(parse_line(seal("D", "a1b2c3", str(n), p)))
    with pytest.raises(TransferError, match="decompress"):
        r.document()


def test_recovery_is_really_exercised_at_10_percent():
    """Not only 'it came out right': over these transfers every kind of damage happened, in both
    directions, and the host had to ask for lines again — and still got the exact document."""
    down_kinds, totals, resent = [0] * 5, {"dropped": 0, "duplicated": 0, "corrupted": 0, "injected": 0}, 0
    for seed in range(12):
        rng = random.Random(seed)
        doc = "".join(rng.choice('{}":,abc 0123\n') for _ in range(30000)).encode()  # ~50 data lines
        down, up = Noise(seed), Noise(seed + 1000)
        got, r, calls = exchange(doc, f"nonce-{seed:04d}", down, up)
        assert got == doc and calls == [f"nonce-{seed:04d}"]
        down_kinds = [a + b for a, b in zip(down_kinds, down.kinds)]
        for k in totals:
            totals[k] += down.stats[k] + up.stats[k]
        resent += up.stats["lines"] - 1  # requests after the first attest: resends and repeats
        assert up.stats["lines"] > 1 or not (down.stats["dropped"] or down.stats["corrupted"])
    assert all(totals.values()), totals
    assert all(down_kinds), down_kinds  # byte flip, cut, printk on own lines, printk mid-line, glued tail
    assert resent >= 12


def test_printk_mid_line_and_glued_in_front():
    """A kernel message printed into a data line (as a console shows it: the message and CR LF in
    the middle of ours) costs that line (a resend); the tail of one glued in front costs nothing."""
    line = seal("D", "a1b2c3", "7", base64.b64encode(b"x" * 288).decode())
    body = line.rstrip(b"\n")
    kmsg = b"[  101.000001] g_serial gadget: g_serial ready"
    for i in (1, 40, len(body) - 3):
        pieces = LineSplitter().feed(body[:i] + kmsg + b"\r\n" + body[i:] + b"\n")
        assert len(pieces) == 2 and [parse_line(p) for p in pieces] == [None, None]
    assert parse_line(b"usb 1-1: new high-speed USB dev" + body) == parse_line(line)
    assert parse_line(b"ice number 3\r" + body + b"\r") == parse_line(line)
