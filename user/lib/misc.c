/*
 * Miscellaneous calls: uname, gethostname, reboot, getentropy, sysconf and
 * the raw syscall() entry.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "pagoda.h"

#define PG_OPEN_MAX 64
#define PG_ARG_MAX (128 * 1024)

extern unsigned long pg_page_size;

int uname(struct utsname *u)
{
	return (int)pg_sysret(pg_syscall1(SYS_uname, u));
}

int gethostname(char *name, size_t len)
{
	struct utsname u;

	if (uname(&u) < 0)
		return -1;
	if (strlen(u.nodename) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(name, u.nodename);
	return 0;
}

int reboot(int cmd)
{
	return (int)pg_sysret(pg_syscall4(SYS_reboot, LINUX_REBOOT_MAGIC1,
					  LINUX_REBOOT_MAGIC2, cmd, 0));
}

/*
 * Pagoda has no getrandom: mix the clocks and the pid (a seed for
 * arc4random, not cryptographic).
 */
int getentropy(void *buf, size_t len)
{
	struct timespec ts;
	unsigned long x;
	unsigned char *p = buf;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	x = (unsigned long)ts.tv_nsec * 6364136223846793005ul ^
	    (unsigned long)ts.tv_sec ^ ((unsigned long)getpid() << 32);
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)x;
	}
	return 0;
}

long sysconf(int name)
{
	switch (name) {
	case _SC_PAGESIZE:
		return (long)pg_page_size;
	case _SC_CLK_TCK:
		return CLOCKS_PER_SEC;
	case _SC_OPEN_MAX:
		return PG_OPEN_MAX;
	case _SC_ARG_MAX:
		return PG_ARG_MAX;
	case _SC_NPROCESSORS_ONLN:
		return 1;
	default:
		errno = EINVAL;
		return -1;
	}
}

long syscall(long number, ...)
{
	va_list ap;
	long a[6];

	va_start(ap, number);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	return pg_sysret(pg_syscall6(number, a[0], a[1], a[2], a[3], a[4], a[5]));
}
