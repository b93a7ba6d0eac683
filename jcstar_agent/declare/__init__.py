"""A first declaration from the device itself (``jcstar-agent declare``).

The draft is commented TOML the strict loader reads: what the device shows is filled in (with
where it was seen), and what only a person can judge is the placeholder "<FILL-IN: …>", which
the loader refuses (exit 2, naming file:line) until it is replaced — a draft never passes
``check`` unread. Device facts are read with nothing declared (the device's own view); with a
base config (``--config``/``--board``) the base's values win, and the device adds only what the
base does not declare, so ``declare`` over its own edited output adds nothing.
"""
from __future__ import annotations

import dataclasses
from typing import Any, List, Optional

from ..config.schema import BoardConfig
from . import identity, sections, surface
from .toml_out import Entry, Table, render, value

ALWAYS = {"listeners": ("proto", "port", "address"), "logins": ("name", "kind"),
          "documents": ("criterion",)}


def _default(f: dataclasses.Field) -> Any:
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default


def _set_fields(obj, lines: dict, key: tuple, always=()) -> List[str]:
    """Fields of a base object that its file sets (or that differ from the default)."""
    return [f.name for f in dataclasses.fields(obj) if not f.metadata.get("internal") and (
        f.name in always or getattr(obj, f.name) != _default(f) or key + (f.name,) in lines)]


def _no_comments(_path: tuple) -> List[str]:
    return []


def base_comments(base: BoardConfig):
    """``above(path)``: the comment lines a person (or an earlier draft) wrote directly above a
    key or table header of the base config's file, and its comment at the end of the line, so
    that ``declare --config board.toml --output board.toml --force`` keeps them (it dropped
    every one)."""
    from ..config.loader import _toml

    try:
        with open(base.path, encoding="utf-8") as fh:
            text = fh.read().splitlines()
    except (OSError, TypeError, ValueError):
        return _no_comments
    toml = _toml()

    def inline(line: str) -> str:
        for i, c in enumerate(line):
            if c == "#":
                head = line[:i].strip()
                try:
                    toml.loads(head if not head.startswith("[") else head + "\n")
                except Exception:  # noqa: BLE001 - the '#' is inside a string: look further
                    continue
                return line[i + 1:].strip() if head else ""
        return ""

    def above(path: tuple) -> List[str]:
        n = base.lines.get(path)
        if not n or n > len(text):
            return []
        out, i = [], n - 2
        while i >= 0 and text[i].lstrip().startswith("#"):
            out.insert(0, text[i].lstrip()[1:].strip())
            i -= 1
        end = inline(text[n - 1])
        return out + ([end] if end else [])
    return above


def _join(carried: List[str], generated: List[str]) -> List[str]:
    """Carried comments, then the generated notes they do not already say (so a note a second
    run would add again is not repeated)."""
    flat = " ".join(" ".join(carried).split())
    return carried + [g for g in generated if " ".join(g.split()) not in flat]


def _from_base(obj, name: str, lines: dict, key: tuple, note: str, above=_no_comments) -> Table:
    t = Table(name, array=isinstance(key[-1], int), comment=_join(above(key), [note] if note else []))
    for f in _set_fields(obj, lines, key, ALWAYS.get(name, ())):
        t.add(f, getattr(obj, f)).comment = above(key + (f,))
    return t


def _merge_single(t: Table, obj, lines: dict, src: str, root, above=_no_comments) -> Table:
    """Base values win; an entry the device shows otherwise keeps what it saw as a comment."""
    mine = {e.key: e for e in t.entries}
    out: List[Entry] = []
    for f in _set_fields(obj, lines, (t.name,)):
        v = getattr(obj, f)
        seen = mine.pop(f, None)
        comment: List[str] = []
        if (f.endswith("_source") or f == "command") and isinstance(v, str) and \
                v.startswith("/") and not root.exists(v) and \
                (root.live or not v.startswith(("/proc/", "/sys/"))):  # no kernel views offline
            comment.append(f"differs: {v} is not on the device")
        if seen is not None and seen.value != v:
            shown = [c for c in seen.comment if c.startswith("seen:")]
            if shown or any(seen.item_comments):  # only what the device really showed
                comment += [f"differs: {src} declares this; the device suggests "
                            f"{value(seen.value)}"] + shown
        out.append(Entry(f, v, _join(above((t.name, f)), comment)))
    for e in mine.values():  # what the base does not set: the draft's
        e.comment = [f"new: not in {src}"] + e.comment
        out.append(e)
    if not mine:  # nothing of the draft's own left: its notes on the table are moot
        t.comment = []
    t.comment = _join(above((t.name,)), t.comment)
    t.entries = out
    return t


def _listener_matches(decl, lst) -> bool:
    from ..criteria.s1_1_13 import _matches  # the one rule S1.1-13 judges by

    return _matches(decl, lst)


