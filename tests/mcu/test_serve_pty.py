"""The micro-agent's own serial endpoint (jca_serve) on the emulated board, REPL off, product running.

The unix port runs a product ``main.py`` (no ``-i``: no REPL; ``micropython.kbd_intr(-1)``), whose
asyncio loop toggles a pin stand-in every 10 ms beside ``jca_serve.start()`` on the console,
behind a pty (socat), in a 96 KiB heap, the micro-agent deployed as .mpy on a littlefs flash.
The host runs the real ``jcstar-agent pull`` and ``factory --port`` against it, as against a
Linux device. Expected: every pull verifies with the board's key and carries its fresh nonce;
the pin keeps toggling during and after each pull; mpremote finds no REPL; two attestations in a
row fit the heap."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from jcstar_agent.mcu import bundle
from mcu_sim import needs_micropython
from mcu_sim import FAKES, HERE, run_mpy, write_config

pytestmark = [pytest.mark.integration, pytest.mark.host,  # the board behind a pseudo-terminal (socat)
              needs_micropython,
              pytest.mark.skipif(shutil.which("socat") is None, reason="socat not installed"),
              pytest.mark.skipif(bundle.mpy_cross() is None, reason="mpy-cross not installed")]

TOML = """
[product]
vendor = "Acme"
model = "ACME-PLUG-1"
model_source = "/model.txt"

[firmware]
name = "acme-plug"
version_source = "/version.txt"

[interfaces]
usb_gadget = true
reason = "the console carries only the attestation endpoint; the REPL is off (kbd_intr(-1))"
"""
PRODUCT = """
import asyncio, machine, micropython, sys, jca_serve
micropython.kbd_intr(-1)  # the REPL cannot be reached: Ctrl-C no longer stops main.py


async def product():
    pin = machine.Pin(2, machine.Pin.OUT)
    while True:
        pin.toggle()
        await asyncio.sleep_ms(10)


async def main():
    jca_serve.start(log=lambda m: print(m, file=sys.stderr))
    jca_serve.TRACE = True
    await product()

asyncio.run(main())
"""
HEAP = os.environ.get("H27HEAP", "96k")


def cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "jcstar_agent", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def board(tmp_path):
    """(pty, public key PEM, pin log): keygen on a first boot, then the product on the pty."""
    cfg = write_config(tmp_path, TOML)
    mpys = bundle.compile_modules(str(tmp_path / "mpy"))
    files = {k: v.decode() for k, v in bundle.data_files(cfg).items()}
    files.update({"version.txt": "3.1.0\n", "model.txt": "ACME-PLUG-1\n",
                  "secrets.py": 'SSID = "home"\nWIFI_PASSWORD = "Xq7!vR2#mLp9wZ"\n'})
    log = tmp_path / "pin.log"
    spec = {"fakes": FAKES, "fake": {"encrypted": False, "pin_log": str(log)}, "files": files,
            "image": str(tmp_path / "flash.img"), "filebd": True, "agent": None,
            "copy": {m + ".mpy": p for m, p in mpys.items()}}
    sp = tmp_path / "spec.json"
    sp.write_text(json.dumps(spec))
    head = "import sys\nsys.path.insert(0, %r)\nimport sim_board\nsim_board.boot(%r)\n" % (HERE, str(sp))
    r = run_mpy(head + "import jca_sign\nprint('PUB', jca_sign.keygen())\nsim_board.poweroff()\n")
    assert r.returncode == 0, r.stderr
    from jcstar_agent.mcu.remote import public_pem

    pub = tmp_path / "unit.pub"
    pub.write_bytes(public_pem(bytes.fromhex(r.stdout.split()[-1])))
    spec["files"], spec["copy"] = {"main.py": PRODUCT}, {}  # power on: main.py runs the product
    sp.write_text(json.dumps(spec))
    boot = tmp_path / "board_boot.py"
    boot.write_text(head)
    pty = str(tmp_path / "ttyBOARD")
    err = open(str(tmp_path / "board.err"), "w")  # the board's stderr: its log and tracebacks
    proc = subprocess.Popen(["socat", f"PTY,link={pty},raw,echo=0",
                             f"EXEC:{shutil.which('micropython')} -X heapsize={HEAP} {boot},pty,raw,echo=0"],
                            cwd=str(tmp_path), start_new_session=True, stderr=err)
    for _ in range(100):
        if os.path.exists(pty) and log.exists():
            break
        time.sleep(0.05)
    assert log.exists(), "the product loop did not start"
    yield pty, str(pub), log
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=10)
    err.close()


def toggles(log):
    """[(board ticks_ms, toggles)] from the pin stand-in's log (a line every 10 toggles)."""
    out = []
    for line in log.read_text().splitlines():
        t, n = line.split()
        out.append((int(t), int(n)))
    return out


