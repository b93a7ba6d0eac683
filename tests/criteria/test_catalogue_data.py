"""Data checks for jcstar_agent/criteria/catalogue.json (the JC-STAR ★1 criterion catalogue).

The strong checks compare the catalogue's requirement texts, cross-references and evaluation
methods with the authoritative Japanese original, through the digest of it the project keeps
(tests/criteria/catalogue_reference.py, reference_digest.json: runs on any clone); where the original
itself (shared/reference/) is beside the project, the digest is checked against it.
"""
import json
import re
from pathlib import Path

import pytest

import catalogue_reference as reference

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "jcstar_agent" / "criteria" / "catalogue.json"

IDS = [f"S1.1-{n:02d}" for n in range(1, 17)]
REF_KEYS = [
    "etsi_en_303_645", "uk_psti", "nistir_8425", "eu_cra", "singapore_cls",
    "iec_62443_4_1", "iec_62443_4_2", "ccds", "bmsec", "rbss", "jp_special_purpose_pp",
]
# Scheme tags as written in the original's 関係性 tables -> catalogue refs key.
# 総務省 端末設備等規則 is listed in the original too; it gets its own extra key.
TAG_TO_KEY = {
    "ETSI EN 303 645": "etsi_en_303_645",
    "英国 PSTI Act": "uk_psti",
    "米国 NISTIR 8425": "nistir_8425",
    "EU-CRA": "eu_cra",
    "シンガポール CLS": "singapore_cls",
    "IEC 62443-4-1": "iec_62443_4_1",
    "IEC 62443-4-2": "iec_62443_4_2",
    "CCDS サーティフィケーションプログラム": "ccds",
    "BMSec": "bmsec",
    "RBSS": "rbss",
    "特定用途機器 PP": "jp_special_purpose_pp",
    "総務省 端末設備等規則": "jp_mic_terminal_equipment_rules",
}
# CRITERIA.md: criteria whose "NA only when" column says "never".
NA_NEVER = {"S1.1-05", "S1.1-06", "S1.1-07", "S1.1-09", "S1.1-10",
            "S1.1-11", "S1.1-13", "S1.1-14", "S1.1-15", "S1.1-16"}
ITEM_KEYS = {"1", "2", "3", "4", "5", "A", "B", "C"}


