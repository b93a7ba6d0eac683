"""Drift: what changed, security-wise, between two attestations of one device or one product.

JC-STAR asks the vendor to report a security-relevant change to a labelled product during the
label's validity. Compare the attestation taken at label time with one taken now (same unit),
or a reference unit with a later one (same product), and list:

``DRIFT-VERSION``            firmware version changed
``DRIFT-MODEL``              product model changed (are these really the same product?)
``DRIFT-CONFIG``             the board config (the vendor's declaration) changed
``DRIFT-KEY``                the signing key changed
``DRIFT-KEY-KIND``           where the key lives changed (``tpm``/``pkcs11``/``file``)
``DRIFT-PCR``                a measured-boot PCR the TPM quoted changed (firmware, boot loader,
                             kernel or their configuration differ), or the quote is gone
``DRIFT-VERDICT``            a criterion's verdict changed (pass → fail, na → pass, …)
``DRIFT-LISTENER-NEW``       a network listener appeared (proto/port)
``DRIFT-LISTENER-REMOVED``   a listener went away
``DRIFT-LISTENER-EXPOSED``   a listener that was loopback-only is now reachable over IP
``DRIFT-ACCOUNT-NEW``        a login account appeared
``DRIFT-PACKAGES``           the installed software changed (the SBOM digest S1.1-13 reports)
``DRIFT-FINDING-NEW``        a finding (criterion + check id + severity + subject) appeared
and, for information only (they do not make the exit status non-zero):
``DRIFT-ACCOUNT-REMOVED``, ``DRIFT-FINDING-REMOVED``, ``DRIFT-FINDING-INFO`` (an ``info``-severity
finding appeared or its figures changed, e.g. the secrets walk's file count), ``DRIFT-AGENT-VERSION``,
``DRIFT-DEVICE``.

Listeners are read from the report's listener inventory: S1.1-13 reports every listener it sees
as exactly one of SURFACE-LISTENER-DECLARED / -LOOPBACK / SURFACE-UNDECLARED-LISTENER (with proto,
port, address, process). A report without those (another agent, a criterion that could not run)
falls back to every finding whose evidence names a ``port`` — except findings about a port that
is NOT open (declared but not found, enabled but not running, a declared app login). A top-level
``listeners`` list is read too. Accounts: a top-level ``accounts`` list and every finding whose
evidence names an ``account``.
A finding's identity is its criterion, check id, severity and subject — what its evidence says
it is about (the account, user, file without its line number, store, service, port, listener,
package, unit): never its wording, nor what else the evidence says of it (which logins reach the
account: a newly declared login changes that, not the finding). A finding whose evidence names
no subject, or two with one subject in one report, are told apart by all their evidence.
Pure functions over two predicate dicts: no I/O, no verification (the caller verifies).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from ..attest.statement import model_text

INFO_ONLY = {"DRIFT-ACCOUNT-REMOVED", "DRIFT-FINDING-REMOVED", "DRIFT-FINDING-INFO", "DRIFT-AGENT-VERSION",
             "DRIFT-DEVICE"}
# S1.1-13's listener inventory: one of these per listener the agent saw (open now / enabled)
INVENTORY = {"SURFACE-LISTENER-DECLARED", "SURFACE-LISTENER-LOOPBACK", "SURFACE-UNDECLARED-LISTENER"}
# findings that name a port which is NOT an open listener
NOT_LISTENING = {"SURFACE-DECLARED-NOT-FOUND", "SURFACE-ENABLED-NOT-RUNNING", "AUTH-BRUTEFORCE-DECLARED"}
LOOPBACK = ("127.", "::1", "localhost", "[::1]")
# evidence keys that change from run to run without meaning anything
VOLATILE = {"pid", "boot_id", "iat", "elapsed", "seconds", "duration", "duration_seconds", "time",
            "timestamp", "generated_at", "attempts_per_second", "timing"}


@dataclass
class Side:
    """One attestation to compare: its predicate (the report + EAT claims) and signer."""
    predicate: Dict[str, Any]
    label: str = ""             # file name or store digest, for the output
    keyid: Optional[str] = None
    signed: bool = True


@dataclass
class Change:
    check: str
    message: str
    before: Any = None
    after: Any = None
    where: Dict[str, Any] = field(default_factory=dict)

    @property
    def relevant(self) -> bool:
        return self.check not in INFO_ONLY

    def to_dict(self) -> Dict[str, Any]:
        d = asdict(self)
        d["relevant"] = self.relevant
        return d


def _d(x) -> Dict[str, Any]:
    return x if isinstance(x, dict) else {}


def _criteria(p: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    out = {}
    for c in p.get("criteria") or []:
        if isinstance(c, dict) and isinstance(c.get("id"), str):
            out[c["id"]] = c
    return out


def _findings(p: Dict[str, Any]) -> Iterable[Tuple[str, Dict[str, Any]]]:
    for cid, c in _criteria(p).items():
        for f in c.get("findings") or []:
            if isinstance(f, dict):
                yield cid, f


def _stable(evidence: Any) -> str:
    ev = {k: v for k, v in _d(evidence).items() if k not in VOLATILE}
    return json.dumps(ev, sort_keys=True, default=str, ensure_ascii=False)


# evidence keys that say what a finding is about (its subject), as opposed to what it says of it
SUBJECT = ("account", "user", "path", "file", "store", "service", "proto", "port", "address", "listener",
           "package", "unit", "device", "key")


def _subject(evidence: Any) -> Optional[str]:
    ev = _d(evidence)
    subject = {k: ev[k] for k in SUBJECT if k in ev and not isinstance(ev[k], (dict, list))}
    if isinstance(subject.get("path"), str):  # /etc/shadow:21 -> /etc/shadow: a line moves with edits
        head, sep, tail = subject["path"].rpartition(":")
        subject["path"] = head if sep and tail.isdigit() else subject["path"]
    return json.dumps(subject, sort_keys=True, default=str, ensure_ascii=False) if subject else None


def _identities(p: Dict[str, Any]) -> Dict[Tuple[str, str, str, str], Dict[str, Any]]:
    """{(criterion, check, severity, subject or all stable evidence): finding} of one report."""
    found = [(cid, str(f.get("check")), str(f.get("severity", "")).lower(), f) for cid, f in _findings(p)]
    subjects = [_subject(f.get("evidence")) for *_k, f in found]
    counts: Dict[Tuple[str, str, str, Optional[str]], int] = {}
    for (cid, check, sev, _f), subj in zip(found, subjects):
        counts[(cid, check, sev, subj)] = counts.get((cid, check, sev, subj), 0) + 1
    out = {}
    for (cid, check, sev, f), subj in zip(found, subjects):
        unique = subj is not None and counts[(cid, check, sev, subj)] == 1
        out[(cid, check, sev, subj if unique else "=" + _stable(f.get("evidence")))] = f
    return out


def _port(value) -> Optional[int]:
    try:
        port = int(value)
    except (TypeError, ValueError):
        return None
    return port if 0 <= port <= 65535 else None


def _inventory(p: Dict[str, Any]) -> Dict[str, Tuple[str, bool]]:
    """{"tcp/22": ("sshd", reachable over IP?), …}: every listener the report shows."""
    out: Dict[str, Tuple[str, bool]] = {}

    def add(item: Dict[str, Any], loopback: bool = False) -> None:
        port = _port(item.get("port"))
        if port is None:
            return
        proto = str(item.get("proto") or "").lower()
        if proto not in ("tcp", "udp", "tcp6", "udp6", "sctp"):
            alt = str(item.get("protocol") or "").lower()  # an application protocol (mqtt, ssh) is no proto
            proto = alt if alt in ("tcp", "udp", "sctp") else "tcp"
        key = f"{proto.rstrip('6')}/{port}"
        name = str(item.get("process") or item.get("service") or "")
        addr = str(item.get("address") or "")
        reachable = not loopback and not addr.startswith(LOOPBACK)
        old_name, old_reach = out.get(key, ("", False))
        out[key] = (name or old_name, reachable or old_reach)

    for item in p.get("listeners") or []:
        if isinstance(item, dict):
            add(item)
    found = [(f.get("check"), _d(f.get("evidence"))) for _cid, f in _findings(p)]
    if any(check in INVENTORY for check, _ev in found):
        for check, ev in found:
            if check in INVENTORY:
                add(ev, loopback=check == "SURFACE-LISTENER-LOOPBACK")
    else:
        for check, ev in found:
            if check not in NOT_LISTENING:
                add(ev)
    return out


def listeners(p: Dict[str, Any]) -> Dict[str, str]:
    """{"tcp/22": "sshd", …}: every listener the report shows."""
    return {k: name for k, (name, _reach) in _inventory(p).items()}


def _sbom(p: Dict[str, Any]) -> Optional[Tuple[str, Any]]:
    """(components digest, count) of the report's software bill of materials, if it has one."""
    for _cid, f in _findings(p):
        ev = _d(f.get("evidence"))
        if isinstance(ev.get("components_sha256"), str):
            return ev["components_sha256"], ev.get("components")
    return None


