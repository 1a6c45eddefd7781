/*
 * Host test of ext2, the buffer cache and the page cache: mke2fs -d builds
 * an image, the kernel's ext2.c reads and writes it through bcache.c
 * (metadata), vnode_pager.c and object.c (file data) and a blk_rw that is
 * pread/pwrite on the image, and e2fsck -fn must find it clean. Drives
 * ext2 through its vnode_ops with a tiny vnode cache of its own; frames
 * come from the host heap, filled with a poison byte so a page the pager
 * does not fill whole shows.
 */
#include "tests/host/test_ext2_harness.h"

#define BIG_SIZE   300000       /* past the single-indirect range of 1 KiB blocks */
#define NEW_SIZE   1200000
#define HOLE_OFF   (5 << 20)
#define MANY       200
#define LOTS       300
#define TAIL_SIZE  5000
#define TAIL_CUT   100
#define TAIL_GROW  9000
#define SYNC_SIZE  10000
#define FILL_CHUNK (64 << 10)

static char workdir[64] = "/tmp/pagoda-ext2-XXXXXX";

static void write_host_file(const char *path, size_t n, int seed)
{
	uint8_t *buf = malloc(n);
	FILE *f = fopen(path, "wb");
	fill(buf, n, seed);
	fwrite(buf, 1, n, f);
	fclose(f);
	free(buf);
}

/* Staging tree for mke2fs -d. */
static void make_staging(const char *dir)
{
	char path[256];
	run("mkdir -p %s/sub/dir2 %s/many", dir, dir);
	snprintf(path, sizeof(path), "%s/hello.txt", dir);
	FILE *f = fopen(path, "w");
	fputs("hello, pagoda\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/big.bin", dir);
	write_host_file(path, BIG_SIZE, 1);
	snprintf(path, sizeof(path), "%s/sub/dir2/deep.txt", dir);
	write_host_file(path, 100, 2);
	for (int i = 0; i < MANY; i++) {
		snprintf(path, sizeof(path), "%s/many/file-with-a-long-name-%03d", dir, i);
		write_host_file(path, 10, i);
	}
}

/* ---------------- the tests ---------------- */

static void test_read(struct vnode *root)
{
	char buf[64] = { 0 };
	struct vnode *vn = tv_lookup(root, "hello.txt");
	tap_ok(vn != NULL && tv_rw(vn, buf, 0, sizeof(buf), false) == 14 &&
	       strcmp(buf, "hello, pagoda\n") == 0, "read hello.txt");
	tv_put(vn);
	uint8_t *big = malloc(BIG_SIZE + 10);
	vn = tv_lookup(root, "big.bin");
	tap_ok(vn != NULL && vn->size == BIG_SIZE &&
	       tv_rw(vn, big, 0, BIG_SIZE + 10, false) == BIG_SIZE &&
	       check(big, BIG_SIZE, 1), "read big.bin through indirect blocks");
	tap_ok(tv_rw(vn, big, 12345, 1000, false) == 1000 && big[0] == pattern(12345, 1),
	       "read at an offset");
	tv_put(vn);
	free(big);
	vn = tv_walk(root, "sub/dir2/deep.txt");
	tap_ok(vn != NULL && vn->type == VREG && vn->size == 100, "walk sub/dir2/deep.txt");
	tv_put(vn);
	vn = tv_lookup(root, "many");
	tap_ok(vn != NULL && tv_count(vn) == MANY + 2, "readdir of a multi-block directory");
	tv_put(vn);
}