@pytest.fixture(scope="module")
def catalogue():
    return json.loads(CATALOGUE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def by_id(catalogue):
    return {c["id"]: c for c in catalogue["criteria"]}


@pytest.fixture(scope="module")
def original():
    """The original's facts per criterion, from the digest kept in the project."""
    return reference.load()["criteria"]


# --- shape -------------------------------------------------------------------

def test_top_level(catalogue):
    assert catalogue["scheme"] == "JC-STAR ★1"
    assert isinstance(catalogue["source"], str) and catalogue["source"].strip()
    assert [c["id"] for c in catalogue["criteria"]] == IDS


def test_catalogue_is_utf8_not_ascii_escaped():
    raw = CATALOGUE.read_text(encoding="utf-8")
    assert "適合" in raw or "認証" in raw
    assert "\\u" not in raw


@pytest.mark.parametrize("cid", IDS)
def test_criterion_fields(by_id, cid):
    c = by_id[cid]
    for key in ("title_ja", "title", "requirement_ja", "requirement"):
        assert isinstance(c[key], str) and c[key].strip(), key
        assert c[key] == c[key].strip() and "\n" not in c[key], f"{key} not whitespace-normalised"
    assert isinstance(c["methods"], list) and c["methods"]
    assert set(c["methods"]) <= {"document", "device-test"}
    assert len(set(c["methods"])) == len(c["methods"])
    assert c["na_ja"] is None or (isinstance(c["na_ja"], str) and c["na_ja"].strip())
    assert c["na"] is None or (isinstance(c["na"], str) and c["na"].strip())
    assert (c["na_ja"] is None) == (c["na"] is None)
    assert isinstance(c["items"], list)
    keys = [it["key"] for it in c["items"]]
    assert len(keys) == len(set(keys))
    for it in c["items"]:
        assert set(it) == {"key", "ja", "en"}
        assert it["key"] in ITEM_KEYS
        assert isinstance(it["ja"], str) and it["ja"].strip()
        assert isinstance(it["en"], str) and it["en"].strip()
        assert it["ja"] in c["requirement_ja"], f"item {it['key']} text not in requirement_ja"
    assert isinstance(c["refs"], dict)
    for key in REF_KEYS:
        assert key in c["refs"], f"refs.{key} missing"
    for key, vals in c["refs"].items():
        assert isinstance(vals, list)
        assert all(isinstance(v, str) and v.strip() and v == v.strip() for v in vals), key


@pytest.mark.parametrize("cid", IDS)
def test_na_null_exactly_when_never(by_id, cid):
    if cid in NA_NEVER:
        assert by_id[cid]["na"] is None and by_id[cid]["na_ja"] is None
    else:
        assert by_id[cid]["na"] and by_id[cid]["na_ja"]


def test_items(by_id):
    assert [it["key"] for it in by_id["S1.1-16"]["items"]] == ["1", "2", "3", "4", "5"]
    assert [it["key"] for it in by_id["S1.1-13"]["items"]] == ["1", "A", "B", "C", "2"]
    assert [it["key"] for it in by_id["S1.1-15"]["items"]] == ["1", "A", "B", "C", "2"]
    assert [it["key"] for it in by_id["S1.1-05"]["items"]] == ["1", "2", "3"]
    assert [it["key"] for it in by_id["S1.1-02"]["items"]] == ["1", "2"]
    assert [it["ja"] for it in by_id["S1.1-13"]["items"][1:4]] == ["TCP/UDP ポート", "Bluetooth", "USB"]


def test_known_methods(by_id):
    both = {"S1.1-13", "S1.1-15"}
    device = {"S1.1-04", "S1.1-06", "S1.1-10", "S1.1-14"}
    for cid in IDS:
        want = ["document", "device-test"] if cid in both else ["device-test"] if cid in device else ["document"]
        assert by_id[cid]["methods"] == want, cid


# --- against the original ------------------------------------------------------

def test_original_has_all_criteria(original):
    assert list(original) == IDS


def test_digest_still_matches_the_original():
    """The digest is what the original says: same file (sha256), same facts read from it."""
    if not reference.ORIGINAL.is_file():
        pytest.skip(f"the original is not at {reference.ORIGINAL} (shared/ is not beside the project): "
                    "the catalogue was checked against the digest only")
    kept = reference.load()
    assert kept["sha256"] == reference.sha256(reference.ORIGINAL), \
        "the original changed: regenerate the digest (python3 tests/criteria/catalogue_reference.py) and review"
    assert kept == reference.digest_of(reference.ORIGINAL)


@pytest.mark.parametrize("cid", IDS)
def test_requirement_text_matches_original(by_id, original, cid):
    squeeze = lambda t: re.sub(r"\s+", "", t)  # noqa: E731  (the PDF extraction wraps lines anywhere)
    assert squeeze(by_id[cid]["requirement_ja"]) == squeeze(original[cid]["requirement_ja"])
    assert len(original[cid]["requirement_ja"]) > 20


@pytest.mark.parametrize("cid", IDS)
def test_methods_match_original(by_id, original, cid):
    assert by_id[cid]["methods"] == original[cid]["methods"]


@pytest.mark.parametrize("cid", IDS)
def test_every_scheme_tag_is_mapped(by_id, original, cid):
    for tag, text in original[cid]["refs"]:
        assert tag in TAG_TO_KEY, f"{cid}: unknown scheme tag 【{tag}】 in the original"
        assert by_id[cid]["refs"].get(TAG_TO_KEY[tag]), f"{cid}: 【{tag}】{text} has no catalogue entry"
    listed = {TAG_TO_KEY[tag] for tag, _ in original[cid]["refs"]}
    for key, vals in by_id[cid]["refs"].items():
        if vals:
            assert key in listed, f"{cid}: catalogue lists {key} but the original does not"


@pytest.mark.parametrize("cid", IDS)
def test_etsi_ids_match_original(by_id, original, cid):
    want = [m for tag, text in original[cid]["refs"] if tag == "ETSI EN 303 645"
            for m in re.findall(r"\d+\.\d+-\d+", text)]
    assert want, f"{cid}: the original lists an ETSI EN 303 645 provision for every criterion"
    got = [re.match(r"\d+\.\d+-\d+", v).group(0) for v in by_id[cid]["refs"]["etsi_en_303_645"]]
    assert got == want
    # the M/R/C(n) marker is kept exactly as written
    original_text = [t for tag, t in original[cid]["refs"] if tag == "ETSI EN 303 645"]
    assert by_id[cid]["refs"]["etsi_en_303_645"] == original_text


@pytest.mark.parametrize("cid", IDS)
def test_psti_ids_match_original(by_id, original, cid):
    want = sorted(m for tag, text in original[cid]["refs"] if tag == "英国 PSTI Act"
                  for m in re.findall(r"\d+-\(\d+\)", text))
    got = sorted(m for v in by_id[cid]["refs"]["uk_psti"] for m in re.findall(r"\d+-\(\d+\)", v))
    assert got == want
    for v in by_id[cid]["refs"]["uk_psti"]:
        assert v.startswith("SCHEDULE 1: "), v


def test_psti_listed_where_expected(by_id):
    assert [c for c in IDS if by_id[c]["refs"]["uk_psti"]] == ["S1.1-01", "S1.1-02", "S1.1-05"]


@pytest.mark.parametrize("cid", IDS)
def test_every_reference_token_is_carried(by_id, original, cid):
    """Each whitespace/、/,-separated token of every original entry appears in the catalogue list."""
    for tag, text in original[cid]["refs"]:
        key = TAG_TO_KEY[tag]
        joined = re.sub(r"\s+", "", "|".join(by_id[cid]["refs"][key]))
        for token in re.split(r"[\s、,]+", text):
            if token:
                assert token in joined, f"{cid} 【{tag}】: {token!r} (from {text!r}) missing from refs.{key}"
