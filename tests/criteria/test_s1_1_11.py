"""S1.1-11: shadow modes, weak hashes (system and app stores), keys/PSKs/secrets readable."""
import os
import subprocess

import pytest

from jcstar_agent import libcrypt
from jcstar_agent.config.schema import BoardConfig
from jcstar_agent.criteria import s1_1_11
from jcstar_agent.criteria.interface import Context, Verdict
from jcstar_agent.target import Root


def run(path, cfg=None):
    return s1_1_11.evaluate(Context(Root(path, live=False), cfg or BoardConfig()))


def problems(out):
    return sorted(f.check for f in out.findings if f.is_problem)


def good():
    h = libcrypt.load().hash("x9#Lq!vB72mzP", "$y$j9T$abcdefghijklmnop$")
    return {"/etc/passwd": "root:x:0:0::/root:/bin/sh\nop:x:1000:1000::/home/op:/bin/sh\n",
            "/etc/shadow": f"root:*:1::::::\nop:{h}:19000::::::\n", "/etc/gshadow": "root:*::\n"}


def test_hardened_passes_and_says_how_much_was_walked(trees):
    root = trees(good(), {"/etc/shadow": 0o640, "/etc/gshadow": 0o640})
    out = run(root)
    assert out.verdict is Verdict.PASS, out.reason
    walk = next(f for f in out.findings if f.check == "SECRETS-WALK")
    assert walk.evidence["files"] == 3 and "walked 3 file(s)" in out.reason


def test_each_defect(trees):
    md5 = libcrypt.load().hash("pw", "$1$saltsalt$")
    key = subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519"], capture_output=True,
                         check=True).stdout
    files = dict(good(), **{
        "/etc/passwd": good()["/etc/passwd"] + f"old:{md5}:1001:1001::/:/bin/sh\nmd:x:1002:1002::/:/bin/sh\n",
        "/etc/shadow": good()["/etc/shadow"] + f"md:{md5}:19000::::::\n",
        "/etc/app/key.pem": key,
        "/etc/wpa_supplicant/wpa_supplicant.conf": 'network={\n ssid="x"\n psk="hunter22"\n}\n',
        "/etc/nginx/conf.d/a.conf": "auth_basic_user_file /etc/nginx/htpasswd;\n",
        "/etc/nginx/htpasswd": "admin:{SHA}0DPiKuNIrrVmD8IUCuw1hQxNqZc=\n"})
    modes = {"/etc/shadow": 0o644, "/etc/gshadow": 0o640, "/etc/app/key.pem": 0o644,
             "/etc/wpa_supplicant/wpa_supplicant.conf": 0o644, "/etc/nginx/htpasswd": 0o644}
    out = run(trees(files, modes))
    assert problems(out) == ["APP-SECRET-WORLD-READABLE", "CRED-HASH-IN-PASSWD", "CRED-WEAK-HASH",
                             "CRED-WEAK-HASH", "CRED-WEAK-HASH", "KEY-PRIVATE-READABLE",
                             "SHADOW-WORLD-READABLE", "WIFI-PSK-WORLD-READABLE"]
    k = next(f for f in out.findings if f.check == "KEY-PRIVATE-READABLE")
    assert k.evidence["path"] == "/etc/app/key.pem" and k.evidence["mode"] == "0644"
    assert k.evidence["fingerprint"].startswith("sha256:") and k.severity == "high"


def test_group_readable_key_is_medium(trees):
    key = subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519"], capture_output=True,
                         check=True).stdout
    files = dict(good(), **{"/etc/ssl/private/k.pem": key, "/etc/group": "root:x:0:\nops:x:1000:\n"})
    modes = {"/etc/ssl/private/k.pem": 0o640, "/etc/shadow": 0o600, "/etc/gshadow": 0o600}
    root = trees(files, modes)
    # the key's group without a member: nobody but root reads it (issue 13: judged by who can
    # read); root's files are group root, a plain user's get its own group, named in the tree
    gid = os.stat(os.path.join(root, "etc/ssl/private/k.pem")).st_gid
    group = "root" if gid == 0 else "keys"
    if gid != 0:
        with open(os.path.join(root, "etc/group"), "a") as fh:
            fh.write(f"keys:x:{gid}:\n")
    out = run(root)
    assert problems(out) == [] and out.verdict is Verdict.PASS, out.reason
    info = next(f for f in out.findings if f.check == "SECRET-MODE-CONTAINED")
    assert f"readable by group {group}, which has no member but root" in info.message
    if os.geteuid() != 0:
        return
    os.chown(os.path.join(root, "etc/ssl/private/k.pem"), 0, 1000)  # op's primary group
    out = run(root)
    assert problems(out) == ["KEY-PRIVATE-READABLE"]
    f = next(f for f in out.findings if f.check == "KEY-PRIVATE-READABLE")
    assert f.severity == "medium" and "is readable by group ops (members: op) (0640)" in f.message, f.message


def test_unreadable_shadow_is_error_when_not_root(trees):
    root = trees(good(), {"/etc/shadow": 0o600, "/etc/gshadow": 0o600})
    os.chmod(os.path.join(root, "etc/shadow"), 0)
    out = run(root)
    if os.geteuid() == 0:
        assert out.verdict is Verdict.PASS
    else:
        assert out.verdict is Verdict.ERROR and "needs root to read /etc/shadow" in out.reason


