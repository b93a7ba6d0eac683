"""The protocol probes' pure parts: the registry, and each protocol's recognise/parse on the bytes
its specification defines (the real daemons are in tests/integration/test_protocol_probes.py)."""
import base64
import socket
import struct
import threading
import time


from jcstar_agent.probes.protocols import Budget, ProtocolObservation, registry
from jcstar_agent.probes.protocols import (_digest, adb, amqp, coap, dns, http, modbus, mongodb, mqtt, mysql, nfs,
                                           postgresql, redis, rsync, rtsp, sip, smb, snmp, telnet, tftp, vnc,
                                           xmpp)
from jcstar_agent.probes import run as runner


def test_registry_lists_at_least_25_documented_protocols():
    names = registry.NAMES
    assert len(names) >= 25 and len(set(names)) == len(names)
    for n in names:
        m = registry.module(n)
        assert m.NAME == n
        doc = m.__doc__ or ""
        assert all(w in doc for w in ("Sends", "Concludes", "References")), n
        assert callable(m.recognise) and callable(m.probe)
        if n in registry.CLIENT_FIRST and not hasattr(m, "detect"):
            assert m.hello("192.0.2.1", 1), n
    assert {m.NAME for m in registry.client_first("udp")} == {"coap", "snmp", "dns", "ssdp", "tftp", "sip", "nfs"}
    # the port is a hint for the order only: every client-first TCP probe is still tried
    assert registry.client_first("tcp", 6379)[0].NAME == "redis"
    assert len(registry.client_first("tcp", 6379)) == len(registry.client_first("tcp", 1))


def test_server_first_greetings():
    assert telnet.recognise(bytes([255, 253, 24, 255, 253, 32]))
    assert vnc.recognise(b"RFB 003.008\n") and not vnc.recognise(b"RFB")
    assert rsync.recognise(b"@RSYNCD: 31.0 sha512 sha256\n")
    hello = b"\x0a" + b"10.11.6-MariaDB\x00" + b"\x01\x00\x00\x00" + b"abcdefgh\x00" + b"\xff\xf7" + b"\x00" * 30
    assert mysql.recognise(len(hello).to_bytes(3, "little") + b"\x00" + hello)
    assert not mysql.recognise(b"SSH-2.0-OpenSSH_9.2\r\n")


def test_telnet_prompt_judged():
    text, reply = telnet.strip(bytes([255, 251, 1, 255, 253, 31]) + b"gw login: ")
    assert text == b"gw login: " and reply == bytes([255, 254, 1, 255, 252, 31])
    assert telnet.judge(text) is False
    assert telnet.judge(b"BusyBox v1.35 built-in shell (ash)\r\n/ # ") is True
    assert telnet.judge(b"Welcome") is None


