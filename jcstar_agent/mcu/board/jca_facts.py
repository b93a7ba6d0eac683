"""Facts of the micro-agent: what a MicroPython board shows, gathered before any verdict.

MicroPython-only module (runs on CPython too for its own tests). ``gather(cfg, root)`` reads the
board (platform, identity, radios, WebREPL, partitions) and walks its flash for secrets — with a
small tokenizer (``Scan``) for Python and JSON sources — and returns plain data (dicts, lists,
strings): no object of this module survives, so the caller drops the module from RAM before the
criteria code (jca_agent) is loaded; the two never share the heap (see jca_main.attest)::

    import jca_facts
    facts = jca_facts.gather(cfg)        # {"platform": "esp32", "secrets": [...], ...}

Secret values stay in RAM only (compared with candidates here), never in a fact that is printed.
"""
import os
import sys

import hashlib

VERSION_FILE_MAX = 4096
SECRET_FILE_MAX = 16384
WALK_MAX_FILES = 200
WALK_MAX_DEPTH = 4
OWN = ("jca_",)
PW, KEY = "jca_pw.txt", "jca_key.bin"
SECRET_NAMES = ("secrets.py", "secret.py", "config.json", "config.py", "settings.json", "settings.py",
                "wifi.json", "wifi.py", "credentials.json", "credentials.py", "env.json", ".env",
                "webrepl_cfg.py")
SECRET_KEYS = ("pass", "psk", "secret", "token", "apikey", "api_key", "key", "authorization")
# names in a source that serve flash files over the network: an FTP server (uftpd), a web
# framework's file response (microdot/phew/tinyweb send_file, serve_file, static folders)
NETFS_NAMES = ("uftpd", "ftpserver", "ftp_server", "send_file", "serve_file", "send_from_directory",
               "static_folder")
LINE_MAX = 2048  # bytes of one source line the tokenizer sees at once
# the Board attributes handed on as facts
BOARD_FACTS = ("platform", "mpy_version", "machine_name", "unique_id", "errors", "has_network", "ap_active",
               "ap_security", "ap_ssid", "sta_active", "macs", "sec_open", "sec_wep", "ble_present",
               "ble_active", "webrepl_started_by", "webrepl_running", "webrepl_cfg", "webrepl",
               "flash_encrypted", "encryption_source", "ota", "running", "efuse", "efuse_manual")
# eFuse block 0 as each chip's ROM shows it, read-only with machine.mem32: {chip: (address of
# block 0's first read register, {field: (word, first bit, bits)})}. Addresses and fields from
# Espressif's espefuse definitions (esptool espefuse/efuse/<chip>/mem_definition.py: BLOCK0
# read registers; espefuse/efuse_defs/<chip>.yaml: word, pos, len), which follow the TRMs.
# ESP32: EFUSE_BLK0_RDATA0_REG at DR_REG_EFUSE_BASE 0x3FF5A000; the others: EFUSE_RD_WR_DIS_REG
# at DR_REG_EFUSE_BASE + 0x2C (ESP32-S2 0x3F41A000, ESP32-S3 0x60007000, ESP32-C3 0x60008800).
EFUSE = {
    "esp32": (0x3FF5A000, {"crypt": (0, 20, 7),  # FLASH_CRYPT_CNT: odd number of bits = on
                           "dl_dis": (0, 27, 1),  # UART_DOWNLOAD_DIS (ESP32 v3 and newer)
                           "sb": (6, 4, 1), "sb2": (6, 5, 1),  # ABS_DONE_0 (v1), ABS_DONE_1 (v2)
                           "jtag_hard": (6, 6, 1)}),  # JTAG_DISABLE
    "esp32s2": (0x3F41A02C, {"crypt": (2, 18, 3), "sb": (3, 20, 1), "jtag_hard": (1, 18, 1),
                             "jtag_soft": (1, 17, 1), "dl_dis": (4, 0, 1), "dl_secure": (4, 5, 1)}),
    "esp32s3": (0x6000702C, {"crypt": (2, 18, 3), "sb": (3, 20, 1), "jtag_hard": (1, 19, 1),
                             "jtag_soft": (1, 16, 3), "usb_jtag_dis": (3, 22, 1), "dl_dis": (4, 0, 1),
                             "dl_secure": (4, 5, 1)}),
    "esp32c3": (0x6000882C, {"crypt": (2, 18, 3), "sb": (3, 20, 1), "jtag_hard": (1, 19, 1),
                             "jtag_soft": (1, 16, 3), "usb_jtag_dis": (1, 9, 1), "dl_dis": (4, 0, 1),
                             "dl_secure": (4, 5, 1)}),
}


