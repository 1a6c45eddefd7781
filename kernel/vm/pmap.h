/*
 * pmap: the machine-dependent page tables, behind a machine-independent
 * interface. The implementation (arch/riscv/pmap.c) is the only code that
 * knows the PTE format, the satp register and TLB fences. pmap never panics for lack of
 * memory: it returns -ENOMEM and the caller decides.
 *
 * Addresses are bytes; va page aligned unless said otherwise. No function
 * here sleeps; all may be called with spinlocks held that rank above
 * pmap->lock (kernel/vm/vm.h), though none of pmap's own locks is held
 * across an SBI call. The TLB of every hart is up to date when a
 * function that changes mappings returns (RISC-V privileged spec v1.12,
 * 4.2.1 SFENCE.VMA; SBI v1.0 RFENCE for the other harts), except the
 * _batch and _deferred calls, whose caller sends the fence.
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
#define PMAP_MODIFIED   0x4     /* entered for a write: mark it dirty now */

/* True if va may carry a user mapping: inside [USER_MIN, USER_MAX). */
static inline bool pmap_is_valid_user_va(vaddr_t va)
{
	return va >= USER_MIN && va < USER_MAX;
}

/* Build the kernel page table (direct map of RAM, kernel image with
 * section permissions, arena page-table pages preallocated so every user
 * pmap shares them) and switch this hart to it. Boot hart only, once,
 * after vm_page_init and kmem_init. Detects the number of ASID bits.
 * Panics if the page tables cannot be allocated (boot cannot go on). */
void pmap_bootstrap(const struct mem_range *ram, int nram);
/* Switch a secondary hart onto the kernel page table (satp ASID 0) and
 * flush its TLB. Once per hart, before it touches the arena. */
void pmap_init_hart(void);
/* The kernel pmap: the kernel half only, shared by every user pmap. */
struct pmap *pmap_kernel(void);

/* A new user pmap: an empty user half, the kernel half shared with the
 * kernel pmap. Returns NULL on -ENOMEM. */
struct pmap *pmap_create(void);
/* Free every page table of a user pmap and the pmap. All mappings must be
 * removed first (pmap_remove). If it is loaded on this hart, this hart
 * moves to the kernel pmap; it must not be loaded on any other hart. */
void pmap_destroy(struct pmap *pmap);
/* Load pmap into satp on this hart with its ASID (allocating one if it
 * has none in the current generation), leaving the pmap loaded before.
 * pmap_deactivate: if pmap is loaded on this hart, load the kernel pmap
 * instead. Interrupts may be on or off; no lock ranking below the pv
 * locks held. */
void pmap_activate(struct pmap *pmap);
void pmap_deactivate(struct pmap *pmap);

/* Map the page pg at user va (page aligned, pmap_is_valid_user_va) with
 * prot; replaces any old mapping (its A/D bits are saved for the old page).
 * flags: PMAP_USER for a user-accessible page, PMAP_WIRED, PMAP_MODIFIED
 * when a write is about to use the mapping. prot VM_PROT_NONE removes the
 * mapping at va. The new PTE has A set, and D when PMAP_MODIFIED and prot
 * allows writes: hardware that raises a page fault instead of setting A or
 * D (Svade, privileged spec 4.3.1 / 4.3.2 step 7) must not fault again on
 * the access that brought the page in. A read-faulted writable page keeps
 * D clear until its first store (pmap_fault_ad sets it on such hardware),
 * so clean pages stay clean. A mapping with VM_PROT_EXEC makes every hart
 * fence.i before it next runs user code (pmap_icache_sync).
 * => no lock ranking below amap/anon locks held
 * Returns 0, or -ENOMEM if a page-table page or pv entry could not be
 * allocated (no mapping changed then). */
int pmap_enter(struct pmap *pmap, vaddr_t va, struct vm_page *pg,
	       vm_prot_t prot, int flags);
/* A page fault at user va (any alignment) whose only cause is a clear A,
 * or a clear D on a write: the PTE is valid, user, and allows `access`.
 * Sets A (and D for a write) as hardware with Svadu would, flushes this
 * hart's TLB entry and returns true; false if the fault needs vm_fault.
 * => no pmap lock held */
bool pmap_fault_ad(struct pmap *pmap, vaddr_t va, enum vm_access access);
/* Before this hart returns to user mode, interrupts off: fence.i if a page
 * was mapped executable since its last fence.i (Zifencei: instruction
 * fetch sees earlier stores to a page, by the kernel or by a device, only
 * after a FENCE.I on the fetching hart). */
void pmap_icache_sync(void);
/* Boot self-test, once on the boot hart after pmap_bootstrap: the A and D
 * bits pmap_enter and pmap_fault_ad leave, and the icache generation an
 * executable mapping bumps, checked in a scratch pmap (QEMU sets A and D in
 * hardware, so no user program can see them). Leaks nothing; panics if the
 * pmap is wrong. */
void pmap_selftest(void);

/* Remove mappings in [sva, eva) (bytes, page aligned, user half). Empty
 * page-table pages stay until pmap_destroy. */
void pmap_remove(struct pmap *pmap, vaddr_t sva, vaddr_t eva);
/* Lower the protection of mappings in [sva, eva) to prot (never raises
 * it; a mapping left with no access is removed). */
void pmap_protect(struct pmap *pmap, vaddr_t sva, vaddr_t eva, vm_prot_t prot);

