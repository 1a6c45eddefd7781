/*
 * The host harness of the ext2 tests (test_ext2.c, test_ext2_inject.c):
 * the kernel services ext2.c, bcache.c, vnode_pager.c and object.c call
 * (blk_rw on an image file, frames from the host heap, a tiny vnode
 * cache), with fault injection: the Nth block I/O fails, and user
 * addresses in a chosen range fault.
 */
#include "tests/host/test_ext2_harness.h"

FILE *disk;

/* The file system and its buffer cache are made once per mount and never
 * freed (the kernel never unmounts): not leaks. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:ext2_mount\n";
}

/* ---------------- kernel services the fs code calls ---------------- */

long inject_io_at;
long inject_io_calls;
vaddr_t inject_bad_lo, inject_bad_hi;

int blk_rw(dev_id_t dev __unused, enum blk_op op, uint64_t sector, void *buf,
	   size_t len, enum blk_reason reason __unused)
{
	inject_io_calls++;
	if (inject_io_at > 0 && --inject_io_at == 0)
		return -EIO;
	if (op == BLK_FLUSH)
		return fflush(disk) == 0 ? 0 : -EIO;
	off_t off = (off_t)(sector * BLK_SECTOR_SIZE);
	ssize_t n = op == BLK_READ ? pread(fileno(disk), buf, len, off)
				   : pwrite(fileno(disk), buf, len, off);
	return n == (ssize_t)len ? 0 : -EIO;
}

long inject_signal_at;

/* One process, always current (proc_current reads cpus[0].proc, set by
 * the constructor below); a signal "arrives" at the inject_signal_at-th
 * look and stays pending. */
struct cpu cpus[NCPU_MAX];

__attribute__((constructor)) static void harness_current_proc(void)
{
	static struct proc the_proc;
	cpus[0].proc = &the_proc;
}

bool proc_signal_pending(const struct proc *p __unused)
{
	if (inject_signal_at > 1)
		inject_signal_at--;
	return inject_signal_at == 1;
}

int sched_sleep(void *chan __unused, struct spinlock *lk __unused)
{
	panic("sched_sleep: a single-threaded test would block");
}

void sched_sleep_noint(void *chan __unused, struct spinlock *lk __unused)
{
	panic("sched_sleep_noint: a single-threaded test would block");
}

void sched_wakeup(void *chan __unused) {}
void sched_yield(void) {}
void *kmalloc(size_t size) { return malloc(size); }
void *kzalloc(size_t size) { return calloc(1, size); }
void kfree(void *p) { free(p); }

/* "User memory" is the host's, but addresses below PAGE_SIZE and in
 * [inject_bad_lo, inject_bad_hi) fault. */
static bool user_bad(vaddr_t u, size_t n)
{
	return u < PAGE_SIZE || (u < inject_bad_hi && u + n > inject_bad_lo);
}

int copyin(void *k, vaddr_t u, size_t n)
{
	if (user_bad(u, n))
		return -EFAULT;
	memcpy(k, (const void *)u, n);
	return 0;
}

int copyout(vaddr_t u, const void *k, size_t n)
{
	if (user_bad(u, n))
		return -EFAULT;
	memcpy((void *)u, k, n);
	return 0;
}

uint32_t vfs_time(void)
{
	return 1700000000;
}

/* ---------------- frames, pmap and slabs for the page cache ---------------- */

long host_frames;        /* frames handed out and not freed */

struct vm_page *vm_page_alloc(unsigned order, unsigned zonemask __unused, int flags)
{
	struct vm_page *pg = order == 0 ? calloc(1, sizeof(*pg)) : NULL;
	void *mem = pg != NULL ? aligned_alloc(PAGE_SIZE, PAGE_SIZE) : NULL;
	if (mem == NULL) {
		free(pg);
		return NULL;
	}
	memset(mem, (flags & VM_ALLOC_ZERO) ? 0 : POISON, PAGE_SIZE);
	pg->pa = (paddr_t)(uintptr_t)mem;
	host_frames++;
	return pg;
}

