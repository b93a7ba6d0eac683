"""``declare``: write a draft declaration (board config) of what the device shows.

The draft goes to ``--output FILE`` (atomically; an existing file only with ``--force``) or
stdout. Edit it — replace every "<FILL-IN: …>" — then ``check --config FILE``.
"""
from __future__ import annotations

import os
import stat

from ..errors import RunError


def add_arguments(p) -> None:
    from .check import add_target_options

    add_target_options(p, "draft from an offline root filesystem (build time); default: the live system")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--config", metavar="FILE",
                   help="a declaration to start from: its values win, the draft adds what it lacks")
    g.add_argument("--board", metavar="NAME", help="start from board_configs/NAME.toml")
    from .check import add_boot_options

    add_boot_options(p, "boot the image in a throw-away sandbox and draft the listeners it really opens")
    p.add_argument("--output", metavar="FILE", help="write the draft to FILE (default: stdout)")
    p.add_argument("--force", action="store_true", help="overwrite an existing --output FILE")


def run(args) -> int:
    from ..config import board_path, load
    from ..declare import draft
    from .check import check_option_pairs, check_writable, open_root, write_output

    check_option_pairs(args)
    if args.output:
        check_writable(args.output)
        try:
            st = os.stat(args.output)
        except OSError:
            st = None
        if st is not None and stat.S_ISREG(st.st_mode) and not args.force:
            raise RunError("the output file exists", args.output,
                           hint="add --force to overwrite it")
    base = None
    if args.config or args.board:
        base = load(args.config or board_path(args.board))
    root = open_root(args)  # after the config: an image is unpacked only for a run that can go on
    prepare = None
    if args.boot:
        from .check import boot_into

        def prepare(ctx):
            boot_into(ctx, args)
    write_output(draft(root, base, prepare), args.output)
    return 0
