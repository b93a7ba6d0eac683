"""Fixtures for the firmware-hook tests: what a build host provides (the agent and the shared
image-check script on PATH, as jcstar-agent-native's sysroot or Buildroot's host dir would), and
board configs written for a test."""
from __future__ import annotations

import os
import stat
import sys

import pytest

from hookutil import IMAGE_CHECK, PROJECT


@pytest.fixture
def build_bin(tmp_path):
    """A bin folder with ``jcstar-agent`` (this checkout, this Python) and ``jcstar-image-check``,
    as the native sysroot puts them on the build's PATH. Returns the PATH to use."""
    bindir = tmp_path / "sysroot-native" / "usr" / "bin"
    bindir.mkdir(parents=True)
    agent = bindir / "jcstar-agent"
    agent.write_text(f'#!/bin/sh\nPYTHONPATH="{PROJECT}" exec "{sys.executable}" -m jcstar_agent "$@"\n')
    agent.chmod(agent.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.symlink(IMAGE_CHECK, bindir / "jcstar-image-check")
    return f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}"


@pytest.fixture
def write_config(tmp_path):
    def _write(text: str, name: str = "board.toml") -> str:
        path = tmp_path / "configs" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        return str(path)
    return _write
