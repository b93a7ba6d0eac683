"""The front page and the reference pages hold together (issue 23): every relative link in
README.md and docs/*.md leads to a file of the project and, with an #anchor, to a heading of that
page; every docs page is reachable from the front page's table of contents."""
import os
import re

import projectdocs


def test_every_relative_link_and_anchor_resolves():
    paths = projectdocs.pages()
    assert len(paths) > 10  # the front page and the reference pages
    found = [t for p in paths for t in projectdocs.links(open(p, encoding="utf-8").read())
             if not re.match(r"[a-z]+:", t)]
    assert len(found) > 50 and sum("#" in t for t in found) > 5  # not a check of nothing
    assert projectdocs.broken_links(paths) == []


def test_every_docs_page_is_in_the_front_pages_contents():
    readme = projectdocs.page("README.md")
    contents = readme[readme.index("\n## Documentation\n"):]
    linked = {os.path.normpath(t.partition("#")[0]) for t in projectdocs.links(contents)}
    on_disk = {projectdocs.name(p) for p in projectdocs.pages()[1:]}
    assert on_disk and on_disk <= linked, sorted(on_disk - linked)


def test_every_docs_page_has_one_title():
    for path in projectdocs.pages()[1:]:
        text = open(path, encoding="utf-8").read()
        titles = [h for h, _ in projectdocs.HEADING.findall(projectdocs.FENCE.sub("", text)) if h == "#"]
        assert text.startswith("# ") and len(titles) == 1, projectdocs.name(path)


def test_broken_links_are_found(tmp_path):
    """The checker itself: a missing file, a missing anchor (in the page and in another), a link
    out of the project are reported; code, comments and URLs are not links it follows."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(
        "# Title\n\n## Quick start (`--x`)\n\n[ok](#quick-start---x) [ok](docs/a.md#the-a-page-1)\n"
        "[gone](docs/nope.md) [no anchor](#nowhere) [other](docs/a.md#missing)\n"
        "[out](../../etc/passwd) [web](https://example.com/#x) `[code](nope.md)`\n"
        "<!-- [comment](nope.md) -->\n```sh\n# not a heading\necho [x](nope.md)\n```\n", encoding="utf-8")
    (tmp_path / "docs" / "a.md").write_text("# The A page\n\n## The A page\n\n[back](../README.md#title)\n",
                                            encoding="utf-8")
    bad = projectdocs.broken_links(projectdocs.pages(str(tmp_path)), str(tmp_path))
    assert sorted((t, why.split(" ")[0]) for _, t, why in bad) == [
        ("#nowhere", "no"), ("../../etc/passwd", "outside"), ("docs/a.md#missing", "no"),
        ("docs/nope.md", "no")]
    assert projectdocs.anchors("# A\n## A\n```\n# B\n```\n## `--boot` as a plain user\n") == [
        "a", "a-1", "--boot-as-a-plain-user"]


def test_units_documentation_names_a_page_that_exists():
    """``Documentation=`` of the shipped systemd units (``systemctl help UNIT``) names a docs page
    of this project, and a heading of it, that exist."""
    units = os.path.join(projectdocs.PROJECT, "firmware_hooks", "systemd")
    prefix = "https://github.com/jcstar-agent/jcstar-agent/blob/HEAD/"
    seen = 0
    for unit in sorted(os.listdir(units)):
        for line in open(os.path.join(units, unit), encoding="utf-8"):
            if line.startswith("Documentation="):
                url = line.split("=", 1)[1].strip()
                assert url.startswith(prefix + "docs/"), (unit, url)
                page, _, anchor = url[len(prefix):].partition("#")
                path = os.path.join(projectdocs.PROJECT, page)
                assert os.path.isfile(path), (unit, url)
                assert not anchor or anchor in projectdocs.anchors(open(path, encoding="utf-8").read()), (unit, url)
                seen += 1
    assert seen >= 3
