/*
 * The VFS (kernel/fs/vfs.h): the vnode cache keyed by (mount, inode), the
 * mount table, path resolution and the namespace operations that
 * sys_file.c and exec call. File systems plug in through vnode_ops; this
 * file never touches a disk itself.
 */
#include "kernel/fs/vfs.h"
#include "kernel/fs/file.h"
#include "kernel/fs/uio.h"
#include "kernel/fs/ext2.h"
#include "kernel/fs/procfs.h"
#include "kernel/fs/devfs.h"
#include "kernel/fs/vnode_pager.h"
#include "kernel/dev/blk.h"
#include "kernel/errno.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "kernel/proc/proc.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/object.h"
#include "arch/riscv/timer.h"

#define VCACHE_NHASH   128              /* hash chains, a power of two */
/* Seconds at boot: the fixed time the image is made with (EPOCH in
 * mkfs/mkimage.sh), as there is no real-time clock. Not 0: e2fsck reads a
 * small i_dtime as a link in an ext3 orphan list. */
#define VFS_TIME_BASE  1700000000
#define NS_PER_SEC     1000000000ULL
#define VFS_ROOT_DEV   DEV_ID(DEV_BLOCK, 1)
#define VFS_SYNC_SLACK 16               /* room for vnodes loaded meanwhile */

/*
 * Locking: (m) vcache_lock guards the hash chains, every vnode's refcnt
 * and mounted, and the mount list; vcache_load serialises reading an
 * inode into a new vnode so each (mount, ino) has one vnode, and is held
 * while the last reference of a file with a page cache is released, so
 * the inode is not read again before its pages are on disk.
 */
static struct spinlock vcache_lock = SPINLOCK_INIT("vcache");
static struct mutex vcache_load;
static struct list_node vcache_hash[VCACHE_NHASH];     /* (m) */
static struct list_node mount_list;                     /* (m) */
static struct kmem_cache *vnode_cache;
static struct vnode *vfs_root;          /* root of the tree, set once */

uint32_t vfs_time(void)
{
	return (uint32_t)(VFS_TIME_BASE + timer_ns() / NS_PER_SEC);
}

static struct list_node *vcache_chain(struct mount *mnt, ino_t ino)
{
	uintptr_t h = ((uintptr_t)mnt >> 4) ^ ino;
	return &vcache_hash[h % VCACHE_NHASH];
}

/* The cached vnode of (mnt, ino) with a new reference, or NULL. */
static struct vnode *vcache_find(struct mount *mnt, ino_t ino)
{
	struct list_node *chain = vcache_chain(mnt, ino), *pos;
	struct vnode *found = NULL;
	spin_lock(&vcache_lock);
	list_for_each(pos, chain) {
		struct vnode *vn = list_entry(pos, struct vnode, hash_link);
		if (vn->mnt == mnt && vn->ino == ino) {
			vn->refcnt++;
			found = vn;
			break;
		}
	}
	spin_unlock(&vcache_lock);
	return found;
}

/* Fill a new vnode from its inode; a regular file of a file system with a
 * block map gets its page cache. => vcache_load. */
static int vnode_load(struct mount *mnt, struct vnode *vn)
{
	int err = mnt->ops->vget(mnt, vn);
	if (err < 0 || vn->type != VREG || vn->ops->bmap == NULL)
		return err;
	err = vnode_pager_attach(vn);
	if (err < 0 && vn->ops->reclaim != NULL)
		vn->ops->reclaim(vn);
	return err;
}

int vnode_get(struct mount *mnt, ino_t ino, struct vnode **out)
{
	struct vnode *vn = vcache_find(mnt, ino);
	int err = 0;
	if (vn != NULL)
		goto done;
	mutex_lock(&vcache_load);
	vn = vcache_find(mnt, ino);
	if (vn == NULL) {
		err = -ENOMEM;
		vn = kmem_cache_zalloc(vnode_cache);
		if (vn != NULL) {
			mutex_init(&vn->lock, "vnode");
			vn->refcnt = 1;
			vn->ino = ino;
			vn->mnt = mnt;
			list_init(&vn->hash_link);
			err = vnode_load(mnt, vn);
		}
		if (err == 0) {
			spin_lock(&vcache_lock);
			list_push_front(vcache_chain(mnt, ino), &vn->hash_link);
			spin_unlock(&vcache_lock);
		} else if (vn != NULL) {
			kmem_cache_free(vnode_cache, vn);
		}
	}
	mutex_unlock(&vcache_load);
done:
	*out = err == 0 ? vn : NULL;
	return err;
}

void vnode_ref(struct vnode *vn)
{
	spin_lock(&vcache_lock);
	KASSERT(vn->refcnt > 0, "vnode %lu", vn->ino);
	vn->refcnt++;
	spin_unlock(&vcache_lock);
}

/* Free a vnode out of the cache: its page cache (written back first),
 * then, through reclaim, its inode data (and an unlinked inode). */