def test_client_first_answers():
    assert redis.recognise(b"+PONG\r\n") and redis.recognise(b"-NOAUTH Authentication required.\r\n")
    assert mqtt.recognise(b"\x20\x02\x00\x05")
    assert postgresql.recognise(b"R\x00\x00\x00\x08\x00\x00\x00\x00")
    assert postgresql.recognise(b"E\x00\x00\x00\x20SFATAL\x00C28000\x00Mno pg_hba\x00\x00")
    assert not postgresql.recognise(b"HTTP/1.1 400 Bad Request\r\n")
    assert http.recognise(b"HTTP/1.1 401 Unauthorized\r\n") and not http.recognise(b"RTSP/1.0 200 OK\r\n")
    assert rtsp.recognise(b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n")
    assert sip.recognise(b"SIP/2.0 200 OK\r\n")
    assert xmpp.recognise(b"<?xml version='1.0'?><stream:stream xmlns='jabber:client'>")
    assert modbus.recognise(struct.pack("!HHHBBB", modbus.TID, 0, 3, 1, 0x83, 2))
    cnxn = adb.message(b"CNXN", 0x01000001, 4096, b"device::ro.product.name=x;\x00")
    assert adb.recognise(cnxn) and adb.recognise(adb.message(b"AUTH", 1, 0, b"x" * 20))
    smb2 = b"\x00\x00\x00\x80" + b"\xfeSMB" + b"\x00" * 124
    assert smb.recognise(smb2) and smb.recognise(smb.hello("h", 445)) is True  # our own NEGOTIATE parses


def test_amqp_frames():
    start = struct.pack("!BHI", 1, 0, 12) + struct.pack("!HH", 10, 10) + b"\x00\x09" + b"\x00" * 6 + b"\xce"
    assert amqp.method(start) == (10, 10) and amqp.recognise(start)
    assert amqp.recognise(b"AMQP\x00\x00\x09\x01")
    ok = amqp.start_ok("guest", "guest")
    assert ok[0] == 1 and ok[-1] == 0xCE and amqp.method(ok) == (10, 11)


def test_mongodb_bson_round_trip_and_reply():
    doc = mongodb.bson({"ok": 1, "isWritablePrimary": True, "msg": "isdbgrid"})
    assert mongodb.unbson(doc) == {"ok": 1, "isWritablePrimary": True, "msg": "isdbgrid"}
    reply = mongodb.message({"ok": 0, "errmsg": "command listDatabases requires authentication", "code": 13})
    assert mongodb.recognise(reply) and mongodb.reply(reply)["code"] == 13
    assert not mongodb.recognise(b"+PONG\r\n")


def _rpc_reply(results: bytes) -> bytes:
    body = struct.pack("!IIIIII", 7, 1, 0, 0, 0, 0) + results  # xid, REPLY, MSG_ACCEPTED, verf, SUCCESS
    return struct.pack("!I", 0x80000000 | len(body)) + body


def _xdr(s: bytes) -> bytes:
    return struct.pack("!I", len(s)) + s + b"\x00" * ((4 - len(s) % 4) % 4)


def test_nfs_export_list():
    exports = (struct.pack("!I", 1) + _xdr(b"/srv/share") + struct.pack("!I", 0) +
               struct.pack("!I", 1) + _xdr(b"/srv/cam") + struct.pack("!I", 1) + _xdr(b"192.168.1.0/24") +
               struct.pack("!I", 0) + struct.pack("!I", 0))
    data = _rpc_reply(exports)
    assert nfs.recognise(data)
    got = nfs.exports(nfs.accepted(data))
    assert got == [("/srv/share", []), ("/srv/cam", ["192.168.1.0/24"])]
    assert nfs.everyone([]) and nfs.everyone(["*"]) and not nfs.everyone(["192.168.1.0/24"])


def test_udp_answers():
    assert coap.recognise(bytes([0x62, 0x45, 0x12, 0x34]) + b"jc\xff</sensors/temp>")
    assert coap.code(bytes([0x62, 0x45, 0, 0])) == "2.05"
    assert dns.recognise(struct.pack("!HHHHHH", 1, 0x8180, 1, 1, 0, 0))
    assert dns.recognise(struct.pack("!H", 12) + struct.pack("!HHHHHH", 1, 0x8180, 1, 1, 0, 0))  # over TCP
    assert tftp.recognise(b"\x00\x05\x00\x01File not found\x00")
    v2 = snmp.tlv(0x30, snmp.integer(1) + snmp.tlv(0x04, b"public") + snmp.tlv(0xA2, snmp.integer(5)))
    assert snmp.recognise(v2)
    assert snmp.recognise(snmp.v3_discovery())


def test_http_parse_and_api_detection():
    status, headers, body = http.parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                       b"5\r\n[\"_us\r\n9\r\ners\",\"m\"]\r\n0\r\n\r\n")
    assert status == 200 and body == b'["_users","m"]'
    docker = next(t for api, path, t in http.APIS if path == "/version")
    assert docker({"ApiVersion": "1.43", "Version": "24.0"}, b"")
    assert not docker({"status": "ok"}, b"")


