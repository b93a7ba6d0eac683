"""jcstar_agent.libcrypt (ctypes crypt) and jcstar_agent.passwords (candidates, parallel search)."""
import os
import shutil
import subprocess
import sys
import threading
import time

import pytest

from jcstar_agent import libcrypt
from jcstar_agent.passwords import candidates, search

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SETTINGS = {"yescrypt": "$y$j9T$abcdefghijklmnop$", "sha512crypt": "$6$saltsalt$",
            "sha256crypt": "$5$saltsalt$", "bcrypt": "$2b$05$abcdefghijklmnopqrstuu",
            "md5crypt": "$1$saltsalt$", "des": "ab"}


@pytest.fixture(scope="module")
def lib():
    c = libcrypt.load()
    if c is None:
        pytest.skip("no crypt library on this system")
    return c


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_schemes(lib, name):
    h = lib.hash("raspberry", SETTINGS[name])
    assert h and libcrypt.scheme(h) == name
    assert lib.verify("raspberry", h) and not lib.verify("Raspberry", h)
    assert libcrypt.strong(name) == (name not in ("md5crypt", "des"))


@pytest.mark.parametrize("name", sorted(SETTINGS) + ["bsdicrypt"])
def test_supports_every_scheme_the_library_computes(lib, name):
    """DES hashes keep only the 2-character salt of the setting, BSDi the 9-character one."""
    h = lib.hash("raspberry", SETTINGS.get(name, "_J9..abcd"))
    if h is None:
        pytest.skip(f"{name} not built into this crypt library")
    assert lib.supports(h)


def test_unknown_scheme_and_nul(lib):
    assert lib.hash("x", "$zz$nonsense") is None and not lib.supports("$zz$x$y")
    assert lib.hash("a\x00b", "$6$saltsalt$") is None
    assert libcrypt.scheme("!") == "unknown"


def test_threads_share_no_state(lib):
    hashes = {pw: lib.hash(pw, "$6$saltsalt$") for pw in ("a", "b", "c", "d")}
    bad = []

    def check(pw):
        for _ in range(50):
            if lib.hash(pw, "$6$saltsalt$") != hashes[pw]:
                bad.append(pw)

    ts = [threading.Thread(target=check, args=(pw,)) for pw in hashes]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert not bad


def test_candidates_order_and_labels():
    dev = {"hostname": ["gw-0001"], "model": [], "serial": ["SN12345678"], "mac": ["b8:27:eb:ab:cd:ef"]}
    c = candidates.build("pi", dev, ["vendor1"])
    pw = [p for p, _ in c]
    assert len(pw) == len(set(pw)) and pw[0] == "vendor1"
    labels = dict(c)
    assert labels["raspberry"] == candidates.BUNDLED_LABEL
    assert labels["123456"] == candidates.BUNDLED_LABEL
    assert labels["pi123"] == "derived from the account name"
    assert labels["gw0001"] == "derived from the hostname"
    assert labels["345678"] == "derived from the serial (last 6 characters)"
    assert labels["B827EBABCDEF"].startswith("derived from a MAC") and labels["CDEF"].startswith("derived")
    assert labels["b8-27-eb-ab-cd-ef"] == "derived from a MAC address (with separators)"
    assert labels["adminabcdef"] == "derived from a MAC address (last 6 hex digits with a prefix)"
    assert len(candidates.bundled()) < 400


def test_search_first_hit_and_budget():
    calls = []

    def slow(target):
        def verify(pw):
            calls.append(pw)
            time.sleep(0.01)
            return pw == target
        return verify

    cands = [(str(i), "bundled default list") for i in range(40)]
    res = search.search([search.Target("a", slow("3"), cands), search.Target("b", slow("none"), cands)],
                        budget_seconds=30, threads=4)
    assert res["a"].matched == "bundled default list" and res["a"].complete and res["a"].tried < 40
    assert res["b"].matched is None and res["b"].complete and res["b"].tried == 40
    # 400 tries of 10 ms on 2 threads need 2 s: a 0.5 s budget stops part-way even on a loaded machine
    res = search.search([search.Target("c", slow("none"), cands * 10)], budget_seconds=0.5, threads=2)
    assert not res["c"].complete and 0 < res["c"].tried < 400


def test_crypt_r_path_as_on_musl(lib):
    """musl has crypt_r only: the same library driven through crypt_r gives the same hashes."""
    import ctypes

    plain = libcrypt.Crypt(ctypes.CDLL(lib.path), lib.path, prefer_rn=False)
    assert plain.function == "crypt_r"
    for setting in ("$6$saltsalt$", "$y$j9T$abcdefghijklmnop$", "ab"):
        assert plain.hash("pw", setting) == lib.hash("pw", setting)
    assert plain.hash("pw", "$zz$bad") is None


@pytest.mark.integration  # a network namespace
@pytest.mark.host
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("ip"), reason="needs root and iproute2")
def test_live_candidates_use_the_interfaces_macs():
    """Live, the MACs come from the interfaces themselves (psutil), not only the declaration: a
    veth with a known MAC in a namespace of our own shows up as derived candidates."""
    ns = f"jcs-mac-{os.getpid()}"
    code = ("from jcstar_agent.config.schema import BoardConfig\n"
            "from jcstar_agent.criteria.interface import Context\n"
            "from jcstar_agent.target import Root\n"
            "from jcstar_agent.passwords import candidates\n"
            "d = candidates.device_data(Context(Root('/', live=True), BoardConfig()))\n"
            "c = dict(candidates.build('op', d))\n"
            "print(d['mac'].count('02:11:22:a1:b2:c3'), c.get('a1b2c3'), c.get('B2C3'), c.get('021122A1B2C3'))\n")
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "-n", ns, "link", "add", "v0", "address", "02:11:22:a1:b2:c3", "type", "veth",
                        "peer", "name", "v1"], check=True)
        out = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", code], check=True,
                             capture_output=True, text=True, cwd=PROJECT).stdout.strip()
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)
    assert out == ("1 derived from a MAC address (last 6 hex digits) derived from a MAC address "
                   "(last 4 hex digits) derived from a MAC address (all 12 hex digits)")
