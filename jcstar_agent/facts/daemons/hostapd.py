"""hostapd: a Wi-Fi access point. Its passphrase, and whether the network is open.

Read: the config files on its command line (Debian's unit passes ``$DAEMON_CONF``, default
``/etc/hostapd/hostapd.conf``): ``ssid``, ``wpa`` (0: no WPA), ``wpa_key_mgmt``,
``wpa_passphrase``, ``sae_password``, ``wpa_psk_file``, ``auth_algs``, ``wep_key0``, WPS
``ap_pin``. It opens no IP port. It needs a wireless LAN device (nl80211), which the ``--boot``
sandbox does not have.

**Access (S1.1-01).** A network without WPA and WEP (``wpa=0`` or none) lets every radio in range
onto the device's LAN without a key: fail.

**Secrets.** The WPA passphrase (and a WPS PIN) is the network's shared credential: S1.1-02 tries
it against the dictionary (``12345678``, ``password`` …). Who may read the file is judged with
every Wi-Fi PSK by the secrets walk (S1.1-11).

**Example.** ``wpa_passphrase=12345678`` → fail S1.1-02 "'wpa_passphrase' in
/etc/hostapd/hostapd.conf".
"""
from __future__ import annotations

from ._base import Access, DaemonFacts, Secret

PROGRAMS = ("hostapd",)
SECRETS = True  # this module reads the credentials its config holds or points to
NEEDS = ("a wireless LAN device (nl80211)",)


def read(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    confs = [a for a in argv[1:] if a.startswith("/") and not a.startswith("/run/")
             and not a.endswith(".pid")] or ["/etc/hostapd/hostapd.conf"]
    for conf in confs:
        r = root.read(conf)
        if not r.ok:
            if not r.missing:
                out.errors.append(f"{conf}: {r.error}")
            continue
        kv = {}
        for n, raw in enumerate(r.text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            k, v = line.split("=", 1)
            kv[k] = (v, n)
            if k in ("wpa_passphrase", "sae_password", "ap_pin") and v:
                out.secrets.append(Secret(conf, n, k, v.split("|", 1)[0] if k == "sae_password" else v,
                                          "hostapd", k, perms=False))
        if "interface" not in kv and "ssid" not in kv:
            continue
        ssid = kv.get("ssid", ("", 0))[0]
        wpa = kv.get("wpa", ("0", 0))[0]
        wep = any(k.startswith("wep_key") for k in kv)
        if wpa in ("0", "") and not wep and not kv.get("ieee8021x", ("0", 0))[0] == "1":
            at = f"{conf}:{kv['wpa'][1]}" if "wpa" in kv else conf
            out.access.append(Access("hostapd", None, "wlan", True, at,
                                     f"Wi-Fi network '{ssid}' is open: no WPA or WEP key ({at}); every "
                                     "radio in range joins the device's network"))
    return out
