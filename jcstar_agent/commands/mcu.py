"""``mcu``: the MicroPython micro-agent on a board, over its USB serial REPL (mpremote).

    jcstar-agent mcu deploy --port DEV [--config board.toml | --board NAME] [--source]
    jcstar-agent mcu keygen --port DEV --out UNIT.pub
    jcstar-agent mcu attest --port DEV --pubkey UNIT.pub --output unit.json [--nonce N]

``deploy`` copies the micro-agent (.mpy from mpy-cross, or the .py sources with ``--source``) and
``jca_cfg.json`` (the board TOML, validated here), ``jca_cat.json`` and ``jca_pw.txt``.
``keygen`` makes the Ed25519 key on the board from ``os.urandom`` (on an ESP32 with Wi-Fi on, so
the hardware RNG is true-random; said on the ``randomness:`` line); only the public key leaves it,
written here as PEM SubjectPublicKeyInfo (never overwritten) once the board has signed a fresh
nonce that verifies with it; a small-order or non-canonical key is refused. ``attest`` sends a
fresh nonce (or ``--nonce``), runs check + sign on the board, fetches the envelope and verifies it with
``--pubkey``; it is written only when valid. Exit 0: valid and no criterion fail/error; 1: invalid
envelope, or a criterion failed (the envelope is still written); 2: could not run.
"""
from __future__ import annotations

import sys

from ..errors import RunError
from . import timeout_seconds


def add_arguments(p) -> None:
    sub = p.add_subparsers(dest="mcu_action", metavar="ACTION")
    d = sub.add_parser("deploy", help="copy the micro-agent and the board declaration to the board")
    k = sub.add_parser("keygen", help="make the signing key on the board; write its public key here")
    a = sub.add_parser("attest", help="check + sign on the board with a fresh nonce; fetch and verify")
    for sp in (d, k, a):
        sp.add_argument("--port", metavar="DEV", required=True,
                        help="the board's USB serial device (e.g. /dev/ttyACM0), as mpremote connect takes it")
        sp.add_argument("--timeout", type=timeout_seconds, default=600.0, metavar="S",
                        help="give up after S seconds (default 600: pure-Python signing on a board is slow)")
    d.add_argument("--config", metavar="FILE", help="board config (TOML), converted to jca_cfg.json")
    d.add_argument("--board", metavar="NAME", help="a board config from board_configs/")
    d.add_argument("--source", action="store_true", help="copy the .py sources instead of mpy-cross .mpy")
    d.add_argument("--data-only", action="store_true",
                   help="copy only the data files (the firmware freezes the micro-agent: "
                        "firmware_hooks/micropython/manifest.py); removes agent copies from the flash")
    k.add_argument("--out", metavar="FILE", required=True, help="where to write the public key (PEM)")
    a.add_argument("--pubkey", metavar="PEM", required=True, help="the board's public key (mcu keygen --out)")
    a.add_argument("--output", metavar="FILE", required=True, help="where to write the verified envelope")
    a.add_argument("--nonce", metavar="STRING", help="the verifier's nonce (default: a fresh random one)")


def _read_pem(path: str) -> bytes:
    from ..infile import read_public_key

    return read_public_key(path)


def run(args) -> int:
    from ..mcu import remote
    from .check import check_writable, write_output

    action = getattr(args, "mcu_action", None)
    if action == "deploy":
        config = args.config
        if args.board and not config:
            from ..config import board_path

            config = board_path(args.board)
        sizes = remote.deploy(args.port, config, args.source, args.timeout, args.data_only)
        for name, size in sizes.items():
            print(f"  {name:18} {size:7d} bytes")
        print(f"deployed {len(sizes)} files ({sum(sizes.values())} bytes) to {args.port}")
        return 0
    if action == "keygen":
        import os

        from ..mcu.remote import keyid_of_raw

        if os.path.lexists(args.out):
            raise RunError("already exists; keygen never overwrites a key", args.out)
        check_writable(args.out)
        import time

        started = time.monotonic()
        raw, rng = remote.keygen(args.port, args.timeout)  # refuses a small-order or non-hex key
        remote.prove(args.port, raw, max(1.0, args.timeout - (time.monotonic() - started)))
        with open(args.out, "xb") as fh:
            fh.write(remote.public_pem(raw))
        print(f"public key: {args.out}\nalgorithm:  ed25519 (private key on the board only)\n"
              f"randomness: {rng}\nkeyid:      {keyid_of_raw(raw)}")
        return 0
    if action == "attest":
        from ..attest.api import verify_envelope
        from ..attest.statement import check_nonce
        from ..serial.host import new_nonce

        from .check import distinct_outputs

        distinct_outputs(("--pubkey", args.pubkey), ("--output", args.output))
        pem = _read_pem(args.pubkey)
        check_writable(args.output)
        nonce = check_nonce(args.nonce) if args.nonce else new_nonce()
        envelope = remote.attest(args.port, nonce, args.timeout)
        v = verify_envelope(envelope, pem, nonce=nonce)
        if not v.ok:
            print(f"jcstar-agent mcu attest: INVALID: {v.reason} (nothing written)", file=sys.stderr)
            return 1
        write_output(envelope.decode("utf-8"), args.output)
        summary = (v.predicate or {}).get("summary") or {}
        print(f"VALID: {args.output} ({len(envelope)} bytes, key {v.keyid[:16]}…): "
              + ", ".join(f"{summary.get(k, 0)} {k}" for k in ("pass", "fail", "na", "manual", "error")))
        return 1 if summary.get("fail") or summary.get("error") else 0
    raise RunError("mcu needs an action: deploy, keygen or attest", hint="see 'jcstar-agent mcu --help'")

