"""ESP32-family eFuse evidence (secure boot, flash encryption, JTAG, UART download mode) read with
machine.mem32 on the simulated board, and the RNG state at keygen. The eFuse words are planted at
the addresses Espressif documents (ESP32 TRM / esptool espefuse: ESP32 block 0 read registers
EFUSE_BLK0_RDATA0..6 from 0x3FF5A000; ESP32-S3 and -C3 EFUSE_RD_REPEAT_DATA0..3 from
DR_REG_EFUSE_BASE + 0x30), written here from those documents, not from the micro-agent's table:
the stand-in mem32 raises for any other address. Expected findings are written first."""
import json

import pytest

from mcu_sim import needs_micropython
from mcu_sim import board_run, findings, spec, verdicts, write_config
from test_board_checks import GOOD_FAKE, GOOD_FILES, GOOD_TOML, good

pytestmark = needs_micropython

ESP32_RDATA0, ESP32_RDATA6 = 0x3FF5A000, 0x3FF5A018
S3_REPEAT = [0x60007030, 0x60007034, 0x60007038, 0x6000703C]  # RD_REPEAT_DATA0..3
C3_REPEAT = [0x60008830, 0x60008834, 0x60008838, 0x6000883C]


def esp(machine, words, **more):
    fake = {"platform": "esp32", "machine": machine, "efuse": {str(a): w for a, w in words.items()}}
    fake.update(more)
    return fake


def by_check(rep, cid):
    return {f["check"]: f for f in findings(rep, cid)}


def test_esp32_secure_boot_v2_encryption_jtag_and_download_off(tmp_path):
    words = {ESP32_RDATA0: (0b0000001 << 20) | (1 << 27),  # FLASH_CRYPT_CNT one bit; UART_DOWNLOAD_DIS
             ESP32_RDATA6: (1 << 5) | (1 << 6)}  # ABS_DONE_1 (secure boot v2), JTAG_DISABLE
    rep = good(tmp_path, fake=esp("Generic ESP32 module with ESP32", words))
    f08, f11, f13 = by_check(rep, "S1.1-08"), by_check(rep, "S1.1-11"), by_check(rep, "S1.1-13")
    assert "SECURE-BOOT" in f08 and f08["SECURE-BOOT"]["evidence"]["efuse"]["chip"] == "esp32"
    assert f11["FLASH-ENCRYPTION"]["evidence"]["efuse"]["flash_encryption"] is True
    assert rep["target"]["flash_encrypted"] is True
    assert "DEBUG-JTAG-DISABLED" in f13 and "DEBUG-UART-DOWNLOAD-CLOSED" in f13
    assert "EFUSE-UNREAD" not in f13
    assert verdicts(rep)["S1.1-13"] == "pass" and verdicts(rep)["S1.1-08"] == "manual"


def test_esp32_wide_open_efuses_override_the_partition_flag(tmp_path):
    # the partition table says encrypted, the chip's FLASH_CRYPT_CNT is 0: the chip is right
    rep = good(tmp_path, fake=esp("Generic ESP32 module with ESP32", {ESP32_RDATA0: 0, ESP32_RDATA6: 0},
                                  encrypted=True))
    assert rep["target"]["flash_encrypted"] is False
    f11, f13 = by_check(rep, "S1.1-11"), by_check(rep, "S1.1-13")
    assert "FLASH_CRYPT_CNT" in f11["FLASH-ENCRYPTION"]["message"]
    assert f11["SECRET-PHYSICAL-ACCESS"]["severity"] == "info"  # no network path reads the flash
    assert "JTAG_DISABLE" in f13["DEBUG-JTAG-ENABLED"]["message"]  # the fix is named
    assert f13["DEBUG-UART-DOWNLOAD"]["severity"] == "info"
    assert "SECURE-BOOT-OFF" in by_check(rep, "S1.1-08")
    assert verdicts(rep)["S1.1-11"] == "pass" and verdicts(rep)["S1.1-13"] == "pass"


