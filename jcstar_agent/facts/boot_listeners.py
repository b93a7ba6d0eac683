"""Listeners observed by booting the image (``--boot``): the same :class:`Listener` facts live mode
gives (process, exe, address, port, and the systemd unit in ``source``), taken from the socket table
of the sandbox the image's own init ran in (:mod:`jcstar_agent.target.boot`).

``Listeners.inferred`` carries what the offline reading of the same root infers, so the report can
say what was observed and what was only inferred. A boot cut by its timeout is a partial look: it
says so in ``errors``, and the units still starting are listed by :func:`unexplained_units`, which
S1.1-01 and S1.1-13 do not pass over.
"""
from __future__ import annotations

from typing import List

from .listener_model import Listener, Listeners, is_loopback, merge_families


def result(ctx):
    """The BootResult of this run, or None without ``--boot``."""
    return ctx.options.extra.get("boot")


def read(ctx) -> Listeners:
    res = result(ctx)
    out = Listeners([], "booted image (observed in a sandbox)")
    items: List[Listener] = []
    for s in res.sockets:
        owner = s.unit or s.process or "owner not seen"
        where = f", in the image's own network namespace {s.namespace}" if getattr(s, "namespace", "") else ""
        items.append(Listener(proto=s.proto, port=s.port, address=s.address, process=s.process,
                              source=f"booted: {owner} (socket, {s.family}{where})", exe=s.exe,
                              pid=s.pid, loopback_only=is_loopback(s.address),
                              namespace=getattr(s, "namespace", "")))
    items.sort(key=lambda l: (l.proto, l.port, l.address, l.source))
    out.items = merge_families(items)
    if res.timed_out:
        hung = [u.name for u in res.units if u.state == "starting"]
        out.errors.append(f"the boot had not settled when --boot-timeout ({res.limits.get('timeout_seconds')} s) "
                          "ended it" + (f"; still starting: {', '.join(hung)}" if hung else "")
                          + "; listeners are what was open at that moment")
    out.errors += list(res.errors)
    try:
        from . import listeners_offline
        inferred = listeners_offline.read(ctx)
        out.inferred = list(inferred.items)
    except Exception as exc:  # the inference's bug must not hide what was observed
        out.errors.append(f"offline listener inference failed: {type(exc).__name__}: {exc}"[:200])
    return out


def unexplained_units(res, programs=None) -> List[tuple]:
    """(unit, program, why) of what the boot could not show: units still starting when the timeout
    ended the boot, units that failed in the sandbox (on the device they may start and listen),
    and a boot that never settled. ``programs`` maps a unit to its program's name."""
    programs = programs or {}
    out = [(u.name, programs.get(u.name, ""),
            f"was still starting when --boot-timeout ended the boot ({u.detail}): its interfaces "
            "are unknown") for u in res.units if u.state == "starting"]
    out += [(u.name, programs.get(u.name, ""),
             f"failed to start in the sandbox ({u.detail}): on the device it may start and listen")
            for u in res.units if u.state == "failed"]
    if res.timed_out and not out:
        out.append(("the boot", "", "had not settled when --boot-timeout ended it (socket table "
                    "still changing or services still busy): listeners may be missing"))
    return out


def evidence(ctx) -> dict:
    """What the report carries about the boot. ``seconds`` is a timing (it varies between runs);
    everything else is the same for the same tree. ``observed`` is the socket table;
    ``inferred_not_observed`` / ``observed_not_inferred`` compare it with the offline reading."""
    from . import listeners

    res = result(ctx)
    ls = ctx.fact(listeners.read)
    seen = {(x.proto, x.port) for x in ls.items}
    guessed = {(x.proto, x.port) for x in ls.inferred}
    return {
        "init": res.init, "arch": res.arch, "settled": res.settled, "timed_out": res.timed_out,
        "seconds": round(res.seconds, 2),
        "started": [u.name for u in res.units if u.state == "started"],
        "failed": [f"{u.name} ({u.detail})" if u.detail else u.name
                   for u in res.units if u.state == "failed"],
        "starting": [u.name for u in res.units if u.state == "starting"],
        "skipped": [f"{u.name} ({u.detail})" for u in res.units if u.state == "skipped"],
        "observed": sorted({f"{s.proto}/{s.port}" for s in res.sockets}),
        "inferred_not_observed": [f"{x.proto}/{x.port} ({x.source})" for x in ls.inferred
                                  if (x.proto, x.port) not in seen],
        "observed_not_inferred": sorted({f"{p}/{n}" for p, n in seen - guessed}),
        "limits": res.limits,
        "errors": list(res.errors),
    }
