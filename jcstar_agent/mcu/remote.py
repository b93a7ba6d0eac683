"""Talk to a MicroPython board over its USB serial REPL through mpremote (a subprocess).

Every call is one ``mpremote connect PORT resume …`` chain: ``resume`` keeps the board's
interpreter as it is (no soft reset: a soft reset would end the unix port the tests run behind a
pty, and a board needs none). Output lines the micro-agent prints start with ``JCA_`` so they are
told apart from whatever the board's own code prints.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from typing import Dict, List, Optional, Tuple

from ..errors import RunError
from . import bundle


def mpremote_cmd() -> List[str]:
    try:
        import mpremote  # noqa: F401

        return [sys.executable, "-m", "mpremote"]
    except ImportError:
        exe = shutil.which("mpremote")
        if exe:
            return [exe]
    from ..install_hint import hint

    raise RunError(f"mpremote is not installed ({hint('mcu')})")


PROOF_TAG = b"jcstar-agent/key-proof/v1\x00"  # what jca_sign.prove signs before the nonce
MAX_OUTPUT = 4 << 20  # what a board may print for one command (tags and errors: a few KB)


def _printable(text: str) -> str:
    """A board's text for one line on the operator's terminal: no control characters."""
    from ..report.escape import terminal

    return terminal(text)


def run(port: str, actions: List[str], timeout: float = 300.0) -> str:
    """Run ``mpremote connect PORT resume ACTIONS…``; its stdout, or RunError with the reason.

    What the board prints is device input: read bounded (:data:`MAX_OUTPUT`, then mpremote is
    stopped), decoded with replacement (a 0xFF byte was a UnicodeDecodeError traceback)."""
    import os
    import select
    import time

    args = mpremote_cmd() + ["connect", port, "resume"] + actions
    try:
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    except OSError as exc:
        raise RunError(f"cannot run mpremote: {exc.strerror or exc}") from None
    out, err = bytearray(), bytearray()
    streams = {p.stdout: out, p.stderr: err}
    deadline = time.monotonic() + timeout
    try:
        while streams:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RunError(f"the board on {port} did not answer within {timeout:g} s")
            ready, _, _ = select.select(list(streams), [], [], left)
            for stream in ready:
                chunk = os.read(stream.fileno(), 1 << 16)
                if not chunk:
                    del streams[stream]
                    continue
                streams[stream].extend(chunk)
                if len(out) + len(err) > MAX_OUTPUT:
                    raise RunError(f"the board on {port} printed more than {MAX_OUTPUT >> 20} MiB "
                                   "for one command: stopped")
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise RunError(f"the board on {port} did not answer within {timeout:g} s") from None
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()
        p.stderr.close()
    stdout, stderr = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    if p.returncode != 0:
        lines = [ln for ln in (stderr + "\n" + stdout).splitlines() if ln.strip()]
        last = _printable(lines[-1][:300]) if lines else "exit %d" % p.returncode
        raise RunError(f"mpremote on {port} failed: {last}")
    return stdout


# mpremote's ``exec`` runs in the REPL's namespace: a name it binds there (a module, a result)
# keeps its objects alive after the command, and so does sys.modules for every module imported.
# Each command's code runs in a function, and the chain ends by unbinding it and dropping every
# micro-agent module, so the next command starts from the heap the board had before ours.
RELEASE = ("import sys as _s, gc as _g\n"
           "for _k in [k for k in _s.modules if k.startswith('jca_')]:\n"
           "    _s.modules.pop(_k)\n"
           "_k = None\n"
           "for _k in ('_jca', 'buf', 'f', 'h', 'r', 'w', '_s'):\n"  # ours, and mpremote cp's helpers
           "    globals().pop(_k, None)\n"
           "del _k\n"
           "_g.collect()\n"
           "del _g\n")


def wrapped(body: str) -> str:
    """``body`` (MicroPython statements) as code that leaves nothing behind in the REPL."""
    inner = "".join("    " + ln + "\n" for ln in body.strip("\n").split("\n"))
    return "def _jca():\n" + inner + "try:\n    _jca()\nfinally:\n" + "".join(
        "    " + ln + "\n" for ln in RELEASE.strip("\n").split("\n"))


def tagged(out: str, tag: str) -> str:
    for line in out.splitlines():
        if line.startswith(tag + " "):
            return line[len(tag) + 1:].strip()
    raise RunError(f"the board did not answer {tag}: "
                   f"{_printable(out.strip().splitlines()[-1][:300]) if out.strip() else 'no output'}")


def deploy(port: str, config: Optional[str], source: bool = False, timeout: float = 300.0,
           data_only: bool = False) -> Dict[str, int]:
    """Copy the micro-agent (.mpy, or .py with ``source``; nothing with ``data_only``, for a
    firmware that freezes it) and its data files; {name: bytes}."""
    with tempfile.TemporaryDirectory(prefix="jca-deploy-") as tmp:
        files = []
        if data_only:
            pass
        elif source:
            for src in bundle.module_paths():
                dst = os.path.join(tmp, os.path.basename(src))
                shutil.copyfile(src, dst)
                files.append(dst)
        else:
            files += list(bundle.compile_modules(tmp).values())
        for name, data in bundle.data_files(config).items():
            path = os.path.join(tmp, name)
            with open(path, "wb") as fh:
                fh.write(data)
            files.append(path)
        # a stale .py of the other kind would shadow what we copy (MicroPython imports .py first);
        # with data_only, copies on the flash would shadow the frozen modules
        stale = [m + ext for m in bundle.MODULES
                 for ext in ((".py", ".mpy") if data_only else (".mpy",) if source else (".py",))]
        clean = ("import os\nfor f in %r:\n    try:\n        os.remove(f)\n    except OSError:\n"
                 "        pass\nprint('JCA_CLEAN', 1)\n" % (stale,))
        out = run(port, ["exec", clean, "+", "cp"] + files + [":", "+", "exec", RELEASE], timeout)
        tagged(out, "JCA_CLEAN")
        return {os.path.basename(f): os.path.getsize(f) for f in files}


def _public_of(out: str) -> bytes:
    """The board's ``JCA_PUB`` answer as a raw Ed25519 key one can be held to (RunError else)."""
    from ..attest.keys import ed25519_problem

    text = tagged(out, "JCA_PUB")
    try:
        pub = bytes.fromhex(text)
    except ValueError:
        raise RunError(f"the board answered JCA_PUB with text that is not hex: "
                       f"{_printable(text[:80])!r}") from None
    problem = ed25519_problem(pub)
    if problem:
        raise RunError(f"the board's public key is refused: {problem}")
    return pub