/*
 * One TLB shootdown for an operation over several ranges of one user pmap
 * (Linux's mmu_gather): munmap or mprotect across VMAs, fork's
 * write-protect of every private writable VMA. pmap_tlb_batch_init, then
 * pmap_remove_batch / pmap_protect_batch (as pmap_remove / pmap_protect,
 * but they only note what changed), then pmap_tlb_batch_flush once: it
 * flushes the span of every change (the whole ASID past a few pages) on
 * each hart whose TLB may hold it, one SBI RFENCE call for all, and
 * returns when they are done. Until then another hart may still use an
 * old PTE: no page whose mapping was removed may be freed or reused, and
 * no write-protected page shared, before the flush.
 * => pmap_tlb_batch_flush: no pmap lock held (it may wait for other harts)
 */
struct pmap_tlb_batch {
	struct pmap *pmap;      /* the user pmap whose PTEs change */
	vaddr_t sva, eva;       /* span of the PTEs changed; none if sva >= eva */
};
void pmap_tlb_batch_init(struct pmap_tlb_batch *b, struct pmap *pmap);
void pmap_remove_batch(struct pmap_tlb_batch *b, vaddr_t sva, vaddr_t eva);
void pmap_protect_batch(struct pmap_tlb_batch *b, vaddr_t sva, vaddr_t eva,
			vm_prot_t prot);
void pmap_tlb_batch_flush(struct pmap_tlb_batch *b);
/* Physical address mapped at va (any address, any pmap, superpages too),
 * or false if none. */
bool pmap_extract(struct pmap *pmap, vaddr_t va, paddr_t *pa);
/* Lower the protection of every mapping of pg (VM_PROT_NONE removes them,
 * e.g. before page-out; VM_PROT_READ write-protects for copy-on-write). */
void pmap_page_protect(struct vm_page *pg, vm_prot_t prot);
/* Remove every mapping of pg (their referenced and modified state saved,
 * as pmap_page_protect(pg, VM_PROT_NONE) does) without a TLB shootdown:
 * the page daemon removes a batch of pages, then calls
 * pmap_tlb_flush_deferred once before it writes or frees any of them
 * (until then another hart may still reach the page through its TLB;
 * arch/riscv/pmap.c says why no store is lost). => no locks below the pv
 * locks. */
void pmap_page_remove_deferred(struct vm_page *pg);

/* Reference and modify bits (PTE A and D) of pg over all its mappings,
 * including those removed since the bit was last cleared. The clear
 * functions return whether the bit was set, and flush the TLB so the
 * hardware sets it again on the next access. */
bool pmap_is_referenced(struct vm_page *pg);
bool pmap_is_modified(struct vm_page *pg);
bool pmap_clear_reference(struct vm_page *pg);
bool pmap_clear_modify(struct vm_page *pg);
/* Batched reference harvesting for the page daemon's clock: clear the
 * referenced state of every mapping of pg (and its saved flag) without a
 * TLB shootdown; returns whether it was set. The caller ends each batch
 * with one pmap_tlb_flush_deferred instead of one shootdown per page
 * (until then a page may look unreferenced once too often, never wrongly
 * mapped). => no locks below the pv locks. */
bool pmap_clear_reference_deferred(struct vm_page *pg);
/* Flush every TLB entry of every address space on every hart. */
void pmap_tlb_flush_all(void);
/* The shootdown owed for the *_deferred calls made since the last one (by
 * anyone): each hart that may cache a PTE they changed flushes its whole
 * TLB; a hart not running that address space now is not interrupted (it
 * flushes the ASID when it next loads it: privileged spec 4.2.1, 4.1.11).
 * Returns false when none was owed (no fence at all). Returns when every
 * hart has flushed. => no spinlock held (SBI calls wait for other harts). */
bool pmap_tlb_flush_deferred(void);

/* Resident user pages mapped by pmap (for the kernel pmap: arena pages). */
uint64_t pmap_resident_count(struct pmap *pmap);

/* Kernel wired mappings without pv entries, inside the kernel arena
 * [KVA_ARENA_BASE, +KVA_ARENA_SIZE), global (PTE G) in every pmap.
 * pmap_kenter maps one page (va must be unmapped); pmap_kenter_mmio maps a
 * page of device registers read/write (Sv39 has no memory types: the
 * platform's PMAs make it I/O, 3.6). Both return 0 or -ENOMEM.
 * pmap_kremove unmaps [va, va+size) (bytes) and flushes every hart.
 * => no lock ranking below pmap->lock held (kva_lock is not held) */
int pmap_kenter(vaddr_t va, paddr_t pa, vm_prot_t prot);
int pmap_kenter_mmio(vaddr_t va, paddr_t pa);
void pmap_kremove(vaddr_t va, size_t size);

/* Zero or copy whole pages through the direct map. No locks. */
void pmap_zero_page(struct vm_page *pg);
void pmap_copy_page(struct vm_page *src, struct vm_page *dst);

/* Page-table pages (kernel and user) and pv entries in use, for leak
 * checks. The kernel arena's level-0 tables are never freed. */
uint64_t pmap_ptp_count(void);
uint64_t pmap_pv_count(void);

/* Check a user pmap's invariants (resident and wired counts match its
 * PTEs, every managed leaf has its pv entry, the kernel half is the
 * kernel's); panics on failure. For tests. */
void pmap_check(struct pmap *pmap);

#endif
