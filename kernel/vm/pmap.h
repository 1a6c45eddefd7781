/*
 * pmap: the machine-dependent page tables, behind a machine-independent
 * interface. The implementation (arch/riscv/pmap.c) is the only code that
 * knows the PTE format, satp and sfence.vma. pmap never panics for lack of
 * memory: it returns -ENOMEM and the caller decides.
 */
#ifndef KERNEL_VM_PMAP_H
#define KERNEL_VM_PMAP_H

#include "kernel/types.h"
#include "kernel/vm/vm.h"

struct pmap;
struct vm_page;
struct mem_range;

/* pmap_enter flags */
#define PMAP_WIRED      0x1     /* count in wired pages; not for page-out */
#define PMAP_USER       0x2     /* a user mapping (PTE U bit) */

/* Build the kernel page table (direct map of RAM, kernel image with
 * section permissions, arena page-table pages preallocated so every user
 * pmap shares them) and switch this hart to it. Boot hart only, once. */
void pmap_bootstrap(const struct mem_range *ram, int nram);
/* Switch a secondary hart onto the kernel page table. */
void pmap_init_hart(void);
struct pmap *pmap_kernel(void);

/* A new user pmap with the kernel half shared; NULL on -ENOMEM. */
struct pmap *pmap_create(void);
/* Free every page table of a user pmap (all mappings must be removed). */
void pmap_destroy(struct pmap *pmap);
/* Load pmap into satp on this hart (with its ASID) / leave it. */
void pmap_activate(struct pmap *pmap);
void pmap_deactivate(struct pmap *pmap);

/* Map the page pg at user va (page aligned) with prot; replaces any old
 * mapping. Returns 0, or -ENOMEM if a page-table page or pv entry could not
 * be allocated (nothing changed then). */
int pmap_enter(struct pmap *pmap, vaddr_t va, struct vm_page *pg,
	       vm_prot_t prot, int flags);
/* Remove mappings in [sva, eva) (bytes, page aligned). */
void pmap_remove(struct pmap *pmap, vaddr_t sva, vaddr_t eva);
/* Lower the protection of mappings in [sva, eva) to prot. */
void pmap_protect(struct pmap *pmap, vaddr_t sva, vaddr_t eva, vm_prot_t prot);
/* Physical address mapped at va, or false if none. */
bool pmap_extract(struct pmap *pmap, vaddr_t va, paddr_t *pa);
/* Lower the protection of every mapping of pg (VM_PROT_NONE removes them). */
void pmap_page_protect(struct vm_page *pg, vm_prot_t prot);

/* Reference and modify bits (PTE A and D) of pg over all its mappings. */
bool pmap_is_referenced(struct vm_page *pg);
bool pmap_is_modified(struct vm_page *pg);
bool pmap_clear_reference(struct vm_page *pg);
bool pmap_clear_modify(struct vm_page *pg);

/* Resident user pages mapped by pmap. */
uint64_t pmap_resident_count(struct pmap *pmap);

/* Kernel wired mappings without pv entries (the kernel arena). */
int pmap_kenter(vaddr_t va, paddr_t pa, vm_prot_t prot);
int pmap_kenter_mmio(vaddr_t va, paddr_t pa);
void pmap_kremove(vaddr_t va, size_t size);

/* Zero or copy whole pages through the direct map. */
void pmap_zero_page(struct vm_page *pg);
void pmap_copy_page(struct vm_page *src, struct vm_page *dst);

/* Page-table pages and pv entries in use, for leak checks. */
uint64_t pmap_ptp_count(void);
uint64_t pmap_pv_count(void);

#endif
