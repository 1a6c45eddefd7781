/*
 * The Sv39 page-table entry format (RISC-V privileged spec v1.12, 4.4.1
 * "Addressing and Memory Protection" of Sv39, with the bit meanings of
 * 4.3.1). Only arch/riscv/pmap.c may include this file: no other code
 * builds or reads a PTE.
 */
#ifndef ARCH_RISCV_PTE_H
#define ARCH_RISCV_PTE_H

#include "kernel/types.h"
#include "arch/riscv/vmparam.h"

typedef uint64_t pte_t;

/* PTE bits (4.3.1, Figure "Sv39 page table entry"). */
#define PTE_V           (1UL << 0)      /* valid */
#define PTE_R           (1UL << 1)      /* readable */
#define PTE_W           (1UL << 2)      /* writable (needs R) */
#define PTE_X           (1UL << 3)      /* executable */
#define PTE_U           (1UL << 4)      /* user mode may access */
#define PTE_G           (1UL << 5)      /* global: in every address space */
#define PTE_A           (1UL << 6)      /* accessed since A was last cleared */
#define PTE_D           (1UL << 7)      /* written since D was last cleared */
/* The two RSW bits (8, 9) are free for supervisor software. */
#define PTE_SW_WIRED    (1UL << 8)      /* pmap: counted in the wired pages */

/* R, W, X all zero in a valid PTE: a pointer to the next-level table. */
#define PTE_RWX         (PTE_R | PTE_W | PTE_X)

/* Physical page number: bits 10..53, 44 bits (PPN[2], PPN[1], PPN[0]). */
#define PTE_PPN_SHIFT   10
#define PTE_PPN_BITS    44
#define PTE_PPN_MASK    (((1UL << PTE_PPN_BITS) - 1) << PTE_PPN_SHIFT)

/* Three levels of 512-entry tables; a virtual address has 39 bits. */
#define PTE_LEVELS      3
#define PTE_VPN_BITS    9
#define PTES_PER_TABLE  (PAGE_SIZE / sizeof(pte_t))
#define SV39_VA_BITS    (PAGE_SHIFT + PTE_LEVELS * PTE_VPN_BITS)

/* Bit position of VPN[level] in a virtual address, level 0..2. */
#define PTE_VPN_SHIFT(level)    (PAGE_SHIFT + PTE_VPN_BITS * (level))
/* Index of va in the table of the given level (VPN[level], 4.4.1). */
#define PTE_VPN(va, level) \
	(((vaddr_t)(va) >> PTE_VPN_SHIFT(level)) & (PTES_PER_TABLE - 1))
/* Bytes mapped by one leaf PTE at level: 4 KiB, 2 MiB, 1 GiB. */
#define PTE_LEVEL_SIZE(level)   (1UL << PTE_VPN_SHIFT(level))

_Static_assert(sizeof(pte_t) == 8, "Sv39 PTEs are 8 bytes");
_Static_assert(PTES_PER_TABLE == (1UL << PTE_VPN_BITS),
	       "a page-table page holds 2^9 PTEs");
_Static_assert(SV39_VA_BITS == 39, "Sv39 translates 39-bit addresses");
_Static_assert(PTE_LEVEL_SIZE(1) == MEGAPAGE_SIZE, "level-1 leaves are megapages");
_Static_assert(PTE_LEVEL_SIZE(2) == GIGAPAGE_SIZE, "level-2 leaves are gigapages");
_Static_assert(PAGE_SHIFT + PTE_PPN_BITS == 56, "Sv39 physical addresses are 56 bits");

/* The physical address a PTE points to (a page, superpage or table). */
static inline paddr_t pte_to_pa(pte_t pte)
{
	return ((pte & PTE_PPN_MASK) >> PTE_PPN_SHIFT) << PAGE_SHIFT;
}

/* The PPN field of a PTE pointing at physical address pa (page aligned). */
static inline pte_t pa_to_pte(paddr_t pa)
{
	return ((pte_t)(pa >> PAGE_SHIFT) << PTE_PPN_SHIFT) & PTE_PPN_MASK;
}

static inline bool pte_is_valid(pte_t pte)
{
	return (pte & PTE_V) != 0;
}

/* A valid PTE with any of R, W, X set maps memory; otherwise it points to
 * the next-level table (4.3.2 step 4). */
static inline bool pte_is_leaf(pte_t pte)
{
	return pte_is_valid(pte) && (pte & PTE_RWX) != 0;
}

#endif
