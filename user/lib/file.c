/*
 * File system calls: thin wrappers over the Linux riscv64 system calls
 * (the old path-based calls map to their *at() forms with AT_FDCWD).
 * Each returns the kernel's result or -1 with errno set.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include "pagoda.h"

int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & O_CREAT) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return (int)pg_sysret(pg_syscall4(SYS_openat, dirfd, path, flags, mode));
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & O_CREAT) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return openat(AT_FDCWD, path, flags, mode);
}

int creat(const char *path, mode_t mode)
{
	return open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}

int close(int fd)
{
	return (int)pg_sysret(pg_syscall1(SYS_close, fd));
}

ssize_t read(int fd, void *buf, size_t n)
{
	return pg_sysret(pg_syscall3(SYS_read, fd, buf, n));
}

ssize_t write(int fd, const void *buf, size_t n)
{
	return pg_sysret(pg_syscall3(SYS_write, fd, buf, n));
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	return pg_sysret(pg_syscall4(SYS_pread64, fd, buf, n, off));
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return pg_sysret(pg_syscall4(SYS_pwrite64, fd, buf, n, off));
}

off_t lseek(int fd, off_t off, int whence)
{
	return pg_sysret(pg_syscall3(SYS_lseek, fd, off, whence));
}

int fstat(int fd, struct stat *st)
{
	return (int)pg_sysret(pg_syscall2(SYS_fstat, fd, st));
}

int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	return (int)pg_sysret(pg_syscall4(SYS_newfstatat, dirfd, path, st, flags));
}

int stat(const char *path, struct stat *st)
{
	return fstatat(AT_FDCWD, path, st, 0);
}

int lstat(const char *path, struct stat *st)
{
	return fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

int mkdirat(int dirfd, const char *path, mode_t mode)
{
	return (int)pg_sysret(pg_syscall3(SYS_mkdirat, dirfd, path, mode));
}

int mkdir(const char *path, mode_t mode)
{
	return mkdirat(AT_FDCWD, path, mode);
}

int unlinkat(int dirfd, const char *path, int flags)
{
	return (int)pg_sysret(pg_syscall3(SYS_unlinkat, dirfd, path, flags));
}

int unlink(const char *path)
{
	return unlinkat(AT_FDCWD, path, 0);
}

int rmdir(const char *path)
{
	return unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}

int link(const char *old, const char *new)
{
	return (int)pg_sysret(pg_syscall5(SYS_linkat, AT_FDCWD, old, AT_FDCWD, new, 0));
}

int symlink(const char *target, const char *path)
{
	return (int)pg_sysret(pg_syscall3(SYS_symlinkat, target, AT_FDCWD, path));
}

ssize_t readlink(const char *path, char *buf, size_t n)
{
	return pg_sysret(pg_syscall4(SYS_readlinkat, AT_FDCWD, path, buf, n));
}

/* riscv64 Linux has only renameat2 (no renameat); flags 0 is rename. */
int renameat(int olddir, const char *old, int newdir, const char *new)
{
	return (int)pg_sysret(pg_syscall5(SYS_renameat2, olddir, old, newdir, new, 0));
}

int rename(const char *old, const char *new)
{
	return renameat(AT_FDCWD, old, AT_FDCWD, new);
}

int chdir(const char *path)
{
	return (int)pg_sysret(pg_syscall1(SYS_chdir, path));
}

int fchdir(int fd)
{
	return (int)pg_sysret(pg_syscall1(SYS_fchdir, fd));
}

/* getcwd(NULL, 0) allocates a buffer of PATH_MAX bytes, like glibc. */
char *getcwd(char *buf, size_t size)
{
	char *mine = NULL;

	if (buf == NULL) {
		size = size ? size : 4096;
		buf = mine = malloc(size);
		if (buf == NULL)
			return NULL;
	}
	if (pg_sysret(pg_syscall2(SYS_getcwd, buf, size)) < 0) {
		free(mine);
		return NULL;
	}
	return buf;
}

int dup(int fd)
{
	return (int)pg_sysret(pg_syscall1(SYS_dup, fd));
}

int dup3(int old, int new, int flags)
{
	return (int)pg_sysret(pg_syscall3(SYS_dup3, old, new, flags));
}

/* dup2 on one fd only checks that it is open (dup3 would say EINVAL). */
int dup2(int old, int new)
{
	if (old == new)
		return fcntl(old, F_GETFD) < 0 ? -1 : new;
	return dup3(old, new, 0);
}

int pipe2(int fds[2], int flags)
{
	return (int)pg_sysret(pg_syscall2(SYS_pipe2, fds, flags));
}

int pipe(int fds[2])
{
	return pipe2(fds, 0);
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	return (int)pg_sysret(pg_syscall3(SYS_fcntl, fd, cmd, arg));
}

int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	long arg;

	va_start(ap, request);
	arg = va_arg(ap, long);
	va_end(ap);
	return (int)pg_sysret(pg_syscall3(SYS_ioctl, fd, request, arg));
}

int isatty(int fd)
{
	struct termios t;

	return ioctl(fd, TCGETS, &t) == 0;
}

int faccessat(int dirfd, const char *path, int mode, int flags)
{
	return (int)pg_sysret(pg_syscall4(SYS_faccessat, dirfd, path, mode, flags));
}

int access(const char *path, int mode)
{
	return faccessat(AT_FDCWD, path, mode, 0);
}

int ftruncate(int fd, off_t len)
{
	return (int)pg_sysret(pg_syscall2(SYS_ftruncate, fd, len));
}

int truncate(const char *path, off_t len)
{
	return (int)pg_sysret(pg_syscall2(SYS_truncate, path, len));
}

void sync(void)
{
	(void)pg_syscall0(SYS_sync);
}

int fsync(int fd)
{
	return (int)pg_sysret(pg_syscall1(SYS_fsync, fd));
}

int fdatasync(int fd)
{
	return fsync(fd);
}

/* No umask system call in Pagoda: the mask is kept here and applied by no one. */
static mode_t pg_umask = 022;

mode_t umask(mode_t mask)
{
	mode_t old = pg_umask;

	pg_umask = mask & 0777;
	return old;
}

/* remove() deletes files and empty directories alike. */
int remove(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return rmdir(path);
	return unlink(path);
}
