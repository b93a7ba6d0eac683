"""jcstar-agent micro-agent: the JC-STAR ★1 self-check on a MicroPython board (ESP32, Pico W).

MicroPython-only module (runs on CPython too for nothing but its own tests); deployed by
``jcstar-agent mcu deploy`` beside ``jca_cfg.json`` (the board TOML converted on the host),
``jca_cat.json`` (the criterion catalogue) and ``jca_pw.txt`` (the bundled default passwords)::

    import jca_agent
    jca_agent.check("jca_report.json")               # report v1 (16 criteria, in order)
    jca_main.attest("nonce", "jca_env.json", now)      # check, drop the check code, sign

Paths in the report are flash paths ("/secrets.py"), relative to the folder the agent runs in
(the flash root on a board). Never a secret in the output: files, key names and where a
password came from, never a value. Reads are bounded (files, sizes, depth).
"""
import os
import sys
import json
import time

import gc

CFG, CAT, PW, STATE, KEY = "jca_cfg.json", "jca_cat.json", "jca_pw.txt", "jca_state.json", "jca_key.bin"
SPOOL = "jca_crit.tmp"  # the criteria of the run in progress, one JSON line each
WEBREPL_PORT = 8266


def _finding(check, severity, message, evidence=None):
    return {"check": check, "severity": severity, "message": message, "evidence": evidence or {}}


def _outcome(verdict, reason, findings=None):
    return (verdict, reason, findings or [])


def _from_findings(findings, pass_reason):
    problems = [f for f in findings if f["severity"] != "info"]
    if problems:
        if len(problems) == 1:
            return _outcome("fail", problems[0]["message"], findings)
        return _outcome("fail", "%d problems; first: %s" % (len(problems), problems[0]["message"]),
                        findings)
    return _outcome("pass", pass_reason, findings)


def _hex(b):
    return "".join("%02x" % x for x in b)


def _path(root, name):
    if root is None:
        return name
    return (root.rstrip("/") + "/" + name) if root not in ("", "/") else "/" + name


class Facts:
    """The board's facts (jca_facts.gather) as attributes: ``ctx.board.ap_active``."""

    def __init__(self, d):
        self._d = d

    def __getattr__(self, name):
        try:
            return self._d[name]
        except KeyError:
            raise AttributeError(name)


def gather(cfg, root=None):
    """jca_facts.gather, with jca_facts dropped from RAM afterwards (only plain data stays)."""
    import jca_facts
    facts = jca_facts.gather(cfg, root)
    jca_facts = None
    if "jca_facts" in sys.modules:
        del sys.modules["jca_facts"]
    gc.collect()
    return facts


# ---------------------------------------------------------------- criteria
class Ctx:
    def __init__(self, cfg, root, facts):
        self.cfg = cfg
        self.root = root
        self.board = b = Facts(facts)
        self.new_state = None
        self.secrets, self.walk_cut, self.guessed = b.secrets, b.walk_cut, b.guessed
        # WebREPL's password given in the code (webrepl.start(password=...)), not webrepl_cfg.py
        self.webrepl_pw_in = [p for p, kv, _ in self.secrets if [k for k, _ in kv if "webrepl.start" in k]]
        self.app_version, self.version_error, self.version_bytes = b.app_version, b.version_error, b.version_bytes

    def listeners(self):
        return self.cfg.get("listeners", [])

    def netfs(self):
        """[(what, evidence)]: network paths that read the flash's files (WebREPL; an FTP or
        HTTP file server in the code; a declared file-serving listener)."""
        out = []
        if self.board.webrepl:
            out.append(("WebREPL (tcp/%d) reads and writes any flash file" % WEBREPL_PORT,
                        {"service": "webrepl", "port": WEBREPL_PORT}))
        for path, name in self.board.netfs:
            out.append(("%s uses %s (serves flash files over the network)" % (path, name),
                        {"path": path, "name": name}))
        for li in self.listeners():
            purpose = (li.get("purpose") or "").lower()
            if li.get("port") in (20, 21, 69) or "ftp" in purpose or "file" in purpose:
                out.append(("declared listener %s/%s (%s) serves files" % (li.get("proto", "tcp"), li.get("port"),
                                                                         li.get("purpose") or "ftp"),
                            {"proto": li.get("proto", "tcp"), "port": li.get("port")}))
        return out

    def declared_listener(self, port):
        for li in self.listeners():
            if li.get("port") == port and li.get("proto", "tcp") == "tcp":
                return li
        return None

    def login(self, name):
        for lg in self.cfg.get("logins", []):
            if lg.get("name") == name:
                return lg
        return None

    def items(self, cid):
        """The enumerated item keys of criterion ``cid`` from the catalogue, read when a declared
        document needs them: only that criterion's line is parsed."""
        import jca_report
        want = '"id":"%s"' % cid
        for line in jca_report.lines(_path(self.root, CAT)):
            if want in line:
                return jca_report.json.loads(line).get("items", [])
        return []

    def docs(self, cid):
        return [d for d in self.cfg.get("documents", []) if d.get("criterion") == cid]


