"""``serve``: answer ping / attest / resend requests on a serial line until stopped.

Every ``check`` option applies (``--root``, ``--config`` …): each attest request runs the checks
afresh and answers with a DSSE envelope signed by ``--key`` and bound to the request's nonce.
"""
from __future__ import annotations

import signal

from ..errors import RunError
from . import add_signer_options, baud, create_tpm_key, key_file, load_signer_of
from .check import add_check_options, build_context, distinct_outputs, read_inputs, write_sbom


def add_arguments(p) -> None:
    p.add_argument("--port", metavar="DEV", required=True,
                   help="serial device (e.g. /dev/ttyGS0) or a pyserial URL (loop://)")
    p.add_argument("--baud", type=baud, default=115200, metavar="N", help="baud rate (default 115200)")
    add_signer_options(p)
    add_check_options(p, image=False)  # serve answers for the device it runs on


def run(args) -> int:
    from .. import __version__
    from ..attest.api import attest_report
    from ..serial import device

    distinct_outputs(("--key", key_file(args.key)), ("--sbom", args.sbom), *read_inputs(args))  # SBOM over the key
    build_context(args)  # bad options, config or root: exit 2 now, not at the first request
    if args.baud <= 0:
        raise RunError(f"--baud must be positive, not {args.baud}")
    made = create_tpm_key(args)
    if made:
        device.stderr_log(made)
    signer = load_signer_of(args)  # a TPM/token session held while serving

    def make_document(nonce: str) -> bytes:
        from .. import check

        ctx = build_context(args)  # a fresh context per request: facts are read anew
        ctx.signing_key = signer.kind
        report = check.run(ctx)
        write_sbom(ctx)
        return attest_report(ctx, report, signer, nonce)

    try:
        port = device.open_port(args.port, args.baud)
    except Exception as exc:  # pyserial: SerialException/ValueError with the reason
        signer.close()
        raise RunError(f"cannot open serial port: {exc}", args.port)
    stopping = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
    responder = device.Responder(make_document, f"jcstar-agent/{__version__}", device.stderr_log)
    device.stderr_log(f"serving on {args.port} at {args.baud} baud")
    try:
        device.serve(port, responder, stop=lambda: bool(stopping))
    except Exception as exc:  # the port went away (USB unplugged): exit; systemd restarts us
        device.stderr_log(f"serial port failed: {type(exc).__name__}: {exc}")
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
        port.close()
        signer.close()
    device.stderr_log("stopped")
    return 0
