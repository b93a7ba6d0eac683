"""PAM: the stack a service really runs, with ``@include``, ``include`` and ``substack`` followed.

``/etc/pam.d/<service>`` (falling back to ``other``, and to ``/etc/pam.conf``). Lines whose type
starts with ``-`` are kept (PAM skips them only when the module is missing; ``module_present``
tells). Also: the brute-force settings (pam_faillock ``deny=`` with faillock.conf,
pam_tally2/pam_tally ``deny=``, pam_faildelay) and the minimum new-password length the password
stack enforces (pam_pwquality with pwquality.conf, pam_cracklib, pam_passwdqc, pam_unix).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

PAM_DIR = "/etc/pam.d"
MODULE_DIRS = ("/lib/security", "/lib64/security", "/usr/lib/security", "/usr/lib64/security",
               "/lib/x86_64-linux-gnu/security", "/lib/aarch64-linux-gnu/security",
               "/lib/arm-linux-gnueabihf/security", "/usr/lib/x86_64-linux-gnu/security",
               "/usr/lib/aarch64-linux-gnu/security", "/usr/lib/arm-linux-gnueabihf/security")
MAX_DEPTH = 10
TYPES = ("auth", "account", "password", "session")


@dataclass
class PamRule:
    type: str  # auth | account | password | session
    control: str  # required, requisite, sufficient, optional, [value=action ...]
    module: str  # base name: pam_faillock.so
    args: List[str] = field(default_factory=list)
    source: str = ""  # file:line
    optional_missing_ok: bool = False  # type written with a leading '-'

    def arg(self, name: str) -> Optional[str]:
        """Value of ``name=value`` ('' for a bare flag ``name``), None when absent."""
        for a in self.args:
            if a == name:
                return ""
            if a.startswith(name + "="):
                return a[len(name) + 1:]
        return None

    @property
    def enforcing(self) -> bool:
        """The module's failure fails the stack (not optional/sufficient)."""
        c = self.control
        if c in ("required", "requisite"):
            return True
        if c.startswith("["):
            return "default=die" in c or "default=bad" in c or "default=ignore" in c
        return False


@dataclass
class PamStack:
    service: str
    path: str = ""  # the file the stack came from ('' when none)
    rules: List[PamRule] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)

    def of(self, type_: str, module: Optional[str] = None) -> List[PamRule]:
        return [r for r in self.rules if r.type == type_ and (module is None or r.module == module)]


def _module_name(path: str) -> str:
    return path.rpartition("/")[2]


def module_present(root, module: str) -> bool:
    if module.startswith("/"):
        return root.is_file(module)
    return any(root.is_file(f"{d}/{module}") for d in MODULE_DIRS)


def _tokens(line: str) -> List[str]:
    """Split a PAM line: bracketed controls stay one token."""
    out, cur, depth = [], "", 0
    for ch in line:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(0, depth - 1)
        if ch.isspace() and depth == 0:
            if cur:
                out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        out.append(cur)
    return out


def _lines(root, path: str, errors: List[str]) -> Optional[List[Tuple[int, str]]]:
    r = root.read(path)
    if not r.ok:
        if not r.missing:
            errors.append(f"{path}: {r.error}")
        return None
    out, buf, start = [], "", 0
    for n, raw in enumerate(r.text.splitlines(), 1):
        if not buf:
            start = n
        if raw.endswith("\\"):
            buf += raw[:-1] + " "
            continue
        line = (buf + raw).split("#", 1)[0].strip()
        buf = ""
        if line:
            out.append((start, line))
    return out


def _expand(root, path: str, only_type: Optional[str], depth: int, stack: PamStack,
            seen: Tuple[str, ...]) -> None:
    if depth > MAX_DEPTH or path in seen:
        stack.errors.append(f"{path}: include loop or nesting deeper than {MAX_DEPTH}")
        return
    lines = _lines(root, path, stack.errors)
    if lines is None:
        stack.errors.append(f"{path}: included file missing")
        return
    for n, line in lines:
        where = f"{path}:{n}"
        tok = _tokens(line)
        if tok[0] == "@include":
            if len(tok) > 1:
                _expand(root, _resolve(tok[1]), only_type, depth + 1, stack, seen + (path,))
            continue
        if len(tok) < 2:
            stack.errors.append(f"{where}: malformed line")
            continue
        type_ = tok[0].lower()
        missing_ok = type_.startswith("-")
        type_ = type_.lstrip("-")
        if type_ not in TYPES:
            stack.errors.append(f"{where}: unknown type {tok[0]!r}")
            continue
        if only_type and type_ != only_type:
            continue
        control = tok[1]
        if control in ("include", "substack"):
            if len(tok) > 2:
                _expand(root, _resolve(tok[2]), type_, depth + 1, stack, seen + (path,))
            continue
        if len(tok) < 3:
            stack.errors.append(f"{where}: no module")
            continue
        stack.rules.append(PamRule(type_, control, _module_name(tok[2]), tok[3:], where, missing_ok))


def _resolve(name: str) -> str:
    return name if name.startswith("/") else f"{PAM_DIR}/{name}"


def stack(root, service: str) -> PamStack:
    """The PAM stack ``service`` runs (``other`` when it has no file of its own)."""
    st = PamStack(service)
    if root.is_dir(PAM_DIR):
        for name in (service, "other"):
            path = f"{PAM_DIR}/{name}"
            if root.exists(path):
                st.path = path
                _expand(root, path, None, 0, st, ())
                return st
        return st
    r = root.read("/etc/pam.conf")
    if r.ok:  # legacy single file: "service type control module args"
        st.path = "/etc/pam.conf"
        for n, raw in enumerate(r.text.splitlines(), 1):
            tok = _tokens(raw.split("#", 1)[0])
            if len(tok) >= 4 and tok[0] == service and tok[1].lstrip("-") in TYPES:
                st.rules.append(PamRule(tok[1].lstrip("-"), tok[2], _module_name(tok[3]), tok[4:],
                                        f"/etc/pam.conf:{n}"))
    return st


