#!/bin/sh
# Buildroot post-build script (BR2_ROOTFS_POST_BUILD_SCRIPT), run on $(TARGET_DIR) before the
# filesystem images are made:
#  1. installs the board config as /etc/jcstar-agent/board.toml when the agent is in the image
#     (the declaration the device's boot-time attestation uses is the one the build checked);
#  2. runs a preview check into $(BUILD_DIR)/jcstar-agent/post-build.json: a board config the
#     agent rejects stops the build here, early. Verdicts do not: file owners and modes are only
#     final under fakeroot, so the deciding check is post-fakeroot.sh.
# Options (in BR2_ROOTFS_POST_SCRIPT_ARGS): see jcstar-lib.sh.
set -u
. "$(dirname "$0")/jcstar-lib.sh"
jcstar_parse "$@"

cfg=$(jcstar_config_file)
if [ -n "$cfg" ] && [ -x "$JCSTAR_TARGET/usr/bin/jcstar-agent" ]; then
	mkdir -p "$JCSTAR_TARGET/etc/jcstar-agent" || exit 1
	cp "$cfg" "$JCSTAR_TARGET/etc/jcstar-agent/board.toml" || exit 1
	chmod 0644 "$JCSTAR_TARGET/etc/jcstar-agent/board.toml"
	echo "jcstar: installed $cfg as /etc/jcstar-agent/board.toml"
fi

out="${BUILD_DIR:-${BASE_DIR:-.}/build}/jcstar-agent/post-build"
rc=0
msg=$(jcstar_check "$out") || rc=$?
case "$rc" in
0|1) echo "$msg (preview: the post-fakeroot check decides)" ;;
*) echo "ERROR: $msg" >&2; exit 1 ;;
esac
exit 0
