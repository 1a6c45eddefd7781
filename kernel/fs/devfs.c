/*
 * devfs (kernel/fs/devfs.h): /dev as a table of at most DEVFS_MAX_NODES
 * device nodes in memory under one root directory (character devices,
 * and a block node per disk, kernel/dev/blkdev.h). mknod adds a
 * node, unlink removes one; open finds the driver by the node's major
 * number. Each node's inode number is new (never reused), so a vnode
 * still open after unlink can never be mistaken for a later node.
 * Called only through vnode_ops and mount_ops; it knows no driver's
 * insides, only its open (kernel/dev/chrdev.h, kernel/dev/blkdev.h).
 */
#include "kernel/fs/devfs.h"
#include "kernel/fs/vfs.h"
#include "kernel/fs/file.h"
#include "kernel/fs/stat.h"
#include "kernel/dev/blk.h"
#include "kernel/dev/blkdev.h"
#include "kernel/dev/chrdev.h"
#include "kernel/dev/dev.h"
#include "kernel/errno.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "kernel/vm/kmem.h"

#define DEVFS_MAX_NODES   32
#define DEVFS_NAME_MAX    31            /* bytes of a node name, without NUL */
#define DEVFS_ROOT_INO    1
#define DEVFS_DEV         DEV_ID(DEV_NONE, 2)   /* st_dev (procfs is unit 1) */
#define DEVFS_DIR_MODE    (S_IFDIR | 0755)
#define DEVFS_BLKSIZE     4096          /* st_blksize, bytes */
/* readdir positions: ".", "..", then DEVFS_DOTS + slot for each used slot.
 * Any other position (lseek allows every off_t >= 0) is the end. */
#define DEVFS_DOTS        2

/* A node: in the table while it has a name. */
struct devfs_node {
	char name[DEVFS_NAME_MAX + 1];  /* "" for a free slot */
	ino_t ino;
	mode_t mode;                    /* S_IFCHR | permissions */
	dev_t rdev;                     /* RDEV_MAKE(major, minor) */
	uint32_t time;                  /* seconds, when made (vfs_time) */
};

/* What a vnode keeps of its node (vn->priv), valid after unlink too. */
struct devfs_inode {
	dev_t rdev;
	uint32_t time;
};

/* A driver: the majors devfs can open, of character (S_IFCHR) or block
 * (S_IFBLK) nodes. */
struct devfs_driver {
	mode_t type;
	unsigned int major;
	int (*open)(struct vnode *vn, unsigned int minor, int flags, struct file **out);
};

static const struct devfs_driver devfs_drivers[] = {
	{ S_IFCHR, MEM_MAJOR, mem_dev_open },
	{ S_IFCHR, TTYAUX_MAJOR, tty_dev_open },
	{ S_IFBLK, VIRTBLK_MAJOR, blkdev_open },
};

/* The nodes made at mount. */
static const struct {
	const char *name;
	mode_t perm;
	unsigned int major, minor;
} devfs_standard[] = {
	{ "null", 0666, MEM_MAJOR, MEM_NULL },
	{ "zero", 0666, MEM_MAJOR, MEM_ZERO },
	{ "random", 0666, MEM_MAJOR, MEM_RANDOM },
	{ "urandom", 0666, MEM_MAJOR, MEM_URANDOM },
	{ "tty", 0666, TTYAUX_MAJOR, TTYAUX_TTY },
	{ "console", 0600, TTYAUX_MAJOR, TTYAUX_CONSOLE },
};

/*
 * Locking: (d) devfs_lock, a leaf spinlock (taken under the root's
 * vnode lock for lookup, readdir, mknod and unlink, alone for vget).
 * Invariant: names of used slots are distinct; ino of a used slot is
 * > DEVFS_ROOT_INO and < devfs_next_ino.
 */
static struct spinlock devfs_lock = SPINLOCK_INIT("devfs");
static struct devfs_node devfs_nodes[DEVFS_MAX_NODES];  /* (d) */
static ino_t devfs_next_ino = DEVFS_ROOT_INO + 1;       /* (d) */

static const struct vnode_ops devfs_vnode_ops;

/* => devfs_lock. The slot named name, or -1. */
static int _devfs_find_name(const char *name)
{
	for (int i = 0; i < DEVFS_MAX_NODES; i++)
		if (devfs_nodes[i].name[0] != '\0' && strcmp(devfs_nodes[i].name, name) == 0)
			return i;
	return -1;
}

