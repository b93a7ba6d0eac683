"""meta-jcstar: the layer, the recipe's RDEPENDS against what the agent imports, and the
jcstar-rootfs class's shell function, sourced with the variables a build sets and run (POSIX sh,
``set -e`` as bitbake does) against a fixture rootfs and the debootstrap rootfs."""
from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from hookutil import HOOKS, PLANTED_FAIL, PROJECT, failing, read_report, verdict

LAYER = os.path.join(HOOKS, "yocto", "meta-jcstar")
BBCLASS = os.path.join(LAYER, "classes", "jcstar-rootfs.bbclass")
RECIPES = os.path.join(LAYER, "recipes-security", "jcstar-agent")

# Where oe-core's python3-manifest.json puts each standard-library module the agent may import.
STDLIB_SPLITS = {
    "__future__": "core", "abc": "core", "argparse": "core", "ast": "core", "binascii": "core",
    "bisect": "core", "codecs": "core", "collections": "core", "configparser": "core",
    "contextlib": "core", "copy": "core", "dataclasses": "core", "enum": "core", "errno": "core",
    "fnmatch": "core", "functools": "core", "gc": "core", "glob": "core", "grp": "core",
    "heapq": "core", "importlib": "core", "inspect": "core", "io": "core", "ipaddress": "core",
    "itertools": "core", "keyword": "core", "linecache": "core", "locale": "core", "math": "core",
    "operator": "core", "os": "core", "pathlib": "core", "platform": "core", "posixpath": "core",
    "pwd": "core", "re": "core", "select": "core", "selectors": "core", "shutil": "core",
    "signal": "core", "stat": "core", "struct": "core", "subprocess": "core", "sys": "core",
    "sysconfig": "core", "textwrap": "core", "threading": "core", "time": "core",
    "traceback": "core", "types": "core", "typing": "core", "unicodedata": "core",
    "warnings": "core", "weakref": "core", "zlib": "core", "array": "core", "atexit": "core",
    "urllib.parse": "core", "bz2": "core", "lzma": "core",
    "hashlib": "crypt", "ctypes": "ctypes", "datetime": "datetime", "calendar": "datetime",
    "difflib": "difflib", "fcntl": "fcntl", "json": "json", "logging": "logging",
    "socket": "io", "ssl": "io", "tempfile": "io", "termios": "io",
    "base64": "netclient", "hmac": "netclient", "secrets": "netclient", "uuid": "netclient",
    "http": "netclient", "urllib": "netclient", "urllib.request": "netclient",
    "random": "math", "shlex": "shell", "string": "stringold", "pty": "terminal",
    "tty": "terminal", "queue": "threading", "getpass": "unixadmin", "xml": "xml",
    "gzip": "compression", "tarfile": "compression", "zipfile": "compression",
    "sqlite3": "sqlite3", "resource": "resource", "mmap": "mmap", "pprint": "pprint",
    "statistics": "statistics", "email": "email", "socketserver": "netserver",
    "asyncio": "asyncio", "concurrent": "asyncio", "decimal": "numbers", "numbers": "numbers",
    "pickle": "pickle", "syslog": "syslog", "multiprocessing": "multiprocessing",
    "_operator": "core", "_sha256": "crypt", "_sha2": "crypt", "html": "html",
}
TOML_READERS = ("tomllib", "tomli")  # ${JCSTAR_TOML}: python3-tomllib, or python3-tomli < 3.11
DEVICE_THIRD_PARTY = {"psutil": "python3-psutil", "cryptography": "python3-cryptography",
                      "serial": "python3-pyserial"}
# Imported by jcstar_agent/ but not needed on the device: optional extras and host-side dev tools.
NOT_ON_DEVICE = {"paramiko": "optional probe-ssh extra", "jsonschema": "host/dev schema checks",
                 "referencing": "host/dev schema checks", "psycopg": "evidence store (host)",
                 "openpyxl": "checklist extra (host)", "openpyxl.styles": "checklist extra (host)",
                 "tpm2_pytss": "optional tpm extra (a device whose key is in its TPM adds it)",
                 "pkcs11": "optional pkcs11 extra (a device whose key is in a secure element)"}
# The evidence store runs on the factory/office host; mcu/ is the host side of the MicroPython
# edition and the micro-agent itself (it runs on the board's MicroPython, never on a Linux device).
HOST_ONLY_PACKAGES = ("jcstar_agent/store", "jcstar_agent/mcu")


