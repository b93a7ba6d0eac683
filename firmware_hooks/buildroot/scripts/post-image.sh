#!/bin/sh
# Buildroot post-image script (BR2_ROOTFS_POST_IMAGE_SCRIPT): boots the root filesystem image the
# build made, as the build user (Buildroot runs post-image scripts outside fakeroot), in the
# agent's sandbox (`check --image FILE --boot`): the image's own init (BusyBox inittab, SysV or
# systemd) starts, and the listeners it really opens are judged. The image file carries the real
# owners and modes (the users and device tables), so daemons that drop privileges start as on the
# device. Reports: $(BINARIES_DIR)/jcstar-boot-report.json and .junit.xml (+ the image's sha256).
# A fail or error verdict fails the build unless --jcstar-warn-only; a boot that cannot run here
# (no subordinate ids, user namespaces off, a systemd image without a delegated cgroup v2) always
# does, with the agent's one-line reason.
# Options (in BR2_ROOTFS_POST_SCRIPT_ARGS): see jcstar-lib.sh; --jcstar-image=FILE picks the image,
# more `check` options (--boot-timeout 120) go in --jcstar-check-args.
set -u
. "$(dirname "$0")/jcstar-lib.sh"
jcstar_parse "$@"

if [ -z "${BINARIES_DIR:-}" ]; then
	BINARIES_DIR="$JCSTAR_TARGET"   # Buildroot passes it first, too
fi
image="$JCSTAR_IMAGE"
if [ -n "$image" ]; then
	case "$image" in
	/*) ;;
	*) image="$BINARIES_DIR/$image" ;;
	esac
else
	for name in rootfs.tar rootfs.tar.gz rootfs.tar.xz rootfs.tar.bz2 rootfs.tar.zst \
			rootfs.ext4 rootfs.ext2 rootfs.squashfs; do
		if [ -f "$BINARIES_DIR/$name" ]; then
			image="$BINARIES_DIR/$name"
			break
		fi
	done
fi
if [ -z "$image" ] || [ ! -f "$image" ]; then
	echo "ERROR: jcstar: no root filesystem image to boot in $BINARIES_DIR (enable BR2_TARGET_ROOTFS_TAR," \
	     "EXT2 or SQUASHFS, or name it with --jcstar-image=FILE)${image:+: $image not found}" >&2
	exit 1
fi

rc=0
msg=$(jcstar_check "$BINARIES_DIR/jcstar-boot-report" --image "$image" --boot) || rc=$?
jcstar_gate "$rc" "$msg" "boot check"
exit 0
