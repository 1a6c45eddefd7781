/*
 * Host shim for arch/riscv/boot.h: the kernel image's section bounds are
 * fixed kernel addresses that nothing on the host touches; pmap_bootstrap
 * only writes the PTEs that map them (text 2 pages, rodata 1, data 2).
 */
#ifndef ARCH_RISCV_BOOT_H
#define ARCH_RISCV_BOOT_H

#include "kernel/types.h"

#define HOST_KIMG_BASE  0xffffffff80200000UL
#define _kernel_start   ((char *)HOST_KIMG_BASE)
#define _text_start     ((char *)HOST_KIMG_BASE)
#define _text_end       ((char *)(HOST_KIMG_BASE + 0x2000))
#define _rodata_start   _text_end
#define _rodata_end     ((char *)(HOST_KIMG_BASE + 0x3000))
#define _data_start     _rodata_end
#define _kernel_end     ((char *)(HOST_KIMG_BASE + 0x5000))

#endif
