"""Declared document references: does each file exist and match its pinned SHA-256?

A relative ``file`` is relative to the board config's folder (the vendor's repo); an absolute
one is a device path, read inside the target root. A ``url`` is fetched only with ``--online``
(bounded in size, and in time by a total deadline: a server that drips its answer is cut, not
waited on) and digested; offline it is carried into the evidence as declared.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import List, Optional

from ..config.schema import Document
from .. import digest

MAX_DOCUMENT = 64 << 20
URL_TIMEOUT = 15


@dataclass
class DocumentCheck:
    doc: Document
    index: int  # position in [[documents]]
    problems: List[str] = field(default_factory=list)
    file_sha256: Optional[str] = None
    url_sha256: Optional[str] = None
    url_status: Optional[str] = None  # "fetched", "not fetched (offline)", or the error

    @property
    def ok(self) -> bool:
        return not self.problems

    def evidence(self) -> dict:
        e = {"document": self.index, "criterion": self.doc.criterion}
        for k in ("title", "url", "file", "sha256"):
            if getattr(self.doc, k):
                e[k] = getattr(self.doc, k)
        if self.doc.items:
            e["items"] = list(self.doc.items)
        if self.url_status:
            e["url_status"] = self.url_status
        return e


def _digest_file(ctx, name: str):
    """(sha256 or None, problem or None)."""
    if os.path.isabs(name):
        r = ctx.root.read(name, MAX_DOCUMENT)
        if not r.ok:
            return None, f"document file {name} (device path): {r.error}"
        if r.truncated:
            return None, f"document file {name} is larger than {MAX_DOCUMENT >> 20} MiB"
        return digest.sha256(r.data).hexdigest(), None
    base = os.path.dirname(ctx.config.path) if ctx.config.path else os.getcwd()
    host = os.path.normpath(os.path.join(base, name))
    from ..infile import NotReadable, read_bytes

    try:  # a FIFO is not waited on, a device (../../dev/zero) not read without end
        return digest.sha256(read_bytes(host, MAX_DOCUMENT)).hexdigest(), None
    except NotReadable as exc:
        return None, f"document file {host}: {exc}"


def _fetch(url: str):
    """(sha256 or None, status). ``URL_TIMEOUT`` bounds the whole fetch, not each read."""
    import urllib.request

    from ..deadline import Deadline, urlopen

    if not url.startswith(("https://", "http://")):
        return None, "not fetched: only http(s) URLs are fetched"
    deadline = Deadline(URL_TIMEOUT)
    try:
        req = urllib.request.Request(url, headers={"User-Agent": "jcstar-agent"})
        with deadline, urlopen(req, deadline) as resp:  # http(s) only, checked above
            h, total = digest.sha256(), 0
            while True:
                chunk = resp.read(1 << 16)
                if not chunk:
                    break
                total += len(chunk)
                if total > MAX_DOCUMENT:
                    return None, f"larger than {MAX_DOCUMENT >> 20} MiB"
                h.update(chunk)
            if deadline.expired:  # cut: what was read is not the document
                return None, f"unreachable: not complete within {URL_TIMEOUT} s"
        return h.hexdigest(), "fetched"
    except Exception as exc:  # network errors come in many types; all mean "not reachable"
        if deadline.passed:
            return None, f"unreachable: not complete within {URL_TIMEOUT} s"
        return None, f"unreachable: {type(exc).__name__}: {exc}"[:200]


def check(ctx, doc: Document, index: int) -> DocumentCheck:
    dc = DocumentCheck(doc, index)
    want = doc.sha256.lower() if doc.sha256 else None
    if doc.file:
        dc.file_sha256, problem = _digest_file(ctx, doc.file)
        if problem:
            dc.problems.append(problem)
        elif want and dc.file_sha256 != want:
            dc.problems.append(f"document file {doc.file} does not match its declared sha256 "
                               f"(found {dc.file_sha256[:16]}…)")
    if doc.url:
        if ctx.options.online:
            dc.url_sha256, dc.url_status = _fetch(doc.url)
            if dc.url_sha256 is None:
                dc.problems.append(f"document URL {doc.url} {dc.url_status}")
            elif want and not doc.file and dc.url_sha256 != want:
                dc.problems.append(f"document URL {doc.url} content does not match its declared "
                                   f"sha256 (found {dc.url_sha256[:16]}…)")
        else:
            dc.url_status = "not fetched (run with --online to check it is reachable)"
    return dc


def read(ctx) -> List[DocumentCheck]:
    return [check(ctx, d, i) for i, d in enumerate(ctx.config.documents)]