def agent_imports():
    """{module: first file} of every absolute import in the device code under jcstar_agent/."""
    found = {}
    for folder, _, files in os.walk(os.path.join(PROJECT, "jcstar_agent")):
        rel = os.path.relpath(folder, PROJECT)
        if any(rel == h or rel.startswith(h + os.sep) for h in HOST_ONLY_PACKAGES):
            continue
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            tree = ast.parse(open(path, encoding="utf-8").read(), path)
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    mods = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    mods = [node.module]
                else:
                    continue
                for m in mods:
                    if not m.startswith("jcstar_agent"):
                        found.setdefault(m, os.path.relpath(path, PROJECT))
    return found


def split_of(module: str):
    for key in (module, module.split(".")[0]):
        if key in STDLIB_SPLITS:
            return STDLIB_SPLITS[key]
    return None


def recipe_text():
    recipes = [f for f in os.listdir(RECIPES) if re.fullmatch(r"jcstar-agent_[0-9.]+\.bb", f)]
    assert len(recipes) == 1, recipes
    return open(os.path.join(RECIPES, recipes[0]), encoding="utf-8").read()


def bb_value(text: str, name: str) -> str:
    """The value of ``NAME = "..."`` (with backslash continuations) in a bitbake file."""
    m = re.search(r'^' + re.escape(name) + r'\s*[?+:.]*=\s*"((?:[^"\\]|\\.|\\\n)*)"', text, re.M)
    assert m, f"{name} is not set"
    return m.group(1).replace("\\\n", " ")


def test_layer_conf():
    text = open(os.path.join(LAYER, "conf", "layer.conf"), encoding="utf-8").read()
    compat = bb_value(text, "LAYERSERIES_COMPAT_jcstar").split()
    assert {"kirkstone", "scarthgap"} <= set(compat)
    assert "jcstar" in bb_value(text, "BBFILE_COLLECTIONS")
    assert set(bb_value(text, "LAYERDEPENDS_jcstar").split()) == {"core", "meta-python"}
    # The recipe's default source is this checkout, three folders above the layer.
    assert re.search(r"JCSTAR_AGENT_LAYER_SRCDIR := .*'\.\.', '\.\.', '\.\.'", text)
    assert os.path.isfile(os.path.join(LAYER, "..", "..", "..", "setup.py"))


def test_recipe_rdepends_are_exactly_what_the_agent_imports():
    text = recipe_text()
    rdepends = bb_value(text, "RDEPENDS:${PN}").split()
    assert "${JCSTAR_TOML}" in rdepends
    assert "python3-tomli" in bb_value(text, "JCSTAR_TOML") and "3.11" in bb_value(text, "JCSTAR_TOML")
    needed, unknown = set(), []
    for module, where in sorted(agent_imports().items()):
        top = module.split(".")[0]
        if top in TOML_READERS or top in NOT_ON_DEVICE:
            continue
        if top in DEVICE_THIRD_PARTY:
            needed.add(DEVICE_THIRD_PARTY[top])
        elif split_of(module):
            needed.add("python3-" + split_of(module))
        else:
            unknown.append(f"{module} ({where})")
    assert not unknown, ("jcstar_agent/ imports modules this test cannot place; add them to STDLIB_SPLITS "
                         "(oe-core python3-manifest.json) or DEVICE_THIRD_PARTY, and the recipe: "
                         + ", ".join(unknown))
    declared = {p for p in rdepends if p.startswith("python3-")}
    assert needed - declared == set(), f"RDEPENDS lacks {sorted(needed - declared)}"
    assert declared - needed == set(), f"RDEPENDS has more than the agent imports: {sorted(declared - needed)}"
    assert bb_value(text, "BBCLASSEXTEND") == "native"
    assert "inherit" in text and "setuptools3" in text
    # Files the recipe installs exist in the tree.
    for rel in re.findall(r"\$\{S\}/(firmware_hooks/[^\s;]+)", text):
        assert os.path.exists(os.path.join(PROJECT, rel)), rel
    for unit in bb_value(text, "SYSTEMD_SERVICE:${PN}").split():
        assert os.path.isfile(os.path.join(HOOKS, "systemd", unit)), unit


# ---- the bbclass's shell function, as a build runs it -------------------------------------------

# What logging.bbclass gives every shell task.
BB_LOGGING = '''
bbnote() { echo "NOTE: $*"; }
bbwarn() { echo "WARNING: $*"; }
bbfatal() { echo "ERROR: $*"; exit 1; }
'''
BB_VAR = re.compile(r"\$\{([a-zA-Z0-9\-_+./~:]+?)\}")


def class_defaults():
    """NAME ?= "value" lines of the class (what an image gets unless it sets them)."""
    text = open(BBCLASS, encoding="utf-8").read()
    return dict(re.findall(r'^([A-Z_]+) \?= "([^"]*)"$', text, re.M))


