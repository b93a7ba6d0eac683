"""``[passwords] dictionary_file`` is read like every other input file of the host.

Found at fa4e7bd: ``candidates.load_file`` used a blocking ``open``: a dictionary_file naming a
FIFO nobody writes to hung ``check`` forever (S1.1-02 reads it once a password login is found),
a device was read to 16 MiB, a larger file was cut at 16 MiB and words past the limit (100000,
5000 for ``mcu``) were dropped without a word. Expected, as a vendor decides it: the run ends;
a device is named as not read; what is not tried is said.
"""
from __future__ import annotations

import json
import os

from clirun import run_process

SHADOW = "root:$6$abc$Wz9VYqvT4sHh7eQvQnW0vJrYq0j4l8r7m3x1Yk1m2Yl0v8s4sQk1x3nV3wQk5b6Yw8nQ2m0Tq1r5s7u9w1y3z5.:19000:0:99999:7:::\n"


def _check(tree, tmp_path, dictionary):
    root = tree({"/etc/os-release": 'NAME="Acme"\n', "/etc/passwd": "root:x:0:0::/root:/bin/sh\n",
                 "/etc/shadow": SHADOW, "/usr/sbin/sshd": "x",
                 "/etc/ssh/sshd_config": "PasswordAuthentication yes\nPermitRootLogin yes\n"})
    os.chmod(os.path.join(root, "usr/sbin/sshd"), 0o755)
    board = tmp_path / "board.toml"
    board.write_text(f'[passwords]\ndictionary_file = "{dictionary}"\n')
    r = run_process("check", "--root", root, "--config", str(board), "--format", "json",
                    "--password-budget", "1", timeout=60)
    assert r.rc in (0, 1), r.err[-1500:]
    return {c["id"]: c for c in json.loads(r.out)["criteria"]}["S1.1-02"]


def test_a_fifo_nobody_writes_to_does_not_hang_check(tree, tmp_path):
    os.mkfifo(tmp_path / "words.fifo")
    c = _check(tree, tmp_path, "words.fifo")  # relative to the config's folder
    assert c["verdict"] != "error", c["reason"]


def test_a_device_is_named_not_read(tree, tmp_path):
    c = _check(tree, tmp_path, "/dev/zero")
    assert "/dev/zero" in c["reason"] and "not a regular file" in c["reason"], c["reason"]


def test_words_past_the_limit_are_said(tmp_path):
    from jcstar_agent.passwords.candidates import load_file

    path = tmp_path / "words.txt"
    path.write_text("".join(f"w{i}\n" for i in range(12)))
    words, err = load_file(str(path), limit=10)
    assert words == [f"w{i}" for i in range(10)]
    assert err and "12 words" in err and "first 10" in err, err
    assert load_file(str(path), limit=12) == ([f"w{i}" for i in range(12)], None)
