"""keygen: 0600 from creation, never overwrites, .pub beside it, keyid = sha256(DER SPKI);
loading an unsafe private key is a run-level error (exit 2)."""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess

import pytest

from jcstar_agent.attest import keys
from jcstar_agent.errors import RunError

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("alg", keys.ALGORITHMS)
def test_keygen_cli(alg, cli, tmp_path):
    out = str(tmp_path / "dev.key")
    r = cli("keygen", "--out", out, "--algorithm", alg)
    assert r.rc == 0, r.err
    assert _mode(out) == 0o600 and _mode(out + ".pub") == 0o644
    priv = open(out, "rb").read()
    assert priv.startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8, unencrypted
    pub = open(out + ".pub", "rb").read()
    assert pub.startswith(b"-----BEGIN PUBLIC KEY-----")  # SubjectPublicKeyInfo
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    k = serialization.load_pem_private_key(priv, None)
    assert isinstance(k, ed25519.Ed25519PrivateKey if alg == "ed25519" else ec.EllipticCurvePrivateKey)
    if alg == "ecdsa-p256":
        assert k.curve.name == "secp256r1"
    keyid = next(ln.split()[-1] for ln in r.out.splitlines() if ln.startswith("keyid"))
    assert keyid == keys.keyid_of(k.public_key())


@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl CLI not installed")
def test_keyid_is_sha256_of_der_spki_per_openssl(tmp_path):
    """An independent tool (openssl) converts the .pub to DER: its SHA-256 is our keyid."""
    _, pub, keyid = keys.generate(str(tmp_path / "k"), "ecdsa-p256")
    der = subprocess.run(["openssl", "pkey", "-pubin", "-in", pub, "-outform", "DER"],
                         capture_output=True, check=True).stdout
    assert hashlib.sha256(der).hexdigest() == keyid


def test_mode_is_0600_even_with_umask_0_and_set_at_creation(tmp_path, monkeypatch):
    """The private key is created by one open(O_CREAT|O_EXCL, 0600): never wider, not even briefly."""
    calls = []
    real_open = os.open

    def spy(path, flags, mode=0o777, *a, **kw):
        calls.append((str(path), flags, mode))
        return real_open(path, flags, mode, *a, **kw)

    monkeypatch.setattr(os, "open", spy)
    old = os.umask(0)
    try:
        priv, pub, _ = keys.generate(str(tmp_path / "k"))
    finally:
        os.umask(old)
    assert _mode(priv) == 0o600
    creating = [c for c in calls if c[0] == priv]
    assert len(creating) == 1
    _, flags, mode = creating[0]
    assert flags & os.O_CREAT and flags & os.O_EXCL and flags & os.O_NOFOLLOW and mode == 0o600


def test_never_overwrites(cli, tmp_path):
    out = str(tmp_path / "k")
    assert cli("keygen", "--out", out).rc == 0
    before = open(out, "rb").read()
    r = cli("keygen", "--out", out)
    assert r.rc == 2 and "already exists" in r.err and "never overwrites" in r.err
    assert open(out, "rb").read() == before


def test_existing_pub_stops_keygen_and_leaves_nothing(cli, tmp_path):
    out = tmp_path / "k"
    (tmp_path / "k.pub").write_text("someone's key\n")
    r = cli("keygen", "--out", str(out))
    assert r.rc == 2 and "k.pub" in r.err
    assert not out.exists() and (tmp_path / "k.pub").read_text() == "someone's key\n"


def test_symlink_at_out_is_not_followed(cli, tmp_path):
    victim = tmp_path / "victim"
    (tmp_path / "k").symlink_to(victim)
    r = cli("keygen", "--out", str(tmp_path / "k"))
    assert r.rc == 2 and not victim.exists()


def test_keygen_into_missing_dir_is_exit_2(cli, tmp_path):
    r = cli("keygen", "--out", str(tmp_path / "no" / "k"))
    assert r.rc == 2 and "cannot create" in r.err


