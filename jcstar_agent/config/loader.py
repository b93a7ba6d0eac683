"""Load and strictly validate a board config (TOML).

Every problem is a :class:`RunError` naming ``file:line`` with a hint: unknown keys (with the
closest known key), wrong types, values outside their choices, and the few rules that tie keys
together (a constrained product needs its reason, an NA needs a criterion that allows NA ...).
"""
from __future__ import annotations

import dataclasses
import difflib
import os
import re
import sys
from typing import Any, Dict, List, Tuple, Union, get_type_hints

from ..errors import RunError
from .schema import CRITERIA_WITH_NA, BoardConfig, Document
from .. import digest

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+))*)\s*=""")
_ITEMS = {"S1.1-05": ("1", "2", "3"), "S1.1-16": ("1", "2", "3", "4", "5"),
          "S1.1-12": ("1", "2")}  # S1.1-12: ① the device encrypts, ② VPN/leased line only


def _split_key(text: str) -> Tuple[str, ...]:
    return tuple(p.strip().strip("\"'") for p in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', text))


def locate_lines(text: str) -> Dict[tuple, int]:
    """Map key paths (('listeners', 0, 'port') ...) to 1-based line numbers, best effort."""
    lines: Dict[tuple, int] = {}
    current: tuple = ()
    arrays: Dict[tuple, int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        m = _HEADER.match(line)
        if m:
            name = _split_key(m.group(2))
            if m.group(1) == "[[":
                arrays[name] = arrays.get(name, -1) + 1
                current = name + (arrays[name],)
            else:
                current = name
            lines.setdefault(current, n)
            continue
        m = _KEY.match(line)
        if m:
            lines.setdefault(current + _split_key(m.group(1)), n)
    return lines


def _toml():
    if sys.version_info >= (3, 11):
        import tomllib
        return tomllib
    try:
        import tomli
    except ImportError:  # pragma: no cover - a packaging problem, still one clear line
        raise RunError("reading a board config needs 'tomli' on Python < 3.11 (pip install tomli)")
    return tomli


class _Validator:
    def __init__(self, path: str, lines: Dict[tuple, int]):
        self.path = path
        self.lines = lines

    def fail(self, key: tuple, message: str, hint: str = None):
        line = None
        for n in range(len(key), -1, -1):
            if key[:n] in self.lines:
                line = self.lines[key[:n]]
                break
        raise RunError(message, self.path, line or 1, hint)

    def build(self, cls, data: Any, key: tuple):
        if not isinstance(data, dict):
            self.fail(key, f"'{_dotted(key)}' must be a table", f"write [{_dotted(key)}]")
        hints = get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
        values = {}
        for name, value in data.items():
            if name not in fields:
                close = difflib.get_close_matches(name, list(fields), n=1)
                hint = f"did you mean '{close[0]}'?" if close else "known keys: " + ", ".join(fields)
                where = f" in [{_dotted(key)}]" if key else ""
                self.fail(key + (name,), f"unknown key '{name}'{where}", hint)
            f = fields[name]
            values[name] = self.value(hints[name], value, key + (name,), f.metadata)
        return cls(**values)

    def value(self, tp, value: Any, key: tuple, meta: dict):
        origin = getattr(tp, "__origin__", None)
        args = getattr(tp, "__args__", ())
        if dataclasses.is_dataclass(tp):
            return self.build(tp, value, key)
        if origin in (list, List):
            if not isinstance(value, list):
                self.fail(key, f"'{_dotted(key)}' must be an array", _example(args[0]))
            return [self.value(args[0], v, key + (i,) if dataclasses.is_dataclass(args[0]) else key, meta)
                    for i, v in enumerate(value)]
        if origin in (dict, Dict):
            if not isinstance(value, dict):
                self.fail(key, f"'{_dotted(key)}' must be a table")
            return {k: self.value(args[1], v, key + (k,), meta) for k, v in value.items()}
        if origin is Union:  # Optional[X]
            return None if value is None else self.value(args[0], value, key, meta)
        ok = (isinstance(value, bool) if tp is bool else
              isinstance(value, (int, float)) and not isinstance(value, bool) if tp is float else
              isinstance(value, int) and not isinstance(value, bool) if tp is int else
              isinstance(value, tp))
        if not ok:
            self.fail(key, f"'{_dotted(key)}' must be {_TYPE_NAMES.get(tp, tp.__name__)}, "
                           f"not {type(value).__name__} {value!r}"[:200], _example(tp))
        choices = meta.get("choices")
        if choices and value not in choices:
            shown = ", ".join(repr(c) for c in choices if c != "")
            self.fail(key, f"'{_dotted(key)}' = {value!r} is not one of {shown}")
        return float(value) if tp is float else value


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


def _example(tp) -> str:
    return {str: 'write it in quotes: key = "value"', int: "write a plain number: key = 22",
            float: "write a number: key = 30", bool: "write key = true or key = false"}.get(tp, "")


def _dotted(key: tuple) -> str:
    return ".".join(str(k) if not isinstance(k, int) else f"[{k}]" for k in key).replace(".[", "[")


MAX_BUDGET = 86400.0  # seconds: a day of guessing is more than any build or factory line gives


def budget_problem(value: float) -> str:
    """Why a password-test budget is refused ('' when fine): it must be a finite number of
    seconds from 0 to a day (inf, nan, 1e308 and negatives are not budgets)."""
    import math

    if not math.isfinite(value) or not 0 <= value <= MAX_BUDGET:
        return f"must be a number of seconds from 0 to {MAX_BUDGET:g}, not {value!r}"
    return ""


def _check_rules(cfg: BoardConfig, v: _Validator) -> None:
    p = cfg.product
    if p.constrained and not p.constrained_reason.strip():
        v.fail(("product", "constrained"), "a constrained product needs product.constrained_reason",
               "say why it is constrained (battery-only, no input for credentials ...)")
    if not cfg.update.network and not cfg.update.description.strip():
        v.fail(("update", "network"), "update.network = false needs update.description",
               "describe how updates reach the device (S1.1-08 NA reason)")
    for crit, reason in cfg.not_applicable.items():
        if not re.fullmatch(r"S1\.1-(0[1-9]|1[0-6])", crit):
            v.fail(("not_applicable", crit), f"unknown criterion '{crit}' in [not_applicable]",
                   "criterion ids are S1.1-01 … S1.1-16")
        if crit not in CRITERIA_WITH_NA:
            v.fail(("not_applicable", crit), f"{crit} cannot be declared not applicable",
                   "the original allows NA only for " + ", ".join(CRITERIA_WITH_NA))
        if not reason.strip():
            v.fail(("not_applicable", crit), f"the NA reason for {crit} is empty",
                   "the checklist requires a written reason")
    digest = cfg.firmware.image_digest
    if digest:
        m = re.fullmatch(r"(sha256|sha384|sha512):([0-9a-fA-F]+)", digest.strip())
        if not m or len(m.group(2)) != {"sha256": 64, "sha384": 96, "sha512": 128}[m.group(1)]:
            v.fail(("firmware", "image_digest"), f"firmware.image_digest {digest!r} is not "
                   "'sha256:<64 hex digits>' (or sha384/sha512)", "sha256sum of the image file")
    for key, value in ((("update", "command"), cfg.update.command), (("erase", "command"), cfg.erase.command),
                       (("firmware", "version_source"), cfg.firmware.version_source),
                       (("product", "model_source"), cfg.product.model_source),
                       (("product", "serial_source"), cfg.product.serial_source),
                       (("agent", "state_dir"), cfg.agent.state_dir)):
        if value and not value.startswith("/"):
            v.fail(key, f"{'.'.join(key)} = {value!r} must be an absolute device path",
                   f"write \"/{value.lstrip('./')}\"")
    why = budget_problem(cfg.passwords.budget_seconds)
    if why:
        v.fail(("passwords", "budget_seconds"), f"passwords.budget_seconds: {why}",
               "e.g. budget_seconds = 60")
    for name in ("max_files", "max_file_size"):  # a walk that reads nothing checks nothing
        value = getattr(cfg.secrets, name)
        if value < 1:
            v.fail(("secrets", name), f"secrets.{name} must be at least 1, not {value}",
                   "leave it out for the default")
    for i, path in enumerate(cfg.secrets.paths):
        if not path.startswith("/"):
            v.fail(("secrets", "paths"), f"secrets.paths[{i}] = {path!r} must be an absolute device path")
    for i, lst in enumerate(cfg.listeners):
        if not 1 <= lst.port <= 65535:
            v.fail(("listeners", i, "port"), f"listeners[{i}].port must be 1-65535, not {lst.port}")
    for i, login in enumerate(cfg.logins):
        if not login.name:
            v.fail(("logins", i), f"logins[{i}] needs a name")
        if login.port and not 1 <= login.port <= 65535:
            v.fail(("logins", i, "port"), f"logins[{i}].port must be 1-65535, not {login.port}")
    for i, d in enumerate(cfg.documents):
        _check_document(d, i, v)


def _check_document(d: Document, i: int, v: _Validator) -> None:
    key = ("documents", i)
    if not d.criterion:
        v.fail(key, f"documents[{i}] needs a criterion", 'e.g. criterion = "S1.1-05"')
    if not d.url and not d.file:
        v.fail(key, f"documents[{i}] needs a url or a file")
    if d.sha256 and not re.fullmatch(r"[0-9a-fA-F]{64}", d.sha256):
        v.fail(key + ("sha256",), f"documents[{i}].sha256 is not 64 hex digits")
    if d.file and not d.sha256:
        v.fail(key + ("file",), f"documents[{i}] names a file without its sha256",
               "add sha256 = \"<sha256sum of the file>\" so the evidence is pinned")
    allowed = _ITEMS.get(d.criterion)
    for item in d.items:
        if not allowed or item not in allowed:
            v.fail(key + ("items",), f"documents[{i}].items: {d.criterion} has no item {item!r}",
                   "items: " + (", ".join(allowed) if allowed else "none for this criterion"))


def _refuse_placeholders(data: Dict[str, Any], lines: Dict[tuple, int], path: str) -> None:
    """A draft from ``declare`` still holding "<FILL-IN: …>" is refused, naming each one's line."""
    from .placeholder import find

    found = find(data)
    if not found:
        return

    def line(key: tuple) -> int:
        return next((lines[key[:n]] for n in range(len(key), -1, -1) if key[:n] in lines), 1)

    (key, text), rest = found[0], found[1:]
    also = "; ".join(f"line {line(k)} {_dotted(k)}" for k, _ in rest)
    raise RunError(f"{_dotted(key)} is a placeholder to fill in: {text[:160]}"
                   + (f"; {len(rest)} more to fill in: {also}" if rest else ""),
                   path, line(key), "replace each \"<FILL-IN: …>\" with the product's answer")


