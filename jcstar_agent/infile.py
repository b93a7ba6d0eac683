"""Input files of the host verbs: envelopes, reports, public keys — read bounded, and only when
they are regular files or pipes.

``outfile`` is the one writer; this is the one reader of a file a user names on the command line.
A device named by mistake (``verify /dev/ttyUSB0``, ``/dev/zero``) would block a station forever
or read without end: it is refused. A named FIFO is opened with ``O_NONBLOCK`` (opening never
waits for a writer), then read normally: with no writer that is an immediate end of file (an
empty input, said as such by the verb), and ``verify <(curl …)`` — bash's process substitution,
a pipe — keeps working. ``-`` (stdin) stays where a verb documents it. A file larger than the
verb's bound is refused, not cut.
"""
from __future__ import annotations

import os
import stat
import sys

from .errors import RunError

PUBLIC_KEY_MAX = 64 * 1024  # a PEM public key is under 1 KiB; a certificate chain under this


NOT_READ = "not a regular file or a pipe (a device, socket or folder is never read)"


def _readable_kind(mode: int) -> bool:
    return stat.S_ISREG(mode) or stat.S_ISFIFO(mode)


class NotReadable(Exception):
    """Why a named input was not read (one phrase, for a finding or a RunError)."""


def read_bytes(path: str, limit: int) -> bytes:
    """The whole file, at most ``limit`` bytes (NotReadable otherwise)."""
    if path == "-":
        data = sys.stdin.buffer.read(limit + 1)
    else:
        # looked at before it is opened: opening a device is already an act (/dev/watchdog arms
        # the watchdog, a tape rewinds, a tty becomes the controlling terminal), so it never is
        try:
            if not _readable_kind(os.stat(path).st_mode):
                raise NotReadable(NOT_READ)
        except OSError as exc:
            raise NotReadable(f"cannot read: {exc.strerror or exc}") from None
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | \
            getattr(os, "O_NOCTTY", 0)
        try:
            fd = os.open(path, flags)
        except OSError as exc:
            raise NotReadable(f"cannot read: {exc.strerror or exc}") from None
        with os.fdopen(fd, "rb") as fh:
            mode = os.fstat(fh.fileno()).st_mode  # what was opened (the path may have changed)
            if stat.S_ISFIFO(mode):  # a writer there: wait for its data; none: end of file now
                os.set_blocking(fh.fileno(), True)
            elif not stat.S_ISREG(mode):
                raise NotReadable(NOT_READ)
            try:
                data = fh.read(limit + 1)
            except OSError as exc:
                raise NotReadable(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise NotReadable(f"larger than {limit >> 20 or limit >> 10} {'MiB' if limit >> 20 else 'KiB'}")
    return data


def read(path: str, limit: int, what: str = "") -> bytes:
    """``read_bytes``, a run-level error (exit 2, one line naming the file) when it cannot be read."""
    try:
        return read_bytes(path, limit)
    except NotReadable as exc:
        reason = str(exc)
        if what and reason.startswith("cannot read"):
            reason = reason.replace("cannot read", f"cannot read {what}", 1)
        elif what:
            reason = f"{what}: {reason}"
        raise RunError(reason, path) from None


def read_public_key(path: str) -> bytes:
    """A trusted public key's PEM bytes, checked to be one (exit 2 before any line is touched)."""
    from .attest.keys import load_public

    pem = read(path, PUBLIC_KEY_MAX, "public key")
    load_public(pem, path)
    return pem