def esp_chip(name):
    """"esp32", "esp32s2", "esp32s3", "esp32c3" from the board's machine name ("Generic ESP32S3
    module with ESP32S3"), or None for another chip (C2, C6, H2, P4 ...: no table here)."""
    n = name.upper().replace("-", "")
    i = n.find("ESP32")
    other = False
    while i >= 0:
        nxt = n[i + 5:i + 7]
        if nxt in ("S2", "S3", "C3"):
            return "esp32" + nxt.lower()
        if nxt[:1].isalpha():
            other = True
        i = n.find("ESP32", i + 5)
    return None if other or "ESP32" not in n else "esp32"


def _odd(v):
    n = 0
    while v:
        n += v & 1
        v >>= 1
    return n % 2 == 1


def _hex(b):
    return "".join("%02x" % x for x in b)


# ---------------------------------------------------------------- flash (read-only, bounded)
class Flash:
    """Files under ``root`` (the flash root on a board), named by their flash path "/x"."""

    def __init__(self, root=None):
        self.root = root if root is not None else os.getcwd()
        if self.root.endswith("/") and len(self.root) > 1:
            self.root = self.root[:-1]

    def real(self, path):
        path = path.lstrip("/")
        return path if self.root in ("", "/") and not path else (
            ("" if self.root == "/" else self.root) + "/" + path)

    def read(self, path, limit):
        """(bytes or None, truncated)"""
        try:
            size = os.stat(self.real(path))[6]  # no limit-sized buffer for a small file
            with open(self.real(path), "rb") as fh:
                data = fh.read(min(size, limit))
        except OSError:
            return None, False
        return data, size > limit

    def scan(self, path, limit):
        """(secrets found, sha256 hex, truncated) of a file read a line at a time (a line in
        pieces of at most LINE_MAX bytes; longer ones are cut): no file-sized buffer. Python and
        JSON go through the tokenizer (Scan); .env/.cfg through kv_lines."""
        h = hashlib.sha256()
        low = path.lower()
        plain = low.endswith(".env") or low.endswith(".cfg")
        sc = None if plain else Scan()
        found = []
        n = 0
        try:
            with open(self.real(path), "rb") as fh:
                while True:
                    raw = fh.readline(256)  # readline(n) takes n bytes at once: small pieces
                    while raw and raw[-1] != 10 and len(raw) < LINE_MAX:
                        more = fh.readline(256)
                        if not more:
                            break
                        raw += more
                    if not raw:
                        break
                    n += len(raw)
                    if n > limit:
                        return (sc.found if sc else found), _hex(h.digest()), True, (sc.uses if sc else [])
                    h.update(raw)
                    if sc is not None:
                        sc.line(_text(raw))
                    else:
                        found += kv_lines(_text(raw))
        except OSError:
            return [], None, False, []
        return (sc.found if sc else found), _hex(h.digest()), False, (sc.uses if sc else [])

    def exists(self, path):
        try:
            os.stat(self.real(path))
            return True
        except OSError:
            return False

    def walk(self):
        """Flash paths of regular files, depth- and count-bounded: (paths, cut_reason)."""
        out = []
        stack = [("", 0)]
        while stack:
            rel, depth = stack.pop()
            try:
                entries = list(os.ilistdir(self.real(rel) if rel else self.root))
            except OSError:
                continue
            for ent in entries:
                name, kind = ent[0], ent[1]
                child = rel + "/" + name
                if kind == 0x4000:
                    if depth + 1 < WALK_MAX_DEPTH:
                        stack.append((child, depth + 1))
                    else:
                        return out, "folder depth limit %d reached at %s" % (WALK_MAX_DEPTH, child)
                else:
                    out.append(child)
                    if len(out) >= WALK_MAX_FILES:
                        return out, "file limit %d reached" % WALK_MAX_FILES
        return out, ""


