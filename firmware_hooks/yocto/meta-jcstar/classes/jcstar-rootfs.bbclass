# jcstar-rootfs.bbclass — check the image root filesystem against the JC-STAR ★1 criteria at
# build time, write the reports next to the image, and fail the build on a FAIL.
#
# In the image recipe (or INHERIT += "jcstar-rootfs" in local.conf / the distro conf):
#
#   inherit jcstar-rootfs
#   JCSTAR_BOARD_CONFIG = "${LAYERDIR_acme}/files/jcstar/board.toml"   # the declaration
#   JCSTAR_WARN_ONLY = "1"            # only warn on fail/error verdicts (default: fail the build)
#
# The check runs from ROOTFS_POSTPROCESS_COMMAND, i.e. inside do_rootfs under pseudo, so file
# ownership and modes are those of the image. Reports (in IMGDEPLOYDIR, then deployed to
# DEPLOY_DIR_IMAGE beside the image):
#   ${IMAGE_NAME}.jcstar.json, ${IMAGE_NAME}.jcstar.junit.xml   (+ .txt with "text")
#   ${IMAGE_LINK_NAME}.jcstar.json ...                            (symlinks, stable names)
#
# With JCSTAR_BOOT = "1", the task do_jcstar_boot_check (after do_image_complete, as the build
# user: bitbake refuses root, and outside pseudo) also boots the image file the build made
# (${IMAGE_LINK_NAME}.tar.*, .ext4, .ext2 or .squashfs in DEPLOY_DIR_IMAGE, where do_image_complete
# moved IMGDEPLOYDIR) in the agent's sandbox (`check --image FILE --boot`) and judges the listeners
# it really opens. The file has the image's real owners, so daemons that drop privileges start as
# on the device. Reports ${IMAGE_NAME}.jcstar-boot.json … beside the image. The same gate: a fail
# or error verdict fails the build unless JCSTAR_WARN_ONLY = "1"; a boot that cannot run on this
# host (no subordinate ids for the build user, user namespaces off, a systemd image without a
# delegated cgroup v2 subtree) fails it with the agent's one-line reason.
#
# The shell functions below are plain POSIX sh that only reads these variables: it also runs
# outside bitbake, sourced with the variables a build sets (that is how it is tested).

# The board config (TOML) of the product; or the name of one shipped with the agent
# (board_configs/: raspberrypi-4, generic-yocto ...). Empty: nothing declared.
JCSTAR_BOARD_CONFIG ?= ""
JCSTAR_BOARD ?= ""
# "1": a fail or error verdict is a build warning, not a build failure. A check that cannot
# run at all (invalid board config, agent missing) fails the build either way.
JCSTAR_WARN_ONLY ?= "0"
# Report formats besides JSON (which is always written): junit, text.
JCSTAR_REPORT_FORMATS ?= "json junit"
# Extra options of `jcstar-agent check` (e.g. "--vulndb ${TOPDIR}/osv.json").
JCSTAR_CHECK_ARGS ?= ""
# The agent and the shared image-check script, from jcstar-agent-native's sysroot.
JCSTAR_AGENT ?= "jcstar-agent"
JCSTAR_IMAGE_CHECK ?= "jcstar-image-check"
JCSTAR_REPORT_NAME ?= "${IMAGE_NAME}.jcstar"
JCSTAR_REPORT_LINK_NAME ?= "${IMAGE_LINK_NAME}.jcstar"
# "1": boot the image file in the agent's sandbox after do_image_complete (do_jcstar_boot_check).
JCSTAR_BOOT ?= "0"
# The image file to boot; empty: the first of ${IMAGE_LINK_NAME}.tar, .tar.gz, .tar.xz,
# .tar.bz2, .tar.zst, .ext4, .ext2, .squashfs in JCSTAR_BOOT_DIR.
JCSTAR_BOOT_IMAGE ?= ""
JCSTAR_BOOT_DIR ?= "${DEPLOY_DIR_IMAGE}"
# More `check` options for the boot (e.g. "--boot-timeout 120"); JCSTAR_CHECK_ARGS apply too.
JCSTAR_BOOT_ARGS ?= ""
JCSTAR_BOOT_REPORT_NAME ?= "${IMAGE_NAME}.jcstar-boot"
JCSTAR_BOOT_REPORT_LINK_NAME ?= "${IMAGE_LINK_NAME}.jcstar-boot"

jcstar_rootfs_check () {
	jcstar_rc=0
	if [ "${JCSTAR_WARN_ONLY}" != "1" ] && [ "${JCSTAR_WARN_ONLY}" != "0" ] && [ -n "${JCSTAR_WARN_ONLY}" ]; then
		bbfatal "JCSTAR_WARN_ONLY must be \"0\" or \"1\", not \"${JCSTAR_WARN_ONLY}\""
	fi
	if [ -n "${JCSTAR_BOARD_CONFIG}" ]; then
		set -- --config "${JCSTAR_BOARD_CONFIG}"
	elif [ -n "${JCSTAR_BOARD}" ]; then
		set -- --board "${JCSTAR_BOARD}"
	else
		set --
		bbnote "jcstar: no JCSTAR_BOARD_CONFIG: checking ${IMAGE_ROOTFS} with nothing declared"
	fi
	if [ -n "${JCSTAR_REPORT_LINK_NAME}" ] && [ "${JCSTAR_REPORT_LINK_NAME}" != "${JCSTAR_REPORT_NAME}" ]; then
		set -- "$@" --link "${IMGDEPLOYDIR}/${JCSTAR_REPORT_LINK_NAME}"
	fi
	jcstar_msg=$(${JCSTAR_IMAGE_CHECK} --root "${IMAGE_ROOTFS}" \
		--output "${IMGDEPLOYDIR}/${JCSTAR_REPORT_NAME}" \
		--formats "${JCSTAR_REPORT_FORMATS}" --agent "${JCSTAR_AGENT}" "$@" \
		-- ${JCSTAR_CHECK_ARGS}) || jcstar_rc=$?
	case "$jcstar_rc" in
	0) bbnote "$jcstar_msg" ;;
	1)
		if [ "${JCSTAR_WARN_ONLY}" = "1" ]; then
			bbwarn "$jcstar_msg (JCSTAR_WARN_ONLY = \"1\": not failing the build)"
		else
			bbfatal "$jcstar_msg (set JCSTAR_WARN_ONLY = \"1\" to only warn)"
		fi
		;;
	*) bbfatal "jcstar: the image check could not run (exit $jcstar_rc): $jcstar_msg (see log.do_rootfs)" ;;
	esac
}

