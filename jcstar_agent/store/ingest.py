"""Ingest: verify every envelope with a trusted public key, then store it — or refuse it.

An envelope is stored only when ``jcstar_agent.attest.api.verify_envelope`` says it is valid with a key
from the key ring (the envelope's own ``keyid`` only picks which trusted key to try; it is never
trusted by itself). Anything else — not JSON, not DSSE, tampered, signed by an unknown key,
wrong nonce, too old — is refused with the reason and never stored. Verified envelopes are
stored in batches, one transaction each; ``on_commit`` is told after every committed batch.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Tuple

from ..errors import RunError
from .interface import Store, chunks
from .model import Record, fields_from, payload_digest

MAX_ENVELOPE = 16 << 20
DEFAULT_MAX_AGE = 7 * 86400.0  # seconds: an iat older than a week is refused unless --max-age says


class KeyRing:
    """Trusted public keys by keyid (hex SHA-256 of the DER SubjectPublicKeyInfo)."""

    def __init__(self):
        self.keys: Dict[str, bytes] = {}

    def add_pem(self, pem: bytes, where: str = "<public key>") -> str:
        from ..attest.keys import keyid_of, load_public

        keyid = keyid_of(load_public(pem, where))  # RunError when it is not a public key
        self.keys[keyid] = pem
        return keyid

    def add_file(self, path: str) -> str:
        from ..infile import PUBLIC_KEY_MAX, read

        return self.add_pem(read(path, PUBLIC_KEY_MAX, "public key"), path)

    def add_dir(self, path: str) -> List[str]:
        if not os.path.isdir(path):
            raise RunError("key folder not found", path)
        names = sorted(n for n in os.listdir(path) if n.endswith((".pub", ".pem")))
        return [self.add_file(os.path.join(path, n)) for n in names]

    def candidates(self, named: List[str]) -> List[Tuple[str, bytes]]:
        """Keys to try: those the envelope names (and we trust), else — one key only — that one."""
        hits = [(k, self.keys[k]) for k in named if k in self.keys]
        if hits:
            return hits
        if len(self.keys) == 1 and not any(named):
            return list(self.keys.items())
        return []

    def __len__(self) -> int:
        return len(self.keys)


@dataclass
class Refusal:
    source: str
    reason: str


@dataclass
class Verified:
    record: Optional[Record] = None
    refusal: Optional[Refusal] = None
    predicate: Optional[dict] = None
    key: Optional[object] = None  # attest.provenance.KeyEvidence: the key's kind and provenance


@dataclass
class IngestResult:
    stored: List[Record] = field(default_factory=list)
    duplicates: List[Record] = field(default_factory=list)
    refused: List[Refusal] = field(default_factory=list)


def check(source: str, data: bytes, keyring: KeyRing, station: str,
          received_at: Optional[float] = None, serial: Optional[str] = None,
          nonce: Optional[str] = None, max_age: Optional[float] = None,
          require_hardware: bool = False, tpm_ca=None) -> Verified:
    """Verify one envelope; a Record when valid, a Refusal with the reason otherwise
    (``require_hardware``: a key file is refused, as ``verify --require-hardware-key``)."""
    from ..attest import dsse
    from ..attest.api import verify_envelope

    # Bounded before any crypto, exactly as verify: size, JSON depth, duplicate keys, at most
    # MAX_SIGNATURES signatures, keyids short printable text (dsse.Envelope.from_json).
    try:
        env = dsse.Envelope.from_json(data)
    except dsse.EnvelopeError as exc:
        return Verified(refusal=Refusal(source, f"malformed envelope: {exc}"))
    payload = env.payload
    named = list(dict.fromkeys(s.keyid for s in env.signatures))  # each key tried once
    keys = keyring.candidates(named)
    if not keys:
        names = ", ".join(k[:16] + "…" for k in named if k) or "none"
        return Verified(refusal=Refusal(source, f"signed by a key not in the trusted key ring "
                                                f"(envelope names keyid {names})"))
    v = None
    for keyid, pem in keys:
        v = verify_envelope(data, pem, nonce=nonce, max_age=max_age, envelope=env,
                            require_hardware=require_hardware, tpm_ca=tpm_ca)
        if v.ok:
            break
    if v is None or not v.ok:
        return Verified(refusal=Refusal(source, v.reason if v is not None else "not verified"))
    f = fields_from(v.predicate, v.claims)
    if serial:
        f["serial"] = serial
    rec = Record(digest=payload_digest(payload), envelope=bytes(data), keyid=v.keyid or keyid,
                 received_at=time.time() if received_at is None else received_at, station=station, **f)
    return Verified(record=rec, predicate=v.predicate, key=v.key)


def expand(paths: Iterable[str]) -> List[str]:
    """Files to ingest: each file, each regular file of a folder (sorted, not recursive, no
    dot-files), or ``-`` (standard input, one envelope)."""
    out: List[str] = []
    for path in paths:
        if path != "-" and os.path.isdir(path):
            names = sorted(n for n in os.listdir(path) if not n.startswith("."))
            out += [p for p in (os.path.join(path, n) for n in names) if os.path.isfile(p)]
        else:
            out.append(path)
    return out


def read_sources(paths: Iterable[str]) -> Iterator[Tuple[str, Optional[bytes], str]]:
    """(name, bytes or None, why not) for each of ``expand(paths)``, read lazily."""
    from ..infile import NotReadable, read_bytes

    for p in expand(paths):
        try:  # one byte past the bound: the envelope check then says why it is refused
            yield ("<stdin>" if p == "-" else p), read_bytes(p, MAX_ENVELOPE + 1), ""
        except NotReadable as exc:  # a FIFO or device among the files: refused alone, never waited on
            yield p, None, str(exc)


_POOL_RING: Optional[KeyRing] = None
_POOL_ARGS: Tuple = ()


def _pool_init(ring: KeyRing, station: str, received_at: Optional[float],
               max_age: Optional[float] = DEFAULT_MAX_AGE, require_hardware: bool = False) -> None:
    """Worker start: die with the parent (a killed ingest leaves no orphan verifiers behind)."""
    global _POOL_RING, _POOL_ARGS
    _POOL_RING, _POOL_ARGS = ring, (station, received_at, max_age, require_hardware)
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:  # not Linux/glibc: the parent still closes the pool normally
        pass


def _pool_check(item: Tuple[str, Optional[bytes], str]) -> Verified:
    name, data, why = item
    if data is None:
        return Verified(refusal=Refusal(name, why))
    station, received_at, max_age, hardware = _POOL_ARGS
    v = check(name, data, _POOL_RING, station, received_at, max_age=max_age, require_hardware=hardware)
    v.predicate = v.key = None  # not needed by ingest; keep the pipe light
    if v.record is not None:
        v.record.envelope = b""  # the parent has the bytes
    return v


def _attach(window, job) -> Iterator[Verified]:
    for (_name, data, _why), v in zip(window, job.get()):
        if v.record is not None:
            v.record.envelope = bytes(data)
        yield v


def _verified_serial(sources, keyring, station, received_at, max_age, hardware=False) -> Iterator[Verified]:
    for name, data, why in sources:
        if data is None:
            yield Verified(refusal=Refusal(name, why))
        else:
            yield check(name, data, keyring, station, received_at, max_age=max_age, require_hardware=hardware)


def ingest(store: Store, sources: Iterable[Tuple[str, Optional[bytes], str]], keyring: KeyRing,
           station: str, batch: int = 500, received_at: Optional[float] = None,
           on_commit: Optional[Callable[[int], None]] = None, workers: int = 1,
           max_age: Optional[float] = DEFAULT_MAX_AGE, require_hardware: bool = False) -> IngestResult:
    """Verify and store; ``received_at`` defaults to now (per batch). With ``workers > 1``,
    envelopes are verified in that many processes (signature checks are CPU-bound) while this
    one writes; order and batching are the same. ``max_age`` (seconds, None: no limit) refuses
    envelopes whose iat is older; one bad envelope is refused alone; ``require_hardware`` refuses
    envelopes signed by a key file. The records listed in the result carry no
    envelope bytes (they are in the store)."""
    result = IngestResult()
    for key_id, pem in keyring.keys.items():
        store.add_key(key_id, pem)
    committed = 0
    pool = None
    if workers > 1:
        import multiprocessing

        ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() \
            else multiprocessing.get_context()
        pool = ctx.Pool(workers, _pool_init, (keyring, station, received_at, max_age, require_hardware))

        def windows() -> Iterator[Verified]:
            # Bounded windows (imap would read every source into memory at once), one verified
            # ahead while this process stores the previous one. Workers send back no envelope
            # bytes; they are put back here.
            pending = None
            for window in chunks(sources, max(batch, 64 * workers)):
                job = pool.map_async(_pool_check, window, chunksize=32)
                if pending is not None:
                    yield from _attach(*pending)
                pending = (window, job)
            if pending is not None:
                yield from _attach(*pending)
        checked: Iterable[Verified] = windows()
    else:
        checked = _verified_serial(sources, keyring, station, received_at, max_age, require_hardware)

    def verified() -> Iterator[Record]:
        for v in checked:
            if v.refusal:
                result.refused.append(v.refusal)
            else:
                yield v.record

    try:
        for records in chunks(verified(), batch):
            if received_at is None:
                now = time.time()
                for r in records:
                    r.received_at = now
            for r, new in zip(records, store.add(records)):
                r.envelope = b""  # stored; keep the result small (100k envelopes would be GBs)
                (result.stored if new else result.duplicates).append(r)
            committed += len(records)
            if on_commit:
                on_commit(committed)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    return result
