"""S1.1-15 — The user can erase (A) data gathered in use, (B) user settings and (C) user-set
credentials and keys; the updated firmware version is kept after the erase.

**What is checked.** The declared erase mechanism (``[erase] command``) exists in the image and
is executable. With ``--erase-test`` (offline ``--root`` only, never live) it is *run* on a
throw-away copy of the root filesystem, in the ``--boot`` sandbox (a user namespace whose root is
not the host's, bounded in processes, memory, file size, disk and time) — after a canary was
planted in every declared path
(``data_paths`` (A), ``settings_paths`` (B), ``credential_paths`` (C)). Afterwards every
declared path must be gone or emptied of the canary, the firmware version (``[firmware]
version_source``) must be unchanged (②), and the original tree must be byte-identical (a digest
of the whole tree before and after).

**Why.** A device that is sold, returned or disposed of must not carry its owner's data,
settings or credentials to the next person (ETSI EN 303 645 5.11-1), and an erase must not roll
back security updates.

**Example.** ``[erase] command = "/usr/sbin/factory-reset"``, ``credential_paths =
["/etc/app/users.json"]`` and a reset script that forgets that file → ``fail``:
``ERASE-NOT-ERASED`` "(C) /etc/app/users.json: the planted content is still there".

**Verdicts.** ``manual`` when no erase command is declared, or (without ``--erase-test``, or
live) when the command exists but was not exercised, or when the test passed but a category
(A)/(B)/(C) has no declared path, so nothing shows it is erased; ``fail`` when the command is
missing, fails (its last stderr lines are the evidence), or leaves declared data, or changes the
firmware version; ``error`` when the test cannot run in the copy (copy failed, the sandbox could
not be made); a build host that cannot make the sandbox at all (no user namespaces, no
subordinate ids for a plain user, no ``ip``) is the run's problem: exit 2 naming it; ``pass``
when the test proves erasure of all three categories and the version is kept.

**NA rule.** None: the original allows no NA for this criterion.

**References.** ETSI EN 303 645 5.11-1; ETSI TS 103 701 5.11-1.
"""
from __future__ import annotations

from typing import List

from .interface import Context, Finding, Outcome


def evaluate(ctx: Context) -> Outcome:
    from .. import erase

    decl = ctx.config.erase
    findings: List[Finding] = []
    if ctx.config.documents_for("S1.1-15"):
        from .documents import evaluate_documents
        findings += evaluate_documents(ctx, "S1.1-15", "erase function document").findings
    if not decl.command:
        return Outcome.manual("no erase mechanism declared: add [erase] command (and data_paths, "
                              "settings_paths, credential_paths) to the board config", findings)
    if not ctx.root.is_executable(decl.command):
        st = ctx.root.stat(decl.command)
        why = "is not there" if st is None else "is not an executable file"
        findings.append(Finding("ERASE-COMMAND-MISSING", "high",
                                f"the declared erase command {decl.command} {why}",
                                {"path": decl.command}))
        return Outcome.from_findings(findings, "")
    findings.append(Finding("ERASE-COMMAND", "info", f"erase command {decl.command} is present",
                            {"path": decl.command, "arguments": list(decl.arguments)}))
    declared = {cat: list(getattr(decl, attr)) for cat, attr, _ in erase.CATEGORIES}
    for cat, attr, what in erase.CATEGORIES:
        if not declared[cat]:
            findings.append(Finding("ERASE-CATEGORY-UNDECLARED", "info",
                                    f"({cat}) {what}: no paths declared ([erase] {attr}), so the "
                                    "erase test cannot show this category is erased",
                                    {"category": cat}))
    if ctx.live:
        return Outcome.manual("the erase command is present; it is exercised only by "
                              "--erase-test on a copy of an offline --root, never on the live "
                              "device", findings)
    if not ctx.options.erase_test:
        return Outcome.manual("the erase command is present; run with --erase-test to prove on a "
                              "throw-away copy that it erases the declared data", findings)
    if not any(declared.values()):
        return Outcome.manual("--erase-test needs at least one declared path ([erase] data_paths, "
                              "settings_paths or credential_paths) to check", findings)
    try:
        run = erase.run(ctx)
    except erase.EraseError as exc:
        return Outcome.error(f"erase test could not run: {exc}"[:300], findings)
    ev = {"command": run.command, "how": run.how, "containment": run.limits,
          "seconds": round(run.seconds, 2),
          "tree_sha256_before": run.digest_before, "tree_sha256_after": run.digest_after,
          "entries": run.entries}
    if run.original_intact:
        findings.append(Finding("ERASE-SANDBOX", "info",
                                f"ran in a throw-away copy ({run.how}); the original tree of "
                                f"{run.entries} entries is byte-identical afterwards", ev))
    else:
        findings.append(Finding("ERASE-SANDBOX-MODIFIED", "critical",
                                f"the original tree {ctx.root.path} changed during the erase test "
                                "(digest before and after differ)", ev))
    if run.failure:
        findings.append(Finding("ERASE-COMMAND-FAILED", "high",
                                f"the erase command {decl.command} {run.failure}",
                                {"path": decl.command, "rc": run.rc, "stderr_tail": run.stderr_tail}))
    for pr in run.paths:
        if pr.erased:
            findings.append(Finding("ERASE-ERASED", "info", f"({pr.category}) {pr.path}: {pr.detail}",
                                    {"category": pr.category, "path": pr.path}))
        else:
            findings.append(Finding("ERASE-NOT-ERASED", "high",
                                    f"({pr.category}) {pr.path}: {pr.detail} after the erase",
                                    {"category": pr.category, "path": pr.path}))
    vsrc = ctx.config.firmware.version_source
    if run.version_before is None or run.version_after is None:
        findings.append(Finding("ERASE-VERSION-UNREADABLE", "high" if run.version_before else "medium",
                                f"firmware version ({vsrc}) unreadable "
                                f"{'after' if run.version_before else 'before'} the erase: "
                                f"{run.version_error}", {"path": vsrc}))
    elif run.version_before != run.version_after:
        findings.append(Finding("ERASE-VERSION-CHANGED", "high",
                                f"the erase changed the firmware version in {vsrc} from "
                                f"{run.version_before} to {run.version_after}",
                                {"path": vsrc, "before": run.version_before,
                                 "after": run.version_after}))
    else:
        findings.append(Finding("ERASE-VERSION-KEPT", "info",
                                f"firmware version {run.version_after} ({vsrc}) kept after the erase",
                                {"path": vsrc, "version": run.version_after}))
    cats = ", ".join(c for c in ("A", "B", "C") if declared[c])
    missing = [f"({c}) {what}" for c, _, what in erase.CATEGORIES if not declared[c]]
    if missing and not any(f.is_problem for f in findings):
        return Outcome.manual(f"the erase test removed every declared path ({cats}) and kept the "
                              f"firmware version, but nothing shows that {' and '.join(missing)} "
                              "are erased: declare their paths in [erase]", findings)
    return Outcome.from_findings(findings, f"the erase test removed every declared path ({cats}) "
                                           "and kept the firmware version")
