/*
 * <unistd.h> for Pagoda: picolibc's declarations plus the few calls it
 * lacks (getdents64 is in <dirent.h>, syscall in <sys/syscall.h>).
 */
#ifndef _PAGODA_UNISTD_H
#define _PAGODA_UNISTD_H

#include_next <unistd.h>

__BEGIN_DECLS
int brk(void *addr);
pid_t gettid(void);
long syscall(long number, ...);
__END_DECLS

#endif
