"""``factory``: one unit on the line — attest, verify, store, PASS/FAIL, JUnit, exit code.

Per unit, in order (each step is a JUnit testcase, so the test station shows where it stopped):

1. ``attest`` — locally (``--key``: a key file, ``tpm:…`` or ``pkcs11:…``; with ``--tpm-create``
   a ``--key`` file that does not exist yet is made in the unit's TPM first, its public half
   then the trusted key; over ``--root DIR`` or the live system, with every ``check``
   option), from the unit over its serial console (``--port DEV``, with ``pull``), or from any
   command that prints the envelope (``--command 'ssh UNIT jcstar-agent attest … --nonce
   "$JCSTAR_NONCE"'``), always with a fresh random nonce;
2. ``verify`` — signature with the trusted key (``--pubkey``; locally, by default the public half
   of ``--key``), the nonce, and age ``<= --max-age``;
   ``--enroll`` (``--port``/``--command``, no ``--pubkey``): the unit's first attestation — made
   with ``attest --key FILE --tpm-create``, which creates the key in the unit's TPM — names its
   TPM key in its provenance; that key is trusted once its certify by the attestation key (and,
   with ``--tpm-ca``, its EK certificate chain) verifies, and it is stored for later runs;
3. ``store`` — the verified envelope goes into the evidence store (idempotent);
4. ``unique`` — no other device with this ueid, no other device signed by this key;
5. ``serial`` — with ``--serial LABEL``: the label is recorded with the row and checked against
   the unit's own serial: the one the report carries, or, when the unit's ueid is made from its
   serial, the ueid the label gives with the vendor of ``--config``/``--board``;
6. ``key`` — where the signing key lives (``file``, ``tpm``, ``pkcs11``) and the provenance that
   verified (the TPM's attestation key and EK certificates, or the token's model and serial),
   recorded with the row and the serial; ``--require-hardware-key`` fails a unit that signs with
   a key file. ``unique`` also fails a hardware key already recorded with another serial;
7. one testcase per criterion from the attested report.

Prints PASS or FAIL in large letters; ``--junit FILE`` writes the JUnit XML. Exit status for the
line's PLC/script: 0 PASS; 1 FAIL (the unit: a criterion failed — or, with ``--fail-on manual``,
was left manual —, the attestation did not verify, or the unit is not unique); 2 the station could not test (bad options, unsafe key, store
unreachable, serial port cannot be opened) — retest, do not reject the unit.

**A line with a board config passes** ``--fail-on manual`` (README, *Factory line*), as the Yocto
and Buildroot hooks do, so a criterion left manual — an undeclared, unexamined service — rejects
the unit. The verb's default stays ``fail`` (CONTRACT.md: today's exit codes).

**Example.** ``jcstar-agent factory --root /mnt/unit --config board.toml --fail-on manual --key
unit.key --serial SN-1`` → PASS, or FAIL with a ``gate`` step naming the criteria left manual.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import List, Optional

from ..errors import RunError
from . import add_signer_options, baud, create_tpm_key, key_file, load_signer_of, seconds, timeout_seconds
from .check import (add_check_options, add_fail_on, build_context, check_writable, distinct_outputs,
                    read_inputs, write_output, write_sbom)
from .store import add_store_option, open_from, serial_pull, sqlite_file, station_name, store_errors

BIG = {
    "P": ["████ ", "█   █", "████ ", "█    ", "█    "],
    "A": [" ███ ", "█   █", "█████", "█   █", "█   █"],
    "S": [" ████", "█    ", " ███ ", "    █", "████ "],
    "F": ["█████", "█    ", "████ ", "█    ", "█    "],
    "I": ["█████", "  █  ", "  █  ", "  █  ", "█████"],
    "L": ["█    ", "█    ", "█    ", "█    ", "█████"],
}


def big(word: str) -> str:
    return "\n".join("  ".join(BIG[ch][row] for ch in word) for row in range(5))


def add_arguments(p) -> None:
    add_check_options(p)
    add_fail_on(p)
    add_store_option(p)
    add_signer_options(p, required=False, key_help="attest locally, signing with this key: a private key file, "
                       "a TPM key (keygen --tpm's file, or tpm:0x81000001) or a pkcs11: URI")
    p.add_argument("--require-hardware-key", action="store_true",
                   help="FAIL a unit whose attestation is signed by a key file (not a TPM or PKCS#11 key)")
    p.add_argument("--port", metavar="DEV", help="pull the attestation from the unit over this serial port")
    p.add_argument("--command", metavar="CMD",
                   help="get the envelope from a shell command (e.g. ssh UNIT jcstar-agent attest … "
                        "--nonce \"$JCSTAR_NONCE\"): its stdout is the envelope")
    p.add_argument("--mcu-port", metavar="DEV",
                   help="attest a MicroPython board (micro-agent deployed with 'mcu deploy') over its USB "
                        "REPL with mpremote")
    p.add_argument("--baud", type=baud, default=115200, metavar="N", help="serial baud rate (default 115200)")
    p.add_argument("--timeout", type=timeout_seconds, default=120.0, metavar="S",
                   help="give up on --port/--command after S seconds (default 120)")
    p.add_argument("--pubkey", metavar="PEM", help="trusted public key of the unit (default with --key: its public half)")
    p.add_argument("--enroll", action="store_true",
                   help="with --port/--command and no --pubkey: enrol the TPM key the unit's first attestation "
                        "carries (its certify, and with --tpm-ca its EK chain, must verify)")
    p.add_argument("--tpm-ca", metavar="PEM",
                   help="TPM makers' CA certificates: a TPM key's EK certificate must chain to them")
    p.add_argument("--serial", metavar="LABEL", help="the unit's serial number as on its label (scanned)")
    p.add_argument("--station", metavar="NAME", help="this station's name (default: $JCSTAR_STATION, else hostname)")
    p.add_argument("--max-age", type=seconds, default=600.0, metavar="S",
                   help="refuse an attestation issued more than S seconds ago (default 600)")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML for the test station")
    p.add_argument("--keep", metavar="DIR", help="also keep a copy of the verified envelope in DIR")
    p.add_argument("--quiet", action="store_true", help="no big PASS/FAIL banner, one line only")


@dataclass
class Step:
    name: str
    ok: Optional[bool]   # None: skipped
    message: str = ""


@dataclass
class Unit:
    steps: List[Step] = field(default_factory=list)
    predicate: Optional[dict] = None
    record: object = None
    key: object = None  # provenance.KeyEvidence of the verified attestation

    def step(self, name: str, ok: Optional[bool], message: str = "") -> bool:
        self.steps.append(Step(name, ok, message))
        return bool(ok)

    @property
    def passed(self) -> bool:
        return bool(self.steps) and all(s.ok is not False for s in self.steps) and \
            not (self.record is not None and self.record.failed)


# check options that only a local run (--key) uses
LOCAL_ONLY = ("boot", "boot_timeout", "active", "probe_workers", "online", "vulndb", "erase_test",
              "password_budget", "sbom", "image_max_size", "image_max_files")


def _attest_local(args, nonce: str) -> bytes:
    from .. import check
    from ..attest.api import attest_report

    signer = load_signer_of(args)
    try:
        ctx = build_context(args)
        ctx.signing_key = signer.kind
        report = check.run(ctx)
        write_sbom(ctx)
        return attest_report(ctx, report, signer, nonce)
    finally:
        signer.close()


def _where(args) -> str:
    return f"--root {args.root}" if args.root else f"--image {args.image}" if args.image else "live"


def _attest_serial(args, nonce: str, unit: Unit) -> Optional[bytes]:
    data, why = serial_pull(args.port, args.baud, args.timeout, nonce)
    if data is None:
        unit.step("attest", False, why)
    return data


def _attest_mcu(args, nonce: str, unit: Unit) -> Optional[bytes]:
    """Check + sign on a MicroPython board (``mcu attest`` without writing anything)."""
    from ..mcu import remote

    try:
        return remote.attest(args.mcu_port, nonce, args.timeout)
    except RunError as exc:
        if "not installed" in str(exc):
            raise  # the station, not the unit
        unit.step("attest", False, str(exc))
        return None


def _run_bounded(command: str, env: dict, timeout: float, limit: int):
    """(exit status or None when it was stopped, stdout, stderr's tail, why it was stopped).
    What the unit prints is read as it comes, at most ``limit`` bytes: a unit that streams
    without end is stopped there, not held in memory until the timeout. A stopped command is
    ended with everything it started (its own process group: an ``ssh`` under ``sh -c`` too)."""
    import selectors
    import signal
    import subprocess

    p = subprocess.Popen(["/bin/sh", "-c", command], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    out, err, why = bytearray(), bytearray(), ""
    deadline = time.monotonic() + timeout
    with p, selectors.DefaultSelector() as sel:
        sel.register(p.stdout, selectors.EVENT_READ, out)
        sel.register(p.stderr, selectors.EVENT_READ, err)
        while sel.get_map() and not why:
            left = deadline - time.monotonic()
            ready = sel.select(left) if left > 0 else []
            if not ready:
                why = "timeout"
            for key, _ in ready:
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    sel.unregister(key.fileobj)
                key.data.extend(chunk)
                if key.data is err:
                    del err[:-4096]  # its last line is all that is said
                elif len(out) > limit:
                    why = "too much"
        if not why:
            try:
                p.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                why = "timeout"
        if why:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            p.wait()
            return None, bytes(out), bytes(err), why
    return p.returncode, bytes(out), bytes(err), ""


def _attest_command(args, nonce: str, unit: Unit) -> Optional[bytes]:
    """Run CMD with JCSTAR_NONCE set; its stdout is the envelope (attest's exit 1 — a failing
    unit — still prints the envelope, so any output is taken and verified)."""
    from ..store.ingest import MAX_ENVELOPE

    try:
        rc, out, err_bytes, why = _run_bounded(args.command, dict(os.environ, JCSTAR_NONCE=nonce),
                                               args.timeout, MAX_ENVELOPE)
    except OSError as exc:
        raise RunError(f"cannot run --command: {exc.strerror or exc}") from None
    if why == "timeout":
        unit.step("attest", False, f"--command did not finish within {args.timeout:g} s")
        return None
    if not out.strip() or why:
        err = err_bytes.decode("utf-8", "replace").strip().splitlines()
        unit.step("attest", False, (f"--command printed more than {MAX_ENVELOPE >> 20} MiB: stopped"
                                    if why else f"--command exited {rc} and printed no envelope")
                                   + (f": {err[-1][:200]}" if err else ""))
        return None
    return out


def _trusted_pem(args) -> bytes:
    if args.pubkey:
        from ..infile import PUBLIC_KEY_MAX, read

        return read(args.pubkey, PUBLIC_KEY_MAX, "public key")
    signer = load_signer_of(args)
    try:
        return signer.public_key_pem()
    finally:
        signer.close()


def _enroll(envelope: bytes, ring, unit: "Unit") -> Optional[bytes]:
    """``--enroll``: trust the TPM key the unit's first attestation carries (the envelope, or None
    when there is no TPM key to enrol)."""
    from ..attest.provenance import enrolment_pem

    pem, why = enrolment_pem(envelope)
    if pem is None:
        unit.step("verify", False, f"--enroll: {why}")
        return None
    unit.step("enroll", True, f"TPM key {ring.add_pem(pem, 'the unit attestation')[:16]}… taken from the unit's "
                              "first attestation; verified next with its certify and EK certificates")
    return envelope


def _key_step(unit: "Unit", key, hardware_required: bool) -> None:
    """The ``key`` testcase: where the key lives and the provenance that verified."""
    if key is None:
        return
    detail = "; ".join(key.details[:4])
    if hardware_required and key.kind == "file":
        unit.step("key", False, f"signed by a key file: --require-hardware-key wants a TPM or PKCS#11 key ({detail})")
        return
    unit.step("key", True, f"{key.kind} key" + (f": {detail}" if detail else ""))


def _vendor(args) -> Optional[str]:
    """product.vendor of --config/--board (what the unit's serial ueid is made with), else None."""
    if not (args.config or args.board):
        return None
    from ..config import board_path, load

    return load(args.config or board_path(args.board)).product.vendor


def _label_matches(label: str, vendor: Optional[str], predicate: dict, rec):
    """(same?, message) for the scanned label against the unit: the serial the report carries, or
    — when the unit's ueid was made from its serial (RAND ueid = SHA-256 of vendor and serial) —
    the ueid that label gives with the declared vendor."""
    reported = (predicate.get("target") or {}).get("serial") if isinstance(predicate.get("target"), dict) else None
    if reported not in (None, ""):
        same = reported == label
        return same, f"label {label}" + ("" if same else f" but the report says {reported} (FACTORY-SERIAL-MISMATCH)")
    meta = predicate.get("attestation") if isinstance(predicate.get("attestation"), dict) else {}
    if meta.get("ueid_source") != "serial" or not rec.ueid:
        return True, f"label {label} recorded (the unit's ueid is not made from a serial: not compared)"
    if vendor is None:
        return True, f"label {label} recorded (give --config/--board to compare it with the unit's own serial)"
    from ..attest.statement import b64url, ueid_from_serial

    if b64url(ueid_from_serial(label.strip(), vendor)) == rec.ueid:
        return True, f"label {label} is the unit's own serial (its ueid matches)"
    return False, (f"label {label} is not the serial the unit reports: its ueid is made from another serial "
                   "(FACTORY-SERIAL-MISMATCH: wrong label, or the unit's serial storage is wrong)")


def run(args) -> int:
    from ..attest.statement import check_nonce
    from ..store.ingest import KeyRing, check

    modes = [m for m in ("key", "port", "command", "mcu_port") if getattr(args, m)]
    if len(modes) != 1:
        raise RunError("give one of --key FILE (attest locally), --port DEV (pull over serial), "
                       "--command CMD (envelope from a command) or --mcu-port DEV (MicroPython board)")
    remote = args.port or args.command or args.mcu_port
    if args.enroll and (args.pubkey or args.key or args.mcu_port):
        raise RunError("--enroll takes the key from the unit's first attestation over --port or --command: "
                       "not with --pubkey, --key or --mcu-port")
    if remote and not args.pubkey and not args.enroll:
        raise RunError(f"{'--port' if args.port else '--mcu-port' if args.mcu_port else '--command'} needs "
                       "--pubkey PEM: the unit's trusted public key")
    if remote and (args.root or args.image):
        raise RunError(f"{'--root' if args.root else '--image'} inspects an image here; --port/--command "
                       "ask the unit itself: choose one")
    # given at all (--password-budget 0 is given): None/False is an option left out
    local = [f"--{name.replace('_', '-')}" for name in LOCAL_ONLY
             if getattr(args, name, None) is not None and getattr(args, name) is not False]
    if remote and local:  # the unit runs its own checks: these would be silently ignored
        raise RunError(f"{', '.join(local)} tune(s) a check run here (--key); with "
                       f"{'--port' if args.port else '--mcu-port' if args.mcu_port else '--command'} "
                       "the unit checks itself", hint="drop them, or attest locally with --key")
    if args.tpm_create and not args.key:
        raise RunError("--tpm-create goes with --key FILE (a local attestation); a unit asked over "
                       "--command makes its key with its own attest --tpm-create")
    created = create_tpm_key(args) if args.key else None
    ring = KeyRing()
    if not args.enroll:
        ring.add_pem(_trusted_pem(args), args.pubkey or args.key)
    tpm_ca = None
    if args.tpm_ca:
        from ..attest.provenance import load_ca_bundle
        from ..infile import read

        tpm_ca = load_ca_bundle(read(args.tpm_ca, 4 << 20, "CA bundle"), args.tpm_ca)
    vendor = _vendor(args)  # an unreadable config: exit 2 before the unit is touched
    # --sbom too (--key --sbom unit.key wrote the SBOM over the private key), and the SQLite store
    distinct_outputs(("--key", key_file(args.key)), ("--pubkey", args.pubkey), ("--junit", args.junit),
                     ("--sbom", args.sbom), ("--store", sqlite_file(args)), *read_inputs(args))
    check_writable(args.junit)  # the same for a JUnit file that could not be written
    station = station_name(args)
    from ..serial.host import new_nonce

    nonce = check_nonce(new_nonce())  # never starts with "-": --command passes it as an argument
    unit = Unit()
    started = time.time()
    with open_from(args, create=True) as store:  # unreachable store: exit 2 before the unit is touched
        if args.port:
            envelope, how = _attest_serial(args, nonce, unit), f"pulled over {args.port}"
        elif args.command:
            envelope, how = _attest_command(args, nonce, unit), "from --command"
        elif args.mcu_port:
            envelope, how = _attest_mcu(args, nonce, unit), f"from the MicroPython board on {args.mcu_port}"
        else:
            envelope, how = _attest_local(args, nonce), f"attested {_where(args)}"
        if created:
            unit.step("keygen", True, created.replace("made in the TPM", "made in the unit's TPM"))
        if envelope is not None:
            unit.step("attest", True, f"{len(envelope)} bytes, {how}")
        if envelope is not None and args.enroll:
            envelope = _enroll(envelope, ring, unit)
        if envelope is not None:
            v = check("unit", envelope, ring, station, serial=args.serial, nonce=nonce, max_age=args.max_age,
                      require_hardware=args.enroll, tpm_ca=tpm_ca)
            if v.refusal:
                unit.step("verify", False, v.refusal.reason)
            else:
                rec, unit.record, unit.predicate = v.record, v.record, v.predicate
                unit.step("verify", True, f"signature, nonce and age verified with key {rec.keyid[:16]}…")
                unit.key = v.key
                store_errors(lambda: store.add_key(rec.keyid, ring.keys[rec.keyid]))
                new = store_errors(lambda: store.add([rec]))[0]
                unit.step("store", True, f"{'stored' if new else 'already stored'} in {store.engine} "
                                         f"as {rec.digest[:16]}…")
                conflicts = store_errors(lambda: store.conflicts(ueid=rec.ueid or "", keyid=rec.keyid))
                if not rec.ueid:
                    why = ((v.predicate or {}).get("attestation") or {}).get("absent", {}).get("ueid", "")
                    unit.step("unique", False, "FACTORY-NO-UEID: the attestation names no device (no ueid"
                                               + (f": {why}" if why else "") + "); declare product.serial_source")
                else:
                    unit.step("unique", not conflicts, "; ".join(f"{c.check}: {c.message}" for c in conflicts)
                              or f"ueid {rec.ueid} and key {rec.keyid[:16]}… belong to this unit only")
                if args.serial:
                    unit.step("serial", *_label_matches(args.serial, vendor, v.predicate or {}, rec))
                _key_step(unit, v.key, args.require_hardware_key)  # after serial: earlier steps keep their place
                if args.fail_on == "manual":
                    unit.step("gate", *_manual_gate(v.predicate or {}, rec))
                if args.keep:
                    os.makedirs(args.keep, exist_ok=True)
                    name = f"{args.serial or rec.ueid or 'unit'}-{rec.digest[:16]}.dsse.json"
                    write_output(envelope.decode("utf-8"), os.path.join(args.keep, name.replace("/", "_")))
    if args.junit:
        write_output(junit(unit, station, time.time() - started, args.serial), args.junit)
    _announce(unit, args)
    return 0 if unit.passed else 1


def _manual_gate(predicate: dict, rec):
    """``--fail-on manual``: (ok, message) — the attested criteria the agent could not judge
    stop the unit as a failed one does (fail and error are the record's own ``failed``)."""
    from ..report.model import gated

    verdicts = [(c.get("id"), c.get("verdict")) for c in predicate.get("criteria") or []
                if isinstance(c, dict)]
    manual = [cid for cid in gated(verdicts, "manual") if cid not in rec.failed]
    if manual:
        return False, f"--fail-on manual: {', '.join(map(str, manual))} not judged (manual)"
    return True, "--fail-on manual: no criterion left manual"


def _announce(unit: Unit, args) -> None:
    from ..report.escape import terminal  # step messages quote the unit's own text

    word = "PASS" if unit.passed else "FAIL"
    rec = unit.record
    who = terminal(args.serial or (rec.ueid if rec else None) or "unit")
    lines = []
    for s in unit.steps:
        mark = "ok  " if s.ok else ("skip" if s.ok is None else "FAIL")
        lines.append(terminal(f"  [{mark}] {s.name}: {s.message}"))
    if rec is not None:
        lines.append("  criteria: " + ", ".join(f"{rec.summary.get(k, 0)} {k}" for k in
                                                  ("pass", "fail", "na", "manual", "error")) +
                     (f"  (failing: {', '.join(rec.failed)})" if rec.failed else ""))
    tty = sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    colour = ("\033[1;32m" if unit.passed else "\033[1;31m") if tty else ""
    reset = "\033[0m" if tty else ""
    out = "\n".join(lines) + "\n"
    if args.quiet:
        out += f"{word} {who}\n"
    else:
        out += f"\n{colour}{big(word)}{reset}\n\n{word} {who}\n"
    sys.stdout.write(out)
    sys.stdout.flush()


def junit(unit: Unit, station: str, seconds: float, serial: Optional[str]) -> str:
    """JUnit XML: the station's steps, then one testcase per attested criterion."""
    from xml.etree import ElementTree as ET

    cases = []
    for s in unit.steps:
        cases.append((f"factory.{s.name}", s.name, "fail" if s.ok is False else ("skipped" if s.ok is None else "pass"),
                      s.message, ""))
    p = unit.predicate or {}
    for c in p.get("criteria") or []:
        if not isinstance(c, dict):
            continue
        body = "\n".join(f"[{f.get('severity')}] {f.get('check')}: {f.get('message')}"
                         for f in c.get("findings") or [] if isinstance(f, dict))
        v = c.get("verdict")
        kind = {"fail": "fail", "error": "error", "na": "skipped", "manual": "skipped"}.get(v, "pass")
        cases.append((f"jcstar.{c.get('id')}", f"{c.get('id')} {c.get('title', '')}", kind,
                      f"{v}: {c.get('reason', '')}", body))
    suite = ET.Element("testsuite", name="jcstar-factory", tests=str(len(cases)),
                       failures=str(sum(k == "fail" for _, _, k, _, _ in cases)),
                       errors=str(sum(k == "error" for _, _, k, _, _ in cases)),
                       skipped=str(sum(k == "skipped" for _, _, k, _, _ in cases)), time=f"{seconds:.3f}")
    props = ET.SubElement(suite, "properties")
    rec = unit.record
    for name, value in (("station", station), ("serial", serial), ("ueid", rec and rec.ueid),
                        ("model", rec and rec.model), ("firmware_version", rec and rec.firmware_version),
                        ("keyid", rec and rec.keyid), ("digest", rec and rec.digest),
                        ("key_kind", unit.key and unit.key.kind), ("ak_keyid", unit.key and unit.key.ak_keyid),
                        ("result", "PASS" if unit.passed else "FAIL")):
        if value:
            ET.SubElement(props, "property", name=name, value=str(value))
    for classname, name, kind, message, body in cases:
        case = ET.SubElement(suite, "testcase", classname=classname, name=name)
        if kind == "fail":
            ET.SubElement(case, "failure", message=message, type="fail").text = body or message
        elif kind == "error":
            ET.SubElement(case, "error", message=message, type="error").text = body or message
        elif kind == "skipped":
            ET.SubElement(case, "skipped", message=message)
        elif message or body:
            ET.SubElement(case, "system-out").text = "\n".join(x for x in (message, body) if x)
    if hasattr(ET, "indent"):
        ET.indent(suite)
    from ..report import escape  # the unit's text may hold characters XML 1.0 forbids

    return escape.xml('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n")
