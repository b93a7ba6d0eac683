"""S1.1-13: listeners vs the declared allowlist, Bluetooth/USB vs the declaration, the SBOM and
the offline known-vulnerability scan."""
import json

from jcstar_agent.check import evaluate
from jcstar_agent.criteria import Verdict
from jcstar_agent.criteria import s1_1_13
from jcstar_agent.facts import peripherals
from surface_testlib import LIB, make_ctx as ctx, problems, WANTS

TELNET = {
    f"{LIB}/inetd.service": "[Service]\nExecStart=/usr/sbin/inetd\n",
    f"{WANTS}/inetd.service": ("symlink", f"{LIB}/inetd.service"),
    "/etc/inetd.conf": "telnet stream tcp nowait root /usr/sbin/tcpd /usr/sbin/telnetd\n",
    "/etc/inittab": "",
}
STATUS = "Package: openssl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.0.11-1~deb12u2\n\n"


def test_undeclared_telnet_fails(tree):
    out = evaluate(ctx(tree(TELNET)), "S1.1-13")
    assert out.verdict is Verdict.FAIL
    [f] = problems(out)
    assert f.check == "SURFACE-UNDECLARED-LISTENER" and f.evidence["port"] == 23
    assert "/etc/inetd.conf:1" in f.message and "telnet" in f.message


def test_declared_listener_matches_by_service_or_process_and_address(tree, tmp_path):
    root = tree(TELNET)
    toml = '[[listeners]]\nproto = "tcp"\nport = 23\nprocess = "telnet"\n'
    out = evaluate(ctx(root, toml, tmp_path), "S1.1-13")
    assert problems(out) == [] and out.verdict is Verdict.MANUAL  # no --vulndb: scan part manual
    assert "--vulndb" in out.reason
    toml = '[[listeners]]\nproto = "tcp"\nport = 23\naddress = "192.168.1.10"\n'
    out = evaluate(ctx(root, toml, tmp_path), "S1.1-13")
    [f] = problems(out)
    assert "does not match" in f.message
    toml = '[[listeners]]\nproto = "udp"\nport = 23\n[[listeners]]\nproto = "tcp"\nport = 23\nprocess = "sshd"\n'
    out = evaluate(ctx(root, toml, tmp_path), "S1.1-13")
    assert [f.check for f in problems(out)] == ["SURFACE-UNDECLARED-LISTENER"]
    assert sum(f.check == "SURFACE-DECLARED-NOT-FOUND" for f in out.findings) == 2


def test_loopback_listener_is_listed_not_failed(tree):
    out = evaluate(ctx(tree({"/etc/inittab": "::respawn:/usr/sbin/telnetd -F -b 127.0.0.1:23\n"})), "S1.1-13")
    assert problems(out) == []
    assert [f.check for f in out.findings if f.check.startswith("SURFACE")] == ["SURFACE-LISTENER-LOOPBACK"]


def test_bluetooth_service_needs_declaration(tree, tmp_path):
    root = tree({f"{LIB}/bluetooth.service": "[Service]\nExecStart=/usr/libexec/bluetooth/bluetoothd\n",
                 f"{WANTS}/bluetooth.service": ("symlink", f"{LIB}/bluetooth.service")})
    out = evaluate(ctx(root), "S1.1-13")
    [f] = problems(out)
    assert f.check == "IFACE-BLUETOOTH-SERVICE" and "bluetooth.service" in f.message
    out = evaluate(ctx(root, '[interfaces]\nbluetooth = true\nreason = "BLE provisioning"\n', tmp_path), "S1.1-13")
    assert problems(out) == []


def test_usb_gadget_offline_needs_declaration(tree, tmp_path):
    root = tree({"/etc/modules": "# modules\ng_ether\n"})
    out = evaluate(ctx(root), "S1.1-13")
    [f] = problems(out)
    assert f.check == "IFACE-USB-GADGET" and "/etc/modules:2" in f.message
    out = evaluate(ctx(root, '[interfaces]\nusb_gadget = true\nreason = "USB network for setup"\n', tmp_path),
                   "S1.1-13")
    assert problems(out) == []


