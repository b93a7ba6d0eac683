"""[product] and [firmware] of a draft: every model, serial and version source the device shows,
with the value each one shows in a comment; the first one found is proposed."""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

from ..config.placeholder import fill_in
from ..facts import identity, keyvalue
from .toml_out import Table

MODEL_SOURCES = identity.LIVE_MODEL_SOURCES + ("/etc/product-model",)
SERIAL_SOURCES = identity.LIVE_SERIAL_SOURCES + ("/etc/product-serial",)
# (path, KEY or "" for the first line), most specific first: a product's own file, then the
# image build stamps (Raspberry Pi OS, BeagleBoard), then the distribution's version.
VERSION_SOURCES = (("/etc/product-version", ""), ("/etc/rpi-issue", ""), ("/etc/dogtag", ""),
                   ("/etc/os-release", "IMAGE_VERSION"), ("/etc/os-release", "BUILD_ID"),
                   ("/etc/os-release", "VERSION_ID"), ("/etc/lsb-release", "DISTRIB_RELEASE"),
                   ("/etc/version", ""), ("/etc/debian_version", ""))


@dataclass
class Seen:
    path: str
    key: str  # KEY of a KEY=VALUE file; "" for the first line
    value: str

    def note(self) -> str:
        where = f"{self.path} {self.key}" if self.key else self.path
        return f"{where} shows {self.value!r}"


def _seen(root, paths) -> List[Seen]:
    out = []
    for p in paths:
        r = root.read(p, 4096, prefix=True)
        if r.ok and identity.clean(r.text):
            out.append(Seen(p, "", identity.clean(r.text).splitlines()[0][:120]))
    return out


def versions(root) -> List[Seen]:
    sources = list(VERSION_SOURCES)
    for p in root.glob("/etc", "*-release"):  # /etc/*-release of other distributions
        if p not in ("/etc/os-release", "/etc/lsb-release"):
            sources.append((p, ""))
    out = []
    for path, key in sources:
        if key:
            value: Optional[str] = keyvalue.parse(root.text(path, 65536) or "").get(key)
        else:
            value, _err = identity.read_version(root, path, "")
        if value:
            out.append(Seen(path, key, value[:120]))
    return out


def product(root) -> Table:
    t = Table("product", comment=["The product, as on its label. Sources seen on the device are "
                                  "listed with the value each shows."])
    t.add("vendor", fill_in("manufacturer name, as on the label"))
    models = _seen(root, MODEL_SOURCES)
    t.add("model", fill_in("model number, as on the label (S1.1-10 compares it with what the "
                           "device shows)"), *[f"seen: {s.note()}" for s in models])
    if models:
        t.add("model_source", models[0].path)
    serials = _seen(root, SERIAL_SOURCES)
    if serials:
        t.add("serial_source", serials[0].path, *[f"seen: {s.note()}" for s in serials])
    else:
        t.comment.append("no serial-number source seen (device tree, DMI, /etc/product-serial)"
                         + ("" if root.live else ": an image has none; set serial_source to the "
                            "file your unit holds"))
    host = root.text("/etc/hostname", 1024)
    if host and identity.clean(host):
        t.add("hostname", identity.clean(host).splitlines()[0][:64], "seen: /etc/hostname")
    return t


def firmware(root) -> Table:
    t = Table("firmware", comment=["Firmware identity: the proposed version source is the most "
                                   "specific one seen; the others are listed."])
    osr = identity.os_release(root)
    if osr.get("NAME"):
        t.add("name", osr["NAME"][:120], "seen: os-release NAME")
    found = versions(root)
    if found:
        t.add("version_source", found[0].path, *[f"seen: {s.note()}" for s in found])
        t.add("version_key", found[0].key)
    else:
        t.add("version_source", fill_in("device file holding the firmware version"),
              "no version file seen (" + ", ".join(p for p, _ in VERSION_SOURCES) + ")")
    return t
