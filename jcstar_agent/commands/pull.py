"""``pull``: request an attestation over a serial line, verify it, write it only if valid.

A fresh random nonce per pull; the envelope must carry exactly that nonce and verify with
``--pubkey``. Exit 0: valid and fresh (written to ``--output``); 1: transfer failed, invalid,
wrong nonce or too old (nothing written); 2: run-level problem (bad options, unreadable key,
port cannot be opened).
"""
from __future__ import annotations

import sys
import time

from ..errors import RunError
from . import baud, seconds, timeout_seconds


def add_arguments(p) -> None:
    p.add_argument("--port", metavar="DEV", required=True,
                   help="serial device (e.g. /dev/ttyUSB0) or a pyserial URL")
    p.add_argument("--baud", type=baud, default=115200, metavar="N", help="baud rate (default 115200)")
    p.add_argument("--pubkey", metavar="PEM", help="the device's public key (keygen's FILE.pub)")
    p.add_argument("--output", metavar="FILE", help="where to write the verified envelope")
    p.add_argument("--timeout", type=timeout_seconds, default=120.0, metavar="S",
                   help="give up after S seconds (default 120; the device runs its checks first)")
    p.add_argument("--max-age", type=seconds, metavar="SECONDS",
                   help="also refuse an envelope whose iat is older than this (device clock!)")
    p.add_argument("--ping", action="store_true",
                   help="only check that the device answers (prints its agent version)")


def _say(msg: str) -> None:
    from ..report.escape import terminal  # the model named is the device's text

    print(terminal(f"jcstar-agent pull: {msg}"), file=sys.stderr, flush=True)


def run(args) -> int:
    from ..serial import device, host
    from ..serial.framing import TransferError
    from .check import check_writable, write_output

    if args.timeout <= 0 or args.baud <= 0:
        raise RunError("--timeout and --baud must be positive")
    pem = None
    if not args.ping:
        if not args.pubkey or not args.output:
            raise RunError("pull needs --pubkey PEM and --output FILE (or --ping)")
        from ..infile import read_public_key

        pem = read_public_key(args.pubkey)  # not a public key: exit 2 before touching the line
        from .check import distinct_outputs

        distinct_outputs(("--pubkey", args.pubkey), ("--output", args.output))
        check_writable(args.output)  # nowhere to write it: exit 2 now, not after the transfer
    try:
        port = device.open_port(args.port, args.baud)
    except Exception as exc:
        raise RunError(f"cannot open serial port: {exc}", args.port)
    from serial import SerialException

    progress = host.TerminalProgress()
    try:
        if args.ping:
            print(host.ping(port, min(args.timeout, 10.0)))
            return 0
        nonce = host.new_nonce()
        started = time.monotonic()
        document = host.pull(port, nonce, args.timeout, args.baud, progress)
    except (TransferError, SerialException, OSError) as exc:
        progress.done()
        _say(str(exc) if isinstance(exc, TransferError) else f"serial port failed: {exc}")
        return 1
    finally:
        port.close()
    progress.done()
    elapsed = time.monotonic() - started
    from ..attest.api import verify_envelope

    v = verify_envelope(document, pem, nonce=nonce, max_age=args.max_age)
    if not v.ok:
        _say(f"attestation rejected, not written: {v.reason}")
        return 1
    write_output(document.decode("utf-8"), args.output)
    from ..attest.statement import model_text

    _say(f"valid attestation written to {args.output}: {len(document)} bytes in {elapsed:.1f} s, "
         f"keyid {v.keyid}, model {model_text(v.predicate) or 'unknown'!r}, nonce {nonce}")
    return 0
