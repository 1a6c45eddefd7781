/*
 * Open files and the per-process descriptor table (kernel/fs/file.h).
 * The table in struct proc is touched only by its own process, so it
 * needs no lock; a struct file's reference count is guarded by its lock.
 */
#include "kernel/fs/file.h"
#include "kernel/fs/vfs.h"
#include "kernel/errno.h"
#include "kernel/lib/printk.h"
#include "kernel/proc/proc.h"
#include "kernel/vm/kmem.h"

static struct kmem_cache *file_cache;   /* set once, under file_cache_lock */
static struct spinlock file_cache_lock = SPINLOCK_INIT("file cache");

/* The slab cache of struct file, made on first use (the console files may
 * be made before vfs_init). NULL on -ENOMEM. */
static struct kmem_cache *file_cache_get(void)
{
	if (__atomic_load_n(&file_cache, __ATOMIC_ACQUIRE) != NULL)
		return file_cache;
	struct kmem_cache *c = kmem_cache_create("file", sizeof(struct file), 0);
	if (c == NULL)
		return NULL;
	spin_lock(&file_cache_lock);
	bool lost = file_cache != NULL;
	if (!lost)
		__atomic_store_n(&file_cache, c, __ATOMIC_RELEASE);
	spin_unlock(&file_cache_lock);
	if (lost)
		kmem_cache_destroy(c);
	return file_cache;
}

struct file *file_alloc(const struct file_ops *ops, int flags)
{
	struct kmem_cache *cache = file_cache_get();
	struct file *f = cache != NULL ? kmem_cache_zalloc(cache) : NULL;
	if (f == NULL)
		return NULL;
	spin_init(&f->lock, "file");
	mutex_init(&f->pos_lock, "file pos");
	f->refcnt = 1;
	f->flags = flags;
	f->ops = ops;
	return f;
}

struct file *file_dup(struct file *f)
{
	spin_lock(&f->lock);
	KASSERT(f->refcnt > 0, "file %p", f);
	f->refcnt++;
	spin_unlock(&f->lock);
	return f;
}

/* Drop a reference; the last one calls ops->close (which releases the
 * vnode, pipe end or console) and frees f. May sleep. */
void file_close(struct file *f)
{
	spin_lock(&f->lock);
	KASSERT(f->refcnt > 0, "file %p", f);
	bool last = --f->refcnt == 0;
	spin_unlock(&f->lock);
	if (!last)
		return;
	if (f->ops->close != NULL)
		f->ops->close(f);
	kfree(f->path);
	kmem_cache_free(file_cache, f);
}

static uint64_t fd_bit(int fd)
{
	return 1ULL << fd;
}

_Static_assert(NOFILE <= 64, "cloexec is one 64-bit mask");

int fd_install(struct file *f, int minfd)
{
	struct proc *p = proc_current();
	for (int fd = MAX(minfd, 0); fd < NOFILE; fd++) {
		if (p->ofile[fd] == NULL) {
			p->ofile[fd] = f;
			p->cloexec &= ~fd_bit(fd);
			return fd;
		}
	}
	return -EMFILE;
}

struct file *fd_get(int fd)
{
	struct proc *p = proc_current();
	if (fd < 0 || fd >= NOFILE || p->ofile[fd] == NULL)
		return NULL;
	return file_dup(p->ofile[fd]);
}

int fd_close(int fd)
{
	struct proc *p = proc_current();
	if (fd < 0 || fd >= NOFILE || p->ofile[fd] == NULL)
		return -EBADF;
	struct file *f = p->ofile[fd];
	p->ofile[fd] = NULL;
	p->cloexec &= ~fd_bit(fd);
	file_close(f);
	return 0;
}

int fd_replace(int fd, struct file *f, bool cloexec)
{
	struct proc *p = proc_current();
	if (fd < 0 || fd >= NOFILE)
		return -EBADF;
	struct file *old = p->ofile[fd];
	p->ofile[fd] = f;
	if (cloexec)
		p->cloexec |= fd_bit(fd);
	else
		p->cloexec &= ~fd_bit(fd);
	if (old != NULL)
		file_close(old);
	return fd;
}

void fd_close_all(void)
{
	struct proc *p = proc_current();
	for (int fd = 0; fd < NOFILE; fd++)
		if (p->ofile[fd] != NULL)
			fd_close(fd);
	struct vnode *cwd = p->cwd;
	p->cwd = NULL;
	vnode_put(cwd);
}

void fd_close_on_exec(void)
{
	struct proc *p = proc_current();
	for (int fd = 0; fd < NOFILE; fd++)
		if ((p->cloexec & fd_bit(fd)) && p->ofile[fd] != NULL)
			fd_close(fd);
	p->cloexec = 0;
}

void fd_fork(struct proc *parent, struct proc *child)
{
	for (int fd = 0; fd < NOFILE; fd++)
		child->ofile[fd] = parent->ofile[fd] ? file_dup(parent->ofile[fd]) : NULL;
	child->cloexec = parent->cloexec;
	child->cwd = parent->cwd;
	if (child->cwd != NULL)
		vnode_ref(child->cwd);
}
