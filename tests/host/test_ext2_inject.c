/*
 * Fault injection into ext2 (issue 6, "keep it found"): each operation
 * (write, create, truncate, rename, unlink) runs on a fresh copy of an
 * image made by mke2fs -d, once for every block I/O it does with that
 * I/O failing (EIO), once for every block it allocates with the disk
 * full just before it (ENOSPC), and, for write, once for every page of
 * its user buffer with that page unmapped (EFAULT) and once for every
 * page with a signal arriving before it (EINTR); create also runs out
 * of inodes at each of its inode allocations. After each run the
 * injection stops, every vnode is released, the file system is synced,
 * and ext2_check and e2fsck -fn must find it consistent.
 */
#include "tests/host/test_ext2_harness.h"
#include "kernel/fs/uio.h"

#define IMG_BLOCKS   2048        /* 1 KiB blocks: a 2 MiB image */
#define BLOCKSIZE    1024
#define VICTIM_SIZE  5000
#define BIG_SIZE     20000       /* past the direct blocks */
#define WRITE_OFF    3000
#define WRITE_LEN    (14 * BLOCKSIZE)   /* crosses into the indirect block */
#define MAX_RUNS     400
#define FILLER_CHUNK BLOCKSIZE
#define LONG_NAMES   20          /* 64-byte entries: more than one block */

static char workdir[64] = "/tmp/pagoda-inject-XXXXXX";
static char base_img[96], img[96];
static uint8_t *user_buf;       /* the "user" buffer of write */

enum inject { INJECT_NONE, INJECT_EIO, INJECT_ENOSPC, INJECT_EFAULT, INJECT_NOINODE,
	      INJECT_EINTR };
static const char *const inject_names[] = {
	"none", "EIO", "ENOSPC", "EFAULT", "ENOSPC (inodes)", "a signal",
};

/* ---------------- the operations, each on a fresh mount ---------------- */

static int op_write(struct vnode *root)
{
	struct vnode *vn = tv_lookup(root, "victim");
	struct uio uio = { (vaddr_t)user_buf, WRITE_LEN, WRITE_OFF, true };
	int err = -ENOENT;
	if (vn != NULL) {
		mutex_lock(&vn->lock);
		ssize_t n = vn->ops->write(vn, &uio);
		mutex_unlock(&vn->lock);
		err = n < 0 ? (int)n : 0;
		tv_put(vn);
	}
	struct vnode *nf;
	if (err == 0 && (err = tv_create(root, "newfile", S_IFREG | 0644, &nf)) == 0) {
		/* From the buffer's second page: with it bad, nothing is
		 * written into the empty file (done == 0). */
		uio = (struct uio){ (vaddr_t)user_buf + PAGE_SIZE, 3 * BLOCKSIZE, 0, true };
		mutex_lock(&nf->lock);
		ssize_t n = nf->ops->write(nf, &uio);
		mutex_unlock(&nf->lock);
		err = n < 0 ? (int)n : 0;
		tv_put(nf);
	}
	return err;
}

static int op_create(struct vnode *root)
{
	struct vnode *d = tv_lookup(root, "d");
	int err = d != NULL ? tv_create(d, "newdir", S_IFDIR | 0755, NULL) : -ENOENT;
	if (err == 0)
		err = tv_create(d, "newfile", S_IFREG | 0644, NULL);
	if (err == 0)
		err = tv_create(root, "rootfile", S_IFREG | 0644, NULL);
	/* Enough long names that d needs a new block. */
	for (int i = 0; i < LONG_NAMES && err == 0; i++) {
		char name[80];
		snprintf(name, sizeof(name), "a-long-name-that-fills-a-directory-block-quickly-%02d", i);
		err = tv_create(d, name, S_IFREG | 0644, NULL);
	}
	if (d != NULL)
		tv_put(d);
	return err;
}

static int op_truncate(struct vnode *root)
{
	struct vnode *vn = tv_lookup(root, "big");
	int err = vn != NULL ? tv_truncate(vn, 100) : -ENOENT;
	if (err == 0)
		err = tv_truncate(vn, BIG_SIZE * 3);
	if (err == 0)
		err = tv_truncate(vn, 0);
	if (vn != NULL)
		tv_put(vn);
	return err;
}

