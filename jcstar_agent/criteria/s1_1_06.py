"""S1.1-06 — firmware is updatable, its version can be checked, and an update survives power-off
(ETSI EN 303 645 5.3-1).

What the agent checks on the device:
① an update mechanism is installed: RAUC, SWUpdate, Mender, OSTree, apt, opkg, apk, or the
  declared ``update.command`` (``mechanism = "custom"``). A declared mechanism that is not on the
  device fails (``UPDATE-DECLARED-MISSING``); none at all fails (``UPDATE-MECHANISM-MISSING``).
② the installed version can be read: ``firmware.version_source`` (default ``/etc/os-release``,
  key ``VERSION_ID``). Unreadable or empty fails (``FW-VERSION-UNREADABLE``).
③ the version file lies on persistent storage, not tmpfs/ramfs/zram or an overlay with a
  volatile upper layer (``/etc/fstab`` offline, ``/proc/self/mountinfo`` live):
  ``FW-VERSION-VOLATILE``.

Example::

    [firmware]
    version_source = "/etc/acme-release"
    version_key = ""            # first line of the file is the version
    [update]
    mechanism = "rauc"

Products with a [T]/[A] technical conformity certification are deemed to meet it. Never NA.
"""
from ..facts import identity, mounts, updates
from .interface import Context, Finding, Outcome


def evaluate(ctx: Context) -> Outcome:
    ident = ctx.fact(identity.read)
    upd = ctx.fact(updates.read)
    findings = []
    src = ctx.config.firmware.version_source
    if upd.declared_problem:
        findings.append(Finding("UPDATE-DECLARED-MISSING", "high", upd.declared_problem,
                                {"mechanism": upd.declared or "", "path": ctx.config.update.command}))
    if not upd.found:
        findings.append(Finding("UPDATE-MECHANISM-MISSING", "high",
                                "no update mechanism is installed (looked for RAUC, SWUpdate, Mender, "
                                "OSTree, apt, opkg, apk; none declared as update.command)", {}))
    for f in upd.found:
        findings.append(Finding("UPDATE-MECHANISM", "info", f"update mechanism {f.name} installed",
                                {"mechanism": f.name, "path": f.evidence}))
    if ident.firmware_version is None:
        findings.append(Finding("FW-VERSION-UNREADABLE", "high",
                                f"the firmware version cannot be read: {ident.version_error}",
                                {"path": src, "key": ctx.config.firmware.version_key}))
    else:
        findings.append(Finding("FW-VERSION", "info", f"firmware version {ident.firmware_version}",
                                {"path": src, "version": ident.firmware_version}))
        st = mounts.storage_of(ctx, src)
        if st.volatile:
            findings.append(Finding("FW-VERSION-VOLATILE", "high",
                                    f"the version file {src} is on volatile storage: {st.why}",
                                    {"path": src, "real_path": st.real_path}))
    mechs = ", ".join(f.name for f in upd.found)
    return Outcome.from_findings(
        findings, f"version {ident.firmware_version} readable from {src} on persistent storage; "
                  f"updatable by {mechs}")
