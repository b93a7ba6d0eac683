"""S1.1-11 — Protected assets in storage are stored securely against network access.

**What is checked.**

- ``/etc/shadow`` and ``/etc/gshadow`` (and their ``-`` backups, ``/etc/security/opasswd``) are not
  world-readable; no password hash sits in the
  world-readable ``/etc/passwd``;
- password hashes use a strong scheme (yescrypt, bcrypt, sha512/sha256-crypt, scrypt, PBKDF2);
  DES, MD5-crypt, apr1, ``{SHA}``, htdigest, single-round salted SHA-512 (mosquitto ``$6$``) and
  plaintext stores fail — in ``/etc/shadow`` and in application credential stores;
- application credential stores (mosquitto ``password_file``, htpasswd files, declared stores) are
  not world-readable; so are the config files in which a started daemon keeps a credential in
  clear because it needs it (redis ``requirepass``, monit ``allow user:password``, BusyBox
  ``httpd.conf``, a VNC password file, an rsync secrets file, an OpenVPN static key — found by
  that daemon's module, :mod:`jcstar_agent.facts.daemons`), which are not failed for being clear;
- a bounded walk of ``[secrets] paths`` (default /etc, /var/lib, /opt, /home, /root; at most
  ``max_files`` files, none above ``max_file_size``) finds private keys — real PEM bodies with
  their matching END line (PKCS#8, RSA, EC, DSA, OpenSSH), not bare labels inside binaries — that
  are group- or world-readable, Wi-Fi PSKs (wpa_supplicant, NetworkManager, hostapd, iwd,
  connman) and app secrets (``.netrc``, ``*.token``, ``credentials`` ...) that are world-readable.
  Compiled/binary/media files (by name) and developer toolchains and caches in home folders
  (``.pyenv``, ``.rustup``, ``.cache`` ...) are not read. The report says how much was walked and
  what was left out (``SECRETS-WALK``).

Evidence names the path, mode, owner and the key's SHA-256 fingerprint — never the secret.

**Why.** A key or password hash anyone on the device can read is one local bug away from the
network.

**Example.** ``openssl genpkey -algorithm ed25519 -out /etc/app/key.pem`` left at 0644 → fail
"private key /etc/app/key.pem (PRIVATE KEY) is world-readable (0644)".

When ``attest`` signs with a key held in a TPM 2.0 or a PKCS#11 secure element (``--key
tpm:…``/``pkcs11:…``), the reason says so: the device's own attestation key is stored securely,
out of reach of any file read.

**NA** never. Reading ``/etc/shadow`` needs root; without it the verdict is ``error`` (the
other checks still run and are listed).

**References.** ETSI EN 303 645 5.4-1; ETSI TS 103 701 (test of 5.4-1); IEC 62443-4-2 CR 4.1.
"""
from __future__ import annotations

import stat
from typing import List

from .interface import Context, Finding, Outcome

ID = "S1.1-11"


def _mode(st) -> str:
    return oct(stat.S_IMODE(st.st_mode))[2:].zfill(4)


def evaluate(ctx: Context) -> Outcome:
    out = _evaluate(ctx)
    if ctx.signing_key in ("tpm", "pkcs11"):
        where = "the TPM 2.0" if ctx.signing_key == "tpm" else "a PKCS#11 secure element"
        out.reason += (f"; the attestation key is held in {where}, non-exportable (its provenance is in the "
                       "attestation): stored securely")
    return out


