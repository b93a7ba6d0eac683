"""``--lang`` and ``--sarif-root``: how a verb shows a report (:class:`report.View`), and the view
itself from the options, the board config and the terminal.

``--lang ja|en`` (default from the locale: ``LC_ALL``/``LC_MESSAGES``/``LANG`` starting with
``ja``) sets the language of text, HTML and the checklist; the JSON report, junit, SARIF and the
attestation stay language-neutral. ``--sarif-root PATH`` is the folder of the repository that
holds the image's root filesystem (``build/rootfs``): SARIF image paths become paths of the
repository, as code scanning resolves them.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Dict, Optional

from ..errors import RunError


def add_lang_option(p) -> None:
    p.add_argument("--lang", choices=("ja", "en"),
                   help="language of the text, HTML and checklist reports (default: ja when the "
                        "locale LC_ALL/LC_MESSAGES/LANG is Japanese, else en); JSON, SARIF and "
                        "attestations are language-neutral")


def add_sarif_root_option(p) -> None:
    p.add_argument("--sarif-root", metavar="PATH", type=sarif_root,
                   help="SARIF: the repository folder holding the image's rootfs (e.g. "
                        "build/rootfs); image paths are written relative to the repository")


def sarif_root(text: str) -> str:
    """A relative folder of the repository: no leading '/', no '..', not empty."""
    import argparse

    parts = [p for p in text.replace("\\", "/").split("/") if p not in ("", ".")]
    if not text or text.startswith("/") or ".." in parts or not parts or "\0" in text:
        raise argparse.ArgumentTypeError(
            f"{text!r}: a folder relative to the repository root (e.g. build/rootfs)")
    return "/".join(parts)


def config_in_checkout(path: Optional[str]) -> str:
    """The board config relative to the current folder (the checkout a CI job runs in), or ''
    when it lies outside it: code scanning resolves relative paths against the repository."""
    if not path or not os.path.isfile(path):
        return ""
    rel = os.path.relpath(os.path.realpath(path), os.path.realpath(os.getcwd()))
    return "" if rel == ".." or rel.startswith("../") or os.path.isabs(rel) else rel.replace(os.sep, "/")


def config_of(report: Dict[str, Any], explicit: Optional[str] = None):
    """The board config a stored report was made with, when it is on this host and its sha256 is
    the one the report names; else None (nothing is guessed)."""
    import hashlib

    cfg = report.get("config") if isinstance(report.get("config"), dict) else {}
    path = explicit or cfg.get("path")
    if not isinstance(path, str) or not os.path.isfile(path):
        return None
    try:
        with open(path, "rb") as fh:
            digest = hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None
    if cfg.get("sha256") and digest != cfg.get("sha256"):
        return None
    from ..config import load

    try:
        return load(path)
    except RunError:
        return None


def make_view(args, config=None, fmt: str = ""):
    """The view for this run: ``--lang`` (else the locale), ``-v``, the terminal's width for text
    on a terminal (80 elsewhere), ``--sarif-root``, and the board config's model and lines."""
    import shutil

    from ..report.view import View, lang_from_env

    lang = getattr(args, "lang", None) or lang_from_env()
    to_tty = not getattr(args, "output", None) and sys.stdout.isatty()
    width = shutil.get_terminal_size((80, 24)).columns if to_tty else 80
    view = View(lang=lang, verbose=bool(getattr(args, "verbose", False)), width=max(width, 40),
                sarif_root=getattr(args, "sarif_root", None) or "")
    if config is not None:
        from ..config.anchors import criterion_lines

        view.declared_model = config.product.model or ""
        if config.path:
            view.config_uri = config_in_checkout(config.path)
            view.config_lines = criterion_lines(config)
    return view


def check_sarif_root(args, fmt_used: bool) -> None:
    if getattr(args, "sarif_root", None) and not fmt_used:
        raise RunError("--sarif-root sets where SARIF locates image files; no SARIF is written",
                       hint="add --format sarif or --sarif-output FILE, or drop --sarif-root")
