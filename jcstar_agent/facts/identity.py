"""Who the device is: model, serial, hostname, machine-id, firmware name and version.

Live mode reads the device tree and DMI; offline (an image rootfs) has neither, so the model
and serial come from the files the board config declares.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Tuple

from . import keyvalue

LIVE_MODEL_SOURCES = ("/proc/device-tree/model", "/sys/firmware/devicetree/base/model",
                      "/sys/class/dmi/id/product_name")
LIVE_SERIAL_SOURCES = ("/proc/device-tree/serial-number", "/sys/firmware/devicetree/base/serial-number",
                       "/sys/class/dmi/id/product_serial")


@dataclass
class Identity:
    model: Optional[str] = None
    model_source: Optional[str] = None
    model_tried: Tuple[str, ...] = ()
    serial: Optional[str] = None
    serial_source: Optional[str] = None
    hostname: Optional[str] = None
    machine_id: Optional[str] = None
    os_name: Optional[str] = None
    os_id: Optional[str] = None
    firmware_name: Optional[str] = None
    firmware_version: Optional[str] = None
    version_source: Optional[str] = None
    version_error: Optional[str] = None


def clean(raw: str) -> str:
    """Device-tree strings end in NUL; DMI in a newline."""
    return raw.replace("\x00", "").strip()


def _first(root, paths) -> Tuple[Optional[str], Optional[str]]:
    for p in paths:
        r = root.read(p, 4096, prefix=True)  # a model or serial: its first line
        if r.ok and clean(r.text):
            return clean(r.text), p
    return None, None


BOOT_ID = "/proc/sys/kernel/random/boot_id"


def boot_id(root) -> Optional[str]:
    """This boot's id (the kernel's random UUID), or None when it cannot be read."""
    text = (root.text(BOOT_ID, 256, prefix=True) or "").strip()
    return text if re.fullmatch(r"[0-9a-f-]{36}", text) else None


def os_release(root) -> dict:
    for p in ("/etc/os-release", "/usr/lib/os-release"):
        text = root.text(p, 65536)
        if text is not None:
            return keyvalue.parse(text)
    return {}


def read_version(root, source: str, key: str) -> Tuple[Optional[str], Optional[str]]:
    """(version, error) from a declared version file."""
    r = root.read(source, 65536)
    if not r.ok:
        return None, f"{source}: {r.error}"
    if key:
        value = keyvalue.parse(r.text).get(key)
        if not value:
            return None, f"{source} has no {key}= line"
        return value, None
    first = next((ln.strip() for ln in r.text.splitlines() if ln.strip()), "")
    if not first:
        return None, f"{source} is empty"
    if not first.isprintable():
        return None, f"{source} does not hold a printable version"
    return first[:200], None


def read(ctx) -> Identity:
    root, product, fw = ctx.root, ctx.config.product, ctx.config.firmware
    ident = Identity()
    if product.model_source:
        ident.model_tried = (product.model_source,)
        ident.model, ident.model_source = _first(root, [product.model_source])
    elif root.live:
        ident.model_tried = LIVE_MODEL_SOURCES
        ident.model, ident.model_source = _first(root, LIVE_MODEL_SOURCES)
    serial_sources = [product.serial_source] if product.serial_source else (
        list(LIVE_SERIAL_SOURCES) if root.live else [])
    ident.serial, ident.serial_source = _first(root, serial_sources)
    if ident.serial is None and root.live and not product.serial_source:
        for line in (root.text("/proc/cpuinfo", 1 << 20, prefix=True) or "").splitlines():
            if line.lower().startswith("serial") and ":" in line:  # Raspberry Pi
                ident.serial, ident.serial_source = line.split(":", 1)[1].strip(), "/proc/cpuinfo"
    hostname = root.text("/proc/sys/kernel/hostname" if root.live else "/etc/hostname", 1024,
                         prefix=True)  # an identity claim, cleaned and cut anyway
    ident.hostname = clean(hostname) if hostname and clean(hostname) else None
    mid = root.text("/etc/machine-id", 1024, prefix=True)
    ident.machine_id = clean(mid) if mid and clean(mid) else None
    osr = os_release(root)
    ident.os_name, ident.os_id = osr.get("PRETTY_NAME") or osr.get("NAME"), osr.get("ID")
    ident.firmware_name = fw.name or osr.get("NAME") or None
    ident.version_source = fw.version_source
    ident.firmware_version, ident.version_error = read_version(root, fw.version_source, fw.version_key)
    return ident
