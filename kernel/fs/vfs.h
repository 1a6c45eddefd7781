/*
 * The virtual file system: vnodes, the mount table, path lookup.
 * kernel/fs/vfs.c owns it; ext2 (kernel/fs/ext2.c), procfs
 * (kernel/fs/procfs.c) and devfs (kernel/fs/devfs.c) provide vnode_ops. The fields listed here are the
 * ones other subsystems use (exec, /proc, mmap later).
 *
 * Lock order inside the file system (see kernel/vm/vm.h for the rest):
 *   mount->ns_lock (mutex: namespace changes of one file system)
 *     vnode->lock (mutex; several only under ns_lock)
 *       [mspace->lock: a fault in read()/write()'s uio_move]
 *         vcache load lock (mutex: reading an inode into a new vnode, and
 *                           releasing a file's last reference)
 *           vm_object->lock (mutex: a file's page cache, kernel/vm/object.h)
 *             ext2 map lock (mutex: one inode's block map)
 *               ext2 fs->lock (mutex: bitmaps, group descriptors, superblock)
 *                 bcache buffer lock (mutex)
 *                   vcache lock, bcache lock, pipe lock, file lock, devfs lock
 *                   (spin, leaf)
 */
#ifndef KERNEL_FS_VFS_H
#define KERNEL_FS_VFS_H

#include "kernel/types.h"
#include "kernel/lock.h"
#include "kernel/lib/list.h"
#include "kernel/fs/stat.h"

struct vnode_ops;
struct mount;
struct vm_object;
struct uio;
struct file;

enum vnode_type { VNON, VREG, VDIR, VCHR, VFIFO, VLNK, VBLK };

/*
 * Locking: (v) vn->lock (a mutex), (m) the vnode cache lock, (c) const,
 * (a) atomic.
 * Invariant: refcnt > 0 while the vnode is in the cache; mounted != NULL
 * only for a directory.
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
	struct vm_object *obj;          /* (c) page cache of a regular file (set
	                                 * before the vnode is cached), or NULL;
	                                 * holds one reference: vnode_pager.c */
	struct mount *mounted;          /* (m) file system mounted here, or NULL */
	int writecount;                 /* (a) atomic: > 0 open files that may
	                                 * write it, < 0 programs running it */
	struct list_node hash_link;     /* (m) vnode cache chain */
};

/* One directory entry as readdir returns it. */
struct vfs_dirent {
	ino_t ino;
	uint8_t type;                   /* DT_* */
	uint16_t namelen;               /* bytes, without the NUL */
	char name[NAME_MAX + 1];        /* NUL-terminated */
};

/*
 * What a file system provides for its vnodes. Names are NUL-terminated
 * components of at most NAME_MAX bytes, never "." or ".." for operations
 * that change a directory. Each returns 0 or a negative errno unless said.
 */
