/*
 * TLB and instruction-cache fences (RISC-V privileged spec 4.2.1
 * SFENCE.VMA; unprivileged spec chapter 3, Zifencei). Only arch/riscv
 * includes this file; the host test of the pmap replaces it
 * (tests/host/shim/arch/riscv/tlb.h).
 */
#ifndef ARCH_RISCV_TLB_H
#define ARCH_RISCV_TLB_H

#include "kernel/types.h"

static inline void fence_i(void)
{
	__asm__ volatile("fence.i" ::: "memory");
}

static inline void sfence_vma_all(void)
{
	__asm__ volatile("sfence.vma zero, zero" ::: "memory");
}

static inline void sfence_vma_page(vaddr_t va)
{
	__asm__ volatile("sfence.vma %0, zero" :: "r"(va) : "memory");
}

static inline void sfence_vma_asid(uint64_t asid)
{
	__asm__ volatile("sfence.vma zero, %0" :: "r"(asid) : "memory");
}

static inline void sfence_vma_page_asid(vaddr_t va, uint64_t asid)
{
	__asm__ volatile("sfence.vma %0, %1" :: "r"(va), "r"(asid) : "memory");
}

#endif
