#!/usr/bin/env python3
"""One-off: split the one-file README (issue 23: 1,970 lines) into a front page and docs/*.md.

    python3 tools/split_readme.py OLD_README.md     # writes README.md and docs/*.md of this tree

Takes the README as it was before the split (sections by heading, wording kept), moves each
reference section to its own page, promotes its headings, and rewrites the links between
sections into relative links between pages. Kept in the history so that a branch which still
edits the old README can be merged by running it again on that branch's README. Every textual
edit must match exactly once, or the script stops.
"""
from __future__ import annotations

import os
import re
import sys
from typing import Dict, List, Tuple

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE_MARKERS = ("attestation", "serial", "firmware-hooks", "evidence-store", "reports", "live-mode",
                "benchmarks")  # wrapped a whole section; the page is the wrapper now


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


class Doc:
    def __init__(self, text: str):
        self.lines = text.split("\n")
        self.heads: List[Tuple[int, int, str]] = []  # (line index, level, text)
        fence = False
        for i, ln in enumerate(self.lines):
            if ln.startswith("```"):
                fence = not fence
            elif not fence and re.match(r"#{1,6} ", ln):
                level = len(ln) - len(ln.lstrip("#"))
                self.heads.append((i, level, ln[level + 1:]))

    def _find(self, heading: str) -> Tuple[int, int]:
        found = [(i, lv) for i, lv, t in self.heads if t == heading]
        assert len(found) == 1, f"heading {heading!r}: {len(found)} matches"
        return found[0]

    def section(self, heading: str, stop_at_sub: bool = False) -> str:
        """The heading's line through the line before the next heading of its level or above
        (or of any level with stop_at_sub)."""
        start, level = self._find(heading)
        end = len(self.lines)
        for i, lv, _t in self.heads:
            if i > start and (lv <= level or stop_at_sub):
                end = i
                break
        return "\n".join(self.lines[start:end]).strip("\n") + "\n"


def promote(text: str, by: int) -> str:
    """Headings up by `by` levels (## -> #), outside code blocks."""
    out, fence = [], False
    for ln in text.split("\n"):
        if ln.startswith("```"):
            fence = not fence
        elif not fence and re.match(r"#{2,6} ", ln):
            ln = ln[by:]
        out.append(ln)
    return "\n".join(out)


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{text.count(old)} matches for {old[:60]!r}"
    return text.replace(old, new)


def cut(text: str, start: str, end_before: str) -> Tuple[str, str]:
    """(text without [start, end_before), the cut part); start and end_before occur once."""
    assert text.count(start) == 1 and text.count(end_before) == 1, (start[:40], end_before[:40])
    a = text.index(start)
    b = text.index(end_before)
    assert a < b
    return text[:a] + text[b:], text[a:b]