# ---------------------------------------------------------------- board facts (no verdicts)
def _text(data):
    try:
        return data.decode("utf-8")
    except UnicodeError:
        return data.decode("latin-1") if hasattr(data, "decode") else ""


def _ident(c):
    return c.isalpha() or c.isdigit() or c == "_"


_ESC = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", "'": "'", '"': '"'}
_PREFIX = ("r", "b", "u", "f", "rb", "br", "fr", "rf")
# positional arguments that carry a secret: {call's last name: (argument index, label)}
_POSITIONAL = {"connect": (1, "connect() key"), "mqttclient": (4, "MQTTClient() password"),
               "start": (1, "webrepl.start() password")}
NAMES_MAX = 32  # string assignments remembered per file, for connect(SSID, PW) with names


def _secret_name(k):
    kl = k.lower()
    if kl.endswith("file") or kl.endswith("path"):
        return False
    for word in SECRET_KEYS:
        if word in kl:
            return True
    return False


class Scan:
    """Secrets in a Python or JSON source, read token by token (a minimal tokenizer: names,
    strings with their escapes and prefixes, numbers, operators, comments; triple-quoted strings
    spanning lines are skipped), fed a line at a time so no file-sized buffer is needed.

    Found, as (key, value): an assignment ``PASS = '1234'``; a dict or JSON member
    ``"password": "…"`` (at any depth); a keyword argument ``ap.config(essid='x',
    password='…')`` or ``webrepl.start(password='…')`` (key ``ap.config(password=)``); the
    positional secret of ``wlan.connect(ssid, key)``, ``webrepl.start(port, password)`` and
    umqtt's ``MQTTClient(client_id, server, port, user, password)``, strings or names assigned a
    string earlier in the file; ``auth=(user, password)`` as urequests takes it. Key names say
    secret by the words in SECRET_KEYS; values stay in memory, never in the report."""

    def __init__(self):
        self.found = []
        self.names = {}
        self.stack = []  # frames: [opener, call name or None, argument index, kw, args, tokens in arg]
        self.prev = ("", "")  # previous token (kind, value): N name, S string, O operator, D number
        self.dotted = ""
        self.key = None  # a name or dict key waiting for its string value
        self.tq = None  # open triple quote
        self.uses = []  # NETFS_NAMES seen (a network path that reads the flash)

    def _add(self, key, value):
        if value and len(self.found) < 64:
            self.found.append((key, value))

    def line(self, s):
        i, n = 0, len(s)
        if self.tq:
            j = s.find(self.tq)
            if j < 0:
                return
            i, self.tq = j + 3, None
            self._tok("S", None)
        while i < n:
            c = s[i]
            if c in " \t\r\n\\\f":
                i += 1
            elif c == "#":
                break
            elif c == "'" or c == '"':
                if s[i:i + 3] in ("\"\"\"", "\'\'\'"):
                    q = s[i:i + 3]
                    j = s.find(q, i + 3)
                    if j < 0:
                        self.tq = q
                        return
                    self._tok("S", s[i + 3:j])
                    i = j + 3
                    continue
                j, out = i + 1, ""
                while True:
                    k = s.find(c, j)
                    if k < 0:
                        k = n
                    b = s.find("\\", j, k)
                    if b < 0:
                        out += s[j:k]
                        j = k
                        break
                    e = s[b + 1:b + 2]
                    out += s[j:b] + _ESC.get(e, "\\" + e)
                    j = b + 2
                self._tok("S", out)
                i = j + 1
            elif _ident(c) and not c.isdigit():
                j = i + 1
                while j < n and _ident(s[j]):
                    j += 1
                if j < n and s[j] in "'\"" and s[i:j].lower() in _PREFIX:
                    i = j  # a string prefix: the string follows
                    continue
                self._tok("N", s[i:j])
                i = j
            elif c.isdigit():
                j = i + 1
                while j < n and (_ident(s[j]) or s[j] == "."):
                    j += 1
                self._tok("D", s[i:j])
                i = j
            else:
                two = s[i:i + 2]
                if two in ("==", "!=", "<=", ">=", ":=", "+=", "-=", "->", "**", "//"):
                    self._tok("O", two)
                    i += 2
                else:
                    self._tok("O", c)
                    i += 1
        if not self.stack:  # a statement ends with its line (outside brackets)
            self.key, self.dotted, self.prev = None, "", ("", "")

    def _close_arg(self, fr):
        v = fr[4]
        if fr[0] == "(" and fr[5] == 1 and fr[3] is None and v is not None:
            fr[6].append((fr[2], v))
        fr[3], fr[4], fr[5] = None, None, 0

    def _end_call(self, fr):
        name = (fr[1] or "").rsplit(".", 1)[-1].lower()
        rule = _POSITIONAL.get(name)
        if rule is None or (name == "start" and "webrepl" not in (fr[1] or "")):
            return
        for idx, (kind, v) in fr[6]:
            if idx != rule[0]:
                continue
            if kind == "N":
                if _secret_name(v):
                    continue  # its assignment was said already
                v = self.names.get(v)
            self._add(rule[1], v)

    def _tok(self, kind, v):
        st = self.stack
        fr = st[-1] if st else None
        prev = self.prev
        self.prev = (kind, v)
        if fr is not None and fr[0] == "(" and (kind != "O" or v in ("(", "[", "{")):
            fr[5] += 1  # tokens of the current argument: only a lone string or name is taken
            if fr[5] == 1 and kind in ("S", "N"):
                fr[4] = (kind, v)
        if kind == "N":
            if v in NETFS_NAMES and v not in self.uses:
                self.uses.append(v)
            self.dotted = (self.dotted + "." + v) if prev == ("O", ".") else v
            return
        if kind == "S":
            if self.key is not None and prev[0] == "O" and prev[1] in ("=", ":"):
                key, self.key = self.key, None
                if v is None:
                    return
                if fr is not None and fr[0] == "(" and fr[3] == key and fr[1]:
                    if _secret_name(key):
                        self._add("%s(%s=)" % (fr[1].lstrip("."), key), v)
                    return
                if _secret_name(key):
                    self._add(key, v)
                elif fr is None and len(self.names) < NAMES_MAX and len(v) <= 64:
                    self.names[key] = v
            return
        if kind != "O":
            return
        if v == "=":
            if prev[0] == "N":
                if fr is not None and fr[0] == "(" and fr[5] == 1:
                    fr[3] = prev[1]  # keyword argument
                    fr[4] = None
                self.key = prev[1]
            return
        if v == ":":
            if prev[0] == "S" and prev[1] is not None and fr is not None and fr[0] == "{":
                self.key = prev[1]
            return
        if v in ("(", "[", "{"):
            call = self.dotted if (v == "(" and prev[0] == "N") else None
            if fr is not None and fr[0] == "(" and v == "(" and call is None and fr[3]:
                call = "=" + fr[3]  # a tuple given to a keyword argument: auth=(user, password)
            st.append([v, call, 0, None, None, 0, []])
            self.dotted, self.key = "", None
            return
        if v in (")", "]", "}"):
            if fr is None:
                return
            self._close_arg(fr)
            st.pop()
            if fr[0] == "(" and fr[1]:
                if fr[1][0] == "=":
                    if _secret_name(fr[1][1:]) or fr[1] == "=auth":
                        for idx, (kind2, val) in fr[6]:
                            if idx == 1 and kind2 == "S":
                                self._add(fr[1][1:] + "=(user, password)", val)
                else:
                    self._end_call(fr)
            self.dotted, self.key = "", None
            return
        if v == ",":
            if fr is not None:
                self._close_arg(fr)
                fr[2] += 1
            self.key = None
            return
        if v != ".":
            self.dotted = ""


