"""The agent's state across boots and the S1.1-14 cross-boot half, on synthetic live roots.

A synthetic tree with ``Root(path, live=True)`` stands for the running device (the test hook for
live mode over a directory): its /proc/sys/kernel/random/boot_id is the boot, its
/proc/self/mountinfo the mounts.
"""
import json
import os
import stat

import pytest

from jcstar_agent import state
from jcstar_agent.config import BoardConfig
from jcstar_agent.criteria import Context
from jcstar_agent.criteria import s1_1_14
from jcstar_agent.target import Root

SHADOW0 = "root:$y$j9T$factory$hash:19000:0:99999:7:::\nadmin:$y$j9T$adminfactory$x:19000::::::\n"
SHADOW1 = "root:$y$j9T$changed$hash:19001:0:99999:7:::\nadmin:$y$j9T$adminfactory$x:19000::::::\n"
BOOT = "/proc/sys/kernel/random/boot_id"


def boot(path, n, shadow=None, version=None):
    os.makedirs(os.path.join(path, "proc/sys/kernel/random"), exist_ok=True)
    with open(os.path.join(path, BOOT.lstrip("/")), "w") as fh:
        fh.write(f"0000000{n}-1111-2222-3333-444444444444\n")
    if shadow is not None:
        with open(os.path.join(path, "etc/shadow"), "w") as fh:
            fh.write(shadow)
    if version is not None:
        with open(os.path.join(path, "etc/os-release"), "w") as fh:
            fh.write(f'NAME="Acme"\nVERSION_ID="{version}"\n')


def run14(path):
    return s1_1_14.evaluate(Context(Root(path, live=True), BoardConfig()))


