/*
 * Host shim for arch/riscv/vmparam.h: the same constants, but the direct
 * map is the identity, so a test's "physical memory" is an aligned buffer
 * from the host heap and a paddr_t is a host address.
 */
#ifndef ARCH_RISCV_VMPARAM_H
#define ARCH_RISCV_VMPARAM_H

#define PAGE_SHIFT      12
#define PAGE_SIZE       (1UL << PAGE_SHIFT)
#define PAGE_MASK       (PAGE_SIZE - 1)
#define MEGAPAGE_SIZE   (1UL << 21)
#define GIGAPAGE_SIZE   (1UL << 30)

#define USER_MIN        0x0000000000010000UL
#define USER_MAX        0x0000003ffffff000UL
#define USER_STACK_TOP  USER_MAX
#define USER_STACK_MAX  (8UL << 20)

#define DIRECT_MAP_BASE 0xffffffc000000000UL
#define DIRECT_MAP_SIZE (128UL << 30)
#define KVA_ARENA_BASE  0xffffffe000000000UL
#define KVA_ARENA_SIZE  (4UL << 30)
#define KERNEL_BASE     0xffffffff80000000UL
#define KERNEL_PHYS     0x80000000UL
#define KERNEL_LOAD_PA  0x80200000UL

#define KERNEL_STACK_PAGES 4
#define KERNEL_STACK_SIZE  (KERNEL_STACK_PAGES * PAGE_SIZE)

#ifndef __ASSEMBLY__
#include "kernel/types.h"

/* Identity: physical addresses are host addresses. */
#define PA_TO_KVA(pa)   ((void *)(uintptr_t)(paddr_t)(pa))
#define KVA_TO_PA(va)   ((paddr_t)(uintptr_t)(va))
#define KIMG_TO_PA(va)  ((paddr_t)(uintptr_t)(va))

#define PAGE_ROUNDUP(x)    (((x) + PAGE_SIZE - 1) & ~PAGE_MASK)
#define PAGE_ROUNDDOWN(x)  ((x) & ~PAGE_MASK)
#define PAGE_ALIGNED(x)    (((x) & PAGE_MASK) == 0)
#endif

#endif