def c01(ctx):
    b, f = ctx.board, []
    if b.ap_active and b.ap_security in (b.sec_open, b.sec_wep):
        kind = "open (no password)" if b.ap_security == b.sec_open else "WEP (broken)"
        f.append(_finding("WIFI-AP-OPEN", "high",
                          "the Wi-Fi access point is %s: anyone in range reaches the board over IP"
                          % kind, {"interface": "network.AP_IF", "ssid": b.ap_ssid, "security": b.ap_security}))
    if b.webrepl and not b.webrepl_cfg and not ctx.webrepl_pw_in:
        f.append(_finding("WEBREPL-NO-PASSWORD", "high",
                          "WebREPL is started but no password is set: /webrepl_cfg.py is missing and "
                          "webrepl.start() is given none",
                          {"path": "/webrepl_cfg.py", "started_by": b.webrepl_started_by}))
    for li in ctx.listeners():
        ev = {"proto": li.get("proto", "tcp"), "port": li.get("port")}
        if li.get("auth") == "none":
            f.append(_finding("LISTENER-NO-AUTH-DECLARED", "high",
                              "listener %s/%s is declared without authentication" % (ev["proto"], ev["port"]), ev))
        elif li.get("auth"):
            f.append(_finding("LISTENER-AUTH-DECLARED", "info", "listener %s/%s: %s"
                              % (ev["proto"], ev["port"], li.get("auth")), ev))
        else:
            f.append(_finding("LISTENER-AUTH-UNDECLARED", "medium", "listener %s/%s declares no auth"
                              % (ev["proto"], ev["port"]), ev))
    if b.webrepl and ctx.webrepl_pw_in:
        f.append(_finding("WEBREPL-PASSWORD", "info", "WebREPL asks for the password given to webrepl.start() "
                          "in %s" % ", ".join(ctx.webrepl_pw_in), {"path": ctx.webrepl_pw_in[0], "port": WEBREPL_PORT}))
    elif b.webrepl and b.webrepl_cfg:
        f.append(_finding("WEBREPL-PASSWORD", "info", "WebREPL asks for the password in /webrepl_cfg.py",
                          {"path": "/webrepl_cfg.py", "port": WEBREPL_PORT}))
    problems = [x for x in f if x["severity"] != "info"]
    if not problems and not ctx.listeners() and not b.webrepl:
        return _outcome("manual", "MicroPython cannot list the app's sockets: declare every listener "
                        "in [[listeners]] with its auth (or S1.1-01 in [not_applicable] with the reason)", f)
    return _from_findings(f, "WebREPL, access point and declared listeners require authentication")