/* => devfs_lock. The slot of inode ino, or -1. */
static int _devfs_find_ino(ino_t ino)
{
	for (int i = 0; i < DEVFS_MAX_NODES; i++)
		if (devfs_nodes[i].name[0] != '\0' && devfs_nodes[i].ino == ino)
			return i;
	return -1;
}

/* Add node name. Returns 0 and its inode number, -EEXIST, -ENOSPC (the
 * table is full) or -ENAMETOOLONG. */
static int devfs_add(const char *name, mode_t mode, dev_t rdev, ino_t *ino)
{
	int err = -ENOSPC;

	if (strlen(name) > DEVFS_NAME_MAX)
		return -ENAMETOOLONG;
	spin_lock(&devfs_lock);
	if (_devfs_find_name(name) >= 0) {
		err = -EEXIST;
	} else {
		for (int i = 0; i < DEVFS_MAX_NODES; i++) {
			struct devfs_node *n = &devfs_nodes[i];
			if (n->name[0] != '\0')
				continue;
			strlcpy(n->name, name, sizeof(n->name));
			n->ino = devfs_next_ino++;
			n->mode = mode;
			n->rdev = rdev;
			n->time = vfs_time();
			*ino = n->ino;
			err = 0;
			break;
		}
	}
	spin_unlock(&devfs_lock);
	return err;
}

static int devfs_vget(struct mount *mnt __unused, struct vnode *vn)
{
	if (vn->ino == DEVFS_ROOT_INO) {
		vn->type = VDIR;
		vn->mode = DEVFS_DIR_MODE;
		vn->nlink = 2;
		vn->ops = &devfs_vnode_ops;
		return 0;
	}
	struct devfs_inode *di = kmalloc(sizeof(*di));
	if (di == NULL)
		return -ENOMEM;
	spin_lock(&devfs_lock);
	int i = _devfs_find_ino(vn->ino);
	if (i >= 0) {
		di->rdev = devfs_nodes[i].rdev;
		di->time = devfs_nodes[i].time;
		vn->mode = devfs_nodes[i].mode;
	}
	spin_unlock(&devfs_lock);
	if (i < 0) {
		kfree(di);
		return -ENOENT;
	}
	vn->type = S_ISBLK(vn->mode) ? VBLK : VCHR;
	if (vn->type == VBLK)
		vn->size = blkdev_size(di->rdev);      /* for lseek SEEK_END */
	vn->nlink = 1;
	vn->priv = di;
	vn->ops = &devfs_vnode_ops;
	return 0;
}

static int devfs_lookup(struct vnode *dir __unused, const char *name, ino_t *ino)
{
	if (strcmp(name, "..") == 0) {
		*ino = DEVFS_ROOT_INO;  /* the VFS crosses up to the mount point */
		return 0;
	}
	spin_lock(&devfs_lock);
	int i = _devfs_find_name(name);
	if (i >= 0)
		*ino = devfs_nodes[i].ino;
	spin_unlock(&devfs_lock);
	return i >= 0 ? 0 : -ENOENT;
}

static void devfs_dirent(struct vfs_dirent *de, ino_t ino, uint8_t type, const char *name)
{
	de->ino = ino;
	de->type = type;
	de->namelen = (uint16_t)strlcpy(de->name, name, sizeof(de->name));
}

static int devfs_readdir(struct vnode *dir __unused, off_t *pos, struct vfs_dirent *de)
{
	if (*pos < 0)
		return 0;
	if (*pos < DEVFS_DOTS) {
		devfs_dirent(de, DEVFS_ROOT_INO, DT_DIR, *pos == 0 ? "." : "..");
		(*pos)++;
		return 1;
	}
	int found = 0;
	spin_lock(&devfs_lock);
	for (off_t slot = *pos - DEVFS_DOTS; slot < DEVFS_MAX_NODES; slot++) {
		const struct devfs_node *n = &devfs_nodes[slot];
		if (n->name[0] == '\0')
			continue;
		devfs_dirent(de, n->ino, stat_mode_to_dtype(n->mode), n->name);
		*pos = DEVFS_DOTS + slot + 1;
		found = 1;
		break;
	}
	spin_unlock(&devfs_lock);
	return found;
}

