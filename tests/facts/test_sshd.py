"""jcstar_agent.facts.sshd: the effective sshd configuration (Include, Match, version defaults)."""
from jcstar_agent.config.schema import BoardConfig
from jcstar_agent.criteria.interface import Context
from jcstar_agent.facts import sshd
from jcstar_agent.target import Root

DPKG = "Package: openssh-server\nStatus: install ok installed\nVersion: 1:{v}-2+deb12u3\n\n"


def ctx_of(path):
    return Context(Root(path, live=False), BoardConfig())


def test_not_installed(tree):
    cfg = sshd.read(ctx_of(tree()))
    assert not cfg.installed and cfg.ports == [22] and cfg.path == ""


def test_include_first_wins_and_match(tree):
    root = tree({
        "/usr/sbin/sshd": b"\x7fELF...OpenSSH_9.2p1 ...",
        "/etc/ssh/sshd_config": "# comment\nInclude /etc/ssh/sshd_config.d/*.conf\n"
                                "MaxAuthTries 10\nPort 22\nPort 2222\nListenAddress 10.0.0.1\n"
                                "ListenAddress [::1]:2200\nPermitEmptyPasswords no\n"
                                "Match User admin\n  PermitEmptyPasswords yes\n",
        "/etc/ssh/sshd_config.d/10-hard.conf": "MaxAuthTries=3\n",
        "/etc/ssh/sshd_config.d/20-late.conf": "MaxAuthTries 8\n",
        "/etc/ssh/sshd_config.d/ignored.txt": "MaxAuthTries 1\n",
    })
    cfg = sshd.read(ctx_of(root))
    assert cfg.installed and cfg.version == (9, 2) and cfg.version_source == "/usr/sbin/sshd"
    assert cfg.get("MaxAuthTries") == "3"
    assert cfg.source("maxauthtries") == "/etc/ssh/sshd_config.d/10-hard.conf:1"
    assert cfg.ports == [22, 2222, 2200]
    assert cfg.listen_addresses == ["10.0.0.1", "::1"]
    assert cfg.get("permitemptypasswords") == "no"
    assert cfg.overrides("PermitEmptyPasswords") == [
        ("User admin", "yes", "/etc/ssh/sshd_config:10")]
    assert "persourcepenalties" not in sshd.defaults(cfg.version)
    assert cfg.get("PerSourcePenalties") is None
    assert cfg.get("permitrootlogin") == "prohibit-password"
    assert cfg.errors == []


def test_version_from_dpkg_and_defaults(tree):
    root = tree({"/var/lib/dpkg/status": "Package: bash\nVersion: 5.2\n\n" + DPKG.format(v="9.8p1"),
                 "/etc/ssh/sshd_config": "UsePAM yes\n"})
    cfg = sshd.read(ctx_of(root))
    assert cfg.version == (9, 8) and "dpkg" in cfg.version_source
    assert cfg.get("persourcepenalties") == "yes" and cfg.source("PerSourcePenalties").startswith("default")
    assert cfg.get("maxauthtries") == "6"
    assert cfg.get("nosuchkeyword", "x") == "x"


def test_old_version_root_login_default(tree):
    root = tree({"/var/lib/dpkg/status": DPKG.format(v="6.6p1"), "/etc/ssh/sshd_config": ""})
    assert sshd.read(ctx_of(root)).get("PermitRootLogin") == "yes"


def test_include_loop_and_garbage_bounded(tree):
    root = tree({"/etc/ssh/sshd_config": "Include sshd_config\n\x00\xff garbage\nPort\n"})
    cfg = sshd.read(ctx_of(root))
    assert any("nested too deeply" in e for e in cfg.errors)
    assert cfg.ports == [22]


def test_unreadable_config_is_an_error(tree, tmp_path):
    import os
    root = tree({"/etc/ssh/sshd_config": "Port 2022\n"})
    os.chmod(os.path.join(root, "etc/ssh/sshd_config"), 0)
    cfg = sshd.read(ctx_of(root))
    if os.geteuid() == 0:
        assert cfg.ports == [2022]
    else:
        assert cfg.errors and "permission denied" in cfg.errors[0]


def test_real_debian_config(debian_rootfs):
    cfg = sshd.read(ctx_of(debian_rootfs))
    assert cfg.installed and cfg.version and cfg.version >= (9, 2)
    assert cfg.get("usepam") == "yes" and cfg.source("UsePAM").startswith("/etc/ssh/sshd_config:")
    assert cfg.get("kbdinteractiveauthentication") == "no"
    assert cfg.ports == [22] and cfg.listen_addresses == []
    assert cfg.errors == []


def test_challenge_response_alias_by_version(trees):
    """Debian 11 / Raspberry Pi OS bullseye images say 'ChallengeResponseAuthentication no': from
    8.7 an alias of KbdInteractiveAuthentication, before it the switch itself (what 'sshd -T'
    prints). Key-only configs written that way take no password."""
    from jcstar_agent.facts import accounts

    conf = "PasswordAuthentication no\nChallengeResponseAuthentication no\nUsePAM yes\n"
    for version, extra, want in (("9.2p1", "", "no"), ("8.4p1", "", "no"),
                                 ("8.4p1", "KbdInteractiveAuthentication yes\n", "yes")):
        root = trees({"/var/lib/dpkg/status": DPKG.format(v=version),
                      "/usr/sbin/sshd": b"", "/etc/ssh/sshd_config": conf + extra})
        ctx = ctx_of(root)
        cfg = sshd.read(ctx)
        assert cfg.get("kbdinteractiveauthentication") == want, (version, extra)
        ssh = next(n for n in accounts.network_logins(ctx) if n.service == "ssh")
        assert ssh.password is (want == "yes")
    root = trees({"/var/lib/dpkg/status": DPKG.format(v="8.4p1"), "/usr/sbin/sshd": b"",
                  "/etc/ssh/sshd_config": "UsePAM yes\n"})
    assert sshd.read(ctx_of(root)).get("kbdinteractiveauthentication") == "yes"  # 8.4's default
    root = trees({"/usr/sbin/sshd": b"OpenSSH_9.2p1",
                  "/etc/ssh/sshd_config": "ChallengeResponseAuthentication no\nKbdInteractiveAuthentication yes\n"})
    cfg = sshd.read(ctx_of(root))
    assert cfg.get("kbdinteractiveauthentication") == "no"  # one option: the first value wins
    assert cfg.source("kbdinteractiveauthentication").endswith("sshd_config:1")


def test_match_blocks_only_loopback_clients_reach_are_not_network_overrides(tree):
    """A Match Address/LocalAddress of loopback addresses only is never a network client's."""
    root = tree({
        "/usr/sbin/sshd": b"\x7fELF...OpenSSH_9.2p1 ...",
        "/etc/ssh/sshd_config": "PasswordAuthentication no\n"
                                "Match Address 127.0.0.1,::1\n  PasswordAuthentication yes\n"
                                "Match User admin LocalAddress 127.0.0.0/8\n  PasswordAuthentication yes\n"
                                "Match Address 127.0.0.1,10.0.0.0/8\n  PermitRootLogin yes\n",
    })
    cfg = sshd.read(ctx_of(root))
    assert [m.local_only for m in cfg.matches] == [True, True, False]
    assert len(cfg.overrides("PasswordAuthentication")) == 2
    assert cfg.overrides("PasswordAuthentication", network=True) == []
    assert cfg.overrides("PermitRootLogin", network=True) == [
        ("Address 127.0.0.1,10.0.0.0/8", "yes", "/etc/ssh/sshd_config:7")]
