"""``store``: the evidence store (host side) — ingest, query, export, retention, check-unique.

    jcstar-agent store ingest --pubkey unit.pub [--station line-1] FILE|DIR|- ...
    jcstar-agent store query [--serial S] [--model M] [--version V] [--failures] [--since D] [--until D]
    jcstar-agent store export --serial S --output unit.tar.gz
    jcstar-agent store retention [--now DATE] [--years 2]
    jcstar-agent store check-unique

``--store URL`` (default ``$JCSTAR_STORE``, else ``jcstar-evidence.db``): a SQLite file path, or
``postgresql://…``. Exit status: 0 ok; 1 something refused / failed to verify / not unique /
outside the window; 2 run-level (store cannot be opened, bad arguments, no usable key).
"""
from __future__ import annotations

import json
import os
import socket
import sys
import time
from datetime import datetime, timezone
from typing import Optional

from ..errors import RunError
from . import baud, timeout_seconds

DEFAULT_STORE = "jcstar-evidence.db"


# ------------------------------------------------------------------ shared with drift/factory
def add_store_option(p) -> None:
    p.add_argument("--store", metavar="URL", default=None,
                   help=f"evidence store: SQLite file or postgresql://… (default: $JCSTAR_STORE, "
                        f"else {DEFAULT_STORE})")


def add_key_options(p, required: bool = False) -> None:
    p.add_argument("--pubkey", metavar="PEM", action="append", default=[],
                   help="trusted public key (repeatable)")
    p.add_argument("--keys", metavar="DIR", help="folder of trusted public keys (*.pub, *.pem)")


def keyring(args, required: bool = True):
    from ..store.ingest import KeyRing

    ring = KeyRing()
    for path in args.pubkey or []:
        ring.add_file(path)
    if getattr(args, "keys", None):
        ring.add_dir(args.keys)
    if required and not len(ring):
        raise RunError("no trusted public key: give --pubkey PEM (repeatable) or --keys DIR")
    return ring


def open_from(args, create: bool = False):
    """The store named by --store / $JCSTAR_STORE; read-only and never created unless ``create``
    (only ingest and factory write)."""
    from ..store import StoreError, open_store

    try:
        return open_store(_store_url(args), create)
    except StoreError as exc:
        raise RunError(str(exc)) from None


def _store_url(args) -> str:
    return args.store or os.environ.get("JCSTAR_STORE") or DEFAULT_STORE


def sqlite_file(args) -> Optional[str]:
    """The evidence store's file when it is SQLite (no output may name it), else None."""
    from ..store.interface import sqlite_path

    return sqlite_path(_store_url(args))


def station_name(args) -> str:
    return getattr(args, "station", None) or os.environ.get("JCSTAR_STATION") or socket.gethostname()


def parse_time(text: Optional[str], option: str) -> Optional[float]:
    """``2026-01-31``, ``2026-01-31T12:00:00[Z|+09:00]`` (UTC unless an offset is given) or epoch."""
    if text is None:
        return None
    s = text.strip()
    try:
        return float(s)
    except ValueError:
        pass
    try:
        t = datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith("Z") else s)
    except ValueError:
        raise RunError(f"{option} {text!r} is not a date (YYYY-MM-DD, ISO 8601 date-time, or epoch seconds)") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.timestamp()


def serial_pull(port: str, baud: int, timeout: float, nonce: str):
    """(envelope bytes, "") pulled from a unit running ``serve``, or (None, why). RunError when
    the port cannot be opened or the serial verbs are not installed."""
    try:
        from ..serial import device, host
        from ..serial.framing import TransferError
    except ImportError:
        raise RunError("serial pull is not available in this installation (jcstar_agent.serial, pyserial)") from None
    try:
        handle = device.open_port(port, baud)
    except Exception as exc:
        raise RunError(f"cannot open serial port: {exc}", port) from None
    try:
        return host.pull(handle, nonce, timeout, baud), ""
    except TransferError as exc:
        return None, f"serial pull from {port} failed: {exc}"
    finally:
        handle.close()


