"""``declare`` over a real Debian tree (tests/integration/corpus.py) with openssh-server, mosquitto
and lighttpd installed by apt and started at boot, nothing else: the vendor loop
``declare`` → edit → ``check``.

Planted: an account 'op' with a real yescrypt password (chpasswd), a mosquitto password file made
by the image's own mosquitto_passwd with a listener on all addresses, and a Wi-Fi PSK. Expected
results are written here from what was planted, before the agent runs."""
import os
import re
import sys

import pytest

import rootfs as rootfs_builder
from integration import corpus
from jcstar_agent.config import load

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="chroot and the corpus tree need root")

STRONG = "vK7#qP2!zR9mW4xT"
MQTT_PW = "mqtt-Pw-7Rt2Yx"
PSK = "wifi-psk-Zq81xLm0"

LISTENERS = {("tcp", 22, "*", "sshd"), ("tcp", 80, "*", "lighttpd"), ("tcp", 1883, "*", "mosquitto")}
LOGINS = {("ssh", "system", "ssh", 22, ("op",)),
          ("mqtt", "app", "mqtt", 1883, ("sensor",))}
# what a person answers, per key (listeners: lighttpd serves a public page without login)
ANSWERS = {"vendor": '"Acme"', "model": '"GW-1"', "auth": '"none"', "default_password": '"none"',
           "generation": '""', "command": '"/usr/sbin/acme-factory-reset"',
           "title": '"Security"', "url": '"https://example.com/security"'}


@pytest.fixture(scope="module")
def device(tmp_path_factory):
    why = rootfs_builder.unavailable()
    if why:
        pytest.skip(why)
    root = corpus.copy_case(str(tmp_path_factory.mktemp("declare") / "rootfs"))
    corpus.only(root, ["ssh", "mosquitto", "lighttpd"])
    chroot = rootfs_builder.chroot
    chroot(root, "useradd", "-m", "-s", "/bin/bash", "op")
    chroot(root, "chpasswd", input=f"op:{STRONG}\n")
    chroot(root, "mosquitto_passwd", "-c", "-b", "/etc/mosquitto/passwd", "sensor", MQTT_PW)
    with open(os.path.join(root, "etc/mosquitto/conf.d/lab.conf"), "w") as fh:
        fh.write("listener 1883\npassword_file /etc/mosquitto/passwd\n")
    os.makedirs(os.path.join(root, "etc/wpa_supplicant"), exist_ok=True)
    with open(os.path.join(root, "etc/wpa_supplicant/wpa_supplicant.conf"), "w") as fh:
        fh.write(f'network={{\n ssid="lab"\n psk="{PSK}"\n}}\n')
    shadow = open(os.path.join(root, "etc/shadow")).read()
    op_hash = next(ln.split(":")[1] for ln in shadow.splitlines() if ln.startswith("op:"))
    mq_hash = open(os.path.join(root, "etc/mosquitto/passwd")).read().split(":", 1)[1].strip()
    assert op_hash.startswith("$y$") and mq_hash.startswith("$7$")
    secrets = [STRONG, MQTT_PW, PSK, op_hash, op_hash.rsplit("$", 1)[1], mq_hash,
               mq_hash.rsplit("$", 1)[1]]
    return root, secrets


@pytest.fixture(scope="module")
def drafted(device, tmp_path_factory):
    root, _ = device
    out = tmp_path_factory.mktemp("draft") / "board.toml"
    from clirun import run_cli
    r = run_cli("declare", "--root", root, "--output", str(out))
    assert r.rc == 0, r.err
    return str(out)


def _edit(text: str) -> str:
    """Replace every placeholder line with the answer for its key (NA reasons: a sentence)."""
    def answer(m):
        key = m.group(1).strip('"')
        return f'{m.group(1)} = {ANSWERS.get(key, chr(34) + "no network user access" + chr(34))}'
    edited = re.sub(r'^("?[\w.-]+"?) = "<FILL-IN:.*>"$', answer, text, flags=re.M)
    assert not [ln for ln in edited.splitlines() if "<FILL-IN" in ln and not ln.startswith("#")]
    return edited


@pytest.fixture(scope="module")
def edited(drafted, tmp_path_factory):
    p = tmp_path_factory.mktemp("edited") / "board.toml"
    p.write_text(_edit(open(drafted).read()))
    return str(p)


def test_declare_lists_exactly_the_listeners_and_logins(drafted):
    data = tomllib.loads(open(drafted).read())
    assert {(x["proto"], x["port"], x["address"], x["process"]) for x in data["listeners"]} == LISTENERS
    assert {(x["name"], x["kind"], x["protocol"], x["port"], tuple(x["accounts"]))
            for x in data["logins"]} == LOGINS
    by_port = {x["port"]: x for x in data["listeners"]}
    assert by_port[22]["auth"] == "password" and by_port[22]["tls"] is True  # seen in sshd_config
    assert by_port[1883]["auth"] == "password"  # password_file, no anonymous
    assert by_port[80]["auth"].startswith("<FILL-IN:")  # lighttpd: only the vendor knows
    mqtt = next(x for x in data["logins"] if x["name"] == "mqtt")
    assert (mqtt["store"], mqtt["store_format"]) == ("/etc/mosquitto/passwd", "mosquitto")
    assert data["update"]["mechanism"] == "apt"
    assert (data["firmware"]["version_source"], data["firmware"]["version_key"]) == \
        ("/etc/os-release", "VERSION_ID")
    assert sorted(d["criterion"] for d in data["documents"]) == \
        ["S1.1-05", "S1.1-07", "S1.1-09", "S1.1-12", "S1.1-16"]
    assert "/etc/mosquitto/passwd" in data["erase"]["credential_paths"]
    assert "/etc/wpa_supplicant/wpa_supplicant.conf" in data["erase"]["credential_paths"]
    assert data["erase"]["settings_paths"] == ["/home/op"]
    assert "not_applicable" not in data  # password logins exist: no NA to propose


