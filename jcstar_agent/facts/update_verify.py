"""Does each installed update framework verify what it installs? (S1.1-08)

Frameworks come from :mod:`jcstar_agent.facts.updates` (detection). Per framework:

- RAUC: the first ``system.conf`` of ``/etc/rauc``, ``/run/rauc``, ``/usr/lib/rauc`` (or the
  ``--conf`` its service is started with) has ``[keyring] path=``/``directory=`` naming existing,
  readable certificates (relative to the config's folder; RAUC refuses bundles it cannot verify).
- SWUpdate: a verification key is given, ``-k``/``--key`` on its command line (unit, init script,
  ``/etc/default/swupdate``, ``conf.d`` ``SWUPDATE_ARGS``, ``/etc/init.d``) or ``public-key-file`` in
  ``swupdate.cfg``; the key file exists. (The binary must also be built with signed-image
  support, which a config cannot show.)
- Mender: ``ArtifactVerifyKey`` (≤ 3.x) or ``ArtifactVerifyKeys`` (4.x) in
  ``/etc/mender/mender.conf`` or ``/var/lib/mender/mender.conf``; the key files exist.
- apt: no source with ``trusted``, ``allow-insecure``, ``allow-weak`` or
  ``allow-downgrade-to-insecure`` set true (apt's booleans: yes/true/with/on/enable/non-zero; one-line
  ``.list`` and deb822 ``.sources``, including ``Trusted: yes``), no ``Acquire::AllowInsecureRepositories``,
  ``Acquire::AllowWeakRepositories``, ``Acquire::AllowDowngradeToInsecureRepositories`` or
  ``APT::Get::AllowUnauthenticated`` set true in apt.conf. A source without ``signed-by`` is
  verified against the global keyring: noted, not a failure.
- opkg: an ``option check_signature`` line exists (opkg enables checking when the line is
  present, whatever its value); no feed marked ``[trusted=yes]``.
- OSTree: no remote with ``gpg-verify=false`` unless ``sign-verify`` is true or names signature
  engines (``sign-verify=ed25519``, as ``ostree remote add --sign-verify=ed25519=…`` writes).
- apk: signature checking cannot be switched off in a config file; the keys in
  ``/etc/apk/keys`` are noted.
- custom: the device cannot show how a vendor's own tool verifies: documents must.

Results are plain (framework, check, severity, message, evidence) records; never key material.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Tuple

from ..boundedjson import loads as bounded_loads


@dataclass
class Result:
    framework: str
    check: str
    severity: str  # "info" when verification is in place
    message: str
    evidence: Dict[str, object] = field(default_factory=dict)


@dataclass
class UpdateVerify:
    frameworks: List[str] = field(default_factory=list)
    results: List[Result] = field(default_factory=list)

    def problems(self) -> List[Result]:
        return [r for r in self.results if r.severity != "info"]


TRUE = ("true", "yes", "1", "on")


def apt_bool(value: str) -> bool:
    """apt's StringToBool: yes/true/with/on/enable or a non-zero number are true."""
    v = value.strip().strip('"').lower()
    if v in ("yes", "true", "with", "on", "enable"):
        return True
    return v.lstrip("+-").isdigit() and int(v) != 0


def _ini(text: str) -> Iterator[Tuple[str, str, str, int]]:
    """(section, key, value, line) of an INI/keyfile text."""
    section = ""
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if "=" in line:
            k, v = line.split("=", 1)
            yield section, k.strip(), v.strip(), n


def _key_file(root, path: str, want: Tuple[str, ...] = ("BEGIN",)) -> Optional[str]:
    """None when the key/cert file is usable, else the problem."""
    st = root.stat(path)
    if st is None:
        return "missing"
    if root.is_dir(path):
        files = [p for p in root.glob(path, "*") if root.is_file(p)]
        return None if files else "an empty folder"
    r = root.read(path, 1 << 20)
    if not r.ok:
        return r.error
    if not r.data.strip():
        return "empty"
    if b"-----BEGIN" not in r.data and not r.data[:1] in (b"\x30", b"\x99", b"\x98"):
        return "not a PEM key or certificate"
    return None


