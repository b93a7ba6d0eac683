"""TLS (RFC 8446 / 5246): any listener that completes a handshake — HTTPS, MQTTS, IMAPS, LDAPS …

Sends a ClientHello: one handshake at the widest range (does it speak TLS at all), then once per version TLS 1.0,
1.1, 1.2, 1.3 (``@SECLEVEL=0`` so OpenSSL 3 even offers the old ones), weak suites below 1.3, and
reads the certificate (key type and size, notAfter) with :mod:`jcstar_agent.probes.tls`. Then, over
TLS, the HTTP probe's questions (``GET /`` and the JSON API step) when the service answers HTTP.
Concludes: never cleartext; versions below 1.2 and weak suites are S1.1-12's; an API answering
data without credentials is S1.1-01's.

References: RFC 8446, RFC 8996 (TLS 1.0/1.1 deprecated); nmap ``ssl-enum-ciphers``.
"""
from __future__ import annotations

from . import ProtocolObservation

NAME, TRANSPORT, PORTS, SERVER_FIRST = "tls", "tcp", (443, 8443, 8883, 993, 995, 465, 636, 5671), False


def detect(host: str, port: int, budget) -> bool:
    from .. import tls

    ok, _, _, _ = tls.handshake(host, port, budget.timeout(1.5))
    return ok


def recognise(data: bytes) -> bool:
    return len(data) > 5 and data[0] == 0x16 and data[1] == 3  # a TLS handshake record


def _tls_exchange(budget):
    def send(host, port, data, limit=4096, until=None, cap=None):
        from .. import tls as tlsmod

        ctx = tlsmod.context()
        try:
            raw = budget.connect(host, port, cap)
        except OSError:
            return b""
        try:
            s = ctx.wrap_socket(raw, server_hostname=None)
            s.sendall(data)
            return budget.recv(s, limit, until, cap)
        except OSError:
            return b""
        finally:
            raw.close()
    return send


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    from . import http

    obs = ProtocolObservation(NAME, port=port, cleartext=False)
    answer = _tls_exchange(budget)(host, port, http.request(host, "/"), 2048, cap=1.5)
    if http.recognise(answer):
        obs.notes.append("HTTPS")
        http.ask(obs, budget, host, port, send=_tls_exchange(budget))
    return obs
