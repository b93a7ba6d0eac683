"""``keygen``: create a signing key pair for ``attest`` (private 0600, never overwritten).

``--tpm``: the key is made inside the TPM 2.0 (ECDSA P-256, never exportable); ``--out`` then
holds only the TPM-wrapped blob (``TSS2 PRIVATE KEY`` PEM) that ``--key`` accepts.
"""
from __future__ import annotations

import sys


def add_arguments(p) -> None:
    from ..attest.keys import ALGORITHMS

    p.add_argument("--out", metavar="FILE", required=True,
                   help="private key file to create (PEM PKCS#8, mode 0600); FILE.pub beside it")
    p.add_argument("--algorithm", choices=ALGORITHMS, default=None,
                   help="signature algorithm (default: ed25519; with --tpm: ecdsa-p256, the only one)")
    p.add_argument("--tpm", action="store_true",
                   help="make the key in the TPM 2.0 (non-exportable ECDSA P-256); FILE holds only its "
                        "TPM-wrapped blob")
    p.add_argument("--tpm-tcti", metavar="TCTI",
                   help="with --tpm: how to reach the TPM (default: $TPM2TOOLS_TCTI, else device:/dev/tpmrm0)")


def run(args) -> int:
    from ..errors import RunError

    if args.tpm:
        if args.algorithm not in (None, "ecdsa-p256"):
            raise RunError("--tpm makes an ecdsa-p256 key (TPMs have no Ed25519)")
        from ..attest.tpm import generate as tpm_generate

        priv, pub, keyid = tpm_generate(args.out, args.tpm_tcti)
        print(f"TPM key blob: {priv} (mode 0600; no private key material: only this TPM can use it)\n"
              f"public key:   {pub}\nalgorithm:    ecdsa-p256\nkeyid:        {keyid}")
        sys.stdout.flush()
        return 0
    if args.tpm_tcti:
        raise RunError("--tpm-tcti goes with --tpm")
    from ..attest.keys import generate

    algorithm = args.algorithm or "ed25519"
    priv, pub, keyid = generate(args.out, algorithm)
    print(f"private key: {priv} (mode 0600)\npublic key:  {pub}\nalgorithm:   {algorithm}\n"
          f"keyid:       {keyid}")
    sys.stdout.flush()
    return 0