def key_results(root, framework: str, label: str, verifies: str,
                keys: List[Tuple[str, str]]) -> List[Result]:
    """One result per configured key: usable (info) or missing/empty/not a key (high)."""
    out = []
    for key, where in keys:
        problem = _key_file(root, key)
        if problem:
            out.append(Result(framework, "UPDATE-VERIFY-KEY-MISSING", "high",
                              f"{label} {key} ({where}) is {problem}", {"path": where, "key": key}))
        else:
            out.append(Result(framework, "UPDATE-VERIFY-OK", "info", f"{verifies} {key}",
                              {"path": where, "key": key}))
    return out


# --- RAUC ----------------------------------------------------------------------------------
RAUC_CONFS = ("/etc/rauc/system.conf", "/run/rauc/system.conf", "/usr/lib/rauc/system.conf")


def rauc(ctx) -> List[Result]:
    """RAUC reads the first system.conf of /etc/rauc, /run/rauc, /usr/lib/rauc (or ``--conf``)."""
    root = ctx.root
    path = next((p for p in RAUC_CONFS if root.exists(p)), RAUC_CONFS[0])
    try:
        from .listeners_offline import surface
        for st in ctx.fact(surface).starts:
            if st.argv and st.argv[0].rsplit("/", 1)[-1] == "rauc":
                for a, b in zip(st.argv, st.argv[1:] + [""]):
                    if a.startswith("--conf="):
                        path = a.split("=", 1)[1]
                    elif a in ("-c", "--conf") and b:
                        path = b
    except Exception:  # noqa: BLE001 — the start list is a bonus source of --conf
        pass
    base = path.rsplit("/", 1)[0] or "/"
    r = root.read(path)
    if not r.ok:
        return [Result("rauc", "UPDATE-VERIFY-MISSING", "high",
                       f"RAUC is installed but {path} is {r.error}: no keyring to verify bundles",
                       {"path": path})]
    keyring = [(k, v, n) for s, k, v, n in _ini(r.text) if s == "keyring" and k in ("path", "directory")]
    if not keyring:
        return [Result("rauc", "UPDATE-VERIFY-MISSING", "high",
                       f"RAUC {path} has no [keyring] path= or directory=: bundles cannot be verified",
                       {"path": path})]
    keys = [(v if v.startswith("/") else f"{base}/{v}", f"{path}:{n}") for _, v, n in keyring]
    return key_results(root, "rauc", "RAUC keyring", "RAUC verifies bundles against keyring", keys)


# --- SWUpdate ------------------------------------------------------------------------------
_KEY_FLAG = re.compile(r"""(?:^|[\s"'])(?:-k|--key)(?:\s+|=)["']?([^\s"']+)""")


def swupdate(ctx) -> List[Result]:
    root = ctx.root
    keys: List[Tuple[str, str]] = []  # (key path, where)
    for cfg in ("/etc/swupdate.cfg", "/etc/swupdate/swupdate.cfg"):
        text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), root.text(cfg) or "",
                      flags=re.S)  # libconfig: /* */, // and # comments
        for n, line in enumerate(text.splitlines(), 1):
            line = re.sub(r'(#|//).*$', "", line) if '"' not in line else \
                re.sub(r'^\s*(#|//).*$', "", line)
            for m in re.finditer(r'(?:^|[\s{;,])public-key-file\s*[=:]\s*"([^"]+)"', line):
                keys.append((m.group(1), f"{cfg}:{n}"))
    files = ["/etc/default/swupdate"] + root.glob("/etc/swupdate/conf.d", "*") + \
        root.glob("/usr/lib/swupdate/conf.d", "*") + root.glob("/etc/init.d", "*swupdate*")
    for f in files:
        variables: Dict[str, str] = {}
        for n, line in enumerate((root.text(f) or "").splitlines(), 1):
            if line.lstrip().startswith("#"):
                continue
            a = re.match(r"""^\s*(?:export\s+)?([A-Za-z_]\w*)=["']?([^"'\s]*)""", line)
            if a:
                variables[a.group(1)] = a.group(2)
            line = re.sub(r"\$\{?([A-Za-z_]\w*)\}?", lambda x: variables.get(x.group(1), x.group(0)), line)
            for m in _KEY_FLAG.finditer(line):
                keys.append((m.group(1), f"{f}:{n}"))
    try:
        from .listeners_offline import surface
        for st in ctx.fact(surface).starts:
            if st.argv and st.argv[0].rsplit("/", 1)[-1] == "swupdate":
                for m in _KEY_FLAG.finditer(" " + " ".join(st.argv)):
                    keys.append((m.group(1), st.source))
    except Exception:  # noqa: BLE001 — the start list is a bonus source of -k flags
        pass
    if not keys:
        return [Result("swupdate", "UPDATE-VERIFY-MISSING", "high",
                       "SWUpdate is installed but no verification key is configured (no -k/--key "
                       "argument in its start-up files, no public-key-file in /etc/swupdate.cfg or "
                       "/etc/swupdate/swupdate.cfg): unsigned images are accepted",
                       {"looked_in": ["/etc/swupdate.cfg", "/etc/swupdate/swupdate.cfg"] + files})]
    return key_results(root, "swupdate", "SWUpdate verification key",
                       "SWUpdate verifies images with key", keys)