static int op_rename(struct vnode *root)
{
	struct vnode *d = tv_lookup(root, "d");
	int err = d != NULL ? tv_rename(root, "victim", d, "victim2") : -ENOENT;
	if (err == 0)
		err = tv_rename(d, "sub", root, "sub2");
	if (err == 0)
		err = tv_rename(d, "f1", d, "f2");
	if (d != NULL)
		tv_put(d);
	return err;
}

static int op_unlink(struct vnode *root)
{
	struct vnode *d = tv_lookup(root, "d");
	int err = d != NULL ? tv_unlink(d, "f1") : -ENOENT;
	if (err == 0)
		err = tv_unlink(d, "empty");
	if (err == 0)
		err = tv_unlink(root, "big");
	if (d != NULL)
		tv_put(d);
	return err;
}

static const struct {
	const char *name;
	int (*fn)(struct vnode *root);
} ops[] = {
	{ "write", op_write }, { "create", op_create }, { "truncate", op_truncate },
	{ "rename", op_rename }, { "unlink", op_unlink },
};

/* ---------------- one run ---------------- */

static void make_base(void)
{
	char staging[96], cmd[1024];
	snprintf(staging, sizeof(staging), "%s/staging", workdir);
	snprintf(base_img, sizeof(base_img), "%s/base.img", workdir);
	snprintf(img, sizeof(img), "%s/run.img", workdir);
	run("mkdir -p %s/d/sub/deeper %s/d/empty", staging, staging);
	snprintf(cmd, sizeof(cmd), "head -c %d /dev/urandom >%s/victim; head -c %d "
		 "/dev/urandom >%s/big; echo one >%s/d/f1; echo two >%s/d/f2",
		 VICTIM_SIZE, staging, BIG_SIZE, staging, staging, staging);
	system(cmd);
	snprintf(cmd, sizeof(cmd), "mke2fs -q -F -t ext2 -b %d -I 128 -N 96 -d %s %s %d "
		 ">/dev/null", BLOCKSIZE, staging, base_img, IMG_BLOCKS);
	system(cmd);
}

/* Fill the disk so exactly `left` blocks stay free; returns the filler
 * vnode (the caller releases it) or NULL. */
static struct vnode *fill_disk(struct vnode *root, uint32_t left)
{
	static uint8_t chunk[FILLER_CHUNK];
	struct vnode *vn;
	if (tv_create(root, "filler", S_IFREG | 0644, &vn) < 0)
		return NULL;
	off_t off = 0;
	while (tv_rw(vn, chunk, off, FILLER_CHUNK, true) == FILLER_CHUNK)
		off += FILLER_CHUNK;
	/* Give back whole blocks until `left` are free. */
	for (;;) {
		test_mnt.ops->sync(&test_mnt);
		if (super_free_blocks() >= left || off == 0)
			break;
		off -= FILLER_CHUNK;
		tv_truncate(vn, (uint64_t)off);
	}
	return vn;
}

/* Use up the inodes so exactly `left` stay free (empty files i0, i1, ...
 * in a directory made for them; released with the mount). */
static void fill_inodes(struct vnode *root, long left)
{
	char name[32];
	struct vnode *dir;
	int n = 0;
	if (tv_create(root, "inodes", S_IFDIR | 0755, &dir) < 0)
		return;
	for (;; n++) {
		snprintf(name, sizeof(name), "i%d", n);
		if (tv_create(dir, name, S_IFREG | 0644, NULL) < 0)
			break;
	}
	for (int i = 0; i < left && i < n; i++) {
		snprintf(name, sizeof(name), "i%d", i);
		tv_unlink(dir, name);
	}
	tv_put(dir);
}

/* Run op with one injection; returns the op's result (1: the image was
 * not mountable). Checks consistency afterwards. */