def main(argv: List[str]) -> int:
    src = open(argv[0], encoding="utf-8").read() if argv else open(os.path.join(PROJECT, "README.md"), encoding="utf-8").read()
    for name in PAGE_MARKERS:
        src = edit(src, f"<!-- BEGIN {name} -->\n", "")
        src = edit(src, f"<!-- END {name} -->\n", "")
    d = Doc(src)

    # ---- the reference pages: (file, text); headings promoted so the section is the page's H1
    pages: Dict[str, str] = {}

    # Command line: the verbs table, check's options, outputs and inputs, exit status.
    verbs = d.section("Verbs")
    exit_status = d.section("Exit status")
    pages["cli.md"] = "# Command line\n\n" + verbs + "\n" + exit_status

    # Drafting the declaration: what declare fills in (the quick start keeps the commands).
    vendors = d.section("Quick start for vendors: declare, edit, check")
    bullets = vendors[vendors.index("\n- **Filled in"):].lstrip("\n")
    front_vendors = vendors[:vendors.index("\n- **Filled in")].rstrip("\n") + "\n"
    pages["declare.md"] = (
        "# Drafting the declaration (`declare`)\n\n"
        "What `declare` ([Quick start for vendors](../README.md#quick-start-for-vendors-declare-edit-check))\n"
        "writes into the draft board config:\n\n" + bullets)

    # Verdicts: the five stay on the front page; how the criteria judge moves.
    verdicts = d.section("Verdicts")
    how = verdicts.index("How the criteria judge")
    front_verdicts = verdicts[:how].rstrip("\n") + "\n"

    boot = d.section("Booting an image in a sandbox (`--boot`)")
    i = boot.index("**Reproducible evidence.**")
    boot, reproducible = boot[:i].rstrip("\n") + "\n", boot[i:].rstrip("\n") + "\n"
    pages["verdicts.md"] = ("# Verdicts: how the criteria judge\n\n"
                            "The five verdicts are on the [front page](../README.md#verdicts).\n\n"
                            + verdicts[how:].rstrip("\n") + "\n\n" + reproducible)

    shipped = d.section("Board configs")
    pages["board-config.md"] = promote(d.section("Board config reference"), 1) + "\n" + promote(shipped, 1)
    pages["checks.md"] = promote(d.section("Check catalogue"), 1)
    pages["live-mode.md"] = promote(d.section("Live mode, active probes, state across reboots"), 1)
    pages["image.md"] = promote(d.section("Checking an image file (`--image`)"), 1)
    pages["boot.md"] = promote(boot, 1)

    attestation = d.section("Signed attestation (`attest`, `keygen`, `verify`)")
    keys = d.section("Keys that never leave a TPM 2.0 or a secure element")
    attestation = attestation[:attestation.index("### Keys that never leave")].rstrip("\n") + "\n"
    pages["attestation.md"] = promote(attestation, 1)
    pages["hardware-keys.md"] = promote(keys, 2)
    pages["serial.md"] = promote(d.section("Serial console"), 1)

    hooks = d.section("Firmware hooks")
    factory_manual = d.section("On the factory line")
    hooks = hooks[:hooks.index("### On the factory line")].rstrip("\n") + "\n"
    pages["firmware-hooks.md"] = promote(hooks, 1)

    store = d.section("Evidence store")
    store, factory_verb = cut(store, "**Factory line.**", "Check ids of the store, drift and factory output:")
    pages["evidence-store.md"] = promote(store, 1)
    pages["factory.md"] = (promote(factory_manual, 2).rstrip("\n") + "\n\n## The `factory` verb\n\n"
                           + factory_verb.rstrip("\n") + "\n")

    pages["reports.md"] = promote(d.section("Reports for people, pipelines and the IPA (HTML, SARIF, checklist)"), 1)
    pages["micropython.md"] = promote(d.section("MicroPython boards (ESP32, Pico W)"), 1)
    pages["design.md"] = promote(d.section("Design in one paragraph"), 1)
    dev = d.section("Development")
    dev = dev[:dev.index("### Benchmarks")].rstrip("\n") + "\n"
    pages["development.md"] = promote(dev, 1)
    pages["benchmarks.md"] = promote(d.section("Benchmarks"), 2)

    # ---- sentences that pointed above/below into what is now another page
    P = pages
    P["verdicts.md"] = edit(P["verdicts.md"], "(see S1.1-02 below)",
                            "(see S1.1-02 in the [Check catalogue](checks.md))")
    P["attestation.md"] = edit(P["attestation.md"], "Blocks marked runnable in this README are run as written",
                               "Blocks marked runnable in the README and these pages are run as written")
    P["attestation.md"] = edit(P["attestation.md"], "`--tpm-pcrs`: [below](#keys-that-never-leave-a-tpm-20-or-a-secure-element))",
                               "`--tpm-pcrs`: [Keys that never leave a TPM 2.0 or a secure element](#keys-that-never-leave-a-tpm-20-or-a-secure-element))")
    P["attestation.md"] = edit(P["attestation.md"], "the signing key's kind and provenance (below;",
                               "the signing key's kind and provenance ([Keys that never leave a TPM 2.0 or a secure element](#keys-that-never-leave-a-tpm-20-or-a-secure-element);")
    P["firmware-hooks.md"] = edit(P["firmware-hooks.md"], "(see the serial section)",
                                  "(see [Serial console](#serial-console))")
    P["factory.md"] = edit(P["factory.md"], "(over a serial console use `pull`, see above)",
                           "(over a serial console use `pull`, see [Serial console](#serial-console))")
    P["factory.md"] = edit(P["factory.md"], "use the `factory` and `store` verbs: see\n[Evidence store](#evidence-store).",
                           "use the `factory` and `store` verbs: see\n[The `factory` verb](#the-factory-verb) and [Evidence store](#evidence-store).")
    P["evidence-store.md"] = edit(P["evidence-store.md"], "| one unit on the line (below) |",
                                  "| one unit on the line ([The `factory` verb](#the-factory-verb)) |")
    # the verbs table names the page of each verb's options (some rows did already)
    for verb, link in (("attest", "[Signed attestation](#signed-attestation-attest-keygen-verify)"),
                       ("keygen", "[Signed attestation](#signed-attestation-attest-keygen-verify)"),
                       ("verify", "[Signed attestation](#signed-attestation-attest-keygen-verify)"),
                       ("serve", "[Serial console](#serial-console)"),
                       ("pull", "[Serial console](#serial-console)"),
                       ("drift", "[Evidence store](#evidence-store)"),
                       ("factory", "[The `factory` verb](#the-factory-verb)"),
                       ("checklist", "[Reports](#reports-for-people-pipelines-and-the-ipa-html-sarif-checklist)")):
        row = re.search(rf"^\| `{verb}` \|.*\|$", P["cli.md"], re.M).group(0)
        assert "](#" not in row, row
        P["cli.md"] = edit(P["cli.md"], row, row[:-2] + f" ({link}) |")
    P["benchmarks.md"] = edit(P["benchmarks.md"], "| the README's sequence within 96 KiB |",
                              "| the [MicroPython boards](#micropython-boards-esp32-pico-w) sequence within 96 KiB |")

    # ---- the front page
    intro = src[:src.index("\n## Quick start\n")].rstrip("\n") + "\n"
    quick = d.section("Quick start", stop_at_sub=True)
    front_vendors = edit(front_vendors, "The declaration (board config) need not be typed from the reference: `declare` drafts it from\n"
                         "what the device or image shows, and the loader refuses the draft until a person has answered\n"
                         "what only a person can.",
                         "The declaration (board config) need not be typed from [the reference](#board-config-reference):\n"
                         "`declare` drafts it from what the device or image shows, and the loader refuses the draft until\n"
                         "a person has answered what only a person can.")
    install = d.section("Install")
    toc = [("Command line", "cli.md", "the verbs, every option of `check`, output and input files, exit status"),
           ("Drafting the declaration", "declare.md", "what `declare` fills in, leaves to you, never writes"),
           ("Verdicts", "verdicts.md", "how the criteria judge; what a report carries besides the verdicts"),
           ("Board config reference", "board-config.md", "every key of the declaration; the shipped board configs"),
           ("Check catalogue", "checks.md", "every check id a finding carries, by criterion"),
           ("Live mode", "live-mode.md", "the running device, `--active` probes, state across reboots"),
           ("Checking an image file", "image.md", "`--image`: formats, containment, bounds, evidence"),
           ("Booting an image in a sandbox", "boot.md", "`--boot`: the image's own init, its real socket table"),
           ("Signed attestation", "attestation.md", "`attest`, `keygen`, `verify`: the DSSE envelope, claims, UEID, schemas, API"),
           ("Hardware keys", "hardware-keys.md", "attestation keys in a TPM 2.0 or behind PKCS#11"),
           ("Serial console", "serial.md", "`serve` and `pull`: attestation over a UART or USB serial line"),
           ("Firmware hooks", "firmware-hooks.md", "Yocto, Buildroot, the systemd units"),
           ("Factory line", "factory.md", "per-unit keys and the `factory` verb"),
           ("Evidence store", "evidence-store.md", "`store`, `drift`, export bundles, retention"),
           ("Reports", "reports.md", "HTML, SARIF, the IPA checklist, Japanese, the operator's terminal"),
           ("MicroPython boards", "micropython.md", "the micro-agent on ESP32 and Pico W"),
           ("Design", "design.md", "the design in one paragraph"),
           ("Development", "development.md", "the test tiers, what CI installs, the integration tests"),
           ("Benchmarks", "benchmarks.md", "measured figures and their targets")]
    toc_text = ("## Documentation\n\n"
                "`jcstar-agent VERB --help` lists every option of a verb; the Debian package installs the\n"
                "man page (`man jcstar-agent`), generated from the same parsers. The reference, one topic a\npage:\n\n"
                "| page | what |\n|---|---|\n"
                + "".join(f"| [{t}](docs/{f}) | {w} |\n" for t, f, w in toc))
    contents = ("Here: [Quick start](#quick-start), [Install](#install), [Verdicts](#verdicts). The reference,\n"
                "one topic a page: [Documentation](#documentation).\n")
    readme = (intro + "\n" + contents + "\n" + quick + "\n" + front_vendors + "\nWhat `declare` fills in, what it leaves to"
              " you and what it never writes:\n[Drafting the declaration](#drafting-the-declaration-declare).\n\n"
              + install + "\n" + front_verdicts
              + "\nHow the criteria judge, and what a report carries besides the verdicts:\n"
                "[Verdicts](#verdicts-how-the-criteria-judge). What exits 0, 1 or 2: [Exit status](#exit-status).\n\n"
              + toc_text)

    # ---- links between sections become links between pages
    files = {"README.md": readme, **{f"docs/{k}": v for k, v in pages.items()}}
    where: Dict[str, Tuple[str, bool]] = {}  # anchor -> (file, is the page's H1)
    for name, text in files.items():
        for i, lv, t in Doc(text).heads:
            a = slug(t)
            assert a not in where, f"anchor #{a} in {name} and {where[a][0]}"
            where[a] = (name, lv == 1 and name != "README.md")

    def relink(name: str, text: str) -> str:
        def sub(m):
            anchor = m.group(2)
            target, h1 = where[anchor]
            if target == name:
                return m.group(0)
            rel = os.path.relpath(target, os.path.dirname(name) or ".")
            return f"]({rel})" if h1 else f"]({rel}#{anchor})"
        return re.sub(r"\]\((#([^)]+))\)", sub, text)

    for name, text in files.items():
        path = os.path.join(PROJECT, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(re.sub(r"\n{3,}", "\n\n", relink(name, text)).rstrip("\n") + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
