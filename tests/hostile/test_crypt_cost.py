"""Issue 12 item 2: one shadow line must not make time or memory unbounded.

The hostile tester's hashes: ``$2b$31$`` (2^31 bcrypt rounds, ran past 120 s), sha512-crypt with
``rounds=999999999`` (past 120 s), yescrypt ``jFT`` (N=2^18, r=32: 1 GiB a call, 2.06 GB seen) and
``jGT`` (N=2^19: 4.13 GB seen). An auditor expects: the account is not tried, S1.1-02 says so
with the cost parameter (never the hash) and is not ``pass``; the whole run ends in seconds and
stays small. Budgets that are not a finite number of seconds are refused (exit 2).
"""
from __future__ import annotations

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measured  # noqa: E402

from jcstar_agent import libcrypt  # noqa: E402
from jcstar_agent.passwords import cost, formats  # noqa: E402

SALT22 = "abcdefghijklmnopqrstuu"
HOSTILE = {
    "bcrypt-31": ("$2b$31$" + SALT22 + "x" * 31, "cost 31"),
    "sha512-rounds": ("$6$rounds=999999999$saltsalt$" + "y" * 86, "rounds=999999999"),
    "yescrypt-jFT": ("$y$jFT$abcdefghijklmnop$" + "z" * 43, "N=2^18, r=32"),
    "yescrypt-jGT": ("$y$jGT$abcdefghijklmnop$" + "z" * 43, "N=2^19, r=32"),
}
SSHD = "PasswordAuthentication yes\nKbdInteractiveAuthentication no\n"
TOML = ('[[logins]]\nname = "ssh"\nprotocol = "ssh"\nport = 22\naccounts = ["admin"]\n'
        'default_password = "unique"\ngeneration = "printed on the label"\n')


def _root(tree, shadow_hash: str) -> str:
    root = tree({"/usr/sbin/sshd": "x", "/etc/ssh/sshd_config": SSHD,
                 "/etc/passwd": "root:x:0:0::/root:/bin/sh\nadmin:x:1000:1000::/home/admin:/bin/sh\n",
                 "/etc/shadow": f"root:*:19000:0:99999:7:::\nadmin:{shadow_hash}:19000:0:99999:7:::\n"})
    os.chmod(os.path.join(root, "usr/sbin/sshd"), 0o755)
    return root


needs_libcrypt = pytest.mark.skipif(libcrypt.load() is None, reason="no crypt library")


@needs_libcrypt
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_costly_hash_is_named_not_tried_and_the_run_stays_bounded(tree, tmp_path, name):
    stored, parameter = HOSTILE[name]
    root = _root(tree, stored)
    cfg = tmp_path / "board.toml"
    cfg.write_text(TOML)
    m = measured.run("check", "--root", root, "--config", str(cfg), "--format", "json",
                     "--password-budget", "5", timeout=60)
    assert m.rc in (0, 1), m.err[-2000:]
    assert m.seconds < 20, m.seconds  # before: past 120 s (bcrypt, rounds) or GBs (yescrypt)
    assert m.rss_mib < 200, m.rss_mib
    assert stored not in m.out and stored[7:29] not in m.out  # neither the hash nor its salt
    crit = {c["id"]: c for c in json.loads(m.out)["criteria"]}["S1.1-02"]
    assert crit["verdict"] == "manual", crit
    unc = [f for f in crit["findings"] if f["check"] == "CRED-UNCHECKABLE"]
    assert len(unc) == 1 and unc[0]["evidence"]["account"] == "admin"
    assert parameter in unc[0]["message"]


@needs_libcrypt
def test_every_crypt_call_is_priced_first(monkeypatch):
    """No call of the library with a hostile setting: only the small calibration settings."""
    lib = libcrypt.load()
    calls = []
    real = type(lib).hash

    def spy(self, password, setting):
        calls.append(setting)
        return real(self, password, setting)
    monkeypatch.setattr(type(lib), "hash", spy)
    monkeypatch.setattr(cost, "_calibrated", {})  # calibrate again, under the spy
    for stored, _param in HOSTILE.values():
        prep = formats.prepare(stored, "", budget=60.0)  # the default budget
        assert prep.verify is None and prep.refused
    assert calls and all(c in cost.CALIBRATION.values() for c in calls), calls


