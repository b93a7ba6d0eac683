"""``--active`` on the protocols of cameras, VoIP, file and discovery services: real daemons.

The same pattern as ``test_protocol_probes.py`` (a namespace ``jcs-wire-<pid>`` from
``protocol_netns``, real daemons from Debian packages each with its own config outside /etc, the
agent's ``check --active`` inside it). The expected verdicts below were written from the configs,
as an auditor decides, before the agent ran:

==============  =====  =============================================  ==================================
daemon          port   configuration                                  expected
==============  =====  =============================================  ==================================
gst-rtsp-server 554    /stream1, no RTSPAuth                          01 LISTENER-NO-AUTH (DESCRIBE 200)
gst-rtsp-server 8554   /Streaming/Channels/101, Digest admin:admin    01 refused (401); 02 LISTENER-
                                                                      DEFAULT-CREDENTIAL ('admin')
gst-rtsp-server 8555   /live, Basic with a random password            01 refused (401); 04 NO-LOCKOUT;
                                                                      recognised as rtsp (not http)
kamailio        5060   packaged kamailio.cfg (no WITH_AUTH), udp+tcp  01 LISTENER-NO-AUTH (REGISTER
                                                                      bindings query → 200)
kamailio        5070   packaged kamailio.cfg -A WITH_AUTH, db_text    01 refused (401 Digest);
                       subscriber with a random password, udp+tcp     04 NO-LOCKOUT (no pike)
nfs-ganesha     111    rpcbind (tcp, udp) in front of ganesha:        01 LISTENER-NO-AUTH: /srv/open to
                20048  EXPORT /srv/open Clients = * (no_root_squash)  everyone; /srv/cams (Clients =
                       EXPORT /srv/cams Clients = 10.77.0.99          10.77.0.99) never shown to us
nfs-ganesha     2049   the NFS program                                recognised as nfs, no verdict
miniupnpd       1900/u UPnP IGD (WANIPConnection), secure_mode        01 LISTENER-NO-AUTH (IGD control
                                                                      offered; UPnP has no auth)
miniupnpd       5000   its HTTP description/control server            recognised as http, no verdict
nx-27017        27017  MongoDB wire server (PyPI), no access control  01 LISTENER-NO-AUTH
==============  =====  =============================================  ==================================

Every one but SSDP discovery is cleartext over the network: S1.1-12 fails.

Not covered by a correctly configured twin, and why:

- **NFS**: one rpcbind per network namespace holds one registration of MOUNT/NFS, so a second
  ganesha cannot run beside the first; the refusal side is the restricted export of the same
  server (ganesha lists only the exports the asking client may mount: ``/srv/cams`` must not be
  seen). The kernel nfsd is not used: it needs the host's ``/proc/fs/nfsd`` and exportfs state.
- **SSDP/UPnP IGD**: UPnP has no authentication (UPnP Device Architecture 2.0) and no option of
  miniupnpd makes its IGD control ask who the client is (allow/deny rules and secure_mode only),
  so no configuration of it refuses an unauthenticated client; the correct configuration is no IGD reachable from the network
  (``enable_upnp=no``), i.e. no listener. A UPnP device that is no IGD (minidlna's description
  server) decides nothing: covered in ``test_protocol_probes.py``.
- **MongoDB**: Debian bookworm has no MongoDB server; the only server on PyPI that runs without
  downloading binaries, nx-27017 (MongoDB wire protocol over SQLite), has no access control, so
  only the open case exists. Skipped (that row only) when nx-27017 is not installed.
- **ADB**: no adbd in Debian bookworm and no server implementation on PyPI/npm that runs without
  downloading Android binaries: no real-daemon test (the probe's unit tests in
  ``tests/probes/test_protocols.py`` cover its framing).
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import secrets
import shutil
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import protocol_netns as pn  # noqa: E402
from protocol_netns import ADDR, crit, findings, probe  # noqa: E402

NET = pn.Netns(f"jcs-wire-{os.getpid()}")
NEEDED = ("/usr/sbin/kamailio", "/usr/lib/x86_64-linux-gnu/kamailio/modules/db_text.so", "/usr/bin/ganesha.nfsd",
          "/usr/lib/x86_64-linux-gnu/ganesha/libfsalvfs.so", "/usr/sbin/rpcbind", "/usr/sbin/miniupnpd",
          "/usr/lib/x86_64-linux-gnu/girepository-1.0/GstRtspServer-1.0.typelib",
          "/usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstaudiotestsrc.so",
          "/usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstrtp.so", "/usr/lib/python3/dist-packages/gi")
MONGO = importlib.util.find_spec("nx_27017") is not None
TCP = {"rtsp-open": 554, "rtsp-default": 8554, "rtsp-auth": 8555, "sip-open": 5060, "sip-auth": 5070,
       "rpcbind": 111, "nfs": 2049, "mountd": 20048, "upnp-http": 5000}
UDP = {"sip-open": 5060, "sip-auth": 5070, "rpcbind": 111, "ssdp": 1900}
if MONGO:
    TCP["mongodb"] = 27017


def _why_not() -> str:
    return pn.why_not(NEEDED)


pytestmark = [pytest.mark.integration, pytest.mark.skipif(bool(_why_not()), reason=_why_not() or "ok")]

# GStreamer's RTSP server (Debian's gir1.2-gst-rtsp-server-1.0), one server per argument
# "port,path,scheme,user:password" (scheme "" for none): a test tone as the stream.
RTSP = """
import sys, gi
gi.require_version("Gst", "1.0"); gi.require_version("GstRtsp", "1.0"); gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtsp, GstRtspServer, GLib
Gst.init(None)
servers = []
for spec in sys.argv[1:]:
    port, path, scheme, cred = spec.split(",")
    server = GstRtspServer.RTSPServer(); server.set_address("0.0.0.0"); server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory(); factory.set_shared(True)
    factory.set_launch("( audiotestsrc is-live=true ! audioconvert ! rtpL16pay name=pay0 pt=96 )")
    if scheme:
        user, password = cred.split(":", 1)
        auth = GstRtspServer.RTSPAuth(); token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "viewer")
        if scheme == "digest":
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
            auth.add_digest(user, password, token)
        else:
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
        server.set_auth(auth)
        perms = GstRtspServer.RTSPPermissions()
        perms.add_permission_for_role("viewer", "media.factory.access", True)
        perms.add_permission_for_role("viewer", "media.factory.construct", True)
        factory.set_permissions(perms)
    server.get_mount_points().add_factory(path, factory)
    server.attach(None); servers.append(server)
