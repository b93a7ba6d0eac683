"""S1.1-08: per update framework, each planted weakness fails and each hardened variant passes."""
import os

import pytest

from jcstar_agent.check import evaluate
from jcstar_agent.criteria import Verdict
from jcstar_agent.facts import update_verify
from surface_testlib import make_ctx as ctx

PEM_CERT = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"
PEM_PUB = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAfake\n-----END PUBLIC KEY-----\n"
EXE = {"/usr/bin/rauc": "#!/bin/sh\n", "/usr/bin/swupdate": "#!/bin/sh\n", "/usr/bin/mender": "#!/bin/sh\n",
       "/usr/bin/opkg": "#!/bin/sh\n", "/usr/bin/ostree": "#!/bin/sh\n"}


def write_tree(base, files, exes=()):
    """A root with only ``files`` and the executables ``exes`` (no apt unless given)."""
    base = str(base)
    for dev, text in list(files.items()) + [(e, "#!/bin/sh\n") for e in exes]:
        host = os.path.join(base, dev.lstrip("/"))
        os.makedirs(os.path.dirname(host), exist_ok=True)
        with open(host, "wb") as fh:
            fh.write(text.encode() if isinstance(text, str) else text)
        if dev in exes:
            os.chmod(host, 0o755)
    return base


def checks(out):
    return [f.check for f in out.findings if f.is_problem]


CASES = [
    # (name, executable, weak files, expected check, hardened files)
    ("rauc-no-keyring", "/usr/bin/rauc",
     {"/etc/rauc/system.conf": "[system]\ncompatible=acme\n"}, "UPDATE-VERIFY-MISSING",
     {"/etc/rauc/system.conf": "[system]\ncompatible=acme\n[keyring]\npath=ca.cert.pem\n",
      "/etc/rauc/ca.cert.pem": PEM_CERT}),
    ("rauc-keyring-missing", "/usr/bin/rauc",
     {"/etc/rauc/system.conf": "[keyring]\npath=/etc/rauc/nope.pem\n"}, "UPDATE-VERIFY-KEY-MISSING", None),
    ("swupdate-no-key", "/usr/bin/swupdate",
     {"/etc/swupdate.cfg": "globals : {\n verbose = true;\n};\n"}, "UPDATE-VERIFY-MISSING",
     {"/etc/swupdate.cfg": 'globals : {\n public-key-file = "/etc/swupdate/pub.pem";\n};\n',
      "/etc/swupdate/pub.pem": PEM_PUB}),
    ("swupdate-k-flag", "/usr/bin/swupdate",
     {"/etc/swupdate/conf.d/09-args": 'SWUPDATE_ARGS="-v -k /etc/swupdate/missing.pem"\n'},
     "UPDATE-VERIFY-KEY-MISSING",
     {"/etc/swupdate/conf.d/09-args": 'SWUPDATE_ARGS="-v -k /etc/swupdate/pub.pem"\n',
      "/etc/swupdate/pub.pem": PEM_PUB}),
    ("mender-no-key", "/usr/bin/mender",
     {"/etc/mender/mender.conf": '{"ServerURL": "https://hosted.mender.io"}'}, "UPDATE-VERIFY-MISSING",
     {"/etc/mender/mender.conf": '{"ArtifactVerifyKeys": ["/etc/mender/a.pem"]}', "/etc/mender/a.pem": PEM_PUB}),
    ("mender-bad-json", "/usr/bin/mender",
     {"/etc/mender/mender.conf": '{"ArtifactVerifyKey": '}, "UPDATE-CONFIG-UNREADABLE",
     {"/etc/mender/mender.conf": '{"ArtifactVerifyKey": "/etc/mender/a.pem"}', "/etc/mender/a.pem": PEM_PUB}),
    ("opkg-no-check", "/usr/bin/opkg",
     {"/etc/opkg/opkg.conf": "src/gz base http://feeds/base\ndest root /\n"}, "UPDATE-VERIFY-MISSING",
     {"/etc/opkg/opkg.conf": "src/gz base http://feeds/base\noption check_signature 0\n"}),
    ("opkg-trusted-feed", "/usr/bin/opkg",
     {"/etc/opkg/opkg.conf": "option check_signature 1\nsrc/gz [trusted=yes] extra http://x\n"},
     "UPDATE-OPKG-TRUSTED-FEED", None),
    ("ostree-gpg-off", "/usr/bin/ostree",
     {"/ostree/repo/config": '[core]\nrepo_version=1\n[remote "os"]\nurl=https://x\ngpg-verify=false\n'},
     "UPDATE-VERIFY-MISSING",
     {"/ostree/repo/config": '[core]\nrepo_version=1\n[remote "os"]\nurl=https://x\ngpg-verify=false\n'
                             'sign-verify=true\n'}),
]