static void test_write(struct vnode *root)
{
	struct vnode *vn;
	uint8_t *buf = malloc(NEW_SIZE), *back = malloc(NEW_SIZE);
	uint32_t free0 = super_free_blocks();
	tap_ok(tv_create(root, "new.bin", S_IFREG | 0644, &vn) == 0 && vn != NULL, "create");
	struct vnode *again = tv_lookup(root, "new.bin");
	tap_ok(again == vn, "the name finds the same vnode");
	tv_put(again);
	fill(buf, NEW_SIZE, 3);
	tap_ok(tv_rw(vn, buf, 0, NEW_SIZE, true) == NEW_SIZE && vn->size == NEW_SIZE,
	       "write 1.2 MB");
	memset(back, 0, NEW_SIZE);
	tap_ok(tv_rw(vn, back, 0, NEW_SIZE, false) == NEW_SIZE && check(back, NEW_SIZE, 3),
	       "read it back");
	tap_ok(tv_truncate(vn, 100000) == 0 && vn->size == 100000 &&
	       tv_rw(vn, back, 0, NEW_SIZE, false) == 100000 && check(back, 100000, 3),
	       "truncate to 100000");
	tap_ok(tv_truncate(vn, 200000) == 0 && tv_rw(vn, back, 100000, 1000, false) == 1000 &&
	       back[0] == 0 && back[999] == 0, "grow leaves zeroes");
	tap_ok(tv_rw(vn, buf, HOLE_OFF, 5000, true) == 5000 && vn->size == HOLE_OFF + 5000 &&
	       tv_rw(vn, back, HOLE_OFF - 100, 200, false) == 200 && back[0] == 0 &&
	       back[100] == buf[0], "sparse write past a hole");
	tap_ok(tv_truncate(vn, 0) == 0 && vn->size == 0, "truncate to 0");
	tv_put(vn);
	tap_ok(tv_unlink(root, "new.bin") == 0 && tv_lookup(root, "new.bin") == NULL, "unlink");
	ext2_check(&test_mnt);
	test_mnt.ops->sync(&test_mnt);
	tap_ok(super_free_blocks() == free0, "free blocks back to %u (now %u)", free0,
	       super_free_blocks());
	free(buf);
	free(back);
}

static void test_dirs(struct vnode *root)
{
	char name[64];
	struct vnode *lots, *a, *b;
	uint32_t root_links = root->nlink;
	tap_ok(tv_create(root, "lots", S_IFDIR | 0755, &lots) == 0 && lots->nlink == 2 &&
	       root->nlink == root_links + 1, "mkdir counts links");
	for (int i = 0; i < LOTS; i++) {
		snprintf(name, sizeof(name), "entry-number-%04d-with-padding", i);
		if (tv_create(lots, name, S_IFREG | 0600, NULL) < 0)
			break;
	}
	tap_ok(tv_count(lots) == LOTS + 2, "%d entries over several blocks", LOTS);
	for (int i = 0; i < LOTS; i += 2) {
		snprintf(name, sizeof(name), "entry-number-%04d-with-padding", i);
		tv_unlink(lots, name);
	}
	tap_ok(tv_count(lots) == LOTS / 2 + 2, "half unlinked");
	tap_ok(tv_unlink(root, "lots") == -ENOTEMPTY, "rmdir of a non-empty directory");
	for (int i = 1; i < LOTS; i += 2) {
		snprintf(name, sizeof(name), "entry-number-%04d-with-padding", i);
		tv_unlink(lots, name);
	}
	tv_put(lots);
	tap_ok(tv_unlink(root, "lots") == 0 && root->nlink == root_links, "rmdir");

	tv_create(root, "a", S_IFDIR | 0755, &a);
	tv_create(a, "b", S_IFDIR | 0755, &b);
	tv_create(b, "c", S_IFDIR | 0755, NULL);
	tv_create(b, "file", S_IFREG | 0644, NULL);
	tap_ok(tv_rename(a, "b", root, "b2") == 0 && a->nlink == 2 &&
	       root->nlink == root_links + 2, "rename a directory across directories");
	struct vnode *up = tv_lookup(b, "..");
	tap_ok(up == root, "its .. now names the root");
	tv_put(up);
	tv_create(b, "other", S_IFREG | 0644, NULL);
	tap_ok(tv_rename(b, "other", b, "file") == 0 && tv_count(b) == 4,
	       "rename over an existing file");
	tap_ok(tv_rename(b, "c", root, "a") == 0 && a->nlink == 0 &&
	       root->nlink == root_links + 2 && b->nlink == 2,
	       "rename a directory over an empty one");
	tv_put(a);
	tv_put(b);
	struct vnode *hello = tv_lookup(root, "hello.txt");
	tap_ok(tv_link(root, "hello2", hello) == 0 && hello->nlink == 2, "link");
	tv_put(hello);
	tap_ok(tv_unlink(root, "hello.txt") == 0, "unlink one name");
	hello = tv_lookup(root, "hello2");
	tap_ok(hello != NULL && hello->nlink == 1 && hello->size == 14, "the other stays");
	tv_put(hello);
}