def class_function(name: str = "jcstar_rootfs_check") -> str:
    text = open(BBCLASS, encoding="utf-8").read()
    m = re.search(r"^" + name + r" \(\) \{\n.*?^\}\n", text, re.M | re.S)
    assert m, f"{name} not found in the class"
    return m.group(0)


def expand(value: str, data: dict) -> str:
    """Bitbake's ${VAR} expansion (known variables only; unknown ones stay as they are)."""
    for _ in range(10):
        new = BB_VAR.sub(lambda m: data.get(m.group(1), m.group(0)), value)
        if new == value:
            return new
        value = new
    return value


def build_vars(rootfs, deploy, **image_sets):
    """The variables of an image build: oe-core's, the class defaults, then the image's own."""
    data = {"IMAGE_ROOTFS": rootfs, "IMGDEPLOYDIR": deploy,
            "IMAGE_BASENAME": "acme-image", "MACHINE": "raspberrypi4-64",
            "IMAGE_NAME": "acme-image-raspberrypi4-64-20261126021600.rootfs",
            "IMAGE_LINK_NAME": "acme-image-raspberrypi4-64"}
    data.update(class_defaults())
    data.update(image_sets)
    return {k: expand(v, data) for k, v in data.items()}


def run_function(variables: dict, path: str):
    """Source the class's function in /bin/sh -e with the build's variables; call it."""
    env = {"PATH": path, "HOME": os.environ.get("HOME", "/root"), "LC_ALL": "C.UTF-8"}
    env.update(variables)
    script = BB_LOGGING + class_function() + "\njcstar_rootfs_check\n"
    return subprocess.run(["/bin/sh", "-e", "-c", script], env=env, capture_output=True,
                          text=True, timeout=300)


def test_function_uses_only_build_variables():
    """Every ${X} in the function is a variable bitbake expands (class or oe-core): a shell
    variable written ${x} would be taken for a bitbake variable."""
    known = set(class_defaults()) | {"IMAGE_ROOTFS", "IMGDEPLOYDIR", "IMAGE_NAME", "IMAGE_LINK_NAME"}
    used = set(BB_VAR.findall(class_function()))
    assert used <= known, used - known
    text = open(BBCLASS, encoding="utf-8").read()
    assert re.search(r'^ROOTFS_POSTPROCESS_COMMAND \+= ".*jcstar_rootfs_check', text, re.M)
    assert 'do_rootfs[depends] += "jcstar-agent-native:do_populate_sysroot"' in text


def test_boot_task_is_off_by_default_and_uses_only_build_variables():
    """JCSTAR_BOOT = "0" (the default) adds no task: existing builds run as before. The boot
    function, like the rootfs one, uses only variables bitbake expands."""
    text = open(BBCLASS, encoding="utf-8").read()
    defaults = class_defaults()
    assert defaults["JCSTAR_BOOT"] == "0"
    assert re.search(r"^    if d\.getVar\('JCSTAR_BOOT'\) == '1':\n        bb\.build\.addtask\("
                     r"'do_jcstar_boot_check', 'do_build', 'do_image_complete', d\)", text, re.M)
    assert not re.search(r"^addtask .*jcstar_boot_check", text, re.M)
    assert 'do_jcstar_boot_check[depends] += "jcstar-agent-native:do_populate_sysroot"' in text
    known = set(defaults) | {"IMAGE_NAME", "IMAGE_LINK_NAME", "DEPLOY_DIR_IMAGE"}
    used = set(BB_VAR.findall(class_function("jcstar_boot_check")))
    assert used <= known, used - known
    assert "--image" in class_function("jcstar_boot_check") and "--boot" in class_function("jcstar_boot_check")


def deployed(deploy, name):
    return os.path.join(deploy, name)


def test_planted_fail_stops_the_build(tree, tmp_path, build_bin, write_config):
    root = tree({"/etc/product-model": "OTHER-MODEL-7\n"})
    deploy = str(tmp_path / "deploy-acme-image")
    cfg = write_config(PLANTED_FAIL.format(source="/etc/product-model"))
    v = build_vars(root, deploy, JCSTAR_BOARD_CONFIG=cfg)
    r = run_function(v, build_bin)
    assert r.returncode != 0, r.stdout + r.stderr
    assert "ERROR: jcstar:" in r.stdout and "S1.1-10 fail" in r.stdout
    assert 'JCSTAR_WARN_ONLY = "1"' in r.stdout  # tells how to only warn
    report = read_report(deployed(deploy, v["IMAGE_NAME"] + ".jcstar.json"))
    s10 = verdict(report, "S1.1-10")
    assert s10["verdict"] == "fail"
    assert any(f["check"] == "MODEL-MISMATCH" and f["evidence"]["path"] == "/etc/product-model"
               for f in s10["findings"])
    assert report["target"]["root"] == root and report["config"]["path"] == cfg
    # junit beside it, and the stable link names point at this build's reports.
    junit = ET.parse(deployed(deploy, v["IMAGE_NAME"] + ".jcstar.junit.xml")).getroot()
    assert junit.iter("testcase")
    for ext in ("json", "junit.xml"):
        link = deployed(deploy, f"{v['IMAGE_LINK_NAME']}.jcstar.{ext}")
        assert os.readlink(link) == f"{v['IMAGE_NAME']}.jcstar.{ext}"


