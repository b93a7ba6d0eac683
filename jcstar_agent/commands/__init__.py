"""One module per verb: ``add_arguments(parser)`` and ``run(args) -> int``."""


def seconds(text: str) -> float:
    """argparse type of ``--max-age``-like options: a finite number of seconds >= 0 (``nan``,
    ``inf`` and negatives exit 2, as any bad argument: NaN would compare as always fresh)."""
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds >= 0")
    return value


def timeout_seconds(text: str) -> float:
    """argparse type of ``--timeout``: a finite number of seconds above 0, at most a day (``nan``
    never times out, ``inf`` never ends, 0 or a negative ends before anything is asked)."""
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and 0 < value <= 86400):
        raise argparse.ArgumentTypeError(f"{text!r}: must be a number of seconds above 0 and at most 86400")
    return value


def baud(text: str) -> int:
    """argparse type of ``--baud``: a whole, positive rate."""
    import argparse

    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 0 < value <= 100_000_000:
        raise argparse.ArgumentTypeError(f"{text!r}: must be a whole baud rate above 0 (e.g. 115200)")
    return value


def add_signer_options(p, required: bool = True, key_help: str = "") -> None:
    """``--key`` (a key file, ``tpm:…`` or ``pkcs11:…``) and the TPM's ``--tpm-tcti``/``--tpm-pcrs``:
    the same for attest, serve and factory."""
    p.add_argument("--key", metavar="KEY", required=required,
                   help=key_help or "signing key: a private key file (from keygen), a TPM key (keygen --tpm's "
                                    "file, or tpm:0x81000001), or a pkcs11: URI (RFC 7512; PIN from "
                                    "pin-source=file: or $JCSTAR_PKCS11_PIN)")
    p.add_argument("--tpm-tcti", metavar="TCTI",
                   help="how to reach the TPM (default: $TPM2TOOLS_TCTI, else device:/dev/tpmrm0)")
    p.add_argument("--tpm-pcrs", metavar="LIST", default="0-7",
                   help="with a TPM key: quote these sha256 PCRs into the attestation (default 0-7; none: no quote)")
    p.add_argument("--tpm-create", action="store_true",
                   help="when the --key FILE does not exist yet, make it in the TPM first (as keygen --tpm): "
                        "the unit's first attestation creates its key")


def key_file(spec):
    """The file a ``--key`` value reads (None for a pkcs11: URI or a tpm: handle), for the checks
    that no output of the run names it."""
    if not spec or spec.startswith("pkcs11:") or spec.lower().startswith("tpm:0x"):
        return None
    return spec[4:] if spec.startswith("tpm:") else spec


def create_tpm_key(args):
    """``--tpm-create``: make the ``--key`` FILE in the TPM when it is not there yet; a line saying
    so, or None when nothing was made."""
    if not getattr(args, "tpm_create", False):
        return None
    from ..errors import RunError

    path = key_file(args.key)
    if not args.key or path != args.key:
        raise RunError("--tpm-create makes a key FILE: give --key FILE (not tpm:… or pkcs11:…)")
    import os

    if os.path.lexists(path):
        return None
    from ..attest.tpm import generate

    _, _, keyid = generate(path, getattr(args, "tpm_tcti", None))
    return f"key {keyid[:16]}… made in the TPM ({path}, {path}.pub)"


def load_signer_of(args):
    from ..attest.api import load_signer

    return load_signer(args.key, getattr(args, "tpm_tcti", None), getattr(args, "tpm_pcrs", "0-7"))
