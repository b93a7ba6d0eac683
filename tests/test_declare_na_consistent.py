"""A draft never contradicts itself: where it writes a network login ([[logins]]), it proposes no
[not_applicable] reason that this very login contradicts (found following the README's
declare -> edit -> check on the debootstrap rootfs: sshd with password authentication, every
account locked, gave [[logins]] ssh plus NA for S1.1-02..04, and the answered draft failed
S1.1-03 and -04 with CRED-NA-CONTRADICTED)."""
import os
import re
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from surface_testlib import enabled

# sshd started with password authentication, but no account has a usable password (as in the
# debootstrap rootfs: root '*', sshd '!')
LOCKED_SSH = dict(enabled("ssh", "/usr/sbin/sshd -D"), **{
    "/etc/product-model": "ACME-GW-100\n",
    "/etc/passwd": "root:x:0:0:root:/root:/bin/bash\nsshd:x:100:65534::/run/sshd:/usr/sbin/nologin\n",
    "/etc/shadow": "root:*:19000:0:99999:7:::\nsshd:!:19000::::::\n",
    "/usr/sbin/sshd": b"",
    "/etc/ssh/sshd_config": "PasswordAuthentication yes\n",
})


def _answer(text):
    answers = {"command": '"/sbin/factory-reset"', "url": '"https://example.com/docs"',
               "default_password": '"none"', "generation": '""'}
    return re.sub(r'^("?[\w.-]+"?) = "<FILL-IN:.*>"$',
                  lambda m: f"{m.group(1)} = {answers.get(m.group(1), chr(34) + 'answered' + chr(34))}",
                  text, flags=re.M)


def test_a_drafted_login_gets_no_na_it_contradicts(tree, cli, tmp_path):
    root = tree(LOCKED_SSH)
    os.chmod(os.path.join(root, "usr/sbin/sshd"), 0o755)
    r = cli("declare", "--root", root)
    assert r.rc == 0, r.err
    data = tomllib.loads(r.out)
    assert [x["name"] for x in data["logins"]] == ["ssh"]
    na = data.get("not_applicable", {})
    assert not {"S1.1-01", "S1.1-02", "S1.1-03", "S1.1-04"} & set(na), na
    draft = tmp_path / "board.toml"
    draft.write_text(_answer(r.out))
    report = cli("check", "--root", root, "--config", str(draft), "--format", "json").json()
    contradicted = [(c["id"], f["message"]) for c in report["criteria"] for f in c["findings"]
                    if f["check"] == "CRED-NA-CONTRADICTED"]
    assert contradicted == []
    # Run over its own answered output with --config, declare adds no NA either.
    r = cli("declare", "--root", root, "--config", str(draft))
    assert r.rc == 0, r.err
    assert not {"S1.1-02", "S1.1-03", "S1.1-04"} & set(tomllib.loads(r.out).get("not_applicable", {}))
