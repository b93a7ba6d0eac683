"""Fake ``network`` (ESP32-like): WLAN interfaces whose state the test sets in IFACES."""
STA_IF = 0
AP_IF = 1
AUTH_OPEN = 0
AUTH_WEP = 1
AUTH_WPA2_PSK = 3
IFACES = {
    STA_IF: {"active": True, "mac": b"\x24\x0a\xc4\x12\x34\x56"},
    AP_IF: {"active": False, "mac": b"\x24\x0a\xc4\x12\x34\x57", "ssid": "ESP_123457", "security": 3},
}


class WLAN:
    SEC_OPEN = 0
    SEC_WEP = 1
    SEC_WPA2 = 3

    def __init__(self, which=STA_IF):
        self._s = IFACES[which]

    def active(self, value=None):
        if value is None:
            return self._s["active"]
        if value and self._s.get("broken"):
            raise OSError("Wifi Internal Error")
        self._s.setdefault("log", []).append(bool(value))  # every switch, for the tests
        self._s["active"] = bool(value)

    def config(self, *args, **kw):
        if kw:  # set, as boot.py does: ap.config(essid=..., password=...); never read back
            for k, v in kw.items():
                self._s["ssid" if k == "essid" else k] = v
            return None
        if args[0] not in self._s or args[0] in ("password", "key"):
            raise ValueError("unknown config param")
        return self._s[args[0]]

    def connect(self, ssid=None, key=None):
        self._s["connected_to"] = ssid
