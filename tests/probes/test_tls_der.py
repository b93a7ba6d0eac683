"""Certificate reading without cryptography: key type/size and expiry from DER made by openssl."""
import shutil
import subprocess

import pytest

from jcstar_agent.probes import tls

pytestmark = pytest.mark.skipif(not shutil.which("openssl"), reason="needs the openssl command")


def _cert(tmp_path, *newkey):
    key, pem, der = tmp_path / "k.pem", tmp_path / "c.pem", tmp_path / "c.der"
    subprocess.run(["openssl", "req", "-x509", *newkey, "-nodes", "-keyout", str(key), "-out", str(pem),
                    "-days", "30", "-subj", "/CN=probe"], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-in", str(pem), "-outform", "DER", "-out", str(der)], check=True)
    end = subprocess.run(["openssl", "x509", "-in", str(pem), "-noout", "-enddate", "-dateopt", "iso_8601"],
                         capture_output=True, text=True).stdout
    return der.read_bytes(), end


@pytest.mark.parametrize("newkey,kind,bits", [
    (["-newkey", "rsa:1024"], "rsa", 1024),
    (["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"], "ec", 256),
    (["-newkey", "ed25519"], "ed25519", 256),
])
def test_certificate_info(tmp_path, newkey, kind, bits):
    der, end = _cert(tmp_path, *newkey)
    k, b, not_after = tls.certificate_info(der)
    assert (k, b) == (kind, bits)
    if "notAfter=" in end:
        assert end.split("=", 1)[1].startswith(not_after)


def test_garbage_certificate_gives_nones():
    assert tls.certificate_info(b"\x30\x82\xff\xff garbage") == (None, None, None)
    assert tls.certificate_info(b"") == (None, None, None)