def c02(ctx):
    f = []
    for path, kv, _ in ctx.secrets:
        for key, value in kv:
            label = ctx.guessed.get(value)
            ev = {"path": path, "key": key}
            if label:
                ev["source"] = label
                f.append(_finding("CRED-DEFAULT-PASSWORD", "high",
                                  "%s in %s is a well-known or guessable password (%s)" % (key, path, label), ev))
            elif (path == "/webrepl_cfg.py" or "webrepl.start" in key) and len(value) < 6:
                f.append(_finding("CRED-SHORT-PASSWORD", "high",
                                  "the WebREPL password in %s is shorter than 6 characters" % path, ev))
    b = ctx.board
    if b.ap_active and (b.ap_ssid or "").startswith("MicroPython-") and not [
            k for _, kv, _ in ctx.secrets for k, _ in kv if "config(" in k]:
        # the ESP8266 port starts its AP as MicroPython-xxxxxx with the password micropythoN
        f.append(_finding("CRED-DEFAULT-PASSWORD", "high",
                          "the access point %s runs with the firmware's default password: no code sets one "
                          "(ap.config(password=...))" % b.ap_ssid,
                          {"interface": "network.AP_IF", "ssid": b.ap_ssid,
                           "source": "MicroPython ESP8266 default access point password"}))
    if not ctx.secrets and f:
        return _from_findings(f, "")
    if not ctx.secrets:
        if ctx.walk_cut:
            return _outcome("manual", "no credential found, but the flash walk was cut: " + ctx.walk_cut, f)
        return _outcome("manual", "no password found on the flash: declare the product's logins in "
                        "[[logins]] (default_password = unique|forced-change) or S1.1-02 in [not_applicable]", f)
    return _from_findings(f, "%d credential(s) on the flash are none of the bundled, vendor or "
                          "device-derived candidates" % sum(len(kv) for _, kv, _ in ctx.secrets))


def c03(ctx):
    f = []
    for lg in ctx.cfg.get("logins", []):
        if lg.get("change"):
            f.append(_finding("LOGIN-CHANGE-DECLARED", "info", "login %s: changed by %s"
                              % (lg.get("name"), lg.get("change")), {"login": lg.get("name")}))
    if ctx.board.webrepl and not ctx.login("webrepl"):
        return _outcome("manual", "WebREPL's password is changed only over the USB REPL (import "
                        "webrepl_setup): declare a [[logins]] name = \"webrepl\" with change = how users do it", f)
    if not f:
        return _outcome("manual", "declare each network login in [[logins]] with change = the command "
                        "or endpoint users change it with", f)
    return _outcome("pass", "every declared login declares how users change it", f)


def c04(ctx):
    p = ctx.cfg.get("product", {})
    if p.get("constrained") and p.get("constrained_reason"):
        return _outcome("na", "constrained device: " + p["constrained_reason"])
    f = []
    if ctx.board.webrepl or ctx.board.webrepl_cfg:
        lg = ctx.login("webrepl")
        if lg and lg.get("lockout"):
            f.append(_finding("AUTH-BRUTEFORCE-DECLARED", "info", "WebREPL guard declared: " + lg["lockout"],
                              {"login": "webrepl"}))
        else:
            f.append(_finding("AUTH-BRUTEFORCE-UNPROTECTED", "high",
                              "WebREPL has no lockout or delay after wrong passwords (tcp/%d)" % WEBREPL_PORT,
                              {"login": "webrepl", "port": WEBREPL_PORT, "path": "/webrepl_cfg.py"}))
    for lg in ctx.cfg.get("logins", []):
        if lg.get("name") == "webrepl":
            continue
        if lg.get("lockout"):
            f.append(_finding("AUTH-BRUTEFORCE-DECLARED", "info", "login %s: %s" % (lg.get("name"), lg["lockout"]),
                              {"login": lg.get("name")}))
        else:
            f.append(_finding("AUTH-BRUTEFORCE-UNPROTECTED", "high", "login %s declares no lockout"
                              % lg.get("name"), {"login": lg.get("name")}))
    if not f:
        return _outcome("manual", "no network login seen: declare [[logins]] with lockout, or S1.1-04 in "
                        "[not_applicable], or product.constrained with constrained_reason")
    return _from_findings(f, "every network login has a declared lockout or delay")


def _docs(ctx, cid, what):
    docs = ctx.docs(cid)
    if not docs:
        return _outcome("manual", "no %s declared: add a [[documents]] entry with criterion = \"%s\" and "
                        "its url and/or file + sha256 to the board config" % (what, cid))
    f = []
    for d in docs:
        ev = {"title": d.get("title", ""), "url": d.get("url", ""), "file": d.get("file", ""),
              "sha256": d.get("sha256", "")}
        for prob in d.get("problems", []):
            f.append(_finding("DOC-DIGEST-MISMATCH" if "does not match" in prob else "DOC-UNVERIFIABLE",
                              "medium", prob, ev))
        f.append(_finding("DOC-REFERENCE", "info", "%s: %s" % (what, d.get("title") or d.get("url")
                                                                or d.get("file")), ev))
    items = ctx.items(cid)
    covered = set()
    for d in docs:
        covered.update(d.get("items") or items)
    for it in items:
        if it not in covered:
            f.append(_finding("DOC-ITEM-UNCOVERED", "medium", "%s item %s is covered by no declared document"
                              % (cid, it), {"criterion": cid, "item": it}))
    return _from_findings(f, "%s declared (digested on the host at deploy)" % what)


