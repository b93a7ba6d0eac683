"""``check``: run the ★1 checks over the live system or an offline root, print a report.

The common options here are shared by every verb that runs checks (``attest``, ``serve``).
"""
from __future__ import annotations

import os
import sys

from ..errors import RunError


def add_check_options(p, image: bool = True) -> None:
    if image:
        add_target_options(p, "inspect an offline root filesystem (build time); default: the live system")
    else:
        p.add_argument("--root", metavar="DIR",
                       help="inspect an offline root filesystem (build time); default: the live system")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--config", metavar="FILE", help="board config (TOML): the vendor's declaration")
    g.add_argument("--board", metavar="NAME", help="use board_configs/NAME.toml")
    add_boot_options(p, "start the image's own init in a throw-away sandbox (overlay, namespaces, "
                        "no network) and take its real socket table")
    p.add_argument("--active", action="store_true",
                   help="live, or with --root --boot inside the sandbox: also run active probes "
                        "(TLS/plaintext, bounded brute force)")
    p.add_argument("--probe-workers", type=_workers, metavar="N",
                   help="with --active: listeners probed at once (1 to 64, default 16)")
    p.add_argument("--online", action="store_true",
                   help="fetch declared document URLs to check they are reachable and digest them")
    p.add_argument("--vulndb", metavar="FILE", help="OSV-format vulnerability database (offline)")
    p.add_argument("--erase-test", action="store_true",
                   help="run the declared erase command on a throw-away copy of --root")
    p.add_argument("--password-budget", type=_budget, metavar="SECONDS",
                   help="time budget of the default-password test, 0 to 86400 (overrides the "
                        "config's passwords.budget_seconds)")
    p.add_argument("--sbom", metavar="FILE", type=file_name,
                   help="also write a CycloneDX 1.5 JSON SBOM of the installed packages to FILE")


