"""``declare --config board.toml --output board.toml --force`` (the README's "later: add what is
new") keeps the comments of the declaration it starts from — the vendor's notes and the first
draft's "seen:" lines — above the same key (a comment at the end of a line moves above it), and a
second run changes nothing. (An audit found every comment dropped.)"""
import re
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

QUIET = {"/etc/product-model": "ACME-GW-100\n", "/etc/acme-release": "ACME-OS 4.2\n"}

MINE = '''# our declaration for the JC-STAR application, reviewed by QA
[product]
# legal entity, as in the application form
vendor = "Acme"  # as on the label
model = "ACME-GW-100"

# the "#" below is in a string, not a comment
[passwords]
dictionary = ["acme#1", "acme#2"]  # our former defaults

[not_applicable]
# agreed with the lab on 2026-11-02
"S1.1-12" = "The sensor sends nothing # protected over the network."
'''


def _answer(text):
    answers = {"command": '"/sbin/factory-reset"', "url": '"https://example.com/docs"'}
    return re.sub(r'^("?[\w.-]+"?) = "<FILL-IN:.*>"$',
                  lambda m: f"{m.group(1)} = {answers.get(m.group(1), chr(34) + 'answered' + chr(34))}",
                  text, flags=re.M)


def test_comments_survive_an_in_place_update(tree, cli, tmp_path):
    root = tree(QUIET)
    board = tmp_path / "board.toml"
    board.write_text(MINE)
    r = cli("declare", "--root", root, "--config", str(board), "--output", str(board), "--force")
    assert r.rc == 0, r.err
    out = board.read_text()
    for comment in ("# legal entity, as in the application form\n# as on the label\nvendor = \"Acme\"",
                    "# the \"#\" below is in a string, not a comment\n[passwords]",
                    "# our former defaults\ndictionary = [\"acme#1\", \"acme#2\"]",
                    "# agreed with the lab on 2026-11-02\n\"S1.1-12\" = "):
        assert comment in out, (comment, out)
    data = tomllib.loads(out)
    assert data["product"]["vendor"] == "Acme" and data["passwords"]["dictionary"] == ["acme#1", "acme#2"]
    assert data["not_applicable"]["S1.1-12"] == "The sensor sends nothing # protected over the network."
    board.write_text(_answer(out))  # the person answers what the device added
    runs = []
    for _ in range(2):
        r = cli("declare", "--root", root, "--config", str(board), "--output", str(board), "--force")
        assert r.rc == 0, r.err
        runs.append(board.read_text())
    assert runs[0] == runs[1]  # stable: nothing repeated, nothing lost
    assert "# legal entity, as in the application form\n# as on the label\nvendor" in runs[1]


def test_a_fresh_draft_run_over_itself_keeps_its_seen_lines(tree, cli, tmp_path):
    root = tree(QUIET)
    board = tmp_path / "board.toml"
    board.write_text(_answer(cli("declare", "--root", root).out))
    seen = [ln for ln in board.read_text().splitlines() if ln.startswith("# seen:")]
    assert seen
    r = cli("declare", "--root", root, "--config", str(board), "--output", str(board), "--force")
    assert r.rc == 0, r.err
    again = [ln for ln in board.read_text().splitlines() if ln.startswith("# seen:")]
    assert sorted(set(again)) == sorted(set(seen))
