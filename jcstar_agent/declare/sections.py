"""[update], [interfaces], [erase], [[documents]] and [not_applicable] of a draft."""
from __future__ import annotations

from typing import List

from ..config.placeholder import fill_in
from ..facts import accounts, credstores, listeners, peripherals, updates
from .toml_out import Table

DOCUMENT_STUBS = ("S1.1-05", "S1.1-07", "S1.1-09", "S1.1-12", "S1.1-16")
IMAGE_UPDATERS = ("rauc", "swupdate", "mender", "ostree")  # whole-image updaters first


def update(ctx) -> Table:
    found = ctx.fact(updates.read).found
    t = Table("update")
    seen = [f"seen: {f.name} ({f.evidence})" for f in found]
    if found:
        best = next((f for f in found if f.name in IMAGE_UPDATERS), found[0])
        t.add("mechanism", best.name, *seen)
        t.add("network", True, "false if updates never arrive over the network (then a "
                               "description, and S1.1-08 is not applicable)")
    else:
        t.add("mechanism", fill_in("the update mechanism (apt, opkg, apk, rauc, swupdate, mender, "
                                   "ostree, or custom with command)"),
              "no update mechanism seen (rauc, swupdate, mender, ostree, apt, opkg, apk)")
    return t


def interfaces(ctx) -> Table:
    p = ctx.fact(peripherals.read)
    t = Table("interfaces",
              comment=["Bluetooth and USB the product uses (anything else must be off)."])
    if p.bt_service:
        t.add("bluetooth", fill_in("true if the product uses Bluetooth, else false (and disable "
                                   "it)"), *[f"seen: {s}" for s in p.bt_service])
    else:
        t.add("bluetooth", False, f"seen: BlueZ installed ({p.bluez}), not started" if p.bluez
              else "no Bluetooth service seen")
    t.add("usb_host", False, "true if the product uses its USB host ports")
    t.add("usb_gadget", False, "true if the product uses a USB gadget (device-mode) function")
    return t


def _existing(root, paths) -> List[str]:
    return [p for p in paths if root.exists(p)]


def erase(ctx) -> Table:
    root = ctx.root
    t = Table("erase", comment=["Paths seen on the device; erase must remove each one. Delete the "
                                "lines of what the product keeps, add what it also stores."])
    t.add("command", fill_in("device path of the factory-reset / erase command (S1.1-15)"))
    t.add("arguments", [], "arguments --erase-test gives the command")
    daemons = sorted({x.process for x in ctx.fact(listeners.read).items if x.process})
    data = _existing(root, [f"/var/lib/{d}" for d in daemons] + ["/var/log/journal"])
    t.add("data_paths", data, "(A) data gathered in use",
          items=[f"state of {p.rsplit('/', 1)[-1]}" if p.startswith("/var/lib/") else "logs"
                 for p in data])
    acc = ctx.fact(accounts.read)
    homes = _existing(root, sorted({a.home for a in acc.accounts if a.uid >= 1000
                                    and a.interactive and a.home.startswith("/home/")}))
    t.add("settings_paths", homes, "(B) user settings", items=["a user's home" for _ in homes])
    creds: List[str] = []
    notes: List[str] = []
    for s in ctx.fact(credstores.read).stores:
        if root.exists(s.path) and s.path not in creds:
            creds.append(s.path)
            notes.append(f"{s.service} credential store")
    for p in root.glob("/etc/wpa_supplicant", "*.conf"):
        creds.append(p)
        notes.append("Wi-Fi networks and their keys")
    for p in _existing(root, ["/etc/NetworkManager/system-connections"]):
        creds.append(p)
        notes.append("network connections and their keys")
    for home in ["/root"] + homes:
        p = f"{home}/.ssh/authorized_keys"
        if root.exists(p):
            creds.append(p)
            notes.append("user-set SSH keys")
    t.add("credential_paths", creds, "(C) user-set credentials, keys and certificates", items=notes)
    return t


def documents(ctx) -> List[Table]:
    from ..criteria import catalogue

    out = []
    for cid in DOCUMENT_STUBS:
        info = catalogue.get(cid)
        t = Table("documents", True, comment=[f"{cid} {info.title}: the public document that "
                                              f"covers it (or file = \"…\" with its sha256)"])
        t.add("criterion", cid)
        t.add("title", fill_in(f"title, chapter or section that covers {cid}"))
        t.add("url", fill_in("public URL of the document"))
        if info.items:
            t.add("items", [], "items of the criterion this document covers; empty: all ("
                  + ", ".join(i.key for i in info.items) + ")")
        out.append(t)
    return out


def not_applicable(ctx, logins: bool = False) -> Table:
    """NA drafts only where the device shows nothing that contradicts them, nor the draft itself:
    with ``logins`` (the draft writes a ``[[logins]]``, which S1.1-01 … -04 count as a network
    login), none is proposed for S1.1-01 … -04."""
    t = Table("not_applicable", comment=[
        "criteria declared not applicable, each with its reason (only S1.1-01, -02, -03, -04, -08 "
        "and -12 allow it; the agent checks the device does not contradict the reason)"])
    if not logins and not accounts.access_paths(ctx):
        for cid in ("S1.1-01", "S1.1-02", "S1.1-03", "S1.1-04"):
            t.add(cid, fill_in("why no user can reach the product over the network (the "
                               "device shows no network login)"))
    elif not logins and not accounts.access_paths(ctx, password_only=True):
        for cid in ("S1.1-02", "S1.1-03", "S1.1-04"):
            t.add(cid, fill_in("why no password login exists (the device shows none)"))
    if not any(not x.loopback_only for x in ctx.fact(listeners.read).items):
        t.add("S1.1-12", fill_in("why no protected information is sent over the network (the "
                                 "device shows no listener reachable over IP)"))
    return t