@needs_libcrypt
def test_a_cheap_default_password_is_still_found(tree, tmp_path):
    lib = libcrypt.load()
    root = _root(tree, lib.hash("admin", "$6$rounds=5000$saltsalt"))
    cfg = tmp_path / "board.toml"
    cfg.write_text(TOML)
    m = measured.run("check", "--root", root, "--config", str(cfg), "--format", "json",
                     "--password-budget", "5", timeout=60)
    crit = {c["id"]: c for c in json.loads(m.out)["criteria"]}["S1.1-02"]
    assert crit["verdict"] == "fail"
    assert [f["evidence"]["account"] for f in crit["findings"] if f["check"] == "CRED-DEFAULT-PASSWORD"] == ["admin"]


@needs_libcrypt
def test_a_guess_dearer_than_the_budget_is_refused_with_its_price():
    lib = libcrypt.load()
    stored = lib.hash("x", "$2b$12$" + SALT22)  # ~0.2 s a guess on a PC, far more on a Pi
    assert formats.prepare(stored, "", budget=3600.0).refused == ""
    refused = formats.prepare(stored, "", budget=0.001).refused
    assert "cost 12" in refused and "over the budget of 0.001s" in refused


def test_yescrypt_parameters_decode_as_libxcrypt_encodes_them():
    # libxcrypt's defaults: j9T = N 2^12, r 32 (16 MiB); jFT / jGT as the tester measured
    assert cost.work("$y$j9T$salt$h", "yescrypt").memory == 16 << 20
    assert cost.work("$y$jFT$salt$h", "yescrypt").memory == 1 << 30
    assert cost.work("$y$jGT$salt$h", "yescrypt").memory == 2 << 30
    assert cost.work("$7$C6..../....salt$h", "scrypt").memory == 16 << 20  # N 2^14, r 8
    assert cost.work("$y$$salt$h", "yescrypt").problem  # unreadable: not tried, said


@pytest.mark.parametrize("value", ["inf", "nan", "1e308", "-1", "-inf", "abc"])
def test_a_budget_that_is_not_seconds_exits_2(tree, value):
    root = tree({})
    m = measured.run("check", "--root", root, "--password-budget", value, timeout=30)
    assert m.rc == 2 and "Traceback" not in m.err
    assert "password-budget" in m.err


@pytest.mark.parametrize("value", ["inf", "nan", "1e308", "-5.0"])
def test_a_config_budget_that_is_not_seconds_exits_2_naming_file_and_line(tree, tmp_path, value):
    root = tree({})
    cfg = tmp_path / "board.toml"
    cfg.write_text(f"[passwords]\nbudget_seconds = {value}\n")
    m = measured.run("check", "--root", root, "--config", str(cfg), timeout=30)
    assert m.rc == 2 and "Traceback" not in m.err
    assert len(m.err.strip().splitlines()) == 1, m.err
    assert "budget_seconds" in m.err and str(cfg) in m.err


@needs_libcrypt
def test_a_zero_budget_makes_no_crypt_call_at_all(monkeypatch):
    lib = libcrypt.load()
    calls = []
    monkeypatch.setattr(type(lib), "hash", lambda self, p, s: calls.append(s))
    monkeypatch.setattr(cost, "_calibrated", {})
    from jcstar_agent.passwords import search

    prep = formats.prepare("$6$saltsalt$" + "y" * 86, "", budget=0.0)
    res = search.search([search.Target("a", prep.verify, [("pw", "x")], prep.seconds)], 0.0)
    assert calls == [] and res["a"].tried == 0 and not res["a"].complete


def test_memory_hard_guesses_run_no_more_at_once_than_fit_the_ceiling(tree):
    from jcstar_agent.config import BoardConfig
    from jcstar_agent.criteria import Context, s1_1_02
    from jcstar_agent.passwords import search
    from jcstar_agent.target import Root

    ctx = Context(Root(tree({}), live=False), BoardConfig())
    big = cost.work("$y$jCT$salt$h", "yescrypt").memory  # N=2^15, r=32: 128 MiB
    assert big == 128 << 20
    threads = s1_1_02._threads(ctx, {"yescrypt"}, 200 << 20)
    assert threads == 1
    n = s1_1_02._threads(ctx, {"yescrypt"}, big) or search.workers()
    assert n * big <= cost.MEMORY_CEILING
