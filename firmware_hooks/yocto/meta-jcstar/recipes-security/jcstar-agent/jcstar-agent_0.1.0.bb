SUMMARY = "JC-STAR ★1 checks and signed attestations for Linux IoT devices"
DESCRIPTION = "jcstar-agent checks the device (or an image root filesystem at build time) \
against the 16 JC-STAR ★1 criteria and the vendor's board declaration, and emits a report \
and a signed attestation (in-toto statement in a DSSE envelope)."
HOMEPAGE = "https://github.com/jcstar-agent/jcstar-agent"
SECTION = "security"
LICENSE = "Apache-2.0"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/Apache-2.0;md5=89aea4e17d99a7cacdbeed46a0096b10"

# The layer sits in the agent's source tree; build that tree (no fetch). To build a release
# instead, a bbappend sets SRC_URI (git or a tarball) and clears EXTERNALSRC.
JCSTAR_AGENT_SRCDIR ?= "${JCSTAR_AGENT_LAYER_SRCDIR}"
EXTERNALSRC = "${JCSTAR_AGENT_SRCDIR}"
EXTERNALSRC_BUILD = "${WORKDIR}/build"

inherit externalsrc setuptools3 systemd

# Python < 3.11 (kirkstone: 3.10) reads TOML with tomli; later ones have tomllib.
JCSTAR_TOML = "${@'python3-tomli' if bb.utils.vercmp_string_op(d.getVar('PYTHON_BASEVERSION'), '3.11', '<') else 'python3-tomllib'}"

# Exactly the modules the device code imports (tests/hooks/test_hooks_yocto.py keeps this list in
# step with jcstar_agent/): the third-party ones, then oe-core's python3 splits of the standard library
# (each split pulls its own dependencies). The evidence store (jcstar_agent/store) is host-side and the
# optional SSH brute-force probe (paramiko) is an extra: neither is needed here.
RDEPENDS:${PN} = "\
    python3-psutil \
    python3-cryptography \
    python3-pyserial \
    ${JCSTAR_TOML} \
    python3-asyncio \
    python3-compression \
    python3-core \
    python3-crypt \
    python3-ctypes \
    python3-datetime \
    python3-difflib \
    python3-html \
    python3-io \
    python3-json \
    python3-logging \
    python3-netclient \
    python3-resource \
    python3-shell \
    python3-xml \
"
# On the build host (jcstar-rootfs.bbclass) only `check --root` runs: the interpreter, the TOML
# reader and psutil.
RDEPENDS:${PN}:class-native = "python3-native python3-psutil-native ${@d.getVar('JCSTAR_TOML').replace('python3-tomllib', '')}"

# The device side: /etc/jcstar-agent/board.toml (the declaration the boot-time attestation
# uses) when JCSTAR_BOARD_CONFIG is set, and the systemd units: the timer (enabled) starts the
# oneshot attest service after boot and daily; jcstar-agent-serial@.service answers attestation
# requests on a serial line (enable an instance per port, e.g. jcstar-agent-serial@ttyS0).
JCSTAR_BOARD_CONFIG ?= ""
SYSTEMD_SERVICE:${PN} = "jcstar-agent-attest.timer"
SYSTEMD_AUTO_ENABLE:${PN} = "enable"

do_install:append:class-target () {
	install -d -m 0755 ${D}${sysconfdir}/jcstar-agent
	if [ -n "${JCSTAR_BOARD_CONFIG}" ]; then
		install -m 0644 "${JCSTAR_BOARD_CONFIG}" ${D}${sysconfdir}/jcstar-agent/board.toml
	fi
	if ${@bb.utils.contains('DISTRO_FEATURES', 'systemd', 'true', 'false', d)}; then
		install -d ${D}${systemd_system_unitdir}
		install -m 0644 ${S}/firmware_hooks/systemd/jcstar-agent-attest.service \
			${S}/firmware_hooks/systemd/jcstar-agent-attest.timer \
			${S}/firmware_hooks/systemd/jcstar-agent-serial@.service \
			${D}${systemd_system_unitdir}/
	fi
}

# The build host gets the shared image-check script beside the agent.
do_install:append:class-native () {
	install -d ${D}${bindir}
	install -m 0755 ${S}/firmware_hooks/common/jcstar-image-check ${D}${bindir}/jcstar-image-check
}

do_install[file-checksums] += "${@'%s:True' % d.getVar('JCSTAR_BOARD_CONFIG') if d.getVar('JCSTAR_BOARD_CONFIG') else ''}"

FILES:${PN} += "${sysconfdir}/jcstar-agent ${systemd_system_unitdir}"
CONFFILES:${PN} = "${@'${sysconfdir}/jcstar-agent/board.toml' if d.getVar('JCSTAR_BOARD_CONFIG') else ''}"

BBCLASSEXTEND = "native"
