"""The command line: a thin dispatcher. Each verb lives in its own module, imported only when
that verb runs (``check`` never imports ``cryptography``; ``--help`` imports nothing heavy).

A verb module provides ``add_arguments(parser)`` and ``run(args) -> int``.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import List, Optional

from . import __version__
from .errors import RunError

# verb -> (module, one-line help). The CONTRACT.md verbs; add, never rename.
VERBS = {
    "check": ("jcstar_agent.commands.check", "run the JC-STAR ★1 checks, print a report"),
    "attest": ("jcstar_agent.commands.attest", "run check, emit a signed attestation (DSSE envelope)"),
    "keygen": ("jcstar_agent.commands.keygen", "create a signing key pair"),
    "verify": ("jcstar_agent.commands.verify", "verify an attestation"),
    "serve": ("jcstar_agent.commands.serve", "answer attestation requests on a serial line"),
    "pull": ("jcstar_agent.commands.pull", "request, receive and verify an attestation over serial"),
    "store": ("jcstar_agent.commands.store", "evidence store: ingest, query, export, retention, check-unique"),
    "drift": ("jcstar_agent.commands.drift", "security-relevant changes between two attestations"),
    "factory": ("jcstar_agent.commands.factory", "factory line: attest a unit, verify, store, PASS/FAIL"),
    "mcu": ("jcstar_agent.commands.mcu", "MicroPython board over USB REPL: deploy, keygen, attest (mpremote)"),
    "report": ("jcstar_agent.commands.report", "render a stored report or attestation: html, sarif, json, text, junit"),
    "checklist": ("jcstar_agent.commands.checklist", "the IPA ★1 checklist workbook (.xlsx) from reports or attestations"),
    "declare": ("jcstar_agent.commands.declare", "write a draft declaration (board config) of what the device shows"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # exit 2 with one line, as the contract says
        verb = self.prog[len("jcstar-agent"):].strip()
        raise RunError(f"{verb}: {message}" if verb else message, hint=f"see '{self.prog} --help'")


def _add_common(p, top: bool = False) -> None:
    """-q/--quiet, -v/--verbose and -V/--version, before or after the verb and its action (a
    verb's own --quiet, or store query's --version filter, is kept)."""
    default = False if top else argparse.SUPPRESS  # a verb's parser never resets the top's value
    quiet = [o for o in ("-q", "--quiet") if o not in p._option_string_actions]
    if quiet:
        p.add_argument(*quiet, dest="quiet", action="store_true", default=default,
                       help="no progress and no summary lines on stderr")
    verbose = [o for o in ("-v", "--verbose") if o not in p._option_string_actions]
    if verbose:
        p.add_argument(*verbose, dest="verbose", action="store_true", default=default,
                       help="also say what each criterion read, and how long it took (stderr)")
    version = [o for o in ("-V", "--version") if o not in p._option_string_actions]
    if version:
        p.add_argument(*version, action="version", version=f"jcstar-agent {__version__}",
                       help="show the agent's version and exit")
    for action in p._actions:  # mcu deploy|keygen|attest, store ingest|query …: theirs too
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _add_common(child)


def _parser(verb: Optional[str]) -> argparse.ArgumentParser:
    p = _Parser(prog="jcstar-agent",
                description="Check a Linux IoT device against the JC-STAR ★1 criteria.")
    _add_common(p, top=True)
    sub = p.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    for name, (module, help_) in VERBS.items():
        sp = sub.add_parser(name, help=help_, description=help_)
        if name == verb:
            importlib.import_module(module).add_arguments(sp)
            sp.set_defaults(_module=module)
            _add_common(sp)
    return p


# Options whose value is free text a user does not choose (a verifier's nonce, a scanned serial):
# "-x1…" is a valid value there, and argparse would take it for an option.
FREE_TEXT = ("--nonce", "--serial")


def _option_strings(p: argparse.ArgumentParser) -> set:
    found = set(p._option_string_actions)
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found |= _option_strings(child)
    return found


def _join_free_text(argv: List[str], known: set) -> List[str]:
    """``--nonce -x1`` -> ``--nonce=-x1``, unless ``-x1`` is itself one of the verb's options
    (``--serial --json`` stays a missing value, not a serial called "--json")."""
    out, i = [], 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            return out + argv[i:]
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if (a in FREE_TEXT and nxt is not None and nxt.startswith("-")
                and nxt.split("=", 1)[0] not in known):
            out.append(f"{a}={nxt}")
            i += 2
            continue
        out.append(a)
        i += 1
    return out


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    verb = next((a for a in argv if not a.startswith("-")), None)
    try:
        parser = _parser(verb if verb in VERBS else None)
        args = parser.parse_args(_join_free_text(list(argv), _option_strings(parser)))
        if not getattr(args, "verb", None):
            _parser(None).print_help(sys.stderr)
            return 2
        from . import progress

        progress.configure(quiet=bool(getattr(args, "quiet", False)),
                           verbose=bool(getattr(args, "verbose", False)))
        return importlib.import_module(args._module).run(args)
    except RunError as exc:
        from .report.escape import terminal  # a message may quote a file name or a device's text

        print(terminal(f"jcstar-agent: {exc}"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: one line, and the shell's convention 128 + SIGINT
        clear = "\r\033[K" if sys.stderr.isatty() and os.environ.get("TERM") != "dumb" else ""
        print(f"{clear}jcstar-agent: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    finally:  # an --image unpacked for this run is removed on every path (SIGTERM too: it unwinds)
        image = sys.modules.get("jcstar_agent.target.image")
        if image is not None:
            image.close_all()
