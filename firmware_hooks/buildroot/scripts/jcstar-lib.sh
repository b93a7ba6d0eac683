# jcstar-lib.sh: what post-build.sh, post-fakeroot.sh and post-image.sh share (sourced; POSIX sh).
#
# They get a folder first (the target folder; post-image.sh: the images folder), then BR2_ROOTFS_POST_SCRIPT_ARGS, which Buildroot passes to
# EVERY post-build, post-fakeroot and post-image script: options that are not ours are skipped.
#   --jcstar-config=FILE   the product's board config (TOML)
#   --jcstar-board=NAME    or a board config shipped with the agent (board_configs/NAME.toml)
#   --jcstar-warn-only     a fail or error verdict warns instead of failing the build
#   --jcstar-formats=LIST  report formats besides json: "junit" (default), "junit text" ...
#   --jcstar-check-args="OPTS"  more `jcstar-agent check` options, e.g. "--vulndb /x/osv.json
#                          --erase-test" (split on spaces, like Yocto's JCSTAR_CHECK_ARGS)
#   --jcstar-image=FILE    post-image.sh: the image file to boot (default: the first of
#                          rootfs.tar[.gz|.xz|.bz2|.zst], rootfs.ext4, rootfs.ext2, rootfs.squashfs
#                          in BINARIES_DIR); a relative name is taken in BINARIES_DIR
# The same settings may come from the environment: JCSTAR_CONFIG, JCSTAR_BOARD,
# JCSTAR_WARN_ONLY=1, JCSTAR_FORMATS, JCSTAR_CHECK_ARGS, JCSTAR_IMAGE, JCSTAR_AGENT (the agent
# command line).

JCSTAR_HOOKS=$(cd "$(dirname "$0")/../.." && pwd)   # firmware_hooks/ of the agent's tree
JCSTAR_SRC=$(cd "$JCSTAR_HOOKS/.." && pwd)

jcstar_parse() {
	JCSTAR_TARGET="${1:-}"
	[ $# -gt 0 ] && shift
	JCSTAR_CONFIG="${JCSTAR_CONFIG:-}" JCSTAR_BOARD="${JCSTAR_BOARD:-}"
	JCSTAR_WARN_ONLY="${JCSTAR_WARN_ONLY:-0}" JCSTAR_FORMATS="${JCSTAR_FORMATS:-junit}"
	JCSTAR_CHECK_ARGS="${JCSTAR_CHECK_ARGS:-}" JCSTAR_IMAGE="${JCSTAR_IMAGE:-}"
	while [ $# -gt 0 ]; do
		case "$1" in
		--jcstar-config=*) JCSTAR_CONFIG="${1#*=}" ;;
		--jcstar-board=*) JCSTAR_BOARD="${1#*=}" ;;
		--jcstar-formats=*) JCSTAR_FORMATS="${1#*=}" ;;
		--jcstar-check-args=*) JCSTAR_CHECK_ARGS="${1#*=}" ;;
		--jcstar-image=*) JCSTAR_IMAGE="${1#*=}" ;;
		--jcstar-warn-only) JCSTAR_WARN_ONLY=1 ;;
		--jcstar-config|--jcstar-board|--jcstar-formats)
			[ $# -ge 2 ] || { echo "jcstar: $1 needs a value" >&2; exit 2; }
			case "$1" in
			--jcstar-config) JCSTAR_CONFIG="$2" ;;
			--jcstar-board) JCSTAR_BOARD="$2" ;;
			*) JCSTAR_FORMATS="$2" ;;
			esac
			shift ;;
		--jcstar-*) echo "jcstar: unknown option $1" >&2; exit 2 ;;
		*) ;;  # another script's argument
		esac
		shift
	done
	if [ -z "$JCSTAR_TARGET" ] || [ ! -d "$JCSTAR_TARGET" ]; then
		echo "jcstar: the first argument must be the target folder, not '$JCSTAR_TARGET'" >&2
		exit 2
	fi
	# Relative config paths are relative to Buildroot's top folder, where make runs.
	if [ -n "$JCSTAR_CONFIG" ] && [ ! -f "$JCSTAR_CONFIG" ]; then
		echo "jcstar: board config $JCSTAR_CONFIG not found" >&2
		exit 2
	fi
	if [ -z "${JCSTAR_AGENT:-}" ] && [ -n "${HOST_DIR:-}" ] && [ -x "$HOST_DIR/bin/jcstar-agent" ]; then
		JCSTAR_AGENT="$HOST_DIR/bin/jcstar-agent"   # host-python-jcstar-agent
	fi
	export JCSTAR_AGENT
}

# The board config file in effect ('' when none is declared).
jcstar_config_file() {
	if [ -n "$JCSTAR_CONFIG" ]; then
		echo "$JCSTAR_CONFIG"
	elif [ -n "$JCSTAR_BOARD" ]; then
		echo "$JCSTAR_SRC/board_configs/$JCSTAR_BOARD.toml"
	fi
}

# jcstar_check PREFIX [--root DIR | --image FILE] [CHECK OPTIONS...]: check $JCSTAR_TARGET (or
# what the second and third arguments name), reports at PREFIX.json (+ formats); prints the
# summary line; exit status of jcstar-image-check (0 pass, 1 fail/error, 2 could not run).
jcstar_check() {
	prefix="$1" what="--root" where="$JCSTAR_TARGET"
	shift
	if [ $# -ge 2 ]; then
		what="$1" where="$2"
		shift 2
	fi
	cfg=$(jcstar_config_file)
	# shellcheck disable=SC2086 # JCSTAR_CHECK_ARGS is a list of options on purpose
	if [ -n "$cfg" ]; then
		"$JCSTAR_HOOKS/common/jcstar-image-check" "$what" "$where" --output "$prefix" \
			--formats "json $JCSTAR_FORMATS" --config "$cfg" -- "$@" $JCSTAR_CHECK_ARGS
	else
		"$JCSTAR_HOOKS/common/jcstar-image-check" "$what" "$where" --output "$prefix" \
			--formats "json $JCSTAR_FORMATS" -- "$@" $JCSTAR_CHECK_ARGS
	fi
}

# jcstar_gate RC MSG WHAT: the build's decision on a jcstar_check result (RC, its summary MSG):
# 0 says it; 1 fails the build unless --jcstar-warn-only (then a warning); anything else (the
# check could not run: WHAT names which check) always fails it. Returns 0 or exits 1.
jcstar_gate() {
	case "$1" in
	0) echo "$2" ;;
	1)
		if [ "$JCSTAR_WARN_ONLY" = "1" ]; then
			echo "WARNING: $2 (--jcstar-warn-only: not failing the build)" >&2
		else
			echo "ERROR: $2 (add --jcstar-warn-only to BR2_ROOTFS_POST_SCRIPT_ARGS to only warn)" >&2
			exit 1
		fi
		;;
	*) echo "ERROR: jcstar: the $3 could not run: $2" >&2; exit 1 ;;
	esac
}
