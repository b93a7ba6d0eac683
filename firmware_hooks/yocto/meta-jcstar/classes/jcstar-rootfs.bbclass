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
# The shell function below is plain POSIX sh that only reads these variables: it also runs
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

# Kirkstone's oe-core splits this list on ";"; later releases split on spaces and deprecate ";".
ROOTFS_POSTPROCESS_COMMAND += "${@'jcstar_rootfs_check;' if 'kirkstone' in (d.getVar('LAYERSERIES_CORENAMES') or '').split() else 'jcstar_rootfs_check'}"

do_rootfs[depends] += "jcstar-agent-native:do_populate_sysroot"
# A changed declaration re-runs the check.
do_rootfs[file-checksums] += "${@'%s:True' % d.getVar('JCSTAR_BOARD_CONFIG') if d.getVar('JCSTAR_BOARD_CONFIG') else ''}"