def c06(ctx):
    b, f = ctx.board, []
    f.append(_finding("FW-VERSION", "info", "MicroPython %s on %s" % (b.mpy_version, b.machine_name),
                      {"source": "sys.implementation", "version": b.mpy_version}))
    src = ctx.cfg.get("firmware", {}).get("version_source") or ""
    if ctx.app_version is None:
        f.append(_finding("FW-VERSION-UNREADABLE", "high", "the app version cannot be read: " + ctx.version_error,
                          {"path": src}))
    else:
        f.append(_finding("FW-VERSION", "info", "app version %s" % ctx.app_version,
                          {"path": src, "version": ctx.app_version}))
    up = ctx.cfg.get("update", {})
    if "ota_0" in b.ota and "ota_1" in b.ota:
        f.append(_finding("UPDATE-MECHANISM", "info", "OTA partitions %s (running %s)"
                          % (", ".join(b.ota), b.running), {"mechanism": "esp32-ota", "running": b.running}))
    elif up.get("mechanism") or up.get("command"):
        f.append(_finding("UPDATE-MECHANISM", "info", "declared update mechanism %s"
                          % (up.get("mechanism") or up.get("command")), {"mechanism": up.get("mechanism", "")}))
    else:
        f.append(_finding("UPDATE-MECHANISM-MISSING", "high",
                          "no OTA partitions (ota_0/ota_1) and no update mechanism declared "
                          "([update] mechanism = \"custom\" with command and description)", {"ota": b.ota}))
    return _from_findings(f, "versions readable from sys.implementation and %s on flash; updatable" % src)


def _efuse_unread(b):
    """The info finding saying where the eFuses were not read (ESP32 port only)."""
    if b.efuse is None and b.platform == "esp32":
        return [_finding("EFUSE-UNREAD", "info", "eFuse state not read, manual: " + b.efuse_manual,
                         {"platform": b.platform, "board": b.machine_name})]
    return []


def c08(ctx):
    b = ctx.board
    ev = _efuse_unread(b)
    e = b.efuse
    if e is not None:
        if e["secure_boot"]:
            ev.append(_finding("SECURE-BOOT", "info", "secure boot is on (eFuse, %s): the ROM verifies the "
                               "bootloader and the bootloader the firmware image before it runs; files on the "
                               "filesystem (.py, .mpy) are not covered" % e["chip"], {"efuse": e}))
        else:
            ev.append(_finding("SECURE-BOOT-OFF", "info", "secure boot is off (eFuse, %s): any firmware image "
                               "boots; to close it: enable Secure Boot v2 (ESP-IDF, espefuse)" % e["chip"], {"efuse": e}))
    up = ctx.cfg.get("update", {})
    if up.get("network") is False and up.get("description"):
        return _outcome("na", "no network update: " + up["description"], ev)
    if ctx.docs("S1.1-08"):
        verdict, reason, f = _docs(ctx, "S1.1-08", "update integrity description")
        return _outcome(verdict, reason, f + ev)
    return _outcome("manual", "a board cannot show how an update image is verified before it is applied: "
                    "declare it in a [[documents]] entry with criterion = \"S1.1-08\" (e.g. signed OTA image, "
                    "secure boot), or [update] network = false with description", ev)


def c10(ctx):
    declared = ctx.cfg.get("product", {}).get("model") or ""
    shown, src = ctx.board.model_shown, ctx.board.model_source
    f = [_finding("MODEL-SHOWN", "info", "the board's module: %s" % ctx.board.machine_name,
                  {"source": "os.uname().machine", "model": ctx.board.machine_name})]
    if not declared:
        return _outcome("manual", "declare product.model and product.model_source (a flash file the "
                        "product's UI or app shows)", f)
    if not src:
        return _outcome("manual", "model %s declared; declare product.model_source, the flash file the "
                        "UI shows it from, so the board can show it" % declared, f)
    if shown is None:
        f.append(_finding("MODEL-UNREADABLE", "high", "the model file %s is missing or unreadable" % src, {"path": src}))
    elif shown != declared:
        f.append(_finding("MODEL-MISMATCH", "high", "the board shows model %r, the declaration says %r"
                          % (shown, declared), {"path": src, "shown": shown, "declared": declared}))
    else:
        f.append(_finding("MODEL-SHOWN", "info", "model %s in %s" % (shown, src), {"path": src, "model": shown}))
    return _from_findings(f, "the board shows the declared model %s" % declared)


