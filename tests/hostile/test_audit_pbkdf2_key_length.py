"""Audit of issue 12 item 2, next door: PBKDF2 in an app store, priced by its key length too.

Found at a968cee: a mosquitto ``$7$`` hash was priced by its iteration count only, but the
verifier derives ``len(stored digest)`` bytes, and PBKDF2 runs every iteration once per 64-byte
block. ``admin:$7$1000$<salt>$<1 MiB of base64>`` in /etc/mosquitto/passwd looked like 1 ms a
guess and took 10.7 s a guess: ``check --password-budget 1`` ran 15 s (a 3 MB digest, within the
4 MiB store read cap, is ~35 s a guess, per entry). Expected: the key length is a cost parameter;
the guess is not made, CRED-UNCHECKABLE names the key length, the run stays near its budget.
"""
from __future__ import annotations

import base64
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measured  # noqa: E402

from jcstar_agent.passwords import cost  # noqa: E402

SALT = base64.b64encode(b"saltsalt").decode()


def test_the_key_length_is_priced():
    normal = "$7$1000$" + SALT + "$" + base64.b64encode(b"k" * 64).decode()
    huge = "$7$1000$" + SALT + "$" + base64.b64encode(b"k" * (1 << 20)).decode()
    assert cost.work(normal, "mosquitto-pbkdf2").factor == 1.0
    w = cost.work(huge, "mosquitto-pbkdf2")
    assert w.factor == 1.0 * 16384 and "1048576-byte key" in w.parameter


def test_a_megabyte_digest_is_not_tried(trees):
    digest = base64.b64encode(b"\x01" * (1 << 20)).decode()
    root = trees({"/etc/passwd": "root:x:0:0::/root:/bin/sh\n", "/etc/shadow": "root:*:1::::::\n",
                  "/usr/sbin/mosquitto": b"",
                  "/etc/mosquitto/mosquitto.conf": "listener 1883\npassword_file /etc/mosquitto/passwd\n",
                  "/etc/mosquitto/passwd": "admin:$7$1000$" + SALT + "$" + digest + "\n"})
    m = measured.run("check", "--root", root, "--format", "json", "--password-budget", "1", timeout=120)
    assert m.rc in (0, 1), m.err[-2000:]
    assert m.seconds < 5, m.seconds  # before: 15 s (one 10.7 s guess past a 1 s budget)
    c02 = next(c for c in json.loads(m.out)["criteria"] if c["id"] == "S1.1-02")
    unc = [f for f in c02["findings"] if f["check"] == "CRED-UNCHECKABLE"
           and f["evidence"].get("account") == "admin"]
    assert unc and "1048576-byte key" in unc[0]["message"], c02["findings"]
    assert c02["verdict"] != "pass"