static int run_one(int op, enum inject kind, long n, bool *clean)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "cp %s %s", base_img, img);
	system(cmd);
	disk = fopen(img, "r+b");
	if (disk == NULL || ext2_mount(DEV_ID(DEV_BLOCK, 1), "/") < 0) {
		*clean = false;
		return 1;
	}
	struct vnode *root = tv_get(EXT2_ROOT_INO), *filler = NULL;
	if (kind == INJECT_ENOSPC)
		filler = fill_disk(root, (uint32_t)n);
	if (kind == INJECT_NOINODE)
		fill_inodes(root, n);
	if (kind == INJECT_EIO)
		inject_io_at = n;
	if (kind == INJECT_EFAULT) {
		inject_bad_lo = (vaddr_t)user_buf + (vaddr_t)n * PAGE_SIZE;
		inject_bad_hi = inject_bad_lo + PAGE_SIZE;
	}
	if (kind == INJECT_EINTR)
		inject_signal_at = n;
	long calls0 = inject_io_calls;
	int err = ops[op].fn(root);
	if (filler != NULL)
		tv_put(filler);
	tv_put(root);
	test_mnt.ops->sync(&test_mnt);  /* its write-back may fail too */
	long io = inject_io_calls - calls0;
	inject_io_at = 0;
	inject_bad_lo = inject_bad_hi = 0;
	bool signalled = inject_signal_at == 1;
	inject_signal_at = 0;
	bool ok = tv_live() == 0 && ext2_check(&test_mnt) == 0 &&
		  test_mnt.ops->sync(&test_mnt) == 0;
	fclose(disk);
	fflush(stdout);         /* the harness's lines before e2fsck's */
	snprintf(cmd, sizeof(cmd), "e2fsck -fn %s >%s/fsck.log 2>&1", img, workdir);
	if (system(cmd) != 0) {
		ok = false;
		snprintf(cmd, sizeof(cmd), "sed 's/^/# /' %s/fsck.log | head -20", workdir);
		system(cmd);
	}
	if (!ok)
		printf("# %s with %s at %ld: result %d\n", ops[op].name, inject_names[kind], n, err);
	fflush(stdout);
	*clean = ok;
	if ((kind == INJECT_EIO && n > io) || (kind == INJECT_EINTR && !signalled))
		return 2;
	return err;
}

/* Every injection point of one kind for op: runs until the op no longer
 * meets the injection (EIO past its last I/O, ENOSPC with room enough,
 * EFAULT past its buffer). */
static void inject_all(int op, enum inject kind)
{
	int runs = 0, bad = 0, failed = 0;
	long n = kind == INJECT_ENOSPC || kind == INJECT_NOINODE ? 0 : 1;
	if (kind == INJECT_EFAULT)
		n = 0;
	if (kind == INJECT_EINTR)
		n = 1;
	for (; runs < MAX_RUNS; n++, runs++) {
		bool clean;
		int r = run_one(op, kind, n, &clean);
		bad += !clean;
		failed += r < 0;
		if (r == 2 || (r == 0 && (kind == INJECT_ENOSPC || kind == INJECT_NOINODE)))
			break;
		if (kind == INJECT_EFAULT && (n + 1) * PAGE_SIZE >= WRITE_LEN)
			break;
	}
	tap_ok(bad == 0 && runs < MAX_RUNS,
	       "%s: %d runs with %s injected (%d failed), every image clean",
	       ops[op].name, runs + 1, inject_names[kind], failed);
}

int main(void)
{
	if (mkdtemp(workdir) == NULL || system("command -v mke2fs >/dev/null") != 0) {
		printf("1..0 # SKIP no mke2fs or temp dir\n");
		return 0;
	}
	user_buf = aligned_alloc(PAGE_SIZE, ROUNDUP(WRITE_LEN, PAGE_SIZE));
	fill(user_buf, WRITE_LEN, 4);
	make_base();
	for (int op = 0; op < (int)ARRAY_SIZE(ops); op++) {
		bool clean;
		tap_ok(run_one(op, INJECT_NONE, 0, &clean) == 0 && clean,
		       "%s: succeeds without injection", ops[op].name);
		inject_all(op, INJECT_EIO);
		inject_all(op, INJECT_ENOSPC);
		if (ops[op].fn == op_write)
			inject_all(op, INJECT_EFAULT);
		if (ops[op].fn == op_write)     /* killable_long_write */
			inject_all(op, INJECT_EINTR);
		if (ops[op].fn == op_create)
			inject_all(op, INJECT_NOINODE);
	}
	free(user_buf);
	run("rm -rf %s%s", workdir, "");
	return tap_done();
}