static void test_open_unlinked(struct vnode *root)
{
	struct vnode *vn;
	uint8_t buf[3000];
	fill(buf, sizeof(buf), 9);
	tv_create(root, "tmpfile", S_IFREG | 0600, &vn);
	tv_unlink(root, "tmpfile");
	tap_ok(vn->nlink == 0 && tv_rw(vn, buf, 0, sizeof(buf), true) == sizeof(buf),
	       "an unlinked open file can still be written");
	tv_put(vn);
	struct vnode *many = tv_lookup(root, "many");
	tap_ok(tv_create(many, "added", S_IFREG | 0644, NULL) == 0 &&
	       tv_unlink(many, "file-with-a-long-name-007") == 0 &&
	       tv_count(many) == MANY + 2, "change a directory made by mke2fs");
	tv_put(many);
}

static bool all_zero(const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] != 0)
			return false;
	return true;
}

/* Check the tail file: TAIL_CUT bytes of seed 5, then zeroes to TAIL_GROW. */
static bool tail_ok(struct vnode *vn, uint8_t *buf)
{
	memset(buf, POISON, TAIL_GROW);
	return vn != NULL && vn->size == TAIL_GROW &&
	       tv_rw(vn, buf, 0, TAIL_GROW, false) == TAIL_GROW &&
	       check(buf, TAIL_CUT, 5) && all_zero(buf + TAIL_CUT, TAIL_GROW - TAIL_CUT);
}

/* Compare the file name as debugfs dumps it from the image with n bytes
 * of pattern seed: 1 same, 0 same size but other bytes, -1 otherwise. */
static int disk_compare(const char *img, const char *name, size_t n, int seed)
{
	char cmd[512], out[160];
	snprintf(out, sizeof(out), "%s/dump.bin", workdir);
	remove(out);
	snprintf(cmd, sizeof(cmd), "debugfs -R 'dump /%s %s' %s >/dev/null 2>&1", name, out, img);
	if (system(cmd) != 0)
		return -1;
	FILE *f = fopen(out, "rb");
	uint8_t *buf = malloc(n + 1);
	size_t got = f != NULL ? fread(buf, 1, n + 1, f) : 0;
	int r = got != n ? -1 : check(buf, n, seed);
	if (f != NULL)
		fclose(f);
	free(buf);
	return r;
}

static void test_page_cache(struct vnode *root, const char *img)
{
	uint8_t *buf = malloc(TAIL_GROW);
	struct vnode *vn;
	fill(buf, TAIL_SIZE, 5);
	tap_ok(tv_create(root, "tail.bin", S_IFREG | 0644, &vn) == 0 &&
	       tv_rw(vn, buf, 0, TAIL_SIZE, true) == TAIL_SIZE &&
	       tv_truncate(vn, TAIL_CUT) == 0 && tv_truncate(vn, TAIL_GROW) == 0 &&
	       tail_ok(vn, buf), "shrink then grow: zeroes past the cut, in memory");
	tv_put(vn);
	vn = tv_lookup(root, "tail.bin");
	tap_ok(tail_ok(vn, buf), "and on disk, read back by a new vnode");
	tv_put(vn);

	uint8_t *big = malloc(SYNC_SIZE);
	fill(big, SYNC_SIZE, 6);
	tv_create(root, "synced.bin", S_IFREG | 0644, &vn);
	bool wrote = tv_rw(vn, big, 0, SYNC_SIZE, true) == SYNC_SIZE &&
		     tv_rw(vn, big, 3, 1, true) == 1;
	test_mnt.ops->sync(&test_mnt);         /* metadata only: inode, map */
	tap_ok(wrote && disk_compare(img, "synced.bin", SYNC_SIZE, 6) == 0,
	       "write() leaves the data in the page cache, metadata synced");
	big[0] = pattern(3, 6);
	tv_rw(vn, big, 3, 1, true);
	tap_ok(vnode_pager_sync(vn) == 0 && test_mnt.ops->sync(&test_mnt) == 0 &&
	       disk_compare(img, "synced.bin", SYNC_SIZE, 6) == 1,
	       "sync writes it to its blocks");
	tap_ok(vm_object_resident_pages() == PAGE_ROUNDUP(SYNC_SIZE) / PAGE_SIZE,
	       "one page per page of the open file is resident (%lu)",
	       (unsigned long)vm_object_resident_pages());
	tv_put(vn);
	tap_ok(vm_object_resident_pages() == 0 && vm_object_count() == 0,
	       "closing it frees its pages and object");
	tv_unlink(root, "synced.bin");
	tv_unlink(root, "tail.bin");
	free(big);
	free(buf);
}

