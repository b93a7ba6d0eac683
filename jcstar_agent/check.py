"""Run the 16 criteria over a target and build the report.

One criterion's crash never stops the run: it becomes that criterion's ``error`` verdict with
the reason (no traceback unless ``JCSTAR_DEBUG`` is set). Scheme-level rules live here, not in
the modules: the UK PSTI exemption (S1.1-02, -05, -16) and the [T]/[A] conformity mark that is
deemed to meet S1.1-01, -06 and -14.
"""
from __future__ import annotations

import datetime
import importlib
import os
import time
import traceback
from typing import Optional

from . import __version__
from .criteria import IDS, Context, Outcome, Verdict, catalogue
from .report import CriterionResult, Report, Target
from . import progress

PSTI_EXEMPT = ("S1.1-02", "S1.1-05", "S1.1-16")
CERT_DEEMED = ("S1.1-01", "S1.1-06", "S1.1-14")


ACCOUNT_CRITERIA = ("S1.1-01", "S1.1-02", "S1.1-03", "S1.1-11")  # judge every account


def _accounts_cut(ctx: Context, outcome: Outcome) -> Outcome:
    """An account database not read to its end (a hostile image's 64 MiB passwd): the criteria
    that judge accounts say so, and a pass becomes ``error`` — never a pass on what was not read."""
    from .criteria import Finding
    from .facts import accounts

    acc = ctx.fact(accounts.read)
    cut = list(acc.cut)
    # a database that exists but cannot be read (a symlink loop, not a regular file, no
    # permission) hides as much as a cut one: an empty UID-0 password there is never judged
    unread = [e for e in acc.errors if e.startswith((accounts.PASSWD + ": ", accounts.SHADOW + ": "))
              and not e.endswith(": missing")]
    cut += [f"{e} (not read)" for e in unread if not any(e in c for c in cut)]
    if not cut:
        return outcome
    outcome.findings.append(Finding("ACCOUNTS-CUT", "info",
                                    f"account database not read to its end: {'; '.join(cut)}",
                                    {"path": cut[0].split(":", 1)[0], "cut": cut}))
    if outcome.verdict is Verdict.PASS:
        return Outcome.error(f"{'; '.join(cut)}: accounts not read there were not judged "
                             f"(what was read: {outcome.reason})", outcome.findings)
    return outcome


def _files_cut(cuts: list, outcome: Outcome) -> Outcome:
    """Device files read only in part (a 1 MiB inetd.conf whose telnet line comes after the cap):
    the criterion that used them says so, and a pass becomes ``error`` — what came after the cap
    was never seen, so it cannot be judged."""
    from .criteria import Finding

    if not cuts:
        return outcome
    outcome.findings.append(Finding("READ-CUT", "info",
                                    f"device file not read to its end: {'; '.join(cuts[:5])}"
                                    + (f" (+{len(cuts) - 5} more)" if len(cuts) > 5 else ""),
                                    {"path": cuts[0].split(":", 1)[0], "cut": cuts[:20]}))
    if outcome.verdict is Verdict.PASS:
        return Outcome.error(f"{cuts[0]}: what it says past that point was not judged "
                             f"(what was read: {outcome.reason})", outcome.findings)
    return outcome


def evaluate(ctx: Context, criterion_id: str) -> Outcome:
    info = catalogue.get(criterion_id)
    if criterion_id in PSTI_EXEMPT and ctx.config.product.psti_compliant:
        return Outcome.na("the product complies with UK PSTI (declared product.psti_compliant): "
                          "exempt from this criterion since 2026-01-01")
    try:
        module = importlib.import_module(f"jcstar_agent.criteria.{info.module}")
        with ctx.collect_cuts() as cuts:
            outcome = module.evaluate(ctx)
    except Exception as exc:  # a bug or a device we did not foresee: report it, keep going
        if os.environ.get("JCSTAR_DEBUG"):
            traceback.print_exc()
        return Outcome.error(f"internal error while checking: {type(exc).__name__}: {exc}"[:300])
    if criterion_id in ACCOUNT_CRITERIA:
        outcome = _accounts_cut(ctx, outcome)
    outcome = _files_cut(cuts, outcome)
    cert = ctx.config.product.conformity_certification
    if criterion_id in CERT_DEEMED and cert and outcome.verdict is not Verdict.PASS:
        note = (f"; the device checks said {outcome.verdict.value}: {outcome.reason}"
                if outcome.reason else "")
        return Outcome.passed(f"deemed met by the [T]/[A] technical conformity certification "
                              f"{cert}{note}", outcome.findings)
    return outcome


def run(ctx: Context, only: Optional[tuple] = None) -> Report:
    started = time.monotonic()
    results = []
    for cid in IDS:
        info = catalogue.get(cid)
        if only and cid not in only:
            continue
        t0 = time.monotonic()
        outcome = evaluate(ctx, cid)
        progress.verbose(f"{cid} {outcome.verdict.value} in {time.monotonic() - t0:.2f}s; read: "
                         f"{_read_by(outcome) or 'nothing the findings name'}")
        if outcome.verdict is Verdict.FAIL and not any(f.is_problem for f in outcome.findings):
            # The contract: a fail always says what and where. A module breaking that is a bug.
            outcome = Outcome.error(f"fail without a finding (agent bug): {outcome.reason}")
        if outcome.verdict in (Verdict.NA, Verdict.MANUAL, Verdict.ERROR) and not outcome.reason:
            outcome.reason = "no reason given (agent bug)"
        results.append(CriterionResult(
            id=cid, verdict=outcome.verdict, title=info.title, title_ja=info.title_ja,
            methods=list(info.methods), refs=info.refs, reason=outcome.reason,
            findings=outcome.findings))
    from .facts import accounts, identity

    ident = ctx.fact(identity.read)
    image = getattr(ctx.root, "image", None)  # --image: the file, not the folder it was unpacked in
    report = Report(
        agent_version=__version__,
        target=Target(mode=ctx.mode, root=image.path if image else ctx.root.path, model=ident.model,
                      firmware_version=ident.firmware_version, hostname=ident.hostname,
                      image=image.evidence() if image else None),
        config_path=ctx.config.path, config_sha256=ctx.config.sha256, criteria=results,
        generated_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        duration_seconds=time.monotonic() - started)
    report.extra["accounts"] = account_inventory(ctx.fact(accounts.read))
    if ctx.options.extra.get("boot") is not None:  # --boot: what the sandbox showed (seconds: a timing)
        from .facts import boot_listeners
        report.extra["boot"] = boot_listeners.evidence(ctx)
    return report


def _read_by(outcome: Outcome) -> str:
    """The device files a criterion's findings name (``-v``): what it read, in a line."""
    seen = []
    for f in outcome.findings:
        for key in ("path", "file", "source"):
            v = f.evidence.get(key)
            if isinstance(v, str) and v and v not in seen:
                seen.append(v)
    return ", ".join(seen[:8]) + (f" (+{len(seen) - 8} more)" if len(seen) > 8 else "")


def account_inventory(acc) -> list:
    """The accounts of /etc/passwd as evidence (names, ids, shells, password state — never a hash):
    what `drift` compares to find accounts added since an earlier attestation."""
    return [{"name": a.name, "uid": a.uid, "shell": a.shell, "password": a.state}
            for a in acc.accounts]
