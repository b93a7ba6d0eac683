"""S1.1-08 — Network updates: software integrity is verified before the update is applied.

**What is checked.** Every update framework installed in the image (RAUC, SWUpdate, Mender,
apt, opkg, OSTree, apk, or the declared custom command) is asked whether it verifies what it
installs:

- RAUC: its ``system.conf`` (``/etc/rauc``, ``/run/rauc``, ``/usr/lib/rauc`` or ``--conf``) has a
  ``[keyring]`` whose certificates exist and are readable.
- SWUpdate: a key is given (``-k``/``--key``, ``public-key-file`` in ``swupdate.cfg``) and exists.
- Mender: ``ArtifactVerifyKey`` / ``ArtifactVerifyKeys`` set, key files exist.
- apt: no ``trusted`` / ``allow-insecure`` / ``allow-weak`` / ``allow-downgrade-to-insecure``
  source set true (``yes``, ``true``, ``1``, ``on`` …; ``.list`` and deb822 ``.sources``), no
  ``AllowInsecureRepositories`` / ``AllowWeakRepositories`` /
  ``AllowDowngradeToInsecureRepositories`` / ``AllowUnauthenticated`` in apt.conf. Sources
  without ``signed-by`` use the global keyring (noted as info).
- opkg: an ``option check_signature`` line (its presence enables checking); no
  ``[trusted=yes]`` feed.
- OSTree: no remote with ``gpg-verify=false`` unless ``sign-verify`` is true or names engines
  (``ed25519``).

**Why.** An update path that installs unsigned software lets anyone on the path (or a hijacked
mirror) install their own firmware (ETSI EN 303 645 5.3-7).

**Example.** ``deb [trusted=yes] http://repo.example.com stable main`` in
``/etc/apt/sources.list.d/vendor.list`` → ``fail`` with ``UPDATE-APT-INSECURE`` naming the
file and line.

**Verdicts.** ``fail`` when any framework does not verify (what and where); ``pass`` when every
installed framework verifies; ``manual`` when only a custom updater is installed (its
verification is a document matter: declare ``[[documents]] criterion = "S1.1-08"``) or no
framework is found at all.

**NA rule.** Only when the product has no network update mechanism: ``[update] network =
false`` with its ``description`` (or ``[not_applicable] "S1.1-08"``) — the reason is shown.

**References.** ETSI EN 303 645 5.3-7; ETSI TS 103 701 5.3-7; RAUC, SWUpdate, Mender, apt
(``sources.list(5)``, ``apt-secure(8)``), opkg and OSTree documentation.
"""
from __future__ import annotations

from typing import List

from .interface import Context, Finding, Outcome


def evaluate(ctx: Context) -> Outcome:
    from ..facts import update_verify

    upd = ctx.config.update
    if not upd.network:
        return Outcome.na(f"no network update mechanism (declared): {upd.description}")
    if "S1.1-08" in ctx.config.not_applicable:
        return Outcome.na(f"declared not applicable: {ctx.config.not_applicable['S1.1-08']}")
    uv = ctx.fact(update_verify.read)
    findings: List[Finding] = [Finding(r.check, r.severity, r.message,
                                       dict(r.evidence, framework=r.framework))
                               for r in uv.results]
    docs: List[Finding] = []
    if ctx.config.documents_for("S1.1-08"):
        from .documents import evaluate_documents
        docs = evaluate_documents(ctx, "S1.1-08", "update integrity document").findings
    findings += docs
    problems = [f for f in findings if f.is_problem]
    if problems:
        return Outcome.from_findings(findings, "")
    if not uv.frameworks:
        return Outcome.manual("no update framework found on the device (S1.1-06 reports it): "
                              "nothing shows how update integrity is verified", findings)
    seen = [n for n in uv.frameworks if n != "custom"]
    if not seen and not docs:
        return Outcome.manual("only a custom update command is installed: declare the technical "
                              "document showing how it verifies updates ([[documents]] "
                              "criterion = \"S1.1-08\")", findings)
    what = ", ".join(uv.frameworks)
    return Outcome.passed(f"every installed update framework verifies signatures: {what}", findings)