def secrets_in(text):
    """[(key, value)] of a whole Python or JSON text (see Scan)."""
    sc = Scan()
    for line in text.split("\n"):
        sc.line(line)
    return sc.found


def kv_lines(text):
    """[(key, value)] of ``KEY=value`` / ``key: value`` lines (.env, .cfg): quotes optional."""
    out = []
    for line in text.split("\n"):
        s = line.strip()
        if not s or s[0] in "#;[":
            continue
        if s.startswith("export "):
            s = s[7:]
        i = s.find("=")
        j = s.find(":")
        if i < 0 or (0 <= j < i):
            i = j
        if i <= 0:
            continue
        k, v = s[:i].strip(), s[i + 1:].strip()
        if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
            v = v[1:-1]
        if v and _secret_name(k):
            out.append((k, v))
    return out


class Board:
    """What the board shows: platform, identity, radios, WebREPL, partitions, flash files."""

    def __init__(self, cfg, flash):
        self.cfg = cfg
        self.flash = flash
        self.errors = []
        self.platform = sys.platform
        impl = sys.implementation
        self.mpy_version = ".".join(str(x) for x in impl.version[:3])
        self.machine_name = getattr(impl, "_machine", "")  # "Generic ESP32S3 module with ESP32S3"
        if not self.machine_name:
            try:
                self.machine_name = os.uname().machine  # type: ignore[attr-defined]
            except (AttributeError, OSError):
                self.machine_name = sys.platform
        self.unique_id = None
        try:
            import machine
            self.unique_id = bytes(machine.unique_id())
        except ImportError:
            pass
        except Exception as exc:  # noqa: BLE001 — a board API failure is a value
            self.errors.append("machine.unique_id: %s" % exc)
        self._network()
        self._ble()
        self._webrepl()
        self._partitions()
        self._efuse()

    def _network(self):
        self.ap_active = False
        self.ap_security = None
        self.ap_ssid = None
        self.sta_active = False
        self.macs = []
        self.sec_open, self.sec_wep = 0, 1
        try:
            import network as net
        except ImportError:
            self.has_network = False
            return
        self.has_network = True
        for which, iface in (("STA_IF", net.STA_IF), ("AP_IF", net.AP_IF)):
            try:
                w = net.WLAN(iface)
                active = bool(w.active())
                try:
                    mac = bytes(w.config("mac"))
                    if len(mac) == 6 and mac not in self.macs:
                        self.macs.append(mac)
                except Exception:  # noqa: BLE001
                    pass
                if which == "STA_IF":
                    self.sta_active = active
                else:
                    self.ap_active = active
                    if active:
                        for opt in ("security", "authmode"):
                            try:
                                self.ap_security = int(w.config(opt))
                                break
                            except Exception:  # noqa: BLE001 — older/newer option name
                                continue
                        try:
                            self.ap_ssid = str(w.config("ssid"))
                        except Exception:  # noqa: BLE001
                            pass
            except Exception as exc:  # noqa: BLE001
                self.errors.append("network.WLAN(%s): %s" % (which, exc))
        self.sec_open = getattr(net.WLAN, "SEC_OPEN", getattr(net, "AUTH_OPEN", 0))  # newer, older name
        self.sec_wep = getattr(net.WLAN, "SEC_WEP", getattr(net, "AUTH_WEP", 1))

    def _ble(self):
        self.ble_present = False
        self.ble_active = False
        try:
            import bluetooth
        except ImportError:
            return
        self.ble_present = True
        try:
            self.ble_active = bool(bluetooth.BLE().active())
        except Exception as exc:  # noqa: BLE001
            self.errors.append("bluetooth.BLE: %s" % exc)

    def _webrepl(self):
        self.webrepl_started_by = []
        for f in ("/boot.py", "/main.py"):
            data, _ = self.flash.read(f, SECRET_FILE_MAX)
            if data is None:
                continue
            for line in _text(data).split("\n"):
                s = line.strip()
                if s and s[0] != "#" and "webrepl.start" in s:
                    self.webrepl_started_by.append(f)
                    break
        wr = sys.modules.get("webrepl")
        self.webrepl_running = bool(wr is not None and getattr(wr, "listen_s", None) is not None)
        self.webrepl_cfg = self.flash.exists("/webrepl_cfg.py")
        self.webrepl = bool(self.webrepl_started_by or self.webrepl_running)

    def _partitions(self):
        self.flash_encrypted = None  # None: unknown
        self.encryption_source = ""
        self.ota = []
        self.running = None
        try:
            from esp32 import Partition as P  # pyright: ignore[reportMissingImports] (ESP32 only)
        except ImportError:
            if self.platform == "rp2":
                self.flash_encrypted = False
                self.encryption_source = "RP2040/RP2350 MicroPython keeps its flash unencrypted"
            return
        try:
            data = P.find(P.TYPE_DATA)
            vfs_parts = [p for p in data if p.info()[4] in ("vfs", "ffat", "littlefs")]
            parts = vfs_parts or list(data)
            if parts:
                info = parts[0].info()
                self.flash_encrypted = bool(info[5])
                self.encryption_source = "esp32.Partition('%s').info() encrypted flag" % info[4]
            apps = P.find(P.TYPE_APP)
            self.ota = [p.info()[4] for p in apps if p.info()[4].startswith("ota_")]
            self.running = P(P.RUNNING).info()[4]  # pyright: ignore[reportArgumentType] (stub: str only)
        except Exception as exc:  # noqa: BLE001
            self.errors.append("esp32.Partition: %s" % exc)

    def _efuse(self):
        """Security eFuses of an ESP32-family chip (read-only machine.mem32 reads): secure boot,
        flash encryption, JTAG, UART download mode. None, with the reason in efuse_manual, on
        any other chip or port."""
        self.efuse = None
        self.efuse_manual = ""
        if self.platform != "esp32":
            self.efuse_manual = "no eFuse table for %s (read on ESP32, ESP32-S2, ESP32-S3, ESP32-C3)" % self.platform
            return
        chip = esp_chip(self.machine_name)
        if chip is None:
            self.efuse_manual = "no eFuse table for %s (read on ESP32, ESP32-S2, ESP32-S3, ESP32-C3)" % self.machine_name
            return
        base, fields = EFUSE[chip]
        try:
            import machine
            words = {}
            v = {}
            for name in fields:
                w, pos, n = fields[name]
                if w not in words:
                    words[w] = machine.mem32[base + 4 * w] & 0xFFFFFFFF  # pyright: ignore[reportIndexIssue]
                v[name] = (words[w] >> pos) & ((1 << n) - 1)
        except Exception as exc:  # noqa: BLE001 — no mem32, or the read faults: manual, said
            self.efuse_manual = "eFuse block 0 of %s not readable: %s" % (chip, exc)
            return
        self.efuse = {
            "chip": chip, "address": "0x%08x" % base,
            "secure_boot": bool(v.get("sb") or v.get("sb2")),
            "flash_encryption": _odd(v["crypt"]),
            "jtag_disabled": bool(v.get("jtag_hard")) or _odd(v.get("jtag_soft", 0)),
            "jtag_hard_disabled": bool(v.get("jtag_hard")),
            "usb_jtag_disabled": bool(v["usb_jtag_dis"]) if "usb_jtag_dis" in v else None,
            "download_mode": "disabled" if v.get("dl_dis") else ("secure" if v.get("dl_secure") else "enabled")}
        if not self.efuse["flash_encryption"]:  # the chip's own word: no partition is encrypted
            self.flash_encrypted = False
            self.encryption_source = "eFuse %s: flash encryption off (%s even)" % (
                chip, "FLASH_CRYPT_CNT" if chip == "esp32" else "SPI_BOOT_CRYPT_CNT")
        elif self.flash_encrypted is None:
            self.flash_encrypted = True
            self.encryption_source = "eFuse %s: flash encryption on" % chip

    def files_with_secrets(self):
        """[(flash path, [(key, value)])], (walk cut reason). Values stay in memory only."""
        paths, cut = self.flash.walk()
        self.netfs = []  # [(flash path, name)] of code serving flash files over the network
        out = []
        for p in paths:
            name = p.rsplit("/", 1)[-1]
            if name.startswith(OWN):
                continue
            low = name.lower()
            if not (low in SECRET_NAMES or low.endswith(".py") or low.endswith(".json")
                    or low.endswith(".env") or low.endswith(".cfg")):
                continue
            found, fp, truncated, uses = self.flash.scan(p, SECRET_FILE_MAX)
            for u in uses:
                self.netfs.append((p, u))
            if found:
                out.append((p, found, fp))
            elif truncated and low in SECRET_NAMES:
                cut = cut or "%s is larger than %d bytes; read in part" % (p, SECRET_FILE_MAX)
        return out, cut

    def version(self):
        """(app version or None, error, raw bytes of the version file)."""
        fw = self.cfg.get("firmware", {})
        src = fw.get("version_source") or ""
        if not src:
            return None, "no firmware.version_source declared (the app's version file on flash)", None
        data, _ = self.flash.read(src, VERSION_FILE_MAX)
        if data is None:
            return None, "%s is missing or unreadable" % src, None
        key = fw.get("version_key") or ""
        lines = [ln.strip() for ln in _text(data).split("\n") if ln.strip()]
        if key == "VERSION_ID" and lines and "=" not in lines[0]:
            key = ""  # the os-release default key, but a plain one-line version file
        for line in lines:
            s = line.strip()
            if not s:
                continue
            if not key:
                return s, "", data
            k, sep, v = s.partition("=")
            if sep and k.strip() == key:
                return v.strip().strip("'\""), "", data
        return None, "%s has no %s" % (src, ("line " + key) if key else "line"), data

    def model(self):
        src = self.cfg.get("product", {}).get("model_source") or ""
        if not src:
            return None, ""
        data, _ = self.flash.read(src, VERSION_FILE_MAX)
        if data is None:
            return None, src
        return _text(data).strip().split("\n")[0].strip(), src


