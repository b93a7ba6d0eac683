"""The board config: the vendor's declaration of how the product works.

Each dataclass is one TOML table; each field one key, with its documentation in ``doc``.
Absolute paths are device paths (looked up inside the target root); relative file paths of
documents and dictionaries are relative to the config file's own folder (the vendor's repo).
The loader validates strictly against these types: an unknown key or a wrong type exits 2.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

CRITERIA_WITH_NA = ("S1.1-01", "S1.1-02", "S1.1-03", "S1.1-04", "S1.1-08", "S1.1-12")
DOCUMENT_CRITERIA = ("S1.1-01", "S1.1-02", "S1.1-03", "S1.1-04", "S1.1-05", "S1.1-07", "S1.1-08",
                     "S1.1-09", "S1.1-11", "S1.1-12", "S1.1-13", "S1.1-15", "S1.1-16")


def doc(text: str, choices: Optional[tuple] = None, default=None, factory=None):
    """A field with its user documentation (and allowed values)."""
    meta = {"doc": text}
    if choices:
        meta["choices"] = choices
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class Product:
    vendor: str = doc("Manufacturer name, as on the label.", default="")
    model: str = doc("Declared model number. S1.1-10 compares it with what the device shows.",
                     default="")
    model_source: str = doc("Device file that shows the model (e.g. /etc/product-model). Default: "
                            "device tree (/proc/device-tree/model), then DMI.", default="")
    serial_source: str = doc("Device file holding the unit's serial number (attestation ueid; "
                             "password derivations). Default: device tree serial-number, DMI.",
                             default="")
    hostname: str = doc("Declared hostname pattern, for password derivations offline.", default="")
    mac_addresses: List[str] = doc("Declared MAC addresses (offline: for password derivations).",
                                   factory=list)
    imei_source: str = doc("Device file holding the cellular modem's IMEI: the attestation ueid "
                           "is then the RFC 9711 IMEI type.", default="")
    constrained: bool = doc("The product is a 'constrained device' (S1.1-04 NA). Needs "
                            "constrained_reason.", default=False)
    constrained_reason: str = doc("Why the product is constrained (battery-only, no input ...).",
                                  default="")
    conformity_certification: str = doc("Japan [T]/[A] technical conformity certification number: "
                                        "S1.1-01, -06 and -14 are then deemed met.", default="")
    psti_compliant: bool = doc("The product already complies with UK PSTI: exempt from S1.1-02, -05 "
                               "and -16 (since 2026-01-01).", default=False)


@dataclass
class Firmware:
    name: str = doc("Software name (attestation swname). Default: os-release NAME.", default="")
    version_source: str = doc("Device file holding the firmware version.", default="/etc/os-release")
    version_key: str = doc("KEY of a KEY=VALUE version file; empty: the first line of the file.",
                           default="VERSION_ID")
    image_digest: str = doc("Digest of the firmware image ('sha256:<hex>'), carried into "
                            "attestations as a subject.", default="")


@dataclass
class Update:
    mechanism: str = doc("Update mechanism; empty: detected.", default="",
                         choices=("", "apt", "opkg", "apk", "rauc", "swupdate", "mender", "ostree",
                                  "custom"))
    command: str = doc("Device path of the update tool, for mechanism = 'custom'.", default="")
    network: bool = doc("Updates arrive over the network. false makes S1.1-08 NA, with description.",
                        default=True)
    description: str = doc("How updates are delivered (required when network = false).", default="")


@dataclass
class Listener:
    proto: str = doc("Protocol.", choices=("tcp", "udp"), default="tcp")
    port: int = doc("Port number (1-65535).", default=0)
    address: str = doc("Bound address: '*' any, '0.0.0.0', '::', '127.0.0.1' ...", default="*")
    process: str = doc("Owning process name (e.g. sshd); empty: any.", default="")
    auth: str = doc("Authentication on this listener. 'none' (with the reason in purpose) states it "
                    "serves nothing protected: an --active probe that finds it answering without "
                    "credentials then does not fail S1.1-01.", default="",
                    choices=("", "password", "key", "certificate", "token", "none"))
    tls: bool = doc("The listener speaks TLS (or SSH) itself.", default=False)
    purpose: str = doc("What the listener is for (required as the reason with auth = 'none').",
                       default="")


@dataclass
class Login:
    name: str = doc("Name of the login (e.g. 'ssh', 'web-admin').", default="")
    kind: str = doc("'system' (an OS account) or 'app' (an application's own credentials).",
                    default="system", choices=("system", "app"))
    protocol: str = doc("How it is reached.", default="",
                        choices=("", "ssh", "telnet", "http-basic", "http-form", "mqtt", "other"))
    port: int = doc("Port of the listener it is reached on (0: none).", default=0)
    accounts: List[str] = doc("Account names used by this login.", factory=list)
    store: str = doc("Device path of the app's credential store (htpasswd, mosquitto ...).",
                     default="")
    store_format: str = doc("Format of the store; empty: detected.", default="",
                            choices=("", "crypt", "htpasswd", "mosquitto", "json"))
    default_password: str = doc("How the initial password is set: 'unique' (option 1, per device) "
                                "or 'forced-change' (option 2), or 'none' (no default password).",
                                default="", choices=("", "unique", "forced-change", "none"))
    generation: str = doc("For 'unique': how per-device passwords are generated.", default="")
    min_length: int = doc("Minimum new-password length the app enforces (option 2 needs >= 8).",
                          default=0)
    change: str = doc("How users change the credential: a command or an endpoint (S1.1-03).",
                      default="")
    test_account: str = doc("Account the active brute-force probe may use (wrong passwords only).",
                            default="")
    lockout: str = doc("App logins: how repeated failed attempts are slowed or locked out "
                       "(S1.1-04), e.g. '5 failures lock the account for 10 minutes'.", default="")
    login_path: str = doc("http-basic/http-form: path the active brute-force probe sends its "
                          "attempts to (form: POST username=&password=). Default: / (basic), "
                          "/login (form).", default="")


@dataclass
class Interfaces:
    bluetooth: bool = doc("Bluetooth is used by the product (else it must be off).", default=False)
    usb_host: bool = doc("USB host ports are used by the product.", default=False)
    usb_gadget: bool = doc("A USB gadget (device-mode) function is used by the product.",
                           default=False)
    reason: str = doc("Why the enabled interfaces are needed.", default="")


@dataclass
class Erase:
    command: str = doc("Device path of the factory-reset/erase command (S1.1-15).", default="")
    arguments: List[str] = doc("Arguments given to the command by --erase-test.", factory=list)
    data_paths: List[str] = doc("(A) data gathered in use: device paths that erase must remove.",
                                factory=list)
    settings_paths: List[str] = doc("(B) user settings: device paths that erase must remove.",
                                    factory=list)
    credential_paths: List[str] = doc("(C) user-set credentials, keys and certificates that erase "
                                      "must remove.", factory=list)


@dataclass
class Document:
    criterion: str = doc("Criterion the document serves.", default="", choices=DOCUMENT_CRITERIA)
    title: str = doc("Title, chapter or section.", default="")
    url: str = doc("Public URL of the document.", default="")
    file: str = doc("The document as a file: relative to the config's folder, or an absolute "
                    "device path.", default="")
    sha256: str = doc("SHA-256 (hex) of the file or the URL's content.", default="")
    items: List[str] = doc("Enumerated items of the criterion this document covers (S1.1-05: 1-3, "
                           "S1.1-16: 1-5); empty: all.", factory=list)


@dataclass
class Passwords:
    dictionary: List[str] = doc("Extra candidate passwords (vendor defaults).", factory=list)
    dictionary_file: str = doc("File of extra candidates, one a line (relative to the config).",
                               default="")
    budget_seconds: float = doc("Time budget of the default-password test, in seconds "
                                "(0 to 86400).", default=60.0)


@dataclass
class Secrets:
    paths: List[str] = doc("Device folders walked for keys and secrets (S1.1-11).",
                           factory=lambda: ["/etc", "/var/lib", "/opt", "/home", "/root"])
    max_files: int = doc("Most files looked at in the walk.", default=20000)
    max_file_size: int = doc("Larger files are not read.", default=1 << 20)


@dataclass
class Agent:
    state_dir: str = doc("Live mode: the agent's own state (boot history for S1.1-14).",
                         default="/var/lib/jcstar-agent")


@dataclass
class BoardConfig:
    product: Product = doc("The product.", factory=Product)
    firmware: Firmware = doc("Firmware version and identity.", factory=Firmware)
    update: Update = doc("The update mechanism.", factory=Update)
    listeners: List[Listener] = doc("Declared network listeners (the allowlist).", factory=list)
    logins: List[Login] = doc("Declared logins (network authentication).", factory=list)
    interfaces: Interfaces = doc("Bluetooth and USB.", factory=Interfaces)
    erase: Erase = doc("The erase / factory-reset mechanism.", factory=Erase)
    documents: List[Document] = doc("Document references (vendor docs, public pages).",
                                    factory=list)
    not_applicable: Dict[str, str] = doc("Criterion id -> reason it is NA (only criteria whose NA "
                                         "condition the original allows).", factory=dict)
    passwords: Passwords = doc("Default-password test.", factory=Passwords)
    secrets: Secrets = doc("Secrets walk.", factory=Secrets)
    agent: Agent = doc("The agent itself.", factory=Agent)

    # Set by the loader, not keys of the file.
    path: Optional[str] = field(default=None, metadata={"internal": True})
    sha256: Optional[str] = field(default=None, metadata={"internal": True})
    lines: Dict[tuple, int] = field(default_factory=dict, metadata={"internal": True})

    def documents_for(self, criterion: str) -> List[Document]:
        return [d for d in self.documents if d.criterion == criterion]

    def line_of(self, *key) -> Optional[int]:
        """Line of a key in the config file (for messages), best effort."""
        for n in range(len(key), 0, -1):
            if key[:n] in self.lines:
                return self.lines[key[:n]]
        return None
