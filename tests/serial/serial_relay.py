"""Real pseudo-terminal plumbing for the serial tests and the benchmark.

``pty_pair()`` starts ``socat`` to make two linked pseudo-terminals (raw, no echo). ``Relay``
copies between two pty ends, line by line, through a ``Noise`` model, optionally pacing each
direction to a baud rate (10 bits per byte on the wire, as 8N1), so a pty behaves like a UART.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
import tty
from contextlib import contextmanager
from typing import Optional

from serial_noise import Noise


@contextmanager
def pty_pair(folder: str, name: str):
    """Two linked pty paths (folder/name-a, folder/name-b) for the life of the block."""
    if not shutil.which("socat"):
        raise RuntimeError("socat is not installed (apt-get install socat)")
    a, b = os.path.join(folder, f"{name}-a"), os.path.join(folder, f"{name}-b")
    p = subprocess.Popen(["socat", f"pty,raw,echo=0,link={a}", f"pty,raw,echo=0,link={b}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not (os.path.exists(a) and os.path.exists(b)):
            if time.monotonic() > deadline or p.poll() is not None:
                raise RuntimeError("socat did not create the pty pair")
            time.sleep(0.02)
        yield a, b
    finally:
        p.terminate()
        p.wait(10)


def _open_raw(path: str) -> int:
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    return fd


class Relay:
    """Copies left<->right; down (left->right) and up (right->left) each through their Noise."""

    def __init__(self, left: str, right: str, down: Optional[Noise] = None,
                 up: Optional[Noise] = None, baud: Optional[int] = None):
        self.fds = (_open_raw(left), _open_raw(right))
        self.noise = (down, up)
        self.rate = baud / 10.0 if baud else None  # bytes per second, 8N1
        self.stop = threading.Event()
        self.moved = [0, 0]  # bytes written down, up
        self.threads = [threading.Thread(target=self._pump, args=(0, 1, 0), daemon=True),
                        threading.Thread(target=self._pump, args=(1, 0, 1), daemon=True)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(5)
        for fd in self.fds:
            os.close(fd)

    def _pump(self, src: int, dst: int, way: int) -> None:
        import select

        fin, fout, noise = self.fds[src], self.fds[dst], self.noise[way]
        pending = b""
        free = 0.0
        while not self.stop.is_set():
            ready, _, _ = select.select([fin], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(fin, 65536)
            except OSError:
                return
            if noise is not None:  # whole lines only, so the noise model sees lines
                pending += data
                *lines, pending = pending.split(b"\n")
                data = noise.stream(lines) if lines else b""
            view = memoryview(data)
            while view and not self.stop.is_set():
                step = view[:128] if self.rate else view
                if self.rate:  # bytes arrive once their time on the wire is over; no idle credit
                    now = time.monotonic()
                    free = max(free, now) + len(step) / self.rate
                    time.sleep(max(0.0, free - now))
                try:
                    n = os.write(fout, step)
                except OSError:
                    return
                self.moved[way] += n
                view = view[n:]
