"""Package databases, the CycloneDX SBOM, and OSV matching with each ecosystem's ordering."""
import json
import os
import random
import shutil
import subprocess
import zipfile

import pytest

from jcstar_agent import sbom, vulndb
from jcstar_agent.config import BoardConfig
from jcstar_agent.criteria import Context, Options
from jcstar_agent.facts import packages
from jcstar_agent.target import Root

DPKG = """Package: openssl
Status: install ok installed
Priority: optional
Architecture: amd64
Source: openssl (3.0.11-1~deb12u1)
Version: 3.0.11-1~deb12u2
Description: Secure Sockets Layer toolkit
 continuation line

Package: removed-thing
Status: deinstall ok config-files
Version: 1.0

Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u3

Package: bash
Status: install ok installed
Architecture: amd64
Version: 5.2.15-2+b2
"""
OPKG = "Package: busybox\nVersion: 1.36.1-r0\nStatus: install user installed\nArchitecture: cortexa7\n\n"
APK = "C:Q1abc=\nP:musl\nV:1.2.4-r1\nA:x86_64\nL:MIT\no:musl\n\nP:libcrypto3\nV:3.1.3-r0\nA:x86_64\no:openssl\n\n"
DIST = "Metadata-Version: 2.1\nName: Requests\nVersion: 2.25.0\nLicense: Apache 2.0\n\nbody\nName: no\n"


def ctx(root):
    return Context(Root(root, live=False), BoardConfig(), Options())


@pytest.fixture
def pkgroot(tree):
    return tree({
        "/etc/os-release": 'ID=debian\nVERSION_ID="12"\nNAME="Debian"\nPRETTY_NAME="Debian 12"\n',
        "/var/lib/dpkg/status": DPKG, "/var/lib/opkg/status": OPKG, "/lib/apk/db/installed": APK,
        "/usr/lib/python3.11/site-packages/requests-2.25.0.dist-info/METADATA": DIST,
        "/usr/lib/python3/dist-packages/x.egg-info": "Name: x\nVersion: 0.1\n",
        "/usr/lib/python3.11/dist-packages/six.egg-info/PKG-INFO": "Name: six\nVersion: 1.16.0\n",
    })


def test_package_databases(pkgroot):
    pk = packages.read(ctx(pkgroot))
    got = {(p.ecosystem, p.name, p.version, p.source) for p in pk.items}
    assert got == {("dpkg", "openssl", "3.0.11-1~deb12u2", "openssl"), ("dpkg", "libc6", "2.36-9+deb12u3", "glibc"),
                   ("dpkg", "bash", "5.2.15-2+b2", "bash"), ("opkg", "busybox", "1.36.1-r0", "busybox"),
                   ("apk", "musl", "1.2.4-r1", "musl"), ("apk", "libcrypto3", "3.1.3-r0", "openssl"),
                   ("python", "Requests", "2.25.0", "Requests"), ("python", "six", "1.16.0", "six"),
                   ("python", "x", "0.1", "x")}  # Debian's /usr/lib/python3/dist-packages, egg-info file
    openssl = next(p for p in pk.items if p.name == "openssl")
    assert openssl.source_version == "3.0.11-1~deb12u1" and openssl.database == "/var/lib/dpkg/status"
    assert pk.by_ecosystem() == {"dpkg": 3, "opkg": 1, "apk": 2, "python": 3}


def test_garbage_package_databases(tree):
    junk = bytes(range(256)) * 100
    root = tree({"/var/lib/dpkg/status": junk, "/lib/apk/db/installed": junk,
                 "/usr/lib/python3.9/site-packages/x.dist-info/METADATA": junk})
    pk = packages.read(ctx(root))
    assert isinstance(pk.items, list) and pk.errors == []