def store_errors(fn):
    """Run fn(); a StoreError mid-run is a run-level problem (exit 2, one line)."""
    from ..store import StoreError

    try:
        return fn()
    except StoreError as exc:
        raise RunError(str(exc)) from None


def print_json(obj) -> None:
    from ..report import escape

    sys.stdout.write(json.dumps(escape.tree(obj), indent=2, sort_keys=True, default=str) + "\n")


def _max_age(text: str):
    """``--max-age``: seconds >= 0 (finite), or ``none`` for no limit."""
    from . import seconds

    return "none" if text.strip().lower() == "none" else seconds(text)


# ------------------------------------------------------------------ arguments
def add_arguments(p) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p))
    sub.required = True

    a = sub.add_parser("ingest", help="verify envelopes and store the valid ones",
                       description="Verify each envelope with a trusted key and store it; refuse, "
                                   "with the reason, anything that does not verify.")
    add_store_option(a)
    add_key_options(a)
    a.add_argument("--station", metavar="NAME", help="recorded with each row (default: $JCSTAR_STATION, else hostname)")
    a.add_argument("--batch", type=int, default=500, metavar="N", help="envelopes per transaction (default 500)")
    a.add_argument("--progress", action="store_true", help="print 'committed N' after every transaction")
    a.add_argument("--workers", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="processes verifying signatures in parallel (default: the CPU count)")
    a.add_argument("--format", choices=("text", "json"), default="text")
    a.add_argument("--port", metavar="DEV", help="also pull one fresh attestation (own nonce) from a unit "
                                                 "running 'serve' on this serial port, and ingest it")
    a.add_argument("--baud", type=baud, default=115200, metavar="N", help="with --port (default 115200)")
    a.add_argument("--timeout", type=timeout_seconds, default=120.0, metavar="S", help="with --port (default 120)")
    a.add_argument("--max-age", type=_max_age, default=None, metavar="SECONDS",
                   help="refuse envelopes issued longer ago than this (default 604800: 7 days; "
                        "'none' to import an archive of any age)")
    a.add_argument("--require-hardware-key", action="store_true",
                   help="refuse envelopes signed by a key file (only TPM or PKCS#11 keys are stored)")
    a.add_argument("paths", nargs="*", metavar="PATH", help="envelope file, folder of envelopes, or - (stdin)")

    q = sub.add_parser("query", help="list stored attestations",
                       description="List stored attestations; every filter given narrows the list.")
    add_store_option(q)
    add_filters(q)
    q.add_argument("--limit", type=int, metavar="N")
    q.add_argument("--newest-first", action="store_true")
    q.add_argument("--count", action="store_true", help="print only how many match")
    q.add_argument("--format", choices=("text", "json"), default="text")

    e = sub.add_parser("export", help="one unit's evidence bundle (tar.gz) for an auditor",
                       description="Write the unit's envelopes, keys, a manifest and SHA256SUMS "
                                   "into a tar.gz, verifying every envelope again.")
    add_store_option(e)
    add_filters(e, failures=False)
    e.add_argument("--output", metavar="FILE", required=True, help="bundle to write (.tar.gz)")

    r = sub.add_parser("retention", help="what falls outside the two-year window",
                       description="Rows older than the label's validity window, and units with no "
                                   "attestation left inside it. Nothing is deleted.")
    add_store_option(r)
    r.add_argument("--now", metavar="DATE", help="evaluate as of DATE (default: today)")
    r.add_argument("--years", type=int, default=2, help="window length in years (default 2)")
    r.add_argument("--format", choices=("text", "json"), default="text")

    u = sub.add_parser("check-unique", help="flag devices sharing a ueid or a signing key",
                       description="STORE-DUPLICATE-UEID: one ueid with several keys or serials; "
                                   "STORE-SHARED-KEY: one key signing for several devices.")
    add_store_option(u)
    u.add_argument("--format", choices=("text", "json"), default="text")


