"""``report FILE --pubkey PEM`` renders only what that key verified.

Found at fa4e7bd: with ``--pubkey`` given, a plain report (``check --format json``) — or an
envelope someone swapped for its unsigned, edited predicate — was rendered exit 0 exactly as
a verified attestation is (text and json say nothing of a signature): the key the auditor
gave was silently ignored. Expected, as an auditor decides it: exit 1 as ``verify`` does for
that file, nothing rendered, one line saying there is no signature; without ``--pubkey`` the
plain report is rendered as before.
"""
from __future__ import annotations

from clirun import run_process


def test_a_plain_report_with_pubkey_is_not_rendered(tmp_path):
    from jcstar_agent.attest.keys import generate

    _key, pub, _ = generate(str(tmp_path / "u.key"))
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/os-release").write_text('NAME="Acme"\n')
    rep = str(tmp_path / "rep.json")
    assert run_process("check", "--root", str(root), "--format", "json", "--output", rep).rc in (0, 1)
    for fmt in ("text", "json", "html"):
        r = run_process("report", rep, "--pubkey", pub, "--format", fmt)
        assert r.rc == 1 and r.out == "", (fmt, r.rc, r.out[:300])
        assert "Traceback" not in r.err and rep in r.err and "not a signed attestation" in r.err, r.err
    r = run_process("report", rep, "--format", "text")
    assert r.rc == 0 and "JC-STAR" in r.out
