/*
 * <fcntl.h> for Pagoda: Linux riscv64 (asm-generic) open flags, fcntl
 * commands and *at() constants, from <abi/fcntl.h> (the kernel's own
 * copy).  Replaces picolibc's newlib values, which differ from the
 * kernel's (O_EXCL, O_CLOEXEC, AT_FDCWD, ...).
 */
#ifndef _PAGODA_FCNTL_H
#define _PAGODA_FCNTL_H

#include <sys/cdefs.h>
#include <sys/types.h>
#include <sys/stat.h>

#include <abi/fcntl.h>

__BEGIN_DECLS
int open(const char *path, int flags, ...);
int openat(int dirfd, const char *path, int flags, ...);
int creat(const char *path, mode_t mode);
int fcntl(int fd, int cmd, ...);
__END_DECLS

#endif