def add_filters(p, failures: bool = True) -> None:
    p.add_argument("--serial", metavar="S", help="the unit: its serial (station label, or the serial its "
                                                 "ueid was made from — see --vendor) or its ueid")
    p.add_argument("--vendor", metavar="V", default="",
                   help="the board config's product.vendor, with which a unit's ueid is made from its serial "
                        "(default: none declared); finds a unit by serial when no label was recorded")
    p.add_argument("--model", metavar="M")
    p.add_argument("--version", metavar="V", help="firmware version")
    p.add_argument("--keyid", metavar="HEX", help="signing key id")
    if failures:
        p.add_argument("--failures", action="store_true", help="only attestations with a fail or error")
    p.add_argument("--since", metavar="DATE", help="received on or after DATE")
    p.add_argument("--until", metavar="DATE", help="received before DATE")


def query_of(args):
    from ..store import Query

    serial_ueid = None
    if args.serial:
        from ..attest.statement import b64url, ueid_from_serial

        serial_ueid = b64url(ueid_from_serial(args.serial.strip(), getattr(args, "vendor", "") or ""))
    return Query(serial=args.serial, serial_ueid=serial_ueid, model=args.model, version=args.version, keyid=args.keyid,
                 failures=getattr(args, "failures", False),
                 since=parse_time(args.since, "--since"), until=parse_time(args.until, "--until"),
                 limit=getattr(args, "limit", None), newest_first=getattr(args, "newest_first", False))


# ------------------------------------------------------------------ actions
def run(args) -> int:
    return {"ingest": do_ingest, "query": do_query, "export": do_export,
            "retention": do_retention, "check-unique": do_unique}[args.action](args)


def do_ingest(args) -> int:
    from ..report import escape
    from ..store.ingest import DEFAULT_MAX_AGE, expand, ingest, read_sources

    if args.batch < 1 or args.workers < 1:
        raise RunError("--batch and --workers must be at least 1")
    ring = keyring(args)
    station = station_name(args)
    if not args.paths and not args.port:
        raise RunError("nothing to ingest: give envelope files/folders, - (stdin), or --port DEV")
    max_age = DEFAULT_MAX_AGE if args.max_age is None else (None if args.max_age == "none" else args.max_age)
    pulled = _pull_for_ingest(args, ring, station) if args.port else None
    files = expand(args.paths)
    workers = args.workers if len(files) >= 200 else 1  # a pool costs more than it saves on a few
    from .. import progress

    with open_from(args, create=True) as store, progress.task("store ingest") as bar:
        def committed(n: int) -> None:
            if args.progress:
                print(f"committed {n}", flush=True)
            bar.update(f"{n} of {len(files)} envelope(s) committed", force=True)  # a terminal only
        res = store_errors(lambda: ingest(store, read_sources(files), ring, station,
                                          batch=args.batch, on_commit=committed,
                                          workers=workers, max_age=max_age,
                                          require_hardware=args.require_hardware_key))
        if pulled is not None and pulled.refusal:
            res.refused.append(pulled.refusal)
        elif pulled is not None:
            new = store_errors(lambda: store.add([pulled.record]))[0]
            (res.stored if new else res.duplicates).append(pulled.record)
        conflicts = store_errors(lambda: [c for c in store.conflicts()
                                          if c.value in {r.ueid for r in res.stored} | {r.keyid for r in res.stored}])
    if args.format == "json":
        print_json({"stored": [r.meta() for r in res.stored], "duplicates": [r.digest for r in res.duplicates],
                    "refused": [{"source": r.source, "reason": r.reason} for r in res.refused],
                    "conflicts": [c.__dict__ for c in conflicts]})
    else:
        for r in res.refused:
            print(escape.terminal(f"REFUSED {r.source}: {r.reason}"))
        for c in conflicts:
            print(escape.terminal(f"{c.check} {c.message}"))
        print(f"{len(res.stored)} stored, {len(res.duplicates)} already stored, {len(res.refused)} refused "
              f"(station {station})")
    return 1 if res.refused or conflicts else 0