def add_target_options(p, root_help: str) -> None:
    """``--root DIR`` or ``--image FILE`` (one of them; neither: the live system) and the bounds
    of unpacking an image file."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--root", metavar="DIR", help=root_help)
    g.add_argument("--image", metavar="FILE",
                   help="inspect an image file instead (ext2/3/4, squashfs, tar[.gz|.xz|.bz2|.zst], "
                        "MBR/GPT disk image): read with userspace tools, never mounted, never written")
    p.add_argument("--image-max-size", type=_size, metavar="BYTES",
                   help="with --image: refuse an image holding more file data than this (suffix K, M, "
                        "G; default 8G)")
    p.add_argument("--image-max-files", type=_count, metavar="N",
                   help="with --image: refuse an image of more entries than this (default 1000000)")


def _size(text: str) -> int:
    """``--image-max-size``: bytes, or a number with K, M, G or T (KiB … TiB; "8G", "512MiB")."""
    import argparse
    import re

    m = re.fullmatch(r"\s*(\d+)\s*([KMGT]?)(?:I?B)?\s*", text, re.I)
    value = int(m.group(1)) << (10 * " KMGT".index(m.group(2).upper() or " ")) if m else 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a size above 0 (bytes, or with K, M, G, T)")
    return value


def _count(text: str) -> int:
    import argparse

    try:
        n = int(text)
    except ValueError:
        n = 0
    if n <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a whole number above 0")
    return n


def open_root(args):
    """The Root the run inspects: ``--root DIR``, ``--image FILE`` (unpacked now, removed when the
    command ends: cli.main closes it on every path) or the live system."""
    from ..target import Root

    image = getattr(args, "image", None)
    if image:
        from ..target.image import ImageError, Limits, materialise

        if getattr(args, "erase_test", False) and os.geteuid() != 0:
            # unpacked by a plain user, the files are the user's: the copy the erase command runs
            # in would not have the image's owners and modes
            raise RunError("--erase-test with --image needs root (the unpacked tree must carry "
                           "the image's owners); as a plain user, unpack it and give --root DIR")
        defaults = Limits()
        limits = Limits(args.image_max_size or defaults.max_bytes, args.image_max_files or defaults.max_files)
        try:
            return materialise(image, limits=limits)[0]
        except ImageError as exc:
            raise RunError(str(exc)) from None
    if getattr(args, "root", None):
        if not os.path.isdir(args.root):
            raise RunError(f"root {args.root} is not a directory", args.root)
        return Root(args.root, live=False)
    return Root("/", live=True)


def add_fail_on(p) -> None:
    """``--fail-on``: for the verbs whose exit status gates a build or a line (check, attest,
    factory), not for ``serve``."""
    p.add_argument("--fail-on", choices=("fail", "error", "manual"), default="fail", metavar="LEVEL",
                   help="exit 1 when a criterion is at LEVEL or worse: fail (default: a fail or "
                        "an error, as always), error (the same), manual (also any manual: a "
                        "build that must not ship what the agent could not judge)")


def exit_status(report, args) -> int:
    """0, or 1 when a criterion is at ``--fail-on`` or worse."""
    return 1 if report.gated(getattr(args, "fail_on", None) or "fail") else 0


def _workers(text: str) -> int:
    import argparse

    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= 64:
        raise argparse.ArgumentTypeError(f"{text!r}: a whole number from 1 to 64")
    return n


def file_name(text: str) -> str:
    """An output file option: an empty name (``--sarif-output ""``, an unset variable) is refused,
    not taken as 'no such output' (it was: nothing written, exit 0)."""
    import argparse

    if not text:
        raise argparse.ArgumentTypeError("an empty file name")
    return text


BOOT_TIMEOUT_MAX = 3600.0
BOOT_TIMEOUT = 60.0  # the default


def check_option_pairs(args) -> None:
    """An option that only tunes another one is refused without it: a user who typed
    ``--probe-workers 4`` or ``--boot-timeout 300`` believes it did something."""
    if getattr(args, "boot_timeout", None) is not None and not getattr(args, "boot", False):
        raise RunError("--boot-timeout sets how long --boot waits for the image's services; "
                       "without --boot nothing is booted", hint="add --boot, or drop --boot-timeout")
    for option in ("image_max_size", "image_max_files"):
        if getattr(args, option, None) is not None and not getattr(args, "image", None):
            flag = "--" + option.replace("_", "-")
            raise RunError(f"{flag} bounds what --image unpacks; without --image nothing is unpacked",
                           hint=f"add --image FILE, or drop {flag}")
    if getattr(args, "probe_workers", None) is not None and not getattr(args, "active", False):
        raise RunError("--probe-workers sets how many listeners --active probes at once; without "
                       "--active nothing is probed", hint="add --active, or drop --probe-workers")


def distinct_outputs(*paths) -> None:
    """Two outputs of one run named the same file would leave only the last one written (a
    report where the user expects the envelope): refused before the work. A device or FIFO
    (``/dev/stdout``) may be named twice; its writes follow each other."""
    import stat

    seen = {}
    for option, path in paths:
        if not path or path == "-":  # stdin, where a verb reads it
            continue
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):
                continue
        except OSError:
            pass  # not there yet: a file this run would create
        real = os.path.realpath(os.path.abspath(path))
        if real in seen:
            raise RunError(f"{seen[real]} and {option} name the same file; an output never "
                           "overwrites another output or an input of the run", path)
        seen[real] = option


def read_inputs(args) -> list:
    """(option, path) of the files a check run reads that no output of it may name: a report
    or SBOM written over the board config or the vulnerability database destroys it."""
    return [("--config", getattr(args, "config", None)), ("--vulndb", getattr(args, "vulndb", None))]


def add_boot_options(p, what: str) -> None:
    """``--boot`` (``what`` it does, after "with --root (build host, root): ") and
    ``--boot-timeout``, alike for every command that boots the image."""
    p.add_argument("--boot", action="store_true", help=f"with --root or --image (build host, root): {what}")
    p.add_argument("--boot-timeout", type=boot_timeout, metavar="SECONDS",
                   help="--boot: stop waiting for the image's services after SECONDS (default 60, "
                        "at most 3600)")


def boot_timeout(text: str) -> float:
    """``--boot-timeout``: a finite number of seconds above 0, at most an hour (nan, inf, 0 or -1
    would never end the boot, or end it before it starts)."""
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and 0 < value <= BOOT_TIMEOUT_MAX):
        raise argparse.ArgumentTypeError(
            f"{text!r}: must be a number of seconds above 0 and at most {BOOT_TIMEOUT_MAX:.0f}")
    return value


def _budget(text: str) -> float:
    """A finite, non-negative number of seconds (inf, nan, 1e308 or -1 would never end or mean
    nothing)."""
    import argparse

    from ..config.loader import budget_problem

    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    why = budget_problem(value)
    if why:
        raise argparse.ArgumentTypeError(f"{text!r}: {why}")
    return value


EXTRA_FORMATS = ("json", "junit", "text", "sarif", "html")  # --FMT-output FILE for each


def add_output_options(p) -> None:
    p.add_argument("--format", choices=("text", "json", "junit", "sarif", "html"),
                   help="report format (default: text on a terminal, json otherwise)")
    p.add_argument("--output", metavar="FILE", type=file_name,
                   help="write the report to FILE (default: stdout)")
    for fmt in EXTRA_FORMATS:
        p.add_argument(f"--{fmt}-output", metavar="FILE", dest=f"{fmt}_output", type=file_name,
                       help=f"also write the report as {fmt} to FILE, from the same run")
    from .viewopts import add_lang_option, add_sarif_root_option

    add_lang_option(p)
    add_sarif_root_option(p)


def add_arguments(p) -> None:
    add_check_options(p)
    add_fail_on(p)
    add_output_options(p)


def build_context(args):
    """Root + config + options from the common check options (RunError on run-level problems)."""
    from ..config import BoardConfig, board_path, load
    from ..criteria import Context, Options

    check_option_pairs(args)
    offline = args.root or getattr(args, "image", None)
    if offline and args.active and not getattr(args, "boot", False):
        raise RunError(f"--active probes the running device; with {'--root' if args.root else '--image'} "
                       "it needs --boot (the probes then run inside the booted sandbox)")
    if not offline and getattr(args, "erase_test", False):
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
    if getattr(args, "probe_workers", None):
        options.extra["probe_workers"] = args.probe_workers
    if getattr(args, "sbom", None):
        if not os.path.isdir(os.path.dirname(os.path.abspath(args.sbom))):
            raise RunError("folder of the SBOM file does not exist", args.sbom)
        options.extra["sbom"] = args.sbom
    if args.vulndb and not os.path.isfile(args.vulndb):
        raise RunError("vulnerability database is not a regular file (a FIFO, device or folder)"
                       if os.path.exists(args.vulndb) else "vulnerability database not found", args.vulndb)
    if options.erase_test:  # the build host's problem is the run's (exit 2), never the device's
        from .. import erase
        why = erase.host_problem()
        if why:
            raise RunError(why)
    root = open_root(args)  # last: an image is unpacked only once every option is known good
    ctx = Context(root, config, options)
    if getattr(args, "boot", False):
        boot_into(ctx, args)
    return ctx


def boot_into(ctx, args) -> None:
    """``--boot``: boot the image now (the sandbox is gone when this returns, on every path) and
    let the listener fact answer with what its socket table showed."""
    from ..facts import boot_listeners, listeners
    from ..target import boot

    if ctx.root.live:
        raise RunError("--boot starts an image's init in a sandbox: it needs --root DIR or --image FILE")
    if getattr(args, "active", False) and os.geteuid() != 0:
        raise RunError("--boot --active needs root: the probes join the sandbox's network "
                       "namespace from the agent's process (--boot alone works as a plain user)")
    timeout = BOOT_TIMEOUT if args.boot_timeout is None else args.boot_timeout
    if timeout <= 0:
        raise RunError("--boot-timeout must be a positive number of seconds")
    def probe(sb, res) -> None:  # --boot --active: the probes, inside the sandbox's netns
        from ..criteria import Context
        from ..probes import results as probe_results, run as runner
        from ..target import Root

        ctx.options.extra["boot"] = res
        # the image's files, but kernel views (interfaces, sockets) of the thread's netns
        view = Context(Root(ctx.root.path, live=True), ctx.config, ctx.options)
        view.answer_with(listeners.read, boot_listeners.read)
        done = sb.in_netns(lambda: runner.run(view))
        ctx.answer_with(probe_results, lambda _ctx: done)

    try:
        ctx.options.extra["boot"] = boot.boot(ctx.root, timeout=timeout,
                                              while_up=probe if getattr(args, "active", False) else None)
    except boot.BootError as exc:
        raise RunError(str(exc))
    except boot.BootInterrupted:
        print("jcstar-agent: terminated (the boot sandbox was stopped and removed)", file=sys.stderr)
        raise SystemExit(143)
    ctx.answer_with(listeners.read, boot_listeners.read)


def check_writable(path) -> None:
    """Fail before the work, not after it: the folder of an output file must exist, and be
    writable (the file is replaced through a temp file there) — except for a device or FIFO,
    written in place (``/dev/null`` as a plain user, whose ``/dev`` is not writable)."""
    if path:
        from ..outfile import _in_place

        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise RunError("the folder of this output file does not exist", path,
                           hint=f"mkdir -p {folder}")
        try:
            in_place = _in_place(path)
        except OSError:
            in_place = False  # not a file, device or FIFO: the write says so
        if not os.access(path if in_place else folder, os.W_OK):
            raise RunError("this output file is not writable" if in_place
                           else "the folder of this output file is not writable", path)


def write_output(text: str, output) -> None:
    """Write to stdout, or to ``output`` atomically (``outfile``: temp file in the same folder,
    fsync, rename; a device or FIFO is written in place). Failure is a run-level error."""
    from ..outfile import write_bytes

    # Renderers escape device bytes already (report.escape); backslashreplace only guarantees
    # that nothing can ever make an output invalid UTF-8 or raise here.
    data = text.encode("utf-8", "backslashreplace")
    if not output:
        out = getattr(sys.stdout, "buffer", None)
        if out is None:
            sys.stdout.write(data.decode("utf-8"))
        else:
            sys.stdout.flush()
            out.write(data)
        sys.stdout.flush()
        return
    try:
        write_bytes(output, data)
    except OSError as exc:
        raise RunError(f"cannot write: {exc.strerror or exc}", output) from None


def write_sbom(ctx) -> None:
    """``--sbom FILE``: written by the command, not by S1.1-13, so that failing to write it is a
    run-level error (exit 2, one line) and never hides the criterion's own verdict."""
    path = ctx.options.extra.get("sbom")
    if not path:
        return
    from .. import sbom

    try:
        sbom.write(ctx.fact(sbom.build), path)
    except OSError as exc:
        raise RunError(f"cannot write the SBOM: {exc.strerror or exc}", path) from None


def run(args) -> int:
    from .. import check
    from ..report import render
    from .viewopts import check_sarif_root, make_view

    extra = [(fmt, getattr(args, f"{fmt}_output", None)) for fmt in EXTRA_FORMATS]
    check_sarif_root(args, args.format == "sarif" or bool(getattr(args, "sarif_output", None)))
    distinct_outputs(("--output", args.output), ("--sbom", args.sbom),
                     *((f"--{fmt}-output", path) for fmt, path in extra), *read_inputs(args))
    for path in [args.output] + [path for _, path in extra]:
        check_writable(path)
    ctx = build_context(args)
    report = check.run(ctx)
    write_sbom(ctx)
    to_terminal = not args.output and sys.stdout.isatty()
    fmt = args.format or ("text" if to_terminal else "json")
    colour = to_terminal and fmt == "text" and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    view = make_view(args, ctx.config)
    write_output(render(report, fmt, colour, view), args.output)
    import dataclasses

    to_file = dataclasses.replace(view, width=80)  # a file is not the terminal: 80 columns
    for other, path in extra:
        if path:
            write_output(render(report, other, view=to_file), path)
    return exit_status(report, args)
