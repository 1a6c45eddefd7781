/*
 * The virtual file system: vnodes, the mount table, path lookup.
 * kernel/fs/vfs.c owns it; ext2 (kernel/fs/ext2.c) and procfs
 * (kernel/fs/procfs.c) provide vnode_ops. The fields listed here are the
 * ones other subsystems use (exec, /proc, mmap later).
 */
#ifndef KERNEL_FS_VFS_H
#define KERNEL_FS_VFS_H

#include "kernel/types.h"
#include "kernel/lock.h"

struct vnode_ops;
struct mount;
struct vm_object;

enum vnode_type { VNON, VREG, VDIR, VCHR, VFIFO, VLNK };

/*
 * Locking: (v) vn->lock (a mutex), (m) the vnode cache lock, (c) const.
 */
struct vnode {
	struct mutex lock;
	int refcnt;                     /* (m) */
	enum vnode_type type;           /* (v) */
	mode_t mode;                    /* (v) Linux S_IF* | permissions */
	ino_t ino;                      /* (c) */
	uint64_t size;                  /* (v) bytes */
	uint32_t nlink;                 /* (v) */
	struct mount *mnt;              /* (c) */
	const struct vnode_ops *ops;    /* (c) */
	void *priv;                     /* (v) file-system inode data */
	struct vm_object *obj;          /* (v) page cache object (later issue) */
};

void vfs_init(void);                    /* mount ext2 at / and procfs at /proc */

/* Look up path (absolute, or relative to the current process's cwd).
 * Returns 0 and a referenced vnode, or -ENOENT, -ENOTDIR, -ENAMETOOLONG,
 * -EIO. */
int vfs_lookup(const char *path, struct vnode **out);
void vnode_ref(struct vnode *vn);
void vnode_put(struct vnode *vn);
/* Kernel-buffer read of a regular file: bytes read (0 at end), or -errno. */
ssize_t vfs_read_kernel(struct vnode *vn, void *kbuf, off_t off, size_t len);
/* Write every dirty block to disk (sync, poweroff). */
void vfs_sync(void);

#endif
