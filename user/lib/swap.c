/*
 * swapon and swapoff (<sys/swap.h>).
 */
#include <sys/swap.h>
#include "pagoda.h"

int swapon(const char *path, int flags)
{
	return (int)pg_sysret(pg_syscall2(SYS_swapon, path, flags));
}

int swapoff(const char *path)
{
	return (int)pg_sysret(pg_syscall1(SYS_swapoff, path));
}