def test_http_digest_answers_the_rfc_examples():
    # RFC 2617 §3.5 (MD5, qop=auth) and RFC 7616 §3.9.1 (SHA-256): the published responses
    md5 = ('Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", '
           'opaque="5ccc069c403ebaf9f0171e9517f40e41"')
    auth = _digest.authorization(_digest.challenge(md5), "Mufasa", "Circle Of Life", "GET", "/dir/index.html", cnonce="0a4f113b")
    assert 'response="6629fae49393a05397450978507c4ef1"' in auth and 'opaque="5ccc069c403ebaf9f0171e9517f40e41"' in auth
    sha = ('Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, '
           'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"')
    auth = _digest.authorization(_digest.challenge(sha), "Mufasa", "Circle of Life", "GET", "/dir/index.html",
                                 cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")
    assert 'response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"' in auth
    # what this client does not do is said, not guessed
    assert _digest.authorization(_digest.challenge('Digest realm="r", nonce="n", qop="auth-int"'), "a", "b", "GET", "/") is None
    assert _digest.authorization(_digest.challenge('Digest realm="r", nonce="n", algorithm=SHA-512-256'), "a", "b", "GET", "/") is None
    assert _digest.authorization(_digest.challenge('Digest realm="r"'), "a", "b", "GET", "/") is None
    assert _digest.challenge('Basic realm="x"') == {}


def test_scram_sha256_proof_of_rfc_7677():
    client_first_bare = "n=user,r=rOprNGfwEbeRWgbNEkqO"
    server_first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    final_bare = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    proof, verifier = postgresql.scram_sha256("pencil", base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096,
                                              f"{client_first_bare},{server_first},{final_bare}".encode())
    assert proof == "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    assert verifier == "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def test_smb_share_list_parsed_from_ndr():
    def string(text):
        raw = (text + "\x00").encode("utf-16-le")
        n = len(raw) // 2
        return struct.pack("<III", n, 0, n) + raw + b"\x00" * (-len(raw) % 4)
    shares = [("public", 0, "open"), ("IPC$", 3, ""), ("C$", 0x80000000, "Default share")]
    stub = struct.pack("<IIIII", 1, 1, 0x20000, len(shares), 0x20004) + struct.pack("<I", len(shares))
    stub += b"".join(struct.pack("<III", 0x20008 + i, kind, 0x30000 + i) for i, (_, kind, _) in enumerate(shares))
    stub += b"".join(string(name) + string(remark) for name, _, remark in shares)
    assert smb._ndr_shares(stub + struct.pack("<III", 3, 0, 0)) == [("public", 0), ("IPC$", 3), ("C$", 0x80000000)]
    assert smb._ndr_shares(struct.pack("<IIIII", 1, 1, 0, 0, 0)) == []  # no container: nothing listed


def test_http_login_form_is_named_not_tried():
    page = b'<html><form method="post" action="/cgi-bin/login"><input name="u"><input type="password" name="p">'
    assert http.login_form(page) == "/cgi-bin/login"
    assert http.login_form(b"<FORM><INPUT TYPE=password></FORM>") == "/"
    assert http.login_form(b'<form action="/search"><input type="text"></form>') is None


def test_observation_evidence_is_bounded():
    obs = ProtocolObservation("redis")
    obs.log("PING", b"+PONG\r\n" + b"x" * 5000)
    assert len(obs.exchanges[0].received) <= 120


def test_a_silent_listener_is_bounded_by_its_deadline():
    """A listener that accepts and never answers: every hello times out, the deadline ends it."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    stop = []
    conns = []

    def accept():
        srv.settimeout(0.2)
        while not stop:
            try:
                conns.append(srv.accept()[0])
            except OSError:
                pass
    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        t0 = time.monotonic()
        sp = runner.probe_service("127.0.0.1", srv.getsockname()[1], seconds=3.0)
        took = time.monotonic() - t0
    finally:
        stop.append(1)
        t.join()
        for c in conns:
            c.close()
        srv.close()
    assert sp.protocol == "unknown" and took < 4.5, (sp, took)


def test_budget_counts_bytes():
    b = Budget(5, max_bytes=10)
    a, c = socket.socketpair()
    try:
        a.sendall(b"y" * 100)
        assert len(b.recv(c, 4096, cap=0.5)) == 10
    finally:
        a.close()
        c.close()


def test_rtsp_needs_the_cseq_echo():
    # miniupnpd's HTTP server answers an RTSP request in the request's version, without CSeq
    assert not rtsp.recognise(b"RTSP/1.0 501 Not Implemented\r\nContent-Type: text/html\r\n\r\n")
    assert rtsp.recognise(b"RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Basic realm=\"x\"\r\n\r\n")


def test_sip_register_is_a_bindings_query():
    msg = sip._message("REGISTER", "192.0.2.1", 5060, "udp", "jcstar-probe-1")
    assert msg.startswith(b"REGISTER sip:192.0.2.1:5060 SIP/2.0\r\n") and b"\r\ncontact:" not in msg.lower()
    assert sip._status(b"SIP/2.0 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"r\", nonce=\"n\"\r\n\r\n") == \
        (401, 'Digest realm="r", nonce="n"')


def test_nfs_over_udp_is_recognised():
    import struct

    reply = struct.pack("!IIIII", 7, 1, 0, 0, 0) + struct.pack("!I", 0) + b"\x00" * 4
    assert nfs.recognise(reply) and nfs.hello("192.0.2.1", 111)[4:] == nfs.tcp_hello("192.0.2.1", 111)[8:]
    assert not nfs.recognise(b"\x00\x05\x00\x04Illegal TFTP operation\x00")