/* Write until the disk is full: write() reports it, nothing else breaks. */
static void test_full_disk(struct vnode *root)
{
	uint8_t *buf = malloc(FILL_CHUNK);
	struct vnode *vn;
	uint64_t total = 0;
	ssize_t n = 0;
	fill(buf, FILL_CHUNK, 7);
	tv_create(root, "fill.bin", S_IFREG | 0644, &vn);
	while ((n = tv_rw(vn, buf, (off_t)total, FILL_CHUNK, true)) == FILL_CHUNK)
		total += FILL_CHUNK;
	if (n > 0) {
		total += (uint64_t)n;
		n = tv_rw(vn, buf, (off_t)total, FILL_CHUNK, true);
	}
	tap_ok(n == -ENOSPC && vn->size == total && total > 0,
	       "a full disk is -ENOSPC from write() after %lu bytes", (unsigned long)total);
	tap_ok(tv_rw(vn, buf, (off_t)total - 1, 1, false) == 1 &&
	       buf[0] == pattern((total - 1) % FILL_CHUNK, 7), "the last byte written reads back");
	tap_ok(vnode_pager_sync(vn) == 0, "sync of the full file needs no new block");
	tap_ok(ext2_check(&test_mnt) == 0, "free counts still match the bitmaps");
	tv_put(vn);
	tv_unlink(root, "fill.bin");
	free(buf);
}

static void test_image(int blocksize, int inode_size)
{
	char staging[128], img[128], cmd[512];
	snprintf(staging, sizeof(staging), "%s/staging", workdir);
	snprintf(img, sizeof(img), "%s/fs-%d-%d.img", workdir, blocksize, inode_size);
	printf("# block size %d, inode size %d\n", blocksize, inode_size);
	snprintf(cmd, sizeof(cmd), "mke2fs -q -F -t ext2 -b %d -I %d -d %s %s 16M >/dev/null",
		 blocksize, inode_size, staging, img);
	if (!tap_ok(system(cmd) == 0, "mke2fs -b %d -I %d", blocksize, inode_size))
		return;
	/* Index (htree) the directories, as a dir_index file system may have
	 * them; e2fsck -D exits 1 when it changed something. */
	snprintf(cmd, sizeof(cmd), "e2fsck -fyD %s >/dev/null 2>&1; "
		 "debugfs -R 'stat /many' %s 2>/dev/null | grep -q 'Flags: 0x1000'", img, img);
	tap_ok(system(cmd) == 0, "e2fsck -D made /many an htree directory");
	disk = fopen(img, "r+b");
	tap_ok(ext2_mount(DEV_ID(DEV_BLOCK, 1), "/") == 0, "mount");
	struct vnode *root = tv_get(EXT2_ROOT_INO);
	test_read(root);
	test_write(root);
	test_dirs(root);
	test_open_unlinked(root);
	test_page_cache(root, img);
	test_full_disk(root);
	tv_put(root);
	tap_ok(tv_live() == 0, "every vnode released");
	tap_ok(vm_object_count() == 0 && vm_object_resident_pages() == 0 && host_frames == 0,
	       "every object and frame freed (%lu, %lu, %ld)", (unsigned long)vm_object_count(),
	       (unsigned long)vm_object_resident_pages(), host_frames);
	tap_ok(ext2_check(&test_mnt) == 0, "free counts match the bitmaps");
	tap_ok(test_mnt.ops->sync(&test_mnt) == 0, "sync");
	fclose(disk);
	snprintf(cmd, sizeof(cmd), "e2fsck -fn %s >%s/fsck.log 2>&1 || cat %s/fsck.log",
		 img, workdir, workdir);
	tap_ok(system(cmd) == 0, "e2fsck -fn is clean");
	snprintf(cmd, sizeof(cmd), "e2fsck -fn %s >/dev/null 2>&1", img);
	tap_ok(system(cmd) == 0, "e2fsck exit status 0");
	snprintf(cmd, sizeof(cmd), "debugfs -R 'cat /hello2' %s 2>/dev/null | grep -q pagoda",
		 img);
	tap_ok(system(cmd) == 0, "debugfs reads what ext2.c wrote");
}

int main(void)
{
	char staging[128];
	if (mkdtemp(workdir) == NULL || system("command -v mke2fs >/dev/null") != 0) {
		printf("1..0 # SKIP no mke2fs or temp dir\n");
		return 0;
	}
	snprintf(staging, sizeof(staging), "%s/staging", workdir);
	make_staging(staging);
	test_image(1024, 128);
	test_image(1024, 256);
	test_image(4096, 256);
	run("rm -rf %s%s", workdir, "");
	return tap_done();
}
