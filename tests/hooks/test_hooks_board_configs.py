"""The board configs in board_configs/: each loads with the strict loader, is accepted by
``check --config`` and ``check --board``, and declares device paths (absolute)."""
from __future__ import annotations

import dataclasses
import hashlib
import os

import pytest

from jcstar_agent.config import load

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOARDS_DIR = os.path.join(PROJECT, "board_configs")
BOARDS = sorted(f[:-5] for f in os.listdir(BOARDS_DIR) if f.endswith(".toml"))
REQUIRED = ("raspberrypi-4", "raspberrypi-5", "beaglebone-black", "generic-yocto",
            "generic-buildroot-busybox")


def board_file(name: str) -> str:
    return os.path.join(BOARDS_DIR, name + ".toml")


def device_paths(cfg):
    """Every declared device path of a config (the keys whose value is a path on the device)."""
    p, fw, up, er = cfg.product, cfg.firmware, cfg.update, cfg.erase
    single = [p.model_source, p.serial_source, fw.version_source, up.command, er.command,
              cfg.agent.state_dir] + [lg.store for lg in cfg.logins]
    lists = er.data_paths + er.settings_paths + er.credential_paths + cfg.secrets.paths
    return [x for x in single + lists if x]


def test_the_promised_boards_are_there():
    assert set(REQUIRED) <= set(BOARDS)


@pytest.mark.parametrize("name", BOARDS)
def test_board_config_is_complete_and_valid(name):
    cfg = load(board_file(name))  # strict: unknown keys or wrong types raise RunError
    assert cfg.product.vendor and cfg.product.model, "a board declares who makes what"
    assert cfg.firmware.version_source, "a board says where its firmware version is"
    assert cfg.listeners and cfg.logins, "a board declares its listeners and logins"
    for path in device_paths(cfg):
        assert path.startswith("/"), f"{name}: device path {path!r} must be absolute"
    # Every table of the schema is written out, so the file documents every section.
    text = open(board_file(name), encoding="utf-8").read()
    for f in dataclasses.fields(cfg):
        if f.metadata.get("internal") or f.name in ("documents", "not_applicable"):
            continue
        header = f"[[{f.name}]]" if f.name in ("listeners", "logins") else f"[{f.name}]"
        assert header in text, f"{name}: no {header} section"
    assert text.count("\n#") >= 10, f"{name}: a vendor template is commented"


@pytest.mark.parametrize("name", BOARDS)
def test_check_accepts_board_and_config(name, tree, cli):
    root = tree()
    for args in (("--board", name), ("--config", board_file(name))):
        r = cli("check", "--root", root, "--format", "json", *args)
        assert r.rc in (0, 1), r.err
        report = r.json()
        assert report["config"]["path"] == board_file(name)
        assert report["config"]["sha256"] == hashlib.sha256(
            open(board_file(name), "rb").read()).hexdigest()
        assert [c["id"] for c in report["criteria"]] == [f"S1.1-{n:02d}" for n in range(1, 17)]


def test_boards_over_the_debootstrap_rootfs(debian_rootfs, proc):
    """Real process, real Debian tree: every board config runs to a report (never exit 2)."""
    for name in BOARDS:
        r = proc("check", "--root", debian_rootfs, "--board", name, "--format", "json")
        assert r.rc in (0, 1), f"{name}: {r.err}"
        assert "Traceback" not in r.err
        assert len(r.json()["criteria"]) == 16


def test_pi_model_matches_what_a_pi_shows(tree, cli):
    """The Pi configs' model is what the Pi's device tree shows (NUL-terminated, with revision)."""
    for name, shown in (("raspberrypi-4", "Raspberry Pi 4 Model B Rev 1.5\x00"),
                        ("raspberrypi-5", "Raspberry Pi 5 Model B Rev 1.0\x00")):
        cfg_text = open(board_file(name), encoding="utf-8").read()
        root = tree({"/proc/device-tree/model": shown})
        cfg = os.path.join(os.path.dirname(root), f"{name}.toml")
        with open(cfg, "w", encoding="utf-8") as fh:  # same declaration, model read from the tree
            fh.write(cfg_text.replace('[product]\n', '[product]\nmodel_source = "/proc/device-tree/model"\n', 1))
        r = cli("check", "--root", root, "--config", cfg, "--format", "json")
        s10 = next(c for c in r.json()["criteria"] if c["id"] == "S1.1-10")
        assert s10["verdict"] == "pass", s10