@pytest.mark.parametrize("name,exe,weak,check,hardened", CASES, ids=[c[0] for c in CASES])
def test_framework_weakness_fails_and_hardened_passes(tmp_path, name, exe, weak, check, hardened):
    w = write_tree(tmp_path / "weak", weak, [exe])
    out = evaluate(ctx(w), "S1.1-08")
    assert out.verdict is Verdict.FAIL, out.reason
    assert check in checks(out)
    problem = next(f for f in out.findings if f.check == check)
    assert problem.evidence.get("framework") == exe.rsplit("/", 1)[-1]
    assert "/" in problem.message  # says where
    if hardened:
        h = write_tree(tmp_path / "hard", hardened, [exe])
        out = evaluate(ctx(h), "S1.1-08")
        assert out.verdict is Verdict.PASS, out.reason
        assert "UPDATE-VERIFY-OK" in [f.check for f in out.findings]


APT_WEAK = [
    ("/etc/apt/sources.list", "deb [trusted=yes] http://repo.example.com stable main\n", "trusted=yes"),
    ("/etc/apt/sources.list.d/v.list", "deb [arch=arm64 allow-insecure=yes] http://x y z\n", "allow-insecure=yes"),
    ("/etc/apt/sources.list.d/v.sources", "Types: deb\nURIs: http://x\nSuites: s\nComponents: main\n"
                                         "Trusted: yes\n", "trusted=yes"),
    ("/etc/apt/sources.list.d/v.sources", "Types: deb\nURIs: http://x\nSuites: s\n"
                                         "Allow-Downgrade-To-Insecure: yes\nSigned-By: /k.gpg\n",
     "allow-downgrade-to-insecure=yes"),
    ("/etc/apt/apt.conf.d/99x", 'Acquire::AllowInsecureRepositories "true";\n', "acquire::allowinsecurerepositories"),
    ("/etc/apt/apt.conf.d/99y", 'APT { Get { AllowUnauthenticated "1"; }; };\n', "apt::get::allowunauthenticated"),
    ("/etc/apt/apt.conf", '// c\nAcquire {\n  AllowDowngradeToInsecureRepositories "yes";\n};\n',
     "acquire::allowdowngradetoinsecurerepositories"),
]


@pytest.mark.parametrize("path,text,what", APT_WEAK, ids=[w[2] for w in APT_WEAK])
def test_apt_insecure_options_fail_naming_file_and_line(tree, path, text, what):
    root = tree({path: text})
    out = evaluate(ctx(root), "S1.1-08")
    assert out.verdict is Verdict.FAIL
    f = next(f for f in out.findings if f.check == "UPDATE-APT-INSECURE")
    assert f.evidence["path"].startswith(path + ":")
    assert what in (f.evidence.get("option") or "")


def test_apt_hardened_and_without_signed_by_passes(tree):
    root = tree({
        "/etc/apt/sources.list": "deb http://deb.debian.org/debian bookworm main\n# deb [trusted=yes] http://x y\n",
        "/etc/apt/sources.list.d/v.sources": "Types: deb\nURIs: https://x\nSuites: s\nComponents: main\n"
                                             "Signed-By: /usr/share/keyrings/v.gpg\n\n"
                                             "Types: deb\nURIs: http://y\nSuites: s\nTrusted: yes\nEnabled: no\n",
        "/etc/apt/apt.conf.d/99x": 'Acquire::AllowInsecureRepositories "false";\n'
                                   '/* APT::Get::AllowUnauthenticated "true"; */\n',
        "/etc/apt/apt.conf.d/99x.dpkg-old": 'Acquire::AllowInsecureRepositories "true";\n',
    })
    out = evaluate(ctx(root), "S1.1-08")
    assert out.verdict is Verdict.PASS, out.reason
    nosb = [f for f in out.findings if f.check == "UPDATE-APT-NO-SIGNED-BY"]
    assert len(nosb) == 1 and nosb[0].severity == "info"


