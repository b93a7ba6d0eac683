"""The criterion catalogue (titles, methods, NA rules, cross-references) as data.

Loaded once from ``catalogue.json`` beside this file, which follows the original IPA document.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

REF_KEYS = ("etsi_en_303_645", "uk_psti", "nistir_8425", "eu_cra", "singapore_cls",
            "iec_62443_4_1", "iec_62443_4_2", "ccds", "bmsec", "rbss", "jp_special_purpose_pp",
            "jp_mic_terminal_equipment_rules")


@dataclass(frozen=True)
class Item:
    key: str
    ja: str
    en: str


@dataclass(frozen=True)
class CriterionInfo:
    id: str
    title: str
    title_ja: str
    requirement: str
    methods: Tuple[str, ...]
    na: Optional[str]
    items: Tuple[Item, ...]
    refs: Dict[str, List[str]]

    @property
    def module(self) -> str:
        return "s" + self.id[1:].replace(".", "_").replace("-", "_")  # S1.1-02 -> s1_1_02

    def item(self, key: str) -> Optional[Item]:
        return next((i for i in self.items if i.key == key), None)


@lru_cache(maxsize=1)
def load() -> Tuple[CriterionInfo, ...]:
    with open(os.path.join(os.path.dirname(__file__), "catalogue.json"), encoding="utf-8") as fh:
        data = json.load(fh)
    return tuple(
        CriterionInfo(
            id=c["id"], title=c["title"], title_ja=c["title_ja"], requirement=c["requirement"],
            methods=tuple(c["methods"]), na=c.get("na"),
            items=tuple(Item(i["key"], i["ja"], i["en"]) for i in c.get("items", [])),
            refs={k: list(c["refs"].get(k, [])) for k in REF_KEYS})
        for c in data["criteria"])


def get(criterion_id: str) -> CriterionInfo:
    for c in load():
        if c.id == criterion_id:
            return c
    raise KeyError(criterion_id)
