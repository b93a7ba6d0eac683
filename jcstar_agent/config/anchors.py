"""Where in the board config each criterion is declared: the line a code-scanning tool points at.

A criterion's verdict is about the product, not about one file of the image; its natural place
in a repository is the vendor's declaration. For SARIF (``--format sarif``) every result needs a
file and a line, so a criterion verdict without file evidence points at the line of the board
config that declares what the criterion judged, in this order:

1. ``[not_applicable]`` ``"S1.1-NN" = …`` (the declared NA reason);
2. the first ``[[documents]]`` entry whose ``criterion`` is the criterion (D criteria);
3. the criterion's own table: ``[[logins]]`` for -02/-03/-04, ``[[listeners]]`` for -01/-12/-13,
   ``[update]`` for -06/-07/-08, ``product.model`` for -10, ``[secrets]`` for -11,
   ``[firmware]`` for -14, ``[erase]`` for -15 …;
4. else line 1 of the config file (the criterion is not declared at all).

Example: ``criterion_lines(load("board.toml"))["S1.1-15"]`` is the line of ``[erase]``.
"""
from __future__ import annotations

from typing import Dict, Tuple

from .schema import BoardConfig

# criterion -> key paths of the config, most specific first
SECTIONS: Dict[str, Tuple[tuple, ...]] = {
    "S1.1-01": (("listeners", 0), ("logins", 0), ("product", "conformity_certification")),
    "S1.1-02": (("logins", 0), ("passwords",), ("product", "psti_compliant")),
    "S1.1-03": (("logins", 0),),
    "S1.1-04": (("logins", 0), ("product", "constrained")),
    "S1.1-05": (("product", "psti_compliant"),),
    "S1.1-06": (("firmware", "version_source"), ("firmware",), ("update",)),
    "S1.1-07": (("update",),),
    "S1.1-08": (("update",),),
    "S1.1-09": (("update",),),
    "S1.1-10": (("product", "model"), ("product",)),
    "S1.1-11": (("secrets",),),
    "S1.1-12": (("listeners", 0),),
    "S1.1-13": (("listeners", 0), ("interfaces",)),
    "S1.1-14": (("firmware",), ("product", "conformity_certification")),
    "S1.1-15": (("erase",),),
    "S1.1-16": (("product", "psti_compliant"),),
}


def criterion_lines(cfg: BoardConfig) -> Dict[str, int]:
    """criterion id -> 1-based line of its declaration in ``cfg``'s file (1 when undeclared)."""
    lines = cfg.lines or {}
    out: Dict[str, int] = {}
    for cid, keys in SECTIONS.items():
        found = lines.get(("not_applicable", cid))
        if found is None:
            found = next((lines.get(("documents", i)) for i, d in enumerate(cfg.documents)
                          if d.criterion == cid and lines.get(("documents", i))), None)
        if found is None:
            found = next((lines[k] for k in keys if lines.get(k)), None)
        out[cid] = found or 1
    return out