def accounts(p: Dict[str, Any]) -> Set[str]:
    out: Set[str] = set()
    for item in p.get("accounts") or []:
        if isinstance(item, str):
            out.add(item)
        elif isinstance(item, dict) and isinstance(item.get("name") or item.get("account"), str):
            out.add(item.get("name") or item.get("account"))
    for _cid, f in _findings(p):
        name = _d(f.get("evidence")).get("account")
        if isinstance(name, str) and name:
            out.add(name)
    return out


def _signer_meta(p: Dict[str, Any]) -> Tuple[str, Dict[str, str]]:
    """(key kind, quoted PCR values) of a verified predicate (its provenance checked by verify)."""
    meta = _d(p.get("attestation"))
    kind = _d(meta.get("signer")).get("kind") or "file"
    return str(kind), {str(k): str(v) for k, v in _d(_d(meta.get("measured_boot")).get("pcrs")).items()}


def _measured(pa: Dict[str, Any], pb: Dict[str, Any]) -> List[Change]:
    (ka, ra), (kb, rb) = _signer_meta(pa), _signer_meta(pb)
    out = []
    if ka != kb:
        out.append(Change("DRIFT-KEY-KIND", f"the signing key now lives in a {kb} key, before in a {ka} key", ka, kb))
    if ra and not rb:
        out.append(Change("DRIFT-PCR", "the attestation no longer carries a PCR quote (measured boot)", "quoted", None))
    for i in sorted(set(ra) & set(rb), key=lambda x: int(x) if x.isdigit() else 99):
        if ra[i] != rb[i]:
            out.append(Change("DRIFT-PCR", f"PCR {i} (sha256) changed: {ra[i][:16]}… → {rb[i][:16]}… "
                                           "(the measured boot chain differs)", ra[i], rb[i], {"pcr": i}))
    return out


