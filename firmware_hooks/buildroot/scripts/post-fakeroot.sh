#!/bin/sh
# Buildroot post-fakeroot script (BR2_ROOTFS_POST_FAKEROOT_SCRIPT): runs under fakeroot, after
# the users and device tables gave the files their final owners and modes, once per filesystem
# image (on that image's copy of the target). Checks it and writes the reports next to the
# images: $(BINARIES_DIR)/jcstar-report.json and jcstar-report.junit.xml. A fail or error
# verdict fails the build unless --jcstar-warn-only; a check that cannot run always does.
# Options (in BR2_ROOTFS_POST_SCRIPT_ARGS): see jcstar-lib.sh.
set -u
. "$(dirname "$0")/jcstar-lib.sh"
jcstar_parse "$@"

if [ -z "${BINARIES_DIR:-}" ]; then
	echo "ERROR: jcstar: BINARIES_DIR is not set (Buildroot sets it for post-fakeroot scripts)" >&2
	exit 1
fi
rc=0
msg=$(jcstar_check "$BINARIES_DIR/jcstar-report") || rc=$?
jcstar_gate "$rc" "$msg" "image check"
exit 0
