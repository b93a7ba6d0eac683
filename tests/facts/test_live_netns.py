"""Live mode reads every network namespace on the device (issue 22 item 5): a listener in a
namespace of its own — a container's, ``ip netns``, a daemon's private network — is reported with
that namespace, never passed over because psutil reads only the agent's own namespace."""
import os
import shutil
import socket
import subprocess
import sys

import pytest

from jcstar_agent.facts import sockets

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                                 reason="needs root and unshare to make a network namespace")]

LISTEN = ("import socket, sys, time\n"
          "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
          "s.bind(('0.0.0.0', 47123)); s.listen(); print('up', flush=True); time.sleep(60)\n")


def test_listener_in_another_network_namespace_is_reported():
    p = subprocess.Popen(["unshare", "--net", "--", sys.executable, "-c",
                          "import subprocess; subprocess.run(['ip', 'link', 'set', 'lo', 'up']);"
                          + "exec(" + repr(LISTEN) + ")"], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "up"
        items, errors = sockets.other_namespaces()
        ours = [l for l in items if l.port == 47123]
        assert ours and ours[0].proto == "tcp" and not ours[0].loopback_only, items
        assert "network namespace net:[" in ours[0].source and ours[0].process.startswith("python")
        # the agent's own namespace is psutil's: nothing of it is read twice here
        own = os.readlink("/proc/self/ns/net")
        assert not any(own in l.source for l in items)
    finally:
        p.kill()
        p.wait()
    s = socket.socket()  # the port is free in the agent's own namespace: it was never here
    s.bind(("127.0.0.1", 47123))
    s.close()