void vm_page_free(struct vm_page *pg, unsigned order __unused)
{
	free(PA_TO_KVA(pg->pa));
	free(pg);
	host_frames--;
}

void pmap_page_protect(struct vm_page *pg __unused, vm_prot_t prot __unused) {}
bool pmap_clear_modify(struct vm_page *pg __unused) { return false; }

struct kmem_cache {
	size_t size;
};

struct kmem_cache *kmem_cache_create(const char *name __unused, size_t size,
				     size_t align __unused)
{
	struct kmem_cache *c = malloc(sizeof(*c));
	if (c != NULL)
		c->size = size;
	return c;
}

void kmem_cache_destroy(struct kmem_cache *c) { free(c); }
void *kmem_cache_zalloc(struct kmem_cache *c) { return calloc(1, c->size); }
void kmem_cache_free(struct kmem_cache *c __unused, void *obj) { free(obj); }

struct mount test_mnt;

int vfs_mount(const char *path __unused, const char *fstype, dev_t dev, ino_t root_ino,
	      const struct mount_ops *ops, void *priv)
{
	memset(&test_mnt, 0, sizeof(test_mnt));
	test_mnt.fstype = fstype;
	test_mnt.dev = dev;
	test_mnt.root_ino = root_ino;
	test_mnt.ops = ops;
	test_mnt.priv = priv;
	mutex_init(&test_mnt.ns_lock, "ns");
	return 0;
}

/* ---------------- a tiny VFS ---------------- */

static struct vnode *tv_table[TV_MAX];

struct vnode *tv_get(ino_t ino)
{
	int free_slot = -1;
	for (int i = 0; i < TV_MAX; i++) {
		if (tv_table[i] != NULL && tv_table[i]->ino == ino) {
			tv_table[i]->refcnt++;
			return tv_table[i];
		}
		if (tv_table[i] == NULL && free_slot < 0)
			free_slot = i;
	}
	struct vnode *vn = calloc(1, sizeof(*vn));
	mutex_init(&vn->lock, "vnode");
	vn->ino = ino;
	vn->mnt = &test_mnt;
	vn->refcnt = 1;
	if (free_slot < 0 || test_mnt.ops->vget(&test_mnt, vn) < 0) {
		free(vn);
		return NULL;
	}
	if (vn->type == VREG && vn->ops->bmap != NULL && vnode_pager_attach(vn) < 0) {
		vn->ops->reclaim(vn);
		free(vn);
		return NULL;
	}
	tv_table[free_slot] = vn;
	return vn;
}

void tv_put(struct vnode *vn)
{
	if (--vn->refcnt > 0)
		return;
	for (int i = 0; i < TV_MAX; i++)
		if (tv_table[i] == vn)
			tv_table[i] = NULL;
	vnode_pager_detach(vn);
	vn->ops->reclaim(vn);
	free(vn);
}

/* The VFS calls vnode_pager.c makes. */
void vnode_ref(struct vnode *vn)
{
	vn->refcnt++;
}

void vnode_put(struct vnode *vn)
{
	tv_put(vn);
}

int tv_live(void)
{
	int n = 0;
	for (int i = 0; i < TV_MAX; i++)
		n += tv_table[i] != NULL;
	return n;
}

struct vnode *tv_lookup(struct vnode *dir, const char *name)
{
	ino_t ino;
	mutex_lock(&dir->lock);
	int err = dir->ops->lookup(dir, name, &ino);
	mutex_unlock(&dir->lock);
	return err < 0 ? NULL : tv_get(ino);
}

/* Resolve a relative path from dir (no "." handling needed here). */
struct vnode *tv_walk(struct vnode *dir, const char *path)
{
	char buf[256], *save = NULL;
	strlcpy(buf, path, sizeof(buf));
	dir->refcnt++;
	for (char *c = strtok_r(buf, "/", &save); c != NULL && dir != NULL;
	     c = strtok_r(NULL, "/", &save)) {
		struct vnode *next = tv_lookup(dir, c);
		tv_put(dir);
		dir = next;
	}
	return dir;
}

