"""The project's documentation as the tests read it: the front page README.md and the reference
pages docs/*.md, one topic a page (issue 23). Tests that hold the docs to the code read them
through here — one page where the content lives there (``page("cli.md")``), or all of them
(``text()``) — so that a section moved between pages is looked for where it now is.

Also the link rules every page keeps (tests/test_docs_links.py): ``broken_links`` lists each
relative link whose file or ``#anchor`` does not exist, anchors made as GitHub makes them."""
from __future__ import annotations

import glob
import os
import re
from typing import Dict, List, Tuple

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(PROJECT, "README.md")
DOCS = os.path.join(PROJECT, "docs")


def pages(project: str = PROJECT) -> List[str]:
    """README.md, then docs/*.md in name order (absolute paths)."""
    return [os.path.join(project, "README.md")] + sorted(glob.glob(os.path.join(project, "docs", "*.md")))


def name(path: str, project: str = PROJECT) -> str:
    """A page as messages name it: README.md, docs/cli.md."""
    return os.path.relpath(path, project)


def page(which: str) -> str:
    """One page's text: "README.md", or a docs page by file name ("cli.md")."""
    path = README if which == "README.md" else os.path.join(DOCS, which)
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def texts() -> Dict[str, str]:
    """Every page: its name (README.md, docs/x.md) -> its text."""
    out = {}
    for path in pages():
        with open(path, encoding="utf-8") as fh:
            out[name(path)] = fh.read()
    return out


def text() -> str:
    """All pages, one after the other."""
    return "\n".join(texts().values())


# ---- links and anchors --------------------------------------------------------------------------

FENCE = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1[^\n]*$", re.M | re.S)  # list items indent theirs
CODE_SPAN = re.compile(r"(`+).+?\1", re.S)
COMMENT = re.compile(r"<!--.*?-->", re.S)
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.M)


def prose(text: str) -> str:
    """The text without code blocks, code spans and HTML comments: what renders as links."""
    return CODE_SPAN.sub("", FENCE.sub("", COMMENT.sub("", text)))


def anchors(text: str) -> List[str]:
    """The anchors GitHub gives the headings: lower case, every character that is not a letter,
    digit, space, hyphen or underscore dropped, spaces to hyphens; a repeated one gets -1, -2 …"""
    seen: Dict[str, int] = {}
    out = []
    for _hashes, heading in HEADING.findall(FENCE.sub("", text)):
        heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
        base = re.sub(r"[^\w\- ]", "", heading.replace("`", "").lower()).replace(" ", "-")
        n = seen.get(base, 0)
        out.append(base if n == 0 else f"{base}-{n}")
        seen[base] = n + 1
    return out


def links(text: str) -> List[str]:
    """The targets of the links (and images) in a page."""
    return LINK.findall(prose(text))


def broken_links(paths: List[str], project: str = PROJECT) -> List[Tuple[str, str, str]]:
    """(page, target, why) for each relative link of these pages that leads nowhere: a file that
    does not exist or lies outside the project, or an #anchor no heading of its page makes.
    Links with a scheme (https:, mailto:) are not followed."""
    cache: Dict[str, List[str]] = {}

    def anchors_of(path: str) -> List[str]:
        if path not in cache:
            with open(path, encoding="utf-8") as fh:
                cache[path] = anchors(fh.read())
        return cache[path]

    bad = []
    root = os.path.realpath(project)
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        for target in links(text):
            if re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", target):
                continue
            file_part, _, anchor = target.partition("#")
            dest = os.path.realpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
            where = name(path, project)
            if dest != root and not dest.startswith(root + os.sep):
                bad.append((where, target, "outside the project"))
            elif not os.path.exists(dest):
                bad.append((where, target, "no such file"))
            elif anchor and (not dest.endswith(".md") or anchor not in anchors_of(dest)):
                bad.append((where, target, f"no heading #{anchor} in {name(dest, project)}"))
    return bad
