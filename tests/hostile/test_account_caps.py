"""Issue 12 item 3: the account databases are read whole; a cut is said, never passed.

Before: /etc/passwd was read up to 1 MiB, silently. 1.1 MB of blank lines then
``evil::0:0::/root:/bin/sh`` hid a UID-0 account without a password (S1.1-01 passed, evil not in
the inventory); with 30,000 accounts only 20,473 were read, and the shadow cut made 8,207 false
"no shadow entry" findings. Expected as an auditor decides it: evil is seen and judged by S1.1-01
(a UID-0 account without a password, a second UID 0) and S1.1-02 (an empty password that logs
in over ssh); every one of 30,000 locked accounts is read and none is "missing from shadow";
past the documented caps the criteria that judge accounts say ``error`` with ACCOUNTS-CUT.
"""
from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measured  # noqa: E402

from jcstar_agent.check import evaluate  # noqa: E402
from jcstar_agent.config import BoardConfig  # noqa: E402
from jcstar_agent.criteria import Context, Options, Verdict  # noqa: E402
from jcstar_agent.facts import accounts  # noqa: E402
from jcstar_agent.target import Root  # noqa: E402

SSHD = ("PasswordAuthentication yes\nPermitRootLogin yes\nPermitEmptyPasswords yes\n"
        "KbdInteractiveAuthentication no\n")
ROOT_LINE = "root:x:0:0:root:/root:/bin/sh\n"
LOCKED = "!$6$saltsaltsalt$" + "h" * 86  # a locked sha512 hash: no login, ~100 bytes a line


def _sshd(tree, files):
    root = tree(dict({"/usr/sbin/sshd": "x", "/etc/ssh/sshd_config": SSHD}, **files))
    os.chmod(os.path.join(root, "usr/sbin/sshd"), 0o755)
    return root


def _check(root, *extra):
    m = measured.run("check", "--root", root, "--format", "json", "--password-budget", "2",
                     *extra, timeout=120)
    assert m.rc in (0, 1), m.err[-2000:]
    rep = json.loads(m.out)
    return m, rep, {c["id"]: c for c in rep["criteria"]}


def test_account_after_a_megabyte_of_blank_lines_is_seen_and_judged(tree):
    passwd = ROOT_LINE + "\n" * 1_100_000 + "evil::0:0::/root:/bin/sh\n"
    root = _sshd(tree, {"/etc/passwd": passwd,
                        "/etc/shadow": "root:" + LOCKED + ":19000:0:99999:7:::\n"})
    _m, rep, crit = _check(root)
    inv = {a["name"]: a for a in rep["extra"]["accounts"]} if "extra" in rep else \
        {a["name"]: a for a in rep["accounts"]}
    assert inv["evil"]["uid"] == 0 and inv["evil"]["password"] == "empty"
    c01 = {(f["check"], f["evidence"].get("account")) for f in crit["S1.1-01"]["findings"]}
    assert crit["S1.1-01"]["verdict"] == "fail"
    assert ("AUTH-UID0-NO-PASSWORD", "evil") in c01
    assert any(f["check"] == "ACCT-DUPLICATE-UID0" and "evil" in f["evidence"]["accounts"]
               for f in crit["S1.1-01"]["findings"])
    assert crit["S1.1-02"]["verdict"] == "fail"
    assert [f["evidence"]["account"] for f in crit["S1.1-02"]["findings"]
            if f["check"] == "CRED-EMPTY-PASSWORD"] == ["evil"]


def test_thirty_thousand_accounts_are_all_read_and_none_is_missing_from_shadow(tree):
    names = [f"user{i:05d}" for i in range(30_000)]
    passwd = ROOT_LINE + "".join(f"{n}:x:{10000 + i}:{10000 + i}:User {i}:/home/{n}:/bin/sh\n"
                                 for i, n in enumerate(names))
    shadow = "root:" + LOCKED + ":19000:0:99999:7:::\n" + "".join(
        f"{n}:{LOCKED}:19000:0:99999:7:::\n" for n in names)
    assert len(passwd) > 1 << 20 and len(shadow) > 1 << 20  # both past the old 1 MiB cut
    root = _sshd(tree, {"/etc/passwd": passwd, "/etc/shadow": shadow})
    m, rep, crit = _check(root)
    inv = rep.get("extra", rep)["accounts"]
    assert len(inv) == 30_001 and {a["password"] for a in inv} == {"locked"}
    every = [f for c in crit.values() for f in c["findings"]]
    assert not [f for f in every if f["check"] in ("CRED-UNCHECKABLE", "ACCOUNTS-CUT")]
    assert m.seconds < 60, m.seconds


def _ctx(root):
    return Context(Root(root, live=False), BoardConfig(), Options(password_budget=1))


def test_a_database_over_the_entry_cap_is_cut_and_never_passes(tree, monkeypatch):
    monkeypatch.setattr(accounts, "MAX_ENTRIES", 100)
    passwd = ROOT_LINE + "".join(f"u{i}:x:{1000 + i}:100::/home/u{i}:/usr/sbin/nologin\n"
                                 for i in range(150))
    root = tree({"/etc/passwd": passwd, "/etc/shadow": "root:" + LOCKED + ":19000::::::\n"})
    acc = accounts.read(_ctx(root))
    assert len(acc.accounts) == 100 and acc.cut == ["/etc/passwd: read stopped after 100 entries"]
    for cid in ("S1.1-01", "S1.1-02", "S1.1-03", "S1.1-11"):
        out = evaluate(_ctx(root), cid)
        assert out.verdict is not Verdict.PASS, (cid, out.reason)
        assert any(f.check == "ACCOUNTS-CUT" for f in out.findings), cid


def test_a_database_over_the_byte_cap_is_cut(tree, monkeypatch):
    monkeypatch.setattr(accounts, "ACCOUNT_DB_CAP", 4096)
    passwd = ROOT_LINE + "\n" * 5000 + "evil::0:0::/root:/bin/sh\n"
    root = tree({"/etc/passwd": passwd})
    acc = accounts.read(_ctx(root))
    assert acc.get("evil") is None and acc.cut == ["/etc/passwd: read stopped after 4,096 bytes"]
    out = evaluate(_ctx(root), "S1.1-01")
    assert out.verdict is not Verdict.PASS
    assert any(f.check == "ACCOUNTS-CUT" for f in out.findings)


def test_lookups_are_indexed_and_find_the_first_of_duplicates(tree):
    root = tree({"/etc/passwd": ROOT_LINE + "dup:x:1:1::/:/bin/sh\ndup:x:2:2::/:/bin/sh\n"})
    acc = accounts.read(_ctx(root))
    assert acc.get("dup").uid == 1 and acc.get("nobody-here") is None
    acc.accounts.append(accounts.Account("late", 5, 5))
    assert acc.get("late").uid == 5  # the index follows the list


def test_s1_1_14_state_fingerprints_every_credential_past_a_megabyte(tree):
    """The S1.1-14 state HMACs every credential field: the last one of a 1.5 MB shadow too."""
    from jcstar_agent import state

    names = [f"user{i:05d}" for i in range(15_000)]
    shadow = "".join(f"{n}:{LOCKED}:19000:0:99999:7:::\n" for n in names) + "last:$6$s$zz:1::::::\n"
    assert len(shadow) > 1 << 20
    root = tree({"/etc/passwd": ROOT_LINE, "/etc/shadow": shadow})
    fields, error = state.credential_fields(Root(root, live=False))
    assert error is None and len(fields) == 15_001 and fields["shadow:last"] == b"$6$s$zz"