def keygen(port: str, timeout: float = 300.0) -> Tuple[bytes, str]:
    """Make the key on the board; (the raw 32-byte public key, how its randomness was made)."""
    out = run(port, ["exec", wrapped("import jca_sign\nprint('JCA_PUB', jca_sign.keygen())\n"
                                     "print('JCA_RNG', jca_sign.RNG)")], timeout)
    pub = _public_of(out)
    try:
        rng = _printable(tagged(out, "JCA_RNG"))[:200]
    except RunError:
        rng = "not said by the board (an older micro-agent)"
    return pub, rng


def public_key(port: str, timeout: float = 60.0) -> bytes:
    out = run(port, ["exec", wrapped("import jca_sign\nprint('JCA_PUB', jca_sign.public_hex())")], timeout)
    return _public_of(out)


def prove(port: str, raw: bytes, timeout: float = 300.0) -> None:
    """The board signs a fresh nonce (``jca_sign.prove``); RunError unless that signature
    verifies with ``raw``, the key the board reported: a board (or a man in the middle) that
    reports a key other than the one it signs with is caught before the key is trusted."""
    import secrets

    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ed25519

    nonce = secrets.token_hex(16)
    code = "import jca_sign\nprint('JCA_PROOF', jca_sign.prove(%r))" % nonce
    out = run(port, ["exec", wrapped(code)], timeout)
    text = tagged(out, "JCA_PROOF")
    try:
        sig = bytes.fromhex(text)
        ed25519.Ed25519PublicKey.from_public_bytes(raw).verify(sig, PROOF_TAG + nonce.encode())
    except (ValueError, InvalidSignature):
        raise RunError("the board's signature over a fresh nonce does not verify with the public "
                       "key it reported: the key is not trusted (nothing written)") from None


def attest(port: str, nonce: str, timeout: float = 300.0, now: Optional[float] = None) -> bytes:
    """Run the check and the signing on the board with ``nonce``; return the envelope bytes."""
    import time

    now = time.time() if now is None else now
    code = wrapped("import jca_main\nprint('JCA_DONE', jca_main.attest(%r, 'jca_env.json', %d)[1])"
                   % (nonce, int(now)))
    with tempfile.TemporaryDirectory(prefix="jca-attest-") as tmp:
        local = os.path.join(tmp, "env.json")
        out = run(port, ["exec", code, "+", "cp", ":jca_env.json", local, "+", "exec", RELEASE], timeout)
        tagged(out, "JCA_DONE")
        with open(local, "rb") as fh:
            return fh.read(16 << 20)


def public_pem(raw: bytes) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PublicKey.from_public_bytes(raw)
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def keyid_of_raw(raw: bytes) -> str:
    """keyid (hex SHA-256 of the DER SubjectPublicKeyInfo) of a raw Ed25519 public key."""
    import hashlib

    return hashlib.sha256(bytes.fromhex("302a300506032b6570032100") + raw).hexdigest()
