"""Helpers of the firmware-hook tests (paths, planted-FAIL configs, report readers)."""
from __future__ import annotations

import json
import os

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOOKS = os.path.join(PROJECT, "firmware_hooks")
IMAGE_CHECK = os.path.join(HOOKS, "common", "jcstar-image-check")

# S1.1-10: the device shows another model than declared -> MODEL-MISMATCH, a fail that every
# rootfs here can show without being changed (the model source is a file of the tree itself).
PLANTED_FAIL = '''[product]
vendor = "Acme"
model = "ACME-GW-100"
model_source = "{source}"
'''


def read_report(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def verdict(report: dict, criterion: str) -> dict:
    return next(c for c in report["criteria"] if c["id"] == criterion)


def failing(report: dict):
    return [c["id"] for c in report["criteria"] if c["verdict"] in ("fail", "error")]