@pytest.mark.integration  # root, to drop to nobody with setpriv
@pytest.mark.host
def test_unprivileged_run_says_needs_root(trees):
    """A real unprivileged process (setpriv to nobody): /etc/shadow unreadable → S1.1-02 and -11
    say `error` "needs root to read /etc/shadow"; the other checks still run and report."""
    import json
    import shutil
    import tempfile

    if os.geteuid() != 0:
        import pytest
        pytest.skip("needs root to drop privileges with setpriv")
    py = "/usr/bin/python3"
    if not (shutil.which("setpriv") and os.path.exists(py)):
        import pytest
        pytest.skip("setpriv or a system python3 missing")
    base = tempfile.mkdtemp(dir="/tmp", prefix="jcstar-nobody-")
    try:
        os.chmod(base, 0o755)
        key = subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519"], capture_output=True,
                             check=True).stdout
        files = dict(good(), **{"/usr/sbin/sshd": b"OpenSSH_9.2p1", "/etc/ssh/sshd_config": "UsePAM yes\n",
                                "/etc/app/key.pem": key})
        root = trees(files, {"/etc/shadow": 0o600, "/etc/gshadow": 0o600, "/etc/app/key.pem": 0o644},
                     base=base)
        for dirpath, dirs, _ in os.walk(root):
            for d in dirs:
                os.chmod(os.path.join(dirpath, d), 0o755)
        os.chmod(root, 0o755)
        import plainuser

        with plainuser.readable_package() as package:
            p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", py, "-m",
                                "jcstar_agent", "check", "--root", root, "--format", "json", "--password-budget", "5"],
                               cwd="/", capture_output=True, text=True, timeout=120,
                               env=dict(os.environ, PYTHONPATH=package))
        assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
        rep = {c["id"]: c for c in json.loads(p.stdout)["criteria"]}
        assert rep["S1.1-02"]["verdict"] == "error" and "needs root to read /etc/shadow" in rep["S1.1-02"]["reason"]
        c11 = rep["S1.1-11"]
        assert c11["verdict"] == "fail" and "needs root to read /etc/shadow" in c11["reason"]
        assert any(f["check"] == "KEY-PRIVATE-READABLE" for f in c11["findings"])
        assert rep["S1.1-04"]["verdict"] == "fail"  # ... and the rest still runs
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_weak_hash_configuration(trees):
    files = dict(good(), **{"/etc/login.defs": "ENCRYPT_METHOD MD5\n",
                            "/etc/pam.d/passwd": "@include common-password\n",
                            "/etc/pam.d/common-password": "password [success=1 default=ignore] pam_unix.so obscure md5\n"})
    out = run(trees(files, {"/etc/shadow": 0o600, "/etc/gshadow": 0o600}))
    weak = [f for f in out.findings if f.check == "CRED-WEAK-HASH-CONFIG"]
    assert [f.evidence["path"] for f in weak] == ["/etc/login.defs", "/etc/pam.d/common-password:1"]
    files["/etc/login.defs"] = "ENCRYPT_METHOD YESCRYPT\n"
    files["/etc/pam.d/common-password"] = "password [success=1 default=ignore] pam_unix.so obscure yescrypt\n"
    assert run(trees(files, {"/etc/shadow": 0o600, "/etc/gshadow": 0o600})).verdict is Verdict.PASS


def test_every_weak_shadow_scheme_fails_strong_ones_pass(trees):
    """DES, MD5-crypt and NT hashes in /etc/shadow fail; yescrypt, bcrypt, sha512/256-crypt pass."""
    lib = libcrypt.load()
    settings = {"des": "ab", "md5crypt": "$1$saltsalt$", "nthash": "$3$", "bsdicrypt": "_J9..abcd",
                "yescrypt": "$y$j9T$abcdefghijklmnop$", "bcrypt": "$2b$05$abcdefghijklmnopqrstuu",
                "sha512crypt": "$6$saltsalt$", "sha256crypt": "$5$saltsalt$"}
    names = sorted(settings)
    hashes = {n: lib.hash("pw-" + n, settings[n]) for n in names}
    names = [n for n in names if hashes[n]]  # schemes this crypt library computes
    files = {"/etc/passwd": "".join(f"{n}:x:{1000 + i}:1000::/:/bin/sh\n" for i, n in enumerate(names)),
             "/etc/shadow": "".join(f"{n}:{hashes[n]}:19000::::::\n" for n in names)}
    out = run(trees(files, {"/etc/shadow": 0o600}))
    weak = {f.evidence["account"]: f.evidence["scheme"] for f in out.findings if f.check == "CRED-WEAK-HASH"}
    assert weak == {n: n for n in names if n in ("des", "md5crypt", "nthash", "bsdicrypt")}
    assert {"des", "md5crypt", "nthash"} <= set(weak)
    text = out.reason + repr([f.evidence for f in out.findings]) + repr([f.message for f in out.findings])
    assert not any(hashes[n] in text for n in names)


def test_world_readable_shadow_backups_fail(trees):
    """'/etc/shadow-' (left by useradd/passwd) and pam_unix's opasswd hold hashes as well."""
    files = dict(good(), **{"/etc/shadow-": good()["/etc/shadow"], "/etc/gshadow-": "root:*::\n",
                            "/etc/security/opasswd": "op:1000:1:$6$x$y\n"})
    modes = {"/etc/shadow": 0o640, "/etc/gshadow": 0o640, "/etc/shadow-": 0o644, "/etc/gshadow-": 0o600,
             "/etc/security/opasswd": 0o644}
    out = run(trees(files, modes))
    assert sorted(f.evidence["path"] for f in out.findings if f.check == "SHADOW-WORLD-READABLE") == [
        "/etc/security/opasswd", "/etc/shadow-"]
    modes.update({"/etc/shadow-": 0o600, "/etc/security/opasswd": 0o600})
    assert run(trees(files, modes)).verdict is Verdict.PASS
