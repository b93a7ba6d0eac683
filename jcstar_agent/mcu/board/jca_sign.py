"""Keys and the signed attestation of the micro-agent: the same DSSE envelope as the Linux agent.

``keygen()`` makes an Ed25519 key from ``os.urandom`` into ``/jca_key.bin`` (seed + public key;
never overwritten) and returns the public key as hex: only the public half leaves the board. On
an ESP32 Wi-Fi is on while it runs (the RNG is true-random only with RF on); ``RNG`` says how.
``prove(nonce)`` signs a host's fresh nonce, so the host can check that key before trusting it.
``attest()`` builds the in-toto Statement v1 (predicate = report v1 + the RFC 9711 EAT claims,
named and encoded as ``jcstar_agent.attest.statement`` writes them), writes the payload to a
flash file with ``json.dump``, signs ``PAE(payloadType, payload)`` by streaming that file through
SHA-512 (the payload is never held twice in RAM) and writes the envelope, base64 in chunks, in
the layout ``json.dumps(envelope, indent=2)`` gives on the host.
"""
import gc
import os
import json
import hashlib
from binascii import b2a_base64

# jca_ed25519 (and with it jca_sha512) is imported only where it is used: the payload is written
# before the signing code is loaded, so the two never share the heap.

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://jcstar-agent.dev/attestation/report/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
CLAIMS = ("eat_nonce", "iat", "ueid", "hwmodel", "swname", "swversion", "boot_id")
UEID_TAG = b"jcstar-agent/ueid/v1\x00"
KEY = "jca_key.bin"
PAYLOAD_TMP = "jca_payload.tmp"
SPKI_PREFIX = b"\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00"  # DER SubjectPublicKeyInfo head
PROOF_TAG = b"jcstar-agent/key-proof/v1\x00"  # = jcstar_agent.mcu.remote.PROOF_TAG
CHUNK = 384  # multiple of 3: base64 of each chunk joins without padding
RNG = ""  # how the last keygen's randomness was made (mcu keygen prints it)


def _hex(b):
    return "".join("%02x" % x for x in b)


def b64(data):
    return b2a_base64(data).decode().strip()


def b64url(data):
    return b64(data).replace("+", "-").replace("/", "_").rstrip("=")


def _path(root, name):
    if root is None:
        return name
    return (root.rstrip("/") + "/" + name) if root not in ("", "/") else "/" + name


def keygen(root=None):
    """Create the key file (refuses to overwrite); return the public key, hex."""
    p = _path(root, KEY)
    try:
        os.stat(p)
        raise OSError("%s already exists; keygen never overwrites a key" % p)
    except OSError as exc:
        if "already exists" in str(exc):
            raise
    import jca_ed25519
    w, was = _rf_on()
    try:
        seed, pub = jca_ed25519.generate()
    finally:
        if w is not None and not was:
            try:
                w.active(False)  # as it was before keygen
            except Exception:  # noqa: BLE001
                pass
    with open(p, "wb") as fh:
        fh.write(seed + pub)
    return _hex(pub)


def _rf_on():
    """(WLAN or None, was it active): on an ESP32 the hardware RNG behind os.urandom is
    true-random only while the RF subsystem (Wi-Fi or Bluetooth) runs (ESP32 TRM, "Random Number
    Generator"); Wi-Fi is started for keygen when it is off. RNG says which it was."""
    global RNG
    import sys
    if sys.platform != "esp32":
        RNG = "%s: os.urandom" % sys.platform
        return None, True
    try:
        import network
        w = network.WLAN(network.STA_IF)
        was = bool(w.active())
        if not was:
            w.active(True)
    except Exception as exc:  # noqa: BLE001 — no radio, or it fails to start: said, not hidden
        RNG = ("esp32: Wi-Fi could not be started (%s): the key was made without RF entropy "
               "(the hardware RNG was pseudo-random)" % exc)
        return None, True
    RNG = "esp32: Wi-Fi RF on while the key was made (the hardware RNG true-random)"
    return w, was


def load_key(root=None):
    with open(_path(root, KEY), "rb") as fh:
        data = fh.read(65)
    if len(data) != 64:
        raise ValueError("key file %s is not 64 bytes (seed + public key)" % KEY)
    return data[:32], data[32:]


def public_hex(root=None):
    return _hex(load_key(root)[1])


def prove(nonce, root=None):
    """Signature (hex) over PROOF_TAG + ``nonce`` with the board's key: the host checks after
    keygen that the public key the board reported is the one the board signs with. The tag keeps
    this signature from ever being a DSSE one (those sign "DSSEv1 ...")."""
    seed, pub = load_key(root)
    import jca_ed25519
    return _hex(jca_ed25519.sign(seed, (PROOF_TAG, nonce.encode()), pub))


def ueid(f):
    """(ueid bytes, source, where, tried): declared serial file, else a universal MAC, else
    machine.unique_id(), each as jcstar_agent.attest.statement makes them."""
    vendor = f["vendor"] or ""
    tried = []
    if f["serial_source"]:
        if f["serial"]:
            h = hashlib.sha256(UEID_TAG + b"serial\x00" + vendor.encode() + b"\x00" + f["serial"].encode())
            return b"\x01" + h.digest(), "serial", f["serial_source"], tried
        tried.append("serial: %s unreadable or empty" % f["serial_source"])
    for mac in f["macs"]:
        if mac and not (mac[0] & 0x03) and any(mac):
            return b"\x02" + mac, "mac", "network.WLAN.config('mac')", tried
    tried.append("mac: no universally administered MAC")
    if f["unique_id"]:
        serial = _hex(f["unique_id"])
        h = hashlib.sha256(UEID_TAG + b"serial\x00" + vendor.encode() + b"\x00" + serial.encode())
        return b"\x01" + h.digest(), "unique_id", "machine.unique_id()", tried
    tried.append("unique_id: machine.unique_id() unavailable")
    return None, "", "", tried