@pytest.fixture
def device(tree):
    path = tree({"/etc/shadow": SHADOW0, "/etc/ssh/ssh_host_ed25519_key.pub":
                 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBf0Zx0e1u3v7n8mT9yBq1Xw0S2N2zq6xvFv8yXbXkZK root@x\n"})
    boot(path, 1)
    return path


def test_first_run_records_factory_state_0600_without_hashes(device):
    out = run14(device)
    assert out.verdict.value == "pass", out.reason
    assert "factory state recorded" in out.reason
    sf = os.path.join(device, "var/lib/jcstar-agent/state.json")
    assert stat.S_IMODE(os.stat(sf).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.join(device, "var/lib/jcstar-agent/hmac.key")).st_mode) == 0o600
    text = open(sf).read()
    assert "$y$" not in text and "factory$hash" not in text
    data = json.loads(text)
    assert set(data["factory"]["credentials"]) == {"shadow:root", "shadow:admin"}
    assert data["factory"]["keys"]["/etc/ssh/ssh_host_ed25519_key.pub"].startswith("SHA256:")
    assert not [n for n in os.listdir(os.path.dirname(sf)) if ".tmp" in n]


def test_credential_back_to_factory_after_reboot_fails(device):
    run14(device)  # factory
    boot(device, 1, shadow=SHADOW1)  # the user changes root's password, same boot
    assert run14(device).verdict.value == "pass"
    boot(device, 2, shadow=SHADOW0)  # power cut: the factory shadow is back
    out = run14(device)
    assert out.verdict.value == "fail"
    f = [f for f in out.findings if f.check == "STATE-CREDENTIAL-REVERTED"]
    assert [x.evidence["credential"] for x in f] == ["shadow:root"]
    assert "$y$" not in repr(out)
    assert run14(device).verdict.value == "fail", "the revert stays visible for the whole boot"


def test_unchanged_credentials_across_reboot_pass(device):
    run14(device)
    boot(device, 2)
    out = run14(device)
    assert out.verdict.value == "pass" and "nothing reverted" in out.reason


def test_password_changed_after_reboot_is_not_a_revert(device):
    run14(device)
    boot(device, 2, shadow=SHADOW1)
    assert run14(device).verdict.value == "pass"


def test_version_reverted_after_reboot_fails(device):
    boot(device, 1, version="1.0")
    run14(device)
    boot(device, 2, version="1.1")
    assert run14(device).verdict.value == "pass"
    boot(device, 3, version="1.0")
    out = run14(device)
    assert out.verdict.value == "fail"
    f = next(f for f in out.findings if f.check == "STATE-VERSION-REVERTED")
    assert f.evidence["firmware_version"] == "1.0" and f.evidence["previous_version"] == "1.1"


def test_state_dir_on_tmpfs_fails(device):
    os.makedirs(os.path.join(device, "proc/self"))
    with open(os.path.join(device, "proc/self/mountinfo"), "w") as fh:
        fh.write("22 1 8:2 / / rw,relatime - ext4 /dev/mmcblk0p2 rw\n"
                 "30 22 0:25 / /var/lib/jcstar-agent rw,nosuid - tmpfs tmpfs rw,size=1024k\n")
    out = run14(device)
    assert out.verdict.value == "fail"
    f = next(f for f in out.findings if f.check == "STATE-VOLATILE")
    assert f.evidence["path"] == "/var/lib/jcstar-agent" and "tmpfs" in f.message


def test_state_dir_on_overlay_with_ram_upper_layer_fails(device):
    """A read-only root with an overlay whose upper layer is tmpfs (the volatile-overlay setups)."""
    os.makedirs(os.path.join(device, "proc/self"))
    with open(os.path.join(device, "proc/self/mountinfo"), "w") as fh:
        fh.write("20 1 179:2 / /media/ro ro,relatime - squashfs /dev/mmcblk0p2 ro\n"
                 "21 1 0:30 / /media/rw rw,relatime - tmpfs tmpfs rw,size=65536k\n"
                 "22 1 0:31 / / rw,relatime - overlay overlay rw,lowerdir=/media/ro,"
                 "upperdir=/media/rw/upper,workdir=/media/rw/work\n")
    out = run14(device)
    assert out.verdict.value == "fail"
    f = next(f for f in out.findings if f.check == "STATE-VOLATILE")
    assert "overlay" in f.message and "/media/rw/upper" in f.message and "tmpfs" in f.message


def test_state_dir_on_persistent_overlay_passes(device):
    os.makedirs(os.path.join(device, "proc/self"))
    with open(os.path.join(device, "proc/self/mountinfo"), "w") as fh:
        fh.write("20 1 179:2 / /media/ro ro,relatime - squashfs /dev/mmcblk0p2 ro\n"
                 "21 1 179:3 / /data rw,relatime - ext4 /dev/mmcblk0p3 rw\n"
                 "22 1 0:31 / / rw,relatime - overlay overlay rw,lowerdir=/media/ro,"
                 "upperdir=/data/upper,workdir=/data/work\n")
    out = run14(device)
    assert out.verdict.value == "pass", out.reason
    assert not [f for f in out.findings if f.check in ("STATE-VOLATILE", "STORAGE-VOLATILE")]


def test_garbage_state_is_an_error_and_set_aside(device):
    d = os.path.join(device, "var/lib/jcstar-agent")
    os.makedirs(d)
    with open(os.path.join(d, "state.json"), "wb") as fh:
        fh.write(b"\x00\xff garbage {")
    out = run14(device)
    assert out.verdict.value == "error" and "unusable" in out.reason
    assert any(n.startswith("state.json.bad-") for n in os.listdir(d))
    assert run14(device).verdict.value == "pass"  # recorded anew


def test_offline_never_writes(device):
    out = s1_1_14.evaluate(Context(Root(device, live=False), BoardConfig()))
    assert out.verdict.value == "pass" and "live runs only" in out.reason
    assert not os.path.exists(os.path.join(device, "var/lib/jcstar-agent"))


def test_unreadable_boot_id_is_an_error(tree):
    out = run14(tree())
    assert out.verdict.value == "error" and "boot id" in out.reason


def test_key_fingerprint_matches_openssh_format():
    fp = state.key_fingerprint("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBf0Zx0e1u3v7n8mT9yBq1Xw0S2N2zq6xvFv8yXbXkZK")
    assert fp.startswith("SHA256:") and len(fp) == 50
    assert state.key_fingerprint("garbage") is None
    assert state.key_fingerprint("ssh-rsa !!!notbase64") is None


def test_older():
    assert state.older("1.2.9", "1.2.10") and not state.older("2.0", "1.9")
    assert not state.older("1.0", "1.0") and not state.older("1.2", "1.2.0")
    assert state.older("v1.2", "v1.3") and state.older("1.2", "V1.3")
    # no order is guessed for suffixes or mixed schemes: an update rc -> final is not a downgrade
    assert not state.older("1.0", "1.0-rc1") and not state.older("1.3", "v1.2-beta")
    assert not state.older("2024.06+git1", "2024.06+git2")


def test_update_from_release_candidate_to_final_is_not_a_revert(device):
    boot(device, 1, version="2.0-rc1")
    run14(device)
    boot(device, 2, version="2.0")
    out = run14(device)
    assert out.verdict.value == "pass", [f.message for f in out.findings]
    boot(device, 3, version="2.0-rc1")  # but going back to the rc that ran before is a revert
    out = run14(device)
    assert out.verdict.value == "fail"
    assert [f.evidence["firmware_version"] for f in out.findings if f.check == "STATE-VERSION-REVERTED"] == ["2.0-rc1"]


def test_parse_rejects_wrong_shapes():
    for text in ("[]", '{"schema": "x"}', '{"schema": "%s", "boots": 3}' % state.SCHEMA,
                 '{"schema": "%s", "boots": [{"x": 1}]}' % state.SCHEMA):
        with pytest.raises(state.StateError):
            state.parse(text)


def test_busybox_hashes_in_passwd_reverted_after_reboot_fail(tree):
    """No /etc/shadow: the hash lives in /etc/passwd (BusyBox images); a revert is still seen."""
    factory = "root:$1$fact$OrYzVd6bBvUx5dN0H2dJ0.:0:0:root:/root:/bin/sh\nbin:x:1:1:bin:/bin:/bin/false\n"
    changed = "root:$1$user$8Lh0c3hVZ0aN3VZp5y8QH/:0:0:root:/root:/bin/sh\nbin:x:1:1:bin:/bin:/bin/false\n"
    path = tree({"/etc/passwd": factory})
    os.remove(os.path.join(path, "etc/shadow"))

    def passwd(text):
        with open(os.path.join(path, "etc/passwd"), "w") as fh:
            fh.write(text)

    boot(path, 1)
    assert run14(path).verdict.value == "pass"
    passwd(changed)
    assert run14(path).verdict.value == "pass"
    boot(path, 2)
    assert run14(path).verdict.value == "pass"
    boot(path, 3)
    passwd(factory)
    out = run14(path)
    assert out.verdict.value == "fail", out.reason
    f = [f for f in out.findings if f.check == "STATE-CREDENTIAL-REVERTED"]
    assert [x.evidence["credential"] for x in f] == ["passwd:root"]
    text = open(os.path.join(path, "var/lib/jcstar-agent/state.json")).read()
    assert "$1$" not in text and "passwd:bin" not in text
