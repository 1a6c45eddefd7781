#!/bin/sh
# Unpack a QEMU from Debian's backports under DIR for the fault_4harts boot
# of `make bench` (tests/bench.mk, docs/bench.md). Nothing is installed:
# apt works on its own lists and cache under DIR, dpkg-deb -x unpacks, and
# `make qemu` and `make test` keep the system's QEMU. Writes DIR/qemu-system-riscv64
# (a wrapper) last, so it exists only when the whole unpack worked.
#
#   qemu_backport.sh DIR      exit 0: DIR/qemu-system-riscv64 runs a QEMU
#                             >= QEMU_MIN, or the system's QEMU already is
#                             one (nothing fetched); exit 1: no such QEMU
#                             (no network, no backport), with the reason
#
# The environment may give BPO_MIRROR (default http://deb.debian.org/debian)
# and BPO_SUITE (default: this system's codename, then -backports).
set -eu

DIR=${1:?usage: qemu_backport.sh DIR}
QEMU=qemu-system-riscv64
QEMU_MIN=8                       # first major release that shares -icount among harts
MIRROR=${BPO_MIRROR:-http://deb.debian.org/debian}
# The riscv binaries have a package of their own since QEMU 9; older
# backports kept them in qemu-system-misc.
PACKAGES="qemu-system-riscv qemu-system-misc"
APT_TIMEOUT=30                   # seconds a mirror may stay silent

die() { echo "qemu_backport: $*" >&2; exit 1; }

# Major version of the QEMU at $1, 0 if it does not say.
qemu_major() {
	"$@" --version 2>/dev/null | sed -n 's/.*version \([0-9]*\)\..*/\1/p' |
		head -n 1 | grep . || echo 0
}

codename() {
	. /etc/os-release 2>/dev/null || true
	echo "${VERSION_CODENAME:-bookworm}"
}

# apt-get and apt-cache on the private lists: the release and its backports
# only, no system list or cache touched.
apt_private() {
	tool=$1; shift
	"$tool" -q -o Dir::Etc::SourceList="$APT/sources.list" \
		-o Dir::Etc::SourceParts="$APT/sources.list.d" \
		-o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT/cache" \
		-o Acquire::Retries=0 \
		-o Acquire::http::Timeout=$APT_TIMEOUT \
		-o APT::Sandbox::User="$(id -un)" "$@"
}

# Download into $DEBS the first of $PACKAGES that the backports carry.
fetch_qemu() {
	for p in $PACKAGES; do
		if apt_private apt-cache show "$p/$SUITE" >/dev/null 2>&1; then
			(cd "$DEBS" && apt_private apt-get download "$p/$SUITE") \
				>/dev/null || die "cannot download $p/$SUITE"
			return 0
		fi
	done
	die "$SUITE has none of $PACKAGES"
}

# Is the dependency "name (op version)" met by what dpkg has installed?
dep_met() {
	name=$1 op=${2:-} want=${3:-}
	have=$(dpkg-query -W -f='${Status} ${Version}' "$name" 2>/dev/null |
		sed -n 's/^install ok installed //p')
	[ -n "$have" ] || return 1
	[ -z "$op" ] || dpkg --compare-versions "$have" "$op" "$want"
}

# Download the libraries the unpacked QEMU needs that this system lacks
# (from the backports if they have them, else the release). QEMU's own
# data and firmware packages are left out: the system's (same paths) serve.
fetch_libraries() {
	dpkg-deb -f "$DEBS"/*.deb Depends | tr ',' '\n' | sed 's/|.*//' |
	while read -r name op want; do
		name=${name%%:*}
		op=$(echo "$op" | tr -d '('); want=$(echo "$want" | tr -d ')')
		case $name in qemu-*|opensbi|"") continue ;; esac
		dep_met "$name" "$op" "$want" && continue
		echo "qemu_backport: also unpacking $name (not installed here)"
		(cd "$DEBS" && apt_private apt-get download -t "$SUITE" "$name") \
			>/dev/null || die "cannot download $name"
	done
}

# The wrapper: the unpacked libraries first, and no audio driver (the
# system's QEMU modules are of another build and must not be loaded).
write_wrapper() {
	root=$(cd "$DIR/root" && pwd)
	libs=$(find "$root" -name '*.so*' -printf '%h\n' | sort -u |
		paste -s -d :)
	{
		echo '#!/bin/sh'
		echo "# Written by tools/qemu_backport.sh: QEMU from $SUITE, unpacked, not installed."
		[ -z "$libs" ] || echo "export LD_LIBRARY_PATH=$libs\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
		echo "exec $root/usr/bin/$QEMU -audio none \"\$@\""
	} > "$DIR/$QEMU.new"
	chmod +x "$DIR/$QEMU.new"
	major=$(qemu_major "$DIR/$QEMU.new")
	[ "$major" -ge $QEMU_MIN ] || die "unpacked QEMU does not run (version '$major')"
	mv "$DIR/$QEMU.new" "$DIR/$QEMU"
	echo "qemu_backport: $("$DIR/$QEMU" --version | head -n 1) in $DIR"
}

major=$(qemu_major $QEMU)
if [ "$major" -ge $QEMU_MIN ]; then
	echo "qemu_backport: the system's QEMU $major runs harts under -icount; nothing to fetch"
	exit 0
fi
SUITE=$(codename)-backports
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
APT=$DIR/apt
DEBS=$DIR/debs
rm -rf "$APT" "$DEBS" "$DIR/root"
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" \
	"$APT/sources.list.d" "$DEBS" "$DIR/root"
printf 'deb %s %s main\ndeb %s %s main\n' "$MIRROR" "$(codename)" \
	"$MIRROR" "$SUITE" > "$APT/sources.list"
echo "qemu_backport: the system's QEMU is $major; fetching one from $SUITE ($MIRROR)"
apt_private apt-get --error-on=any update >/dev/null 2>&1 ||
	die "apt-get update from $MIRROR failed (no network?)"
fetch_qemu
fetch_libraries
for deb in "$DEBS"/*.deb; do
	dpkg-deb -x "$deb" "$DIR/root"
done
write_wrapper
rm -rf "$APT"
