"""How a report is shown to its reader — language, detail, width, where its files sit in the
repository — never what it says: two views of one report carry the same verdicts and findings.

The JSON report and the attestation take no view (they stay language-neutral); text, HTML, SARIF
and the checklist do. ``lang_from_env`` is the default of ``--lang``: ``ja`` when the locale that
names the language of messages (``LC_ALL``, else ``LC_MESSAGES``, else ``LANG``, as POSIX orders
them) starts with ``ja``, else ``en``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional

LANGS = ("ja", "en")


@dataclass
class View:
    lang: str = "en"
    verbose: bool = False  # text: every finding of every criterion, not the first one
    width: int = 0  # text: wrap lines at this many columns (0: no wrapping)
    sarif_root: str = ""  # SARIF: the rootfs folder in the repository, prefixed to image paths
    declared_model: str = ""  # the board config's product.model (HTML, when the device shows none)
    config_uri: str = ""  # SARIF: the board config as a path relative to the checkout ('' if none)
    config_lines: Dict[str, int] = field(default_factory=dict)  # criterion -> line in that file


def lang_from_env(env: Optional[Mapping[str, str]] = None) -> str:
    env = os.environ if env is None else env
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"