int tv_create(struct vnode *dir, const char *name, mode_t mode, struct vnode **out)
{
	ino_t ino;
	mutex_lock(&dir->lock);
	int err = dir->ops->create(dir, name, mode, &ino);
	mutex_unlock(&dir->lock);
	if (err == 0 && out != NULL)
		*out = tv_get(ino);
	return err;
}

ssize_t tv_rw(struct vnode *vn, void *buf, off_t off, size_t len, bool write)
{
	struct uio uio = { (vaddr_t)buf, len, off, false };
	mutex_lock(&vn->lock);
	ssize_t n = write ? vn->ops->write(vn, &uio) : vn->ops->read(vn, &uio);
	mutex_unlock(&vn->lock);
	return n;
}

int tv_truncate(struct vnode *vn, uint64_t size)
{
	mutex_lock(&vn->lock);
	int err = vn->ops->truncate(vn, size);
	mutex_unlock(&vn->lock);
	return err;
}

int tv_unlink(struct vnode *dir, const char *name)
{
	struct vnode *vn = tv_lookup(dir, name);
	if (vn == NULL)
		return -ENOENT;
	mutex_lock(&dir->lock);
	mutex_lock(&vn->lock);
	int err = dir->ops->unlink(dir, name, vn);
	mutex_unlock(&vn->lock);
	mutex_unlock(&dir->lock);
	tv_put(vn);
	return err;
}

int tv_link(struct vnode *dir, const char *name, struct vnode *vn)
{
	mutex_lock(&dir->lock);
	mutex_lock(&vn->lock);
	int err = dir->ops->link(dir, name, vn);
	mutex_unlock(&vn->lock);
	mutex_unlock(&dir->lock);
	return err;
}

int tv_rename(struct vnode *odir, const char *oname, struct vnode *ndir,
		     const char *nname)
{
	struct vnode *vn = tv_lookup(odir, oname), *target = tv_lookup(ndir, nname);
	if (vn == NULL) {
		if (target != NULL)
			tv_put(target);
		return -ENOENT;
	}
	struct vnode *locks[4] = { odir, ndir != odir ? ndir : NULL, vn, target };
	for (int i = 0; i < 4; i++)
		if (locks[i] != NULL)
			mutex_lock(&locks[i]->lock);
	int err = odir->ops->rename(odir, oname, vn, ndir, nname, target);
	for (int i = 3; i >= 0; i--)
		if (locks[i] != NULL)
			mutex_unlock(&locks[i]->lock);
	if (target != NULL)
		tv_put(target);
	tv_put(vn);
	return err;
}

int tv_count(struct vnode *dir)
{
	struct vfs_dirent de;
	off_t pos = 0;
	int n = 0;
	mutex_lock(&dir->lock);
	while (dir->ops->readdir(dir, &pos, &de) == 1)
		n++;
	mutex_unlock(&dir->lock);
	return n;
}

/* ---------------- helpers ---------------- */

uint8_t pattern(size_t i, int seed)
{
	return (uint8_t)((i * 131 + (i >> 9) + (size_t)seed * 7) & 0xff);
}

void fill(uint8_t *buf, size_t n, int seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = pattern(i, seed);
}

bool check(const uint8_t *buf, size_t n, int seed)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] != pattern(i, seed))
			return false;
	return true;
}

int run(const char *fmt, const char *a, const char *b)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), fmt, a, b);
	return system(cmd);
}

uint32_t super_free_blocks(void)
{
	struct ext2_super sb;
	blk_rw(0, BLK_READ, EXT2_SUPER_OFFSET / BLK_SECTOR_SIZE, &sb, sizeof(sb), 0);
	return sb.s_free_blocks_count;
}

