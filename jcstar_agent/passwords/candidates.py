"""Candidate passwords, each with a label saying where it came from (never the value).

Order: the vendor's own list, the account name, the device's public data (ETSI TS 103 701:
hostname, model, serial, MAC addresses, with the usual transforms), then the bundled list of
well-known defaults (``default-passwords.txt``, sources in its header).
"""
from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

Candidate = Tuple[str, str]  # (password, label)
BUNDLED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "default-passwords.txt")
BUNDLED_LABEL = "bundled default list"
COUNTERS = ("1", "12", "123", "1234", "01", "!", "2024", "2025", "2026")

_bundled_cache: List[str] = []


def bundled() -> List[str]:
    if not _bundled_cache:
        with open(BUNDLED, encoding="utf-8") as fh:
            _bundled_cache.extend(ln.rstrip("\n") for ln in fh
                                  if ln.strip() and not ln.startswith("#"))
    return list(_bundled_cache)


DICTIONARY_MAX = 16 << 20


def load_file(path: str, limit: int = 100000) -> Tuple[List[str], Optional[str]]:
    """A vendor dictionary file (one a line) on the build host; (words, error). A FIFO nobody
    writes to or a device is an error, not a wait; words past ``limit`` are said, not dropped."""
    from ..infile import NotReadable, read_bytes

    try:
        data = read_bytes(path, DICTIONARY_MAX)
    except NotReadable as exc:
        return [], f"{path}: {exc}"
    words = [w for w in data.decode("utf-8", "replace").splitlines() if w and not w.startswith("#")]
    if len(words) > limit:
        return words[:limit], f"{path}: {len(words)} words, only the first {limit} are tried"
    return words, None


def word_variants(word: str) -> List[str]:
    """A public word as people turn it into a password: case, no separators, counters."""
    word = word.strip()
    if not word:
        return []
    base = {word, word.lower(), word.upper(), word.capitalize()}
    for w in list(base):
        base.add(re.sub(r"[-_ .:]", "", w))
    out = sorted(base)
    for w in dict.fromkeys((word.lower(), word.capitalize(), re.sub(r"[-_ .:]", "", word.lower()),
                            re.sub(r"[-_ .:]", "", word.capitalize()))):
        out.extend(w + c for c in COUNTERS)
    return out


def mac_variants(mac: str) -> List[Tuple[str, str]]:
    """(password, which part) variants of one MAC address."""
    hexd = re.sub(r"[^0-9a-fA-F]", "", mac).lower()
    if len(hexd) != 12:
        return []
    out: List[Tuple[str, str]] = []
    for part, what in ((hexd, "all 12 hex digits"), (hexd[-8:], "last 8 hex digits"),
                       (hexd[-6:], "last 6 hex digits"), (hexd[-4:], "last 4 hex digits")):
        out += [(part, what), (part.upper(), what)]
    pairs = [hexd[i:i + 2] for i in range(0, 12, 2)]
    for sep in (":", "-", ""):
        out += [(sep.join(pairs), "with separators"), (sep.join(pairs).upper(), "with separators")]
    for prefix in ("admin", "Admin", "pass", "root"):
        out += [(prefix + hexd[-6:], "last 6 hex digits with a prefix"),
                (prefix + hexd[-4:], "last 4 hex digits with a prefix")]
    return out


def device_data(ctx) -> Dict[str, List[str]]:
    """The device's public data: hostname, model, serial, MACs (live interfaces + declared)."""
    from ..facts import identity

    ident = ctx.fact(identity.read)
    product = ctx.config.product
    data: Dict[str, List[str]] = {"hostname": [], "model": [], "serial": [], "mac": []}
    for key, vals in (("hostname", [ident.hostname, product.hostname]),
                      ("model", [ident.model, product.model]),
                      ("serial", [ident.serial])):
        for v in vals:
            if v and v not in data[key]:
                data[key].append(v)
    macs = list(product.mac_addresses)
    if ctx.live:
        from ..facts import netifs

        macs += ctx.fact(netifs.read).macs()
    for m in macs:
        if m and m not in data["mac"] and m.replace(":", "").strip("0"):
            data["mac"].append(m)
    return data


class Candidates(Sequence):
    """One account's ordered candidates without copying the shared lists into every account:
    ``before`` (the vendor's list) + ``mine`` (derived from the account name) + ``after`` (device
    data, bundled list) minus the ``after`` positions ``mine`` already holds. 10,000 accounts
    each holding its own ~300 tuples took ~190 MiB; shared, the lists exist once."""

    def __init__(self, before: List[Candidate], mine: List[Candidate], after: List[Candidate],
                 skip: List[int]):
        self._before, self._mine, self._after, self._skip = before, mine, after, skip

    def __len__(self) -> int:
        return len(self._before) + len(self._mine) + len(self._after) - len(self._skip)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        if i < len(self._before):
            return self._before[i]
        i -= len(self._before)
        if i < len(self._mine):
            return self._mine[i]
        t = i - len(self._mine)
        for s in self._skip:  # sorted: step over the positions ``mine`` already has
            if s <= t:
                t += 1
            else:
                break
        return self._after[t]

    def __iter__(self) -> Iterator[Candidate]:
        yield from self._before
        yield from self._mine
        skip = set(self._skip)
        for j, c in enumerate(self._after):
            if j not in skip:
                yield c


@dataclass
class Shared:
    """The lists every account of a run shares (see :class:`Candidates`)."""

    before: List[Candidate]
    after: List[Candidate]
    position: Dict[str, int]  # password -> index in ``after``


def shared(device: Dict[str, List[str]], vendor: Iterable[str] = (),
           include_bundled: bool = True) -> Shared:
    seen = set()
    before: List[Candidate] = []
    after: List[Candidate] = []

    def add(out: List[Candidate], pw: str, label: str):
        if pw and pw not in seen:
            seen.add(pw)
            out.append((pw, label))

    for w in vendor:
        add(before, w, "vendor dictionary")
    for key in ("hostname", "model", "serial"):
        for value in device.get(key, []):
            for w in word_variants(value):
                add(after, w, f"derived from the {key}")
            if key == "serial" and len(value) > 6:
                add(after, value[-6:], "derived from the serial (last 6 characters)")
                add(after, value[-8:], "derived from the serial (last 8 characters)")
    for mac in device.get("mac", []):
        for w, what in mac_variants(mac):
            add(after, w, f"derived from a MAC address ({what})")
    if include_bundled:
        for w in bundled():
            add(after, w, BUNDLED_LABEL)
    return Shared(before, after, {pw: j for j, (pw, _l) in enumerate(after)})


def build(account: str, device: Dict[str, List[str]], vendor: Iterable[str] = (),
          include_bundled: bool = True, common: Optional[Shared] = None) -> Candidates:
    """Ordered, de-duplicated candidates for one account: the vendor's list, the account name's
    derivations, the device's public data, the bundled list (``common``: the shared lists,
    built once per run by :func:`shared`)."""
    if common is None:
        common = shared(device, vendor, include_bundled)
    known = {pw for pw, _l in common.before}
    mine: List[Candidate] = []
    if account:
        for w in word_variants(account) + [account * 2, account[::-1]]:
            if w and w not in known:
                known.add(w)
                mine.append((w, "derived from the account name"))
    skip = sorted(common.position[pw] for pw, _l in mine if pw in common.position)
    return Candidates(common.before, mine, common.after, skip)
