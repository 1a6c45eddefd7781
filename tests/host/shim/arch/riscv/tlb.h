/*
 * Host shim for arch/riscv/tlb.h: no fences on the host; each one is
 * counted so the pmap's host test can see that flushes happen.
 */
#ifndef ARCH_RISCV_TLB_H
#define ARCH_RISCV_TLB_H

#include "kernel/types.h"

extern uint64_t host_sfence_count, host_fence_i_count;

static inline void fence_i(void) { host_fence_i_count++; }
static inline void sfence_vma_all(void) { host_sfence_count++; }
static inline void sfence_vma_page(vaddr_t va) { (void)va; host_sfence_count++; }
static inline void sfence_vma_asid(uint64_t asid) { (void)asid; host_sfence_count++; }
static inline void sfence_vma_page_asid(vaddr_t va, uint64_t asid)
{
	(void)va;
	(void)asid;
	host_sfence_count++;
}

#endif
