"""The in-toto Statement v1 an attestation carries: subjects, predicate type, predicate.

Predicate = the full ``check`` report (schema ``jcstar-agent/report/v1``, every key as
``--format json`` prints it) plus, at its top level, IETF EAT (RFC 9711) claims:

``eat_nonce``  the verifier's ``--nonce``, verbatim (freshness; absent without ``--nonce``)
``iat``        issued-at, NumericDate: integer seconds since the Unix epoch (UTC)
``ueid``       the device's universal entity id, RFC 9711 §4.2.1: one type byte + id bytes,
               base64url without padding (RFC 9711's JSON encoding of a byte string)
``hwmodel``    RFC 9711 §4.2.4 ``bytes .size (1..32)``, base64url without padding: the UTF-8 of
               the model the device shows (else the declared one) when it is 1-32 bytes long,
               else its SHA-256 (32 bytes); ``attestation.hwmodel_text`` keeps the text
``swname``     the firmware name (``firmware.name``, else os-release ``NAME``), text
``swversion``  RFC 9711 §4.2.7 ``[version]`` (an array: the version text, no scheme), the
               version read from ``firmware.version_source``
``boot_id``    live: ``/proc/sys/kernel/random/boot_id`` (changes every boot); absent offline

and an ``attestation`` object saying how the ueid was made, the model as text, and why any
claim is absent (offline/--root runs have no boot and say so). The claim values have RFC 9711's
JSON types, so an EAT-aware reader can take them as they are.

UEID, in this order of preference (RFC 9711 type bytes):

* ``0x03`` IMEI — ``product.imei_source`` declared: 14 digits (check digit dropped), one byte
  per digit value (RFC 9711: "3" is 0x03, not 0x33). 15 bytes.
* ``0x01`` RAND from the serial number (``product.serial_source``; live: device tree, DMI,
  /proc/cpuinfo): SHA-256 over ``"jcstar-agent/ueid/v1\\0serial\\0" vendor "\\0" serial``.
  RFC 9711 allows a RAND UEID made by hashing identifiers that are together universally unique;
  serials are unique per vendor, hence the vendor. The serial itself never appears. 33 bytes.
* ``0x02`` IEEE EUI — a MAC address: live, the universally administered MAC of the
  lowest-named physical interface; offline, the first declared ``product.mac_addresses``.
  EUI-48, 7 bytes.
* ``0x01`` RAND from ``/etc/machine-id`` (live only: an image's machine-id is the image's, not a
  unit's): SHA-256 over ``"jcstar-agent/ueid/v1\\0machine-id\\0" id`` — systemd asks that the
  machine-id itself never be exposed, so only this application-specific hash is. 33 bytes.

Subjects: ``device`` (sha256 of the ueid bytes), ``firmware:version-source`` (sha256 of the
version file's bytes) and, when declared, ``firmware:image`` (``firmware.image_digest``). When
none can be made, the subject is ``report`` (sha256 of the canonical report JSON), because a
Statement needs at least one.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ..errors import RunError

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://jcstar-agent.dev/attestation/report/v1"
CLAIMS = ("eat_nonce", "iat", "ueid", "hwmodel", "swname", "swversion", "boot_id")

UEID_RAND, UEID_EUI, UEID_IMEI = 0x01, 0x02, 0x03
UEID_TYPE_NAMES = {UEID_RAND: "RAND", UEID_EUI: "EUI", UEID_IMEI: "IMEI"}
_UEID_TAG = b"jcstar-agent/ueid/v1\x00"
MAX_NONCE = 512
JUNK_SERIALS = {"", "0", "none", "null", "n/a", "na", "not specified", "not applicable",
                "to be filled by o.e.m.", "default string", "system serial number",
                "0123456789", "serial", "unknown", "00000000", "0000000000000000"}
_DIGEST_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


MAX_HWMODEL = 32  # RFC 9711 hardware-model-type = bytes .size (1..32)


def hwmodel_claim(model: str) -> Tuple[str, str]:
    """(RFC 9711 hwmodel claim as base64url, encoding 'utf-8' or 'sha256') for a model name."""
    raw = model.encode("utf-8")
    if 1 <= len(raw) <= MAX_HWMODEL:
        return b64url(raw), "utf-8"
    return b64url(hashlib.sha256(raw).digest()), "sha256"


def model_text(predicate: Any) -> Optional[str]:
    """A predicate's model as text, for people and for the store's ``--model``: the model the
    device showed (``target.model``), else the ``hwmodel`` claim decoded — never its base64url."""
    if not isinstance(predicate, dict):
        return None
    target = predicate.get("target") if isinstance(predicate.get("target"), dict) else {}
    if isinstance(target.get("model"), str) and target["model"]:
        return target["model"]
    meta = predicate.get("attestation") if isinstance(predicate.get("attestation"), dict) else {}
    return hwmodel_display(predicate.get("hwmodel"), meta)


def hwmodel_display(claim: Any, meta: Optional[dict] = None) -> Optional[str]:
    """Readable model of a predicate: ``attestation.hwmodel_text``, else the decoded claim."""
    text = (meta or {}).get("hwmodel_text") if isinstance(meta, dict) else None
    if isinstance(text, str) and text:
        return text
    if not isinstance(claim, str):
        return None
    try:
        raw = b64url_decode(claim)
    except ValueError:
        return claim
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.hex()
    return text if text.isprintable() else raw.hex()


def swversion_display(claim: Any) -> Optional[str]:
    """The version text of an RFC 9711 swversion claim (``[version, ?scheme]``)."""
    if isinstance(claim, list) and claim and isinstance(claim[0], str):
        return claim[0]
    return claim if isinstance(claim, str) else None


# ---------------------------------------------------------------- UEID
def ueid_from_serial(serial: str, vendor: str = "") -> bytes:
    """RAND UEID of a serial number: anyone who knows vendor and serial can recompute it."""
    h = hashlib.sha256(_UEID_TAG + b"serial\x00" + vendor.encode() + b"\x00" + serial.encode())
    return bytes([UEID_RAND]) + h.digest()


def ueid_from_machine_id(machine_id: str) -> bytes:
    h = hashlib.sha256(_UEID_TAG + b"machine-id\x00" + machine_id.strip().lower().encode())
    return bytes([UEID_RAND]) + h.digest()


def ueid_from_mac(mac: str) -> bytes:
    octets = parse_mac(mac)
    if octets is None:
        raise ValueError(f"not a MAC address: {mac!r}")
    return bytes([UEID_EUI]) + octets


def ueid_from_imei(imei: str) -> bytes:
    digits = re.sub(r"[\s-]", "", imei)
    if not digits.isdigit() or len(digits) not in (14, 15, 16):
        raise ValueError("an IMEI has 14 digits (15 with its check digit, 16 as IMEISV)")
    return bytes([UEID_IMEI]) + bytes(int(d) for d in digits[:14])


def parse_mac(mac: str) -> Optional[bytes]:
    hexs = re.sub(r"[:\-.]", "", mac.strip())
    if len(hexs) != 12 or not re.fullmatch(r"[0-9a-fA-F]{12}", hexs):
        return None
    return bytes.fromhex(hexs)


def is_universal_mac(octets: bytes) -> bool:
    """IEEE-assigned (not locally administered), unicast, not all zeros."""
    return bool(octets) and not (octets[0] & 0x03) and any(octets)


@dataclass
class Ueid:
    value: Optional[bytes] = None
    source: str = ""        # "imei", "serial", "mac", "machine-id"
    where: str = ""         # device path or interface the identifier came from
    tried: List[str] = field(default_factory=list)  # why earlier choices were not used

    @property
    def type_name(self) -> Optional[str]:
        return UEID_TYPE_NAMES.get(self.value[0]) if self.value else None


def _live_macs(ctx) -> List[Tuple[str, str]]:
    """(interface, mac) of live interfaces, physical ones first, by name."""
    try:
        from ..facts import netifs  # the shared interfaces reader, when present
        ifs = ctx.fact(netifs.read)
        pairs = [(i.name, i.mac) for i in ifs.items if i.mac and not i.loopback]
    except Exception:  # reader missing or broken: ask psutil directly
        try:
            import psutil
            pairs = [(name, a.address) for name, addrs in sorted(psutil.net_if_addrs().items())
                     for a in addrs if a.family == psutil.AF_LINK and a.address and name != "lo"]
        except (ImportError, OSError):
            return []
    phys = [p for p in pairs if ctx.root.exists(f"/sys/class/net/{p[0]}/device")]
    rest = [p for p in pairs if p not in phys]
    return sorted(phys) + sorted(rest)


def derive_ueid(ctx, ident) -> Ueid:
    from ..facts import identity

    out = Ueid()
    product = ctx.config.product
    imei_source = getattr(product, "imei_source", "")
    if imei_source:
        text = ctx.root.text(imei_source, 4096)
        if text is None:
            out.tried.append(f"imei: {imei_source} unreadable")
        else:
            try:
                out.value, out.source, out.where = ueid_from_imei(identity.clean(text)), "imei", imei_source
                return out
            except ValueError as exc:
                out.tried.append(f"imei: {imei_source}: {exc}")
    serial = (ident.serial or "").strip()
    if serial and serial.lower() not in JUNK_SERIALS and serial.isprintable():
        out.value, out.source, out.where = ueid_from_serial(serial, product.vendor), "serial", ident.serial_source or ""
        return out
    out.tried.append("serial: " + ("placeholder value, not a serial number" if serial else
                                   "none declared" if not ctx.live else "none found"))
    if ctx.live:
        macs = _live_macs(ctx)
        for name, mac in macs:
            octets = parse_mac(mac)
            if octets and is_universal_mac(octets):
                out.value, out.source, out.where = bytes([UEID_EUI]) + octets, "mac", name
                return out
        out.tried.append("mac: no universally administered MAC on any interface")
    else:
        for mac in product.mac_addresses:
            octets = parse_mac(mac)
            if octets and any(octets):
                out.value, out.source, out.where = bytes([UEID_EUI]) + octets, "mac", "product.mac_addresses"
                return out
        out.tried.append("mac: none declared (product.mac_addresses)")
    if ctx.live and ident.machine_id and re.fullmatch(r"[0-9a-fA-F]{32}", ident.machine_id):
        out.value, out.source, out.where = ueid_from_machine_id(ident.machine_id), "machine-id", "/etc/machine-id"
        return out
    out.tried.append("machine-id: " + ("an offline image's machine-id names the image, not a unit"
                                       if not ctx.live else "missing or not 32 hex digits"))
    return out


# ---------------------------------------------------------------- claims and subjects
def check_nonce(nonce: Optional[str]) -> Optional[str]:
    if nonce is None:
        return None
    if not isinstance(nonce, str) or not nonce or len(nonce) > MAX_NONCE or not nonce.isprintable():
        raise RunError(f"--nonce must be 1-{MAX_NONCE} printable characters")
    return nonce


def parse_image_digest(value: str, config_path: Optional[str] = None) -> Dict[str, str]:
    m = re.fullmatch(r"(sha256|sha384|sha512):([0-9a-fA-F]+)", value.strip())
    if not m or len(m.group(2)) != _DIGEST_LENGTHS[m.group(1)]:
        raise RunError(f"firmware.image_digest {value!r} is not 'sha256:<64 hex digits>' "
                       "(or sha384/sha512)", config_path)
    return {m.group(1): m.group(2).lower()}


def boot_id(ctx) -> Tuple[Optional[str], str]:
    if not ctx.live:
        return None, "offline (--root) build-time run: the image has not booted, there is no boot_id"
    from ..facts.identity import BOOT_ID, boot_id as read_boot_id

    bid = read_boot_id(ctx.root)
    return (bid, "") if bid else (None, f"{BOOT_ID} unreadable")


def report_dict(report) -> Dict[str, Any]:
    from ..report import escape

    return escape.tree(report) if isinstance(report, dict) else report.to_dict()


def build(ctx, report, nonce: Optional[str], signer=None, now: Optional[float] = None) -> Dict[str, Any]:
    """The Statement (a dict) for this run's report."""
    from ..facts import identity

    nonce = check_nonce(nonce)
    ident = ctx.fact(identity.read)
    rep = report_dict(report)
    absent: Dict[str, str] = {}
    claims: Dict[str, Any] = {"eat_nonce": nonce, "iat": int(time.time() if now is None else now)}
    if nonce is None:
        absent["eat_nonce"] = "no --nonce given"
    ueid = derive_ueid(ctx, ident)
    claims["ueid"] = b64url(ueid.value) if ueid.value else None
    if not ueid.value:
        absent["ueid"] = "no device identifier: " + "; ".join(ueid.tried)
    model = ident.model or ctx.config.product.model or None
    hw_encoding = None
    claims["hwmodel"] = None
    if model:
        claims["hwmodel"], hw_encoding = hwmodel_claim(model)
    else:
        absent["hwmodel"] = "the device shows no model and none is declared (product.model)"
    claims["swname"] = ident.firmware_name or None
    if not claims["swname"]:
        absent["swname"] = "no firmware.name declared and os-release has no NAME"
    claims["swversion"] = [ident.firmware_version] if ident.firmware_version else None
    if not claims["swversion"]:
        absent["swversion"] = ident.version_error or "no firmware version"
    claims["boot_id"], why = boot_id(ctx)
    if why:
        absent["boot_id"] = why

    subjects: List[Dict[str, Any]] = []
    if ueid.value:
        subjects.append({"name": "device", "digest": {"sha256": hashlib.sha256(ueid.value).hexdigest()},
                         "annotations": {"ueid": claims["ueid"], "ueid_type": ueid.type_name}})
    fw = ctx.config.firmware
    src = ctx.root.read(fw.version_source, 65536)
    if src.ok:
        subjects.append({"name": "firmware:version-source",
                         "digest": {"sha256": hashlib.sha256(src.data).hexdigest()},
                         "annotations": {"path": fw.version_source, "swversion": ident.firmware_version}})
    if fw.image_digest:
        subjects.append({"name": "firmware:image",
                         "digest": parse_image_digest(fw.image_digest, ctx.config.path)})
    image = (rep.get("target") or {}).get("image")
    if isinstance(image, dict) and image.get("sha256"):  # --image: the file that was read
        subjects.append({"name": "firmware:image-file", "digest": {"sha256": image["sha256"]},
                         "annotations": {"path": image.get("path"), "format": image.get("format")}})
    if not subjects:
        canon = json.dumps(rep, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        subjects.append({"name": "report", "digest": {"sha256": hashlib.sha256(canon.encode()).hexdigest()}})

    meta: Dict[str, Any] = {
        "claims": list(CLAIMS),
        "ueid_type": ueid.type_name, "ueid_source": ueid.source or None, "ueid_from": ueid.where or None,
        "hwmodel_text": model, "hwmodel_encoding": hw_encoding,
        "absent": absent,
    }
    if signer is not None:  # kind and, for a TPM/PKCS#11 key, its provenance (bound to nonce, iat)
        meta["signer"] = signer.describe(nonce, claims["iat"])
        quote = signer.quote(nonce, claims["iat"])
        if quote is not None:
            meta["measured_boot"] = quote
    predicate = dict(rep)
    predicate.update({k: v for k, v in claims.items() if v is not None})
    predicate["attestation"] = meta
    return {"_type": STATEMENT_TYPE, "subject": subjects, "predicateType": PREDICATE_TYPE,
            "predicate": predicate}


def claims_of(predicate: Optional[dict]) -> Dict[str, Any]:
    """The seven EAT claims of a predicate (None where absent)."""
    p = predicate if isinstance(predicate, dict) else {}
    return {k: p.get(k) for k in CLAIMS}
