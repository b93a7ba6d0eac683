"""The draft's TOML writer: whatever text a device shows, the draft stays TOML the loader reads,
and a comment never spills onto a line of its own."""
import sys

import pytest

from jcstar_agent.declare.toml_out import Table, render

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

NASTY = ['plain', 'quote " and back\\slash', "tab\tnew\nline\rcr", "nul\x00 del\x7f esc\x1b",
         "undecodable \udcff byte", "ünïcödé ✓", "#not a comment", "]]\n[[x]]"]


def test_values_round_trip_through_tomllib():
    t = Table("product")
    for i, s in enumerate(NASTY):
        t.add(f"k{i}", s, f"seen: {s}")
    t.add("list", NASTY, items=NASTY)
    t.add("n", 22)
    t.add("b", False)
    t.add("S1.1-12", "quoted key")
    data = tomllib.loads(render(["header\nwith a newline"], [t]))["product"]
    expect = [s.replace("\udcff", "\ufffd") for s in NASTY]
    assert [data[f"k{i}"] for i in range(len(NASTY))] == expect
    assert data["list"] == expect
    assert data["n"] == 22 and data["b"] is False and data["S1.1-12"] == "quoted key"


def test_long_comments_wrap_and_arrays_of_tables_repeat():
    a, b = Table("listeners", True), Table("listeners", True)
    a.add("port", 22, "x" * 50 + " " + "y" * 80)
    b.add("port", 80)
    text = render([], [a, b])
    assert all(len(line) <= 100 for line in text.splitlines())
    assert [x["port"] for x in tomllib.loads(text)["listeners"]] == [22, 80]