def test_sbom_is_valid_cyclonedx_1_5(pkgroot, tmp_path):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    bom = sbom.build(ctx(pkgroot))
    out = tmp_path / "bom.json"
    sbom.write(bom, str(out))
    assert JsonStrictValidator(SchemaVersion.V1_5).validate_str(out.read_text()) is None
    purls = {c["purl"] for c in bom["components"]}
    assert "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12" in purls
    assert "pkg:pypi/requests@2.25.0" in purls and "pkg:apk/debian/musl@1.2.4-r1?arch=x86_64" in purls
    assert bom["metadata"]["component"]["type"] == "firmware"
    assert sbom.components_digest(bom) == sbom.components_digest(sbom.build(ctx(pkgroot)))


def test_purl_encodes_epoch():
    p = packages.Package("x", "1:2.0+dfsg-1", "dpkg", "arm64")
    assert sbom.purl(p, {"ID": "debian"}) == "pkg:deb/debian/x@1:2.0%2Bdfsg-1?arch=arm64"


# --- version orderings -----------------------------------------------------------------------
@pytest.mark.parametrize("a,b,want", [
    ("1.0~rc1", "1.0", -1), ("1:1.0", "2.0", 1), ("1.0-1", "1.0-1+b1", -1), ("2.30-2", "2.30-10", -1),
    ("1.0", "1.0-0", 0), ("3.0.11-1~deb12u2", "3.0.11-1", -1), ("1.0a", "1.0+", -1), ("1.0~~", "1.0~", -1),
    ("0:1.2", "1.2", 0), ("1.2.3", "1.2.10", -1), ("9.2p1-2+deb12u3", "9.2p1-2+deb12u2", 1),
])
def test_debian_ordering(a, b, want):
    assert vulndb.debian_compare(a, b) == want
    assert vulndb.debian_compare(b, a) == -want


@pytest.mark.skipif(not shutil.which("dpkg"), reason="dpkg is not installed on this host")
def test_debian_ordering_agrees_with_real_dpkg():
    rnd = random.Random(7)
    chars = "0123456789.~+ab"
    for _ in range(120):
        a, b = (rnd.choice(["", "", "0:", "1:", "2:"]) + "1" +
                "".join(rnd.choice(chars) for _ in range(rnd.randint(0, 6))) +
                rnd.choice(["", "-1", "-1~b1", "-2+deb12u1"]) for _ in range(2))
        want = vulndb.debian_compare(a, b)
        op = {-1: "lt", 0: "eq", 1: "gt"}[want]
        assert subprocess.run(["dpkg", "--compare-versions", a, op, b]).returncode == 0, (a, op, b)


@pytest.mark.parametrize("a,b,want", [
    ("1.2.3-r0", "1.2.3-r1", -1), ("1.2.3_rc1", "1.2.3", -1), ("1.2.3", "1.2.3_p1", -1),
    ("1.2", "1.2.1", -1), ("1.10", "1.9", 1), ("1.2_alpha", "1.2_beta", -1), ("1.2a", "1.2", 1),
])
def test_alpine_ordering(a, b, want):
    assert vulndb.alpine_compare(a, b) == want


@pytest.mark.parametrize("a,b,want", [
    ("1.0.dev0", "1.0a1", -1), ("1.0a1", "1.0", -1), ("1.0", "1.0.post1", -1), ("1.0", "1.0.0", 0),
    ("2.0rc1", "2.0", -1), ("1.0a1.dev1", "1.0a1", -1), ("1!0.1", "2.0", 1), ("2.25.0", "2.31.0", -1),
])
def test_pep440_ordering(a, b, want):
    assert vulndb.pypi_compare(a, b) == want


def rec(id_, eco, name, events=None, versions=None, **kw):
    aff = {"package": {"ecosystem": eco, "name": name}}
    if events:
        aff["ranges"] = [{"type": "ECOSYSTEM", "events": events}]
    if versions:
        aff["versions"] = versions
    return dict({"id": id_, "affected": [aff]}, **kw)


