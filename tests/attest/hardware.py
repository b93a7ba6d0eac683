"""A software TPM (swtpm, with an EK certificate from its local CA) and a SoftHSM2 token, each in
a temp folder of its own, for the hardware-key tests and tools/bench_signers.py.

``swtpm()`` starts ``swtpm socket --tpm2`` on two free loopback ports after ``swtpm_setup``
manufactured its state (EK + EK certificate + platform certificate, signed by a CA made in the
same folder); it yields the TCTI string and stops the process by its PID. ``softhsm()`` makes a
token ``unit`` (user PIN in a 0600 file) and yields (module, pin file, environment).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager

SOFTHSM_MODULES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                   "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so")


def missing_tpm_tools():
    return [t for t in ("swtpm", "swtpm_setup", "swtpm_localca", "tpm2_readpublic") if not shutil.which(t)]


def _free_port_pair():
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port >= 65535:
            continue
        try:
            with socket.socket() as s2:
                s2.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no two free consecutive loopback ports")


def manufacture(folder: str) -> None:
    """swtpm_setup: TPM state with an ECC and an RSA EK, their certificates, a platform cert."""
    ca = os.path.join(folder, "ca")
    state = os.path.join(folder, "state")
    os.makedirs(ca)
    os.makedirs(state)
    with open(os.path.join(folder, "localca.conf"), "w") as fh:
        fh.write(f"statedir = {ca}\nsigningkey = {ca}/signkey.pem\nissuercert = {ca}/issuercert.pem\n"
                 f"certserial = {ca}/certserial\n")
    with open(os.path.join(folder, "localca.options"), "w") as fh:
        fh.write("--platform-manufacturer jcstar-tests\n--platform-version 2.1\n--platform-model swtpm\n")
    with open(os.path.join(folder, "setup.conf"), "w") as fh:
        fh.write(f"create_certs_tool = /usr/bin/swtpm_localca\ncreate_certs_tool_config = {folder}/localca.conf\n"
                 f"create_certs_tool_options = {folder}/localca.options\nactive_pcr_banks = sha256\n")
    subprocess.run(["swtpm_setup", "--tpm2", "--tpmstate", state, "--config", f"{folder}/setup.conf",
                    "--create-ek-cert", "--create-platform-cert", "--ecc", "--overwrite"],
                   check=True, capture_output=True, env=dict(os.environ, TMPDIR=folder, HOME=folder,
                                                                XDG_CONFIG_HOME=folder))


@contextmanager
def swtpm(folder: str):
    """Yields the TCTI of a running socket swtpm whose state lives in ``folder``."""
    manufacture(folder)
    port = _free_port_pair()
    p = subprocess.Popen(["swtpm", "socket", "--tpm2",
                          "--server", f"type=tcp,port={port},bindaddr=127.0.0.1",
                          "--ctrl", f"type=tcp,port={port + 1},bindaddr=127.0.0.1",
                          "--tpmstate", f"dir={folder}/state", "--flags", "not-need-init,startup-clear"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                if p.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("swtpm did not start")
                time.sleep(0.05)
        yield f"swtpm:host=127.0.0.1,port={port}"
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def softhsm_module():
    return next((m for m in SOFTHSM_MODULES if os.path.exists(m)), None)


@contextmanager
def softhsm(folder: str):
    """Yields (module, PIN file, env with SOFTHSM2_CONF) for a token 'unit' in ``folder``."""
    tokens = os.path.join(folder, "tokens")
    os.makedirs(tokens)
    conf = os.path.join(folder, "softhsm2.conf")
    with open(conf, "w") as fh:
        fh.write(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    env = {"SOFTHSM2_CONF": conf}
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "unit", "--so-pin", "5678",
                    "--pin", "1234"], check=True, capture_output=True, env=dict(os.environ, **env))
    pin = os.path.join(folder, "pin")
    fd = os.open(pin, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"1234\n")
    os.close(fd)
    old = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = conf  # the in-process python-pkcs11 reads it at C_Initialize
    try:
        yield softhsm_module(), pin, env
    finally:
        if old is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = old


def make_token_key(module: str, label: str, extractable: bool = False) -> None:
    """An EC P-256 key pair made on the token (CKA_LOCAL), non-extractable unless asked."""
    import pkcs11
    from pkcs11 import Attribute, KeyType
    from pkcs11.util.ec import encode_named_curve_parameters

    tok = pkcs11.lib(module).get_token(token_label="unit")
    with tok.open(rw=True, user_pin="1234") as s:
        params = s.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True)
        params.generate_keypair(store=True, label=label,
                                private_template={Attribute.EXTRACTABLE: extractable, Attribute.SENSITIVE: True})
