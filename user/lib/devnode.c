/*
 * mknod and mknodat: make a device node (Pagoda makes them only in /dev,
 * a devfs; elsewhere the kernel says EPERM). Each returns 0 or -1 with
 * errno set.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include "pagoda.h"

/* The kernel takes the 32-bit Linux encoding. picolibc's dev_t is a
 * 16-bit short on this target: widen it without its sign. */
static unsigned int devnode_rdev(dev_t dev)
{
	if (sizeof(dev_t) < sizeof(unsigned int))
		return (unsigned short)dev;
	return (unsigned int)dev;
}

int mknodat(int dirfd, const char *path, mode_t mode, dev_t dev)
{
	return (int)pg_sysret(pg_syscall4(SYS_mknodat, dirfd, path, mode,
					  devnode_rdev(dev)));
}

int mknod(const char *path, mode_t mode, dev_t dev)
{
	return mknodat(AT_FDCWD, path, mode, dev);
}