def c11(ctx):
    """A stored secret fails 11 when a network path reads the flash (★1 S1.1-11: protection of
    stored assets against network access); on unencrypted flash without one it is physical
    access only: info, with the fix named."""
    b, f = ctx.board, []
    enc = b.flash_encrypted
    if enc is None:
        f.append(_finding("FLASH-ENCRYPTION-UNKNOWN", "info", "flash encryption cannot be read on %s" % b.platform, {}))
    paths = ctx.netfs() if not enc else []
    via = "; ".join(w for w, _ in paths)
    fix = ("enable flash encryption (ESP32: idf.py / espefuse), or keep the secret off the filesystem"
           if b.platform != "rp2" else "keep the secret off the filesystem (RP2040 flash cannot be encrypted)")
    stored = [(p, [k for k, _ in kv]) for p, kv, _ in ctx.secrets]
    if ctx.board.key_on_flash:
        stored.append(("/" + KEY, ["attestation private key"]))
    for p, keys in stored:
        ev = {"path": p, "keys": keys, "flash_encrypted": enc}
        key = p == "/" + KEY
        if enc:
            f.append(_finding("KEY-PRIVATE-ENCRYPTED" if key else "SECRET-ON-ENCRYPTED-FLASH", "info",
                              "%s holds %s on encrypted flash" % (p, ", ".join(keys)), ev))
        elif paths:
            ev["network_paths"] = [e for _, e in paths]
            f.append(_finding("KEY-PRIVATE-READABLE" if key else "SECRET-PLAINTEXT-FLASH", "high",
                              "%s holds %s in plaintext on %s flash, and the network reads the flash: %s"
                              % (p, ", ".join(keys), "unencrypted" if enc is False else "possibly unencrypted", via), ev))
        else:
            f.append(_finding("SECRET-PHYSICAL-ACCESS", "info",
                              "%s holds %s in plaintext on %s flash: readable with physical access only (no "
                              "network path reads the flash); to close it: %s"
                              % (p, ", ".join(keys), "unencrypted" if enc is False else "possibly unencrypted", fix),
                              ev))
    if b.encryption_source:
        ev = {"encrypted": enc}
        if b.efuse is not None:
            ev["efuse"] = b.efuse
        f.append(_finding("FLASH-ENCRYPTION", "info", b.encryption_source, ev))
    f += _efuse_unread(b)
    if ctx.walk_cut and not [x for x in f if x["severity"] != "info"]:
        return _outcome("manual", "the flash walk was cut (%s): not everything was seen" % ctx.walk_cut, f)
    return _from_findings(f, "no stored secret reachable from the network (encrypted flash, or no network "
                          "path that reads the flash)")


def c12(ctx):
    f = []
    if ctx.board.webrepl:
        f.append(_finding("TRANSPORT-PLAINTEXT-SERVICE", "high",
                          "WebREPL (tcp/%d) is plain WebSocket: its password and the REPL cross the network "
                          "unencrypted" % WEBREPL_PORT, {"port": WEBREPL_PORT, "service": "webrepl"}))
    for li in ctx.listeners():
        ev = {"proto": li.get("proto", "tcp"), "port": li.get("port")}
        if ctx.board.webrepl and li.get("port") == WEBREPL_PORT and ev["proto"] == "tcp":
            continue  # WebREPL's own listener: said once, above
        if li.get("tls"):
            f.append(_finding("TRANSPORT-TLS-DECLARED", "info", "%s/%s speaks TLS" % (ev["proto"], ev["port"]), ev))
        else:
            f.append(_finding("TRANSPORT-PLAINTEXT-SERVICE", "medium", "declared listener %s/%s is not TLS"
                              % (ev["proto"], ev["port"]), ev))
    if not f:
        if ctx.docs("S1.1-12"):
            return _docs(ctx, "S1.1-12", "transport protection description")
        return _outcome("manual", "the board cannot see what the app sends: declare it in a [[documents]] "
                        "entry with criterion = \"S1.1-12\" (TLS to which endpoints)")
    return _from_findings(f, "every declared listener speaks TLS")