MAX_CONFIG = 1 << 20  # bytes; a board config is a few KB. Larger is refused, never cut
MAX_NESTING = 64  # arrays / inline tables inside each other; the TOML parser recurses per level
_TOML_SKIP = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*')
_TOML_BRACKET = re.compile(r"[\[\]{}]")


def _read(path: str) -> bytes:
    """The whole file, or RunError: not a regular file (a FIFO or device would hang or never
    end: refused before any read), unreadable, or larger than MAX_CONFIG."""
    import stat

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # before open: opening a device is an act
            raise RunError("board config is not a regular file (a FIFO, device or folder)", path)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) |
                     getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise RunError(f"cannot read board config: {exc.strerror or exc}", path) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise RunError("board config is not a regular file (a FIFO, device or folder)", path)
        if st.st_size > MAX_CONFIG:
            raise RunError(f"board config is {st.st_size} bytes, more than the {MAX_CONFIG} byte limit",
                           path, hint="a board config is a few KB; nothing in it is cut")
        chunks, size = [], 0
        while size <= MAX_CONFIG:
            chunk = os.read(fd, MAX_CONFIG + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise RunError(f"cannot read board config: {exc.strerror or exc}", path) from None
    finally:
        os.close(fd)
    if size > MAX_CONFIG:  # it grew while we read it
        raise RunError(f"board config is more than the {MAX_CONFIG} byte limit", path)
    return b"".join(chunks)


def _check_nesting(text: str, path: str) -> None:
    """Refuse arrays/inline tables nested deeper than MAX_NESTING, naming the line, before the
    (recursive) TOML parser sees them. Strings and comments are skipped; table headers close
    on their own line, so they never add up."""
    bare = _TOML_SKIP.sub(lambda m: "\n" * m.group().count("\n"), text)
    depth = 0
    for m in _TOML_BRACKET.finditer(bare):
        depth = depth + 1 if m.group() in "[{" else max(0, depth - 1)
        if depth > MAX_NESTING:
            raise RunError(f"board config is nested more than {MAX_NESTING} levels deep", path,
                           bare.count("\n", 0, m.start()) + 1)


def load(path: str) -> BoardConfig:
    """Read, parse and validate a board config; raises RunError naming file and line."""
    raw = _read(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise RunError("board config is not UTF-8 text", path, line)
    _check_nesting(text, path)
    toml = _toml()
    try:
        data = toml.loads(text)
    except RecursionError:  # a backstop: _check_nesting refuses such files first
        raise RunError(f"board config is nested too deeply (more than {MAX_NESTING} levels)", path, 1) from None
    except toml.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        line = int(m.group(1)) if m else None
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        raise RunError(f"invalid TOML: {msg}", path, line, "check quotes, brackets and '=' signs")
    lines = locate_lines(text)
    _refuse_placeholders(data, lines, path)
    v = _Validator(path, lines)
    cfg = v.build(BoardConfig, data, ())
    _check_rules(cfg, v)
    cfg.path = os.path.abspath(path)
    cfg.sha256 = digest.sha256(raw).hexdigest()
    cfg.lines = lines
    return cfg


def board_dirs() -> list:
    """Folders holding ``NAME.toml`` board configs, searched in this order: the package's own
    (wheel, pipx, venv), the source tree's ``board_configs/`` (a checkout), and
    ``/usr/share/jcstar-agent/board_configs`` (the Debian package puts its data there)."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return [os.path.join(here, "board_configs"), os.path.join(os.path.dirname(here), "board_configs"),
            "/usr/share/jcstar-agent/board_configs"]


def board_path(name: str) -> str:
    """Path of ``NAME.toml`` in the first of :func:`board_dirs` that has it."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise RunError(f"invalid board name {name!r}", hint="names are like raspberrypi-4")
    for base in board_dirs():
        candidate = os.path.join(base, name + ".toml")
        if os.path.isfile(candidate):
            return candidate
    known = sorted({f[:-5] for base in board_dirs()
                    if os.path.isdir(base) for f in os.listdir(base) if f.endswith(".toml")})
    raise RunError(f"unknown board {name!r}", hint="known boards: " + (", ".join(known) or "none"))