struct vnode_ops {
	/* => dir->lock. Inode number of name in dir, or -ENOENT. */
	int (*lookup)(struct vnode *dir, const char *name, ino_t *ino);
	/* => vn->lock. Bytes moved from/to uio->offset, or -errno. */
	ssize_t (*read)(struct vnode *vn, struct uio *uio);
	ssize_t (*write)(struct vnode *vn, struct uio *uio);
	/* => vn->lock. Set the size in bytes, freeing or zero-filling. */
	int (*truncate)(struct vnode *vn, uint64_t size);
	/* Optional: regular files get a page cache (kernel/fs/vnode_pager.c)
	 * only if this is set. Where byte off of vn lies on the disk
	 * (DEV_ID in mnt->dev): *sector (512-byte units, 0 for a hole) and
	 * *len, the bytes from off to the end of its block. With alloc, a
	 * hole gets a new block (not zeroed: the caller writes it whole).
	 * => no vnode lock needed (the file system guards its block map);
	 * may sleep. Returns 0, -ENOSPC, -EFBIG or -EIO. */
	int (*bmap)(struct vnode *vn, uint64_t off, bool alloc, uint64_t *sector,
		    uint32_t *len);
	/* => dir->lock. The entry at or after *pos: fills de, moves *pos past
	 * it and returns 1; returns 0 at the end. */
	int (*readdir)(struct vnode *dir, off_t *pos, struct vfs_dirent *de);
	/* => ns_lock, dir->lock; name absent. A new regular file or directory
	 * (mode has S_IFREG or S_IFDIR); its inode number in *ino. */
	int (*create)(struct vnode *dir, const char *name, mode_t mode, ino_t *ino);
	/* Optional (mknod; without it -EPERM). => ns_lock, dir->lock; name
	 * absent. A device node of mode (S_IF* | permissions) and device
	 * number rdev (Linux encoding, kernel/dev/chrdev.h); its inode number
	 * in *ino. */
	int (*mknod)(struct vnode *dir, const char *name, mode_t mode, dev_t rdev,
		     ino_t *ino);
	/* => ns_lock, dir->lock, vn->lock; name absent. */
	int (*link)(struct vnode *dir, const char *name, struct vnode *vn);
	/* => ns_lock, dir->lock, vn->lock; name names vn. Removes the entry;
	 * for a directory (rmdir) -ENOTEMPTY unless it is empty. */
	int (*unlink)(struct vnode *dir, const char *name, struct vnode *vn);
	/* => ns_lock and the locks of odir, ndir, vn and target (if any).
	 * Moves odir/oname (naming vn) to ndir/nname, replacing target. */
	int (*rename)(struct vnode *odir, const char *oname, struct vnode *vn,
		      struct vnode *ndir, const char *nname, struct vnode *target);
	/* => vn->lock. */
	int (*stat)(struct vnode *vn, struct stat *st);
	/* Optional: make the open file for vn (procfs builds its text here).
	 * No locks held. */
	int (*open)(struct vnode *vn, int flags, struct file **out);
	/* The last reference is gone (no locks held): free the inode if its
	 * link count is 0, then priv. */
	void (*reclaim)(struct vnode *vn);
};

/* A file system type's hooks for one mount. */
struct mount_ops {
	/* Fill a new vnode (vn->ino and vn->mnt set) from its inode. */
	int (*vget)(struct mount *mnt, struct vnode *vn);
	/* Write every dirty block (may be NULL). */
	int (*sync)(struct mount *mnt);
};

/*
 * One mounted file system. Locking: (c) const after vfs_mount, (n) ns_lock.
 */
struct mount {
	struct list_node link;          /* (c) on the mount table */
	const char *fstype;             /* (c) "ext2", "proc" */
	dev_t dev;                      /* (c) st_dev of its files */
	ino_t root_ino;                 /* (c) */
	struct vnode *root;             /* (c) referenced root directory */
	struct vnode *covered;          /* (c) referenced mount point, NULL for / */
	const struct mount_ops *ops;    /* (c) */
	void *priv;                     /* (c) file-system data */
	struct mutex ns_lock;           /* serialises namespace changes */
};

void vfs_init(void);    /* mount ext2 at /, procfs at /proc, devfs at /dev */

/* Look up path (absolute, or relative to the current process's cwd).
 * Returns 0 and a referenced vnode, or -ENOENT, -ENOTDIR, -ENAMETOOLONG,
 * -EIO. */
int vfs_lookup(const char *path, struct vnode **out);
void vnode_ref(struct vnode *vn);
void vnode_put(struct vnode *vn);
/* Kernel-buffer read of a regular file: bytes read (0 at end), or -errno. */
ssize_t vfs_read_kernel(struct vnode *vn, void *kbuf, off_t off, size_t len);
/* Write every dirty page of every cached file, then every dirty metadata
 * block, to disk (sync, poweroff). */
void vfs_sync(void);
/* Write vn's dirty pages, then its file system's metadata (fsync).
 * Returns 0, -EIO or -ENOSPC. */
