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

#define S_IFMT   0170000
#define S_IFSOCK 0140000
#define S_IFLNK  0120000
#define S_IFREG  0100000
#define S_IFBLK  0060000
#define S_IFDIR  0040000
#define S_IFCHR  0020000
#define S_IFIFO  0010000
#define S_ISUID  04000
#define S_ISGID  02000
#define S_ISVTX  01000
#define S_IRWXU  00700
#define S_IRUSR  00400
#define S_IWUSR  00200
#define S_IXUSR  00100
#define S_IRWXG  00070
#define S_IRGRP  00040
#define S_IWGRP  00020
#define S_IXGRP  00010
#define S_IRWXO  00007
#define S_IROTH  00004
#define S_IWOTH  00002
#define S_IXOTH  00001
#define S_IREAD  S_IRUSR
#define S_IWRITE S_IWUSR
#define S_IEXEC  S_IXUSR

#define S_ISDIR(m)  (((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m)  (((m) & S_IFMT) == S_IFREG)
#define S_ISCHR(m)  (((m) & S_IFMT) == S_IFCHR)
#define S_ISBLK(m)  (((m) & S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)
#define S_ISLNK(m)  (((m) & S_IFMT) == S_IFLNK)
#define S_ISSOCK(m) (((m) & S_IFMT) == S_IFSOCK)

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