# --- Mender --------------------------------------------------------------------------------
def mender(ctx) -> List[Result]:
    root = ctx.root
    keys: List[Tuple[str, str]] = []
    read_any = []
    out: List[Result] = []
    for path in ("/etc/mender/mender.conf", "/var/lib/mender/mender.conf"):
        r = root.read(path)
        if r.missing:
            continue
        if not r.ok:
            out.append(Result("mender", "UPDATE-CONFIG-UNREADABLE", "medium", f"{path}: {r.error}",
                              {"path": path}))
            continue
        try:  # an image's file: depth-bounded, so a bracket bomb is a finding, not a crash
            conf = bounded_loads(r.text, path, strict=False, max_depth=64)
        except ValueError as exc:
            out.append(Result("mender", "UPDATE-CONFIG-UNREADABLE", "medium", str(exc)[:300],
                              {"path": path}))
            continue
        if not isinstance(conf, dict):
            continue
        read_any.append(path)
        single = conf.get("ArtifactVerifyKey")
        if isinstance(single, str) and single:
            keys.append((single, f"{path} (ArtifactVerifyKey)"))
        many = conf.get("ArtifactVerifyKeys")
        if isinstance(many, list):
            keys += [(k, f"{path} (ArtifactVerifyKeys)") for k in many if isinstance(k, str) and k]
    if not keys and not out:
        where = ", ".join(read_any) or "/etc/mender/mender.conf (missing)"
        out.append(Result("mender", "UPDATE-VERIFY-MISSING", "high",
                          f"Mender is installed but neither ArtifactVerifyKey nor ArtifactVerifyKeys "
                          f"is set in {where}: unsigned artifacts are accepted", {"path": where}))
    return out + key_results(root, "mender", "Mender artifact verification key",
                             "Mender verifies artifacts with key", keys)


# --- apt -----------------------------------------------------------------------------------
APT_INSECURE_OPTIONS = ("trusted", "allow-insecure", "allow-weak", "allow-downgrade-to-insecure")
APT_CONF_INSECURE = ("acquire::allowinsecurerepositories", "acquire::allowweakrepositories",
                     "acquire::allowdowngradetoinsecurerepositories",
                     "apt::get::allowunauthenticated")


def _deb822(text: str) -> Iterator[Tuple[int, Dict[str, str]]]:
    cur: Dict[str, str] = {}
    start, last = 0, None
    for n, line in enumerate(text.splitlines() + [""], 1):
        if line.startswith("#"):
            continue
        if not line.strip():
            if cur:
                yield start, cur
            cur, last = {}, None
            continue
        if line[0] in " \t" and last:
            cur[last] += "\n" + line.strip()
            continue
        k, sep, v = line.partition(":")
        if sep:
            if not cur:
                start = n
            last = k.strip().lower()
            cur[last] = v.strip()
    return


def _safe_uri(uri: str) -> str:
    """A repository URI without credentials (http://user:pass@host/ -> http://***@host/)."""
    return re.sub(r"^([a-z][a-z0-9+.\-]*://)[^/@\s]*@", r"\1***@", uri, flags=re.I)


def _one_line(line: str) -> Optional[Tuple[Dict[str, str], str]]:
    """(options, uri) of a 'deb [opts] uri suite ...' line."""
    m = re.match(r"^\s*(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)", line)
    if not m:
        return None
    opts: Dict[str, str] = {}
    for word in (m.group(2) or "").split():
        if "=" in word:
            k, v = word.split("=", 1)
            opts[k.strip().lower().rstrip("+-")] = v.strip()
    return opts, m.group(3)


