/*
 * The kernel virtual arena [KVA_ARENA_BASE, +KVA_ARENA_SIZE): kernel stacks
 * with an unmapped guard page below each, and device MMIO windows.
 */
#ifndef KERNEL_VM_KVA_H
#define KERNEL_VM_KVA_H

#include "kernel/types.h"

void kva_init(void);

/* A kernel stack of KERNEL_STACK_SIZE bytes with an unmapped guard page
 * below it. Returns the lowest mapped address (the stack grows down from
 * base + KERNEL_STACK_SIZE), or 0 on -ENOMEM. */
vaddr_t kva_alloc_stack(void);
void kva_free_stack(vaddr_t base);

/* Map `size` bytes of device registers at physical `pa` uncached-for-devices;
 * returns the kernel virtual address, or 0 on -ENOMEM. */
vaddr_t kva_map_mmio(paddr_t pa, size_t size);

/* Pages currently mapped in the arena (stacks and MMIO). */
uint64_t kva_pages_mapped(void);
/* RAM pages held by kernel stacks (KernelStack in /proc/meminfo). */
uint64_t kva_stack_pages(void);

#endif