def c13(ctx):
    b, f = ctx.board, []
    iface = ctx.cfg.get("interfaces", {})
    if b.webrepl:
        li = ctx.declared_listener(WEBREPL_PORT)
        ev = {"proto": "tcp", "port": WEBREPL_PORT, "process": "webrepl", "started_by": b.webrepl_started_by}
        if li:
            f.append(_finding("SURFACE-LISTENER-DECLARED", "info", "WebREPL tcp/%d declared" % WEBREPL_PORT, ev))
        else:
            f.append(_finding("SURFACE-UNDECLARED-LISTENER", "high",
                              "WebREPL listens on tcp/%d and is not declared in [[listeners]]" % WEBREPL_PORT, ev))
    if b.ap_active:
        f.append(_finding("IFACE-WIFI-AP", "info", "Wi-Fi access point active", {"ssid": b.ap_ssid}))
    if b.ble_active:
        if iface.get("bluetooth"):
            f.append(_finding("IFACE-BLUETOOTH-DECLARED", "info", "BLE active, declared: %s"
                              % iface.get("reason", ""), {"interface": "bluetooth"}))
        else:
            f.append(_finding("IFACE-BLUETOOTH-ENABLED", "high",
                              "BLE is active (bluetooth.BLE().active()) but interfaces.bluetooth is not declared",
                              {"interface": "bluetooth"}))
    if not iface.get("usb_gadget"):
        f.append(_finding("IFACE-USB-REPL", "medium",
                          "the MicroPython REPL answers on the USB serial port without authentication; "
                          "declare interfaces.usb_gadget = true with reason, or disable it in the product firmware",
                          {"interface": "usb-repl"}))
    e = b.efuse
    if e is not None:  # debug and download ports: physical access only, so info with the fix named
        if e["jtag_disabled"]:
            f.append(_finding("DEBUG-JTAG-DISABLED", "info", "JTAG is disabled in eFuse (%s%s)" % (
                e["chip"], "" if e["jtag_hard_disabled"] else ", in the soft way: HMAC can re-enable it"), {"efuse": e}))
        else:
            f.append(_finding("DEBUG-JTAG-ENABLED", "info", "JTAG is not disabled in eFuse (%s): with physical "
                              "access a debugger reads RAM and flash; to close it: espefuse burn_efuse %s" % (
                                  e["chip"], "JTAG_DISABLE" if e["chip"] == "esp32" else "DIS_PAD_JTAG"),
                              {"efuse": e}))
        if e["download_mode"] == "enabled":
            f.append(_finding("DEBUG-UART-DOWNLOAD", "info", "UART download mode is enabled (%s): with physical "
                              "access esptool reads the flash; to close it: espefuse burn_efuse %s" % (
                                  e["chip"], "UART_DOWNLOAD_DIS" if e["chip"] == "esp32"
                                  else "ENABLE_SECURITY_DOWNLOAD (or DIS_DOWNLOAD_MODE)"), {"efuse": e}))
        else:
            f.append(_finding("DEBUG-UART-DOWNLOAD-CLOSED", "info", "UART download mode is %s (%s)"
                              % (e["download_mode"], e["chip"]), {"efuse": e}))
    f += _efuse_unread(b)
    f.append(_finding("SBOM-COMPONENT", "info", "MicroPython %s" % b.mpy_version,
                      {"name": "micropython", "version": b.mpy_version, "platform": b.platform}))
    return _from_findings(f, "WebREPL, radios and USB as declared; the app's own sockets cannot be listed "
                          "by MicroPython and are taken from [[listeners]]")


def _vkey(v):
    try:
        return [int(x) for x in v.split(".")]
    except ValueError:
        return None