def apt_conf(text: str) -> Iterator[Tuple[str, str, int]]:
    """(full lower-case option name, value, line) of apt.conf syntax (scopes, '::', comments)."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    toks: List[Tuple[str, int]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        line = re.sub(r"(^|\s)//.*$", "", line)
        toks += [(t, n) for t in re.findall(r'"[^"]*"|[{};]|[^\s{};"]+', line)]
    scope: List[str] = []
    words: List[Tuple[str, int]] = []
    for t, n in toks:
        if t == "{":
            if words:
                scope.append(words[0][0])
            words = []
        elif t == "}":
            if scope:
                scope.pop()
            words = []
        elif t == ";":
            if len(words) >= 2:
                name = "::".join(scope + [words[0][0]]).lower()
                yield name, words[1][0].strip('"'), words[0][1]
            words = []
        else:
            words.append((t, n))


def apt(ctx) -> List[Result]:
    root = ctx.root
    out: List[Result] = []
    sources = 0
    global_keys = [p for p in root.glob("/etc/apt/trusted.gpg.d", "*") if p.endswith((".gpg", ".asc"))]
    if root.is_file("/etc/apt/trusted.gpg"):
        global_keys.append("/etc/apt/trusted.gpg")

    def insecure(opts: Dict[str, str], where: str, uri: str):
        uri = _safe_uri(uri)
        for opt in APT_INSECURE_OPTIONS:
            bad = opts.get(opt, "")
            if apt_bool(bad):
                out.append(Result("apt", "UPDATE-APT-INSECURE", "high",
                                  f"apt source {uri} ({where}) sets {opt}={bad}: packages from it "
                                  "are installed without signature verification"
                                  if opt != "allow-downgrade-to-insecure" else
                                  f"apt source {uri} ({where}) sets {opt}={bad}: a repository may "
                                  "drop its signature and still be used",
                                  {"path": where, "uri": uri, "option": f"{opt}={bad}"}))
        if "signed-by" not in opts:
            out.append(Result("apt", "UPDATE-APT-NO-SIGNED-BY", "info",
                              f"apt source {uri} ({where}) has no signed-by: verified against the "
                              f"global keyring ({len(global_keys)} key file(s) in "
                              "/etc/apt/trusted.gpg.d and /etc/apt/trusted.gpg)",
                              {"path": where, "uri": uri}))

    files = ["/etc/apt/sources.list"] + root.glob("/etc/apt/sources.list.d", "*.list")
    for path in files:
        for n, line in enumerate((root.text(path) or "").splitlines(), 1):
            parsed = _one_line(line.split("#", 1)[0])
            if parsed:
                sources += 1
                insecure(parsed[0], f"{path}:{n}", parsed[1])
    for path in root.glob("/etc/apt/sources.list.d", "*.sources"):
        for start, st in _deb822(root.text(path) or ""):
            if st.get("enabled", "yes").lower() in ("no", "false", "0"):
                continue
            sources += 1
            opts = {k: v for k, v in st.items() if k in APT_INSECURE_OPTIONS or k == "signed-by"}
            insecure(opts, f"{path}:{start}", st.get("uris", "?").split()[0] if st.get("uris") else "?")
    # apt reads the apt.conf.d files named [A-Za-z0-9_.-] with no '.' at all or ending '.conf'
    conf_files = ["/etc/apt/apt.conf"] + [
        p for p in root.glob("/etc/apt/apt.conf.d", "*")
        if re.fullmatch(r"[A-Za-z0-9_\-][A-Za-z0-9_.\-]*", p.rsplit("/", 1)[-1]) and
        ("." not in p.rsplit("/", 1)[-1] or p.endswith(".conf"))]
    for path in conf_files:
        for name, value, n in apt_conf(root.text(path) or ""):
            if name in APT_CONF_INSECURE and apt_bool(value):
                out.append(Result("apt", "UPDATE-APT-INSECURE", "high",
                                  f"apt option {name} is {value} ({path}:{n}): unsigned or "
                                  "insecure repositories are accepted",
                                  {"path": f"{path}:{n}", "option": name}))
    if not any(r.severity != "info" for r in out):
        out.append(Result("apt", "UPDATE-VERIFY-OK", "info",
                          f"apt verifies repository signatures ({sources} source(s); none "
                          "marked trusted or insecure)", {"sources": sources}))
    return out


# --- opkg ----------------------------------------------------------------------------------
def opkg(ctx) -> List[Result]:
    root = ctx.root
    files = [p for p in ["/etc/opkg.conf"] + root.glob("/etc/opkg", "*.conf") if root.is_file(p)]
    check_sig: Optional[str] = None
    out: List[Result] = []
    for path in files:
        for n, raw in enumerate((root.text(path) or "").splitlines(), 1):
            line = raw.split("#", 1)[0]
            words = line.split()
            if len(words) >= 2 and words[0] == "option" and words[1] == "check_signature":
                check_sig = check_sig or f"{path}:{n}"
            if words and words[0].startswith("src") and re.search(r"(?:^|[\s\[])trusted=yes\b", line):
                out.append(Result("opkg", "UPDATE-OPKG-TRUSTED-FEED", "high",
                                  f"opkg feed on {path}:{n} is marked [trusted=yes]: its packages "
                                  "are installed without signature verification",
                                  {"path": f"{path}:{n}"}))
    if check_sig is None:
        where = ", ".join(files) or "/etc/opkg/opkg.conf (missing)"
        out.append(Result("opkg", "UPDATE-VERIFY-MISSING", "high",
                          f"opkg has no 'option check_signature' line ({where}): feed signatures "
                          "are not checked", {"path": where}))
    else:
        keys = root.glob("/etc/opkg/keys", "*")
        out.append(Result("opkg", "UPDATE-VERIFY-OK", "info",
                          f"opkg checks feed signatures ({check_sig}; {len(keys)} key(s) in "
                          "/etc/opkg/keys)", {"path": check_sig}))
    return out


# --- OSTree --------------------------------------------------------------------------------
def ostree(ctx) -> List[Result]:
    root = ctx.root
    out: List[Result] = []
    files = [p for p in ("/ostree/repo/config", "/sysroot/ostree/repo/config") if root.is_file(p)]
    files += root.glob("/etc/ostree/remotes.d", "*.conf")
    remotes: Dict[str, Dict[str, Tuple[str, str]]] = {}
    for path in files:
        for section, k, v, n in _ini(root.text(path) or ""):
            m = re.match(r'^remote\s+"([^"]+)"$', section)
            if m:
                remotes.setdefault(m.group(1), {})[k] = (v, f"{path}:{n}")
    for name, kv in sorted(remotes.items()):
        gpg = kv.get("gpg-verify", ("true", ""))
        sign = kv.get("sign-verify", ("false", ""))
        # sign-verify is a boolean or a list of engines ("ed25519", "ed25519;spki"): a list verifies
        sign_on = sign[0].lower() in TRUE or (
            sign[0].strip() != "" and sign[0].lower() not in ("false", "no", "0", "off"))
        if gpg[0].lower() not in TRUE and not sign_on:
            out.append(Result("ostree", "UPDATE-VERIFY-MISSING", "high",
                              f"OSTree remote '{name}' has gpg-verify={gpg[0]} ({gpg[1]}) and no "
                              "sign-verify: commits are pulled without signature verification",
                              {"path": gpg[1], "remote": name}))
        else:
            how = "gpg-verify" if gpg[0].lower() in TRUE else f"sign-verify={sign[0]}"
            out.append(Result("ostree", "UPDATE-VERIFY-OK", "info",
                              f"OSTree remote '{name}' verifies commits ({how})",
                              {"path": (kv.get(how.split("=")[0]) or ("", ""))[1] or
                               (files[0] if files else ""),
                               "remote": name}))
    if not remotes:
        out.append(Result("ostree", "UPDATE-VERIFY-OK", "info",
                          "OSTree has no remote configured (nothing is pulled over the network)",
                          {"looked_in": files}))
    return out


def apk(ctx) -> List[Result]:
    keys = ctx.root.glob("/etc/apk/keys", "*")
    return [Result("apk", "UPDATE-VERIFY-OK", "info",
                   f"apk verifies package signatures ({len(keys)} key(s) in /etc/apk/keys)",
                   {"path": "/etc/apk/keys"})]


def custom(ctx, evidence: str) -> List[Result]:
    return [Result("custom", "UPDATE-CUSTOM", "info",
                   f"custom update command {evidence}: how it verifies updates is not visible on "
                   "the device (declare the technical document)", {"path": evidence})]


READERS = {"rauc": rauc, "swupdate": swupdate, "mender": mender, "apt": apt, "opkg": opkg,
           "ostree": ostree, "apk": apk}


def read(ctx) -> UpdateVerify:
    from . import updates

    found = ctx.fact(updates.read).found
    uv = UpdateVerify([f.name for f in found])
    for fw in found:
        if fw.name == "custom":
            uv.results += custom(ctx, fw.evidence)
        elif fw.name in READERS:
            uv.results += READERS[fw.name](ctx)
    return uv