# ---------------------------------------------------------------- passwords
def mac_variants(mac):
    h = _hex(mac)
    out = [h, h.upper(), h[-8:], h[-6:], h[-4:], h[-6:].upper(), h[-4:].upper()]
    pairs = [h[i:i + 2] for i in range(0, 12, 2)]
    out += [":".join(pairs), ":".join(pairs).upper(), "-".join(pairs)]
    for prefix in ("admin", "Admin", "pass", "root"):
        out += [prefix + h[-6:], prefix + h[-4:]]
    return out


def word_variants(word):
    w = word.strip()
    if not w:
        return []
    out = [w, w.lower(), w.upper()]
    for c in ("1", "12", "123", "1234", "!"):
        out.append(w.lower() + c)
    return out


def derived(board, cfg):
    """(candidate, where it came from), one at a time, from the board's public data (unique_id,
    MACs, model): a generator, never a dict of every candidate in RAM."""
    for w in cfg.get("passwords", []):
        yield w, "vendor dictionary"
    if board.unique_id:
        uid = board.unique_id
        for w in (mac_variants(uid[-6:]) if len(uid) >= 6 else []) + [_hex(uid), _hex(uid).upper()]:
            yield w, "derived from machine.unique_id()"
    for mac in board.macs:
        for w in mac_variants(mac):
            yield w, "derived from a MAC address"
    for key in ("model", "vendor"):
        for w in word_variants(cfg.get("product", {}).get(key) or ""):
            yield w, "derived from the %s" % key
    for w in ("micropython", "MicroPython", "python", "esp32", "pico", "picow", "webrepl"):
        yield w, "derived from the platform name"


