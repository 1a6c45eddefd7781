/*
 * <sys/swap.h> for Pagoda: swapon(2) and swapoff(2) with the Linux flag
 * values. Pagoda has one swap device and ignores the priority and
 * discard flags.
 */
#ifndef _PAGODA_SYS_SWAP_H
#define _PAGODA_SYS_SWAP_H

#include <sys/cdefs.h>

#define SWAP_FLAG_PREFER        0x8000  /* use the priority below */
#define SWAP_FLAG_PRIO_MASK     0x7fff
#define SWAP_FLAG_PRIO_SHIFT    0
#define SWAP_FLAG_DISCARD       0x10000
#define SWAP_FLAG_DISCARD_ONCE  0x20000
#define SWAP_FLAG_DISCARD_PAGES 0x40000

__BEGIN_DECLS
int swapon(const char *path, int flags);
int swapoff(const char *path);
__END_DECLS

#endif
