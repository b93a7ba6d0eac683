"""Issue 12 item 9: hostile board configs are refused at once with exit 2 and ``file:line``.

Expected, decided before running: TOML nested 5,000 deep names its line; a config over the
documented 1 MiB is refused (never cut: a ``[not_applicable]`` after the first MiB would be
silently lost); a FIFO or a device is refused before any read (no hang); a large but allowed
config is hashed whole into ``config.sha256``.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(os.path.dirname(HERE))


def run(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "jcstar_agent", *args], cwd=PROJECT,
                          capture_output=True, text=True, timeout=timeout)


def one_line(r) -> str:
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


def test_toml_nested_5000_deep_is_exit_2_with_its_line(tree, tmp_path):
    cfg = tmp_path / "deep.toml"
    cfg.write_text('[product]\nmodel = "x"\n\nbad = ' + "[" * 5000 + "]" * 5000 + "\n")
    line = one_line(run("check", "--root", tree(), "--config", str(cfg)))
    assert line.startswith(f"jcstar-agent: {cfg}:4: ") and "nested" in line
    cfg.write_text('[product]\nmodel = "x"\nbad = ' + "{a = " * 3000 + "1" + "}" * 3000 + "\n")
    assert f"{cfg}:3: " in one_line(run("check", "--root", tree(), "--config", str(cfg)))


def test_brackets_in_strings_and_comments_do_not_count(tree, tmp_path, cli):
    cfg = tmp_path / "ok.toml"
    cfg.write_text('[product]\nmodel = "' + "[" * 200 + '"  # ' + "{" * 200 + "\n"
                   'vendor = """\n' + "[" * 200 + '\n"""\n')
    r = cli("check", "--root", tree(), "--config", str(cfg))
    assert r.rc in (0, 1), r.err


def test_config_over_the_limit_is_refused_not_cut(tree, tmp_path):
    cfg = tmp_path / "big.toml"
    cfg.write_text('[product]\nmodel = "x"\n' + "#\n" * (600 * 1024) + '[not_applicable]\n"S1.1-12" = "no"\n')
    assert os.path.getsize(cfg) > 1 << 20
    line = one_line(run("check", "--root", tree(), "--config", str(cfg)))
    assert str(cfg) in line and "limit" in line


def test_sha256_is_of_the_whole_file(tree, tmp_path, cli):
    cfg = tmp_path / "padded.toml"
    cfg.write_bytes(b'[product]\nmodel = "x"\n' + b"# padding\n" * 90_000 + b'[agent]\n')
    assert 800 * 1024 < os.path.getsize(cfg) < 1 << 20
    r = cli("check", "--root", tree(), "--config", str(cfg), "--format", "json")
    assert json.loads(r.out)["config"]["sha256"] == hashlib.sha256(cfg.read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_fifo_device_or_folder_is_exit_2_at_once(tree, tmp_path, kind):
    path = {"fifo": str(tmp_path / "cfg.fifo"), "device": "/dev/zero", "folder": str(tmp_path)}[kind]
    if kind == "fifo":
        os.mkfifo(path)
    line = one_line(run("check", "--root", tree(), "--config", path, timeout=20))
    assert path in line and "regular file" in line