def test_apt_uri_credentials_never_reported(tree):
    root = tree({"/etc/apt/sources.list": "deb [trusted=yes] https://bob:hunter2@repo.example.com/x stable main\n"})
    out = evaluate(ctx(root), "S1.1-08")
    assert out.verdict is Verdict.FAIL and "hunter2" not in repr(out) and "bob" not in repr(out)
    assert "https://***@repo.example.com/x" in out.findings[0].message


def test_apt_conf_parser_scopes():
    got = list(update_verify.apt_conf('Acquire { http { Proxy "x"; }; AllowWeakRepositories "true"; };\n'
                                      '# comment\nDir::Etc "/etc";\n'))
    assert ("acquire::http::proxy", "x", 1) in got and ("acquire::allowweakrepositories", "true", 1) in got
    assert ("dir::etc", "/etc", 3) in got


def test_na_only_for_declared_no_network_update(tree, tmp_path):
    root = tree({"/etc/apt/sources.list": "deb [trusted=yes] http://x y z\n"})
    out = evaluate(ctx(root, '[update]\nnetwork = false\ndescription = "USB stick at the service desk"\n',
                       tmp_path), "S1.1-08")
    assert out.verdict is Verdict.NA and "USB stick" in out.reason


def test_no_framework_and_custom_only_are_manual(tree, tmp_path):
    root = tree({"/usr/sbin/acme-update": "#!/bin/sh\n"}, modes={"/usr/sbin/acme-update": 0o755})
    os.unlink(os.path.join(root, "usr/bin/apt-get"))
    out = evaluate(ctx(root), "S1.1-08")
    assert out.verdict is Verdict.MANUAL and out.reason
    out = evaluate(ctx(root, '[update]\nmechanism = "custom"\ncommand = "/usr/sbin/acme-update"\n', tmp_path),
                   "S1.1-08")
    assert out.verdict is Verdict.MANUAL and "custom" in out.reason
    assert [f.check for f in out.findings] == ["UPDATE-CUSTOM"]


def test_garbage_update_configs_do_not_crash(tree):
    junk = bytes(range(256)) * 20
    root = tree({p: junk for p in ("/etc/rauc/system.conf", "/etc/swupdate.cfg", "/etc/mender/mender.conf",
                                   "/etc/opkg/opkg.conf", "/ostree/repo/config", "/etc/apt/sources.list",
                                   "/etc/apt/apt.conf.d/x", "/etc/apt/sources.list.d/a.sources")})
    write_tree(root, {}, list(EXE))
    out = evaluate(ctx(root), "S1.1-08")
    assert out.verdict in (Verdict.FAIL, Verdict.PASS) and "internal error" not in out.reason


