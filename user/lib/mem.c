/*
 * Memory system calls: brk/sbrk over the Linux brk (which returns the new
 * break, or the old one on failure), mmap and friends, mremap.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include "pagoda.h"

static uintptr_t pg_cur_brk;

int brk(void *addr)
{
	uintptr_t r = (uintptr_t)pg_syscall1(SYS_brk, addr);

	pg_cur_brk = r;
	if (r < (uintptr_t)addr) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void *sbrk(ptrdiff_t incr)
{
	uintptr_t old;

	if (pg_cur_brk == 0)
		pg_cur_brk = (uintptr_t)pg_syscall1(SYS_brk, 0);
	old = pg_cur_brk;
	if (incr == 0)
		return (void *)old;
	if (brk((void *)(old + incr)) < 0)
		return (void *)-1;
	return (void *)old;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	long r = pg_syscall6(SYS_mmap, (long)addr, (long)len, prot, flags, fd, off);

	if (r < 0 && r >= -PG_MAX_ERRNO) {
		errno = pg_errno_from_linux((int)-r);
		return MAP_FAILED;
	}
	return (void *)r;
}

int munmap(void *addr, size_t len)
{
	return (int)pg_sysret(pg_syscall2(SYS_munmap, addr, len));
}

void *mremap(void *old_addr, size_t old_len, size_t new_len, int flags, ...)
{
	void *new_addr = NULL;
	va_list ap;
	long r;

	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
	}
	r = pg_syscall5(SYS_mremap, (long)old_addr, (long)old_len,
			(long)new_len, flags, (long)new_addr);
	if (r < 0 && r >= -PG_MAX_ERRNO) {
		errno = pg_errno_from_linux((int)-r);
		return MAP_FAILED;
	}
	return (void *)r;
}

int mprotect(void *addr, size_t len, int prot)
{
	return (int)pg_sysret(pg_syscall3(SYS_mprotect, addr, len, prot));
}

int madvise(void *addr, size_t len, int advice)
{
	return (int)pg_sysret(pg_syscall3(SYS_madvise, addr, len, advice));
}

int msync(void *addr, size_t len, int flags)
{
	return (int)pg_sysret(pg_syscall3(SYS_msync, addr, len, flags));
}