static void vnode_free(struct vnode *vn)
{
	vnode_pager_detach(vn);
	if (vn->ops != NULL && vn->ops->reclaim != NULL)
		vn->ops->reclaim(vn);
	kmem_cache_free(vnode_cache, vn);
}

/* Drop a reference unless it is the last of a file with a page cache
 * and !may_end_file. Returns 1 if it was the last (vn is then out of the
 * cache and the caller frees it), 0 if dropped, -EAGAIN if not dropped. */
static int vnode_unref(struct vnode *vn, bool may_end_file)
{
	spin_lock(&vcache_lock);
	KASSERT(vn->refcnt > 0, "vnode %lu", vn->ino);
	if (vn->refcnt == 1 && vn->obj != NULL && !may_end_file) {
		spin_unlock(&vcache_lock);
		return -EAGAIN;
	}
	bool last = --vn->refcnt == 0;
	if (last)
		list_remove(&vn->hash_link);
	spin_unlock(&vcache_lock);
	return last;
}

/* Drop a reference (NULL: nothing); the last one frees the vnode (and,
 * through reclaim, an unlinked inode). The last one of a file with a page
 * cache holds vcache_load until its pages are written, so a new vnode of
 * the inode cannot read stale blocks meanwhile. => no vnode lock of vn,
 * no vcache_load, no object lock; process context. */
void vnode_put(struct vnode *vn)
{
	if (vn == NULL)
		return;
	int r = vnode_unref(vn, false);
	if (r == 1)
		vnode_free(vn);
	if (r != -EAGAIN)
		return;
	mutex_lock(&vcache_load);
	if (vnode_unref(vn, true) == 1)
		vnode_free(vn);
	mutex_unlock(&vcache_load);
}

/* Move vn->writecount by delta (+1 a writer, -1 a running program)
 * unless it has the other sign. 0 or -ETXTBSY. */
