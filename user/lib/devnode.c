/*
 * mknod and mknodat: make a device node (Pagoda makes them only in /dev,
 * a devfs; elsewhere the kernel says EPERM). Each returns 0 or -1 with
 * errno set.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include "pagoda.h"

#ifndef SYS_mknodat
#define SYS_mknodat 33          /* Linux riscv64 (asm-generic) */
#endif

int mknodat(int dirfd, const char *path, mode_t mode, dev_t dev)
{
	return (int)pg_sysret(pg_syscall4(SYS_mknodat, dirfd, path, mode,
					  (unsigned int)dev));
}

int mknod(const char *path, mode_t mode, dev_t dev)
{
	return mknodat(AT_FDCWD, path, mode, dev);
}
