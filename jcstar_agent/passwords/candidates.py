"""Candidate passwords, each with a label saying where it came from (never the value).

Order: the vendor's own list, the account name, the device's public data (ETSI TS 103 701:
hostname, model, serial, MAC addresses, with the usual transforms), then the bundled list of
well-known defaults (``default-passwords.txt``, sources in its header).
"""
from __future__ import annotations

import os
import re
from typing import Dict, Iterable, List, Optional, Tuple

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


def load_file(path: str, limit: int = 100000) -> Tuple[List[str], Optional[str]]:
    """A vendor dictionary file (one a line) on the build host; (words, error)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(16 << 20)
    except OSError as exc:
        return [], f"{path}: {exc.strerror}"
    words = [w for w in data.decode("utf-8", "replace").splitlines() if w and not w.startswith("#")]
    return words[:limit], None


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


def build(account: str, device: Dict[str, List[str]], vendor: Iterable[str] = (),
          include_bundled: bool = True) -> List[Candidate]:
    """Ordered, de-duplicated candidates for one account."""
    seen = set()
    out: List[Candidate] = []

    def add(pw: str, label: str):
        if pw and pw not in seen:
            seen.add(pw)
            out.append((pw, label))

    for w in vendor:
        add(w, "vendor dictionary")
    if account:
        for w in word_variants(account) + [account * 2, account[::-1]]:
            add(w, "derived from the account name")
    for key in ("hostname", "model", "serial"):
        for value in device.get(key, []):
            for w in word_variants(value):
                add(w, f"derived from the {key}")
            if key == "serial" and len(value) > 6:
                add(value[-6:], "derived from the serial (last 6 characters)")
                add(value[-8:], "derived from the serial (last 8 characters)")
    for mac in device.get("mac", []):
        for w, what in mac_variants(mac):
            add(w, f"derived from a MAC address ({what})")
    if include_bundled:
        for w in bundled():
            add(w, BUNDLED_LABEL)
    return out