def _pull_for_ingest(args, ring, station):
    """Pull from the unit with our own fresh nonce; verify signature AND nonce."""
    from ..serial.host import new_nonce
    from ..store.ingest import Refusal, Verified, check

    nonce = new_nonce()
    data, why = serial_pull(args.port, args.baud, args.timeout, nonce)
    if data is None:
        return Verified(refusal=Refusal(args.port, why))
    return check(args.port, data, ring, station, nonce=nonce, require_hardware=args.require_hardware_key)


def _when(t: Optional[float]) -> str:
    from ..store.retention import iso

    return iso(t) or "-"


def do_query(args) -> int:
    q = query_of(args)
    with open_from(args) as store:
        if args.count:
            n = store_errors(lambda: store.count(q))
            print_json({"count": n}) if args.format == "json" else print(n)
            return 0
        rows = store_errors(lambda: store.query(q))
    if args.format == "json":
        print_json([r.meta() for r in rows])
        return 0
    from ..report.escape import terminal  # serial, model and version are the units' text

    for r in rows:
        verdict = "PASS" if r.ok else "FAIL " + ",".join(r.failed)
        print(terminal(f"{_when(r.received_at)}  {r.serial or r.ueid or '-'}  {r.model or '-'} "
                       f"{r.firmware_version or '-'}  {verdict}  station={r.station} "
                       f"key={r.keyid[:12]} digest={r.digest[:12]}"))
    print(f"{len(rows)} attestation(s)", file=sys.stderr)
    return 0


def do_export(args) -> int:
    from ..store.export import export

    q = query_of(args)
    if not any((args.serial, args.model, args.version, args.keyid)):
        raise RunError("export needs --serial (or --model/--version/--keyid): whose evidence?")
    unit = args.serial or " ".join(x for x in (args.model, args.version, args.keyid) if x)
    from .check import distinct_outputs

    distinct_outputs(("--store", sqlite_file(args)), ("--output", args.output))  # the bundle over the store
    with open_from(args) as store:
        try:
            out = store_errors(lambda: export(store, q, args.output, unit))
        except OSError as exc:
            raise RunError(f"cannot write: {exc.strerror or exc}", args.output) from None
    if not out.count:
        print(f"no attestation matches; {args.output} holds an empty bundle", file=sys.stderr)
        return 1
    for d in out.failed:
        print(f"EXPORT-NOT-VERIFIED attestation {d[:16]}… no longer verifies with its stored key", file=sys.stderr)
    from ..report.escape import terminal

    print(terminal(f"{out.count} attestation(s) of {unit} -> {args.output}" +
                   (f"; {len(out.failed)} did NOT verify" if out.failed else "; all verified")))
    return 1 if out.failed else 0


def do_retention(args) -> int:
    from ..store import retention

    now = parse_time(args.now, "--now") or time.time()
    if args.years < 1:
        raise RunError("--years must be at least 1")
    with open_from(args) as store:
        rep = store_errors(lambda: retention.report(store, now, args.years))
    if args.format == "json":
        print_json(rep.to_dict())
    else:
        from ..report.escape import terminal  # models, versions and units are the units' text

        d = rep.to_dict()
        print(f"window: {args.years} years, from {d['cutoff']} to {d['now']}")
        print(f"{rep.total} attestation(s): {rep.total - rep.outside} inside, {rep.outside} outside the window")
        for g in d["outside_by_model_version"]:
            print(terminal(f"  outside: {g['model'] or '-'} {g['firmware_version'] or '-'}: {g['count']} "
                           f"(received {g['first_received']} … {g['last_received']})"))
        for s in d["units_without_evidence_in_window"]:
            print(terminal(f"RETENTION-NO-CURRENT-EVIDENCE unit {s['unit']}: newest attestation "
                           f"{s['last_received']}, none inside the window"))
    return 1 if rep.outside else 0


def do_unique(args) -> int:
    with open_from(args) as store:
        got = store_errors(store.conflicts)
        total = store_errors(store.count)
    if args.format == "json":
        print_json({"attestations": total, "conflicts": [c.__dict__ for c in got]})
    else:
        from ..report.escape import terminal

        for c in got:
            print(terminal(f"{c.check} {c.message}"))
        print(f"{len(got)} uniqueness problem(s) across {total} attestation(s)")
    return 1 if got else 0
