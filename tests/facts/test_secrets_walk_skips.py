"""The secrets walk skips package-manager metadata, and says so in its evidence."""
from jcstar_agent.check import evaluate
from jcstar_agent.config import BoardConfig
from jcstar_agent.criteria import Context, Options
from jcstar_agent.facts import secrets
from jcstar_agent.target import Root


def test_package_databases_are_not_walked_and_the_report_says_so(tree):
    root = tree({"/var/lib/dpkg/info/openssh-server.list": "/usr/sbin/sshd\n",
                 "/var/lib/dpkg/status": "Package: x\n",
                 "/var/lib/app/state.txt": "ok\n"})
    ctx = Context(Root(root, live=False), BoardConfig(), Options())
    walk = ctx.fact(secrets.read)
    assert "/var/lib/dpkg/info" in walk.skipped_dirs
    out = evaluate(ctx, "S1.1-11")
    msg = next(f.message for f in out.findings if f.check == "SECRETS-WALK")
    assert "not walked: /var/lib/dpkg/info" in msg