GLib.MainLoop().run()
"""


def _kamailio(work, d):
    """The packaged kamailio.cfg twice: as shipped (REGISTER saved without authentication), and with
    its WITH_AUTH switch over a db_text subscriber table. /run is a tmpfs of its own (the ctl and
    RPC sockets never touch the host's /run/kamailio)."""
    db = work / "kamdb"
    shutil.copytree("/usr/share/kamailio/dbtext/kamailio", db)
    password = secrets.token_hex(12)
    ha1 = hashlib.md5(f"alice:{ADDR}:{password}".encode()).hexdigest()
    ha1b = hashlib.md5(f"alice@{ADDR}:{ADDR}:{password}".encode()).hexdigest()
    with open(db / "subscriber", "a") as f:
        f.write(f"1:alice:{ADDR}:{password}:{ha1}:{ha1b}\n")
    for port, extra in ((5060, []), (5070, ["-A", "WITH_AUTH", "-A", f'DBURL="text://{db}"',
                                            "--loadmodule=db_text.so"])):
        args = " ".join(["exec", "/usr/sbin/kamailio", "-DD", "-E", "-n", "1", "-m", "32", "-M", "4", "-Y", "/run",
                         "-P", "/run/kamailio.pid", "-w", "/run", "-f", "/etc/kamailio/kamailio.cfg",
                         "-l", f"udp:{ADDR}:{port}", "-l", f"tcp:{ADDR}:{port}", *(f"'{a}'" for a in extra)])
        d.start("unshare", "-m", "sh", "-c", f"mount -t tmpfs jcs-kam /run && {args}")


def _ganesha(work, d):
    """rpcbind and nfs-ganesha (VFS) in a mount namespace whose /run and /var/lib/nfs are tmpfs of
    their own: the host's rpcbind socket and NFS state are never seen nor touched."""
    for name in ("open", "cams"):
        (work / "srv" / name).mkdir(parents=True)
    conf = pn.write(work / "ganesha.conf", f"""\
        NFS_CORE_PARAM {{ Protocols = 3, 4; MNT_Port = 20048; Enable_NLM = false; Enable_RQUOTA = false; }}
        NFSv4 {{ Graceless = true; }}
        EXPORT {{
          Export_Id = 1; Path = "{work / 'srv' / 'open'}"; Pseudo = "/open"; Protocols = 3, 4;
          Access_Type = RW; Squash = No_Root_Squash; FSAL {{ Name = VFS; }}
          CLIENT {{ Clients = *; Access_Type = RW; }}
        }}
        EXPORT {{
          Export_Id = 2; Path = "{work / 'srv' / 'cams'}"; Pseudo = "/cams"; Protocols = 3, 4;
          Access_Type = None; Squash = Root_Squash; FSAL {{ Name = VFS; }}
          CLIENT {{ Clients = 10.77.0.99; Access_Type = RW; }}
        }}
        """)
    d.start("unshare", "-m", "sh", "-c", "mount -t tmpfs jcs-nfs /run && mount -t tmpfs jcs-nfs /var/lib/nfs && "
            "{ /usr/sbin/rpcbind -f & } && sleep 0.5 && "
            f"exec /usr/bin/ganesha.nfsd -F -L {work / 'ganesha.log'} -f {conf} -p /run/ganesha.pid")


def _miniupnpd(work, d):
    conf = pn.write(work / "miniupnpd.conf", """\
        ext_ifname=jcs1
        listening_ip=jcs0
        http_port=5000
        enable_natpmp=no
        enable_upnp=yes
        secure_mode=yes
        uuid=3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b
        allow 1024-65535 10.77.0.0/24 1024-65535
        deny 0-65535 0.0.0.0/0 0-65535
        """)
    d.start("unshare", "-m", "sh", "-c", f"mount -t tmpfs jcs-upnp /run && exec /usr/sbin/miniupnpd -d -f {conf} "
            "-P /run/miniupnpd.pid")


@contextlib.contextmanager
def wire_daemons():
    """The namespace with the daemons of the table above listening."""
    with pn.daemon_world(NET, "jcs-wire-") as (work, d):
        d.start("/usr/bin/python3", "-c", RTSP, "554,/stream1,,",
                "8554,/Streaming/Channels/101,digest,admin:admin",
                f"8555,/live,basic,admin:{secrets.token_hex(10)}")
        _kamailio(work, d)
        _ganesha(work, d)
        _miniupnpd(work, d)
        if MONGO:
            d.start(sys.executable, "-c", "import sys; from nx_27017.nx_27017 import main; sys.exit(main())", "--host", "0.0.0.0", "-p", "27017", "--db", "memory",
                    "--log-file", str(work / "nx.log"), "--pid-file", str(work / "nx.pid"))
        NET.wait_listening({("tcp", p) for p in TCP.values()} | {("udp", p) for p in UDP.values()}, 30)
        yield work


@pytest.fixture(scope="module")
def run():
    with wire_daemons() as work:
        data = pn.run_agent(NET, work)
    return data


def test_recognised_from_the_wire(run):
    want = {("tcp", 554): "rtsp", ("tcp", 8554): "rtsp", ("tcp", 8555): "rtsp", ("udp", 5060): "sip",
            ("tcp", 5060): "sip", ("udp", 5070): "sip", ("tcp", 5070): "sip", ("tcp", 111): "nfs",
            ("udp", 111): "nfs", ("tcp", 2049): "nfs", ("tcp", 20048): "nfs", ("udp", 1900): "ssdp",
            ("tcp", 5000): "http"}
    if MONGO:
        want[("tcp", 27017)] = "mongodb"
    assert {k: probe(run, *k)["protocol"] for k in want} == want


def test_unauthenticated_services_fail_s1_1_01(run):
    no_auth = findings(run, "S1.1-01", "LISTENER-NO-AUTH")
    expected = {("tcp", 554), ("udp", 5060), ("tcp", 5060), ("tcp", 111), ("udp", 111), ("tcp", 20048),
                ("udp", 1900)} | ({("tcp", 27017)} if MONGO else set())
    assert set(no_auth) == expected, sorted(no_auth)
    assert crit(run, "S1.1-01")["verdict"] == "fail"
    assert "DESCRIBE /stream1" in no_auth[("tcp", 554)]["message"]
    assert "REGISTER" in no_auth[("udp", 5060)]["message"]
    assert "WANIPConnection" in no_auth[("udp", 1900)]["message"]
    nfs = no_auth[("tcp", 111)]["message"]
    assert "srv/open exported to everyone" in nfs
    text = json.dumps(run["probes"])
    assert "srv/cams" not in text  # restricted to another client: not even listed to us


def test_correctly_configured_ones_refuse(run):
    refused = findings(run, "S1.1-01", "LISTENER-AUTH-OBSERVED")
    for key in (("tcp", 8554), ("tcp", 8555), ("udp", 5070), ("tcp", 5070)):
        assert key in refused, (key, sorted(refused))
    assert refused[("tcp", 8555)]["evidence"]["answer"] == "401 Basic"
    assert refused[("tcp", 8554)]["evidence"]["answer"] == "401 Digest"
    assert refused[("udp", 5070)]["evidence"]["answer"] == "401 Digest"
    for key in (("tcp", 2049), ("tcp", 5000)):  # asked, nothing protected answered: no verdict
        assert probe(run, *key)["observation"]["no_auth"] is None, key


def test_default_credential_fails_s1_1_02_without_the_secret(run):
    found = findings(run, "S1.1-02", "LISTENER-DEFAULT-CREDENTIAL")
    assert set(found) == {("tcp", 8554)}, sorted(found)
    assert "'admin'" in found[("tcp", 8554)]["message"]
    assert crit(run, "S1.1-02")["verdict"] == "fail"
    text = json.dumps(run["report"]) + json.dumps(run["probes"])
    assert "admin:admin" not in text and "YWRtaW46YWRtaW4" not in text


def test_no_lockout_fails_s1_1_04(run):
    found = findings(run, "S1.1-04", "LISTENER-NO-LOCKOUT")
    assert {("tcp", 8555), ("udp", 5070)} <= set(found), sorted(found)
    assert found[("udp", 5070)]["evidence"]["attempts"] >= 10
    assert crit(run, "S1.1-04")["verdict"] == "fail"


def test_cleartext_fails_s1_1_12(run):
    plain = pn.problems(run, "S1.1-12", UDP.values())
    for key in (("tcp", 554), ("tcp", 8554), ("tcp", 8555), ("udp", 5060), ("tcp", 5070), ("tcp", 111),
                ("tcp", 20048)):
        assert key in plain, (key, sorted(plain))
    assert ("udp", 1900) not in plain  # discovery is public by design and carries no credentials
    assert crit(run, "S1.1-12")["verdict"] == "fail"


def test_bounded_in_time(run):
    for s in run["probes"]["services"]:
        assert s["seconds"] <= 12, (s["proto"], s["port"], s["seconds"])