jcstar_boot_check () {
	jcstar_rc=0
	if [ "${JCSTAR_WARN_ONLY}" != "1" ] && [ "${JCSTAR_WARN_ONLY}" != "0" ] && [ -n "${JCSTAR_WARN_ONLY}" ]; then
		bbfatal "JCSTAR_WARN_ONLY must be \"0\" or \"1\", not \"${JCSTAR_WARN_ONLY}\""
	fi
	jcstar_image="${JCSTAR_BOOT_IMAGE}"
	if [ -z "$jcstar_image" ]; then
		for jcstar_ext in tar tar.gz tar.xz tar.bz2 tar.zst ext4 ext2 squashfs; do
			if [ -f "${JCSTAR_BOOT_DIR}/${IMAGE_LINK_NAME}.$jcstar_ext" ]; then
				jcstar_image="${JCSTAR_BOOT_DIR}/${IMAGE_LINK_NAME}.$jcstar_ext"
				break
			fi
		done
	fi
	if [ -z "$jcstar_image" ] || [ ! -f "$jcstar_image" ]; then
		bbfatal "jcstar: no image file to boot: add tar, ext4 or squashfs to IMAGE_FSTYPES (looked for ${IMAGE_LINK_NAME}.tar*, .ext4, .ext2, .squashfs in ${JCSTAR_BOOT_DIR}), or set JCSTAR_BOOT_IMAGE"
	fi
	if [ -n "${JCSTAR_BOARD_CONFIG}" ]; then
		set -- --config "${JCSTAR_BOARD_CONFIG}"
	elif [ -n "${JCSTAR_BOARD}" ]; then
		set -- --board "${JCSTAR_BOARD}"
	else
		set --
	fi
	if [ -n "${JCSTAR_BOOT_REPORT_LINK_NAME}" ] && [ "${JCSTAR_BOOT_REPORT_LINK_NAME}" != "${JCSTAR_BOOT_REPORT_NAME}" ]; then
		set -- "$@" --link "${JCSTAR_BOOT_DIR}/${JCSTAR_BOOT_REPORT_LINK_NAME}"
	fi
	jcstar_msg=$(${JCSTAR_IMAGE_CHECK} --image "$jcstar_image" \
		--output "${JCSTAR_BOOT_DIR}/${JCSTAR_BOOT_REPORT_NAME}" \
		--formats "${JCSTAR_REPORT_FORMATS}" --agent "${JCSTAR_AGENT}" "$@" \
		-- --boot ${JCSTAR_BOOT_ARGS} ${JCSTAR_CHECK_ARGS}) || jcstar_rc=$?
	case "$jcstar_rc" in
	0) bbnote "$jcstar_msg" ;;
	1)
		if [ "${JCSTAR_WARN_ONLY}" = "1" ]; then
			bbwarn "$jcstar_msg (JCSTAR_WARN_ONLY = \"1\": not failing the build)"
		else
			bbfatal "$jcstar_msg (set JCSTAR_WARN_ONLY = \"1\" to only warn)"
		fi
		;;
	*) bbfatal "jcstar: the boot check could not run (exit $jcstar_rc): $jcstar_msg" ;;
	esac
}

do_jcstar_boot_check () {
	jcstar_boot_check
}
do_jcstar_boot_check[depends] += "jcstar-agent-native:do_populate_sysroot"
do_jcstar_boot_check[file-checksums] += "${@'%s:True' % d.getVar('JCSTAR_BOARD_CONFIG') if d.getVar('JCSTAR_BOARD_CONFIG') else ''}"
python () {
    if d.getVar('JCSTAR_BOOT') == '1':
        bb.build.addtask('do_jcstar_boot_check', 'do_build', 'do_image_complete', d)
    elif (d.getVar('JCSTAR_BOOT') or '0') != '0':
        bb.fatal('JCSTAR_BOOT must be "0" or "1", not "%s"' % d.getVar('JCSTAR_BOOT'))
}

# Kirkstone's oe-core splits this list on ";"; later releases split on spaces and deprecate ";".
ROOTFS_POSTPROCESS_COMMAND += "${@'jcstar_rootfs_check;' if 'kirkstone' in (d.getVar('LAYERSERIES_CORENAMES') or '').split() else 'jcstar_rootfs_check'}"

do_rootfs[depends] += "jcstar-agent-native:do_populate_sysroot"
# A changed declaration re-runs the check.
do_rootfs[file-checksums] += "${@'%s:True' % d.getVar('JCSTAR_BOARD_CONFIG') if d.getVar('JCSTAR_BOARD_CONFIG') else ''}"
