"""Active probes (live, opt-in with ``--active``): bounded in time and attempts, own addresses only.

The results model that criteria consume (S1.1-12 from TLS/plaintext probes, S1.1-04 from the
brute-force probe). ``results(ctx)`` returns ``None`` unless the run is live and ``--active``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Optional


@dataclass
class ServiceProbe:
    """What one listener answered (``proto`` tcp or udp)."""

    proto: str
    port: int
    address: str  # the address probed
    protocol: str = "unknown"  # a protocols.registry name ("tls", "ssh", "redis" …) or "unknown"
    plaintext: bool = False  # speaks a cleartext protocol that can carry credentials/data
    tls_versions: List[str] = field(default_factory=list)  # accepted: "TLSv1", "TLSv1.1", ...
    weak_ciphers: List[str] = field(default_factory=list)
    cert_key_bits: Optional[int] = None
    cert_key_type: Optional[str] = None
    cert_not_after: Optional[str] = None  # ISO date
    http_redirects_to_https: Optional[bool] = None
    http_status: Optional[int] = None  # status of a GET / sent without credentials
    mqtt_connack: Optional[int] = None  # CONNACK code of a CONNECT without credentials (0 = accepted)
    banner: str = ""  # first printable bytes, trimmed (never credentials)
    seconds: float = 0.0
    error: Optional[str] = None
    observation: Optional[Any] = None  # protocols.ProtocolObservation: what its protocol probe saw

    def certificate_problems(self, today: Optional[str] = None) -> List[str]:
        """What is wrong with the certificate this listener presented, one sentence each: a key
        below 2048 bits (RSA, RSA-PSS, DSA) or 256 bits (EC), or a notAfter date already past
        (``today``: ISO date, default the current UTC date). Empty when fine or not TLS."""
        out: List[str] = []
        kind, bits = self.cert_key_type, self.cert_key_bits
        floor = {"rsa": 2048, "rsa-pss": 2048, "dsa": 2048, "ec": 256}.get(kind or "")
        if floor and bits is not None and bits < floor:
            out.append(f"certificate {kind} key is {bits} bits (below {floor})")
        if self.cert_not_after:
            import datetime

            now = today or datetime.datetime.now(datetime.timezone.utc).date().isoformat()
            if self.cert_not_after < now:
                out.append(f"certificate expired on {self.cert_not_after}")
        return out


@dataclass
class BruteForceProbe:
    """A bounded run of wrong-password attempts against one declared login."""

    login: str
    protocol: str
    port: int
    attempts: int = 0
    seconds: float = 0.0
    seconds_per_attempt: List[float] = field(default_factory=list)
    locked_out: bool = False  # refused even before the password was judged / told so
    delayed: bool = False  # growing delay observed
    closed: bool = False  # server closed the connection / refused new ones
    protected: bool = False  # any of the above
    account: str = ""
    error: Optional[str] = None
    accepted: int = 0  # wrong credentials accepted (the endpoint does not authenticate at all)
    address: str = ""  # the address probed
    note: str = ""  # e.g. "password authentication not offered"


@dataclass
class ProbeResults:
    services: List[ServiceProbe] = field(default_factory=list)
    brute_force: List[BruteForceProbe] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)


def results(ctx) -> Optional[ProbeResults]:
    """Probe results for this run (cached via ctx.fact), or None when not live+active."""
    if not (ctx.root.live and ctx.options.active):
        return None
    try:
        from . import run as runner
    except ImportError:
        return ProbeResults(errors=["active probes not implemented"])
    return runner.run(ctx)