def statement(report, f, nonce, iat, keyid):
    """The Statement's head (dict without predicate) and the predicate (report + claims)."""
    absent = {}
    pred = report  # extended in place: the report is not needed separately afterwards
    if nonce is not None:
        pred["eat_nonce"] = nonce
    else:
        absent["eat_nonce"] = "no --nonce given"
    pred["iat"] = int(iat)
    u, usrc, uwhere, tried = ueid(f)
    utype = {1: "RAND", 2: "EUI"}.get(u[0]) if u else None
    if u:
        pred["ueid"] = b64url(u)
    else:
        absent["ueid"] = "no device identifier: " + "; ".join(tried)
    model = f["model"]
    enc = None
    if model:
        raw = model.encode()
        if 1 <= len(raw) <= 32:
            pred["hwmodel"], enc = b64url(raw), "utf-8"
        else:
            pred["hwmodel"], enc = b64url(hashlib.sha256(raw).digest()), "sha256"
    else:
        absent["hwmodel"] = "no product.model declared"
    pred["swname"] = f["swname"] or "MicroPython"
    if f["app_version"]:
        pred["swversion"] = [f["app_version"]]
    else:
        absent["swversion"] = f["version_error"] or "no firmware version"
    absent["boot_id"] = "a MicroPython board has no boot_id"
    pred["attestation"] = {
        "claims": list(CLAIMS), "ueid_type": utype, "ueid_source": usrc or None,
        "ueid_from": uwhere or None, "hwmodel_text": model, "hwmodel_encoding": enc,
        "absent": absent, "signer": {"keyid": keyid, "algorithm": "ed25519"}}
    subjects = []
    if u:
        subjects.append({"name": "device", "digest": {"sha256": _hex(hashlib.sha256(u).digest())},
                         "annotations": {"ueid": pred["ueid"], "ueid_type": utype}})
    if f["version_bytes"] is not None:
        subjects.append({"name": "firmware:version-source",
                         "digest": {"sha256": _hex(hashlib.sha256(f["version_bytes"]).digest())},
                         "annotations": {"path": f["version_source"], "swversion": f["app_version"]}})
    if not subjects:
        h = hashlib.sha256()
        if isinstance(report.get("criteria"), str):  # spooled by jca_agent.run: the criteria file
            _feeder(report["criteria"], 1 << 30)(h)
        else:
            h.update(json.dumps(report).encode())
        subjects.append({"name": "report", "digest": {"sha256": _hex(h.digest())}})
    return {"_type": STATEMENT_TYPE, "subject": subjects, "predicateType": PREDICATE_TYPE}, pred


def _feeder(path, size):
    def feed(h):
        buf = bytearray(512)
        mv = memoryview(buf)
        left = size
        with open(path, "rb") as fh:
            while left > 0:
                n = fh.readinto(buf)
                if not n:
                    break
                h.update(mv[:n])
                left -= n
    return feed


def attest(report, facts, nonce, out, iat, root=None):
    """Write the envelope to ``out``; return (keyid, size of the payload). ``report`` may be a
    dict {"report": ..., "facts": ...} (facts None) that is emptied here, so the report is
    freed once the payload file is written."""
    if facts is None:
        facts = report.pop("facts")
        report = report.pop("report")
    seed, pub = load_key(root)
    keyid = _hex(hashlib.sha256(SPKI_PREFIX + pub).digest())  # = jca_ed25519.keyid(pub)
    try:
        os.remove(_path(root, out))  # the previous envelope: room on a small flash
    except OSError:
        pass
    import jca_report
    spool = report.get("criteria")
    head, pred = statement(report, facts, nonce, iat, keyid)
    tmp = _path(root, PAYLOAD_TMP)
    with open(tmp, "w") as fh:
        fh.write("{")
        for k in ("_type", "subject", "predicateType"):
            fh.write(json.dumps(k) + ":" + json.dumps(head[k]) + ",")
        fh.write('"predicate":')
        jca_report.write_report(fh, pred, _path(root, "jca_cat.json"))
        fh.write("}")
    head = pred = report = facts = None
    gc.collect()
    size = os.stat(tmp)[6]
    pt = PAYLOAD_TYPE.encode()
    head = ("DSSEv1 %d %s %d " % (len(pt), PAYLOAD_TYPE, size)).encode()
    import jca_ed25519
    sig = jca_ed25519.sign(seed, (head, _feeder(tmp, size)), pub)
    jca_ed25519 = seed = None
    import sys
    for m in ("jca_ed25519", "jca_sha512"):  # signed: the signing code goes before the envelope
        sys.modules.pop(m, None)
    gc.collect()
    buf = bytearray(CHUNK)  # one buffer for the whole payload; base64 written as bytes
    mv = memoryview(buf)
    with open(_path(root, out), "wb") as env, open(tmp, "rb") as fh:
        env.write(b'{\n  "payload": "')
        while True:
            n = fh.readinto(buf)
            if not n:
                break
            env.write(b2a_base64(mv[:n], newline=False))  # pyright: ignore[reportArgumentType] (any buffer)
        env.write(('",\n  "payloadType": "%s",\n  "signatures": [\n    {\n      "keyid": "%s",\n'
                   '      "sig": "%s"\n    }\n  ]\n}\n' % (PAYLOAD_TYPE, keyid, b64(sig))).encode())
    os.remove(tmp)
    if isinstance(spool, str):
        try:
            os.remove(spool)  # the criteria jca_agent.run spooled: in the payload now
        except OSError:
            pass
    return keyid, size
