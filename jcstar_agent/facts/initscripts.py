"""SysV init scripts (``/etc/rc?.d``) and BusyBox ``/etc/inittab``: what a non-systemd boot starts.

- SysV: the ``S??name`` links of the default runlevel (``id:N:initdefault:`` in
  ``/etc/inittab``, else 2 — Debian's — with 3 and 5 as fallbacks when 2 is empty) and of
  ``rcS.d``. ``K??`` links stop, they do not start. ``/etc/inittab``'s own processes of that
  runlevel (``respawn`` …) start too. Under systemd, a script only counts when no
  native unit of that name exists (what ``systemd-sysv-generator`` does).
- BusyBox/Buildroot: ``/etc/inittab`` lines ``id:runlevels:action:process``; ``respawn``,
  ``once``, ``sysinit``, ``wait`` and ``askfirst`` start ``process``. When ``rcS`` is started, the
  ``/etc/init.d/S??*`` scripts it runs count too.

Daemon command lines inside scripts are found by :func:`invocations` (each with file:line).
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from .systemd import ServiceExec

START_ACTIONS = ("respawn", "once", "sysinit", "wait", "askfirst")


@dataclass
class InitScripts:
    kind: str = ""  # "sysv", "busybox", "" (neither found)
    runlevel: str = ""
    scripts: List[Tuple[str, str]] = field(default_factory=list)  # (script path, enabled by)
    commands: List[ServiceExec] = field(default_factory=list)  # inittab processes
    errors: List[str] = field(default_factory=list)


def _inittab(root) -> Tuple[Optional[str], List[Tuple[str, str, int, str]]]:
    """(initdefault runlevel, [(action, process, line, runlevels)])."""
    text = root.text("/etc/inittab", 256 * 1024)
    default, entries = None, []
    for n, line in enumerate((text or "").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":", 3)
        if len(parts) != 4:
            continue
        _, levels, action, process = parts
        if action == "initdefault":
            default = levels.strip()[:1] or None
        elif action in START_ACTIONS and process.strip():
            entries.append((action, process.strip(), n, levels.strip()))
    return default, entries


def _argv(text: str) -> List[str]:
    try:
        return shlex.split(text, comments=True)
    except ValueError:
        return text.split()


def read(ctx, native_units: Optional[Callable[[str], bool]] = None,
         under_systemd: bool = False) -> InitScripts:
    """``native_units(name)``: True when systemd has a unit for script ``name`` (then skipped).
    ``under_systemd``: systemd is the init, which never reads ``/etc/inittab``."""
    root = ctx.root
    out = InitScripts()
    default, entries = _inittab(root)
    if under_systemd:
        entries = []
    rc_dirs = [d for d in ("/etc/rc2.d", "/etc/rc3.d", "/etc/rc5.d", "/etc/rcS.d") if root.is_dir(d)]
    if rc_dirs:
        out.kind = "sysv"
        levels = [default] if default else ["2", "3", "5"]
        chosen = None
        for lv in levels:
            if root.glob(f"/etc/rc{lv}.d", "S*"):
                chosen = lv
                break
        out.runlevel = chosen or ""
        for d in ([f"/etc/rc{chosen}.d"] if chosen else []) + ["/etc/rcS.d"]:
            for link in root.glob(d, "S[0-9][0-9]*"):
                name = re.sub(r"^S\d\d", "", link.rsplit("/", 1)[-1])
                if native_units and native_units(name):
                    continue
                real = root.realpath(link) or link
                out.scripts.append((real, link))
        # sysvinit also starts inittab's own processes (gettys, and sometimes daemons)
        for action, process, n, levels in entries:
            if levels and action not in ("sysinit",) and (out.runlevel or "") not in levels:
                continue
            argv = _argv(process.lstrip("-+"))
            if not argv or argv[0].endswith(("/rc", "/rcS")):
                continue
            out.commands.append(ServiceExec(argv[0].rsplit("/", 1)[-1], argv, f"/etc/inittab:{n}",
                                            f"/etc/inittab:{n} ({action})"))
    elif entries:
        out.kind = "busybox"
        for action, process, n, _ in entries:
            argv = _argv(process.lstrip("-"))
            if not argv:
                continue
            src = f"/etc/inittab:{n}"
            if argv[0].endswith("/rcS") or argv[0].endswith("/rc"):
                for script in root.glob("/etc/init.d", "S[0-9][0-9]*"):
                    out.scripts.append((root.realpath(script) or script, f"{src} ({argv[0]})"))
            else:
                out.commands.append(ServiceExec(argv[0].rsplit("/", 1)[-1], argv, src,
                                                f"/etc/inittab:{n} ({action})"))
    return out


# Lines that mention a daemon without starting it.
_NOT_STARTING = ("[", "[[", "test", "if", "elif", "while", "until", "echo", "printf", "log_",
                 "pidof", "killall", "kill", "killproc", "case", "which", "command", "rm", "cat",
                 "status_of_proc", "return", "exit", "local")
_STOP_FLAGS = ("-K", "--stop", "stop")


def invocations(root, script: str, enabled_by: str, is_daemon: Callable[[str], bool],
                limit: int = 256 * 1024) -> List[ServiceExec]:
    """Command lines in a shell script that start a known daemon (each with file:line).

    Shell variables assigned in the script (``DAEMON=/usr/sbin/x``, ``ARGS="-p 2323"``) are
    substituted once, so ``$DAEMON $ARGS`` is recognised.
    """
    r = root.read(script, limit)
    if not r.ok:
        return []
    variables: Dict[str, str] = {}
    out: List[ServiceExec] = []
    lines: List[Tuple[int, str]] = []
    pending, first = "", 0
    for n, raw in enumerate(r.text.splitlines(), 1):
        if raw.rstrip().endswith("\\"):
            pending, first = pending + raw.rstrip()[:-1] + " ", first or n
            continue
        lines.append((first or n, pending + raw))
        pending, first = "", 0
    def expand(text: str) -> str:
        return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda x: variables.get(x.group(1), ""), text)

    for n, raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        if m:  # NAME=xinetd; DAEMON=/usr/sbin/$NAME: earlier variables expand in the value
            words = _argv(expand(m.group(2)))
            variables[m.group(1)] = " ".join(words) if words else ""
            continue
        expanded = expand(line)
        words = _argv(expanded.split("|")[0].split(";")[0].split("&&")[0])
        if words[:1] == ["eval"]:  # eval re-reads its words: "'$DAEMON'" is the path itself
            words = _argv(" ".join(words[1:]))
        if not words or words[0] in _NOT_STARTING or words[0].startswith("log_") or \
                any(f in words for f in _STOP_FLAGS):
            continue
        for i, w in enumerate(words):
            base = w.rsplit("/", 1)[-1]
            if is_daemon(base) and not any(c in w for c in "=$<>"):
                argv = words[i:]
                if words[0].endswith("start-stop-daemon"):
                    rest = words[i + 1:]
                    argv = [w] + (rest[rest.index("--") + 1:] if "--" in rest else [])
                out.append(ServiceExec(script.rsplit("/", 1)[-1], argv, f"{script}:{n}", enabled_by))
                break
    return out


_START_FLAGS = ("--exec", "-x", "--startas", "-a")


def started_programs(root, script: str, limit: int = 256 * 1024) -> List[Tuple[str, str]]:
    """(program basename, file:line) a script starts that :func:`invocations` may not know:
    ``DAEMON=``-style assignments of an absolute path and ``start-stop-daemon --exec/-x/--startas``
    values. For naming an enabled script whose daemon no reader knows (never silence)."""
    r = root.read(script, limit)
    if not r.ok:
        return []
    out: List[Tuple[str, str]] = []
    variables: Dict[str, str] = {}
    for n, raw in enumerate(r.text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=[\"']?([^\s\"';]*)", line)
        if m:
            value = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda x: variables.get(x.group(1), ""),
                           m.group(2))
            variables[m.group(1)] = value
            if m.group(1) in ("DAEMON", "EXEC", "PROG", "BIN", "DAEMON_BIN") and value.startswith("/"):
                out.append((value.rsplit("/", 1)[-1], f"{script}:{n}"))
            continue
        words = _argv(line)
        if "start-stop-daemon" in (w.rsplit("/", 1)[-1] for w in words[:1]) and \
                not any(f in words for f in _STOP_FLAGS):
            for i, w in enumerate(words[:-1]):
                if w in _START_FLAGS:
                    value = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?",
                                   lambda x: variables.get(x.group(1), ""), words[i + 1])
                    if value:
                        out.append((value.rsplit("/", 1)[-1], f"{script}:{n}"))
    return out
