"""S1.1-14 — after power or network loss, credentials and updated software do not revert to the
factory state (ETSI EN 303 645 5.9-1).

Storage half (offline and live): the files holding user-set credentials (``/etc/shadow``,
``/etc/passwd``, ``/etc/gshadow``, declared app credential stores) and the firmware version file
must lie on persistent storage — not tmpfs/ramfs/zram, nor an overlay whose upper layer is in RAM
(Yocto's ``/var/volatile``, read-only-root overlays). ``STORAGE-VOLATILE`` names the file and the
mount that makes it volatile.

Cross-boot half (live): the agent keeps its own state (``agent.state_dir``, default
``/var/lib/jcstar-agent/state.json``, 0600, atomic writes; see :mod:`jcstar_agent.state`): per boot the
kernel's boot_id, the firmware version, HMAC-keyed fingerprints of the credential fields
(``/etc/shadow``, hashes kept in ``/etc/passwd`` on shadow-less BusyBox images, declared stores;
never the hashes) and SSH host key fingerprints; the first snapshot ever recorded is the factory state.
On a new boot:

- ``STATE-VERSION-REVERTED`` — the firmware version went back to one seen before (or older);
- ``STATE-CREDENTIAL-REVERTED`` — a credential changed since the factory state is back to the
  factory fingerprint (names the account, never the hash);
- ``STATE-KEY-REVERTED`` — the same for an SSH host key;
- ``STATE-VOLATILE`` — the state directory itself is on tmpfs/ramfs/zram or a volatile overlay
  (from ``/proc/self/mountinfo``), so it would forget every boot;
- ``STATE-RECORDED`` (info) — what was recorded, how many boots were seen.

Example: a gateway whose ``/etc`` is an overlay with its upper layer in RAM comes back after a
power cut with the factory password for ``admin``; the next run says ``STATE-CREDENTIAL-REVERTED``
(``shadow:admin``). Without root the agent cannot read ``/etc/shadow``: the verdict is ``error``
("needs root to read /etc/shadow") unless the storage half already fails. Offline (``--root``)
only the storage half runs, and nothing is written.

Products with a [T]/[A] technical conformity certification are deemed to meet it. Never NA.
"""
from ..facts import mounts
from .interface import Context, Finding, Outcome

CREDENTIAL_FILES = ("/etc/shadow", "/etc/passwd", "/etc/gshadow")


def storage_findings(ctx: Context):
    files = [(p, "credential file") for p in CREDENTIAL_FILES]
    files += [(l.store, "credential file") for l in ctx.config.logins if l.store]
    files.append((ctx.config.firmware.version_source, "version file"))
    findings, checked = [], []
    for path, kind in files:
        if not ctx.root.exists(path):
            continue
        checked.append(path)
        st = mounts.storage_of(ctx, path)
        if st.volatile:
            findings.append(Finding("STORAGE-VOLATILE", "high",
                                    f"{kind} {path} is on volatile storage: {st.why}",
                                    {"path": path, "real_path": st.real_path}))
    return findings, checked


REVERT_CHECKS = {"version": "STATE-VERSION-REVERTED", "credential": "STATE-CREDENTIAL-REVERTED",
                 "key": "STATE-KEY-REVERTED"}


def cross_boot(ctx: Context):
    """(findings, reason, error) of the cross-boot half (live only)."""
    from .. import state

    state_dir = ctx.config.agent.state_dir
    findings = []
    st = mounts.storage_of(ctx, state_dir)
    if st.volatile:
        findings.append(Finding("STATE-VOLATILE", "high",
                                f"the agent's state directory {state_dir} is on volatile storage: "
                                f"{st.why}", {"path": state_dir, "real_path": st.real_path}))
    obs = state.observe(ctx)
    for r in obs.reverts:
        evidence = {"path": f"{state_dir}/{state.STATE_FILE}", "boot_id": obs.current.boot_id,
                    "previous_boot_id": obs.previous.boot_id if obs.previous else None}
        if r.kind == "version":
            evidence["firmware_version"] = r.what
            evidence["previous_version"] = obs.previous.firmware_version if obs.previous else None
            msg = f"after a reboot the {r.detail}"
        elif r.kind == "credential":
            evidence["credential"] = r.what
            msg = f"credential {r.what} {r.detail}"
        else:
            evidence["key"] = r.what
            msg = f"key {r.what} {r.detail}"
        findings.append(Finding(REVERT_CHECKS[r.kind], "high", msg, evidence))
    error = obs.error or obs.write_error
    if obs.set_aside:
        error = f"{error}; kept as {state_dir}/{obs.set_aside}, recording anew"
    if obs.current is not None and not error:
        findings.append(Finding("STATE-RECORDED", "info",
                                f"boot {obs.current.boot_id} recorded in {state_dir}/{state.STATE_FILE}"
                                f" ({obs.boots_seen + (1 if obs.new_boot or obs.first_run else 0)} "
                                "boot(s) seen)",
                                {"path": f"{state_dir}/{state.STATE_FILE}",
                                 "boot_id": obs.current.boot_id,
                                 "firmware_version": obs.current.firmware_version,
                                 "credentials": len(obs.current.credentials),
                                 "keys": len(obs.current.keys)}))
    if obs.first_run:
        reason = "first run: factory state recorded; the comparison starts at the next boot"
    elif obs.new_boot:
        reason = "new boot: nothing reverted since the previous boot"
    elif obs.previous is not None:
        reason = "nothing reverted since the previous boot"
    else:
        reason = "no reboot recorded yet; the comparison starts at the next boot"
    return findings, reason, error


def evaluate(ctx: Context) -> Outcome:
    findings, checked = storage_findings(ctx)
    unreadable = [p for p in ("/etc/passwd", "/etc/shadow") if ctx.root.lstat(p) is not None
                  and not ctx.root.read(p, 1, prefix=True).ok]
    if len(unreadable) == 2 and not any(f.is_problem for f in findings):
        # which credentials exist (and so whether they persist) cannot be known
        return Outcome.error("neither /etc/passwd nor /etc/shadow can be read: the credentials "
                             "whose persistence S1.1-14 judges cannot be seen", findings)
    if not checked:
        return Outcome.error("found none of the credential or version files to check "
                             f"({', '.join(CREDENTIAL_FILES)}, {ctx.config.firmware.version_source})")
    if not ctx.live:
        return Outcome.from_findings(findings, f"{', '.join(checked)} on persistent storage; the "
                                     "cross-boot comparison applies to live runs only")
    more, cross, error = cross_boot(ctx)
    findings.extend(more)
    if error and not any(f.is_problem for f in findings):
        return Outcome.error(f"cross-boot comparison: {error}", findings)
    return Outcome.from_findings(findings, f"{', '.join(checked)} on persistent storage; {cross}")