def test_nothing_secret_in_the_draft(device, drafted, edited, tmp_path):
    _, secrets = device
    from clirun import run_cli
    again = tmp_path / "again.toml"
    assert run_cli("declare", "--root", device[0], "--config", edited, "--output", str(again)).rc == 0
    for path in (drafted, str(again)):
        text = open(path).read()
        assert "op" in re.findall(r'"(\w+)"', text) and "sensor" in text  # names, yes
        for s in secrets:
            assert s not in text, (path, s[:6])


def test_unedited_draft_exits_2_naming_each_placeholder(device, drafted, proc):
    lines = [n for n, ln in enumerate(open(drafted).read().splitlines(), 1) if "<FILL-IN:" in ln
             and not ln.lstrip().startswith("#")]
    assert len(lines) >= 13  # vendor, model, lighttpd auth, 2x2 login answers, erase, 5x2 documents
    r = proc("check", "--root", device[0], "--config", drafted)
    assert r.rc == 2 and "Traceback" not in r.err and len(r.err.strip().splitlines()) == 1
    assert r.err.startswith(f"jcstar-agent: {drafted}:{lines[0]}: ")
    for n in lines[1:]:
        assert re.search(rf"\bline {n} ", r.err), (n, r.err)
    assert proc("declare", "--root", device[0], "--config", drafted).rc == 2


def test_edited_draft_loads_and_declares_every_listener(device, edited, cli):
    cfg = load(edited)
    assert len(cfg.listeners) == 3 and len(cfg.logins) == 2
    r = cli("check", "--root", device[0], "--config", edited, "--format", "json")
    assert r.rc in (0, 1), r.err
    c13 = next(c for c in r.json()["criteria"] if c["id"] == "S1.1-13")
    assert not [f for f in c13["findings"] if f["check"] == "SURFACE-UNDECLARED-LISTENER"], c13
    declared = {f["evidence"]["port"] for f in c13["findings"] if f["check"] == "SURFACE-LISTENER-DECLARED"}
    assert declared == {22, 80, 1883}
    assert c13["verdict"] != "fail", c13
    c01 = next(c for c in r.json()["criteria"] if c["id"] == "S1.1-01")
    assert not [f for f in c01["findings"] if f["check"] == "LISTENER-AUTH-UNDECLARED"], c01


def test_declare_over_its_own_edited_output_is_stable(device, edited, cli, tmp_path):
    again = tmp_path / "again.toml"
    r = cli("declare", "--root", device[0], "--config", edited, "--output", str(again))
    assert r.rc == 0, r.err
    assert not [ln for ln in again.read_text().splitlines()  # nothing new to ask
                if "<FILL-IN" in ln and not ln.startswith("#")]
    a, b = load(edited), load(str(again))
    for name in ("product", "firmware", "update", "listeners", "logins", "interfaces", "erase",
                 "documents", "not_applicable", "passwords", "secrets", "agent"):
        assert getattr(a, name) == getattr(b, name), name
    third = tmp_path / "third.toml"
    assert cli("declare", "--root", device[0], "--config", str(again), "--output", str(third)).rc == 0
    def body(text):  # the file's path is in the header comment
        return [ln for ln in text.splitlines() if not ln.startswith("#")]
    assert body(third.read_text()) == body(again.read_text())


def test_board_values_win_and_only_what_differs_is_added(device, cli):
    r = cli("declare", "--root", device[0], "--board", "raspberrypi-4")
    assert r.rc == 0, r.err
    data = tomllib.loads(r.out)
    assert data["product"]["model"] == "Raspberry Pi 4 Model B"  # the board's
    assert data["firmware"]["version_source"] == "/etc/rpi-issue"
    ports = [x["port"] for x in data["listeners"]]
    assert sorted(ports) == [22, 80, 1883]  # the board's 22 once, the two it lacks added
    ssh = next(x for x in data["listeners"] if x["port"] == 22)
    assert ssh["purpose"] == "remote administration (OpenSSH)"
    assert [x["name"] for x in data["logins"]] == ["ssh", "mqtt"]
    assert data["logins"][0]["accounts"] == ["pi"]  # the board's, with the device's 'op' noted
    assert "# differs: the device shows account(s) op on this login too" in r.out
    assert "new: not in" in r.out and "differs:" in r.out


def test_output_is_never_overwritten_without_force(device, cli, tmp_path):
    out = tmp_path / "board.toml"
    out.write_text("# mine\n")
    r = cli("declare", "--root", device[0], "--output", str(out))
    assert r.rc == 2 and "exists" in r.err and out.read_text() == "# mine\n"
    assert cli("declare", "--root", device[0], "--output", str(out), "--force").rc == 0
    assert "[[listeners]]" in out.read_text()
    assert not [f for f in os.listdir(tmp_path) if f != "board.toml"]  # no temp file left
