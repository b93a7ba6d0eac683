"""Serial transfer of a real signed report at 115200 baud over a pty pair, paced like a UART.

The device loop (``jcstar_agent.serial.device.serve``) and the host client (``jcstar_agent.serial.host.pull``)
run over two socat pty pairs joined by a relay that paces each direction to 115200 baud 8N1
(11,520 bytes/s, the line-rate limit). Figures: effective payload rate, framing overhead (protocol
bytes on the wire beyond the base64 text, as a share of the line), and the zlib gain on a real
report (``check --root`` over the debootstrap rootfs when it exists, else the live system).
Targets (issue 7): framing overhead <= 10% of the line rate.
"""
import os
import sys
import tempfile
import threading
import time
import zlib
from argparse import Namespace

from bench import PROJECT, Row

BAUD = 115200
LINE_RATE = BAUD / 10  # bytes/s on an 8N1 wire


def _real_envelope(folder):
    sys.path.insert(0, os.path.join(PROJECT, "tests"))
    import rootfs

    from jcstar_agent import check
    from jcstar_agent.attest.api import attest_report, load_signer
    from jcstar_agent.attest.keys import generate
    from jcstar_agent.commands.check import build_context

    root = None if rootfs.unavailable() else rootfs.build()
    args = Namespace(root=root, config=None, board=None, active=False, online=False, vulndb=None,
                     password_budget=None, erase_test=False)
    ctx = build_context(args)
    report = check.run(ctx)
    key, _, _ = generate(os.path.join(folder, "bench.key"))
    import json

    report_json = json.dumps(report.to_dict(), separators=(",", ":")).encode()  # as signed
    return report_json, attest_report(ctx, report, load_signer(key), "bench-nonce-0000"), root or "/"


def _transfer(folder, name, document, noise=None):
    sys.path.insert(0, os.path.join(PROJECT, "tests", "serial"))
    from serial_noise import Noise
    from serial_relay import Relay, pty_pair

    from jcstar_agent.serial import device, host

    with pty_pair(folder, name + "d") as (dev, rd), pty_pair(folder, name + "h") as (rh, hostside):
        down = Noise(1, *noise) if noise else None
        up = Noise(2, *noise) if noise else None
        with Relay(rd, rh, down=down, up=up, baud=BAUD) as relay:
            dport, hport = device.open_port(dev, BAUD), device.open_port(hostside, BAUD)
            stop = threading.Event()
            t = threading.Thread(target=device.serve,
                                 args=(dport, device.Responder(lambda n: document)),
                                 kwargs={"stop": stop.is_set}, daemon=True)
            t.start()
            t0 = time.perf_counter()
            got = host.pull(hport, host.new_nonce(), timeout=300, baud=BAUD)
            elapsed = time.perf_counter() - t0
            stop.set()
            t.join(5)
            wire = relay.moved[0]
            dport.close()
            hport.close()
    assert got == document
    return elapsed, wire


def run(args):
    from jcstar_agent.serial import framing

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        report_json, envelope, where = _real_envelope(folder)
        t = framing.encode(envelope, "000000", "bench-nonce-0000")
        z = t.zbytes
        b64 = sum(len(d.split(b" ")[4]) for d in t.data)
        wire = sum(len(line) for line in t.lines())
        rz = len(zlib.compress(report_json, 9))
        rows.append(Row(f"report JSON, compact ({where}): size", len(report_json) / 1000, "kB",
                        note=f"zlib -9: {rz / 1000:.1f} kB, gain x{len(report_json) / rz:.1f}"))
        rows.append(Row("envelope (DSSE, payload base64): size", len(envelope) / 1000, "kB",
                        note=f"zlib -9: {z / 1000:.1f} kB, gain x{len(envelope) / z:.2f} "
                             f"(the base64 payload compresses less than the JSON)"))
        rows.append(Row("framing overhead (share of the line)", 100 * (wire - b64) / wire, "%",
                        target="<= 10%", ok=(wire - b64) / wire <= 0.10,
                        note=f"{wire} line bytes for {b64} base64 chars; base64 itself adds "
                             f"{100 * (b64 - z) / wire:.1f}% more"))
        elapsed, moved = _transfer(folder, "b", envelope)
        rows.append(Row("transfer time at 115200 baud (clean)", elapsed, "s",
                        note=f"{moved} bytes on the wire, link busy {100 * moved / elapsed / LINE_RATE:.0f}%"))
        rows.append(Row("effective rate: compressed payload", z / elapsed, "B/s",
                        floor=LINE_RATE, target="line rate 11,520 B/s",
                        note=f"{100 * z / elapsed / LINE_RATE:.0f}% of the line rate"))
        rows.append(Row("effective rate: envelope bytes (after zlib)", len(envelope) / elapsed, "B/s",
                        floor=LINE_RATE, target="vs line rate 11,520 B/s"))
        elapsed, moved = _transfer(folder, "n", envelope, noise=(0.1, 0.1, 0.1, 0.1))
        rows.append(Row("transfer time at 115200 baud, 10% noise", elapsed, "s",
                        note=f"lines dropped/duplicated/corrupted/injected at 10% each way; "
                             f"{len(envelope) / elapsed:.0f} envelope B/s"))
    return rows
