/*
 * The swap system calls, swapon(2) and swapoff(2), with Linux riscv64
 * numbers and errors: the path must name a block device node (found by
 * its device number, kernel/dev/blkdev.h); the device half is
 * kernel/vm/swap.c (swap_on, swap_off), bringing pages back in is
 * vm_swapoff (kernel/vm/swapoff.c). Called only from the system call
 * dispatcher.
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/lock.h"
#include "kernel/syscall.h"
#include "kernel/dev/blk.h"
#include "kernel/dev/blkdev.h"
#include "kernel/lib/string.h"
#include "kernel/fs/stat.h"
#include "kernel/fs/vfs.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/swap.h"
#include "kernel/vm/uaccess.h"

/* swapon flags (Linux include/linux/swap.h). Pagoda has one swap device,
 * so the priority and discard policy are accepted and ignored. */
#define SWAP_FLAG_PREFER        0x8000
#define SWAP_FLAG_PRIO_MASK     0x7fff
#define SWAP_FLAG_DISCARD       0x10000
#define SWAP_FLAG_DISCARD_ONCE  0x20000
#define SWAP_FLAG_DISCARD_PAGES 0x40000
#define SWAP_FLAGS_VALID        (SWAP_FLAG_PRIO_MASK | SWAP_FLAG_PREFER | \
				 SWAP_FLAG_DISCARD | SWAP_FLAG_DISCARD_ONCE | \
				 SWAP_FLAG_DISCARD_PAGES)

/* Serialises swapon and swapoff: one attach or detach at a time. */
static struct mutex swapctl_lock = {
	.lk = SPINLOCK_INIT("swapctl"), .name = "swapctl",
};

/* Look up the user path at upath (copied into kpath, PATH_MAX bytes):
 * whether it is a block device node (*is_blk) and the disk behind it
 * (*dev, 0 if none). Returns 0, -EFAULT, -ENAMETOOLONG or a lookup error
 * (-ENOENT, -ENOTDIR, ...). */
static int swap_path_disk(vaddr_t upath, char *kpath, dev_id_t *dev, bool *is_blk)
{
	struct vnode *vn;
	struct stat st;
	long n = copyinstr(kpath, upath, PATH_MAX);
	int err;

	if (n < 0)
		return (int)n;
	err = vfs_lookup(kpath, &vn);
	if (err < 0)
		return err;
	err = vfs_stat(vn, &st);
	vnode_put(vn);
	if (err < 0)
		return err;
	*is_blk = S_ISBLK(st.st_mode);
	*dev = *is_blk ? blkdev_disk((dev_t)st.st_rdev) : 0;
	return 0;
}

/*
 * swapon(path, flags): make the disk of block device node path the swap
 * device. Returns 0, -EINVAL (unknown flags, or no valid mkswap header),
 * -ENOTBLK (path is not a block device), -ENXIO (a block node with no
 * disk behind it), -EBUSY (swap is on already, or the disk is in use:
 * the root file system, or open for writing), -EFAULT, -ENAMETOOLONG,
 * a lookup error, -ENOMEM or -EIO.
 */
long sys_swapon(const struct syscall_args *args)
{
	char *path;
	dev_id_t dev = 0;
	bool is_blk = false;
	int err;

	if ((unsigned long)args->a[1] & ~(unsigned long)SWAP_FLAGS_VALID)
		return -EINVAL;
	path = kmalloc(PATH_MAX);
	if (path == NULL)
		return -ENOMEM;
	err = swap_path_disk((vaddr_t)args->a[0], path, &dev, &is_blk);
	if (err == 0 && !is_blk)
		err = -ENOTBLK;
	else if (err == 0 && dev == 0)
		err = -ENXIO;
	if (err == 0) {
		/* /proc/swaps names the disk's own node, whatever path found it. */
		strlcpy(path, "/dev/", PATH_MAX);
		blk_node_name(dev, path + strlen(path));
		mutex_lock(&swapctl_lock);
		err = swap_device() != 0 ? -EBUSY : swap_on(dev, path, false);
		mutex_unlock(&swapctl_lock);
	}
	kfree(path);
	return err;
}

/*
 * swapoff(path): bring every page on the swap device back in and detach
 * it; path must name the swap device's node. No new slot is handed out
 * meanwhile; if vm_swapoff fails, swap stays on with what it still holds.
 * Returns 0, -EINVAL (path is not the swap device), -EFAULT,
 * -ENAMETOOLONG, a lookup error, or vm_swapoff's -ENOMEM, -EINTR, -EIO.
 */
long sys_swapoff(const struct syscall_args *args)
{
	char *path = kmalloc(PATH_MAX);
	dev_id_t dev = 0;
	bool is_blk = false;
	int err;

	if (path == NULL)
		return -ENOMEM;
	err = swap_path_disk((vaddr_t)args->a[0], path, &dev, &is_blk);
	kfree(path);
	if (err < 0)
		return err;
	mutex_lock(&swapctl_lock);
	if (dev == 0 || swap_device() != dev) {
		err = -EINVAL;
	} else {
		swap_set_draining(true);
		err = vm_swapoff();
		if (err == 0)
			err = swap_off();
		else
			swap_set_draining(false);
	}
	mutex_unlock(&swapctl_lock);
	return err;
}
