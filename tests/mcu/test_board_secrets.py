"""Every way MicroPython firmware sets a password, as MicroPython's own docs write them, planted on
the simulated board and read by the micro-agent's tokenizer (jca_agent.Scan). Expected verdicts are
written first, as an auditor reads the planted board: a default or guessable password fails
S1.1-02 wherever the code puts it; S1.1-01 names the right reason; S1.1-11 fails only when a
network path reads the flash (one cause, one criterion)."""
import json

import pytest

from mcu_sim import needs_micropython
from mcu_sim import board_run, checks, findings, spec, verdicts, write_config
from test_board_checks import GOOD_FAKE, GOOD_FILES, GOOD_TOML, STRONG, good

pytestmark = needs_micropython

WEBREPL_TOML = GOOD_TOML + '''
[[listeners]]
proto = "tcp"
port = 8266
auth = "password"
purpose = "WebREPL"
'''


def cred(rep):
    return [f for f in findings(rep, "S1.1-02") if f["check"] == "CRED-DEFAULT-PASSWORD"]


# (planted files, flash path, key the finding names, password that must never appear)
FORMS = {
    "webrepl.start(password=) in boot.py": (
        {"boot.py": "import webrepl\nwebrepl.start(password='1234')\n"}, "/boot.py", "webrepl.start(password=)", "1234"),
    "webrepl.start(port, password)": (
        {"boot.py": "import webrepl\nwebrepl.start(8266, \"1234\")\n"}, "/boot.py", "webrepl.start() password", "1234"),
    "ap.config password last": (
        {"main.py": "import network\nap = network.WLAN(network.AP_IF)\nap.active(True)\n"
                    "ap.config(essid='x', authmode=3, password='12345678')\n"}, "/main.py", "ap.config(password=)",
        "12345678"),
    "ap.config password first, over two lines": (
        {"main.py": "import network\nap = network.WLAN(network.AP_IF)\nap.config(password=\n    \"12345678\", essid='x')\n"}, "/main.py", "ap.config(password=)", "12345678"),
    "ap.config key= (older ports)": (
        {"main.py": "import network\nnetwork.WLAN(network.AP_IF).config(essid='x', key='micropythoN')\n"}, "/main.py",
        "config(key=)", "micropythoN"),
    "wlan.connect with strings": (
        {"main.py": "import network\nwlan = network.WLAN(network.STA_IF)\nwlan.connect('home-net', 'password')\n"},
        "/main.py", "connect() key", "password"),
    "wlan.connect with names assigned in the file": (
        {"wifi.py": "SSID = 'home-net'\nWIFI_PW = '12345678'\nsta.connect(SSID, WIFI_PW)\n"}, "/wifi.py",
        "connect() key", "12345678"),
    "umqtt MQTTClient keywords": (
        {"mqtt_cfg.py": "from umqtt.simple import MQTTClient\n"
                        "c = MQTTClient('plug', 'broker.local', user='plug', password='admin')\n"},
        "/mqtt_cfg.py", "MQTTClient(password=)", "admin"),
    "umqtt MQTTClient positional": (
        {"net.py": "c = MQTTClient(b'plug', 'broker.local', 1883, 'plug', 'admin')\n"}, "/net.py",
        "MQTTClient() password", "admin"),
    "MQTT credentials in config.json": (
        {"config.json": '{"wifi": {"ssid": "home"}, "mqtt": {"user": "plug", "password": "admin"}}'},
        "/config.json", "password", "admin"),
    "HTTP basic auth tuple": (
        {"api.py": "import urequests\nr = urequests.get(URL, auth=('admin', 'password'))\n"}, "/api.py",
        "auth=(user, password)", "password"),
    ".env file": ({"app.env": "API_TOKEN=123456\n"}, "/app.env", "API_TOKEN", "123456"),
}


