"""jcstar_agent.facts.secrets: real keys (made by openssl/ssh-keygen) vs labels in binaries; PSKs; bounds."""
import os
import shutil
import subprocess

import pytest
from jcstar_agent.facts import secrets
from jcstar_agent.target import Root


def genkey(path, *args):
    subprocess.run(["openssl", "genpkey", *args, "-out", str(path)], check=True, capture_output=True)
    return path.read_bytes()


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("keys")
    out = {"pkcs8": genkey(d / "a.pem", "-algorithm", "ed25519"),
           "ec": genkey(d / "b.pem", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"),
           "enc": genkey(d / "c.pem", "-algorithm", "ed25519", "-aes256", "-pass", "pass:x")}
    subprocess.run(["openssl", "rsa", "-traditional", "-in", str(d / "a.pem")], capture_output=True)
    rsa = subprocess.run(["openssl", "genrsa", "-traditional", "1024"], capture_output=True)
    if rsa.returncode == 0:
        out["rsa"] = rsa.stdout
    if shutil.which("ssh-keygen"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / "id")], check=True)
        out["openssh"] = (d / "id").read_bytes()
    return out


def test_keys_found_labels_ignored(trees, keys):
    files = {f"/etc/app/{k}.key": v for k, v in keys.items()}
    files["/etc/app/private.pem"] = keys["pkcs8"]
    files["/opt/bin/tool"] = b"\x7fELF\x00-----BEGIN PRIVATE KEY-----\x00%s\x00-----END PRIVATE KEY-----\x00"
    files["/etc/doc.txt"] = "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n"
    files["/root/ok.pem"] = keys["pkcs8"]
    modes = {p: 0o644 for p in files}
    modes["/etc/app/private.pem"] = 0o640
    modes["/root/ok.pem"] = 0o600
    root = Root(trees(files, modes), live=False)
    w = secrets.scan(root, ["/etc", "/opt", "/root"], 1000, 1 << 20)
    found = {f.path: f for f in w.found if f.kind == "private-key"}
    assert set(found) == {f"/etc/app/{k}.key" for k in keys} | {"/etc/app/private.pem"}
    assert found["/etc/app/enc.key"].encrypted and not found["/etc/app/pkcs8.key"].encrypted
    if "openssh" in keys:
        assert found["/etc/app/openssh.key"].detail == "OPENSSH PRIVATE KEY"
        assert not found["/etc/app/openssh.key"].encrypted
    assert found["/etc/app/private.pem"].group_readable and not found["/etc/app/private.pem"].world_readable
    assert found["/etc/app/pkcs8.key"].fingerprint == found["/etc/app/private.pem"].fingerprint
    assert w.entries == len(files) and w.read == len(files) - 1


def test_psk_and_app_secrets(trees):
    files = {"/etc/wpa_supplicant/wpa_supplicant.conf": 'network={\n ssid="home"\n psk="hunter22"\n}\n',
             "/etc/NetworkManager/system-connections/home.nmconnection":
                 "[wifi]\nssid=home\n[wifi-security]\nkey-mgmt=wpa-psk\npsk=hunter22\n",
             "/etc/hostapd/hostapd.conf": "ssid=ap\nwpa_passphrase=hunter22\n",
             "/home/u/.netrc": "machine x login y password z\n",
             "/etc/app/api.token": "abc\n",
             "/etc/ssl/certs/x.key": "-----BEGIN CERTIFICATE-----\n",
             "/etc/profile": "psk=not-wifi\n"}
    root = Root(trees(files, {p: 0o644 for p in files}), live=False)
    w = secrets.scan(root, ["/etc", "/home"], 1000, 1 << 20)
    kinds = {f.path: f.kind for f in w.found}
    assert kinds == {"/etc/wpa_supplicant/wpa_supplicant.conf": "wifi-psk",
                     "/etc/NetworkManager/system-connections/home.nmconnection": "wifi-psk",
                     "/etc/hostapd/hostapd.conf": "wifi-psk",
                     "/home/u/.netrc": "app-secret", "/etc/app/api.token": "app-secret"}


def test_bounds(trees):
    files = {f"/etc/d/f{i:03d}": "x" for i in range(50)}
    files["/etc/big"] = b"-----BEGIN PRIVATE KEY-----\n" + b"A" * 5000
    files["/etc/loop"] = ("symlink", "/etc")
    root = Root(trees(files, {p: 0o644 for p in files if p != "/etc/loop"}), live=False)
    w = secrets.scan(root, ["/etc"], 10, 4096)
    assert w.cut and w.entries == 10
    w = secrets.scan(root, ["/etc", "/nonexistent"], 1000, 4096)
    assert not w.cut and w.too_large == 1 and w.entries == 51


def test_home_toolchains_not_walked_but_named(trees, keys):
    files = {"/root/.pyenv/versions/3.11/lib/test/key.pem": keys["pkcs8"],
             "/home/dev/.cache/pip/key.pem": keys["pkcs8"], "/root/app/key.pem": keys["pkcs8"]}
    root = Root(trees(files, {p: 0o644 for p in files}), live=False)
    w = secrets.scan(root, ["/home", "/root"], 1000, 1 << 20)
    assert [f.path for f in w.found] == ["/root/app/key.pem"]
    assert w.skipped_dirs == ["/home/dev/.cache", "/root/.pyenv"]


def test_traditional_ec_and_json_escaped_keys(trees, tmp_path):
    """'openssl ecparam -genkey' (EC PARAMETERS + EC PRIVATE KEY) and a PKCS#8 key kept in a JSON
    string with escaped line breaks (cloud/app configs) are keys; the escaped form of a label
    without a body is not."""
    import json

    ec = subprocess.run(["openssl", "ecparam", "-genkey", "-name", "prime256v1"], check=True,
                        capture_output=True).stdout
    pk = genkey(tmp_path / "k.pem", "-algorithm", "ed25519").decode()
    files = {"/etc/app/ec.pem": ec,
             "/opt/app/config.json": json.dumps({"device": {"id": "x", "private_key": pk}}),
             "/opt/app/doc.json": json.dumps({"hint": "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----"})}
    root = Root(trees(files, {p: 0o644 for p in files}), live=False)
    found = {f.path: f for f in secrets.scan(root, ["/etc", "/opt"], 100, 1 << 20).found}
    assert found["/etc/app/ec.pem"].detail == "EC PRIVATE KEY"
    assert found["/opt/app/config.json"].detail == "PRIVATE KEY"
    assert found["/opt/app/config.json"].fingerprint == secrets.find_keys(pk.encode())[0][2]
    assert "/opt/app/doc.json" not in found
