#!/usr/bin/env bash
# CI as a fresh machine sees it: `bash .ci/run` on a fresh clone inside a fresh Debian 12 container
# (a `debootstrap --variant=minbase bookworm` tree with python3, git and ca-certificates, nothing
# else installed, nothing cached), entered with pivot_root in mount and pid namespaces of its own
# (not chroot: the kernel makes no user namespace for a chrooted process, and --boot needs one).
#
#   sudo bash tools/ci_fresh_container.sh [WORKDIR]      (default /var/tmp/jcstar-fresh-ci)
#
# The clone is of this checkout's HEAD. The container shares the host's network (apt and PyPI are
# reached from it) and kernel (binfmt_misc, cgroups). Extra CA certificates the site's network
# needs (a TLS-inspecting proxy) are copied in from $JCSTAR_EXTRA_CA (files, space-separated).
# The log is WORKDIR/ci.log and the exit status is .ci/run's; the container tree is removed at
# the end unless JCSTAR_KEEP=1.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "run as root (debootstrap, namespaces)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }
src="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-/var/tmp/jcstar-fresh-ci}"
root="$work/root"
mirror="${JCSTAR_MIRROR:-http://deb.debian.org/debian}"
rm -rf "$root"
mkdir -p "$work"
echo "== debootstrap into $root"
debootstrap --variant=minbase --include=python3,git,ca-certificates bookworm "$root" "$mirror" \
  > "$work/debootstrap.log" 2>&1 || { tail -n 20 "$work/debootstrap.log" >&2; exit 2; }
cat > "$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
cat /etc/resolv.conf > "$root/etc/resolv.conf"
if [ -n "${JCSTAR_EXTRA_CA:-}" ]; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  for ca in $JCSTAR_EXTRA_CA; do cp "$ca" "$root/usr/local/share/ca-certificates/$(basename "$ca" .crt).crt"; done
  chroot "$root" update-ca-certificates >/dev/null
  printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' > "$root/etc/pip.conf"
fi
git clone -q "$src" "$root/root/jcstar-agent"
echo "== .ci/run in the container (log: $work/ci.log)"
rc=0
unshare --mount --pid --fork --propagation private bash -c '
  set -e
  root="$1"
  mount --bind "$root" "$root"
  mount -t proc proc "$root/proc"
  mount --rbind /sys "$root/sys"; mount --make-rslave "$root/sys"
  mount --rbind /dev "$root/dev"; mount --make-rslave "$root/dev"
  mount -t tmpfs tmpfs "$root/run"
  cd "$root"; mkdir -p .oldroot; pivot_root . .oldroot; cd /
  umount -l /.oldroot
  exec /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    LANG=C.UTF-8 CI=true /bin/bash -c "cd /root/jcstar-agent && time bash .ci/run"
' fresh-ci "$root" > "$work/ci.log" 2>&1 || rc=$?
tail -n 8 "$work/ci.log"
if [ "${JCSTAR_KEEP:-0}" != 1 ]; then rm -rf "$root"; fi
exit "$rc"
