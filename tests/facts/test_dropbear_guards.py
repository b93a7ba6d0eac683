"""jcstar_agent.facts.dropbear and jcstar_agent.facts.bruteforce_guards."""
from jcstar_agent.config.schema import BoardConfig
from jcstar_agent.criteria.interface import Context
from jcstar_agent.facts import bruteforce_guards, dropbear
from jcstar_agent.target import Root


def ctx_of(root):
    return Context(Root(root, live=False), BoardConfig())


def test_dropbear_flags_from_default_uci_and_unit(trees):
    root = trees({
        "/usr/sbin/dropbear": "",
        "/etc/default/dropbear": 'DROPBEAR_EXTRA_ARGS="-B -w -T3"\nDROPBEAR_PORT=2222\n'})
    d = dropbear.read(ctx_of(root))
    assert d.installed and d.blank_passwords and not d.root_login and d.max_auth_tries == 3
    assert d.ports == [2222] and d.password_auth
    root = trees({
        "/etc/config/dropbear": "config dropbear\n\toption PasswordAuth 'off'\n\toption Port '22'\n"})
    d = dropbear.read(ctx_of(root))
    assert d.installed and not d.password_auth and not d.blank_passwords
    root = trees({
        "/lib/systemd/system/dropbear.service": "[Service]\nExecStart=-/usr/sbin/dropbear -F -E -p 10.0.0.1:22 -s $OPTS\n"})
    d = dropbear.read(ctx_of(root))
    assert d.ports == [22] and not d.password_auth
    assert not dropbear.read(ctx_of(trees({"/etc/x": ""}))).installed


def test_fail2ban_jails(trees):
    root = trees({
        "/usr/bin/fail2ban-server": "",
        "/etc/fail2ban/jail.conf": "[DEFAULT]\nmaxretry = 5\n[sshd]\nport = ssh\n[dropbear]\nport = ssh\n",
        "/etc/fail2ban/jail.d/defaults-debian.conf": "[sshd]\nenabled = true\n",
        "/etc/fail2ban/jail.local": "[dropbear]\nenabled = false ; off\n[broken\n",
        "/etc/systemd/system/multi-user.target.wants/fail2ban.service": ("symlink", "/lib/systemd/system/fail2ban.service"),
        "/lib/systemd/system/fail2ban.service": "[Service]\nExecStart=/usr/bin/fail2ban-server\n[Install]\nWantedBy=multi-user.target\n"},
        {"/usr/bin/fail2ban-server": 0o755})
    g = bruteforce_guards.read(ctx_of(root))
    assert g.fail2ban_installed
    assert [j.name for j in g.enabled_jails()] == ["sshd"]
    assert g.jails["sshd"].maxretry == 5 and g.jails["sshd"].source.endswith("defaults-debian.conf")
    assert g.errors and "jail.local" in g.errors[0]
    assert g.fail2ban_boot is True
    assert not g.sshguard_installed


def test_fail2ban_config_left_by_a_removed_package_counts_for_nothing(trees):
    """'apt remove fail2ban' keeps jail.d/defaults-debian.conf ([sshd] enabled = true)."""
    g = bruteforce_guards.read(ctx_of(trees({"/etc/fail2ban/jail.conf": "[sshd]\nport = ssh\n",
                                             "/etc/fail2ban/jail.d/defaults-debian.conf": "[sshd]\nenabled = true\n"})))
    assert not g.fail2ban_installed and not g.enabled_jails()
    assert "no fail2ban-server" in g.errors[0]


def test_nothing_installed(trees):
    g = bruteforce_guards.read(ctx_of(trees({"/etc/x": ""})))
    assert not g.fail2ban_installed and not g.enabled_jails()
