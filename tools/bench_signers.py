"""Sign time per signer backend: key file (Ed25519, ECDSA P-256), TPM 2.0 (swtpm), PKCS#11 (SoftHSM2).

    python3 tools/bench.py signers      # or: python3 tools/bench_signers.py

Wall time per call (a TPM or token works outside this process, so CPU time would hide it): one
DSSE-sized signature; for the TPM also the provenance (TPM2_Certify by the attestation key,
which is re-created from its template each time) and the PCR quote each attestation adds, and
the verifier's check of both. swtpm is a software TPM on the same CPU: a discrete TPM signs in
tens to hundreds of milliseconds and is far slower than these figures; SoftHSM2 likewise is
no secure element (an ATECC608 over I2C takes ~50-100 ms per signature).
"""
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, PROJECT)
sys.path.insert(0, os.path.join(PROJECT, "tests", "attest"))

from bench import Row  # noqa: E402

DATA = os.urandom(28 * 1024)  # about one report's statement


def _wall(fn, seconds=1.0):
    fn()
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        if time.perf_counter() - t0 >= seconds:
            return (time.perf_counter() - t0) / n


def _file_rows(folder):
    from jcstar_agent.attest import api, keys

    out = []
    for alg in keys.ALGORITHMS:
        priv, _, _ = keys.generate(os.path.join(folder, alg), alg)
        s = api.load_signer(priv)
        out.append(Row(f"sign, file key {alg}", _wall(lambda: s.sign(DATA)) * 1000, "ms", note="in-process"))
    return out


def _tpm_rows(folder):
    import hardware
    from jcstar_agent.attest import api, provenance, tpm

    if hardware.missing_tpm_tools():
        return [Row("sign, TPM (swtpm)", 0, "ms", note="skipped: swtpm/tpm2-tools not installed")]
    out = []
    with hardware.swtpm(os.path.join(folder, "tpm")) as tcti:
        os.environ["TPM2TOOLS_TCTI"] = tcti
        tpm.generate(os.path.join(folder, "tpm.key"))
        t0 = time.perf_counter()
        s = api.load_signer(os.path.join(folder, "tpm.key"))
        load = time.perf_counter() - t0
        try:
            out.append(Row("load TPM key (SRK + blob)", load * 1000, "ms", note="swtpm, not a real TPM's speed"))
            out.append(Row("sign, TPM ECDSA P-256 (swtpm)", _wall(lambda: s.sign(DATA)) * 1000, "ms",
                           note="swtpm, not a real TPM's speed"))
            out.append(Row("provenance: TPM2_Certify by the AK (swtpm)", _wall(lambda: s.describe("n", 1)) * 1000,
                           "ms", note="AK re-created per call"))
            out.append(Row("measured boot: quote PCRs 0-7 (swtpm)", _wall(lambda: s.quote("n", 1)) * 1000, "ms"))
            pred = {"attestation": {"signer": s.describe("n", 1), "measured_boot": s.quote("n", 1)}}
            pub = s.public_key
            out.append(Row("verify provenance + quote (host)",
                           _wall(lambda: provenance.check(pred, pub, "n", 1)) * 1000, "ms", note="pure Python + cryptography"))
        finally:
            s.close()
            os.environ.pop("TPM2TOOLS_TCTI", None)
    return out


def _pkcs11_rows(folder):
    import hardware
    from jcstar_agent.attest import api

    try:
        import pkcs11  # noqa: F401
    except ImportError:
        return [Row("sign, PKCS#11 (SoftHSM2)", 0, "ms", note="skipped: python-pkcs11 not installed")]
    if not hardware.softhsm_module():
        return [Row("sign, PKCS#11 (SoftHSM2)", 0, "ms", note="skipped: softhsm2 not installed")]
    with hardware.softhsm(os.path.join(folder, "hsm")) as (module, pin, _):
        hardware.make_token_key(module, "attest")
        s = api.load_signer(f"pkcs11:token=unit;object=attest?module-path={module}&pin-source=file:{pin}")
        try:
            return [Row("sign, PKCS#11 ECDSA P-256 (SoftHSM2)", _wall(lambda: s.sign(DATA)) * 1000, "ms",
                        note="software token, not a secure element's speed")]
        finally:
            s.close()


def run(args=None):
    folder = tempfile.mkdtemp(prefix="bench-signers-")
    try:
        return _file_rows(folder) + _tpm_rows(folder) + _pkcs11_rows(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    for r in run():
        print(f"{r.name:48} {r.value:9.3f} {r.unit}" + (f"  — {r.note}" if r.note else ""))
