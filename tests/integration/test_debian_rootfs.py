"""The agent over a real Debian root filesystem (debootstrap minbase bookworm + openssh-server).

Also the garbage test: every file under /etc of a copy replaced by random bytes — the run must
still report all 16 criteria, with findings or error verdicts, never a traceback or an internal
error, and never exit 2 (a device-file problem is not a run-level problem).
"""
import json
import os
import random

import pytest

from jcstar_agent.criteria import IDS

pytestmark = pytest.mark.integration


def test_check_over_debootstrap_rootfs(debian_rootfs, proc):
    r = proc("check", "--root", debian_rootfs, "--format", "json")
    assert r.rc in (0, 1) and "Traceback" not in r.err, r.err
    d = json.loads(r.out)
    assert [c["id"] for c in d["criteria"]] == list(IDS)
    by = {c["id"]: c for c in d["criteria"]}
    assert d["target"]["firmware_version"] == "12"
    s06 = by["S1.1-06"]
    assert s06["verdict"] == "pass", s06
    assert any(f["check"] == "UPDATE-MECHANISM" and f["evidence"]["mechanism"] == "apt" for f in s06["findings"])
    assert by["S1.1-14"]["verdict"] == "pass"
    for c in d["criteria"]:
        assert "internal error" not in c["reason"], (c["id"], c["reason"])


def _garble(root: str, seed: int) -> int:
    rnd = random.Random(seed)
    count = 0
    for dirpath, _, files in os.walk(os.path.join(root, "etc")):
        for name in files:
            p = os.path.join(dirpath, name)
            if os.path.islink(p):
                continue
            kind = rnd.randrange(4)
            data = (bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 4000))) if kind == 0 else
                    b"\x00" * 100 if kind == 1 else
                    (b"A" * 300000) if kind == 2 and count % 50 == 0 else
                    b"key = = [[[\n\xff\xfe" + b"=" * rnd.randrange(100) + b"\n")
            with open(p, "wb") as fh:
                fh.write(data)
            count += 1
    return count


def test_garbage_in_every_etc_file_is_never_a_traceback(debian_copy, proc):
    assert _garble(debian_copy, 1) > 100
    for fmt in ("json", "text", "junit"):
        r = proc("check", "--root", debian_copy, "--format", fmt)
        assert r.rc in (0, 1), r.err
        assert "Traceback" not in r.err and r.err.strip() == "", r.err
    d = json.loads(proc("check", "--root", debian_copy, "--format", "json").out)
    assert [c["id"] for c in d["criteria"]] == list(IDS)
    for c in d["criteria"]:
        assert "internal error" not in c["reason"], (c["id"], c["reason"])