def sshd_stack(ctx) -> PamStack:
    """Facts reader: the stack sshd runs (cached per run)."""
    return stack(ctx.root, "sshd")


def passwd_stack(ctx) -> PamStack:
    return stack(ctx.root, "passwd")


def change_stack(ctx, service: str) -> PamStack:
    """The stack that sets the new password when an expired one (shadow field 3 = 0) is changed at
    login: sshd's own with ``UsePAM yes`` (sshd calls pam_chauthtok on its handle), login's for
    telnet, rlogin's for rlogin; otherwise ``passwd`` (sshd without PAM runs passwd)."""
    if service == "ssh":
        from . import sshd

        if (ctx.fact(sshd.read).get("usepam") or "").lower() == "yes":
            return ctx.fact(sshd_stack)
    elif service in ("telnet", "rlogin"):
        return stack(ctx.root, "login" if service == "telnet" else "rlogin")
    return ctx.fact(passwd_stack)


def conf_values(root, path: str, confdir: str = "") -> Dict[str, str]:
    """key = value files (faillock.conf, pwquality.conf + .d), later files win."""
    out: Dict[str, str] = {}
    paths = [path] + ([p for p in root.glob(confdir, "*.conf")] if confdir else [])
    for p in paths:
        text = root.text(p, 65536)
        for line in (text or "").splitlines():
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            k, sep, v = line.partition("=")
            out[k.strip().lower()] = v.strip() if sep else ""
    return out


@dataclass
class Lockout:
    """What the auth stack does after failed logins."""

    module: str = ""  # pam_faillock.so / pam_tally2.so / pam_tally.so ('' none)
    deny: Optional[int] = None  # failures before lock (None/0: no lock)
    unlock_time: Optional[int] = None
    source: str = ""
    fail_delay_us: Optional[int] = None  # pam_faildelay delay=
    delay_source: str = ""


def _int(v: Optional[str]) -> Optional[int]:
    return int(v) if v is not None and v.strip().isdigit() else None


def lockout(root, st: PamStack) -> Lockout:
    out = Lockout()
    for r in st.of("auth"):
        if r.module == "pam_faillock.so" and not out.module:
            conf = conf_values(root, "/etc/security/faillock.conf")
            deny = _int(r.arg("deny"))
            if deny is None:
                deny = _int(conf.get("deny"))
            out.module, out.source = r.module, r.source
            out.deny = 3 if deny is None else deny  # pam_faillock's default is 3
            out.unlock_time = _int(r.arg("unlock_time")) or _int(conf.get("unlock_time"))
            if not any(x.module == "pam_faillock.so" and x.arg("preauth") is None
                       and x.arg("authsucc") is None for x in st.of("auth")):
                out.deny = None  # only "preauth" (and "authsucc"): no rule records a failure
                out.source += " (no 'authfail' rule: failures are never counted)"
        elif r.module in ("pam_tally2.so", "pam_tally.so") and not out.module:
            out.module, out.source = r.module, r.source
            out.deny = _int(r.arg("deny"))  # no deny= means count only, never lock
            out.unlock_time = _int(r.arg("unlock_time"))
        elif r.module == "pam_faildelay.so" and out.fail_delay_us is None:
            out.fail_delay_us = _int(r.arg("delay"))
            out.delay_source = r.source
    return out


@dataclass
class MinLength:
    length: int = 0  # shortest new password the stack accepts (0: nothing enforced)
    module: str = ""
    source: str = ""


def _credits(rule: PamRule, conf: Dict[str, str], default: int) -> int:
    """Sum of the positive d/u/l/o credits: each lets a password be one character shorter."""
    total = 0
    for c in ("dcredit", "ucredit", "lcredit", "ocredit"):
        v = rule.arg(c) if rule.arg(c) is not None else conf.get(c)
        try:
            total += max(0, int(v)) if v is not None else default
        except ValueError:
            pass
    return total


def min_length(root, st: PamStack) -> MinLength:
    """Longest enforced minimum among the password-quality modules of the password stack."""
    best = MinLength()
    for r in st.of("password"):
        if not r.enforcing:
            continue
        n: Optional[int] = None
        if r.module == "pam_pwquality.so":
            conf = conf_values(root, "/etc/security/pwquality.conf", "/etc/security/pwquality.conf.d")
            enforcing = r.arg("enforcing") if r.arg("enforcing") is not None else conf.get("enforcing")
            if enforcing is not None and enforcing.strip() == "0":
                continue  # "enforcing = 0": a failed check only prints a warning
            minlen = _int(r.arg("minlen")) or _int(conf.get("minlen")) or 8
            n = max(6, minlen - _credits(r, conf, 0))
        elif r.module == "pam_cracklib.so":
            n = max(6, (_int(r.arg("minlen")) or 9) - _credits(r, {}, 1))
        elif r.module == "pam_passwdqc.so":
            if (r.arg("enforce") or "everyone") == "none":
                continue  # warns only
            mins = (r.arg("min") or "disabled,24,11,8,7").split(",")
            vals = [int(m) for m in mins if m.isdigit()]
            n = min(vals) if vals else None
        elif r.module == "pam_unix.so" and r.arg("minlen") is not None:
            n = _int(r.arg("minlen"))
        if n is not None and n > best.length:
            best = MinLength(n, r.module, r.source)
    return best