def test_esp32_s3_soft_jtag_secure_download(tmp_path):
    words = {S3_REPEAT[0]: 0b001 << 16,  # SOFT_DIS_JTAG: one bit (odd: disabled), DIS_PAD_JTAG 0
             S3_REPEAT[1]: 0b111 << 18,  # SPI_BOOT_CRYPT_CNT 7: enabled
             S3_REPEAT[2]: 1 << 20,  # SECURE_BOOT_EN
             S3_REPEAT[3]: 1 << 5}  # ENABLE_SECURITY_DOWNLOAD
    rep = good(tmp_path, fake=esp("Generic ESP32S3 module with ESP32S3", words))
    e = by_check(rep, "S1.1-13")["DEBUG-JTAG-DISABLED"]["evidence"]["efuse"]
    assert e["chip"] == "esp32s3" and e["address"] == "0x6000702c"
    assert e["secure_boot"] is True and e["flash_encryption"] is True and e["download_mode"] == "secure"
    assert e["jtag_hard_disabled"] is False and "HMAC" in by_check(rep, "S1.1-13")["DEBUG-JTAG-DISABLED"]["message"]
    assert e["usb_jtag_disabled"] is False


def test_esp32_c3_crypt_count_three_is_off(tmp_path):
    words = {C3_REPEAT[0]: 1 << 19,  # DIS_PAD_JTAG
             C3_REPEAT[1]: 0b011 << 18,  # SPI_BOOT_CRYPT_CNT 3: disabled again
             C3_REPEAT[2]: 0,
             C3_REPEAT[3]: 1 << 0}  # DIS_DOWNLOAD_MODE
    rep = good(tmp_path, fake=esp("ESP32C3 module with ESP32C3", words))
    e = by_check(rep, "S1.1-13")["DEBUG-JTAG-DISABLED"]["evidence"]["efuse"]
    assert e["chip"] == "esp32c3" and e["flash_encryption"] is False and e["secure_boot"] is False
    assert e["jtag_hard_disabled"] is True and e["download_mode"] == "disabled"
    assert rep["target"]["flash_encrypted"] is False


@pytest.mark.parametrize("machine,words,why", [
    ("ESP32C6 module with ESP32C6", {}, "no eFuse table"),
    ("Generic ESP32 module with ESP32", {}, "not readable"),  # mem32 faults: nothing planted
])
def test_where_the_efuses_stay_manual(tmp_path, machine, words, why):
    rep = good(tmp_path, fake=esp(machine, words))
    for cid in ("S1.1-08", "S1.1-13"):
        f = by_check(rep, cid)["EFUSE-UNREAD"]
        assert why in f["message"] and "manual" in f["message"]
    assert "DEBUG-JTAG-ENABLED" not in by_check(rep, "S1.1-13")


# ---------------------------------------------------------------- RNG at keygen
def keygen(tmp_path, fake):
    sp = spec(tmp_path, dict(GOOD_FILES), dict(GOOD_FAKE, **fake), write_config(tmp_path, GOOD_TOML))
    r = board_run(sp, "import jca_sign, network, json\npub = jca_sign.keygen()\n"
                      "print(json.dumps([len(pub), jca_sign.RNG, network.IFACES[network.STA_IF].get('log', []),"
                      " network.IFACES[network.STA_IF]['active']]))")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_keygen_on_esp32_turns_wifi_on_for_the_rng_and_back_off(tmp_path):
    n, rng, log, active = keygen(tmp_path, {"platform": "esp32", "sta": {"active": False}})
    assert n == 64 and "RF on" in rng and log == [True, False] and active is False


def test_keygen_on_esp32_with_wifi_already_on_leaves_it(tmp_path):
    n, rng, log, active = keygen(tmp_path, {"platform": "esp32", "sta": {"active": True}})
    assert "RF on" in rng and log == [] and active is True


def test_keygen_says_when_the_radio_cannot_start(tmp_path):
    n, rng, log, active = keygen(tmp_path, {"platform": "esp32", "sta": {"active": False, "broken": True}})
    assert n == 64 and "without RF entropy" in rng


def test_keygen_elsewhere_says_os_urandom(tmp_path):
    n, rng, log, active = keygen(tmp_path, {"platform": "rp2", "no_esp32": True})
    assert rng == "rp2: os.urandom" and log == []
