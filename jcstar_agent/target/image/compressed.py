"""Compressed image files: gzip, xz, bzip2 (Python's own modules) and zstd (the ``zstd`` tool),
as a stream (a tar is read from it as it comes) or written out, bounded, for a compressed raw
filesystem or disk image (``rootfs.ext4.xz``, ``.wic.zst``).
"""
from __future__ import annotations

import os
import subprocess

from .tree import ImageError

MAGIC = {b"\x1f\x8b": "gz", b"\xfd7zXZ\x00": "xz", b"BZh": "bz2", b"\x28\xb5\x2f\xfd": "zst"}


def kind(head: bytes) -> str:
    """The compression of a file starting with ``head``, or ""."""
    return next((name for magic, name in MAGIC.items() if head.startswith(magic)), "")


def peek(fd: int, comp: str) -> bytes:
    """The first 4 KiB of the decompressed image (a tar, or a raw filesystem or disk?)."""
    import lzma
    import zlib

    try:
        with decompressed(fd, comp) as stream:
            return stream.read(4096)
    except (EOFError, OSError, lzma.LZMAError, zlib.error) as exc:
        if isinstance(exc, OSError) and exc.errno is not None:
            raise
        raise ImageError(f"cannot decompress it ({comp}): {exc}") from None


class decompressed:
    """A stream of the decompressed image (Python's own modules; zstd through the zstd tool)."""

    def __init__(self, fd: int, comp: str):
        self.fd, self.comp, self.proc, self.raw = fd, comp, None, None

    def __enter__(self):
        self.raw = os.fdopen(os.dup(self.fd), "rb")
        self.raw.seek(0)
        if self.comp == "zst":
            try:
                self.proc = subprocess.Popen(["zstd", "-dcq"], stdin=self.raw, stdout=subprocess.PIPE,
                                             stderr=subprocess.DEVNULL)
            except FileNotFoundError:
                raise ImageError("a zstd-compressed image needs the zstd tool (apt install zstd)") from None
            self.proc.stdout._jcstar_proc = self.proc
            return self.proc.stdout
        if self.comp == "gz":
            import gzip

            return gzip.GzipFile(fileobj=self.raw, mode="rb")
        if self.comp == "xz":
            import lzma

            return lzma.LZMAFile(self.raw, "rb")
        import bz2

        return bz2.BZ2File(self.raw, "rb")

    def __exit__(self, *exc):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self.proc.stdout.close()
        self.raw.close()
        return False


def decompress_to(fd: int, comp: str, dest: str, limit: int) -> None:
    """Write the decompressed image to ``dest``, at most ``limit`` bytes (then refused)."""
    import lzma
    import zlib

    written = 0
    with decompressed(fd, comp) as stream, open(dest, "xb") as out:
        try:
            while True:
                chunk = stream.read(1 << 20)
                if not chunk:
                    break
                written += len(chunk)
                if written > limit:
                    raise ImageError(f"decompressed, it is larger than {limit:,} bytes: refused "
                                     "(raise --image-max-size to read it)")
                out.write(chunk)
        except (EOFError, OSError, lzma.LZMAError, zlib.error) as exc:
            if isinstance(exc, OSError) and exc.errno is not None:
                raise
            raise ImageError(f"cannot decompress it ({comp}): {exc}") from None
        finish(stream)


def finish(stream) -> None:
    """Read ``stream`` to its end (what follows a tar's end-of-archive blocks) and say when the
    zstd tool failed: a truncated file ends early, which is no image, not an empty one."""
    while stream.read(1 << 16):
        pass
    proc = getattr(stream, "_jcstar_proc", None)
    if proc is not None and proc.wait() != 0:
        raise ImageError("cannot decompress it (zst): zstd stopped with an error (truncated or damaged?)")
