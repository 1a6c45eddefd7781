/*
 * <sys/ioctl.h> for Pagoda: ioctl() and the Linux terminal request numbers
 * (<abi/ioctl.h>, the kernel's own copy).
 */
#ifndef _PAGODA_SYS_IOCTL_H
#define _PAGODA_SYS_IOCTL_H

#include <sys/cdefs.h>

#include <abi/ioctl.h>

__BEGIN_DECLS
int ioctl(int fd, unsigned long request, ...);
__END_DECLS

#endif
