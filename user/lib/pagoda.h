/*
 * Private interface of libpagoda: the ecall wrappers, the errno bridge and
 * helpers shared by the library's files.  Programs never include this;
 * they use the POSIX headers.
 */
#ifndef _PAGODA_LIB_PAGODA_H
#define _PAGODA_LIB_PAGODA_H

#include <sys/syscall.h>

/* Largest -errno the kernel returns; larger "negative" values are results. */
#define PG_MAX_ERRNO 4095

/*
 * Issue system call `n` with six arguments per the Linux riscv64 ABI
 * (number in a7, arguments in a0-a5, result or -errno in a0).
 */
static inline long pg_syscall6(long n, long a0, long a1, long a2,
			       long a3, long a4, long a5)
{
	register long r_a0 __asm__("a0") = a0;
	register long r_a1 __asm__("a1") = a1;
	register long r_a2 __asm__("a2") = a2;
	register long r_a3 __asm__("a3") = a3;
	register long r_a4 __asm__("a4") = a4;
	register long r_a5 __asm__("a5") = a5;
	register long r_a7 __asm__("a7") = n;

	__asm__ volatile("ecall"
			 : "+r"(r_a0)
			 : "r"(r_a1), "r"(r_a2), "r"(r_a3), "r"(r_a4),
			   "r"(r_a5), "r"(r_a7)
			 : "memory");
	return r_a0;
}

#define pg_syscall0(n)                 pg_syscall6((n), 0, 0, 0, 0, 0, 0)
#define pg_syscall1(n, a)              pg_syscall6((n), (long)(a), 0, 0, 0, 0, 0)
#define pg_syscall2(n, a, b)           pg_syscall6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define pg_syscall3(n, a, b, c)        pg_syscall6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define pg_syscall4(n, a, b, c, d)     pg_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define pg_syscall5(n, a, b, c, d, e)  pg_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

/* Translate a Linux errno number to picolibc's <errno.h> value. */
int pg_errno_from_linux(int linux_errno);

/*
 * Turn a raw kernel result into the C convention: a result in
 * [-PG_MAX_ERRNO, -1] sets errno (translated) and yields -1; anything else
 * is returned unchanged.
 */
long pg_sysret(long r);

/* Flush the standard streams (called at exit and by fflush(NULL)). */
void pg_stdio_flush_all(void);

#endif
