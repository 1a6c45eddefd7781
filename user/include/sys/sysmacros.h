/*
 * <sys/sysmacros.h> for Pagoda: device numbers as Linux encodes them in a
 * 64-bit dev_t (the glibc layout): minor bits 0-7 at 0-7, major bits 0-11
 * at 8-19, minor bits 8-31 at 20-43, major bits 12-31 at 44-63. For
 * majors below 4096 and minors below 2^20 this is the kernel's 32-bit
 * st_rdev and mknod form. Pagoda's devices are in /dev (docs/README.md).
 */
#ifndef _PAGODA_SYS_SYSMACROS_H
#define _PAGODA_SYS_SYSMACROS_H

#define makedev(ma, mi) ((((unsigned long)(ma) & 0xfffff000UL) << 32) | \
			 (((unsigned long)(ma) & 0x00000fffUL) << 8) |  \
			 (((unsigned long)(mi) & 0xffffff00UL) << 12) | \
			 ((unsigned long)(mi) & 0x000000ffUL))
#define major(dev)      ((unsigned int)((((unsigned long)(dev) >> 32) & 0xfffff000UL) | \
					(((unsigned long)(dev) >> 8) & 0x00000fffUL)))
#define minor(dev)      ((unsigned int)((((unsigned long)(dev) >> 12) & 0xffffff00UL) | \
					((unsigned long)(dev) & 0x000000ffUL)))

#endif