def _evaluate(ctx: Context) -> Outcome:
    from .. import libcrypt
    from ..facts import accounts as accounts_facts
    from ..facts import credstores, secrets
    from ..passwords import formats

    root = ctx.root
    findings: List[Finding] = []
    # the backups shadow tools leave beside them ("-") and pam_unix's old-password store hold
    # hashes too
    for path in (accounts_facts.SHADOW, accounts_facts.GSHADOW, accounts_facts.SHADOW + "-",
                 accounts_facts.GSHADOW + "-", "/etc/security/opasswd"):
        st = root.stat(path)
        if st is None:
            continue
        if st.st_mode & stat.S_IROTH:
            findings.append(Finding("SHADOW-WORLD-READABLE", "critical",
                                    f"{path} is world-readable ({_mode(st)})",
                                    {"path": path, "mode": _mode(st), "uid": st.st_uid}))

    acc = ctx.fact(accounts_facts.read)
    for a in acc.accounts:
        if a.hash_source.startswith(accounts_facts.PASSWD) and a.state in ("usable", "locked"):
            findings.append(Finding("CRED-HASH-IN-PASSWD", "critical",
                                    f"account '{a.name}' has its password hash in the world-readable "
                                    f"{a.hash_source}", {"account": a.name, "path": a.hash_source}))
        elif a.passwd_field and libcrypt.scheme(a.passwd_field.lstrip("!")) != "unknown":
            # a hash in /etc/passwd although /etc/shadow has the account too: still readable by all
            where = f"{accounts_facts.PASSWD}:{a.line}"
            findings.append(Finding("CRED-HASH-IN-PASSWD", "critical",
                                    f"account '{a.name}' has a password hash in the world-readable "
                                    f"{where} (besides its /etc/shadow entry)",
                                    {"account": a.name, "path": where}))
            sch = libcrypt.scheme(a.passwd_field.lstrip("!"))
            if not libcrypt.strong(sch):
                findings.append(Finding("CRED-WEAK-HASH", "high",
                                        f"account '{a.name}' password is stored with the weak "
                                        f"{sch} scheme ({where})",
                                        {"account": a.name, "path": where, "scheme": sch}))
        if a.state in ("usable", "locked") and a.hash:
            sch = a.scheme
            if sch != "unknown" and not libcrypt.strong(sch):
                findings.append(Finding("CRED-WEAK-HASH", "high",
                                        f"account '{a.name}' password is stored with the weak "
                                        f"{sch} scheme ({a.hash_source})",
                                        {"account": a.name, "path": a.hash_source, "scheme": sch}))

    method = acc.login_defs.get("ENCRYPT_METHOD", "").upper()
    if method in ("DES", "MD5"):
        findings.append(Finding("CRED-WEAK-HASH-CONFIG", "medium",
                                f"/etc/login.defs ENCRYPT_METHOD {method}: new passwords set with "
                                f"shadow tools are hashed weakly", {"path": accounts_facts.LOGIN_DEFS,
                                                                   "setting": f"ENCRYPT_METHOD {method}"}))
    from ..facts import pam

    for rule in ctx.fact(pam.passwd_stack).of("password", "pam_unix.so"):
        weak = [a for a in ("md5", "bigcrypt", "descrypt") if rule.arg(a) is not None]
        if weak:
            findings.append(Finding("CRED-WEAK-HASH-CONFIG", "medium",
                                    f"pam_unix hashes new passwords with {weak[0]} ({rule.source})",
                                    {"path": rule.source, "setting": weak[0]}))

    stores = ctx.fact(credstores.read)
    for s in stores.stores:
        st = root.stat(s.path) if s.judge_perms else None
        if st is not None and st.st_mode & stat.S_IROTH:
            findings.append(Finding("APP-SECRET-WORLD-READABLE", "high",
                                    f"{s.service} credential store {s.path} is world-readable "
                                    f"({_mode(st)})", {"path": s.path, "mode": _mode(st),
                                                       "found_in": s.found_in}))
        weak = {}
        for e in ([] if s.inline else s.entries):  # a daemon's own setting is clear by nature
            sch = formats.scheme_of(e.stored, s.fmt)
            if sch in formats.WEAK:
                weak.setdefault(sch, []).append(e.user)
        for sch, users in sorted(weak.items()):
            findings.append(Finding("CRED-WEAK-HASH", "high",
                                    f"{s.path} ({s.service}) stores {len(users)} credential(s) with "
                                    f"the weak {sch} scheme",
                                    {"path": s.path, "scheme": sch, "accounts": users[:20]}))

    walk = ctx.fact(secrets.read)
    for f in walk.found:
        findings += _secret_findings(ctx, f, acc)
    walked = (f"walked {walk.entries} file(s) under {', '.join(walk.paths)}; read {walk.read}, "
              f"{walk.too_large} above the size cap, {walk.skipped_type} binary/media skipped by name, "
              f"{walk.unreadable} unreadable"
              + (f"; package databases and toolchain/cache folders not walked: {', '.join(walk.skipped_dirs)}"
                 if walk.skipped_dirs else "")
              + (f"; cut at max_files ({ctx.config.secrets.max_files}) in {walk.cut_at}"
                 if walk.cut else "")
              + (f"; {len(walk.depth_cut)} folder(s) below the depth limit not entered"
                 if walk.depth_cut else ""))
    if walk.cut or walk.depth_cut:
        findings.append(Finding("SECRETS-WALK-CUT", "info",
                                "the secrets walk was cut: "
                                + (f"max_files ({ctx.config.secrets.max_files}) reached in "
                                   f"{walk.cut_at}; " if walk.cut else "")
                                + (f"folders below the depth limit not entered: "
                                   f"{', '.join(walk.depth_cut[:5])}" if walk.depth_cut else "")
                                + " — files there were not seen",
                                {"cut": walk.cut, "cut_at": walk.cut_at,
                                 "depth_cut": walk.depth_cut[:20],
                                 "max_files": ctx.config.secrets.max_files}))
    findings.append(Finding("SECRETS-WALK", "info", walked,
                            {"files": walk.entries, "read": walk.read, "too_large": walk.too_large,
                             "unreadable": walk.unreadable, "skipped_type": walk.skipped_type,
                             "skipped_dirs": walk.skipped_dirs, "cut": walk.cut,
                             "depth_cut": len(walk.depth_cut), "paths": walk.paths,
                             "max_files": ctx.config.secrets.max_files,
                             "max_file_size": ctx.config.secrets.max_file_size}))

    if any(f.is_problem for f in findings):
        out = Outcome.from_findings(findings, "")
        if acc.shadow_error and acc.shadow_error != "missing":
            out.reason += f"; hashes in /etc/shadow not checked: {acc.shadow_why}"
        return out
    if acc.shadow_error and acc.shadow_error != "missing":
        return Outcome.error(f"{acc.shadow_why}; other checks "
                             f"found nothing; {walked}", findings)
    if not acc.accounts and acc.errors:  # no account database: no hash was looked at
        return Outcome.error(f"the account database cannot be read ({'; '.join(acc.errors[:2])}): "
                             f"password hashes not checked; {walked}", findings)
    if walk.cut or walk.depth_cut:  # a partial look is never a pass
        return Outcome.manual(f"nothing exposed in what was seen, but the secrets walk was cut "
                              f"({walked}): raise [secrets] max_files or narrow [secrets] paths",
                              findings)
    reason = f"credential files protected, strong hashes only, no exposed key or secret; {walked}"
    return Outcome.passed(reason, findings)


