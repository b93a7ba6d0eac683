"""HTTP (RFC 9110/9112), and the JSON APIs IoT gateways and the servers beside them expose.

Sends ``GET /`` without credentials (is it 200, 401/403, a redirect to ``https://``; which scheme
``WWW-Authenticate`` asks for), then the read-only API step: ``GET`` of the documented
identification paths of the APIs that hold data or control — Docker Engine (``/version``,
``/containers/json``), Kubernetes (``/version``, ``/api/v1/namespaces``), Elasticsearch/OpenSearch
(``/`` with ``cluster_name``, ``/_cat/indices``), InfluxDB 1.x (``/query?q=SHOW DATABASES``),
CouchDB (``/_all_dbs``), Prometheus (``/api/v1/targets``), Node-RED (``/flows``) — and concludes
from the JSON each returns. Concludes: a 200 with that API's data is a protected operation answered
without credentials (the catalogue names the paths whose answer is data or control, so a public
page never counts); 401/403 on ``/``, or 401 (403 with a JSON body) on one of those paths, is
authentication asked for (an editor's public HTML page on ``/`` with its API refusing, as Node-RED
with ``adminAuth``; a web server's HTML 403 deny rule is not an API asking for credentials). A plain
``GET /`` returning 200 decides nothing. With ``Basic`` or ``Digest`` asked on ``/``, a bounded run
of well-known accounts and passwords follows (``--password-budget``): Digest answered as RFC 7616
says (MD5 or SHA-256, their ``-sess`` variants, ``qop=auth`` or none, a fresh nonce from each
401); only the account and the list a working password came from are kept, never the password or
the ``response``. Form logins (an HTML ``<input type="password">`` on ``/``) are not tried: what a
success looks like differs from one product to the next, so the form and the URL it posts to are
a note for a manual judgement. Cleartext always (HTTPS is the TLS probe's).

References: RFC 9110 §11 (authentication), RFC 7617 (Basic), RFC 7616 and RFC 2617 (Digest); Docker Engine API; Kubernetes API
concepts; Elasticsearch REST API; InfluxDB 1.x /query; nmap ``http-auth``, ``docker-version``.
"""
from __future__ import annotations

import base64
import json
import re
from typing import Optional, Tuple

from . import ProtocolObservation, host_header
from . import _digest, _logins

NAME, TRANSPORT, PORTS, SERVER_FIRST = "http", "tcp", (80, 8080, 8000, 8008, 8081, 8888, 9200, 2375, 8086, 5984), False
ACCOUNTS = ("admin", "root", "user")
# (API, path, test on the parsed JSON or text that it is this API answering with its data)
APIS = (
    ("Docker Engine API", "/containers/json", lambda j, t: isinstance(j, list) and "/version" or None),
    ("Docker Engine API", "/version", lambda j, t: isinstance(j, dict) and "ApiVersion" in j),
    ("Kubernetes API", "/api/v1/namespaces", lambda j, t: isinstance(j, dict) and j.get("kind") == "NamespaceList"),
    ("Elasticsearch API", "/_cat/indices?format=json", lambda j, t: isinstance(j, list)),
    ("Elasticsearch API", "/", lambda j, t: isinstance(j, dict) and "cluster_name" in j),
    ("InfluxDB API", "/query?q=SHOW%20DATABASES", lambda j, t: isinstance(j, dict) and "results" in j
     and not any("error" in r for r in j.get("results") or [] if isinstance(r, dict))),
    ("CouchDB API", "/_all_dbs", lambda j, t: isinstance(j, list)),
    ("Prometheus API", "/api/v1/targets", lambda j, t: isinstance(j, dict) and j.get("status") == "success"),
    ("Node-RED admin API", "/flows", lambda j, t: isinstance(j, list)),
)


def hello(host: str, port: int) -> bytes:
    return request(host, "/")


def recognise(data: bytes) -> bool:
    return bool(re.match(rb"HTTP/\d(?:\.\d)? \d{3}", data))


def request(host: str, path: str, auth: Optional[str] = None) -> bytes:
    extra = f"Authorization: {auth}\r\n" if auth else ""
    return (f"GET {path} HTTP/1.1\r\nHost: {host_header(host)}\r\nUser-Agent: jcstar-agent-probe\r\n"
            f"Accept: application/json, */*\r\n{extra}Connection: close\r\n\r\n").encode()


def parse(data: bytes) -> Tuple[Optional[int], dict, bytes]:
    """(status, lower-cased headers, body) of a response; status None when not HTTP."""
    m = re.match(rb"HTTP/\d(?:\.\d)? (\d{3})", data)
    if not m:
        return None, {}, b""
    head, _, body = data.partition(b"\r\n\r\n")
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = _dechunk(body)
    return int(m.group(1)), headers, body


