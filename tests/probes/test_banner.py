"""Plaintext recognition (pure functions) and the MQTT packets."""
from jcstar_agent.probes import banner


def test_telnet_iac_is_telnet_and_banner_drops_negotiation():
    data = bytes([255, 253, 24, 255, 253, 32]) + b"Debian GNU/Linux 12\r\nlogin: "
    assert banner.recognise_greeting(data) == "telnet"
    assert banner.printable(data) == "Debian GNU/Linux 12"


def test_greetings():
    assert banner.recognise_greeting(b"SSH-2.0-OpenSSH_9.2p1 Debian\r\n") == "ssh"
    assert banner.recognise_greeting(b"220 (vsFTPd 3.0.3)\r\n") == "ftp"
    assert banner.recognise_greeting(b"220 mail.example ESMTP Postfix\r\n") == "smtp"
    assert banner.recognise_greeting(b"\x16\x03\x01garbage") is None
    assert banner.recognise_greeting(b"") is None


def test_http_redirect_to_https():
    head = b"HTTP/1.1 301 Moved\r\nLocation: https://gw.local/\r\n\r\n"
    status, loc = banner.parse_http(head)
    assert (status, loc) == (301, "https://gw.local/")
    assert banner.redirects_to_https(status, loc)
    assert not banner.redirects_to_https(*banner.parse_http(b"HTTP/1.0 302 Found\r\nLocation: http://x/\r\n\r\n"))
    assert not banner.redirects_to_https(*banner.parse_http(b"HTTP/1.0 200 OK\r\n\r\n"))
    assert banner.parse_http(b"SSH-2.0-x") is None


def test_mqtt_connect_layout_and_connack():
    pkt = banner.mqtt_connect("cid", "u", b"p")
    assert pkt[0] == 0x10 and pkt[1] == len(pkt) - 2
    assert pkt[2:8] == b"\x00\x04MQTT" and pkt[8] == 4 and pkt[9] == 0xC2
    assert banner.parse_connack(b"\x20\x02\x00\x05") == 5
    assert banner.parse_connack(b"\x20\x02\x00\x00") == 0
    assert banner.parse_connack(b"HTTP/1.0") is None


def test_remaining_length_multibyte():
    assert banner._remaining_length(321) == bytes([0xC1, 0x02])
