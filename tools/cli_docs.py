#!/usr/bin/env python3
"""Man page and bash/zsh completion, generated from the argparse parsers (never written by hand).

    python3 tools/cli_docs.py OUTDIR     # writes OUTDIR/jcstar-agent.1, jcstar-agent.bash, _jcstar-agent

Run at build time (packaging installs the three files: man1/, bash-completion/completions/,
zsh/vendor-completions/). Every verb's parser is built exactly as ``jcstar-agent VERB`` builds
it, so an option added to a verb appears here without anyone touching this file.
"""
from __future__ import annotations

import argparse
import datetime
import os
import sys
from typing import Dict, List, Tuple

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from jcstar_agent import __version__, cli  # noqa: E402

Option = Tuple[List[str], str, str]  # (option strings, metavar or '', help)


def _options(p: argparse.ArgumentParser) -> Tuple[List[Option], List[Tuple[str, str]]]:
    opts, positionals = [], []
    for a in p._actions:
        if isinstance(a, argparse._SubParsersAction) or a.help == argparse.SUPPRESS:
            continue
        meta = ""
        if a.nargs != 0:
            meta = a.metavar if isinstance(a.metavar, str) else (
                "{" + ",".join(map(str, a.choices)) + "}" if a.choices else (a.dest or "").upper())
        if a.option_strings:
            opts.append((list(a.option_strings), meta, a.help or ""))
        else:
            positionals.append((meta or a.dest, a.help or ""))
    return opts, positionals


def verbs() -> Dict[str, argparse.ArgumentParser]:
    out = {}
    for name in cli.VERBS:
        top = cli._parser(name)
        sub = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
        out[name] = sub.choices[name]
    return out


def actions(p: argparse.ArgumentParser) -> Dict[str, Tuple[argparse.ArgumentParser, str]]:
    """A verb's own sub-commands (``mcu deploy``, ``store ingest`` …): name -> (parser, help)."""
    sub = next((a for a in p._actions if isinstance(a, argparse._SubParsersAction)), None)
    if sub is None:
        return {}
    helps = {ca.dest: ca.help or "" for ca in sub._choices_actions}
    return {name: (sp, helps.get(name, "")) for name, sp in sub.choices.items()}


def _roff(text: str) -> str:
    text = text.replace("\\", "\\e").replace("-", "\\-")
    text = "".join(c if ord(c) < 128 else f"\\[u{ord(c):04X}]" for c in text)  # groff needs no preconv
    return "\n".join(("\\&" + ln) if ln[:1] in (".", "'") else ln for ln in text.splitlines())


def manpage() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")  # reproducible builds: the changelog's date
    date = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).date() if epoch and epoch.isdigit()
            else datetime.date.today()).isoformat()
    lines = [f'.TH JCSTAR\\-AGENT 1 "{date}" "jcstar\\-agent {__version__}" "User Commands"',
             ".SH NAME", "jcstar\\-agent \\- check a Linux IoT device against the JC\\-STAR \\[u2605]1 criteria",
             ".SH SYNOPSIS", ".B jcstar\\-agent", "[\\fB\\-q\\fR|\\fB\\-v\\fR] \\fIVERB\\fR [\\fIOPTIONS\\fR]",
             ".br", ".B jcstar\\-agent \\-V", ".SH DESCRIPTION",
             _roff("Checks a Linux IoT device, or an image's root filesystem, against the 16 JC-STAR "
                   "star-1 criteria and emits a report and a signed DSSE attestation."),
             ".SH GLOBAL OPTIONS"]
    top_opts, _ = _options(cli._parser(None))
    for strings, meta, help_ in top_opts:
        lines += [".TP", "\\fB" + _roff(", ".join(strings)) + "\\fR" + (f" \\fI{_roff(meta)}\\fR" if meta else ""),
                  _roff(help_)]
    lines.append(".SH VERBS")
    sections = []
    for name, p in verbs().items():
        sections.append((name, p, cli.VERBS[name][1]))
        sections += [(f"{name} {act}", sp, help_) for act, (sp, help_) in actions(p).items()]
    for name, p, description in sections:
        opts, pos = _options(p)
        lines += [".SS " + _roff(name + "".join(f" {m}" for m, _ in pos)), _roff(description)]
        for meta, help_ in pos:
            lines += [".TP", f"\\fI{_roff(meta)}\\fR", _roff(help_)]
        for strings, meta, help_ in opts:
            if strings == ["-h", "--help"]:
                continue
            lines += [".TP", "\\fB" + _roff(", ".join(strings)) + "\\fR" + (f" \\fI{_roff(meta)}\\fR" if meta else ""),
                      _roff(help_ % {"default": ""} if "%(" in help_ else help_)]
    lines += [".SH EXIT STATUS", ".TP", "0", _roff("ran; no criterion fail or error (verify/pull: valid and fresh)"),
              ".TP", "1", _roff("ran; at least one fail or error (verify/pull: invalid, tampered, stale)"),
              ".TP", "2", _roff("could not run: bad arguments, invalid config, missing root, unsafe key"),
              ".TP", "130", _roff("interrupted (Ctrl-C)"),
              ".SH ENVIRONMENT", ".TP", "NO_COLOR, TERM=dumb", _roff("no colour"),
              ".SH SEE ALSO", _roff("The README of jcstar-agent and its reference pages docs/*.md: cli.md (options, "
                                       "exit status), reports.md (formats), attestation.md (verify), "
                                       "evidence-store.md (store), factory.md.")]
    return "\n".join(lines) + "\n"