def _dechunk(body: bytes) -> bytes:
    out, i = b"", 0
    while i < len(body):
        j = body.find(b"\r\n", i)
        if j < 0:
            break
        try:
            n = int(body[i:j].split(b";")[0], 16)
        except ValueError:
            break
        if n == 0:
            break
        out += body[j + 2:j + 2 + n]
        i = j + 2 + n + 2
    return out


def _until_done(d: bytes) -> bool:
    head, sep, body = d.partition(b"\r\n\r\n")
    if not sep:
        return False
    m = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.I)
    return bool(m) and len(body) >= int(m.group(1))


def get(budget, host, port, path, auth=None, send=None):
    send = send or budget.exchange
    return parse(send(host, port, request(host, path, auth), 32768, until=_until_done))


def ask(obs: ProtocolObservation, budget, host: str, port: int, send=None) -> ProtocolObservation:
    """The questions over an exchange function (plain TCP here; TLS from the tls probe)."""
    status, headers, body = get(budget, host, port, "/", send=send)
    obs.log("GET / (no credentials)", f"{status} {headers.get('server', '')}".strip())
    if status is not None:
        obs.facts["http_status"] = status
        location = headers.get("location", "")
        obs.facts["redirects_to_https"] = status in (301, 302, 303, 307, 308) and \
            location.lower().startswith("https://")
    form = login_form(body) if status == 200 else None
    if form is not None:
        obs.facts["login_form"] = f"/ (posts to {form})"
        obs.notes.append(f"login form on / (a password field, posts to {form}): not tried, judge it manually")
    challenge = headers.get("www-authenticate", "")
    refused: Optional[Tuple[str, int]] = None
    for api, path, test in APIS:
        if budget.left() < 0.5:
            break
        st, hd, bd = (status, headers, body) if path == "/" else get(budget, host, port, path, send=send)
        if st is None:
            continue
        try:
            doc = json.loads(bd.decode("utf-8", "replace")) if bd[:1] in (b"{", b"[") else None
        except ValueError:
            doc = None
        if st == 200 and doc is not None and test(doc, bd):
            obs.log(f"GET {path} (no credentials)", f"200, {api} data ({len(bd)} bytes)")
            return obs.verdict(True, f"{api}: GET {path}", f"200 with data ({len(bd)} bytes)")
        if st in (401, 403) and path != "/":
            obs.log(f"GET {path} (no credentials)", f"{st}")
            if st == 401 or doc is not None:  # an API asking for credentials, not a web server's deny rule
                refused = refused or (path, st)
    if refused and status not in (401, 403):
        # the page may be public (an editor's HTML, a 404): the API's own path asked for credentials
        obs.verdict(False, f"{refused[0].split('?')[0]} without credentials", f"{refused[1]}")
    if status in (401, 403):
        obs.verdict(False, "GET / without credentials", f"{status} {challenge.split(' ')[0]}".strip())
        scheme = challenge.split(" ")[0].lower()
        digest = {"challenge": challenge}

        def one(user, pw):
            if scheme == "basic":
                auth = "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()
            else:
                auth = _digest.authorization(_digest.challenge(digest["challenge"]), user, pw, "GET", "/")
                if auth is None:
                    return _logins.REJECTED
            st, hd, _ = get(budget, host, port, "/", auth, send=send)
            if st is None:
                return _logins.CLOSED
            if st in (423, 429, 503):
                return _logins.LOCKED
            if hd.get("www-authenticate", "").lower().startswith("digest"):
                digest["challenge"] = hd["www-authenticate"]  # a fresh nonce for the next try
            return _logins.ACCEPTED if 200 <= st < 300 else _logins.REJECTED
        if scheme == "basic" or (scheme == "digest" and _digest.authorization(_digest.challenge(challenge), "", "", "GET", "/")):
            _logins.attempt(obs, budget, _logins.candidates(ACCOUNTS), one)
        elif scheme == "digest":
            obs.notes.append("Digest challenge not understood (algorithm or qop): no login tried")
    return obs


def login_form(body: bytes) -> Optional[str]:
    """The ``action`` of the first HTML form holding a password input (``"/"`` when none), or None."""
    text = body[:32768].decode("utf-8", "replace")
    for m in re.finditer(r"<form\b([^>]*)>(.*?)(?:</form>|$)", text, re.I | re.S):
        if re.search(r"<input\b[^>]*\btype\s*=\s*[\"']?password", m.group(2), re.I):
            action = re.search(r"\baction\s*=\s*[\"']?([^\"'\s>]*)", m.group(1), re.I)
            return (action.group(1) if action and action.group(1) else "/")[:80]
    return None


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    return ask(ProtocolObservation(NAME, port=port, cleartext=True), budget, host, port)