def c14(ctx, state):
    f = []
    if ctx.app_version is None and not ctx.secrets:
        return _outcome("error", "found neither the app version file nor a credential file to follow across boots")
    hist = state.get("history", [])
    cur = {"mpy": ctx.board.mpy_version, "app": ctx.app_version,
           "creds": dict((p, fp) for p, _, fp in ctx.secrets)}
    for what, now in (("mpy", cur["mpy"]), ("app", cur["app"])):
        seen = [h.get(what) for h in hist if h.get(what)]
        if not seen or now is None:
            continue
        last = seen[-1]
        kn, kl = _vkey(now), _vkey(max(seen, key=lambda s: _vkey(s) or [0]) if all(_vkey(s) for s in seen) else last)
        older = (kn is not None and kl is not None and kn < kl) or (kn is None and now != last and now in seen)
        if older:
            label = "MicroPython firmware" if what == "mpy" else "app"
            f.append(_finding("STATE-VERSION-REVERTED", "high",
                              "the %s version went back to %s after %s was recorded (state file /%s)"
                              % (label, now, last if kn is None or kl is None else ".".join(str(x) for x in kl), STATE),
                              {"component": what, "version": now, "recorded": seen[-3:], "path": "/" + STATE}))
    for p, fp in cur["creds"].items():
        seen = [h.get("creds", {}).get(p) for h in hist if h.get("creds", {}).get(p)]
        if seen and fp != seen[-1] and fp in seen:
            f.append(_finding("STATE-CREDENTIAL-REVERTED", "high",
                              "the credentials in %s went back to an earlier content (fingerprint recorded before)"
                              % p, {"path": p, "sha256": fp}))
    f.append(_finding("STATE-RECORDED", "info", "versions and credential fingerprints recorded (%d earlier runs)"
                      % len(hist), {"path": "/" + STATE, "runs": len(hist)}))
    ctx.new_state = cur
    return _from_findings(f, "versions and credential files on flash (persistent); no revert since the "
                          "%d earlier recorded run(s)" % len(hist) if hist else
                          "versions and credential files on flash (persistent); first run recorded")


def c15(ctx):
    er = ctx.cfg.get("erase", {})
    if er.get("command"):
        return _outcome("manual", "erase mechanism %s declared; the micro-agent cannot run it on the board: "
                        "show with the factory reset test that it removes data, settings and credentials "
                        "and keeps the firmware version" % er["command"])
    return _outcome("manual", "declare the factory reset ([erase] command and the data, settings and "
                    "credential paths it removes)")


def c16(ctx):
    return _docs(ctx, "S1.1-16", "user information")


# ---------------------------------------------------------------- report
def _load_json(root, name, default):
    try:
        with open(_path(root, name)) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return default


def _iso(t):
    tm = time.gmtime(int(t))
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % tm[:6]


def now_epoch(host_now=None):
    """Unix seconds: the board clock when it is set, else the host's (given at attest time)."""
    t = time.time()
    if t < 1600000000 and host_now:
        return float(host_now)
    return t


