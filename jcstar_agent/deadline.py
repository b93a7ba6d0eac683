"""A total deadline for network talk: the connection is cut when the time is up, whatever blocks.

A socket timeout bounds one read, not a conversation: a server that sends one byte every 5 s
(a status line that never ends, a body that drips, a TLS handshake in slow motion) keeps
``http.client``, ``urllib``, ``ssl`` and ``paramiko`` waiting forever, each read well inside its
timeout. ``Deadline`` cuts the connection instead: sockets handed to ``watch`` are shut down
(``shutdown(SHUT_RDWR)``) when the deadline passes, so every read blocked on them returns at
once and the library raises or sees the end of the stream. Used by every active probe attempt
and by the ``--online`` document fetch.

Example::

    with Deadline(10) as d:
        s = socket.create_connection((host, port), timeout=d.timeout(2))
        d.watch(s)
        ...  # whatever happens here ends within 10 s

A deadline may sit inside another one (``Deadline(10, within=run)``): it ends at the earlier of
the two, so a per-attempt limit never outlives the run's budget. Only a deadline used in ``with``
cuts anything (its timer thread starts there); one never entered just tells the time left, as a
budget for the deadlines inside it.
"""
from __future__ import annotations

import os
import socket
import threading
import time
from typing import List, Optional


class Deadline:
    """Ends at ``now + seconds`` (or at ``within``'s end, if earlier)."""

    def __init__(self, seconds: float, within: Optional["Deadline"] = None):
        self.end = time.monotonic() + max(0.0, seconds)
        if within is not None:
            self.end = min(self.end, within.end)
        self._lock = threading.Lock()
        self._socks: List[socket.socket] = []
        self._timer: Optional[threading.Timer] = None
        self.expired = False

    def left(self) -> float:
        return max(0.0, self.end - time.monotonic())

    @property
    def passed(self) -> bool:
        """The time is up: the connections were cut, or a socket timeout set to the time left
        fired just before the cut (whichever came first, the deadline ended the wait)."""
        return self.expired or time.monotonic() >= self.end

    def timeout(self, per_operation: float) -> float:
        """A socket timeout for one operation: ``per_operation``, but never past the deadline
        (and never 0, which would make the socket non-blocking)."""
        return max(0.01, min(per_operation, self.left()))

    def watch(self, sock) -> None:
        """Cut ``sock`` when the deadline passes. A duplicate of its descriptor is kept, so a
        socket the library wraps (TLS) or closes early is still the one cut, and a reused
        descriptor number is never touched."""
        try:
            dup = socket.socket(fileno=os.dup(sock.fileno()))
        except OSError:
            return  # already closed: nothing left to cut
        with self._lock:
            if self.expired:
                _cut(dup)
                dup.close()
                return
            self._socks.append(dup)

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            for s in self._socks:
                _cut(s)

    def __enter__(self) -> "Deadline":
        self._timer = threading.Timer(self.left(), self._fire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            for s in self._socks:
                s.close()
            self._socks = []


def _cut(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # not connected (any more): nothing blocks on it


def watched(conn, deadline: Deadline):
    """An ``http.client`` connection whose sockets ``deadline`` cuts: the raw socket is watched
    as soon as it is connected (before a TLS handshake), and each read waits at most until the
    deadline."""
    create = conn._create_connection

    def created(*args, **kw):
        s = create(*args, **kw)
        deadline.watch(s)
        return s

    conn._create_connection = created
    conn.timeout = deadline.timeout(conn.timeout if isinstance(conn.timeout, (int, float)) else 60.0)
    return conn


def urlopen(request, deadline: Deadline):
    """``urllib.request.urlopen`` whose every connection (redirects and proxies included)
    ``deadline`` cuts. Call it, and read the response, inside ``with deadline``."""
    import http.client
    import urllib.request

    class Http(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(lambda host, **kw: watched(http.client.HTTPConnection(host, **kw),
                                                           deadline), req)

    class Https(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(lambda host, **kw: watched(http.client.HTTPSConnection(host, **kw),
                                                           deadline), req, context=self._context)

    opener = urllib.request.build_opener(Http, Https)
    return opener.open(request, timeout=deadline.timeout(60.0))