def count(log):
    rows = toggles(log)
    return rows[-1][1] if rows else 0


def test_pull_while_the_product_runs_with_the_repl_off(board, tmp_path):
    pty, pub, log = board
    time.sleep(0.3)
    before = count(log)
    outs = []
    for i in range(2):  # two attestations in a row on one power-on, in the 96 KiB heap
        out = str(tmp_path / ("unit%d.json" % i))
        t0 = time.monotonic()
        r = cli("pull", "--port", pty, "--pubkey", pub, "--output", out, "--timeout", "60")
        assert r.returncode == 0, r.stdout + r.stderr + (tmp_path / "board.err").read_text()
        assert "valid attestation written" in r.stderr
        outs.append((out, time.monotonic() - t0))
    time.sleep(0.3)
    after = count(log)
    assert after > before + 20, (before, after)  # the product kept toggling through both pulls

    from jcstar_agent.attest.api import verify_envelope

    nonces = set()
    for out, _ in outs:
        v = verify_envelope(open(out, "rb").read(), open(pub, "rb").read())
        assert v.ok and v.predicate["target"]["mode"] == "micropython"
        assert v.claims["swversion"] == ["3.1.0"]
        nonces.add(v.predicate["eat_nonce"])
        verdict = {c["id"]: c["verdict"] for c in v.predicate["criteria"]}
        assert verdict["S1.1-10"] == "pass" and verdict["S1.1-13"] == "pass"
    assert len(nonces) == 2  # each pull its own fresh nonce (pull checks it matches)

    # the longest pause of the product loop (between two log lines, 10 toggles = 100 ms apart)
    rows = toggles(log)
    gaps = [b[0] - a[0] for a, b in zip(rows, rows[1:])]
    print("product loop: %d toggles over two pulls of %s s; longest gap between 10-toggle marks %d ms"
          % (after - before, "/".join("%.1f" % t for _, t in outs), max(gaps)))
    assert max(gaps) < 5000

    # the REPL is off: mpremote cannot get one; the endpoint ignores what it sent and still answers
    r = subprocess.run([sys.executable, "-m", "mpremote", "connect", pty, "resume", "exec", "print(1)"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "1" not in r.stdout.split()
    assert "raw repl" in r.stderr.lower(), r.stderr
    r = cli("pull", "--port", pty, "--ping")
    assert r.returncode == 0 and r.stdout.startswith("jcstar-agent-micropython/"), r.stdout + r.stderr


def test_factory_port_takes_the_board_like_a_linux_unit(board, tmp_path):
    pty, pub, log = board
    junit = tmp_path / "unit.xml"
    r = cli("factory", "--port", pty, "--pubkey", pub, "--store", str(tmp_path / "line.sqlite"),
            "--junit", str(junit), "--quiet")
    # the unit passes nothing it cannot show (documents undeclared: manual) and fails nothing
    assert r.returncode == 0, r.stdout + r.stderr
    assert "[ok  ] verify" in r.stdout and "[ok  ] attest" in r.stdout
    assert "jcstar.S1.1-13" in junit.read_text()
