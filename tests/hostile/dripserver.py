"""A hostile TCP server for deadline tests: every connection gets one byte every few seconds.

``Drip(payload, every)`` listens on 127.0.0.1 (an ephemeral port, or the one given) and answers each
connection with ``payload`` one byte at a time, ``every`` seconds apart, repeating it, never
ending on its own: a status line, a handshake or a body that never completes, each read well
inside any per-read timeout. It reads nothing. Stopped (all its connections closed) on exit of
the ``with`` block, or after ``lasts`` seconds at most, so a hung client cannot keep it alive.
"""
from __future__ import annotations

import socket
import threading
import time


class Drip:
    def __init__(self, payload: bytes = b"HTTP/1.1 200 OK\r\nX-Slow: ", every: float = 1.5,
                 port: int = 0, lasts: float = 180.0):
        self.payload, self.every, self.lasts = payload, every, lasts
        self.stop = threading.Event()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(16)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self.threads = []

    def _serve(self) -> None:
        end = time.monotonic() + self.lasts
        while not self.stop.is_set() and time.monotonic() < end:
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            t = threading.Thread(target=self._drip, args=(conn, end), daemon=True)
            t.start()
            self.threads.append(t)

    def _drip(self, conn: socket.socket, end: float) -> None:
        i = 0
        with conn:
            while time.monotonic() < end:
                try:
                    conn.sendall(self.payload[i % len(self.payload):][:1])
                except OSError:
                    return  # the client cut the connection
                i += 1
                if self.stop.wait(self.every):
                    return

    def __enter__(self) -> "Drip":
        t = threading.Thread(target=self._serve, daemon=True)
        t.start()
        self.threads.append(t)
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=5)
        self.listener.close()
