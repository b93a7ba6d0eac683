"""Helpers shared by the attack-surface tests (S1.1-08, -12, -13): a context from a root and an
optional board config text, enabled systemd units, the problem findings of an outcome."""
from jcstar_agent.config import BoardConfig, load
from jcstar_agent.criteria import Context, Options
from jcstar_agent.target import Root

LIB = "/lib/systemd/system"
WANTS = "/etc/systemd/system/multi-user.target.wants"


def make_ctx(root, toml=None, tmp_path=None, live=False, **options):
    cfg = BoardConfig()
    if toml is not None:
        p = tmp_path / "board.toml"
        p.write_text(toml)
        cfg = load(str(p))
    return Context(Root(root, live=live), cfg, Options(**options))


def enabled(name, execstart):
    """Tree entries of a service unit enabled in multi-user.target."""
    return {f"{LIB}/{name}.service": f"[Service]\nExecStart={execstart}\n",
            f"{WANTS}/{name}.service": ("symlink", f"{LIB}/{name}.service")}


def problems(outcome):
    return [f for f in outcome.findings if f.is_problem]
