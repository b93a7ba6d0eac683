"""Audit of issue 12 item 7(d), next door: S1.1-01 judged accounts it could not read.

Found at a968cee: with /etc/shadow a symlink loop (or /etc/passwd one), S1.1-11 and -14 said
``error`` but S1.1-01 *passed* ("no empty-password or anonymous access found"), though it is the
criterion that flags a UID-0 account with an empty password (``root::`` in shadow, which the
same tree with a readable shadow fails). Expected: a passwd or shadow that exists but cannot be
read is ACCOUNTS-CUT in the criteria that judge accounts, and S1.1-01 is ``error``, not ``pass``;
a database that is simply missing is not a cut.
"""
from __future__ import annotations

import json
import os

from clirun import run_process

PASSWD = "root:x:0:0::/root:/bin/sh\n"


def _s101(root):
    r = run_process("check", "--root", root, "--format", "json", timeout=120)
    assert r.rc in (0, 1) and "Traceback" not in r.err, r.err[-1500:]
    return next(c for c in json.loads(r.out)["criteria"] if c["id"] == "S1.1-01")


def test_an_unreadable_shadow_is_not_a_pass(trees):
    seen = _s101(trees({"/etc/passwd": PASSWD, "/etc/shadow": "root::1::::::\n"}))
    assert seen["verdict"] == "fail"
    assert "AUTH-UID0-NO-PASSWORD" in {f["check"] for f in seen["findings"]}

    root = trees({"/etc/passwd": PASSWD})
    os.symlink("shadow", os.path.join(root, "etc/shadow"))  # a loop: as root, still unreadable
    c = _s101(root)
    assert c["verdict"] == "error", c
    cut = [f for f in c["findings"] if f["check"] == "ACCOUNTS-CUT"]
    assert cut and cut[0]["evidence"]["path"] == "/etc/shadow" and "loop" in cut[0]["message"]


def test_an_unreadable_passwd_is_not_a_pass(trees):
    root = trees({"/etc/shadow": "root::1::::::\n"})
    os.makedirs(os.path.join(root, "etc/passwd"))  # not a regular file
    c = _s101(root)
    assert c["verdict"] == "error", c
    assert any(f["check"] == "ACCOUNTS-CUT" and f["evidence"]["path"] == "/etc/passwd"
               for f in c["findings"])


def test_a_missing_database_is_not_a_cut(trees):
    c = _s101(trees({"/etc/hostname": "x\n"}))
    assert "ACCOUNTS-CUT" not in {f["check"] for f in c["findings"]}