DB = [
    rec("DSA-1", "Debian:12", "openssl", [{"introduced": "0"}, {"fixed": "3.0.13-1~deb12u1"}],
        aliases=["CVE-2024-0001"], summary="openssl bug"),
    rec("DSA-2", "Debian:12", "glibc", [{"introduced": "0"}, {"fixed": "2.36-9+deb12u1"}]),  # fixed already
    rec("DSA-3", "Debian:11", "bash", [{"introduced": "0"}, {"fixed": "9.9"}]),  # other release
    rec("ALPINE-1", "Alpine:v3.18", "openssl", [{"introduced": "0"}, {"fixed": "3.1.4-r0"}]),
    rec("GHSA-1", "PyPI", "requests", [{"introduced": "2.0"}, {"fixed": "2.31.0"}],
        database_specific={"severity": "MODERATE"}),
    rec("GHSA-2", "PyPI", "six", versions=["1.16.0"], withdrawn="2024-01-01T00:00:00Z"),
    rec("OSV-LA", "PyPI", "six", [{"introduced": "1.0"}, {"last_affected": "1.15.0"}]),
    {"id": "broken", "affected": "nope"},
]


def test_matching_per_ecosystem(pkgroot, tmp_path):
    db = tmp_path / "db.json"
    db.write_text(json.dumps(DB))
    pk = packages.read(ctx(pkgroot))
    matches, count = vulndb.match(pk, str(db))
    assert count == len(DB)
    got = {(m.id, m.package) for m in matches}
    # libcrypto3 3.1.3-r0 comes from source openssl; but the image is Debian 12, not Alpine 3.18
    assert got == {("DSA-1", "openssl"), ("GHSA-1", "Requests")}
    m = next(m for m in matches if m.id == "GHSA-1")
    assert m.severity == "medium" and m.fixed == ["2.31.0"]


def test_debian_urgency_unimportant_is_info(pkgroot, tmp_path):
    r = rec("DEBIAN-CVE-1", "Debian:12", "bash", [{"introduced": "0"}])
    r["affected"][0]["ecosystem_specific"] = {"urgency": "unimportant"}
    db = tmp_path / "db.json"
    db.write_text(json.dumps([r, rec("DEBIAN-CVE-2", "Debian:12", "bash", [{"introduced": "0"}])]))
    sev = {m.id: m.severity for m in vulndb.match(packages.read(ctx(pkgroot)), str(db))[0]}
    assert sev == {"DEBIAN-CVE-1": "info", "DEBIAN-CVE-2": "high"}


def test_database_formats(pkgroot, tmp_path):
    pk = packages.read(ctx(pkgroot))
    z = tmp_path / "all.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for r in DB[:2]:
            zf.writestr(f"{r['id']}.json", json.dumps(r))
    assert {m.id for m in vulndb.match(pk, str(z))[0]} == {"DSA-1"}
    lines = tmp_path / "db.jsonl"
    lines.write_text("\n".join(json.dumps(r) for r in DB[:2]))
    assert {m.id for m in vulndb.match(pk, str(lines))[0]} == {"DSA-1"}
    wrapped = tmp_path / "w.json"
    wrapped.write_text(json.dumps({"vulns": DB[:1]}))
    assert vulndb.match(pk, str(wrapped))[1] == 1
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff\x00{not json")
    with pytest.raises(vulndb.VulnDbError):
        vulndb.match(pk, str(bad))


def test_range_events_unsorted_and_limit():
    aff = {"ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "2.0"}, {"introduced": "1.5"},
                                                       {"introduced": "3.0"}, {"limit": "3.5"}]}]}
    cmp = vulndb.debian_compare
    assert not vulndb.affected("1.0", aff, cmp) and vulndb.affected("1.7", aff, cmp)
    assert not vulndb.affected("2.5", aff, cmp) and vulndb.affected("3.1", aff, cmp)
    assert not vulndb.affected("3.6", aff, cmp)
    semver = {"ranges": [{"type": "SEMVER", "events": [{"introduced": "1.2.0-rc.1"}, {"fixed": "1.2.0"}]}]}
    assert vulndb.affected("1.2.0-rc.2", semver, cmp) and not vulndb.affected("1.2.0", semver, cmp)