@pytest.mark.parametrize("form", list(FORMS))
def test_every_form_of_a_default_password_fails_s1_1_02(tmp_path, form):
    files, path, key, value = FORMS[form]
    rep = good(tmp_path, files)
    assert verdicts(rep)["S1.1-02"] == "fail", form
    assert [(f["evidence"]["path"], f["evidence"]["key"]) for f in cred(rep)] == [(path, key)]
    text = json.dumps(rep)
    assert "'%s'" % value not in text and '"%s"' % value not in text


@pytest.mark.parametrize("form", list(FORMS))
def test_the_same_forms_with_a_strong_password_pass_s1_1_02(tmp_path, form):
    files, path, key, value = FORMS[form]
    strong = {k: v.replace(value, STRONG) for k, v in files.items()}
    if "1234" in value:  # a WebREPL password is 4-9 characters
        strong = {k: v.replace(value, "Tr0ub4d:r") for k, v in files.items()}
    rep = good(tmp_path, strong)
    assert verdicts(rep)["S1.1-02"] == "pass", (form, findings(rep, "S1.1-02"))
    assert STRONG not in json.dumps(rep)


def test_commented_and_docstring_passwords_are_not_read(tmp_path):
    rep = good(tmp_path, {"boot.py": "# webrepl.start(password='1234')\nDOC = '''\nPASS = \"1234\"\n'''\n"})
    assert verdicts(rep)["S1.1-02"] == "pass"
    assert [f["evidence"]["path"] for f in findings(rep, "S1.1-02")] == []


def test_webrepl_password_in_boot_py_is_the_s1_1_01_reason(tmp_path):
    rep = good(tmp_path, {"boot.py": "import webrepl\nwebrepl.start(password='Tr0ub4d:r')\n"}, toml=WEBREPL_TOML)
    assert verdicts(rep)["S1.1-01"] == "pass"
    assert "WEBREPL-NO-PASSWORD" not in checks(rep, "S1.1-01")
    info = [f for f in findings(rep, "S1.1-01") if f["check"] == "WEBREPL-PASSWORD"]
    assert info and "webrepl.start()" in info[0]["message"] and info[0]["evidence"]["path"] == "/boot.py"


def test_webrepl_without_any_password_fails_s1_1_01(tmp_path):
    rep = good(tmp_path, {"boot.py": "import webrepl\nwebrepl.start()\n"}, toml=WEBREPL_TOML)
    assert verdicts(rep)["S1.1-01"] == "fail" and "WEBREPL-NO-PASSWORD" in checks(rep, "S1.1-01")


def test_short_webrepl_password_in_start_fails(tmp_path):
    rep = good(tmp_path, {"boot.py": "import webrepl\nwebrepl.start(password='Zq9!')\n"})
    assert verdicts(rep)["S1.1-02"] == "fail" and "CRED-SHORT-PASSWORD" in checks(rep, "S1.1-02")


def test_esp8266_default_access_point_fails_s1_1_02(tmp_path):
    # the ESP8266 port's AP: MicroPython-xxxxxx, WPA2 with the password micropythoN, set by no code
    rep = good(tmp_path, fake={"ap": {"active": True, "security": 3, "ssid": "MicroPython-123457"}})
    assert verdicts(rep)["S1.1-02"] == "fail"
    assert [f["evidence"].get("interface") for f in cred(rep)] == ["network.AP_IF"]
    # the code sets its own AP password: no default any more
    rep = good(tmp_path, {"main.py": "import network\nap = network.WLAN(network.AP_IF)\n"
                          "ap.config(essid='MicroPython-123457', password='%s')\n" % STRONG},
               fake={"ap": {"active": True, "security": 3, "ssid": "MicroPython-123457"}})
    assert verdicts(rep)["S1.1-02"] == "pass"


