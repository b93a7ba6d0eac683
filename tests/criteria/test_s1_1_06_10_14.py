"""S1.1-06 (update, version, persistence), S1.1-10 (model), S1.1-14 storage half."""
import os

from jcstar_agent.check import evaluate
from jcstar_agent.config import BoardConfig, load
from jcstar_agent.criteria import Context, Options, Verdict
from jcstar_agent.target import Root


def ctx(root, toml=None, tmp_path=None, live=False):
    cfg = BoardConfig()
    if toml is not None:
        p = tmp_path / "board.toml"
        p.write_text(toml)
        cfg = load(str(p))
    return Context(Root(root, live=live), cfg, Options())


def checks(out):
    return {f.check: f for f in out.findings}


def test_s1_1_06_passes_with_apt_and_os_release(tree):
    out = evaluate(ctx(tree()), "S1.1-06")
    assert out.verdict is Verdict.PASS, out.reason
    assert checks(out)["FW-VERSION"].evidence == {"path": "/etc/os-release", "version": "1.2.3"}
    assert checks(out)["UPDATE-MECHANISM"].evidence["mechanism"] == "apt"


def test_s1_1_06_no_update_mechanism_fails(tree):
    root = tree()
    os.unlink(os.path.join(root, "usr/bin/apt-get"))
    out = evaluate(ctx(root), "S1.1-06")
    assert out.verdict is Verdict.FAIL and "UPDATE-MECHANISM-MISSING" in checks(out)


def test_s1_1_06_unreadable_version_fails_naming_the_file(tree, tmp_path):
    out = evaluate(ctx(tree(), '[firmware]\nversion_source = "/etc/acme-release"\nversion_key = ""\n', tmp_path),
                   "S1.1-06")
    assert out.verdict is Verdict.FAIL
    f = checks(out)["FW-VERSION-UNREADABLE"]
    assert f.evidence["path"] == "/etc/acme-release" and "missing" in f.message


def test_s1_1_06_version_on_tmpfs_fails(tree, tmp_path):
    # Yocto-style: /etc/version is a link into /var/volatile, which fstab mounts as tmpfs.
    root = tree({"/var/volatile/version": "4.0.1\n", "/etc/version": ("symlink", "/var/volatile/version"),
                 "/etc/fstab": "/dev/root / auto defaults 1 1\ntmpfs /var/volatile tmpfs defaults 0 0\n"})
    out = evaluate(ctx(root, '[firmware]\nversion_source = "/etc/version"\nversion_key = ""\n', tmp_path),
                   "S1.1-06")
    assert out.verdict is Verdict.FAIL
    f = checks(out)["FW-VERSION-VOLATILE"]
    assert f.evidence["real_path"] == "/var/volatile/version" and "tmpfs" in f.message
    assert "/etc/fstab:2" in f.message


def test_s1_1_06_declared_mechanism_missing_fails(tree, tmp_path):
    out = evaluate(ctx(tree(), '[update]\nmechanism = "custom"\ncommand = "/usr/sbin/acme-update"\n', tmp_path),
                   "S1.1-06")
    assert out.verdict is Verdict.FAIL
    assert "/usr/sbin/acme-update" in checks(out)["UPDATE-DECLARED-MISSING"].message


def test_s1_1_06_detects_rauc(tree):
    root = tree({"/etc/rauc/system.conf": "[system]\ncompatible=acme\n"})
    os.unlink(os.path.join(root, "usr/bin/apt-get"))
    out = evaluate(ctx(root), "S1.1-06")
    assert out.verdict is Verdict.PASS and checks(out)["UPDATE-MECHANISM"].evidence["mechanism"] == "rauc"


def test_s1_1_10_compares_declared_model(tree, tmp_path):
    root = tree({"/etc/acme/model": "ACME-GW-100 rev B\n"})
    base = '[product]\nmodel_source = "/etc/acme/model"\n'
    assert evaluate(ctx(root, base + 'model = "acme-gw-100"\n', tmp_path), "S1.1-10").verdict is Verdict.PASS
    out = evaluate(ctx(root, base + 'model = "ACME-GW-200"\n', tmp_path), "S1.1-10")
    assert out.verdict is Verdict.FAIL and checks(out)["MODEL-MISMATCH"].evidence["path"] == "/etc/acme/model"
    out = evaluate(ctx(root, base, tmp_path), "S1.1-10")
    assert out.verdict is Verdict.MANUAL and "declare product.model" in out.reason


def test_s1_1_10_device_tree_with_nul_live_root(tree, tmp_path):
    root = tree({"/proc/device-tree/model": b"Raspberry Pi 4 Model B Rev 1.4\x00"})
    out = evaluate(ctx(root, '[product]\nmodel = "Raspberry Pi 4 Model B"\n', tmp_path, live=True), "S1.1-10")
    assert out.verdict is Verdict.PASS and "/proc/device-tree/model" in out.reason


def test_s1_1_10_missing_source_and_offline(tree, tmp_path):
    out = evaluate(ctx(tree(), '[product]\nmodel = "X"\nmodel_source = "/etc/model"\n', tmp_path), "S1.1-10")
    assert out.verdict is Verdict.FAIL and "MODEL-UNREADABLE" in checks(out)
    out = evaluate(ctx(tree(), '[product]\nmodel = "X"\n', tmp_path), "S1.1-10")
    assert out.verdict is Verdict.MANUAL and "offline image" in out.reason


def test_s1_1_14_credentials_on_volatile_overlay_fail(tree, tmp_path):
    root = tree({"/etc/fstab": "tmpfs /var/volatile tmpfs defaults 0 0\n",
                 "/var/volatile/mosquitto/passwd": "u:$7$x\n"})
    toml = '[[logins]]\nname = "mqtt"\nkind = "app"\nstore = "/var/volatile/mosquitto/passwd"\n'
    out = evaluate(ctx(root, toml, tmp_path), "S1.1-14")
    assert out.verdict is Verdict.FAIL
    f = [f for f in out.findings if f.check == "STORAGE-VOLATILE"]
    assert [x.evidence["path"] for x in f] == ["/var/volatile/mosquitto/passwd"]
    assert evaluate(ctx(tree()), "S1.1-14").verdict is Verdict.PASS


def test_mountinfo_overlay_with_tmpfs_upper_is_volatile():
    from jcstar_agent.facts.mounts import Mounts, parse_mountinfo
    text = ("20 1 0:20 / / rw - overlay overlay rw,lowerdir=/ro,upperdir=/run/rw/upper,workdir=/run/rw/work\n"
            "21 20 0:21 / /run rw,nosuid - tmpfs tmpfs rw\n"
            "22 20 179:2 / /data rw - ext4 /dev/mmcblk0p2 rw\n"
            "garbage line\n")
    m = Mounts(parse_mountinfo(text))
    assert m._volatile(m.mount_of("/etc/shadow")).startswith("/ is an overlay whose upper layer /run/rw/upper")
    assert m._volatile(m.mount_of("/data/x")) is None
    assert m.mount_of("/run/x").fstype == "tmpfs"


def test_certified_product_is_deemed_to_meet_06(tree, tmp_path):
    root = tree()
    os.unlink(os.path.join(root, "usr/bin/apt-get"))
    out = evaluate(ctx(root, '[product]\nconformity_certification = "ACD-23-0001"\n', tmp_path), "S1.1-06")
    assert out.verdict is Verdict.PASS and "ACD-23-0001" in out.reason
    assert any(f.check == "UPDATE-MECHANISM-MISSING" for f in out.findings)  # still shown
