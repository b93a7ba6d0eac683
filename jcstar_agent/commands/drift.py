"""``drift A B``: security-relevant changes between two attestations of one device or product.

A and B are envelope files (verified with ``--pubkey``/``--keys``; an envelope that does not
verify is exit 2: nothing unverified is compared), plain ``check --format json`` reports (taken
as they are, marked unsigned), or — with ``--store`` — stored attestations named by a digest
prefix. ``drift --store URL --serial S`` compares the unit's first stored attestation (label
time) with its newest. Exit: 0 no relevant change, 1 relevant changes, 2 run-level problem.
"""
from __future__ import annotations

import os
import sys

from ..errors import RunError
from .store import add_key_options, add_store_option, keyring, open_from, print_json, store_errors


def add_arguments(p) -> None:
    p.add_argument("before", nargs="?", metavar="A", help="the earlier attestation (file or stored digest prefix)")
    p.add_argument("after", nargs="?", metavar="B", help="the later attestation (file or stored digest prefix)")
    add_store_option(p)
    add_key_options(p)
    p.add_argument("--serial", metavar="S", help="with --store: first vs newest attestation of this unit")
    p.add_argument("--force", action="store_true", help="compare even if A and B share neither ueid nor model")
    p.add_argument("--format", choices=("text", "json"), default="text")


def _from_file(path: str, ring):
    from ..attest import dsse
    from ..store.drift import Side
    from ..store.ingest import MAX_ENVELOPE, check

    from ..infile import read

    data = read(path, MAX_ENVELOPE)
    try:  # bounded like every untrusted JSON (depth, duplicate keys): never a RecursionError
        obj = dsse.loads(data, "file")
    except dsse.EnvelopeError as exc:
        raise RunError(f"neither a DSSE envelope nor a JSON report: {exc}", path) from None
    if isinstance(obj, dict) and str(obj.get("schema", "")).startswith("jcstar-agent/report/"):
        return Side(obj, os.path.basename(path), None, signed=False)
    try:
        dsse.Envelope.from_dict(obj)
    except dsse.EnvelopeError as exc:
        raise RunError(f"neither a DSSE envelope nor a JSON report: {exc}", path) from None
    if ring is None or not len(ring):
        raise RunError("an envelope is compared only once verified: give --pubkey PEM or --keys DIR", path)
    v = check(path, data, ring, "drift")
    if v.refusal:
        raise RunError(f"does not verify: {v.refusal.reason}", path)
    return Side(v.predicate, os.path.basename(path), v.record.keyid)


def _from_store(store, rec):
    from ..attest.api import verify_envelope
    from ..store.drift import Side

    pem = store.key(rec.keyid)
    if pem is None:
        raise RunError(f"stored attestation {rec.digest[:16]}…: its public key is not in the store")
    v = verify_envelope(rec.envelope, pem)
    if not v.ok:
        raise RunError(f"stored attestation {rec.digest[:16]}… does not verify: {v.reason}")
    return Side(v.predicate, rec.digest[:16], v.keyid)


def _stored(store, prefix: str):
    hits = store.by_prefix(prefix) if len(prefix) >= 6 else []
    if len(hits) != 1:
        raise RunError(f"{prefix!r}: {'no' if not hits else 'more than one'} stored attestation has "
                       "this digest prefix (give at least 6 hex digits)")
    return store.get(hits[0])


def run(args) -> int:
    from ..store import Query
    from ..store.drift import compare, same_subject
    from .stored import malformed

    ring = keyring(args, required=False)
    if args.serial:
        if not args.store and not os.environ.get("JCSTAR_STORE"):
            raise RunError("--serial compares stored attestations: give --store URL")
        with open_from(args) as store:
            rows = store_errors(lambda: store.query(Query(serial=args.serial)))
            if len(rows) < 2:
                raise RunError(f"unit {args.serial} has {len(rows)} stored attestation(s); drift needs two")
            a = _from_store(store, store.get(rows[0].digest))
            b = _from_store(store, store.get(rows[-1].digest))
    else:
        if not (args.before and args.after):
            raise RunError("give two attestations A B (files or, with --store, digest prefixes), or --store with --serial")
        sides = []
        store = None
        try:
            for ref in (args.before, args.after):
                if os.path.exists(ref):
                    sides.append(_from_file(ref, ring))
                elif args.store:
                    store = store or open_from(args)
                    sides.append(_from_store(store, store_errors(lambda: _stored(store, ref))))
                else:
                    raise RunError("no such file (a stored digest needs --store)", ref)
        finally:
            if store is not None:
                store.close()
        a, b = sides
    for side in (a, b):  # a plain report is anyone's file, and a unit's key signs anything
        bad = malformed(side.predicate) if isinstance(side.predicate, dict) else "not a JSON object"
        if bad:
            raise RunError(f"the report is malformed: {bad}", side.label)
    try:
        if not args.force and not same_subject(a, b):
            raise RunError("A and B share neither a ueid nor a product model: not the same device or "
                           "product (--force compares anyway)")
        changes = compare(a, b)
    except (TypeError, AttributeError, ValueError) as exc:  # a field of another shape than v1's
        raise RunError(f"the reports cannot be compared: a field is malformed ({exc})") from None
    relevant = [c for c in changes if c.relevant]
    if args.format == "json":
        print_json({"before": a.label, "after": b.label, "signed": [a.signed, b.signed],
                    "relevant": len(relevant), "changes": [c.to_dict() for c in changes]})
    else:
        from ..report import escape  # device text in a report may hold bytes that are not UTF-8

        print(escape.terminal(f"drift {a.label} -> {b.label}" + ("" if a.signed and b.signed else "  (unsigned report compared)")))
        for c in changes:
            print(escape.terminal(f"{'  ' if c.relevant else '  (info) '}{c.check} {c.message}"))
        print(f"{len(relevant)} security-relevant change(s)" +
              (f", {len(changes) - len(relevant)} informational" if len(changes) > len(relevant) else ""))
    sys.stdout.flush()
    return 1 if relevant else 0
