"""Offline known-vulnerability matching: OSV-format records against the installed packages.

The database is the vendor's (``--vulndb FILE``): a JSON array of OSV records, an object with a
``vulns`` array, one record, JSON lines, or a ``.zip`` of record files (as osv.dev exports them
per ecosystem). Records are streamed and only those naming an installed package are kept.

Versions are compared by each ecosystem's own rules: Debian/Ubuntu and opkg by dpkg's
algorithm (epoch, upstream, revision; ``~`` sorts before everything, letters before other
symbols), Alpine by apk-tools' rules (``_alpha`` < ``_beta`` < ``_pre`` < ``_rc`` < release <
``_p``; ``-rN``), PyPI by PEP 440, ``SEMVER`` ranges by semver 2.0. Debian and Alpine records
name *source* packages; binary packages match through their source name and version.
Withdrawn records are skipped. Evaluation follows the OSV schema: a version is affected when it
is listed in ``versions``, or when, walking a range's events in version order, the last
``introduced`` at or below it is not followed by a ``fixed`` at or below it (or a
``last_affected`` below it).
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterator, List, Optional, Tuple


class VulnDbError(Exception):
    pass


# --- version orderings ---------------------------------------------------------------------
def _dpkg_order(c: str) -> int:
    if c.isdigit():
        return 0
    if c.isalpha():
        return ord(c)
    if c == "~":
        return -1
    return ord(c) + 256


def _debian_split(v: str) -> Tuple[int, str, str]:
    v = v.strip()
    epoch = 0
    if ":" in v:
        e, v = v.split(":", 1)
        epoch = int(e) if e.isdigit() else 0
    upstream, _, revision = v.rpartition("-") if "-" in v else (v, "", "")
    return epoch, upstream, revision


@functools.lru_cache(maxsize=65536)
def _dpkg_key(part: str) -> Tuple:
    """Alternating (non-digit run as a tuple of dpkg orders + end mark, digit run as int)."""
    key: List = []
    for nondigit, digit in re.findall(r"(\D*)(\d*)", part):
        if not nondigit and not digit:
            continue
        key.append(tuple(_dpkg_order(c) for c in nondigit) + (0,))
        key.append(int(digit) if digit else 0)
    return tuple(key)


def _keycmp(ka: Tuple, kb: Tuple) -> int:
    n = max(len(ka), len(kb))
    pad = ((0,), 0) * ((n - min(len(ka), len(kb))) // 2 + 1)
    ka, kb = (ka + pad)[:n + (n % 2)], (kb + pad)[:n + (n % 2)]
    return (ka > kb) - (ka < kb)


@functools.lru_cache(maxsize=65536)
def _debian_key(v: str) -> Tuple[int, Tuple, Tuple]:
    epoch, upstream, revision = _debian_split(v)
    return epoch, _dpkg_key(upstream), _dpkg_key(revision)


def debian_compare(a: str, b: str) -> int:
    """dpkg --compare-versions ordering: <0, 0, >0."""
    ea, ua, ra = _debian_key(a)
    eb, ub, rb = _debian_key(b)
    if ea != eb:
        return -1 if ea < eb else 1
    return _keycmp(ua, ub) or _keycmp(ra, rb)


_APK_SUFFIX = {"alpha": -4, "beta": -3, "pre": -2, "rc": -1, "cvs": 1, "svn": 2, "git": 3,
               "hg": 4, "p": 5}


def _apk_key(v: str):
    v = v.strip()
    rev = 0
    m = re.search(r"-r(\d+)$", v)
    if m:
        rev, v = int(m.group(1)), v[:m.start()]
    m = re.match(r"^([0-9]+(?:\.[0-9]+)*)([a-z]?)((?:_[a-z]+[0-9]*)*)(?:~([0-9a-f]+))?$", v)
    if not m:
        return ((10 ** 9,), 0, (), rev, v)  # unparsable: sorts after, compared as text last
    nums = tuple(int(x) for x in m.group(1).split("."))
    letter = ord(m.group(2)) if m.group(2) else 0
    suffixes = []
    for s in re.findall(r"_([a-z]+)([0-9]*)", m.group(3) or ""):
        suffixes.append((_APK_SUFFIX.get(s[0], 0), int(s[1] or 0)))
    suffixes.append((0, 0))  # release sorts between pre-release and post-release suffixes
    return (nums, letter, tuple(suffixes), rev, "")


def alpine_compare(a: str, b: str) -> int:
    ka, kb = _apk_key(a), _apk_key(b)
    # numeric components compare element-wise, a missing one sorts lower (1.2 < 1.2.1)
    return (ka > kb) - (ka < kb)


_PEP440 = re.compile(
    r"^\s*v?(?:(?P<epoch>\d+)!)?(?P<release>\d+(?:\.\d+)*)"
    r"(?:[-_.]?(?P<pre_l>a|alpha|b|beta|c|rc|pre|preview)[-_.]?(?P<pre_n>\d*))?"
    r"(?:-(?P<post_n1>\d+)|[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>\d*))?"
    r"(?:[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>\d*))?"
    r"(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$", re.I)


def _pep440_key(v: str):
    m = _PEP440.match(v)
    if not m:
        return (-1, (), (2, 0), (-1, 0), (1, 0), v)
    release = [int(x) for x in m.group("release").split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    pre_l = (m.group("pre_l") or "").lower()
    pre = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}.get(pre_l)
    post_n = m.group("post_n1") or m.group("post_n2")
    has_post = m.group("post_n1") is not None or m.group("post_l") is not None
    has_dev = m.group("dev_l") is not None
    if pre is None and not has_post and has_dev:
        pre_key = (-1, 0)  # 1.0.dev0 sorts before 1.0a0
    elif pre is None:
        pre_key = (3, 0)
    else:
        pre_key = (pre, int(m.group("pre_n") or 0))
    post_key = (int(post_n or 0),) if has_post else (-1,)
    dev_key = (int(m.group("dev_n") or 0),) if has_dev else (float("inf"),)
    return (int(m.group("epoch") or 0), tuple(release), pre_key, post_key, dev_key, "")


def pypi_compare(a: str, b: str) -> int:
    ka, kb = _pep440_key(a), _pep440_key(b)
    return (ka > kb) - (ka < kb)


def semver_compare(a: str, b: str) -> int:
    def key(v: str):
        v = v.strip().lstrip("v").split("+", 1)[0]
        core, _, pre = v.partition("-")
        nums = tuple(int(x) if x.isdigit() else 0 for x in (core.split(".") + ["0", "0"])[:3])
        if not pre:
            return (nums, 1, ())
        ids = tuple((0, int(x), "") if x.isdigit() else (1, 0, x) for x in pre.split("."))
        return (nums, 0, ids)
    ka, kb = key(a), key(b)
    return (ka > kb) - (ka < kb)


def generic_compare(a: str, b: str) -> int:
    def key(v: str):
        return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.findall(r"\d+|[A-Za-z]+", v)]
    ka, kb = key(a), key(b)
    return (ka > kb) - (ka < kb)


# our package manager -> (OSV ecosystem names, comparator)
ECOSYSTEMS: Dict[str, Tuple[Tuple[str, ...], Callable[[str, str], int]]] = {
    "dpkg": (("Debian", "Ubuntu"), debian_compare),
    "opkg": (("OpenWrt", "opkg", "Yocto"), debian_compare),
    "apk": (("Alpine",), alpine_compare),
    "python": (("PyPI",), pypi_compare),
}


# --- records -------------------------------------------------------------------------------
@dataclass
class Match:
    id: str
    aliases: List[str]
    package: str  # installed package name
    version: str  # installed version
    ecosystem: str  # the record's ecosystem
    record_package: str
    fixed: List[str] = field(default_factory=list)
    summary: str = ""
    severity: str = "high"
    related: List[str] = field(default_factory=list)  # Debian DSA/DLA records list CVEs here


def _records_from_json(data, origin: str) -> Iterator[dict]:
    if isinstance(data, list):
        for r in data:
            if isinstance(r, dict):
                yield r
    elif isinstance(data, dict):
        if isinstance(data.get("vulns"), list):
            yield from _records_from_json(data["vulns"], origin)
        elif "id" in data:
            yield data
        else:
            raise VulnDbError(f"{origin}: not an OSV record, list of records or {{\"vulns\": [...]}}")
    else:
        raise VulnDbError(f"{origin}: not an OSV record, list of records or {{\"vulns\": [...]}}")


MAX_MEMBER = 256 << 20  # one JSON file inside a database zip (OSV's records are kilobytes)


def _parse(blob: bytes, origin: str) -> Iterator[dict]:
    from .boundedjson import too_deep

    if too_deep(blob):  # json.loads recurses per level: 200 KB of "[" is a RecursionError
        raise VulnDbError(f"{origin}: not JSON within limits (nested more than 32 levels deep, "
                          "or brackets unbalanced)")
    text = blob.decode("utf-8", "replace")
    try:
        yield from _records_from_json(json.loads(text), origin)
        return
    except json.JSONDecodeError as exc:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) > 1:  # JSON lines
            for n, ln in enumerate(lines, 1):
                try:
                    yield from _records_from_json(json.loads(ln), f"{origin}:{n}")
                except json.JSONDecodeError as exc2:
                    raise VulnDbError(f"{origin}:{n}: not JSON: {exc2.msg}")
            return
        raise VulnDbError(f"{origin}:{exc.lineno}: not JSON: {exc.msg}")


def records(path: str) -> Iterator[dict]:
    """Every record of the database file (raises VulnDbError on a broken file)."""
    import zipfile

    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    if info.filename.endswith(".json") and not info.is_dir():
                        if info.file_size > MAX_MEMBER:  # a zip bomb is refused before inflating
                            raise VulnDbError(f"{path}!{info.filename}: larger than "
                                              f"{MAX_MEMBER >> 20} MiB uncompressed")
                        yield from _parse(zf.read(info), f"{path}!{info.filename}")
            return
        with open(path, "rb") as fh:
            blob = fh.read()
    except (OSError, zipfile.BadZipFile) as exc:
        raise VulnDbError(f"{path}: {getattr(exc, 'strerror', None) or exc}")
    yield from _parse(blob, path)


# A database's own rating -> finding severity. Debian's "unimportant" (and Ubuntu's
# "negligible") mean "not a security problem in this distribution's build": info, not a failure.
_SEVERITY = {"low": "low", "moderate": "medium", "medium": "medium", "high": "high",
             "critical": "critical", "important": "high", "unimportant": "info",
             "negligible": "info", "not yet assigned": "high", "end-of-life": "high"}


def _severity(rec: dict, aff: Optional[dict] = None) -> str:
    """Severity from ``database_specific.severity`` or a Debian/Ubuntu ``urgency``/``priority``
    (record or affected entry); ``high`` when the database gives none."""
    holders = [rec.get("database_specific")]
    if isinstance(aff, dict):
        holders += [aff.get("database_specific"), aff.get("ecosystem_specific")]
    for holder in holders:
        if not isinstance(holder, dict):
            continue
        for key in ("severity", "urgency", "priority"):
            s = holder.get(key)
            if isinstance(s, str) and s.lower().rstrip("*") in _SEVERITY:
                return _SEVERITY[s.lower().rstrip("*")]
    return "high"


def _eco_matches(record_eco: str, names: Tuple[str, ...], distro: Dict[str, str]) -> bool:
    base, _, release = record_eco.partition(":")
    if base not in names:
        return False
    ids = {distro.get("ID", "").lower()} | set(distro.get("ID_LIKE", "").lower().split())
    if distro.get("ID") and base in ("Debian", "Ubuntu") and \
            (base == "Ubuntu") != (distro.get("ID", "").lower() == "ubuntu" or "ubuntu" in ids):
        return False  # Debian records for Debian (and derivatives), Ubuntu's for Ubuntu
    if not release:
        return True
    ours = distro.get("VERSION_ID", "")
    if base == "Alpine":
        return release.lstrip("v") == ".".join(ours.split(".")[:2])
    release = release.split(":")[0]
    return not ours or ours == release or ours.split(".")[0] == release


def affected(version: str, affected_entry: dict, cmp: Callable[[str, str], int]) -> bool:
    versions = _list(affected_entry.get("versions"))
    if any(isinstance(v, str) and cmp(version, v) == 0 for v in versions):
        return True
    for rng in _list(affected_entry.get("ranges")):
        if not isinstance(rng, dict) or rng.get("type") == "GIT":
            continue
        compare = semver_compare if rng.get("type") == "SEMVER" else cmp
        events = [e for e in _list(rng.get("events")) if isinstance(e, dict) and e]

        def ev_version(e):
            return next((str(v) for v in e.values()), "0")

        def order(e1, e2):
            v1, v2 = ev_version(e1), ev_version(e2)
            if v1 == "0" and "introduced" in e1:
                return -1
            if v2 == "0" and "introduced" in e2:
                return 1
            return compare(v1, v2)
        vulnerable = False
        for e in sorted(events, key=functools.cmp_to_key(order)):
            if "introduced" in e:
                if str(e["introduced"]) == "0" or compare(version, str(e["introduced"])) >= 0:
                    vulnerable = True
            elif "fixed" in e:
                if compare(version, str(e["fixed"])) >= 0:
                    vulnerable = False
            elif "last_affected" in e:
                if compare(version, str(e["last_affected"])) > 0:
                    vulnerable = False
            elif "limit" in e:
                if compare(version, str(e["limit"])) >= 0:
                    vulnerable = False
        if vulnerable:
            return True
    return False


def match(packages, path: str) -> Tuple[List[Match], int]:
    """(matches, records read) of the installed packages against the database at ``path``."""
    index: Dict[Tuple[str, str], list] = {}
    for p in packages.items:
        for name, ver in ((p.name, p.version), (p.source, p.source_version or p.version)):
            key = (p.ecosystem, _norm(p.ecosystem, name))
            if name and (p, ver) not in index.get(key, []):
                index.setdefault(key, []).append((p, ver))
    out: List[Match] = []
    seen = set()
    count = 0
    for rec in records(path):
        count += 1
        if rec.get("withdrawn") or not isinstance(rec.get("affected"), list):
            continue
        for aff in rec["affected"]:
            pkg = aff.get("package") if isinstance(aff, dict) else None
            if not isinstance(pkg, dict):
                continue
            rec_eco, rec_name = str(pkg.get("ecosystem", "")), str(pkg.get("name", ""))
            for ours, (names, cmp) in ECOSYSTEMS.items():
                if not _eco_matches(rec_eco, names, packages.distro):
                    continue
                for p, ver in index.get((ours, _norm(ours, rec_name)), []):
                    key = (rec.get("id"), p.name, p.version)
                    if key in seen:
                        continue
                    try:
                        hit = affected(ver, aff, cmp)
                    except (TypeError, ValueError):
                        continue
                    if hit:
                        seen.add(key)
                        fixed = [str(e["fixed"]) for r in _list(aff.get("ranges")) if isinstance(r, dict)
                                 for e in _list(r.get("events")) if isinstance(e, dict) and "fixed" in e]
                        out.append(Match(str(rec.get("id", "?")), _strings(rec.get("aliases")),
                                         p.name, p.version, rec_eco, rec_name, fixed,
                                         str(rec.get("summary", ""))[:200], _severity(rec, aff),
                                         _strings(rec.get("related"))))
    return out, count


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _strings(value) -> List[str]:
    return [x for x in _list(value) if isinstance(x, str)][:20]


def _norm(ecosystem: str, name: str) -> str:
    if ecosystem == "python":
        return re.sub(r"[-_.]+", "-", name).lower()
    return name