def _same_login(declared, drafted: dict) -> bool:
    """A drafted login the declaration already has: same name, same store, or same way in."""
    return (declared.name == drafted["name"] or
            bool(declared.store) and declared.store == drafted.get("store") or
            (declared.protocol, declared.port) == (drafted["protocol"], drafted["port"]))


def _where(root) -> str:
    """The image a draft comes from: ``--root``'s folder, or ``--image``'s file and digest."""
    image = getattr(root, "image", None)
    return f"{image.path} (sha256 {image.sha256})" if image is not None else root.path


def draft(root, base: Optional[BoardConfig] = None, prepare=None) -> str:
    """``prepare(ctx)`` runs first (``--boot``: boot the image so its listeners are observed)."""
    from ..criteria import Context, Options
    from ..facts import accounts, credstores, listeners

    ctx = Context(root, BoardConfig(), Options())  # the device's own view: nothing declared
    if prepare is not None:
        prepare(ctx)
    product, firmware = identity.product(root), identity.firmware(root)
    update, ifaces, erase = sections.update(ctx), sections.interfaces(ctx), sections.erase(ctx)
    seen = ctx.fact(listeners.read)
    header = [f"Draft declaration written by 'jcstar-agent declare' from "
              f"{'the running system' if root.live else 'the image at ' + _where(root)} "
              f"(listeners: {seen.origin or 'none seen'}).",
              "Replace every \"<FILL-IN: …>\": the loader refuses the file until none is left. "
              "Then: jcstar-agent check --config THIS_FILE",
              "Comments say where each value was seen. Nothing secret is written here: account "
              "names only."]
    header += [f"listener information incomplete: {e}" for e in seen.errors]
    if base is None:
        logins = surface.login_tables(ctx)
        tables = [product, firmware, update] + surface.listener_tables(ctx) + \
            logins + [ifaces, erase] + sections.documents(ctx)
        na = sections.not_applicable(ctx, logins=bool(logins))
        return render(header, tables + ([na] if na.entries else []))

    src = base.path or "the base config"
    lines = base.lines
    above = base_comments(base)
    header.append(f"Values of {src} win; 'new:' marks what it does not declare, 'differs:' "
                  f"where the device suggests otherwise.")
    tables = [_merge_single(t, getattr(base, t.name), lines, src, root, above)
              for t in (product, firmware, update)]
    for i, d in enumerate(base.listeners):
        hit = any(_listener_matches(d, x) for x in seen.items)
        tables.append(_from_base(d, "listeners", lines, ("listeners", i),
                                 "" if hit else f"declared; not seen on the device "
                                                f"({seen.origin or 'no listener information'})", above))
    for lst in seen.items:
        if not any(_listener_matches(d, lst) for d in base.listeners):
            t = surface.listener_table(ctx, lst)
            t.comment.insert(0, f"new: not in {src}")
            tables.append(t)
    drafted = [(t, {e.key: e.value for e in t.entries}) for t in surface.login_tables(ctx)]
    for i, lg in enumerate(base.logins):
        t = _from_base(lg, "logins", lines, ("logins", i), "", above)
        same = next((v for _t, v in drafted if _same_login(lg, v)), None)
        extra = sorted(set(same["accounts"]) - set(lg.accounts)) if same else []
        if extra:
            t.comment.append(f"differs: the device shows account(s) {', '.join(extra)} on this "
                             f"login too")
        tables.append(t)
    for t, vals in drafted:
        if not any(_same_login(lg, vals) for lg in base.logins):
            t.comment.insert(0, f"new: not in {src}")
            tables.append(t)
    tables.append(_merge_single(ifaces, base.interfaces, lines, src, root, above))
    tables.append(_merge_single(erase, base.erase, lines, src, root, above))
    for i, d in enumerate(base.documents):
        tables.append(_from_base(d, "documents", lines, ("documents", i), "", above))
    covered = {d.criterion for d in base.documents}
    for t in sections.documents(ctx):
        if t.entries[0].value not in covered:
            t.comment.insert(0, f"new: not in {src}")
            tables.append(t)
    na = Table("not_applicable", comment=above(("not_applicable",)))
    for cid, reason in base.not_applicable.items():
        na.add(cid, reason).comment = above(("not_applicable", cid))
    for e in sections.not_applicable(ctx, logins=bool(drafted or base.logins)).entries:
        if e.key not in base.not_applicable:
            e.comment = [f"new: not in {src}"] + e.comment
            na.entries.append(e)
    if na.entries:
        tables.append(na)
    for name in ("passwords", "secrets", "agent"):
        obj = getattr(base, name)
        if _set_fields(obj, lines, (name,)):
            tables.append(_from_base(obj, name, lines, (name,), "", above))
    return render(header, tables)