def _words(p: argparse.ArgumentParser) -> str:
    opts, _ = _options(p)
    return " ".join(s for strings, _, _ in opts for s in strings)


def shipped_boards() -> List[str]:
    """The board configs the project ships (board_configs/NAME.toml): what --board completes to."""
    here = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "board_configs")
    return sorted(f[:-5] for f in os.listdir(here) if f.endswith(".toml"))


def _values(p: argparse.ArgumentParser) -> Dict[str, List[str]]:
    """Option string -> the values it takes, where they are known: argparse choices (--format,
    --algorithm …) and the shipped boards for --board. Others complete to file names."""
    out = {}
    for a in p._actions:
        if not a.option_strings or a.nargs == 0 or a.help == argparse.SUPPRESS:
            continue
        words = [str(c) for c in a.choices] if a.choices else shipped_boards() if a.dest == "board" else []
        for s in a.option_strings if words else ():
            out[s] = words
    return out


def bash() -> str:
    vs = verbs()
    cases, nested, values = [], [], []
    for name, p in vs.items():
        acts = actions(p)
        if acts:  # mcu, store: the action comes next, then its own options
            nested.append(f"        {name}) [[ -z \"$action\" ]] && {{ COMPREPLY=($(compgen -W "
                          f"\"{' '.join(acts)} {_words(p)}\" -- \"$cur\")); return; }} ;;")
            cases += [f"        \"{name} {a}\") opts=\"{_words(sp)}\" ;;" for a, (sp, _h) in acts.items()]
            parsers = [(f"{name} {a}", sp) for a, (sp, _h) in acts.items()] + [(name, p)]
        else:
            cases.append(f"        {name}) opts=\"{_words(p)}\" ;;")
            parsers = [(name, p)]
        for key, sp in parsers:
            values += [f"        \"{key}|{opt}\") vals=\"{' '.join(words)}\" ;;"
                       for opt, words in _values(sp).items()]
    with_actions = "|".join(n for n, p in vs.items() if actions(p)) or "-"
    cases, nested, values = "\n".join(cases), "\n".join(nested), "\n".join(values)
    top = _words(cli._parser(None))
    return f"""# bash completion for jcstar-agent (generated by tools/cli_docs.py from the parsers)
_jcstar_agent() {{
    local cur prev verb action opts vals i w
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    verb=""
    action=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${{COMP_WORDS[i]}}"
        [[ "$w" == -* ]] && continue
        if [[ -z "$verb" ]]; then
            verb="$w"
            case "$verb" in {with_actions}) ;; *) break ;; esac
        else
            action="$w"
            break
        fi
    done
    if [[ -z "$verb" ]]; then
        COMPREPLY=($(compgen -W "{' '.join(vs)} {top}" -- "$cur"))
        return
    fi
    case "$verb" in
{nested}
    esac
    # an option's value: its choices (--format), the shipped boards (--board)
    case "$verb${{action:+ $action}}|$prev" in
{values}
        *) vals="" ;;
    esac
    if [[ -n "$vals" ]]; then
        COMPREPLY=($(compgen -W "$vals" -- "$cur"))
        return
    fi
    case "$verb${{action:+ $action}}" in
{cases}
        *) opts="" ;;
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}}
complete -o filenames -F _jcstar_agent jcstar-agent
"""


def zsh() -> str:
    vs = verbs()
    described = "\n".join(f"        '{n}:{cli.VERBS[n][1].replace(chr(39), '')}'" for n in vs)
    def words(p):  # a verb with actions: its own options and every action's
        return " ".join([_words(p)] + [_words(sp) for sp, _h in actions(p).values()])

    cases = "\n".join(f"        {n}) opts=({words(p)}); acts=({' '.join(actions(p))}) ;;"
                      for n, p in vs.items())
    values = []
    for n, p in vs.items():  # a verb with actions: the union of its actions' values per option
        merged: Dict[str, List[str]] = {}
        for sp in [p] + [sp for sp, _h in actions(p).values()]:
            for opt, ws in _values(sp).items():
                merged.setdefault(opt, [])
                merged[opt] += [w for w in ws if w not in merged[opt]]
        values += [f"        '{n}|{opt}') compadd -- {' '.join(ws)}; return ;;" for opt, ws in merged.items()]
    values = "\n".join(values)
    return f"""#compdef jcstar-agent
# zsh completion for jcstar-agent (generated by tools/cli_docs.py from the parsers)
_jcstar_agent() {{
    local -a verbs opts acts
    verbs=(
{described}
    )
    local verb=${{words[(r)[^-]*]}}
    [[ $verb == jcstar-agent ]] && verb=${{${{(@)words[3,-1]:#-*}}[1]}}
    if (( CURRENT == 2 )) || [[ -z $verb ]]; then
        _describe 'verb' verbs
        return
    fi
    case "$verb|${{words[CURRENT-1]}}" in  # an option's value: its choices, the shipped boards
{values}
    esac
    case $verb in
{cases}
    esac
    if [[ $PREFIX == -* ]]; then
        compadd -a opts
    else
        (( ${{#acts}} )) && compadd -a acts
        _files
    fi
}}
_jcstar_agent "$@"
"""


def main(argv: List[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    out = argv[0]
    os.makedirs(out, exist_ok=True)
    for name, text in (("jcstar-agent.1", manpage()), ("jcstar-agent.bash", bash()), ("_jcstar-agent", zsh())):
        with open(os.path.join(out, name), "w", encoding="utf-8") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
