"""jcstar_agent.digest: the OpenSSL-free SHA-256/HMAC equal hashlib's and hmac's, bit for bit."""
import hashlib
import hmac
import os

from jcstar_agent import digest


def test_sha256_and_hmac_match_the_standard_library():
    for key in (b"", b"k", os.urandom(64), os.urandom(65), os.urandom(300)):
        for msg in (b"", b"abc", os.urandom(5000)):
            assert digest.hmac_sha256(key, msg) == hmac.new(key, msg, hashlib.sha256).hexdigest()
    # RFC 4231 test case 2
    assert digest.hmac_sha256(b"Jefe", b"what do ya want for nothing?") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    h = digest.sha256()
    h.update(b"a" * 1000)
    assert h.hexdigest() == hashlib.sha256(b"a" * 1000).hexdigest()


def test_constant_time_equal():
    assert digest.equal(b"$6$x", b"$6$x") and not digest.equal(b"$6$x", b"$6$y")
    assert not digest.equal(b"a", b"ab")
