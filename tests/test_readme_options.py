"""The docs and ``--help`` agree: the verbs table (docs/cli.md) lists exactly the verbs, the options
table of ``check`` lists exactly ``check --help``'s options, and every option a command line of the
README or a docs page gives a verb (``jcstar-agent VERB … --opt``, ``mcu``/``store`` actions
included) is one that verb takes. (An audit found ``--boot``/``--boot-timeout`` missing from the
options table.)"""
import argparse
import re

import projectdocs
from jcstar_agent.cli import VERBS, _parser


def _cli_page():
    return projectdocs.page("cli.md")


def _verb_parser(verb, action=None):
    top = _parser(verb)
    p = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction)).choices[verb]
    if action:
        p = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction)).choices[action]
    return p


def _actions_of(verb):
    p = _verb_parser(verb)
    sub = next((a for a in p._actions if isinstance(a, argparse._SubParsersAction)), None)
    return set(sub.choices) if sub else set()


def _options(p):
    return {s for a in p._actions for s in a.option_strings} - {"-h", "--help"}


def _table_after(heading):
    rest = _cli_page().split(heading, 1)[1]
    rows = []
    for line in rest.split("\n|", 1)[1].splitlines():
        if not line.startswith("|"):
            if rows:
                break
            continue
        rows.append(line)
    return rows


def test_verbs_table_lists_every_verb():
    rows = _table_after("\n## Verbs\n")
    listed = {m.group(1) for r in rows for m in [re.match(r"\| `([a-z-]+)` \|", r)] if m}
    assert listed == set(VERBS)


def test_check_options_table_is_check_help():
    rows = _table_after("Options of `check` (and of every verb that runs the checks):")
    listed = {o for r in rows for o in re.findall(r"`(--?[a-zA-Z][a-z0-9-]*)", r.split(" | ")[0])}
    in_help = _options(_verb_parser("check")) - {"--quiet", "--verbose", "--version"}
    assert listed == in_help, (sorted(in_help - listed), sorted(listed - in_help))


def _commands_in(cmd):
    quoted = re.findall(r"'([^']*)'", cmd)  # a command inside quotes (factory --command '…') is its own
    cmd = re.sub(r"'[^']*'", "''", cmd)
    for m in re.finditer(r"(?:^|[\s;&|(\"])jcstar-agent((?:\s+-[qv])*)\s+([a-z-]+)(.*)", cmd):
        yield m.group(2), m.group(3)
    for q in quoted:
        yield from _commands_in(q)


def _command_lines():
    for block in re.findall(r"```sh\n(.*?)```", projectdocs.text(), re.S):
        for cmd in block.replace("\\\n", " ").splitlines():
            yield from _commands_in(cmd.split(" #", 1)[0])


def test_every_option_in_a_docs_command_is_taken_by_its_verb():
    seen = 0
    for verb, rest in _command_lines():
        if verb not in VERBS:
            continue
        words = rest.split()
        action = words[0] if words and words[0] in _actions_of(verb) else None
        p = _verb_parser(verb, action)
        for opt in re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", rest):
            if opt.startswith("--") or opt in ("-q", "-v", "-V"):
                seen += 1
                assert opt in _options(p) | {"-q", "-v", "-V"}, (verb, action, opt, rest)
    assert seen > 50


def test_check_help_states_the_ranges_the_readme_states():
    """--help and docs/cli.md give the same bounds for the numeric options."""
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):
        _verb_parser("check").print_help()
    text = " ".join(out.getvalue().split())
    rows = " ".join(_table_after("Options of `check` (and of every verb that runs the checks):"))
    for option, help_range, readme_range in (("--password-budget", "0 to 86400", "0 to 86400"),
                                             ("--probe-workers", "1 to 64", "1–64"),
                                             ("--boot-timeout", "at most 3600", "at most 3600")):
        assert help_range in text.split(option, 2)[-1][:300], option
        assert readme_range in rows.split(option, 1)[1][:300], option