# --- audit additions: each rule's other spellings, each with its hardened variant ------------------
MORE = [
    # RAUC: keyring relative to the config found in /usr/lib/rauc; unreadable/empty keyring fails
    ("rauc-usr-lib-keyring-empty", "/usr/bin/rauc",
     {"/usr/lib/rauc/system.conf": "[keyring]\npath=ca.pem\n", "/usr/lib/rauc/ca.pem": ""},
     "UPDATE-VERIFY-KEY-MISSING",
     {"/usr/lib/rauc/system.conf": "[keyring]\npath=ca.pem\n", "/usr/lib/rauc/ca.pem": PEM_CERT}),
    ("rauc-keyring-directory-empty", "/usr/bin/rauc",
     {"/etc/rauc/system.conf": "[keyring]\ndirectory=certs\n", "/etc/rauc/certs/.keep": None},
     "UPDATE-VERIFY-KEY-MISSING",
     {"/etc/rauc/system.conf": "[keyring]\ndirectory=certs\n", "/etc/rauc/certs/a.pem": PEM_CERT}),
    # SWUpdate: -k in the systemd unit that starts it; key given through a variable
    ("swupdate-unit-k-missing", "/usr/bin/swupdate",
     {"/lib/systemd/system/swupdate.service": "[Service]\nExecStart=/usr/bin/swupdate -v -w \"-r /www\" -k /etc/sw/nope.pem\n",
      "/etc/systemd/system/multi-user.target.wants/swupdate.service": ("symlink", "/lib/systemd/system/swupdate.service")},
     "UPDATE-VERIFY-KEY-MISSING",
     {"/lib/systemd/system/swupdate.service": "[Service]\nExecStart=/usr/bin/swupdate -v --key=/etc/sw/pub.pem\n",
      "/etc/systemd/system/multi-user.target.wants/swupdate.service": ("symlink", "/lib/systemd/system/swupdate.service"),
      "/etc/sw/pub.pem": PEM_PUB}),
    ("swupdate-default-commented", "/usr/bin/swupdate",
     {"/etc/default/swupdate": "# SWUPDATE_ARGS=\"-k /etc/sw/pub.pem\"\n", "/etc/sw/pub.pem": PEM_PUB,
      "/etc/swupdate.cfg": '/* public-key-file = "/etc/sw/pub.pem"; */\nglobals: { verbose = true; };\n'},
     "UPDATE-VERIFY-MISSING",
     {"/etc/default/swupdate": "KEY=/etc/sw/pub.pem\nSWUPDATE_ARGS=\"-v -k ${KEY}\"\n", "/etc/sw/pub.pem": PEM_PUB}),
    ("swupdate-cfg-one-line", "/usr/bin/swupdate",
     {"/etc/swupdate/swupdate.cfg": 'globals: { public-key-file = "/etc/sw/gone.pem"; };\n'},
     "UPDATE-VERIFY-KEY-MISSING",
     {"/etc/swupdate/swupdate.cfg": 'globals: { public-key-file = "/etc/sw/pub.pem"; };\n', "/etc/sw/pub.pem": PEM_PUB}),
    # Mender 3.x single key: missing key file fails, present passes
    ("mender-single-key-missing", "/usr/bin/mender",
     {"/etc/mender/mender.conf": '{"ArtifactVerifyKey": "/etc/mender/gone.pem"}'}, "UPDATE-VERIFY-KEY-MISSING",
     {"/etc/mender/mender.conf": '{"ArtifactVerifyKey": "/etc/mender/a.pem"}', "/etc/mender/a.pem": PEM_PUB}),
    # opkg: the check_signature line counts whatever its value; a trusted feed in a second file fails
    ("opkg-trusted-feed-customfeeds", "/usr/bin/opkg",
     {"/etc/opkg.conf": "option check_signature\n", "/etc/opkg/customfeeds.conf": "src/gz [trusted=yes] x http://x\n"},
     "UPDATE-OPKG-TRUSTED-FEED",
     {"/etc/opkg.conf": "option check_signature\n",
      "/etc/opkg/customfeeds.conf": "src/gz x http://x\n# src/gz [trusted=yes] y http://y\n"}),
    # OSTree: remotes.d, sign-verify=false alongside gpg-verify=false
    ("ostree-remotes-d", "/usr/bin/ostree",
     {"/etc/ostree/remotes.d/os.conf": '[remote "os"]\nurl=https://x\ngpg-verify=false\nsign-verify=false\n'},
     "UPDATE-VERIFY-MISSING",
     {"/etc/ostree/remotes.d/os.conf": '[remote "os"]\nurl=https://x\ngpg-verify=true\n'}),
    ("ostree-sign-verify-engine-list", "/usr/bin/ostree",
     {"/ostree/repo/config": '[remote "os"]\nurl=https://x\ngpg-verify=false\nsign-verify=false\n'},
     "UPDATE-VERIFY-MISSING",
     {"/ostree/repo/config": '[remote "os"]\nurl=https://x\ngpg-verify=false\nsign-verify=ed25519\n'
                             'verification-ed25519-file=/etc/ostree/trusted.ed25519\n'}),
]


