"""End to end: the MicroPython unix port behind a pseudo-terminal (socat ``EXEC:micropython,pty,
raw,echo=0``), driven through mpremote (``connect PTY resume``) by ``mcu deploy/keygen/attest``
and ``factory --mcu-port``; the envelope verifies with ``verify`` and goes into the store."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from mcu_sim import needs_micropython
from mcu_sim import FAKES, HERE, write_config

pytestmark = [pytest.mark.integration, pytest.mark.host,  # the board behind a pseudo-terminal (socat)
              needs_micropython,
              pytest.mark.skipif(shutil.which("socat") is None, reason="socat not installed"),
              pytest.mark.skipif(pytest.importorskip("mpremote") is None, reason="mpremote")]

TOML = """
[product]
vendor = "Acme"
model = "ACME-PLUG-1"
model_source = "/model.txt"

[firmware]
name = "acme-plug"
version_source = "/version.txt"

[[listeners]]
proto = "tcp"
port = 8266
auth = "password"
purpose = "WebREPL"
"""


def cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "jcstar_agent", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def board(tmp_path):
    """A simulated ESP32 on a pty: planted WebREPL with password 1234 on unencrypted flash."""
    spec = {"fakes": FAKES, "fake": {"encrypted": False}, "image": None, "agent": None,
            "files": {"version.txt": "2.0.1\n", "model.txt": "ACME-PLUG-1\n",
                      "boot.py": "import webrepl\nwebrepl.start()\n", "webrepl_cfg.py": "PASS = '1234'\n"}}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    boot = tmp_path / "board_boot.py"
    boot.write_text("import sys\nsys.path.insert(0, %r)\nimport sim_board\nsim_board.boot(%r)\n"
                    % (HERE, str(tmp_path / "spec.json")))
    pty = str(tmp_path / "ttyBOARD")
    proc = subprocess.Popen(["socat", f"PTY,link={pty},raw,echo=0",
                             f"EXEC:{shutil.which('micropython')} -i {boot},pty,raw,echo=0"],
                            cwd=str(tmp_path), start_new_session=True)
    for _ in range(100):
        if os.path.exists(pty):
            break
        time.sleep(0.05)
    time.sleep(0.3)  # the interpreter runs the boot script before its REPL answers
    yield pty
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=10)


def test_deploy_keygen_attest_verify_ingest_factory(board, tmp_path):
    cfg = write_config(tmp_path, TOML)
    r = cli("mcu", "deploy", "--port", board, "--config", cfg)
    assert r.returncode == 0, r.stderr
    assert "jca_agent.mpy" in r.stdout and "jca_cfg.json" in r.stdout

    pub = str(tmp_path / "unit.pub")
    r = cli("mcu", "keygen", "--port", board, "--out", pub)
    assert r.returncode == 0, r.stderr
    assert open(pub).read().startswith("-----BEGIN PUBLIC KEY-----")
    assert "randomness: linux: os.urandom" in r.stdout  # the unix port: no ESP32 RF to switch on
    r = cli("mcu", "keygen", "--port", board, "--out", pub)
    assert r.returncode == 2  # never overwrites

    out = str(tmp_path / "unit.json")
    r = cli("mcu", "attest", "--port", board, "--pubkey", pub, "--output", out)
    assert r.returncode == 1, r.stdout + r.stderr  # valid, but the planted defects fail criteria
    assert r.stdout.startswith("VALID")
    env = json.load(open(out))
    assert set(env) == {"payload", "payloadType", "signatures"}
    # byte for byte the layout the Linux agent writes (dsse.Envelope.to_json: indent=2)
    assert open(out).read() == json.dumps(env, indent=2) + "\n"

    # another key: the envelope does not verify, nothing is written, exit 1
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    other = tmp_path / "other.pub"
    other.write_bytes(ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    r = cli("mcu", "attest", "--port", board, "--pubkey", str(other), "--output", str(tmp_path / "no.json"))
    assert r.returncode == 1 and "INVALID" in r.stderr and not (tmp_path / "no.json").exists()

    r = cli("verify", out, "--pubkey", pub)
    assert r.returncode == 0, r.stdout + r.stderr
    from jcstar_agent.attest.api import verify_envelope

    v = verify_envelope(open(out, "rb").read(), open(pub, "rb").read())
    assert v.ok and v.predicate["target"]["mode"] == "micropython"
    verdict = {c["id"]: c["verdict"] for c in v.predicate["criteria"]}
    assert verdict["S1.1-02"] == "fail" and verdict["S1.1-04"] == "fail" and verdict["S1.1-11"] == "fail"
    assert v.claims["ueid"] and v.claims["swversion"] == ["2.0.1"]
    from jcstar_agent.attest.schemas import errors

    assert errors(v.statement, "attestation-v1") == []

    db = str(tmp_path / "evidence.sqlite")
    r = cli("store", "ingest", "--store", db, "--pubkey", pub, out)
    assert r.returncode == 0, r.stdout + r.stderr

    # a second attestation after the WebREPL password was changed: drift sees S1.1-02 fixed
    r = subprocess.run([sys.executable, "-m", "mpremote", "connect", board, "resume", "exec",
                        "with open('webrepl_cfg.py', 'w') as f:\n    f.write(\"PASS = 'Zq8#vR2!mL'\\n\")"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    out2 = str(tmp_path / "unit2.json")
    r = cli("mcu", "attest", "--port", board, "--pubkey", pub, "--output", out2)
    assert r.stdout.startswith("VALID"), r.stdout + r.stderr
    assert "Zq8#vR2!mL" not in open(out2).read()
    r = cli("drift", out, out2, "--pubkey", pub, "--format", "json")
    assert r.returncode in (0, 1), r.stdout + r.stderr
    assert "S1.1-02" in r.stdout

    junit = tmp_path / "results" / "unit.xml"
    junit.parent.mkdir()
    r = cli("factory", "--mcu-port", board, "--pubkey", pub, "--serial", "ACME-0001", "--store",
            str(tmp_path / "line.sqlite"), "--junit", str(junit), "--quiet")
    assert r.returncode == 1, r.stdout + r.stderr  # the unit fails its criteria: rejected
    assert "[ok  ] verify" in r.stdout and "[ok  ] attest" in r.stdout
    assert "jcstar.S1.1-02" in junit.read_text()
