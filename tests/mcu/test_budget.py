"""Budgets: check + sign of a real report (deployed as .mpy) within a 96 KiB MicroPython heap;
every module precompiles with mpy-cross (tools/bench_mcu.py measures and prints the figures)."""
import json
import os
import subprocess
import sys

from mcu_sim import needs_micropython

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@needs_micropython
def test_check_and_sign_fit_a_96k_heap_and_verify():
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "bench_mcu.py"), "--json", "--heap", "96k"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    fig = json.loads(r.stdout)
    assert fig["envelope_verifies"] is True
    assert fig["smallest_heap_kib_that_runs"] is not None and fig["smallest_heap_kib_that_runs"] <= 96, (fig["smallest_heap_kib_that_runs"], fig.get("first_heap_too_small"), fig.get("first_heap_too_small_at"))
    assert set(fig["mpy_bytes"]) == {"jca_sha512", "jca_ed25519", "jca_report", "jca_agent", "jca_sign", "jca_main"}
    assert all(n > 0 for n in fig["mpy_bytes"].values())
