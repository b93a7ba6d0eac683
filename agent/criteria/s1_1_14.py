"""S1.1-14 — after power or network loss, credentials and updated software do not revert to the
factory state (ETSI EN 303 645 5.9-1).

Storage half (offline and live): the files holding user-set credentials (``/etc/shadow``,
``/etc/passwd``, ``/etc/gshadow``, declared app credential stores) and the firmware version file
must lie on persistent storage — not tmpfs/ramfs/zram, nor an overlay whose upper layer is in RAM
(Yocto's ``/var/volatile``, read-only-root overlays). ``STORAGE-VOLATILE`` names the file and the
mount that makes it volatile.

Cross-boot half (live): compares the agent's persisted state with this boot's (see README).

Products with a [T]/[A] technical conformity certification are deemed to meet it. Never NA.
"""
from ..facts import mounts
from .interface import Context, Finding, Outcome

CREDENTIAL_FILES = ("/etc/shadow", "/etc/passwd", "/etc/gshadow")


def storage_findings(ctx: Context):
    paths = list(CREDENTIAL_FILES) + [l.store for l in ctx.config.logins if l.store]
    findings, checked = [], []
    for path in paths:
        if not ctx.root.exists(path):
            continue
        checked.append(path)
        st = mounts.storage_of(ctx, path)
        if st.volatile:
            findings.append(Finding("STORAGE-VOLATILE", "high",
                                    f"credential file {path} is on volatile storage: {st.why}",
                                    {"path": path, "real_path": st.real_path}))
    src = ctx.config.firmware.version_source
    if ctx.root.exists(src):
        checked.append(src)
        st = mounts.storage_of(ctx, src)
        if st.volatile:
            findings.append(Finding("STORAGE-VOLATILE", "high",
                                    f"version file {src} is on volatile storage: {st.why}",
                                    {"path": src, "real_path": st.real_path}))
    return findings, checked


def evaluate(ctx: Context) -> Outcome:
    findings, checked = storage_findings(ctx)
    if not checked:
        return Outcome.error("found none of the credential or version files to check "
                             f"({', '.join(CREDENTIAL_FILES)}, {ctx.config.firmware.version_source})")
    cross = ("cross-boot comparison applies to live runs only" if not ctx.live else
             "cross-boot comparison not implemented yet")
    return Outcome.from_findings(findings, f"{', '.join(checked)} on persistent storage; {cross}")
