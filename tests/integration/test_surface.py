"""Attack surface, transport, updates, SBOM and erase over the real debootstrap bookworm rootfs.

The shared tree (read-only) has openssh-server, openbsd-inetd and inetutils-telnetd installed; its
telnet entry is disabled (``#<off>#``, as update-inetd leaves it). One private copy per module
gets telnet enabled by the real ``update-inetd --enable telnet`` (run in a chroot inside a new
network namespace, with inetd wake-up faked so nothing is started) and an apt source with
``trusted=yes``.
"""
import json
import os
import subprocess

import pytest

import rootfs as rootfs_builder
from jcstar_agent import erase

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="chroot and the debootstrap rootfs need root")


@pytest.fixture(scope="module")
def weakened(debian_rootfs, tmp_path_factory):
    root = rootfs_builder.copy_rootfs(str(tmp_path_factory.mktemp("surface") / "rootfs"))
    rc = os.path.join(root, "usr/sbin/policy-rc.d")
    with open(rc, "w") as fh:
        fh.write("#!/bin/sh\nexit 101\n")
    os.chmod(rc, 0o755)
    subprocess.run(["unshare", "-n", "chroot", root, "update-inetd", "--enable", "telnet"], check=True,
                   env=rootfs_builder.chroot_env(UPDATE_INETD_FAKE_IT="1"),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.unlink(rc)
    with open(os.path.join(root, "etc/apt/sources.list.d/vendor.list"), "w") as fh:
        fh.write("deb [trusted=yes] http://updates.example.com/acme bookworm main\n")
    return root


def criteria(result):
    return {c["id"]: c for c in result.json()["criteria"]}


def inetd_line(root, service):
    lines = open(os.path.join(root, "etc/inetd.conf")).read().splitlines()
    return next(n for n, ln in enumerate(lines, 1) if ln.startswith(service))


def test_real_rootfs_passes_s1_1_08_and_lists_real_packages(debian_rootfs, cli, tmp_path):
    bom_file = tmp_path / "bom.json"
    r = cli("check", "--root", debian_rootfs, "--format", "json", "--sbom", str(bom_file))
    c = criteria(r)
    assert c["S1.1-08"]["verdict"] == "pass", c["S1.1-08"]
    assert any(f["check"] == "UPDATE-VERIFY-OK" for f in c["S1.1-08"]["findings"])
    # telnet is installed but disabled in inetd.conf: neither -12 nor -13 sees it
    assert not any(f["evidence"].get("port") == 23 for f in c["S1.1-13"]["findings"])
    assert c["S1.1-12"]["verdict"] == "manual"
    ssh = [f for f in c["S1.1-13"]["findings"] if f["evidence"].get("port") == 22]
    assert ssh and ssh[0]["check"] == "SURFACE-UNDECLARED-LISTENER"

    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    text = bom_file.read_text()
    assert JsonStrictValidator(SchemaVersion.V1_5).validate_str(text) is None
    bom = json.loads(text)
    real = subprocess.run(["chroot", debian_rootfs, "dpkg-query", "-W", "-f", "${db:Status-Status} ${Package} ${Version}\n"],
                          capture_output=True, text=True, check=True, env=rootfs_builder.chroot_env()).stdout
    installed = {tuple(ln.split()[1:3]) for ln in real.splitlines() if ln.startswith("installed ")}
    listed = {(x["name"], x["version"]) for x in bom["components"]
              if {"name": "jcstar:package-manager", "value": "dpkg"} in x["properties"]}
    assert listed == installed and len(installed) > 80
    assert {"openssh-server", "openbsd-inetd", "inetutils-telnetd"} <= {n for n, _ in listed}
    # every purl is what packageurl-python parses back to the same package and writes canonically
    # (epochs' ':' literal, '+' as %2B); bom-refs are unique; cyclonedx-python-lib loads the BOM
    from cyclonedx.model.bom import Bom
    from packageurl import PackageURL
    for comp in bom["components"]:
        p = PackageURL.from_string(comp["purl"])
        assert p.to_string() == comp["purl"] and (p.name, p.version) == (comp["name"], comp["version"])
    refs = [x["bom-ref"] for x in bom["components"]] + [bom["metadata"]["component"]["bom-ref"]]
    assert len(refs) == len(set(refs))
    assert any(":" in x["version"] and "+" in x["version"] for x in bom["components"])  # epochs and '+' seen
    assert len(Bom.from_json(bom).components) == len(bom["components"])


def test_telnet_enabled_by_update_inetd_fails_12_and_13(weakened, cli):
    line = inetd_line(weakened, "telnet")
    c = criteria(cli("check", "--root", weakened, "--format", "json"))
    for cid, check in (("S1.1-12", "TRANSPORT-PLAINTEXT-SERVICE"), ("S1.1-13", "SURFACE-UNDECLARED-LISTENER")):
        assert c[cid]["verdict"] == "fail"
        f = next(f for f in c[cid]["findings"] if f["evidence"].get("port") == 23)
        assert f["check"] == check and "telnet" in f["message"]
        assert f"/etc/inetd.conf:{line}" in f["message"]


def test_trusted_yes_source_fails_s1_1_08(weakened, cli):
    c = criteria(cli("check", "--root", weakened, "--format", "json"))
    assert c["S1.1-08"]["verdict"] == "fail"
    f = next(f for f in c["S1.1-08"]["findings"] if f["check"] == "UPDATE-APT-INSECURE")
    assert f["evidence"]["path"] == "/etc/apt/sources.list.d/vendor.list:1"


def test_declaring_telnet_and_ssh_clears_13a(weakened, cli, tmp_path):
    cfg = tmp_path / "board.toml"
    cfg.write_text('[[listeners]]\nproto = "tcp"\nport = 22\nprocess = "sshd"\n'
                   '[[listeners]]\nproto = "tcp"\nport = 23\nprocess = "inetd"\n')
    c = criteria(cli("check", "--root", weakened, "--config", str(cfg), "--format", "json"))
    assert not [f for f in c["S1.1-13"]["findings"] if f["severity"] != "info"]
    assert c["S1.1-13"]["verdict"] == "manual"  # no --vulndb given


def tar_digest(root):
    """An independent whole-tree digest: a sorted tar stream of everything, hashed."""
    p = subprocess.run(f"tar -C {root} --sort=name --numeric-owner -cf - . | sha256sum",
                       shell=True, capture_output=True, text=True, check=True)
    return p.stdout.split()[0]


def test_erase_test_on_a_copy_leaves_the_original_byte_identical(weakened, cli, tmp_path):
    reset = os.path.join(weakened, "usr/local/sbin/factory-reset")
    with open(reset, "w") as fh:
        fh.write("#!/bin/sh\nset -e\nrm -rf /var/lib/acme/*\nrm -f /etc/acme/settings.conf\n"
                 "rm -f /etc/ssh/ssh_host_*\ntouch /etc/acme/.reset-done\n")
    os.chmod(reset, 0o755)
    for path, text in (("var/lib/acme/readings.csv", "t,v\n"), ("etc/acme/settings.conf", "wifi=home\n")):
        os.makedirs(os.path.dirname(os.path.join(weakened, path)), exist_ok=True)
        with open(os.path.join(weakened, path), "w") as fh:
            fh.write(text)
    cfg = tmp_path / "board.toml"
    cfg.write_text('[erase]\ncommand = "/usr/local/sbin/factory-reset"\ndata_paths = ["/var/lib/acme/"]\n'
                   'settings_paths = ["/etc/acme/settings.conf"]\n'
                   'credential_paths = ["/etc/ssh/ssh_host_ed25519_key"]\n')
    before_tar = tar_digest(weakened)
    before = erase.tree_digest(weakened)
    c = criteria(cli("check", "--root", weakened, "--config", str(cfg), "--erase-test", "--format", "json"))
    s15 = c["S1.1-15"]
    assert s15["verdict"] == "pass", s15
    sandbox = next(f for f in s15["findings"] if f["check"] == "ERASE-SANDBOX")
    assert sandbox["evidence"]["tree_sha256_before"] == sandbox["evidence"]["tree_sha256_after"] == before[0]
    assert tar_digest(weakened) == before_tar
    assert os.path.exists(os.path.join(weakened, "etc/ssh/ssh_host_ed25519_key"))
    assert not os.path.exists(os.path.join(weakened, "etc/acme/.reset-done"))
    assert {f["evidence"]["category"] for f in s15["findings"] if f["check"] == "ERASE-ERASED"} == {"A", "B", "C"}


# Debian security-tracker records as osv.dev exports them (DSA: CVEs under "related"; the fixed
# version carries the epoch). DSA-5724-1 is the real regreSSHion advisory, fixed long before the
# installed 1:9.2p1-2+deb12u10; the other openssh record is fixed only after it.
DEBIAN_OSV = [
    {"schema_version": "1.6.0", "id": "DSA-5724-1", "summary": "openssh - security update",
     "published": "2024-07-01T00:00:00Z", "modified": "2024-07-02T00:00:00Z",
     "related": ["CVE-2024-6387"],
     "affected": [{"package": {"ecosystem": "Debian:12", "name": "openssh",
                               "purl": "pkg:deb/debian/openssh?arch=source"},
                   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"},
                                                               {"fixed": "1:9.2p1-2+deb12u3"}]}]}],
     "references": [{"type": "ADVISORY", "url": "https://www.debian.org/security/2024/dsa-5724"}]},
    {"schema_version": "1.6.0", "id": "DEBIAN-CVE-2099-0001", "summary": "openssh: audit test record",
     "modified": "2099-01-01T00:00:00Z", "aliases": [],  "related": ["CVE-2099-0001"],
     "affected": [{"package": {"ecosystem": "Debian:12", "name": "openssh",
                               "purl": "pkg:deb/debian/openssh?arch=source"},
                   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1:9.2p1-1"},
                                                               {"fixed": "1:9.2p1-2+deb12u11"}]}],
                   "ecosystem_specific": {"urgency": "high"}}]},
    {"id": "DSA-0000-1", "affected": [{"package": {"ecosystem": "Debian:11", "name": "glibc"},
                                       "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]},
]


def test_vulndb_debian_record_hits_the_installed_openssh(debian_rootfs, cli, tmp_path):
    status = open(os.path.join(debian_rootfs, "var/lib/dpkg/status")).read()
    stanza = status.split("Package: openssh-server\n", 1)[1].split("\n\n", 1)[0]
    version = next(ln.split(": ", 1)[1] for ln in stanza.splitlines() if ln.startswith("Version: "))
    assert version.startswith("1:9.2p1-2+deb12u")
    db = tmp_path / "debian.json"
    db.write_text(json.dumps(DEBIAN_OSV))
    c = criteria(cli("check", "--root", debian_rootfs, "--vulndb", str(db), "--format", "json"))["S1.1-13"]
    assert c["verdict"] == "fail"
    hits = [f for f in c["findings"] if f["check"] == "VULN-KNOWN"]
    assert {f["evidence"]["id"] for f in hits} == {"DEBIAN-CVE-2099-0001"}
    server = next(f for f in hits if f["evidence"]["package"] == "openssh-server")
    assert server["evidence"]["version"] == version and server["severity"] == "high"
    for word in ("openssh-server", version, "DEBIAN-CVE-2099-0001", "CVE-2099-0001", "1:9.2p1-2+deb12u11"):
        assert word in server["message"]
    scan = next(f for f in c["findings"] if f["check"] == "VULN-SCAN")
    assert scan["evidence"]["records"] == 3
