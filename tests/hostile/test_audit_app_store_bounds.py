"""Audit of issue 12 "Performance" and item 3, next door: application credential stores.

Found at a968cee:
- a JSON store's line numbers were found by slicing the text up to each user and counting
  newlines: quadratic. 9,990 users after 2.8 MB of padding (a 4 MB file, inside the store read
  cap) made ``check --password-budget 0.1`` run 72 s (12 s with no padding at all);
- a store past 10,000 entries was cut silently (``admin:admin`` as entry 10,001 of an htpasswd
  file was never tested, S1.1-02 said nothing of it).
Expected: parsing is linear (well under a second here), line numbers stay right, and a store cut
at its entry limit is READ-CUT in the criteria that judge it, which do not pass.
"""
from __future__ import annotations

import json
import time

from clirun import run_process

from jcstar_agent.facts import credstores


def test_json_store_line_numbers_are_linear_and_right():
    users = [{"user": f"u{i:05d}", "password_hash": "$6$x$" + "y" * 86} for i in range(5000)]
    text = json.dumps({"pad": "p" * (1 << 20), "users": users}, indent=1)
    store = credstores.Store("/etc/app/users.json", "json", "declared", "x")
    started = time.perf_counter()
    credstores._parse_json(store, text)
    took = time.perf_counter() - started
    assert len(store.entries) == 5000
    assert took < 1.5, took  # before: ~5 s (5,000 slices of 1 MB)
    want = {u["user"]: text[:text.find(json.dumps(u["user"]))].count("\n") + 1 for u in users[:3] + users[-3:]}
    assert {e.user: e.line for e in store.entries if e.user in want} == want
    odd = '{\n"a": [\n {"user": "x\\"y", "pass": "p"},\n {"user": "b", "pass": "q"}]}'
    store = credstores.Store("/x", "json", "declared", "x")
    credstores._parse_json(store, odd)
    assert sorted((e.user, e.line) for e in store.entries) == [("b", 4), ('x"y', 3)]


def test_an_entry_past_the_store_limit_is_never_a_silent_pass(trees):
    lines = "".join(f"user{i:05d}:$apr1$saltsalt$0123456789012345678901\n"
                    for i in range(credstores.MAX_ENTRIES)) + "admin:admin\n"
    root = trees({"/etc/passwd": "root:x:0:0::/root:/bin/sh\n", "/etc/shadow": "root:*:1::::::\n",
                  "/usr/sbin/nginx": b"",
                  "/etc/nginx/sites-enabled/default": "server { listen 80; auth_basic x; "
                                                      "auth_basic_user_file /etc/nginx/htpasswd; }\n",
                  "/etc/nginx/htpasswd": lines})
    r = run_process("check", "--root", root, "--format", "json", "--password-budget", "1", timeout=120)
    assert r.rc in (0, 1) and "Traceback" not in r.err, r.err[-1500:]
    c02 = next(c for c in json.loads(r.out)["criteria"] if c["id"] == "S1.1-02")
    assert c02["verdict"] != "pass"
    cut = [f for f in c02["findings"] if f["check"] == "READ-CUT"]
    assert cut and "/etc/nginx/htpasswd" in cut[0]["message"] and "10,000 entries" in cut[0]["message"], c02