# --- audit additions ---------------------------------------------------------------------------
def test_malformed_records_are_skipped_not_crashed(pkgroot, tmp_path):
    bad = [
        {"id": "X-1", "aliases": "CVE-1", "affected": [{"package": {"ecosystem": "Debian:12", "name": "openssl"},
                                                         "ranges": ["nope", {"events": "x"}], "versions": "3"}]},
        {"id": "X-2", "affected": [{"package": {"ecosystem": "Debian:12", "name": "openssl"},
                                    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}, 7]}],
         "aliases": "CVE-2", "related": ["CVE-2024-1", 5]},
    ]
    db = tmp_path / "db.json"
    db.write_text(json.dumps(bad))
    matches, count = vulndb.match(packages.read(ctx(pkgroot)), str(db))
    assert count == 2 and [(m.id, m.aliases, m.related) for m in matches] == [("X-2", [], ["CVE-2024-1"])]


def test_debian_and_ubuntu_records_stay_with_their_distribution(tree, tmp_path):
    status = "Package: bash\nStatus: install ok installed\nVersion: 5.1-6ubuntu1\n"
    db = tmp_path / "db.json"
    db.write_text(json.dumps([rec("DEB", "Debian", "bash", [{"introduced": "0"}]),
                              rec("UBU", "Ubuntu:22.04:LTS", "bash", [{"introduced": "0"}])]))
    ubuntu = tree({"/etc/os-release": 'ID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"\n',
                   "/var/lib/dpkg/status": status})
    assert {m.id for m in vulndb.match(packages.read(ctx(ubuntu)), str(db))[0]} == {"UBU"}
    with open(os.path.join(ubuntu, "etc/os-release"), "w") as fh:
        fh.write('ID=raspbian\nID_LIKE=debian\nVERSION_ID="22.04"\n')
    assert {m.id for m in vulndb.match(packages.read(ctx(ubuntu)), str(db))[0]} == {"DEB"}


def test_last_affected_is_inclusive_and_epochs_and_tildes_order_ranges():
    cmp = vulndb.debian_compare
    la = {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1:1.0"}, {"last_affected": "1:1.5-2"}]}]}
    assert vulndb.affected("1:1.5-2", la, cmp) and vulndb.affected("1:1.0", la, cmp)
    assert not vulndb.affected("1:1.5-2+deb12u1", la, cmp)
    assert not vulndb.affected("1.9", la, cmp)  # no epoch: 0 < 1, before the introduced version
    assert not vulndb.affected("2:0.1", la, cmp)  # a higher epoch beats any upstream
    fx = {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.13-1~deb12u1"}]}]}
    assert vulndb.affected("3.0.13-1~deb11u1", fx, cmp)  # ~deb11 sorts before ~deb12
    assert not vulndb.affected("3.0.13-1", fx, cmp)  # the release sorts after its ~ backport
    pairs = {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "1.2"},
                                                          {"introduced": "2.0"}, {"fixed": "2.1"}]}]}
    assert [vulndb.affected(v, pairs, cmp) for v in ("0.9", "1.1", "1.2", "1.9", "2.0", "2.0.5", "2.1")] == \
        [False, True, False, False, True, True, False]


def test_sbom_written_to_a_fifo_or_device_is_not_replaced(pkgroot, tmp_path):
    import stat
    import threading
    fifo = tmp_path / "bom.fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo).read()))
    reader.start()
    sbom.write(sbom.build(ctx(pkgroot)), str(fifo))
    reader.join(10)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still the FIFO, not a renamed-over file
    assert json.loads(got[0])["bomFormat"] == "CycloneDX"
    assert sorted(os.listdir(tmp_path)) == ["bom.fifo", "root"]