def live_sysfs(tree, authorized_default):
    return tree({
        "/sys/devices/bt/hci0/uevent": "", "/sys/class/bluetooth/hci0": ("symlink", "../../devices/bt/hci0"),
        "/sys/bus/usb/devices/usb1/authorized_default": f"{authorized_default}\n",
        "/sys/kernel/config/usb_gadget/g1/UDC": "musb-hdrc.0\n"})


def test_live_bluetooth_and_usb_against_declaration(tree, tmp_path):
    c = ctx(live_sysfs(tree, 1), live=True)
    p = peripherals.read(c)
    got = sorted(f.check for f in s1_1_13.bluetooth(c, p) + s1_1_13.usb(c, p) if f.is_problem)
    assert got == ["IFACE-BLUETOOTH-ENABLED", "IFACE-USB-GADGET", "IFACE-USB-HOST-ENABLED"]
    root = tree({"/sys/bus/usb/devices/usb1/authorized_default": "2\n"})
    c = ctx(root, '[interfaces]\nbluetooth = true\nusb_gadget = true\nreason = "x"\n',
            tmp_path, live=True)
    p = peripherals.read(c)
    findings = s1_1_13.bluetooth(c, p) + s1_1_13.usb(c, p)
    assert not any(f.is_problem for f in findings)
    assert "IFACE-USB-HOST-INTERNAL" in {f.check for f in findings}


def test_vulnerability_scan_with_database(tree, tmp_path):
    root = tree({"/var/lib/dpkg/status": STATUS, "/etc/os-release": "ID=debian\nVERSION_ID=12\n"})
    db = tmp_path / "osv.json"
    db.write_text(json.dumps([{"id": "DSA-5678-1", "aliases": ["CVE-2024-1111"], "affected": [
        {"package": {"ecosystem": "Debian:12", "name": "openssl"},
         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.13-1~deb12u1"}]}]}]}]))
    out = evaluate(ctx(root, vulndb=str(db)), "S1.1-13")
    assert out.verdict is Verdict.FAIL
    [f] = problems(out)
    assert f.check == "VULN-KNOWN" and f.evidence["id"] == "DSA-5678-1" and f.evidence["fixed"] == ["3.0.13-1~deb12u1"]
    assert "openssl 3.0.11-1~deb12u2" in f.message
    db.write_text(json.dumps([]))
    out = evaluate(ctx(root, vulndb=str(db)), "S1.1-13")
    assert out.verdict is Verdict.PASS, out.reason
    db.write_text("{broken")
    out = evaluate(ctx(root, vulndb=str(db)), "S1.1-13")
    assert out.verdict is Verdict.ERROR and "osv.json" in out.reason


def test_sbom_evidence_and_cli_sbom_file(tree, tmp_path, cli):
    root = tree({"/var/lib/dpkg/status": STATUS})
    out_file = tmp_path / "bom.json"
    r = cli("check", "--root", root, "--sbom", str(out_file))
    assert r.rc == 1
    crit = next(c for c in r.json()["criteria"] if c["id"] == "S1.1-13")
    sb = next(f for f in crit["findings"] if f["check"] == "VULN-SBOM")
    assert sb["evidence"]["components"] == 1 and sb["evidence"]["file"] == str(out_file)
    assert json.loads(out_file.read_text())["components"][0]["name"] == "openssl"
    r = cli("check", "--root", root, "--sbom", str(tmp_path / "no" / "such" / "bom.json"))
    assert r.rc == 2 and "SBOM" in r.err


def test_unreadable_database_is_reported_even_when_interfaces_fail(tree, tmp_path):
    root = tree({"/var/lib/dpkg/status": STATUS, "/etc/inittab": "::respawn:/usr/sbin/telnetd -F\n"})
    db = tmp_path / "osv.json"
    db.write_text("{broken")
    out = evaluate(ctx(root, vulndb=str(db)), "S1.1-13")
    assert out.verdict is Verdict.FAIL
    scan = [f for f in out.findings if f.check == "VULN-SCAN"]
    assert scan and "unreadable" in scan[0].message and "osv.json" in scan[0].message
