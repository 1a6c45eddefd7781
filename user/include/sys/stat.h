/*
 * <sys/stat.h> for Pagoda: struct stat in the Linux riscv64 (asm-generic)
 * layout, 128 bytes, filled by the kernel directly (fstat, newfstatat).
 * Replaces picolibc's newlib layout, which has 16-bit st_dev/st_ino/st_uid.
 */
#ifndef _PAGODA_SYS_STAT_H
#define _PAGODA_SYS_STAT_H

#include <sys/cdefs.h>
#include <sys/types.h>
#include <sys/_timespec.h>
#include <time.h>

struct stat {
	unsigned long st_dev;		/* device of the file system */
	unsigned long st_ino;		/* inode number */
	unsigned int st_mode;		/* S_IF* type and permission bits */
	unsigned int st_nlink;		/* hard links */
	unsigned int st_uid;
	unsigned int st_gid;
	unsigned long st_rdev;		/* device, for device files */
	unsigned long __pad1;
	long st_size;			/* bytes */
	int st_blksize;			/* preferred I/O size, bytes */
	int __pad2;
	long st_blocks;			/* 512-byte units allocated */
	struct timespec st_atim;
	struct timespec st_mtim;
	struct timespec st_ctim;
	unsigned int __unused4;
	unsigned int __unused5;
};
_Static_assert(sizeof(struct stat) == 128, "Linux asm-generic struct stat is 128 bytes");

#define st_atime st_atim.tv_sec
#define st_mtime st_mtim.tv_sec
#define st_ctime st_ctim.tv_sec

#include <abi/stat.h>

#define S_IREAD  S_IRUSR
#define S_IWRITE S_IWUSR
#define S_IEXEC  S_IXUSR

#define UTIME_NOW  ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)

__BEGIN_DECLS
int stat(const char *__restrict path, struct stat *__restrict st);
int lstat(const char *__restrict path, struct stat *__restrict st);
int fstat(int fd, struct stat *st);
int fstatat(int dirfd, const char *__restrict path, struct stat *__restrict st, int flags);
int mkdir(const char *path, mode_t mode);
int mkdirat(int dirfd, const char *path, mode_t mode);
mode_t umask(mode_t mask);
int mknod(const char *path, mode_t mode, dev_t dev);
int mknodat(int dirfd, const char *path, mode_t mode, dev_t dev);
__END_DECLS

#endif