def compare(a: Side, b: Side) -> List[Change]:
    """The changes from ``a`` (before) to ``b`` (after), most important first."""
    pa, pb = _d(a.predicate), _d(b.predicate)
    ta, tb = _d(pa.get("target")), _d(pb.get("target"))
    out: List[Change] = []

    def value(p, t, key, claim):
        if key == "model":
            return model_text(p)  # the text, not the base64url claim
        return t.get(key) or p.get(claim)

    for check, key, claim, what in (("DRIFT-MODEL", "model", "hwmodel", "product model"),
                                    ("DRIFT-VERSION", "firmware_version", "swversion", "firmware version")):
        va, vb = value(pa, ta, key, claim), value(pb, tb, key, claim)
        if va != vb:
            out.append(Change(check, f"{what} changed: {va} → {vb}", va, vb))
    ca, cb = _d(pa.get("config")).get("sha256"), _d(pb.get("config")).get("sha256")
    if ca != cb:
        out.append(Change("DRIFT-CONFIG", "board config (the declaration) changed: "
                                          f"sha256 {str(ca)[:16]} → {str(cb)[:16]}", ca, cb))
    if a.keyid and b.keyid and a.keyid != b.keyid:
        out.append(Change("DRIFT-KEY", f"signing key changed: {a.keyid[:16]}… → {b.keyid[:16]}…",
                          a.keyid, b.keyid))

    out += _measured(pa, pb)

    cra, crb = _criteria(pa), _criteria(pb)
    for cid in sorted(set(cra) | set(crb)):
        va, vb = cra.get(cid, {}).get("verdict"), crb.get(cid, {}).get("verdict")
        if va != vb:
            out.append(Change("DRIFT-VERDICT", f"{cid}: {va} → {vb}", va, vb, {"criterion": cid}))

    la, lb = listeners(pa), listeners(pb)
    for key in sorted(set(lb) - set(la), key=_listener_order):
        out.append(Change("DRIFT-LISTENER-NEW", f"new listener {key}" + (f" ({lb[key]})" if lb[key] else ""),
                          None, key, {"listener": key, "process": lb[key]}))
    for key in sorted(set(la) - set(lb), key=_listener_order):
        out.append(Change("DRIFT-LISTENER-REMOVED", f"listener {key} is gone" + (f" ({la[key]})" if la[key] else ""),
                          key, None, {"listener": key, "process": la[key]}))
    ia, ib = _inventory(pa), _inventory(pb)
    for key in sorted(set(la) & set(lb), key=_listener_order):
        if ib[key][1] and not ia[key][1]:
            out.append(Change("DRIFT-LISTENER-EXPOSED", f"listener {key}" + (f" ({lb[key]})" if lb[key] else "")
                              + " was loopback-only, now reachable over IP", "loopback", "reachable",
                              {"listener": key, "process": lb[key]}))
    sa, sb = _sbom(pa), _sbom(pb)
    if sa and sb and sa[0] != sb[0]:
        out.append(Change("DRIFT-PACKAGES", f"installed software changed: {sa[1]} → {sb[1]} components, "
                                            f"SBOM sha256 {sa[0][:16]}… → {sb[0][:16]}…", sa[0], sb[0]))
    aa, ab = accounts(pa), accounts(pb)
    for name in sorted(ab - aa):
        out.append(Change("DRIFT-ACCOUNT-NEW", f"new account '{name}' (the earlier report does not name it: "
                                               "added, or newly given a password or a login)", None, name,
                          {"account": name}))

    fa, fb = _identities(pa), _identities(pb)
    info_changed = set()
    for key in sorted(set(fb) - set(fa)):
        f = fb[key]
        if str(f.get("severity", "")).lower() == "info":
            # an informational finding: its figures move from run to run (files walked, candidates
            # tried); a new listener or account it shows is reported above as such
            info_changed.add((key[0], key[1]))
            out.append(Change("DRIFT-FINDING-INFO", f"{key[0]} {key[1]} (info): {f.get('message', '')}", None,
                              key[1], {"criterion": key[0], "evidence": _d(f.get("evidence"))}))
            continue
        out.append(Change("DRIFT-FINDING-NEW", f"{key[0]} {key[1]}: {f.get('message', '')}", None,
                          key[1], {"criterion": key[0], "evidence": _d(f.get("evidence"))}))
    for key in sorted(set(fa) - set(fb)):
        f = fa[key]
        if (key[0], key[1]) in info_changed:
            continue  # the same info finding with other figures: said once above
        out.append(Change("DRIFT-FINDING-REMOVED", f"{key[0]} {key[1]} no longer reported: "
                                                   f"{f.get('message', '')}", key[1], None,
                          {"criterion": key[0], "evidence": _d(f.get("evidence"))}))
    for name in sorted(aa - ab):
        out.append(Change("DRIFT-ACCOUNT-REMOVED", f"account '{name}' is gone", name, None, {"account": name}))
    va, vb = _d(pa.get("agent")).get("version"), _d(pb.get("agent")).get("version")
    if va != vb:
        out.append(Change("DRIFT-AGENT-VERSION", f"jcstar-agent version {va} → {vb}", va, vb))
    ua, ub = pa.get("ueid"), pb.get("ueid")
    if ua != ub:
        out.append(Change("DRIFT-DEVICE", f"different devices (ueid {ua} → {ub}): a product-level comparison",
                          ua, ub))
    return out


def _listener_order(key: str):
    proto, _, port = key.partition("/")
    return proto, int(port) if port.isdigit() else 0


def same_subject(a: Side, b: Side) -> bool:
    """Same device (ueid) or same product (model): otherwise a comparison means little."""
    pa, pb = _d(a.predicate), _d(b.predicate)
    if pa.get("ueid") and pa.get("ueid") == pb.get("ueid"):
        return True
    ma, mb = model_text(pa), model_text(pb)
    return bool(ma) and ma == mb
