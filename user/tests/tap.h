/*
 * TAP (Test Anything Protocol) helpers for Pagoda's in-QEMU test suites,
 * plus raw system calls for the cases a libc wrapper would hide.
 * Header-only: include it once per test program. Output goes straight to
 * fd 1 with write(), never through stdio, so a fork cannot print twice.
 */
#ifndef PAGODA_TESTS_TAP_H
#define PAGODA_TESTS_TAP_H

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* dir/name in one of four rotating buffers, so a call may use up to
 * four paths at once (e.g. rename's two). */
static inline const char *tap_path(const char *dir, const char *name)
{
	static char buf[4][96];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
	return p;
}

/* Linux errno values, for results of raw system calls (-errno in a0).
 * libc's errno constants may differ (picolibc numbers them its own way). */
#define LX_EPERM     1
#define LX_ENOENT    2
#define LX_ESRCH     3
#define LX_ENXIO     6
#define LX_ENOEXEC   8
#define LX_EBADF     9
#define LX_ECHILD    10
#define LX_ENOMEM    12
#define LX_EACCES    13
#define LX_EFAULT    14
#define LX_EEXIST    17
#define LX_ENODEV    19
#define LX_ENOTDIR   20
#define LX_EISDIR    21
#define LX_EINVAL    22
#define LX_ESPIPE    29
#define LX_EPIPE     32
#define LX_ENAMETOOLONG 36
#define LX_ENOSYS    38
#define LX_ENOTEMPTY 39

/* Addresses no user pointer may reach. */
#define TAP_KERNEL_ADDR   ((void *)0xffffffc000000000UL)  /* direct map */
#define TAP_KERNEL_TEXT   ((void *)0xffffffff80200000UL)  /* kernel image */
#define TAP_UNMAPPED_ADDR ((void *)0x0000002000000000UL)  /* nothing mapped */
#define TAP_BAD_ADDR_MAX  3                               /* NULL + the above */

static int tap_count;           /* assertions printed so far */
static int tap_failures;        /* of which failed */

/* Print one line to fd 1 in a single write(). */
static inline void tap_vprint(const char *prefix, const char *fmt, va_list ap)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "%s", prefix);

	if (n < 0 || n >= (int)sizeof(line))
		n = 0;
	int m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(1, line, n) < 0)
		_exit(99);
}

static inline void tap_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tap_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vprint("", fmt, ap);
	va_end(ap);
}

/* The plan: the number of assertions this program will print. */
static inline void tap_plan(int n)
{
	tap_printf("1..%d", n);
}

/* A diagnostic line ("# ..."). */
static inline void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vprint("# ", fmt, ap);
	va_end(ap);
}

/* One assertion: "ok N - desc" or "not ok N - desc". Returns cond. */
static inline int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int tap_ok(int cond, const char *fmt, ...)
{
	char prefix[32];
	va_list ap;

	tap_count++;
	if (!cond)
		tap_failures++;
	snprintf(prefix, sizeof(prefix), "%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	tap_vprint(prefix, fmt, ap);
	va_end(ap);
	return cond;
}

/* got == want, with both printed on failure. */
#define tap_is(got, want, ...) tap_is_impl((long)(got), (long)(want), __VA_ARGS__)
static inline int tap_is_impl(long got, long want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline int tap_is_impl(long got, long want, const char *fmt, ...)
{
	char desc[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	if (tap_ok(got == want, "%s", desc))
		return 1;
	tap_diag("  got %ld (%#lx), expected %ld (%#lx)", got, got, want, want);
	return 0;
}

/* A libc call failed with -1 and errno == err (errno read after the call). */
#define tap_errno(ret, err, ...) ({ long tap_r_ = (long)(ret);           \
	tap_errno_impl(tap_r_, errno, (err), #err, __VA_ARGS__); })
static inline int tap_errno_impl(long ret, int got, int want, const char *name,
			  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static inline int tap_errno_impl(long ret, int got, int want, const char *name,
			  const char *fmt, ...)
{
	char desc[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	if (tap_ok(ret == -1 && got == want, "%s", desc))
		return 1;
	tap_diag("  got %ld errno %d (%s), expected -1 errno %s (%d)",
		 ret, got, strerror(got), name, want);
	return 0;
}

/* Print the closing diagnostic and exit: status 1 if any assertion failed. */
static inline int tap_done(void)
{
	if (tap_failures)
		tap_diag("%d of %d assertions failed", tap_failures, tap_count);
	exit(tap_failures ? 1 : 0);
}

/* Raw system call with six arguments (Linux riscv64 ABI). Returns the
 * kernel's a0: a result or -errno (Linux values, see LX_*). */
static inline long tap_sys6(long n, long a0, long a1, long a2, long a3,
			    long a4, long a5)
{
	register long r0 __asm__("a0") = a0;
	register long r1 __asm__("a1") = a1;
	register long r2 __asm__("a2") = a2;
	register long r3 __asm__("a3") = a3;
	register long r4 __asm__("a4") = a4;
	register long r5 __asm__("a5") = a5;
	register long r7 __asm__("a7") = n;

	__asm__ volatile("ecall"
			 : "+r"(r0)
			 : "r"(r1), "r"(r2), "r"(r3), "r"(r4), "r"(r5), "r"(r7)
			 : "memory");
	return r0;
}
#define tap_sys(n, a0, a1, a2) tap_sys6((n), (long)(a0), (long)(a1), (long)(a2), 0, 0, 0)

/* The three bad user pointers every pointer-taking call is tried with. */
static void *const tap_bad_addrs[TAP_BAD_ADDR_MAX] = {
	NULL, TAP_KERNEL_ADDR, TAP_UNMAPPED_ADDR,
};
static const char *const tap_bad_names[TAP_BAD_ADDR_MAX] = {
	"NULL", "kernel address", "unmapped address",
};

/* Run fn(arg) in a child process and return its wait status (-1 if fork
 * or waitpid failed). The child exits 0 if fn returns. */
static inline int tap_in_child(void (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* The child was killed by signal sig. */
static inline int tap_killed_by(int status, int sig, const char *what)
{
	int ok = status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == sig;

	if (tap_ok(ok, "%s", what))
		return 1;
	if (status == -1)
		tap_diag("  fork or waitpid failed");
	else if (WIFEXITED(status))
		tap_diag("  child exited with %d, expected signal %d", WEXITSTATUS(status), sig);
	else
		tap_diag("  child killed by signal %d, expected %d", WTERMSIG(status), sig);
	return 0;
}

/* The child exited normally with code. */
static inline int tap_exited_with(int status, int code, const char *what)
{
	int ok = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == code;

	if (tap_ok(ok, "%s", what))
		return 1;
	if (status == -1)
		tap_diag("  fork or waitpid failed");
	else if (WIFEXITED(status))
		tap_diag("  child exited with %d, expected %d", WEXITSTATUS(status), code);
	else
		tap_diag("  child killed by signal %d, expected exit %d", WTERMSIG(status), code);
	return 0;
}

#endif