int vfs_fsync(struct vnode *vn);

/* Write access and running text exclude each other (ETXTBSY). Take the
 * right to write vn (an open for writing): 0, or -ETXTBSY while a program
 * runs it. */
int vnode_write_access(struct vnode *vn);
void vnode_write_release(struct vnode *vn);
/* Deny writes to vn while a program runs it (exec): 0, or -ETXTBSY while
 * it is open for writing. vnode_allow_write undoes one denial. */
int vnode_deny_write(struct vnode *vn);
void vnode_allow_write(struct vnode *vn);

/* ---- for file systems ---- */
/* The referenced vnode of (mnt, ino), reading the inode on a miss.
 * Returns 0, -ENOMEM or the file system's vget error. */
int vnode_get(struct mount *mnt, ino_t ino, struct vnode **out);
/* Mount a file system with root inode root_ino on directory path ("/" for
 * the first). Returns 0, -ENOMEM, -ENOENT, -ENOTDIR, -EBUSY. */
int vfs_mount(const char *path, const char *fstype, dev_t dev, ino_t root_ino,
	      const struct mount_ops *ops, void *priv);
/* Seconds for timestamps (boot-relative clock plus a fixed base). */
uint32_t vfs_time(void);

/* ---- for sys_file.c: paths are resolved from start (NULL: cwd) ---- */
int vfs_lookup_at(struct vnode *start, const char *path, struct vnode **out);
/* Open or create (O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY). */
int vfs_open(struct vnode *start, const char *path, int flags, mode_t mode,
	     struct file **out);
/* An open file on a vnode (takes a new vnode reference). */
int vfs_open_vnode(struct vnode *vn, int flags, struct file **out);
int vfs_mkdir(struct vnode *start, const char *path, mode_t mode);
/* A device node (mknodat). Returns 0, -EEXIST, -EPERM (the file system
 * makes no device nodes, or not of this type), or a lookup error. */
int vfs_mknod(struct vnode *start, const char *path, mode_t mode, dev_t rdev);
/* unlink, or rmdir when dir is true. */
int vfs_unlink(struct vnode *start, const char *path, bool dir);
int vfs_link(struct vnode *ostart, const char *opath,
	     struct vnode *nstart, const char *npath);
int vfs_rename(struct vnode *ostart, const char *opath,
	       struct vnode *nstart, const char *npath);
int vfs_truncate(struct vnode *vn, uint64_t size);
int vfs_stat(struct vnode *vn, struct stat *st);
/* => no locks. One entry at *pos (see vnode_ops.readdir). */
int vfs_readdir(struct vnode *dir, off_t *pos, struct vfs_dirent *de);
/* Path of the current directory into buf (size bytes with the NUL).
 * Returns the length with the NUL, -ERANGE, -ENOENT or -ENOMEM. */
long vfs_getcwd(char *buf, size_t size);
/* path (resolved from start, NULL: cwd) made absolute with the path of
 * its starting directory, leading "./" dropped; relative if that
 * directory's path cannot be found. A kmalloc'ed string for the caller to
 * kfree, or NULL on -ENOMEM. */
char *vfs_abspath(struct vnode *start, const char *path);

/* The file operations of an open vnode (regular file or directory). */
extern const struct file_ops vnode_fops;


/* The page-cache memory object of a regular file, with a new reference for
 * the caller (mmap, exec). While any such reference lives, the file's data
 * and inode stay alive, even after close() and unlink(). Drop it with
 * vm_object_unref. Returns NULL for a file without a page cache (not a
 * regular file of a disk file system: /proc files). The object exists
 * from the vnode's load on, so this never allocates.
 * => the caller holds a reference to vn; no vnode lock needed (mmap may
 *    call it with its mspace lock held). Lifetime: kernel/fs/vnode_pager.c */
struct vm_object *vnode_object(struct vnode *vn);

#endif