static int vnode_writecount_move(struct vnode *vn, int delta)
{
	int cur = __atomic_load_n(&vn->writecount, __ATOMIC_RELAXED);
	do {
		if (cur * delta < 0)
			return -ETXTBSY;
	} while (!__atomic_compare_exchange_n(&vn->writecount, &cur, cur + delta, false,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	return 0;
}

int vnode_write_access(struct vnode *vn)
{
	return vnode_writecount_move(vn, 1);
}

void vnode_write_release(struct vnode *vn)
{
	int old = __atomic_fetch_sub(&vn->writecount, 1, __ATOMIC_ACQ_REL);
	KASSERT(old > 0, "vnode_write_release: inode %lu count %d", vn->ino, old);
}

int vnode_deny_write(struct vnode *vn)
{
	return vnode_writecount_move(vn, -1);
}

void vnode_allow_write(struct vnode *vn)
{
	int old = __atomic_fetch_add(&vn->writecount, 1, __ATOMIC_ACQ_REL);
	KASSERT(old < 0, "vnode_allow_write: inode %lu count %d", vn->ino, old);
}

/* ------------------------------------------------------------------ */
/* Path resolution                                                      */
/* ------------------------------------------------------------------ */

/* If vn is covered by a mount, replace it by the mounted root (repeat
 * for stacked mounts). Takes and drops references. */
static struct vnode *vfs_cross_down(struct vnode *vn)
{
	for (;;) {
		spin_lock(&vcache_lock);
		struct mount *m = vn->mounted;
		struct vnode *root = m != NULL ? m->root : NULL;
		if (root != NULL)
			root->refcnt++;
		spin_unlock(&vcache_lock);
		if (root == NULL)
			return vn;
		vnode_put(vn);
		vn = root;
	}
}

/* The directory a ".." from dir is looked up in: the mount point when
 * dir is the root of a mounted file system. */
static struct vnode *vfs_cross_up(struct vnode *dir)
{
	while (dir == dir->mnt->root && dir->mnt->covered != NULL)
		dir = dir->mnt->covered;
	return dir;
}

/* => no locks. The referenced child name of directory dir, crossing
 * mounts. Returns 0, -ENOTDIR, -ENOENT, -EIO, -ENOMEM. */
static int vfs_step(struct vnode *dir, const char *name, struct vnode **out)
{
	ino_t ino;
	struct vnode *child = NULL;
	if (dir->type != VDIR)
		return -ENOTDIR;
	if (strcmp(name, ".") == 0) {
		vnode_ref(dir);
		*out = dir;
		return 0;
	}
	if (strcmp(name, "..") == 0)
		dir = vfs_cross_up(dir);
	mutex_lock(&dir->lock);
	int err = dir->ops->lookup(dir, name, &ino);
	if (err == 0)
		err = vnode_get(dir->mnt, ino, &child);
	mutex_unlock(&dir->lock);
	if (err < 0)
		return err;
	*out = vfs_cross_down(child);
	return 0;
}

/* Copy the next component of *pp into name and advance *pp past it.
 * Returns its length, 0 at the end of the path, or -ENAMETOOLONG. */
static int vfs_component(const char **pp, char *name)
{
	const char *p = *pp;
	while (*p == '/')
		p++;
	size_t len = 0;
	while (p[len] != '\0' && p[len] != '/')
		len++;
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(name, p, len);
	name[len] = '\0';
	*pp = p + len;
	return (int)len;
}

static bool vfs_at_end(const char *p)
{
	while (*p == '/')
		p++;
	return *p == '\0';
}

/* The referenced directory relative paths start from. */
static struct vnode *vfs_start(struct vnode *start, const char *path)
{
	struct proc *p = proc_current();
	if (path[0] == '/' || (start == NULL && (p == NULL || p->cwd == NULL)))
		start = vfs_root;
	else if (start == NULL)
		start = p->cwd;
	vnode_ref(start);
	return start;
}

/*
 * Resolve path from start (NULL: cwd). With last == NULL, the whole path
 * into *out. Otherwise stop before the final component: *out is its
 * directory and last (NAME_MAX + 1 bytes) its name ("." for "/");
 * *trailing says whether a slash followed it.
 * Returns 0, -ENOENT, -ENOTDIR, -ENAMETOOLONG, -EIO, -ENOMEM.
 */
static int vfs_walk(struct vnode *start, const char *path, char *last,
		    bool *trailing, struct vnode **out)
{
	char name[NAME_MAX + 1];
	size_t plen = strnlen(path, PATH_MAX);
	if (plen >= PATH_MAX)
		return -ENAMETOOLONG;
	if (plen == 0)
		return -ENOENT;
	struct vnode *cur = vfs_start(start, path);
	const char *p = path;
	for (;;) {
		int len = vfs_component(&p, name);
		struct vnode *next;
		if (len <= 0) {
			if (len < 0) {
				vnode_put(cur);
				return len;
			}
			break;
		}
		if (last != NULL && vfs_at_end(p)) {
			if (cur->type != VDIR) {
				vnode_put(cur);
				return -ENOTDIR;
			}
			strlcpy(last, name, NAME_MAX + 1);
			*trailing = *p == '/';
			*out = cur;
			return 0;
		}
		int err = vfs_step(cur, name, &next);
		vnode_put(cur);
		if (err < 0)
			return err;
		cur = next;
	}
	if (last != NULL) {
		strlcpy(last, ".", NAME_MAX + 1);
		*trailing = true;
	} else if (path[plen - 1] == '/' && cur->type != VDIR) {
		vnode_put(cur);
		return -ENOTDIR;
	}
	*out = cur;
	return 0;
}

int vfs_lookup_at(struct vnode *start, const char *path, struct vnode **out)
{
	return vfs_walk(start, path, NULL, NULL, out);
}

int vfs_lookup(const char *path, struct vnode **out)
{
	return vfs_walk(NULL, path, NULL, NULL, out);
}

static bool vfs_is_dot(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* ------------------------------------------------------------------ */
/* Namespace operations                                                 */
/* ------------------------------------------------------------------ */

/* => mnt->ns_lock, dir->lock. The referenced vnode of name in dir. */
static int vfs_dir_get(struct vnode *dir, const char *name, struct vnode **out)
{
	ino_t ino;
	int err = dir->ops->lookup(dir, name, &ino);
	if (err < 0)
		return err;
	return vnode_get(dir->mnt, ino, out);
}

/* Find or create the regular file path; -EEXIST if excl and it exists. */
static int vfs_create(struct vnode *start, const char *path, mode_t mode,
		      bool excl, struct vnode **out)
{
	char name[NAME_MAX + 1];
	bool trailing;
	struct vnode *dir, *vn = NULL;
	int err = vfs_walk(start, path, name, &trailing, &dir);
	if (err < 0)
		return err;
	if (vfs_is_dot(name) || trailing) {
		vnode_put(dir);
		err = vfs_lookup_at(start, path, out);
		if (err == 0 && excl) {
			vnode_put(*out);
			return -EEXIST;
		}
		return err == -ENOENT && trailing ? -EISDIR : err;
	}
	mutex_lock(&dir->mnt->ns_lock);
	mutex_lock(&dir->lock);
	err = vfs_dir_get(dir, name, &vn);
	if (err == 0 && excl) {
		vnode_put(vn);
		err = -EEXIST;
	} else if (err == -ENOENT) {
		ino_t ino;
		err = dir->ops->create == NULL ? -EACCES :
		      dir->ops->create(dir, name, S_IFREG | (mode & S_IPERM), &ino);
		if (err == 0)
			err = vnode_get(dir->mnt, ino, &vn);
	}
	mutex_unlock(&dir->lock);
	mutex_unlock(&dir->mnt->ns_lock);
	vnode_put(dir);
	if (err == 0)
		*out = vfs_cross_down(vn);
	return err;
}

/* Checks and O_TRUNC of an open of vn with flags. */
static int vfs_open_prepare(struct vnode *vn, int flags)
{
	int acc = flags & O_ACCMODE;
	if (vn->type == VLNK)
		return -ELOOP;
	if ((flags & O_DIRECTORY) && vn->type != VDIR)
		return -ENOTDIR;
	if (vn->type == VDIR && (acc != O_RDONLY || (flags & O_CREAT)))
		return -EISDIR;
	if (acc != O_RDONLY && vn->type == VREG &&
	    __atomic_load_n(&vn->writecount, __ATOMIC_ACQUIRE) < 0)
		return -ETXTBSY;        /* a program runs it */
	if ((flags & O_TRUNC) && acc != O_RDONLY && vn->type == VREG)
		return vfs_truncate(vn, 0);
	return 0;
}

/* Does an open file of vn with flags hold write access (vnode_file_close
 * gives it back)? */
static bool vnode_file_writes(struct vnode *vn, int flags)
{
	return vn->type == VREG && (flags & O_ACCMODE) != O_RDONLY;
}

int vfs_open_vnode(struct vnode *vn, int flags, struct file **out)
{
	if (vn->ops->open != NULL)
		return vn->ops->open(vn, flags, out);
	if (vnode_file_writes(vn, flags) && vnode_write_access(vn) < 0)
		return -ETXTBSY;
	struct file *f = file_alloc(&vnode_fops, flags & ~(O_CREAT | O_EXCL |
				    O_TRUNC | O_CLOEXEC | O_NOCTTY));
	if (f == NULL) {
		if (vnode_file_writes(vn, flags))
			vnode_write_release(vn);
		return -ENOMEM;
	}
	vnode_ref(vn);
	f->vnode = vn;
	*out = f;
	return 0;
}

int vfs_open(struct vnode *start, const char *path, int flags, mode_t mode,
	     struct file **out)
{
	struct vnode *vn;
	int err;
	if (flags & O_CREAT)
		err = vfs_create(start, path, mode, (flags & O_EXCL) != 0, &vn);
	else
		err = vfs_lookup_at(start, path, &vn);
	if (err < 0)
		return err;
	err = vfs_open_prepare(vn, flags);
	if (err == 0)
		err = vfs_open_vnode(vn, flags, out);
	vnode_put(vn);
	return err;
}

/* Make a directory in dir (dir->lock held): -EACCES where the file
 * system makes none. */
static int vfs_make_dir(struct vnode *dir, const char *name, mode_t mode,
			dev_t rdev __unused)
{
	ino_t ino;
	return dir->ops->create == NULL ? -EACCES :
	       dir->ops->create(dir, name, S_IFDIR | (mode & S_IPERM), &ino);
}

/* Make a device node in dir (dir->lock held): -EPERM where the file
 * system keeps none. */
static int vfs_make_node(struct vnode *dir, const char *name, mode_t mode,
			 dev_t rdev)
{
	ino_t ino;
	return dir->ops->mknod == NULL ? -EPERM :
	       dir->ops->mknod(dir, name, mode, rdev, &ino);
}

/* The shared part of mkdir and mknod: walk to path's directory and, under
 * its mount's namespace lock and its own lock, make the last name with
 * make unless it exists (-EEXIST, also for "." and ".." and, where
 * !trailing_ok, a name written with a trailing slash). */
static int vfs_make(struct vnode *start, const char *path, bool trailing_ok,
		    mode_t mode, dev_t rdev,
		    int (*make)(struct vnode *, const char *, mode_t, dev_t))
{
	char name[NAME_MAX + 1];
	bool trailing;
	struct vnode *dir, *vn;
	int err = vfs_walk(start, path, name, &trailing, &dir);
	if (err < 0)
		return err;
	if (vfs_is_dot(name) || (trailing && !trailing_ok)) {
		vnode_put(dir);
		return -EEXIST;
	}
	mutex_lock(&dir->mnt->ns_lock);
	mutex_lock(&dir->lock);
	err = vfs_dir_get(dir, name, &vn);
	if (err == 0) {
		vnode_put(vn);
		err = -EEXIST;
	} else if (err == -ENOENT) {
		err = make(dir, name, mode, rdev);
	}
	mutex_unlock(&dir->lock);
	mutex_unlock(&dir->mnt->ns_lock);
	vnode_put(dir);
	return err;
}

int vfs_mkdir(struct vnode *start, const char *path, mode_t mode)
{
	return vfs_make(start, path, true, mode, 0, vfs_make_dir);
}

int vfs_mknod(struct vnode *start, const char *path, mode_t mode, dev_t rdev)
{
	return vfs_make(start, path, false, mode, rdev, vfs_make_node);
}

/* Is vn the root of a mount or covered by one? */
static bool vfs_busy(struct vnode *vn)
{
	spin_lock(&vcache_lock);
	bool busy = vn->mounted != NULL || vn == vn->mnt->root;
	spin_unlock(&vcache_lock);
	return busy;
}

/* => ns_lock, dir->lock. Remove name (naming vn) from dir. */
static int vfs_unlink_locked(struct vnode *dir, const char *name, struct vnode *vn,
			     bool rmdir, bool trailing)
{
	if (vfs_busy(vn))
		return -EBUSY;
	if (rmdir && vn->type != VDIR)
		return -ENOTDIR;
	if (!rmdir && vn->type == VDIR)
		return -EISDIR;
	if (!rmdir && trailing)
		return -ENOTDIR;
	if (dir->ops->unlink == NULL)
		return -EACCES;
	mutex_lock(&vn->lock);
	int err = dir->ops->unlink(dir, name, vn);
	mutex_unlock(&vn->lock);
	return err;
}

int vfs_unlink(struct vnode *start, const char *path, bool rmdir)
{
	char name[NAME_MAX + 1];
	bool trailing;
	struct vnode *dir, *vn = NULL;
	int err = vfs_walk(start, path, name, &trailing, &dir);
	if (err < 0)
		return err;
	if (vfs_is_dot(name)) {
		vnode_put(dir);
		if (!rmdir)
			return -EISDIR;
		return strcmp(name, ".") == 0 ? -EINVAL : -ENOTEMPTY;
	}
	mutex_lock(&dir->mnt->ns_lock);
	mutex_lock(&dir->lock);
	err = vfs_dir_get(dir, name, &vn);
	if (err == 0)
		err = vfs_unlink_locked(dir, name, vn, rmdir, trailing);
	mutex_unlock(&dir->lock);
	mutex_unlock(&dir->mnt->ns_lock);
	if (vn != NULL)
		vnode_put(vn);
	vnode_put(dir);
	return err;
}

int vfs_link(struct vnode *ostart, const char *opath,
	     struct vnode *nstart, const char *npath)
{
	char name[NAME_MAX + 1];
	bool trailing;
	struct vnode *vn, *dir, *old;
	int err = vfs_lookup_at(ostart, opath, &vn);
	if (err < 0)
		return err;
	if (vn->type == VDIR) {
		vnode_put(vn);
		return -EPERM;
	}
	err = vfs_walk(nstart, npath, name, &trailing, &dir);
	if (err < 0) {
		vnode_put(vn);
		return err;
	}
	if (vfs_is_dot(name) || trailing)
		err = -EEXIST;
	else if (dir->mnt != vn->mnt)
		err = -EXDEV;
	else if (dir->ops->link == NULL)
		err = -EACCES;
	if (err == 0) {
		mutex_lock(&dir->mnt->ns_lock);
		mutex_lock(&dir->lock);
		err = vfs_dir_get(dir, name, &old);
		if (err == 0) {
			vnode_put(old);
			err = -EEXIST;
		} else if (err == -ENOENT) {
			mutex_lock(&vn->lock);
			err = dir->ops->link(dir, name, vn);
			mutex_unlock(&vn->lock);
		}
		mutex_unlock(&dir->lock);
		mutex_unlock(&dir->mnt->ns_lock);
	}
	vnode_put(dir);
	vnode_put(vn);
	return err;
}

/* => ns_lock. -EINVAL if dir is vn or lies below it (same mount). */
static int vfs_check_not_below(struct vnode *vn, struct vnode *dir)
{
	struct vnode *cur = dir, *parent;
	int err = 0;
	vnode_ref(cur);
	while (err == 0 && cur != vn->mnt->root) {
		if (cur == vn) {
			err = -EINVAL;
			break;
		}
		err = vfs_step(cur, "..", &parent);
		vnode_put(cur);
		if (err < 0)
			return err;
		cur = parent;
	}
	vnode_put(cur);
	return err;
}

/* => ns_lock. Type checks of renaming vn over target (may be NULL). */
static int vfs_rename_check(struct vnode *odir, struct vnode *vn,
			    struct vnode *ndir, struct vnode *target)
{
	if (vfs_busy(vn) || (target != NULL && vfs_busy(target)))
		return -EBUSY;
	if (target != NULL) {
		if (vn->type == VDIR && target->type != VDIR)
			return -ENOTDIR;
		if (vn->type != VDIR && target->type == VDIR)
			return -EISDIR;
		if (target == odir)
			return -ENOTEMPTY;
	}
	if (vn->type == VDIR)
		return vfs_check_not_below(vn, ndir);
	return 0;
}

/* => ns_lock. Lock the (distinct) vnodes of a rename and call the file
 * system. */
static int vfs_rename_locked(struct vnode *odir, const char *oname, struct vnode *vn,
			     struct vnode *ndir, const char *nname, struct vnode *target)
{
	struct vnode *locks[4] = { odir, ndir != odir ? ndir : NULL, vn, target };
	for (int i = 0; i < 4; i++)
		if (locks[i] != NULL)
			mutex_lock(&locks[i]->lock);
	int err = odir->ops->rename(odir, oname, vn, ndir, nname, target);
	for (int i = 3; i >= 0; i--)
		if (locks[i] != NULL)
			mutex_unlock(&locks[i]->lock);
	return err;
}

/* => ns_lock. Find the source and target of a rename and do it. */
static int vfs_rename_in(struct vnode *odir, const char *oname,
			 struct vnode *ndir, const char *nname)
{
	struct vnode *vn = NULL, *target = NULL;
	mutex_lock(&odir->lock);
	int err = vfs_dir_get(odir, oname, &vn);
	mutex_unlock(&odir->lock);
	if (err < 0)
		return err;
	mutex_lock(&ndir->lock);
	err = vfs_dir_get(ndir, nname, &target);
	mutex_unlock(&ndir->lock);
	if (err == -ENOENT)
		err = 0;
	if (err == 0 && target != vn) {
		err = vfs_rename_check(odir, vn, ndir, target);
		if (err == 0)
			err = vfs_rename_locked(odir, oname, vn, ndir, nname, target);
	}
	if (target != NULL)
		vnode_put(target);
	vnode_put(vn);
	return err;
}

int vfs_rename(struct vnode *ostart, const char *opath,
	       struct vnode *nstart, const char *npath)
{
	char oname[NAME_MAX + 1], nname[NAME_MAX + 1];
	bool otrail, ntrail;
	struct vnode *odir, *ndir;
	int err = vfs_walk(ostart, opath, oname, &otrail, &odir);
	if (err < 0)
		return err;
	err = vfs_walk(nstart, npath, nname, &ntrail, &ndir);
	if (err < 0) {
		vnode_put(odir);
		return err;
	}
	if (vfs_is_dot(oname) || vfs_is_dot(nname))
		err = -EBUSY;
	else if (odir->mnt != ndir->mnt)
		err = -EXDEV;
	else if (odir->ops->rename == NULL)
		err = -EACCES;
	if (err == 0) {
		mutex_lock(&odir->mnt->ns_lock);
		err = vfs_rename_in(odir, oname, ndir, nname);
		mutex_unlock(&odir->mnt->ns_lock);
	}
	vnode_put(ndir);
	vnode_put(odir);
	return err;
}

int vfs_truncate(struct vnode *vn, uint64_t size)
{
	if (vn->type == VDIR)
		return -EISDIR;
	if (vn->type != VREG || vn->ops->truncate == NULL)
		return -EINVAL;
	if (__atomic_load_n(&vn->writecount, __ATOMIC_ACQUIRE) < 0)
		return -ETXTBSY;        /* a program runs it */
	mutex_lock(&vn->lock);
	int err = vn->ops->truncate(vn, size);
	mutex_unlock(&vn->lock);
	return err;
}

int vfs_stat(struct vnode *vn, struct stat *st)
{
	mutex_lock(&vn->lock);
	int err = vn->ops->stat(vn, st);
	mutex_unlock(&vn->lock);
	return err;
}

int vfs_readdir(struct vnode *dir, off_t *pos, struct vfs_dirent *de)
{
	if (dir->type != VDIR)
		return -ENOTDIR;
	mutex_lock(&dir->lock);
	int r = dir->ops->readdir(dir, pos, de);
	mutex_unlock(&dir->lock);
	return r;
}

/* Read through the file's page cache like read() (exec uses it). */
ssize_t vfs_read_kernel(struct vnode *vn, void *kbuf, off_t off, size_t len)
{
	struct uio uio = { (vaddr_t)kbuf, len, off, false };
	if (vn->type == VDIR)
		return -EISDIR;
	mutex_lock(&vn->lock);
	ssize_t n = vn->ops->read(vn, &uio);
	mutex_unlock(&vn->lock);
	return n;
}

/* ------------------------------------------------------------------ */
/* getcwd                                                               */
/* ------------------------------------------------------------------ */

/* The name under which child (as seen from dir) appears in dir. */
static int vfs_name_in(struct vnode *dir, struct vnode *child, struct vfs_dirent *de)
{
	ino_t ino = vfs_cross_up(child)->ino;
	off_t pos = 0;
	int r;
	while ((r = vfs_readdir(dir, &pos, de)) == 1)
		if (de->ino == ino && !vfs_is_dot(de->name))
			return 0;
	return r < 0 ? r : -ENOENT;
}

/* Prepend "/name" to the path being built backwards in buf at *pos. */
static int vfs_prepend(char *buf, size_t *pos, const char *name, size_t len)
{
	if (*pos < len + 1)
		return -ENAMETOOLONG;
	*pos -= len;
	memcpy(buf + *pos, name, len);
	buf[--*pos] = '/';
	return 0;
}

/* Path of directory dir (NULL: cwd) into buf, as vfs_getcwd. */
static long vfs_dir_path(struct vnode *dir, char *buf, size_t size)
{
	struct vfs_dirent *de = kmalloc(sizeof(*de));
	char *path = kmalloc(PATH_MAX);
	struct vnode *cur = vfs_start(dir, ""), *parent;
	size_t pos = PATH_MAX - 1;
	long err = de == NULL || path == NULL ? -ENOMEM : 0;
	if (path != NULL)
		path[pos] = '\0';
	while (err == 0 && cur != vfs_root) {
		err = vfs_step(cur, "..", &parent);
		if (err < 0)
			break;
		if (parent == cur) {            /* a root with no mount point */
			vnode_put(parent);
			break;
		}
		err = vfs_name_in(parent, cur, de);
		if (err == 0)
			err = vfs_prepend(path, &pos, de->name, de->namelen);
		vnode_put(cur);
		cur = parent;
	}
	if (err == 0 && pos == PATH_MAX - 1)
		path[--pos] = '/';
	size_t len = PATH_MAX - pos;            /* with the NUL */
	if (err == 0 && len > size)
		err = -ERANGE;
	if (err == 0) {
		memcpy(buf, path + pos, len);
		err = (long)len;
	}
	vnode_put(cur);
	kfree(path);
	kfree(de);
	return err;
}

long vfs_getcwd(char *buf, size_t size)
{
	return vfs_dir_path(NULL, buf, size);
}

char *vfs_abspath(struct vnode *start, const char *path)
{
	char *buf = kmalloc(PATH_MAX), *abs;

	if (buf == NULL)
		return NULL;
	buf[0] = '\0';
	if (path[0] != '/') {
		while (path[0] == '.' && path[1] == '/')
			path += 2;
		if (vfs_dir_path(start, buf, PATH_MAX) >= 0 &&
		    strcmp(buf, "/") != 0)
			strlcat(buf, "/", PATH_MAX);
	}
	strlcat(buf, path, PATH_MAX);
	size_t len = strlen(buf) + 1;
	abs = kmalloc(len);
	if (abs != NULL)
		memcpy(abs, buf, len);
	kfree(buf);
	return abs;
}

/* ------------------------------------------------------------------ */
/* Open vnode files                                                     */
/* ------------------------------------------------------------------ */

static ssize_t vnode_file_read(struct file *f, struct uio *uio)
{
	struct vnode *vn = f->vnode;
	if (vn->type == VDIR)
		return -EISDIR;
	mutex_lock(&vn->lock);
	ssize_t n = vn->ops->read(vn, uio);
	mutex_unlock(&vn->lock);
	return n;
}

static ssize_t vnode_file_write(struct file *f, struct uio *uio)
{
	struct vnode *vn = f->vnode;
	if (vn->type == VDIR)
		return -EISDIR;
	if (vn->ops->write == NULL)
		return -EINVAL;
	mutex_lock(&vn->lock);
	if (f->flags & O_APPEND)
		uio->offset = (off_t)vn->size;
	ssize_t n = vn->ops->write(vn, uio);
	mutex_unlock(&vn->lock);
	return n;
}

static int vnode_file_stat(struct file *f, struct stat *st)
{
	return vfs_stat(f->vnode, st);
}

static void vnode_file_close(struct file *f)
{
	if (vnode_file_writes(f->vnode, f->flags))
		vnode_write_release(f->vnode);
	vnode_put(f->vnode);
}

const struct file_ops vnode_fops = {
	.read = vnode_file_read,
	.write = vnode_file_write,
	.stat = vnode_file_stat,
	.close = vnode_file_close,
};

/* ------------------------------------------------------------------ */
/* Mounting                                                             */
/* ------------------------------------------------------------------ */

/* The referenced directory to mount on, or NULL for the first mount. */
static int vfs_mount_point(const char *path, struct vnode **out)
{
	*out = NULL;
	if (vfs_root == NULL)
		return strcmp(path, "/") == 0 ? 0 : -ENOENT;
	int err = vfs_lookup_at(vfs_root, path, out);
	if (err < 0)
		return err;
	if ((*out)->type != VDIR)
		err = -ENOTDIR;
	else if (vfs_busy(*out))
		err = -EBUSY;
	if (err < 0)
		vnode_put(*out);
	return err;
}

int vfs_mount(const char *path, const char *fstype, dev_t dev, ino_t root_ino,
	      const struct mount_ops *ops, void *priv)
{
	struct mount *mnt = kzalloc(sizeof(*mnt));
	struct vnode *covered, *root;
	if (mnt == NULL)
		return -ENOMEM;
	int err = vfs_mount_point(path, &covered);
	if (err < 0) {
		kfree(mnt);
		return err;
	}
	mnt->fstype = fstype;
	mnt->dev = dev;
	mnt->root_ino = root_ino;
	mnt->ops = ops;
	mnt->priv = priv;
	mutex_init(&mnt->ns_lock, "mount");
	list_init(&mnt->link);
	err = vnode_get(mnt, root_ino, &root);
	if (err < 0) {
		if (covered != NULL)
			vnode_put(covered);
		kfree(mnt);
		return err;
	}
	mnt->root = root;
	mnt->covered = covered;
	spin_lock(&vcache_lock);
	if (covered != NULL)
		covered->mounted = mnt;
	list_push_back(&mount_list, &mnt->link);
	spin_unlock(&vcache_lock);
	if (vfs_root == NULL)
		vfs_root = root;
	return 0;
}

/* The cached vnodes with a page cache, referenced, into list (room for
 * max); *n says how many. Returns true if some did not fit. */
static bool vcache_collect_files(struct vnode **list, size_t max, size_t *n)
{
	bool more = false;
	*n = 0;
	spin_lock(&vcache_lock);
	for (int i = 0; i < VCACHE_NHASH; i++) {
		struct list_node *pos;
		list_for_each(pos, &vcache_hash[i]) {
			struct vnode *vn = list_entry(pos, struct vnode, hash_link);
			if (vn->obj == NULL)
				continue;
			if (*n == max) {
				more = true;
				continue;
			}
			vn->refcnt++;
			list[(*n)++] = vn;
		}
	}
	spin_unlock(&vcache_lock);
	return more;
}

static size_t vcache_count_files(void)
{
	size_t n = 0;
	spin_lock(&vcache_lock);
	for (int i = 0; i < VCACHE_NHASH; i++) {
		struct list_node *pos;
		list_for_each(pos, &vcache_hash[i])
			n += list_entry(pos, struct vnode, hash_link)->obj != NULL;
	}
	spin_unlock(&vcache_lock);
	return n;
}

/* Write back the page cache of every cached file. Returns 0 or the first
 * error. */
static int vfs_sync_files(void)
{
	int err = 0;
	bool more = true;
	while (more) {
		size_t max = vcache_count_files() + VFS_SYNC_SLACK, n;
		struct vnode **list = kmalloc(max * sizeof(*list));
		if (list == NULL)
			return -ENOMEM;
		more = vcache_collect_files(list, max, &n);
		for (size_t i = 0; i < n; i++) {
			int e = vnode_pager_sync(list[i]);
			if (e < 0 && err == 0)
				err = e;
			vnode_put(list[i]);
		}
		kfree(list);
	}
	return err;
}

int vfs_fsync(struct vnode *vn)
{
	int err = vnode_pager_sync(vn);
	if (vn->mnt->ops->sync != NULL) {
		int e = vn->mnt->ops->sync(vn->mnt);
		if (err == 0)
			err = e;
	}
	return err == -ENOSPC || err == 0 ? err : -EIO;
}

void vfs_sync(void)
{
	struct list_node *pos;
	if (vfs_sync_files() < 0)
		printk("vfs: sync of file data failed\n");
	/* Mounts are never removed, so the list can be walked unlocked. */
	list_for_each(pos, &mount_list) {
		struct mount *mnt = list_entry(pos, struct mount, link);
		if (mnt->ops->sync != NULL && mnt->ops->sync(mnt) < 0)
			printk("vfs: sync of %s failed\n", mnt->fstype);
	}
}

/* Mount procfs on /proc, making the directory if the image lacks it. */
static void vfs_mount_proc(void)
{
	int err = vfs_mkdir(vfs_root, "/proc", 0555);
	if (err < 0 && err != -EEXIST)
		printk("vfs: cannot make /proc (%d)\n", err);
	err = procfs_mount("/proc");
	if (err < 0)
		printk("vfs: cannot mount /proc (%d)\n", err);
}

/* Mount devfs on /dev, making the directory if the image lacks it. */
static void vfs_mount_dev(void)
{
	int err = vfs_mkdir(vfs_root, "/dev", 0755);
	if (err < 0 && err != -EEXIST)
		printk("vfs: cannot make /dev (%d)\n", err);
	err = devfs_mount("/dev");
	if (err < 0)
		printk("vfs: cannot mount /dev (%d)\n", err);
}

void vfs_init(void)
{
	mutex_init(&vcache_load, "vcache load");
	list_init(&mount_list);
	for (int i = 0; i < VCACHE_NHASH; i++)
		list_init(&vcache_hash[i]);
	vnode_cache = kmem_cache_create("vnode", sizeof(struct vnode), 0);
	if (vnode_cache == NULL)
		panic("vfs_init: no memory for the vnode cache");
	int err = ext2_mount(VFS_ROOT_DEV, "/");
	if (err < 0)
		panic("vfs_init: cannot mount the root file system (%d)", err);
	/* The mounted disk is the file system's: its raw node /dev/vda
	 * opens read-only (kernel/dev/blkdev.h). */
	if (blk_claim(VFS_ROOT_DEV, BLK_CLAIM_EXCL) < 0)
		panic("vfs_init: root disk already claimed");
	vfs_mount_proc();
	vfs_mount_dev();
}
