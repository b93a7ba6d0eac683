"""The TLS probe against a real loopback TLS server presenting a weak, expired certificate: key size
and expiry are read from the handshake and named by ServiceProbe.certificate_problems()."""
import datetime
import socket
import ssl
import threading

from jcstar_agent.probes import ServiceProbe
from jcstar_agent.probes import run as runner


def _cert(tmp_path, bits, not_after):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "probe.local")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_after - datetime.timedelta(days=365)).not_valid_after(not_after)
            .sign(key, hashes.SHA256()))
    c, k = tmp_path / "c.pem", tmp_path / "k.pem"
    c.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    k.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    return str(c), str(k)


def _serve(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.set_ciphers("ALL:@SECLEVEL=0")  # let OpenSSL 3 serve a 1024-bit key at all
    ctx.load_cert_chain(cert, key)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.settimeout(30)

    def loop():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            try:
                conn.settimeout(5)
                with ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (OSError, ssl.SSLError):
                pass
    threading.Thread(target=loop, daemon=True).start()
    return srv


def test_expired_1024_bit_certificate_is_named(tmp_path):
    expired = datetime.datetime(2021, 3, 1, tzinfo=datetime.timezone.utc)
    srv = _serve(*_cert(tmp_path, 1024, expired))
    try:
        sp = runner.probe_service("127.0.0.1", srv.getsockname()[1])
    finally:
        srv.close()
    assert sp.protocol == "tls" and sp.tls_versions, sp
    assert (sp.cert_key_type, sp.cert_key_bits, sp.cert_not_after) == ("rsa", 1024, "2021-03-01")
    problems = sp.certificate_problems()
    assert any("1024 bits (below 2048)" in p for p in problems), problems
    assert any("expired on 2021-03-01" in p for p in problems), problems


def test_certificate_problems_rules():
    ok = ServiceProbe("tcp", 443, "127.0.0.1", "tls", cert_key_type="rsa", cert_key_bits=2048,
                      cert_not_after="2030-01-01")
    assert ok.certificate_problems(today="2026-11-26") == []
    assert ServiceProbe("tcp", 443, "::1", "tls", cert_key_type="ec", cert_key_bits=256,
                        cert_not_after="2026-11-26").certificate_problems(today="2026-11-26") == []
    weak_ec = ServiceProbe("tcp", 443, "::1", "tls", cert_key_type="ec", cert_key_bits=192)
    assert weak_ec.certificate_problems() == ["certificate ec key is 192 bits (below 256)"]
    assert ServiceProbe("tcp", 80, "127.0.0.1", "http").certificate_problems() == []
    assert ServiceProbe("tcp", 443, "127.0.0.1", "tls", cert_key_type="ed25519", cert_key_bits=256,
                        cert_not_after="2026-11-25").certificate_problems(today="2026-11-26") == \
        ["certificate expired on 2026-11-25"]
