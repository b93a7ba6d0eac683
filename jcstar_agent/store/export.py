"""Export one unit's evidence as a bundle an auditor can check without our database.

``<name>.tar.gz`` holding::

    MANIFEST.json          the unit, every attestation's stored fields, file digests, and the
                           result of verifying each envelope again at export time
    envelopes/*.dsse.json  the envelopes byte for byte as received
    keys/<keyid>.pub       the public keys that verify them
    SHA256SUMS             sha256sum -c compatible
    README.txt             how to verify (``jcstar-agent verify ENVELOPE --pubkey KEY``)

Every envelope is verified again, with the stored key, before it is written: a row altered in
the database behind the store's back shows as ``"verified": false`` with the reason, and the
export exits non-zero.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import time
from dataclasses import dataclass
from typing import List, Optional

from .interface import Query, Store
from .retention import iso


@dataclass
class Exported:
    path: str
    count: int
    failed: List[str]   # digests that did not verify again


def _add(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(mtime), 0o644
    tar.addfile(info, io.BytesIO(data))


def export(store: Store, q: Query, out: str, unit: str, now: Optional[float] = None) -> Exported:
    from .. import __version__
    from ..attest.api import verify_envelope

    now = time.time() if now is None else now
    rows = store.query(q, envelopes=True)
    files, entries, failed, keys = {}, [], [], {}
    for r in rows:
        name = f"envelopes/{iso(r.received_at).replace(':', '')}-{r.digest[:16]}.dsse.json"
        pem = keys.get(r.keyid) or store.key(r.keyid)
        if pem is None:
            ok, reason = False, f"public key {r.keyid[:16]}… is not in the store"
        else:
            keys[r.keyid] = pem
            v = verify_envelope(r.envelope, pem)
            ok, reason = v.ok, v.reason
            if ok and v.keyid != r.keyid:
                ok, reason = False, "verified with a different key than the row names"
        if not ok:
            failed.append(r.digest)
        files[name] = r.envelope
        meta = r.meta()
        meta.update({"file": name, "received": iso(r.received_at), "issued": iso(r.issued_at),
                     "verified": ok, "verification": reason})
        entries.append(meta)
    for keyid, pem in keys.items():
        files[f"keys/{keyid}.pub"] = pem
    manifest = {
        "schema": "jcstar-agent/evidence-bundle/v1",
        "unit": unit, "exported_at": iso(now), "exported_by": f"jcstar-agent {__version__}",
        "store": store.engine, "count": len(rows), "all_verified": not failed,
        "attestations": entries,
        "files": {n: hashlib.sha256(d).hexdigest() for n, d in sorted(files.items())},
    }
    files["MANIFEST.json"] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    base = os.path.basename(out).split(".")[0] or "evidence"
    verify = "".join(f"     jcstar-agent verify {e['file']} --pubkey keys/{e['keyid']}.pub\n" for e in entries)
    files["README.txt"] = (
        f"Evidence bundle of unit {unit}: {len(rows)} signed attestation(s) (JC-STAR ★1).\n"
        f"Exported {iso(now)} by jcstar-agent {__version__} from a {store.engine} evidence store.\n\n"
        f"An auditor needs only this bundle and the agent, installed as its README's quick start\n"
        f"says (the Debian package, or pipx / a venv from the agent's source).\n\n"
        f"  0. Unpack and go into the folder:\n"
        f"     tar xzf {os.path.basename(out)} && cd {base}\n"
        "  1. Check that every file is as exported:\n"
        "     sha256sum -c SHA256SUMS\n"
        "  2. Verify each attestation's signature with the public key that signed it\n"
        "     (exit 0 and VALID = the envelope is exactly what the unit signed):\n"
        + (verify or "     (no attestation matched)\n") +
        "  3. Check that each key in keys/ is the one registered for this product/unit: its file\n"
        "     name is its keyid, the hex SHA-256 of the DER public key:\n"
        "     openssl pkey -pubin -in keys/<keyid>.pub -outform DER | sha256sum\n\n"
        "MANIFEST.json lists each attestation's model, firmware version, verdict summary, failing\n"
        "criteria, station and times, and whether it verified again at export ('verified').\n"
    ).encode()
    files["SHA256SUMS"] = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n"
                                  for n, d in sorted(files.items())).encode()
    from ..outfile import atomic

    with atomic(out) as fh, tarfile.open(fileobj=fh, mode="w:gz") as tar:
        for name in sorted(files):
            _add(tar, f"{base}/{name}", files[name], now)
    return Exported(out, len(rows), failed)