/*
 * mknod in /dev: a character device node name with permissions from mode
 * and device number rdev (Linux encoding). Other file types are not
 * made here. => ns_lock, dir->lock; name absent.
 * Returns 0, -EPERM (not S_IFCHR), -EEXIST, -ENOSPC, -ENAMETOOLONG.
 */
static int devfs_mknod(struct vnode *dir __unused, const char *name, mode_t mode,
		       dev_t rdev, ino_t *ino)
{
	if (!S_ISCHR(mode))
		return -EPERM;
	return devfs_add(name, S_IFCHR | (mode & S_IPERM), rdev, ino);
}

static int devfs_unlink(struct vnode *dir __unused, const char *name, struct vnode *vn)
{
	spin_lock(&devfs_lock);
	int i = _devfs_find_name(name);
	if (i >= 0)
		devfs_nodes[i].name[0] = '\0';
	spin_unlock(&devfs_lock);
	if (i < 0)
		return -ENOENT;
	vn->nlink = 0;
	return 0;
}

static int devfs_stat(struct vnode *vn, struct stat *st)
{
	const struct devfs_inode *di = vn->priv;

	memset(st, 0, sizeof(*st));
	st->st_dev = vn->mnt->dev;
	st->st_ino = vn->ino;
	st->st_mode = vn->mode;
	st->st_nlink = vn->nlink;
	st->st_blksize = DEVFS_BLKSIZE;
	if (di != NULL) {
		st->st_rdev = di->rdev;
		st->st_atime_sec = st->st_mtime_sec = st->st_ctime_sec = di->time;
	}
	return 0;
}

/* Open the root as a directory, a node through its driver. -ENXIO for a
 * node whose major has no driver here. */
static int devfs_open(struct vnode *vn, int flags, struct file **out)
{
	if (vn->type == VDIR) {
		struct file *f = file_alloc(&vnode_fops, flags & (O_ACCMODE | O_NONBLOCK |
								  O_DIRECTORY));
		if (f == NULL)
			return -ENOMEM;
		vnode_ref(vn);
		f->vnode = vn;
		*out = f;
		return 0;
	}
	const struct devfs_inode *di = vn->priv;
	for (size_t i = 0; i < ARRAY_SIZE(devfs_drivers); i++)
		if (devfs_drivers[i].type == (vn->mode & S_IFMT) &&
		    devfs_drivers[i].major == RDEV_MAJOR(di->rdev))
			return devfs_drivers[i].open(vn, RDEV_MINOR(di->rdev), flags, out);
	return -ENXIO;
}

static void devfs_reclaim(struct vnode *vn)
{
	kfree(vn->priv);
	vn->priv = NULL;
}

static const struct vnode_ops devfs_vnode_ops = {
	.lookup = devfs_lookup,
	.readdir = devfs_readdir,
	.mknod = devfs_mknod,
	.unlink = devfs_unlink,
	.stat = devfs_stat,
	.open = devfs_open,
	.reclaim = devfs_reclaim,
};

static const struct mount_ops devfs_mount_ops = {
	.vget = devfs_vget,
};

/* A block node per disk of the request manager: vda, vdb, ... */
static void devfs_add_disks(void)
{
	for (unsigned unit = 1; unit <= DEV_MAX_UNITS; unit++) {
		dev_id_t dev = DEV_ID(DEV_BLOCK, unit);
		char name[BLK_NODE_NAME_MAX];
		ino_t ino;
		int err;

		if (blk_nsectors(dev) == 0)
			continue;
		blk_node_name(dev, name);
		err = devfs_add(name, S_IFBLK | 0660, blkdev_rdev(dev), &ino);
		if (err < 0)
			printk("devfs: cannot make %s (%d)\n", name, err);
	}
}

int devfs_mount(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(devfs_standard); i++) {
		ino_t ino;
		int err = devfs_add(devfs_standard[i].name, S_IFCHR | devfs_standard[i].perm,
				    RDEV_MAKE(devfs_standard[i].major, devfs_standard[i].minor),
				    &ino);
		if (err < 0)
			printk("devfs: cannot make %s (%d)\n", devfs_standard[i].name, err);
	}
	devfs_add_disks();
	return vfs_mount(path, "devfs", DEVFS_DEV, DEVFS_ROOT_INO, &devfs_mount_ops, NULL);
}
