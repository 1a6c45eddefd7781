/*
 * Sv39 address-space layout and page size (RISC-V privileged spec, section
 * "Sv39: Page-Based 39-bit Virtual-Memory System"). The only place that knows
 * where the direct map, the kernel image and the kernel arena live.
 * Host unit tests replace this header (tests/host/shim/arch/riscv/vmparam.h).
 */
#ifndef ARCH_RISCV_VMPARAM_H
#define ARCH_RISCV_VMPARAM_H

#define PAGE_SHIFT      12
#define PAGE_SIZE       (1UL << PAGE_SHIFT)
#define PAGE_MASK       (PAGE_SIZE - 1)
#define MEGAPAGE_SIZE   (1UL << 21)
#define GIGAPAGE_SIZE   (1UL << 30)

/* User space: the lower half, page 0 unmapped so NULL faults. */
#define USER_MIN        0x0000000000010000UL
#define USER_MAX        0x0000003ffffff000UL   /* exclusive */
#define USER_STACK_TOP  USER_MAX
#define USER_STACK_MAX  (8UL << 20)            /* 8 MiB stack limit */
/* A signal handler returns here (its ra): the page at USER_MAX is never
 * mapped, and an instruction fetch from this address is rt_sigreturn
 * (arch/riscv/sigframe.c). */
#define USER_SIGRETURN_VA USER_MAX

/* Kernel: the upper half. */
#define DIRECT_MAP_BASE 0xffffffc000000000UL   /* PA 0 maps here */
#define DIRECT_MAP_SIZE (128UL << 30)          /* up to 128 GiB of RAM */
#define KVA_ARENA_BASE  0xffffffe000000000UL   /* kernel stacks, MMIO */
#define KVA_ARENA_SIZE  (4UL << 30)
#define KERNEL_BASE     0xffffffff80000000UL   /* KERNEL_BASE maps PA KERNEL_PHYS */
#define KERNEL_PHYS     0x80000000UL
#define KERNEL_LOAD_PA  0x80200000UL           /* where OpenSBI jumps */

#define KERNEL_STACK_PAGES 4                   /* 16 KiB + one guard page */
#define KERNEL_STACK_SIZE  (KERNEL_STACK_PAGES * PAGE_SIZE)

#ifndef __ASSEMBLY__
#include "kernel/types.h"

/* Direct-map conversions: the only way to turn a paddr_t into a pointer. */
#define PA_TO_KVA(pa)   ((void *)((paddr_t)(pa) + DIRECT_MAP_BASE))
#define KVA_TO_PA(va)   ((paddr_t)((vaddr_t)(va) - DIRECT_MAP_BASE))
/* Kernel image conversions (code and static data). */
#define KIMG_TO_PA(va)  ((paddr_t)((vaddr_t)(va) - KERNEL_BASE + KERNEL_PHYS))

#define PAGE_ROUNDUP(x)    (((x) + PAGE_SIZE - 1) & ~PAGE_MASK)
#define PAGE_ROUNDDOWN(x)  ((x) & ~PAGE_MASK)
#define PAGE_ALIGNED(x)    (((x) & PAGE_MASK) == 0)
#endif

#endif