def _secret_findings(ctx: Context, f, acc) -> List[Finding]:
    """A secret file judged by who can actually read it (folders on the way, group members),
    not by its mode bits alone (issue 13)."""
    from ..facts import file_readers

    mode = oct(stat.S_IMODE(f.mode))[2:].zfill(4)
    ev = {"path": f.path, "mode": mode, "uid": f.uid, "gid": f.gid, "kind": f.kind}
    if f.kind == "private-key":
        ev.update(key_type=f.detail, encrypted=f.encrypted, fingerprint=f.fingerprint)
        exposed = f.world_readable or f.group_readable
        what = f"private key {f.path} ({f.detail}{', encrypted' if f.encrypted else ''})"
        check = "KEY-PRIVATE-READABLE"
    else:
        exposed = f.world_readable
        what = (f"Wi-Fi PSK ({f.detail}) in {f.path}" if f.kind == "wifi-psk" else
                f"app secret ({f.detail}) in {f.path}")
        check = "WIFI-PSK-WORLD-READABLE" if f.kind == "wifi-psk" else "APP-SECRET-WORLD-READABLE"
    if not exposed:
        return []
    st = ctx.root.lstat(f.path)
    if not acc.accounts or st is None:  # who is who cannot be seen: the mode bits decide
        who = "world" if f.world_readable else "group"
        sev = "high" if f.world_readable and not f.encrypted else "medium"
        return [Finding(check, sev, f"{what} is {who}-readable ({mode})", ev)]
    r = file_readers.readers(ctx.root, f.path, st, acc)
    ev.update(group=r.group, readers=r.users[:20], every_user=r.everyone)
    if r.blocked_by:
        ev["blocked_by"] = r.blocked_by
    if r.everyone:
        sev = "high" if not f.encrypted else "medium"
    elif r.users:
        sev = "medium"
    else:
        return [Finding("SECRET-MODE-CONTAINED", "info",
                        f"{what} has mode {mode} but no other user can read it: {r.describe()}", ev)]
    return [Finding(check, sev, f"{what} is {r.describe()} ({mode})", ev)]
