"""Audit of issue 12 item 3, next door: every device file, not only the account databases.

Found at a968cee: Root.read caps most configs at 1 MiB (units and init scripts at 256 KiB) and
says ``truncated``, but no reader but sshd, packages and documents looked at it. 1.1 MB of blank
lines then ``telnet stream tcp nowait root /usr/sbin/tcpd /usr/sbin/in.telnetd`` in
/etc/inetd.conf: the telnet login vanished, S1.1-01 went from ``fail`` to ``pass``, S1.1-12 and -13
lost their findings, nothing said why. The same with ``allow_anonymous true`` after 1 MiB of
mosquitto.conf. Expected, as DESIGN.md says ("a file read only in part ... never pass"): every
criterion whose facts came from the cut file (read now or cached by an earlier criterion) has a
READ-CUT finding naming the file, and none of them passes; the unpadded file is still judged.
"""
from __future__ import annotations

import json

import pytest

from clirun import run_process

PASSWD = "root:x:0:0:root:/root:/bin/sh\n"
SHADOW = "root:*:19000:0:99999:7:::\n"
TELNET = "telnet stream tcp nowait root /usr/sbin/tcpd /usr/sbin/in.telnetd\n"
PAD = "\n" * 1_100_000  # past the 1 MiB read cap


def _check(root):
    r = run_process("check", "--root", root, "--format", "json", "--password-budget", "0.1",
                    timeout=120)
    assert r.rc in (0, 1), r.err[-2000:]
    assert "Traceback" not in r.err
    return r, {c["id"]: c for c in json.loads(r.out)["criteria"]}


def _checks(c):
    return {f["check"] for f in c["findings"]}


@pytest.mark.parametrize("path,line,finding", [
    ("/etc/inetd.conf", TELNET, "AUTH-CLEARTEXT-LOGIN"),
    ("/etc/mosquitto/mosquitto.conf", "listener 1883\nallow_anonymous true\n", "MQTT-ANONYMOUS"),
])
def test_a_line_after_the_read_cap_is_never_a_silent_pass(trees, path, line, finding):
    base = {"/etc/passwd": PASSWD, "/etc/shadow": SHADOW, "/usr/sbin/mosquitto": b""}
    # control: the same line without padding is seen and fails S1.1-01
    _r, crit = _check(trees(dict(base, **{path: line})))
    assert crit["S1.1-01"]["verdict"] == "fail" and finding in _checks(crit["S1.1-01"])
    assert not any("READ-CUT" in _checks(c) for c in crit.values())

    r, crit = _check(trees(dict(base, **{path: "# vendor\n" + PAD + line})))
    c01 = crit["S1.1-01"]
    assert c01["verdict"] != "pass"
    assert c01["verdict"] == "error", c01
    cut = next(f for f in c01["findings"] if f["check"] == "READ-CUT")
    assert cut["evidence"]["path"] == path and "1,048,576 bytes" in cut["message"]
    assert r.rc == 1
    # a criterion computed later from the same (cached) facts learns the cut too
    if path == "/etc/inetd.conf":
        # (S1.1-04 judges the same logins S1.1-01 read: it takes the fact from the cache)
        assert "READ-CUT" in _checks(crit["S1.1-04"]) and crit["S1.1-04"]["verdict"] != "pass"
        # S1.1-14 never read inetd.conf: its verdict is its own
        assert "READ-CUT" not in _checks(crit["S1.1-14"])


def test_a_prefix_read_is_not_a_cut(tmp_path):
    """Reading a binary's head for a version string (prefix=True) is not a partial look."""
    from jcstar_agent.target import Root

    (tmp_path / "big").write_bytes(b"x" * 5000)
    root = Root(str(tmp_path), live=False)
    assert root.read("/big", 100, prefix=True).truncated and root.cuts == []
    assert root.read("/big", 100).truncated
    assert root.cuts == ["/big: larger than 100 bytes, read only that far"]
