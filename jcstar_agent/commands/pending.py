"""Verbs the contract names whose implementation has not landed yet: say so, exit 2."""
from ..errors import RunError


def add_arguments(parser) -> None:
    parser.add_argument("rest", nargs="*", help="(not implemented yet)")


def run(args) -> int:
    raise RunError(f"'{args.verb}' is not implemented yet in this version")