def run(root=None, host_now=None, record=True, spool=SPOOL, facts=None):
    """(report dict, ctx) for the board at ``root`` (default: the current folder).

    With ``spool`` (a flash file name) each criterion is written there as one JSON line as soon
    as it is decided and not kept: ``report["criteria"]`` is then that file's path, which
    jca_report.write_report streams from. The findings of 16 criteria are never in RAM together.
    ``facts`` (jca_facts.gather) are gathered here when not given (jca_main gathers them first,
    with this module not yet loaded)."""
    t0 = time.ticks_ms()
    cfg = _load_json(root, CFG, {})
    if facts is None:
        facts = gather(cfg, root)
    ctx = Ctx(cfg, root, facts)
    facts = None
    state = _load_json(root, STATE, {})
    ctx.new_state = None
    na = cfg.get("not_applicable", {})
    psti = cfg.get("product", {}).get("psti_compliant")
    funcs = {"S1.1-01": c01, "S1.1-02": c02, "S1.1-03": c03, "S1.1-04": c04,
             "S1.1-05": lambda c: _docs(c, "S1.1-05", "vulnerability disclosure policy"),
             "S1.1-06": c06, "S1.1-07": lambda c: _docs(c, "S1.1-07", "update procedure"),
             "S1.1-08": c08, "S1.1-09": lambda c: _docs(c, "S1.1-09", "security update policy"),
             "S1.1-10": c10, "S1.1-11": c11, "S1.1-12": c12, "S1.1-13": c13,
             "S1.1-14": lambda c: c14(c, state), "S1.1-15": c15, "S1.1-16": c16}
    criteria = []
    spooled = _path(root, spool) if spool else ""
    sp = open(spooled, "w") if spooled else None
    summary = {"pass": 0, "fail": 0, "na": 0, "manual": 0, "error": 0}
    for i in range(1, 17):
        cid = "S1.1-%02d" % i
        try:
            if psti and cid in ("S1.1-02", "S1.1-05", "S1.1-16"):
                verdict, reason, findings = _outcome("na", "the product complies with UK PSTI "
                                                     "(product.psti_compliant): exempt since 2026-01-01")
            elif cid in na:
                verdict, reason, findings = _outcome("na", na[cid])
            else:
                verdict, reason, findings = funcs[cid](ctx)
        except Exception as exc:  # noqa: BLE001 — one criterion's error never stops the run
            verdict, reason, findings = _outcome("error", "%s: %s" % (type(exc).__name__, exc))
        summary[verdict] += 1
        # title, methods, refs: merged from the catalogue when written (write_report)
        c = {"id": cid, "verdict": verdict, "reason": reason, "findings": findings}
        if sp is None:
            criteria.append(c)
        else:
            json.dump(c, sp)
            sp.write("\n")
        c = findings = reason = None
        gc.collect()  # each criterion's temporaries go before the next: less fragmentation
    if sp is not None:
        sp.close()
    b = ctx.board
    now = now_epoch(host_now)
    elapsed = time.ticks_diff(time.ticks_ms(), t0) / 1000
    report = {
        "schema": "jcstar-agent/report/v1",
        "agent": {"name": "jcstar-agent", "version": cfg.get("agent_version", "0"), "edition": "micropython"},
        "target": {"mode": "micropython", "root": "/", "platform": b.platform, "board": b.machine_name,
                   "model": cfg.get("product", {}).get("model") or None,
                   "firmware_version": ctx.app_version or None, "micropython": b.mpy_version,
                   "flash_encrypted": b.flash_encrypted},
        "config": cfg.get("config", {"path": None, "sha256": None}),
        "summary": summary,
        "criteria": spooled or criteria,
        "generated_at": _iso(now),
        "duration_seconds": elapsed if elapsed > 0 else 0,
    }
    if b.errors:
        report["board_errors"] = b.errors
    if record and ctx.new_state is not None:
        hist = state.get("history", [])
        entry = ctx.new_state
        entry["t"] = int(now)
        if not hist or any(hist[-1].get(k) != entry.get(k) for k in ("mpy", "app", "creds")):
            hist.append(entry)
        state["history"] = hist[-8:]
        try:
            with open(_path(root, STATE), "w") as fh:
                json.dump(state, fh)
        except OSError as exc:
            report["board_errors"] = report.get("board_errors", []) + ["state file: %s" % exc]
    return report, ctx


def check(out=None, root=None, host_now=None):
    """Run the checks; write the report JSON to ``out`` (flash path) or print it."""
    import jca_report
    report, _ = run(root, host_now)
    if out:
        with open(_path(root, out), "w") as fh:
            jca_report.write_report(fh, report, _path(root, CAT))
    else:
        jca_report.write_report(sys.stdout, report, _path(root, CAT))
        print()
    drop_spool(report)
    return report["summary"]


def drop_spool(report):
    if isinstance(report.get("criteria"), str):
        try:
            os.remove(report["criteria"])
        except OSError:
            pass


def sign_facts(ctx):
    """What the statement needs from this run, as plain data (so the check code can be dropped
    from RAM before the signing code is loaded: see jca_main)."""
    b, cfg = ctx.board, ctx.cfg
    p = cfg.get("product", {})
    serial = b.serial
    return {"vendor": p.get("vendor", ""), "model": p.get("model") or None,
            "serial_source": p.get("serial_source") or "", "serial": serial,
            "macs": b.macs, "unique_id": b.unique_id,
            "swname": cfg.get("firmware", {}).get("name") or "",
            "version_source": cfg.get("firmware", {}).get("version_source") or "",
            "app_version": ctx.app_version, "version_error": ctx.version_error,
            "version_bytes": ctx.version_bytes, "root": ctx.root}


def attest(nonce=None, out="jca_env.json", host_now=None, root=None):
    """Check and sign in one call (see jca_main.attest for the low-memory sequence)."""
    import jca_sign
    report, ctx = run(root, host_now)
    return jca_sign.attest(report, sign_facts(ctx), nonce, out, now_epoch(host_now))
