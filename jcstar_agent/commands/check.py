"""``check``: run the ★1 checks over the live system or an offline root, print a report.

The common options here are shared by every verb that runs checks (``attest``, ``serve``).
"""
from __future__ import annotations

import os
import stat
import sys

from ..errors import RunError


def add_check_options(p) -> None:
    p.add_argument("--root", metavar="DIR",
                   help="inspect an offline root filesystem (build time); default: the live system")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--config", metavar="FILE", help="board config (TOML): the vendor's declaration")
    g.add_argument("--board", metavar="NAME", help="use board_configs/NAME.toml")
    p.add_argument("--active", action="store_true",
                   help="live only: also run active probes (TLS/plaintext, bounded brute force)")
    p.add_argument("--online", action="store_true",
                   help="fetch declared document URLs to check they are reachable and digest them")
    p.add_argument("--vulndb", metavar="FILE", help="OSV-format vulnerability database (offline)")
    p.add_argument("--erase-test", action="store_true",
                   help="run the declared erase command on a throw-away copy of --root")
    p.add_argument("--password-budget", type=float, metavar="SECONDS",
                   help="time budget of the default-password test (overrides the config)")
    p.add_argument("--sbom", metavar="FILE",
                   help="also write a CycloneDX 1.5 JSON SBOM of the installed packages to FILE")


def add_output_options(p) -> None:
    p.add_argument("--format", choices=("text", "json", "junit"),
                   help="report format (default: text on a terminal, json otherwise)")
    p.add_argument("--output", metavar="FILE", help="write the report to FILE (default: stdout)")
    for fmt in ("json", "junit", "text"):
        p.add_argument(f"--{fmt}-output", metavar="FILE", dest=f"{fmt}_output",
                       help=f"also write the report as {fmt} to FILE, from the same run")


def add_arguments(p) -> None:
    add_check_options(p)
    add_output_options(p)


def build_context(args):
    """Root + config + options from the common check options (RunError on run-level problems)."""
    from ..config import BoardConfig, board_path, load
    from ..criteria import Context, Options
    from ..target import Root

    if args.root:
        if not os.path.isdir(args.root):
            raise RunError(f"root {args.root} is not a directory", args.root)
        root = Root(args.root, live=False)
        if args.active:
            raise RunError("--active probes the running device; it cannot be used with --root")
    else:
        root = Root("/", live=True)
        if getattr(args, "erase_test", False):
            raise RunError("--erase-test runs only on a copy of an offline --root, never live")
    if args.config:
        config = load(args.config)
    elif args.board:
        config = load(board_path(args.board))
    else:
        config = BoardConfig()
    options = Options(active=args.active, online=args.online, vulndb=args.vulndb,
                      erase_test=getattr(args, "erase_test", False),
                      password_budget=args.password_budget)
    if getattr(args, "sbom", None):
        if not os.path.isdir(os.path.dirname(os.path.abspath(args.sbom))):
            raise RunError("folder of the SBOM file does not exist", args.sbom)
        options.extra["sbom"] = args.sbom
    if args.vulndb and not os.path.isfile(args.vulndb):
        raise RunError("vulnerability database not found", args.vulndb)
    return Context(root, config, options)


def check_writable(path) -> None:
    """Fail before the work, not after it: the folder of an output file must exist."""
    if path:
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise RunError("the folder of this output file does not exist", path,
                           hint=f"mkdir -p {folder}")
        if not os.access(folder, os.W_OK):
            raise RunError("the folder of this output file is not writable", path)


def write_output(text: str, output) -> None:
    """Write to stdout, or to ``output`` atomically (temp file + rename) when it is a regular file.

    A device or FIFO (``/dev/null``, a named pipe a station reads) is written in place: renaming
    over it would replace the device node with an ordinary file.
    """
    if not output:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        st = os.stat(output)
    except OSError:
        st = None
    try:
        if st is not None and not stat.S_ISREG(st.st_mode):
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
            return
        tmp = f"{output}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, output)
    except OSError as exc:
        raise RunError(f"cannot write report: {exc.strerror or exc}", output)


def run(args) -> int:
    from .. import check
    from ..report import render

    extra = [(fmt, getattr(args, f"{fmt}_output", None)) for fmt in ("json", "junit", "text")]
    for path in [args.output] + [path for _, path in extra]:
        check_writable(path)
    ctx = build_context(args)
    report = check.run(ctx)
    to_terminal = not args.output and sys.stdout.isatty()
    fmt = args.format or ("text" if to_terminal else "json")
    colour = to_terminal and fmt == "text" and not os.environ.get("NO_COLOR")
    write_output(render(report, fmt, colour), args.output)
    for other, path in extra:
        if path:
            write_output(render(report, other), path)
    return 0 if report.ok else 1