@pytest.fixture
def keyfile(tmp_path):
    priv, _, _ = keys.generate(str(tmp_path / "k"))
    return priv


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o602])
def test_key_readable_or_writable_by_others_is_exit_2(mode, keyfile, proc, tree):
    os.chmod(keyfile, mode)
    r = proc("attest", "--root", tree(), "--key", keyfile)
    assert r.rc == 2, r.err
    assert "group/others" in r.err and f"{mode:04o}" in r.err and "Traceback" not in r.err
    assert r.out == ""  # nothing signed


@pytest.mark.integration  # root
@pytest.mark.host
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to chown a file to another user")
def test_key_owned_by_another_user_is_exit_2(keyfile, cli, tree):
    os.chown(keyfile, 65534, 65534)
    r = cli("attest", "--root", tree(), "--key", keyfile)
    assert r.rc == 2 and "owned by uid 65534 (nobody)" in r.err and "(uid 0, root)" in r.err
    # keygen as the login user, attest under sudo: the message says how to fix it
    assert f"chown root: {keyfile}" in r.err and "sudo jcstar-agent keygen" in r.err
    assert r.err.count("\n") == 1


@pytest.mark.integration  # root, to run as the user with setpriv
@pytest.mark.host
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")
def test_root_owned_key_for_a_user_says_sudo_chown(tree):
    """The other way round: the key made with sudo, attest run as the user (who cannot even open
    it: the message still says whose it is)."""
    import tempfile

    import plainuser

    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", plainuser.SYSTEM_PYTHON]
    if subprocess.run(nobody + ["-c", "import cryptography"], capture_output=True, cwd="/").returncode:
        pytest.skip(f"user nobody cannot run {plainuser.SYSTEM_PYTHON} with cryptography here")
    base = tempfile.mkdtemp()  # the run's temp folder (1777): 'nobody' reaches it, unlike tmp_path
    try:
        os.chmod(base, 0o755)
        keyfile, _, _ = keys.generate(os.path.join(base, "k"))
        with plainuser.readable_package() as package:
            r = subprocess.run(nobody + ["-m", "jcstar_agent", "attest", "--root", base, "--key", keyfile],
                               capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=package), cwd="/")
    finally:
        shutil.rmtree(base)
    assert r.returncode == 2, r.stderr
    assert "owned by uid 0 (root)" in r.stderr and f"sudo chown nobody: {keyfile}" in r.stderr
    assert "jcstar-agent keygen (without sudo)" in r.stderr


def test_symlinked_key_is_refused(keyfile, cli, tree, tmp_path):
    link = tmp_path / "link.key"
    link.symlink_to(keyfile)
    r = cli("attest", "--root", tree(), "--key", str(link))
    assert r.rc == 2 and "symbolic link" in r.err


def test_not_a_key_missing_encrypted_unsupported(cli, tree, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    def write(name, data):
        p = tmp_path / name
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, data)
        os.close(fd)
        return str(p)

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    p384 = ec.generate_private_key(ec.SECP384R1())
    pkcs8 = serialization.PrivateFormat.PKCS8
    cases = {
        write("garbage", b"\x00\xffnot a key" * 10): "not a PEM private key",
        str(tmp_path / "missing"): "cannot open",
        write("enc", rsa_key.private_bytes(serialization.Encoding.PEM, pkcs8,
                                           serialization.BestAvailableEncryption(b"pw"))): "encrypted",
        write("rsa", rsa_key.private_bytes(serialization.Encoding.PEM, pkcs8,
                                           serialization.NoEncryption())): "unsupported key type",
        write("p384", p384.private_bytes(serialization.Encoding.PEM, pkcs8,
                                         serialization.NoEncryption())): "unsupported elliptic curve",
        str(tmp_path): "not a regular file",
    }
    root = tree()
    for path, words in cases.items():
        r = cli("attest", "--root", root, "--key", path)
        assert r.rc == 2 and words in r.err, (path, r.err)
        assert "BEGIN" not in r.err  # never echo key material


def test_signer_repr_has_no_secret(keyfile):
    from jcstar_agent.attest.api import load_signer

    s = load_signer(keyfile)
    body = open(keyfile).read().split("-----")[2].strip()
    assert body not in repr(s) and s.keyid[:16] in repr(s)
    with pytest.raises(RunError):
        keys.load_public(open(keyfile, "rb").read())  # a private key is not a public key