# ---------------------------------------------------------------- S1.1-11: one cause, one criterion
def test_plaintext_secret_without_network_path_is_physical_access_info(tmp_path):
    rep = good(tmp_path, fake={"encrypted": False})
    assert verdicts(rep)["S1.1-11"] == "pass"
    f = [x for x in findings(rep, "S1.1-11") if x["check"] == "SECRET-PHYSICAL-ACCESS"]
    assert f[0]["severity"] == "info" and f[0]["evidence"]["path"] == "/secrets.py"
    assert "flash encryption" in f[0]["message"]  # the fix is named
    assert STRONG not in json.dumps(rep)


def test_plaintext_secret_with_webrepl_fails_s1_1_11(tmp_path):
    rep = good(tmp_path, {"boot.py": "import webrepl\nwebrepl.start()\n", "webrepl_cfg.py": "PASS = 'Tr0ub4d:r'\n"},
               fake={"encrypted": False}, toml=WEBREPL_TOML)
    assert verdicts(rep)["S1.1-11"] == "fail"
    f = [x for x in findings(rep, "S1.1-11") if x["check"] == "SECRET-PLAINTEXT-FLASH"]
    assert {x["evidence"]["path"] for x in f} == {"/secrets.py", "/webrepl_cfg.py"}
    assert "WebREPL" in f[0]["message"]


SERVERS = {"uftpd": ("import uftpd\n", {"uftpd.py": "# the FTP server module (stand-in)\n"}),
           "microdot send_file": ("from microdot import Microdot, send_file\n",
                                  {"microdot.py": "class Microdot:\n    pass\n\n\ndef send_file(path):\n    pass\n"})}


@pytest.mark.parametrize("server", list(SERVERS))
def test_plaintext_secret_with_a_file_server_fails_s1_1_11(tmp_path, server):
    code, module = SERVERS[server]
    rep = good(tmp_path, dict(module, **{"main.py": "import secrets\n" + code}), fake={"encrypted": False})
    assert verdicts(rep)["S1.1-11"] == "fail" and "SECRET-PLAINTEXT-FLASH" in checks(rep, "S1.1-11")


def test_plaintext_secret_on_encrypted_flash_with_webrepl_passes_s1_1_11(tmp_path):
    rep = good(tmp_path, {"boot.py": "import webrepl\nwebrepl.start()\n", "webrepl_cfg.py": "PASS = 'Tr0ub4d:r'\n"},
               toml=WEBREPL_TOML)
    assert verdicts(rep)["S1.1-11"] == "pass"


def _with_key(tmp_path, files, fake, toml=GOOD_TOML):
    cfg = write_config(tmp_path, toml)
    sp = spec(tmp_path, dict(GOOD_FILES, **files), dict(GOOD_FAKE, **fake), cfg)
    r = board_run(sp, "import jca_sign, jca_agent\njca_sign.keygen()\njca_agent.check('r.json')\n"
                      "print(open('r.json').read())")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_pico_w_can_pass_s1_1_11_with_its_key_on_flash(tmp_path):
    # a Pico W (sys.platform "rp2", no esp32 module): flash never encrypted; no network file path
    rep = _with_key(tmp_path, {}, {"no_esp32": True, "platform": "rp2", "encrypted": False})
    assert rep["target"]["platform"] == "rp2" and rep["target"]["flash_encrypted"] is False
    assert verdicts(rep)["S1.1-11"] == "pass"
    f = [x for x in findings(rep, "S1.1-11") if x["evidence"].get("path") == "/jca_key.bin"]
    assert f[0]["check"] == "SECRET-PHYSICAL-ACCESS" and "RP2040" in f[0]["message"]


def test_key_readable_over_webrepl_fails_s1_1_11(tmp_path):
    rep = _with_key(tmp_path, {"boot.py": "import webrepl\nwebrepl.start()\n",
                               "webrepl_cfg.py": "PASS = 'Tr0ub4d:r'\n"}, {"encrypted": False}, WEBREPL_TOML)
    assert verdicts(rep)["S1.1-11"] == "fail" and "KEY-PRIVATE-READABLE" in checks(rep, "S1.1-11")
