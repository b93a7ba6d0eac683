"""The systemd template unit jcstar-agent-serial@.service: valid for systemd, and its command
line is one our CLI accepts (serve on /dev/<instance>, the key and config the conditions name)."""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys

import pytest

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNIT = os.path.join(PROJECT, "firmware_hooks", "systemd", "jcstar-agent-serial@.service")


def directives(text):
    out = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "[")):
            k, v = line.split("=", 1)
            out.setdefault(k.strip(), []).append(v.strip())
    return out


def test_exec_start_is_a_serve_command_our_cli_accepts():
    from jcstar_agent.cli import _parser

    d = directives(open(UNIT).read())
    argv = shlex.split(d["ExecStart"][0].replace("%I", "ttyGS0"))
    assert argv[0] == "/usr/bin/jcstar-agent" and argv[1] == "serve"
    args = _parser("serve").parse_args(argv[1:])
    assert args.port == "/dev/ttyGS0" and args.baud == 115200
    assert {args.key, args.config} == set(d["ConditionPathExists"])
    assert "serial-getty@%i.service" in d["Conflicts"][0].split()
    assert d["BindsTo"] == ["dev-%i.device"] and d["Restart"] == ["always"]


def test_systemd_accepts_an_instance_of_the_template(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    text = open(UNIT).read().replace("/usr/bin/jcstar-agent", f"{sys.executable} -m jcstar_agent")
    inst = tmp_path / "jcstar-agent-serial@ttyGS0.service"
    inst.write_text(text)
    p = subprocess.run(["systemd-analyze", "verify", "--man=no", str(inst)], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    assert not [l for l in p.stderr.splitlines() if "Unknown" in l or "ignoring" in l or "Invalid" in l], p.stderr


def test_host_nonces_are_fresh_and_never_look_like_an_option(monkeypatch):
    """The factory hands the nonce to a command line (attest --nonce "$JCSTAR_NONCE"): a nonce
    starting with '-' would be read as an option there (1 in 64 of token_urlsafe's draws)."""
    import secrets

    from jcstar_agent.serial import framing, host

    draws = iter(["-starts-with-a-dash-aaaaaaaaaaaaa", "-again-bbbbbbbbbbbbbbbbbbbbbbbbb",
                  "fine-nonce-ccccccccccccccccccccc"])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda n: next(draws))
    assert host.new_nonce() == "fine-nonce-ccccccccccccccccccccc"
    monkeypatch.undo()
    got = {host.new_nonce() for _ in range(2000)}
    assert len(got) == 2000 and not any(n.startswith("-") for n in got)
    assert all(framing.valid_nonce(n) and len(n) == 32 for n in got)