def _tree_with_links(base, files, exe):
    plain = {k: v for k, v in files.items() if isinstance(v, str)}
    write_tree(base, plain, [exe])
    for dev, v in files.items():
        host = os.path.join(str(base), dev.lstrip("/"))
        os.makedirs(os.path.dirname(host), exist_ok=True)
        if isinstance(v, tuple):
            os.symlink(v[1], host)
        elif v is None:  # an empty folder
            os.makedirs(os.path.dirname(host), exist_ok=True)
    return str(base)


@pytest.mark.parametrize("name,exe,weak,check,hardened", MORE, ids=[c[0] for c in MORE])
def test_more_framework_spellings(tmp_path, name, exe, weak, check, hardened):
    out = evaluate(ctx(_tree_with_links(tmp_path / "weak", weak, exe)), "S1.1-08")
    assert out.verdict is Verdict.FAIL, out.reason
    assert check in checks(out), [(f.check, f.message) for f in out.findings]
    out = evaluate(ctx(_tree_with_links(tmp_path / "hard", hardened, exe)), "S1.1-08")
    assert out.verdict is Verdict.PASS, (out.reason, [(f.check, f.message) for f in out.findings])


@pytest.mark.parametrize("spelling", ["trusted=true", "trusted=1", "allow-insecure=on",
                                      "allow-weak=enable", "allow-insecure=with"])
def test_apt_booleans_are_apt_booleans(tree, spelling):
    out = evaluate(ctx(tree({"/etc/apt/sources.list": f"deb [{spelling}] http://x y z\n"})), "S1.1-08")
    assert out.verdict is Verdict.FAIL and "UPDATE-APT-INSECURE" in checks(out)
    out = evaluate(ctx(tree({"/etc/apt/sources.list": "deb [trusted=no] http://x y z\n",
                             "/etc/apt/apt.conf.d/10x": 'APT::Get::AllowUnauthenticated "false";\n'
                                                       'Acquire::AllowInsecureRepositories "0";\n'})), "S1.1-08")
    assert out.verdict is Verdict.PASS


def test_apt_conf_enable_spelling_fails(tree):
    out = evaluate(ctx(tree({"/etc/apt/apt.conf.d/50x": 'Acquire::AllowInsecureRepositories "enable";\n'})),
                   "S1.1-08")
    assert out.verdict is Verdict.FAIL


def test_apt_missing_signed_by_is_noted_in_list_and_deb822(tree):
    root = tree({
        "/etc/apt/sources.list.d/a.list": "deb http://a.example bookworm main\n"
                                          "deb [signed-by=/usr/share/keyrings/b.gpg] http://b.example s main\n",
        "/etc/apt/sources.list.d/c.sources": "Types: deb\nURIs: https://c.example\nSuites: s\nComponents: main\n",
    })
    out = evaluate(ctx(root), "S1.1-08")
    assert out.verdict is Verdict.PASS
    nosb = {f.evidence["path"] for f in out.findings if f.check == "UPDATE-APT-NO-SIGNED-BY"}
    assert nosb == {"/etc/apt/sources.list.d/a.list:1", "/etc/apt/sources.list.d/c.sources:1"}


def test_apt_conf_d_files_apt_reads_and_ignores(tree):
    bad = 'Acquire::AllowInsecureRepositories "true";\n'
    for name in ("99x.local", "99x.dpkg-dist", "99x~", ".99x", "99 x"):
        out = evaluate(ctx(tree({f"/etc/apt/apt.conf.d/{name}": bad})), "S1.1-08")
        assert out.verdict is Verdict.PASS, name
        os.unlink(os.path.join(ctx(tree()).root.path, "etc/apt/apt.conf.d", name))
    for name in ("99x", "99x.conf", "zz_local-1.conf"):
        out = evaluate(ctx(tree({f"/etc/apt/apt.conf.d/{name}": bad})), "S1.1-08")
        assert out.verdict is Verdict.FAIL, name
        os.unlink(os.path.join(ctx(tree()).root.path, "etc/apt/apt.conf.d", name))
