"""Bluetooth and USB: what the device has switched on (S1.1-13 B and C).

Live: Bluetooth controllers in ``/sys/class/bluetooth`` and their rfkill state
(``/sys/class/rfkill/*/{type,soft,hard}``); USB gadgets bound to a device controller in configfs
(``/sys/kernel/config/usb_gadget/*/UDC``); USB host buses and their ``authorized_default``
(``/sys/bus/usb/devices/usb*``: 0 = new devices are not authorised, 2 = internal ports only).
Offline (and live, as what the image enables): the Bluetooth service enabled (reached at boot,
linked in ``bluetooth.target.wants`` — udev starts that target when a controller appears — or
aliased as ``dbus-org.bluez.service``; started by an init script), BlueZ installed,
gadget modules/overlays loaded at boot, and kernel modules switched off by modprobe
``blacklist``/``install … /bin/false`` lines.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

BT_MODULES = ("bluetooth", "btusb", "hci_uart", "btbcm", "btintel", "btrtl", "btsdio", "rfcomm",
              "bnep")
USB_STORAGE_MODULES = ("usb_storage", "uas")
USB_HOST_MODULES = ("usbcore", "ehci_hcd", "xhci_hcd", "ohci_hcd", "dwc_otg", "xhci_pci",
                    "ehci_pci")
GADGET_MODULES = ("g_ether", "g_serial", "g_mass_storage", "g_cdc", "g_multi", "g_hid",
                  "g_acm_ms", "g_zero", "libcomposite", "usb_f_ecm", "usb_f_rndis", "usb_f_acm")
BLUETOOTHD = ("/usr/libexec/bluetooth/bluetoothd", "/usr/lib/bluetooth/bluetoothd",
              "/usr/sbin/bluetoothd", "/usr/bin/bluetoothd")
MODPROBE_DIRS = ("/etc/modprobe.d", "/lib/modprobe.d", "/usr/lib/modprobe.d", "/run/modprobe.d")
MODULE_LOAD = ("/etc/modules",)
MODULE_LOAD_DIRS = ("/etc/modules-load.d", "/usr/lib/modules-load.d", "/lib/modules-load.d")
BOOT_FILES = ("/boot/cmdline.txt", "/boot/firmware/cmdline.txt", "/boot/config.txt",
              "/boot/firmware/config.txt", "/boot/uEnv.txt")


@dataclass
class Controller:
    name: str  # hci0
    blocked: Optional[bool]  # all its rfkill switches block it; None: no rfkill seen
    source: str


@dataclass
class UsbBus:
    name: str  # usb1
    authorized_default: Optional[int]
    authorized: Optional[int]
    source: str


@dataclass
class Peripherals:
    live: bool = False
    bt_controllers: List[Controller] = field(default_factory=list)
    bt_service: List[str] = field(default_factory=list)  # what starts bluetoothd
    bluez: Optional[str] = None  # bluetoothd path when installed
    disabled_modules: List[Tuple[str, str]] = field(default_factory=list)  # (module, file:line)
    usb_buses: List[UsbBus] = field(default_factory=list)
    gadgets_bound: List[Tuple[str, str, str]] = field(default_factory=list)  # (gadget, udc, path)
    gadget_config: List[Tuple[str, str]] = field(default_factory=list)  # (what, file:line)
    errors: List[str] = field(default_factory=list)

    def module_disabled(self, names) -> List[Tuple[str, str]]:
        return [(m, s) for m, s in self.disabled_modules if m in names]


def _norm(module: str) -> str:
    return module.replace("-", "_")


def modprobe_disabled(root) -> List[Tuple[str, str]]:
    out = []
    for d in MODPROBE_DIRS:
        for path in root.glob(d, "*.conf"):
            for n, raw in enumerate((root.text(path) or "").splitlines(), 1):
                words = raw.split("#", 1)[0].split()
                if len(words) >= 2 and words[0] == "blacklist":
                    out.append((_norm(words[1]), f"{path}:{n}"))
                elif len(words) >= 3 and words[0] == "install" and \
                        words[2].rsplit("/", 1)[-1] in ("false", "true"):
                    out.append((_norm(words[1]), f"{path}:{n}"))
    return out


def _gadget_config(root, enabled_units) -> List[Tuple[str, str]]:
    out = []
    files = list(MODULE_LOAD) + [p for d in MODULE_LOAD_DIRS for p in root.glob(d, "*.conf")]
    for path in files:
        for n, raw in enumerate((root.text(path) or "").splitlines(), 1):
            word = _norm(raw.split("#", 1)[0].strip())
            if word in GADGET_MODULES:
                out.append((f"module {word} loaded at boot", f"{path}:{n}"))
    for path in BOOT_FILES:
        for n, raw in enumerate((root.text(path) or "").splitlines(), 1):
            line = raw.split("#", 1)[0]
            for mod in re.findall(r"modules-load=([\w,\-]+)", line):
                for m in mod.split(","):
                    if _norm(m) in GADGET_MODULES:
                        out.append((f"module {_norm(m)} loaded by the kernel command line", f"{path}:{n}"))
            if re.search(r"dtoverlay=dwc2(?:,.*dr_mode=(?:peripheral|otg))", line):
                out.append(("dwc2 overlay in peripheral/OTG mode", f"{path}:{n}"))
    for unit, why in enabled_units:
        if "gadget" in unit.lower():
            out.append((f"unit {unit} enabled", why))
    return out


def read(ctx) -> Peripherals:
    from . import systemd

    root = ctx.root
    p = Peripherals(live=root.live)
    p.disabled_modules = modprobe_disabled(root)
    sd = ctx.fact(systemd.read)
    for unit, why in sd.enabled.items():
        if unit in ("bluetooth.service", "bluez.service", "dbus-org.bluez.service"):
            p.bt_service.append(f"{unit} ({why})")
    if sd.present and not p.bt_service:
        # BlueZ's unit is WantedBy=bluetooth.target, which udev starts as soon as a controller
        # appears, and Alias=dbus-org.bluez.service (D-Bus activation): enabled either way.
        unit_path, masked = systemd._find(root, "bluetooth.service")
        for d in systemd.UNIT_DIRS if unit_path and not masked else ():
            for link in (f"{d}/bluetooth.target.wants/bluetooth.service", f"{d}/dbus-org.bluez.service"):
                if root.lstat(link) is not None and not p.bt_service:
                    p.bt_service.append(f"bluetooth.service ({link}: started when a controller "
                                        "appears)")
    try:
        from .listeners_offline import surface
        for st in ctx.fact(surface).starts:
            if st.argv and st.argv[0].rsplit("/", 1)[-1] == "bluetoothd" and not \
                    any(st.unit in s for s in p.bt_service):
                p.bt_service.append(f"{st.source}")
    except Exception as exc:  # the listener inference has its own error reporting
        p.errors.append(f"enabled services: {type(exc).__name__}: {exc}"[:200])
    p.bluez = next((b for b in BLUETOOTHD if root.is_executable(b)), None)
    p.gadget_config = _gadget_config(root, list(sd.enabled.items()))
    if not root.live:
        return p
    rfkill = {}
    for rk in root.listdir("/sys/class/rfkill"):
        base = f"/sys/class/rfkill/{rk}"
        if (root.text(f"{base}/type", 64) or "").strip() != "bluetooth":
            continue
        soft = (root.text(f"{base}/soft", 16) or "0").strip() == "1"
        hard = (root.text(f"{base}/hard", 16) or "0").strip() == "1"
        dev = root.realpath(f"{base}/device") or ""
        rfkill[dev] = rfkill.get(dev, True) and (soft or hard)
    for hci in root.listdir("/sys/class/bluetooth"):
        if not re.match(r"^hci\d+$", hci):
            continue
        real = root.realpath(f"/sys/class/bluetooth/{hci}") or ""
        blocked = None
        for dev, b in rfkill.items():
            if dev and (dev == real or dev.startswith(real + "/") or real.startswith(dev)):
                blocked = b if blocked is None else (blocked and b)
        if blocked is None and rfkill:
            blocked = all(rfkill.values())
        p.bt_controllers.append(Controller(hci, blocked, f"/sys/class/bluetooth/{hci}"))
    for bus in root.listdir("/sys/bus/usb/devices"):
        if not re.match(r"^usb\d+$", bus):
            continue
        base = f"/sys/bus/usb/devices/{bus}"

        def num(name):
            t = (root.text(f"{base}/{name}", 16) or "").strip()
            return int(t) if t.isdigit() else None
        p.usb_buses.append(UsbBus(bus, num("authorized_default"), num("authorized"), base))
    for g in root.listdir("/sys/kernel/config/usb_gadget"):
        udc = (root.text(f"/sys/kernel/config/usb_gadget/{g}/UDC", 256) or "").strip()
        if udc:
            p.gadgets_bound.append((g, udc, f"/sys/kernel/config/usb_gadget/{g}/UDC"))
    return p
