#!/bin/sh
# Build Pagoda's disk images with e2fsprogs and util-linux (no root, no loop
# mounts). Called by mkfs/mkfs.mk; writes only the output image and its own
# staging tree. Both images are reproducible: fixed time, UUIDs, hash seed.
#
#   mkimage.sh fs OUT STAGING     root file system (ext2); reads the
#                                 environment: BIN_PROGS, TEST_PROGS (paths of
#                                 built programs), EXTRA_DIR (optional)
#   mkimage.sh swap OUT           swap disk (mkswap v1 header); reads the
#                                 environment: SWAP_SIZE (e.g. 64M, 1G;
#                                 default 64M)
set -eu

# Everything fixed, so two builds give byte-identical images.
EPOCH=1700000000                                  # 2023-11-14, file times
FS_UUID=7a6f6461-5061-676f-6461-2d726f6f7466      # "zodaPagoda-rootf"
FS_HASH_SEED=5061676f-6461-2d68-6173-682d73656564 # "Pagoda-hash-seed"
FS_LABEL=pagoda
FS_SIZE=64M
FS_BLOCK=4096
FS_INODE_SIZE=256
FS_INODES=4096
SWAP_UUID=5061676f-6461-2d73-7761-702d64697363    # "Pagoda-swap-disc"
SWAP_LABEL=pagoda-swap
SWAP_SIZE=${SWAP_SIZE:-64M}

here=$(dirname "$0")
die() { echo "mkimage: $*" >&2; exit 1; }

# Fill $staging with the tree that becomes /.
stage_tree() {
	staging=$1
	rm -rf "$staging"
	mkdir -p "$staging/bin" "$staging/etc" "$staging/home/student" \
		"$staging/tests" "$staging/extra" "$staging/tmp" "$staging/proc" \
		"$staging/dev"
	for p in ${BIN_PROGS:-}; do
		[ -f "$p" ] || die "missing program $p"
		cp "$p" "$staging/bin/"
	done
	for p in ${TEST_PROGS:-}; do
		[ -f "$p" ] || die "missing test program $p"
		cp "$p" "$staging/tests/"
	done
	cp "$here/files/motd" "$staging/etc/motd"
	cp "$here/files/README.student" "$staging/home/student/README"
	if [ -n "${EXTRA_DIR:-}" ]; then
		[ -d "$EXTRA_DIR" ] || die "EXTRA=$EXTRA_DIR is not a directory"
		cp -R "$EXTRA_DIR/." "$staging/extra/"
	fi
	# Modes and times do not depend on the builder's umask or clock.
	# Extra files keep only "executable or not" from their source.
	find "$staging" -type d -exec chmod 0755 {} +
	find "$staging" -type f ! -perm /111 -exec chmod 0644 {} +
	find "$staging" -type f -perm /111 -exec chmod 0755 {} +
	find "$staging/bin" "$staging/tests" -type f -exec chmod 0755 {} +
	chmod 1777 "$staging/tmp"
	find "$staging" -exec touch -h -d "@$EPOCH" {} +
}

# mke2fs -d copies each file's owner and change time (which touch cannot
# set) from the staging tree: give every inode the fixed time, and when a
# normal user builds, give the files to root (root_owner covers only /).
fix_inodes() {
	img=$1 staging=$2
	cmds=$(mktemp)
	(cd "$staging" && find . -mindepth 1) | while read -r f; do
		echo "sif \"/${f#./}\" ctime @$EPOCH"
		if [ "$(id -u)" -ne 0 ]; then
			echo "sif \"/${f#./}\" uid 0"
			echo "sif \"/${f#./}\" gid 0"
		fi
	done >"$cmds"
	if ! E2FSPROGS_FAKE_TIME=$EPOCH debugfs -w -f "$cmds" "$img" >"$cmds.out" 2>&1 ||
	   grep -q -e '^sif: ' -e 'not found' "$cmds.out"; then
		cat "$cmds.out" >&2
		rm -f "$cmds" "$cmds.out"
		die "debugfs could not fix the inodes of $img"
	fi
	rm -f "$cmds" "$cmds.out"
}

make_fs() {
	out=$1 staging=$2
	stage_tree "$staging"
	tmp="$out.tmp"
	rm -f "$tmp"
	E2FSPROGS_FAKE_TIME=$EPOCH MKE2FS_CONFIG="$here/mke2fs.conf" \
		mke2fs -q -t ext2 -b "$FS_BLOCK" -d "$staging" -U "$FS_UUID" \
		-E "root_owner=0:0,hash_seed=$FS_HASH_SEED" -L "$FS_LABEL" \
		-I "$FS_INODE_SIZE" -N "$FS_INODES" -F "$tmp" "$FS_SIZE" >/dev/null
	fix_inodes "$tmp" "$staging"
	e2fsck -fn "$tmp" >/dev/null 2>&1 || die "e2fsck does not accept $tmp"
	# Replace atomically: a QEMU using the old image keeps its own copy.
	mv -f "$tmp" "$out"
}

make_swap() {
	out=$1
	case $SWAP_SIZE in
	*[!0-9MG]*|''|[MG]*|*[MG]?*) die "SWAP=$SWAP_SIZE: want a size such as 64M or 1G" ;;
	*G)	SWAP_SIZE_MIB=$(( ${SWAP_SIZE%G} * 1024 )) ;;
	*M)	SWAP_SIZE_MIB=${SWAP_SIZE%M} ;;
	*)	SWAP_SIZE_MIB=$SWAP_SIZE ;;
	esac
	[ "$SWAP_SIZE_MIB" -ge 1 ] || die "SWAP=$SWAP_SIZE: too small"
	tmp="$out.tmp"
	rm -f "$tmp"
	dd if=/dev/zero of="$tmp" bs=1M count="$SWAP_SIZE_MIB" 2>/dev/null
	chmod 0600 "$tmp"
	mkswap -L "$SWAP_LABEL" -U "$SWAP_UUID" "$tmp" >/dev/null
	mv -f "$tmp" "$out"
}

[ $# -ge 2 ] || die "usage: mkimage.sh fs OUT STAGING | swap OUT"
mkdir -p "$(dirname "$2")"
case $1 in
fs)	[ $# -eq 3 ] || die "usage: mkimage.sh fs OUT STAGING"
	make_fs "$2" "$3" ;;
swap)	make_swap "$2" ;;
*)	die "unknown image kind $1" ;;
esac