def test_warn_only_does_not_stop_the_build(tree, tmp_path, build_bin, write_config):
    root = tree({"/etc/product-model": "OTHER-MODEL-7\n"})
    deploy = str(tmp_path / "deploy")
    cfg = write_config(PLANTED_FAIL.format(source="/etc/product-model"))
    v = build_vars(root, deploy, JCSTAR_BOARD_CONFIG=cfg, JCSTAR_WARN_ONLY="1",
                   JCSTAR_REPORT_FORMATS="json text")
    r = run_function(v, build_bin)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "WARNING: jcstar:" in r.stdout and "S1.1-10 fail" in r.stdout
    assert verdict(read_report(deployed(deploy, v["IMAGE_NAME"] + ".jcstar.json")),
                   "S1.1-10")["verdict"] == "fail"
    assert "S1.1-10" in open(deployed(deploy, v["IMAGE_NAME"] + ".jcstar.txt")).read()
    assert not os.path.exists(deployed(deploy, v["IMAGE_NAME"] + ".jcstar.junit.xml"))


def test_outcome_follows_the_verdicts(tree, tmp_path, build_bin, write_config):
    """A declaration the tree meets for S1.1-10: the build stops exactly when some criterion
    (anyone's) is fail or error, and goes on otherwise."""
    root = tree({"/etc/product-model": "ACME-GW-100\n"})
    deploy = str(tmp_path / "deploy")
    cfg = write_config(PLANTED_FAIL.format(source="/etc/product-model"))
    v = build_vars(root, deploy, JCSTAR_BOARD_CONFIG=cfg)
    r = run_function(v, build_bin)
    report = read_report(deployed(deploy, v["IMAGE_NAME"] + ".jcstar.json"))
    assert verdict(report, "S1.1-10")["verdict"] == "pass"
    bad = failing(report)
    assert (r.returncode != 0) == bool(bad), (bad, r.stdout)
    for cid in bad:
        assert cid in r.stdout
    if not bad:
        assert "NOTE: jcstar:" in r.stdout


def test_invalid_config_fails_even_when_warn_only(tree, tmp_path, build_bin, write_config):
    root = tree()
    cfg = write_config('[product]\nmodle = "X"\n')
    v = build_vars(root, str(tmp_path / "deploy"), JCSTAR_BOARD_CONFIG=cfg, JCSTAR_WARN_ONLY="1")
    r = run_function(v, build_bin)
    assert r.returncode != 0
    assert "ERROR: jcstar: the image check could not run (exit 2)" in r.stdout
    assert f"{cfg}:2:" in r.stderr and "modle" in r.stderr  # the agent's file:line message


def test_bad_warn_only_value_is_refused(tree, tmp_path, build_bin):
    v = build_vars(tree(), str(tmp_path / "deploy"), JCSTAR_WARN_ONLY="yes")
    r = run_function(v, build_bin)
    assert r.returncode != 0 and "JCSTAR_WARN_ONLY must be" in r.stdout


def test_on_the_debootstrap_rootfs(debian_rootfs, tmp_path, build_bin, write_config):
    """The real tree, read-only: a planted FAIL (the model file is /etc/debian_version) stops the
    build; warn-only goes on; the reports land in the deploy dir either way."""
    cfg = write_config(PLANTED_FAIL.format(source="/etc/debian_version"))
    for warn_only, deploy in (("0", tmp_path / "d0"), ("1", tmp_path / "d1")):
        v = build_vars(debian_rootfs, str(deploy), JCSTAR_BOARD_CONFIG=cfg,
                       JCSTAR_WARN_ONLY=warn_only)
        r = run_function(v, build_bin)
        assert (r.returncode == 0) == (warn_only == "1"), r.stdout + r.stderr
        report = read_report(deployed(str(deploy), v["IMAGE_NAME"] + ".jcstar.json"))
        assert report["target"]["mode"] == "offline" and report["target"]["root"] == debian_rootfs
        assert verdict(report, "S1.1-10")["verdict"] == "fail"
        assert os.path.getsize(deployed(str(deploy), v["IMAGE_NAME"] + ".jcstar.junit.xml")) > 0
