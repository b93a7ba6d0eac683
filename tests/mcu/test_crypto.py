"""The micro-agent's pure-Python SHA-512 and Ed25519: RFC 8032 vectors, FIPS 180-4 examples,
cross-verification with ``cryptography`` both ways, on CPython and under the MicroPython unix port."""
import hashlib
import json
import os
import sys

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519 as ced

from mcu_sim import needs_micropython
from jcstar_agent.mcu import bundle

sys.path.insert(0, bundle.BOARD_DIR)
import jca_ed25519  # noqa: E402
import jca_sha512  # noqa: E402

# RFC 8032 section 7.1: (secret key, public key, message, signature)
RFC8032 = [
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
]
# FIPS 180-4 / NIST CSRC examples for SHA-512
FIPS = [
    (b"abc", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"),
    (b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
     "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"),
]


@pytest.mark.parametrize("msg,want", FIPS)
def test_sha512_fips_examples(msg, want):
    assert jca_sha512.sha512(msg).hexdigest() == want


@pytest.mark.parametrize("n", [0, 1, 111, 112, 113, 127, 128, 129, 239, 240, 255, 256, 257, 5000])
def test_sha512_matches_hashlib_at_padding_edges(n):
    m = os.urandom(n)
    assert jca_sha512.sha512(m).digest() == hashlib.sha512(m).digest()


def test_sha512_streaming_any_split_and_memoryview():
    m = os.urandom(3000)
    for step in (1, 7, 127, 128, 129, 1000):
        h = jca_sha512.sha512()
        for i in range(0, len(m), step):
            h.update(memoryview(m)[i:i + step])
        assert h.digest() == hashlib.sha512(m).digest(), step
    h = jca_sha512.sha512(b"ab")
    c = h.copy()
    c.update(b"c")
    assert c.hexdigest() == FIPS[0][1] and h.digest() == hashlib.sha512(b"ab").digest()


@pytest.mark.parametrize("sk,pk,msg,sig", RFC8032)
def test_ed25519_rfc8032_vectors(sk, pk, msg, sig):
    seed, m = bytes.fromhex(sk), bytes.fromhex(msg)
    assert jca_ed25519.public_key(seed).hex() == pk
    assert jca_ed25519.sign(seed, m).hex() == sig
    assert jca_ed25519.verify(bytes.fromhex(pk), m, bytes.fromhex(sig))
    bad = bytearray(bytes.fromhex(sig))
    bad[5] ^= 1
    assert not jca_ed25519.verify(bytes.fromhex(pk), m, bytes(bad))
    assert not jca_ed25519.verify(bytes.fromhex(pk), m + b"x", bytes.fromhex(sig))


def test_cross_verification_with_cryptography_both_ways():
    for i in range(12):
        seed = os.urandom(32)
        msg = os.urandom(i * 97)
        ours_pub = jca_ed25519.public_key(seed)
        theirs = ced.Ed25519PrivateKey.from_private_bytes(seed)
        assert theirs.public_key().public_bytes(serialization.Encoding.Raw,
                                                serialization.PublicFormat.Raw) == ours_pub
        sig = jca_ed25519.sign(seed, (msg[:i], msg[i:]))  # message in parts: never concatenated
        theirs.public_key().verify(sig, msg)  # raises if invalid
        assert sig == theirs.sign(msg)  # Ed25519 is deterministic
        assert jca_ed25519.verify(ours_pub, msg, theirs.sign(msg))


def test_keyid_is_sha256_of_der_spki():
    from jcstar_agent.attest.keys import keyid_of

    seed, pub = jca_ed25519.generate()
    key = ced.Ed25519PublicKey.from_public_bytes(pub)
    assert jca_ed25519.spki_der(pub) == key.public_bytes(serialization.Encoding.DER,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    assert jca_ed25519.keyid(pub) == keyid_of(key)


@needs_micropython
def test_vectors_under_micropython():
    from mcu_sim import run_mpy

    code = ("import sys\nsys.path.insert(0, %r)\nimport jca_ed25519, jca_sha512, json\n"
            "from binascii import unhexlify as u, hexlify as h\nout = []\n"
            "for sk, pk, m, sig in json.loads(%r):\n"
            "    s = jca_ed25519.sign(u(sk), u(m))\n"
            "    out.append([h(jca_ed25519.public_key(u(sk))).decode(), h(s).decode(),"
            " jca_ed25519.verify(u(pk), u(m), s), jca_ed25519.verify(u(pk), u(m) + b'x', s)])\n"
            "out.append(jca_sha512.sha512(b'abc').hexdigest())\n"
            "print(json.dumps(out))\n") % (bundle.BOARD_DIR, json.dumps(RFC8032))
    r = run_mpy(code)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    for (sk, pk, msg, sig), got in zip(RFC8032, out):
        assert got == [pk, sig, True, False]
    assert out[-1] == FIPS[0][1]


@needs_micropython
def test_micropython_signature_verifies_with_cryptography():
    from mcu_sim import run_mpy

    msg = os.urandom(3000)
    code = ("import sys, os\nsys.path.insert(0, %r)\nimport jca_ed25519\nfrom binascii import unhexlify, hexlify\n"
            "seed, pub = jca_ed25519.generate()\nm = unhexlify(%r)\n"
            "print(hexlify(pub).decode(), hexlify(jca_ed25519.sign(seed, (m[:1000], m[1000:]), pub)).decode())\n"
            ) % (bundle.BOARD_DIR, msg.hex())
    r = run_mpy(code)
    assert r.returncode == 0, r.stderr
    pub, sig = r.stdout.split()
    ced.Ed25519PublicKey.from_public_bytes(bytes.fromhex(pub)).verify(bytes.fromhex(sig), msg)
