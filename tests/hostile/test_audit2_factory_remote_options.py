"""``factory --port/--command/--mcu-port``: every local check option is refused, not dropped.

Found at 2d756be: ``--boot-timeout`` was missing from the local-only list (the unit runs its own
checks, nothing is booted here), and the list was tested for truth, so ``--password-budget 0``
passed as well: both were silently ignored, the unit attested, exit 0/1. Expected, as an
operator decides it: exit 2 naming the option, before the unit is touched.
"""
from __future__ import annotations

from clirun import run_process


def test_local_options_with_a_remote_unit_exit_2(tmp_path):
    from jcstar_agent.attest.keys import generate

    _key, pub, _ = generate(str(tmp_path / "u.key"))
    marker = tmp_path / "touched"
    for option in (["--boot-timeout", "30"], ["--password-budget", "0"]):
        r = run_process("factory", "--command", f"touch {marker}", "--pubkey", pub,
                        "--store", str(tmp_path / "ev.db"), *option, timeout=60)
        assert r.rc == 2 and "Traceback" not in r.err, (option, r.rc, r.err[-800:])
        assert option[0] in r.err, (option, r.err)
        assert not marker.exists(), f"{option}: the unit was touched"
