"""Network listeners: what listens (live sockets) or would listen (inferred from the image).

The shared model for S1.1-01, -12 and -13. Offline, listeners are inferred from enabled
systemd units and sockets, inetd/xinetd, init scripts and daemon configs, each naming the file
that made us think so. Live, they come from the kernel's socket table (psutil), with the owning
process. Both feed the same comparison with the declared allowlist.
"""
from __future__ import annotations

# the model lives in a leaf module; re-exported here, where every criterion has always found it
from .listener_model import (ANY, Listener, Listeners, is_loopback,  # noqa: F401
                             normalise_address)


def read(ctx) -> Listeners:
    """Live sockets on a live target, offline inference on an image root."""
    if ctx.root.live:
        try:
            from . import sockets
        except ImportError:
            return Listeners([], "live sockets", ["live socket reading not implemented"])
        return sockets.read(ctx)
    try:
        from . import listeners_offline
    except ImportError:
        return Listeners([], "offline inference", ["offline listener inference not implemented"])
    return listeners_offline.read(ctx)
