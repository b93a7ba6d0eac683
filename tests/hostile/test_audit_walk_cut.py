"""Audit of issue 12 item 7(b), next door: the other bounded walks.

Found at a968cee: only the secrets walk said its cuts. The credential-store discovery walks
(nginx/Apache/lighttpd config folders: 400 entries, 4 levels; web roots for .htaccess: 5,000
entries, 8 levels) and the pointed-store walk stopped silently. 400 empty files in /etc/nginx/conf.d
sorted before sites-enabled/ hid ``auth_basic_user_file /etc/nginx/htpasswd`` with ``admin:admin``
in it: S1.1-02's default-password finding vanished, nothing said why. Expected: a walk the caller
does not account for itself is recorded like a file read in part (READ-CUT naming the folder), and
the criteria that used it are not ``pass``.
"""
from __future__ import annotations

import json

from clirun import run_process

BASE = {"/etc/passwd": "root:x:0:0::/root:/bin/sh\n", "/etc/shadow": "root:*:1::::::\n",
        "/usr/sbin/nginx": b"",
        "/etc/nginx/sites-enabled/default": "server { listen 80; auth_basic x; "
                                            "auth_basic_user_file /etc/nginx/htpasswd; }\n",
        "/etc/nginx/htpasswd": "admin:admin\n"}


def _check(root):
    r = run_process("check", "--root", root, "--format", "json", "--password-budget", "1", timeout=120)
    assert r.rc in (0, 1) and "Traceback" not in r.err, r.err[-1500:]
    return {c["id"]: c for c in json.loads(r.out)["criteria"]}


def _mentions_store(c):
    return any("/etc/nginx/htpasswd" in json.dumps(f) for f in c["findings"])


def test_a_store_behind_a_cut_walk_is_never_a_silent_pass(trees):
    crit = _check(trees(dict(BASE)))
    assert _mentions_store(crit["S1.1-02"]) and crit["S1.1-02"]["verdict"] == "fail"

    files = dict(BASE, **{f"/etc/nginx/a{i:03d}.conf": "# nothing\n" for i in range(450)})
    crit = _check(trees(files))
    c02 = crit["S1.1-02"]
    if not _mentions_store(c02):  # not found: then the cut must be said, and no pass
        assert c02["verdict"] != "pass", c02
        cut = [f for f in c02["findings"] if f["check"] == "READ-CUT"]
        assert cut and "/etc/nginx" in cut[0]["message"] and "walk cut" in cut[0]["message"], c02


def test_walk_cuts_are_recorded_only_when_the_caller_does_not_take_them(tmp_path):
    from jcstar_agent.target import Root

    for i in range(10):
        (tmp_path / f"f{i}").write_text("x")
    root = Root(str(tmp_path), live=False)
    mine = []
    assert len(list(root.walk("/", max_entries=5, cuts=mine))) == 5 and mine and root.cuts == []
    assert len(list(root.walk("/", max_entries=5))) == 5
    assert len(root.cuts) == 1 and root.cuts[0].startswith("/: walk cut at 5 entries")
    assert len(list(root.walk("/", max_entries=50))) == 10 and len(root.cuts) == 1
