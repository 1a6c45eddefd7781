/*
 * File metadata as system calls show it: struct stat in the Linux riscv64
 * (asm-generic) layout, file-type bits, directory-entry types and the *at()
 * flags. Shared by the VFS, the file systems and sys_file.c.
 */
#ifndef KERNEL_FS_STAT_H
#define KERNEL_FS_STAT_H

#include "kernel/types.h"

/* File type and permission bits of st_mode (Linux values). */
#define S_IFMT   0170000
#define S_IFSOCK 0140000
#define S_IFLNK  0120000
#define S_IFREG  0100000
#define S_IFBLK  0060000
#define S_IFDIR  0040000
#define S_IFCHR  0020000
#define S_IFIFO  0010000
#define S_ISUID  0004000
#define S_ISGID  0002000
#define S_ISVTX  0001000
#define S_IPERM  0007777        /* every permission bit */
#define S_IXANY  0000111        /* any execute bit */

#define S_ISREG(m)  (((m) & S_IFMT) == S_IFREG)
#define S_ISDIR(m)  (((m) & S_IFMT) == S_IFDIR)
#define S_ISLNK(m)  (((m) & S_IFMT) == S_IFLNK)
#define S_ISCHR(m)  (((m) & S_IFMT) == S_IFCHR)
#define S_ISBLK(m)  (((m) & S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)

/* d_type of struct linux_dirent64. */
#define DT_UNKNOWN 0
#define DT_FIFO    1
#define DT_CHR     2
#define DT_DIR     4
#define DT_BLK     6
#define DT_REG     8
#define DT_LNK     10
#define DT_SOCK    12

/* *at() system calls. */
#define AT_FDCWD            (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR        0x200
#define AT_SYMLINK_FOLLOW   0x400
#define AT_EMPTY_PATH       0x1000

/* access() modes. */
#define F_OK 0
#define X_OK 1
#define W_OK 2
#define R_OK 4

/* lseek whence. */
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

/* fcntl commands and descriptor flags. */
#define F_DUPFD         0
#define F_GETFD         1
#define F_SETFD         2
#define F_GETFL         3
#define F_SETFL         4
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC      1

/* Path limits (bytes, without the NUL). */
#define NAME_MAX 255
#define PATH_MAX 4096           /* with the NUL, as Linux counts it */

/* struct stat of the asm-generic ABI (include/uapi/asm-generic/stat.h). */
struct stat {
	uint64_t st_dev;
	uint64_t st_ino;
	uint32_t st_mode;
	uint32_t st_nlink;
	uint32_t st_uid;
	uint32_t st_gid;
	uint64_t st_rdev;
	uint64_t __pad1;
	int64_t  st_size;       /* bytes */
	int32_t  st_blksize;    /* bytes */
	int32_t  __pad2;
	int64_t  st_blocks;     /* 512-byte units */
	int64_t  st_atime_sec;
	uint64_t st_atime_nsec;
	int64_t  st_mtime_sec;
	uint64_t st_mtime_nsec;
	int64_t  st_ctime_sec;
	uint64_t st_ctime_nsec;
	uint32_t __unused4;
	uint32_t __unused5;
};

_Static_assert(sizeof(struct stat) == 128, "struct stat must be 128 bytes");
_Static_assert(offsetof(struct stat, st_size) == 48, "st_size offset");
_Static_assert(offsetof(struct stat, st_blocks) == 64, "st_blocks offset");
_Static_assert(offsetof(struct stat, st_atime_sec) == 72, "st_atime offset");

/* The d_type for a st_mode. */
static inline uint8_t stat_mode_to_dtype(mode_t mode)
{
	return (uint8_t)((mode & S_IFMT) >> 12);
}

#endif
