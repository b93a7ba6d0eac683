"""``keygen``: create a signing key pair for ``attest`` (private 0600, never overwritten)."""
from __future__ import annotations

import sys


def add_arguments(p) -> None:
    from ..attest.keys import ALGORITHMS

    p.add_argument("--out", metavar="FILE", required=True,
                   help="private key file to create (PEM PKCS#8, mode 0600); FILE.pub beside it")
    p.add_argument("--algorithm", choices=ALGORITHMS, default="ed25519",
                   help="signature algorithm (default: ed25519)")


def run(args) -> int:
    from ..attest.keys import generate

    priv, pub, keyid = generate(args.out, args.algorithm)
    print(f"private key: {priv} (mode 0600)\npublic key:  {pub}\nalgorithm:   {args.algorithm}\n"
          f"keyid:       {keyid}")
    sys.stdout.flush()
    return 0
