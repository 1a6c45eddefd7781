/*
 * File metadata as system calls show it: struct stat in the Linux riscv64
 * (asm-generic) layout, and (from include/abi, shared with user space)
 * file-type bits, directory-entry types, the *at() flags and fcntl
 * commands. Shared by the VFS, the file systems and sys_file.c.
 */
#ifndef KERNEL_FS_STAT_H
#define KERNEL_FS_STAT_H

#include "kernel/types.h"

#include "include/abi/fcntl.h"
#include "include/abi/stat.h"

/* File type and permission bits of st_mode, d_type values, the *at()
 * flags and fcntl commands: include/abi/stat.h, fcntl.h. */
#define S_IPERM  0007777        /* every permission bit */
#define S_IXANY  0000111        /* any execute bit */

/* access() modes. */
#define F_OK 0
#define X_OK 1
#define W_OK 2
#define R_OK 4

/* lseek whence. */
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

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
