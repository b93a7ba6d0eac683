"""Options that would be silently ignored, or would make one output overwrite another, are
refused before the run (exit 2, one line naming them). Found from outside: ``--probe-workers 4``
without ``--active`` and ``--boot-timeout 300`` without ``--boot`` were taken and did nothing;
``--output X --json-output X`` wrote one report over the other; ``attest --output KEY`` would
overwrite the signing key with the envelope; ``factory --port … --active`` ignored ``--active``
(the unit checks itself); ``factory --key … --sbom FILE`` never wrote FILE."""
import json
import os

import pytest

from clirun import run_cli


def _refused(r, *words):
    assert r.rc == 2, (r.rc, r.err)
    lines = [line for line in r.err.splitlines() if line.strip()]
    assert len(lines) == 1 and all(w in lines[0] for w in words), r.err


@pytest.mark.parametrize("verb", [["check"], ["declare"]])
def test_probe_workers_or_boot_timeout_alone_are_refused(verb, tree):
    root = tree()
    if verb == ["check"]:
        _refused(run_cli(*verb, "--root", root, "--probe-workers", "4"), "--probe-workers", "--active")
    _refused(run_cli(*verb, "--root", root, "--boot-timeout", "300"), "--boot-timeout", "--boot")


def test_with_their_option_they_are_taken(tree, monkeypatch):
    """Live --active with a bound: parsed and run (exit 0 or 1, never 2), the bound reaching the
    probe run. The probes themselves are stood in for: this host's listeners are not the test's
    (tests/probes and tests/integration probe servers of their own)."""
    from jcstar_agent.probes import ProbeResults
    from jcstar_agent.probes import run as runner

    seen = []
    monkeypatch.setattr(runner, "run", lambda ctx: seen.append(ctx.options.extra.get("probe_workers"))
                        or ProbeResults())
    r = run_cli("check", "--active", "--probe-workers", "2", "--format", "json")
    assert r.rc in (0, 1), r.err
    assert seen == [2]


def test_two_outputs_naming_one_file_are_refused(tree, tmp_path):
    out = tmp_path / "r.json"
    _refused(run_cli("check", "--root", tree(), "--output", str(out), "--json-output", str(out)),
             "--output", "--json-output")
    assert not out.exists()
    same = tmp_path / "link.json"
    out.write_text("{}")
    same.symlink_to(out)
    _refused(run_cli("check", "--root", tree(), "--sarif-output", str(out), "--html-output", str(same)),
             "--sarif-output", "--html-output")
    assert out.read_text() == "{}"


def test_attest_never_writes_over_its_own_key(tree, tmp_path):
    key = tmp_path / "k"
    assert run_cli("keygen", "--out", str(key)).rc == 0
    before = key.read_bytes()
    _refused(run_cli("attest", "--root", tree(), "--key", str(key), "--output", str(key)), "--key", "--output")
    _refused(run_cli("attest", "--root", tree(), "--key", str(key), "--output", str(tmp_path / "a"),
                     "--report", str(tmp_path / "a")), "--output", "--report")
    assert key.read_bytes() == before


def test_a_device_may_be_named_twice(tree, tmp_path):
    r = run_cli("check", "--root", tree(), "--output", os.devnull, "--json-output", os.devnull)
    assert r.rc in (0, 1), r.err


def test_factory_remote_refuses_local_check_options(tmp_path):
    pub = tmp_path / "k.pub"
    pub.write_text("x")
    for extra in (["--active"], ["--password-budget", "5"], ["--sbom", str(tmp_path / "s.json")]):
        r = run_cli("factory", "--command", "true", "--pubkey", str(pub), *extra)
        _refused(r, extra[0])


def test_factory_local_writes_the_sbom(tree, tmp_path):
    key = tmp_path / "k"
    assert run_cli("keygen", "--out", str(key)).rc == 0
    sbom = tmp_path / "sbom.json"
    root = tree({"/var/lib/dpkg/status": "Package: busybox\nStatus: install ok installed\n"
                 "Version: 1:1.35.0-4\nArchitecture: arm64\n\n"})
    r = run_cli("factory", "--root", root, "--key", str(key), "--serial", "SN1", "--sbom", str(sbom),
                "--store", str(tmp_path / "store.db"))
    assert r.rc in (0, 1), r.err
    doc = json.loads(sbom.read_text())
    assert doc["bomFormat"] == "CycloneDX"
    assert any(c["name"] == "busybox" for c in doc["components"])