def guess(values, board, cfg, flash):
    """{value: label} for values found in the derived candidates or the bundled list (the first
    source that names a value wins)."""
    hits = {}
    want = set(values)
    for w, label in derived(board, cfg):
        if w in want and w not in hits:
            hits[w] = label
    rest = [v for v in want if v not in hits]
    if rest:
        try:
            with open(flash.real(PW), "r") as fh:
                for line in fh:
                    w = line.rstrip("\n")
                    if w in rest:
                        hits[w] = "bundled default list"
        except OSError:
            pass
    return hits


def gather(cfg, root=None):
    """The board's facts as plain data (see the module docstring)."""
    flash = Flash(root)
    b = Board(cfg, flash)
    out = {}
    for k in BOARD_FACTS:
        out[k] = getattr(b, k, None)
    secrets, out["walk_cut"] = b.files_with_secrets()
    out["netfs"] = b.netfs
    out["secrets"] = secrets
    values = [v for _, kv, _ in secrets for _, v in kv]
    out["guessed"] = guess(values, b, cfg, flash) if values else {}
    out["app_version"], out["version_error"], out["version_bytes"] = b.version()
    out["model_shown"], out["model_source"] = b.model()
    out["key_on_flash"] = flash.exists("/" + KEY)
    p = cfg.get("product", {})
    serial = None
    if p.get("serial_source"):
        data, _ = flash.read(p["serial_source"], 4096)
        serial = _text(data).strip() if data else ""
    out["serial"] = serial
    return out
