/*
 * Host unit test of the Sv39 pmap (arch/riscv/pmap.c, lab pgtbl) over the
 * real page allocator and kmem: pages entered at every table level,
 * replaced, protected and removed, a random trace against a model with
 * pmap_check after every step, pv entries and page-table pages counted
 * exactly. The shims stand in for the hardware: CSRs are variables,
 * fences are counted, the direct map is the identity (tests/host/shim).
 */
#include <stdlib.h>
#include <string.h>
#include "kernel/vm/kmem.h"
#include "kernel/vm/page.h"
#include "kernel/vm/pmap.h"
#include "kernel/vm/kva.h"
#include "arch/riscv/cpu.h"
#include "arch/riscv/sbi.h"
#include "tests/host/tap.h"

#define MiB             (1024UL * 1024)
#define GiB             (1024 * MiB)
#define RAM_BYTES       (32 * MiB)
#define RAM_ALIGN       (4 * MiB)
#define NSLOTS          64              /* virtual pages the trace uses */
#define NPAGES          16              /* physical pages it maps */
#define TRACE_STEPS     3000

/* ---------------------------------------------------------------- host stand-ins */

struct cpu cpus[NCPU_MAX];
int ncpu = 1;
uint64_t host_csr_satp;
uint64_t host_sfence_count, host_fence_i_count;

long sbi_remote_sfence_vma(uint64_t hart_mask, uint64_t hart_mask_base,
			   uint64_t start, uint64_t size)
{
	(void)hart_mask, (void)hart_mask_base, (void)start, (void)size;
	return 0;
}

long sbi_remote_sfence_vma_asid(uint64_t hart_mask, uint64_t hart_mask_base,
				uint64_t start, uint64_t size, uint64_t asid)
{
	(void)hart_mask, (void)hart_mask_base, (void)start, (void)size;
	(void)asid;
	return 0;
}

long sbi_remote_fence_i(uint64_t hart_mask, uint64_t hart_mask_base)
{
	(void)hart_mask, (void)hart_mask_base;
	return 0;
}

uint64_t kva_stack_pages(void) { return 0; }

/* ---------------------------------------------------------------- helpers */

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void setup(void)
{
	struct mem_range r;
	char *ram = aligned_alloc(RAM_ALIGN, RAM_BYTES);

	if (ram == NULL)
		abort();
	r.start = (paddr_t)(uintptr_t)ram;
	r.end = r.start + RAM_BYTES;
	vm_page_init_zones(&r, 1, NULL, 0, r.end);
	kmem_init();
	cpus[0].index = 0;
	cpus[0].hartid = 0;
	pmap_bootstrap(NULL, 0);
}

/* The physical address va maps to in pm, or 0. */
static paddr_t lookup(struct pmap *pm, vaddr_t va)
{
	paddr_t pa;

	return pmap_extract(pm, va, &pa) ? pa : 0;
}

/* ---------------------------------------------------------------- tests */

/* Pages at three places that need new tables at every level. */
static void test_levels(void)
{
	uint64_t ptps = pmap_ptp_count(), pvs = pmap_pv_count();
	struct pmap *pm = pmap_create();
	struct vm_page *pg = vm_page_alloc1(VM_ALLOC_ZERO);
	const vaddr_t va[] = { USER_MIN, USER_MIN + 2 * MiB, USER_MIN + 3 * GiB };
	bool ok = true;
	int err = 0;

	for (int i = 0; i < 3 && err == 0; i++)
		err = pmap_enter(pm, va[i], pg, VM_PROT_READ | VM_PROT_WRITE,
				 PMAP_USER);
	tap_ok(err == 0, "pmap_enter at three places: %d", err);
	for (int i = 0; i < 3; i++)
		ok &= lookup(pm, va[i] + 0x123) == vm_page_to_pa(pg) + 0x123;
	tap_ok(ok, "pmap_extract finds the page and the offset at each");
	tap_ok(lookup(pm, USER_MIN + PAGE_SIZE) == 0 &&
	       lookup(pm, USER_MIN + 1 * GiB) == 0, "nothing else is mapped");
	tap_ok(pmap_ptp_count() - ptps == 1 + 5 && pmap_resident_count(pm) == 3,
	       "a root and 5 tables made (%lu), 3 resident (%lu)",
	       (unsigned long)(pmap_ptp_count() - ptps),
	       (unsigned long)pmap_resident_count(pm));
	tap_ok(pmap_pv_count() - pvs == 3, "a pv entry per mapping (%lu)",
	       (unsigned long)(pmap_pv_count() - pvs));
	pmap_check(pm);         /* panics (the test stops) on a broken table */
	err = pmap_enter(pm, va[0], pg, VM_PROT_READ, PMAP_USER);
	tap_ok(err == 0 && pmap_pv_count() - pvs == 3 && pmap_resident_count(pm) == 3,
	       "the same page again: no second pv entry");
	pmap_remove(pm, USER_MIN, USER_MIN + 4 * GiB);
	tap_ok(pmap_resident_count(pm) == 0 && pmap_pv_count() == pvs &&
	       lookup(pm, va[2]) == 0, "pmap_remove of 4 GiB takes all three");
	pmap_check(pm);
	pmap_destroy(pm);
	vm_page_free(pg, 0);
	tap_ok(pmap_ptp_count() == ptps, "pmap_destroy frees every table");
}

/* Replacing a mapping, protecting it, removing a page everywhere. */
static void test_replace_protect(void)
{
	uint64_t pvs = pmap_pv_count();
	struct pmap *pm = pmap_create();
	struct vm_page *a = vm_page_alloc1(VM_ALLOC_ZERO);
	struct vm_page *b = vm_page_alloc1(VM_ALLOC_ZERO);
	vaddr_t va = USER_MIN + 7 * PAGE_SIZE;

	tap_ok(pmap_enter(pm, va, a, VM_PROT_READ | VM_PROT_WRITE, PMAP_USER) == 0 &&
	       pmap_enter(pm, va, b, VM_PROT_READ | VM_PROT_WRITE, PMAP_USER) == 0 &&
	       lookup(pm, va) == vm_page_to_pa(b) && a->pv_list == NULL &&
	       b->pv_list != NULL && pmap_pv_count() - pvs == 1,
	       "another page at the same va replaces the mapping and its pv entry");
	pmap_protect(pm, va, va + PAGE_SIZE, VM_PROT_READ);
	tap_ok(lookup(pm, va) == vm_page_to_pa(b) &&
	       !pmap_fault_ad(pm, va, VM_ACCESS_WRITE),
	       "pmap_protect read-only: still mapped, a store is no A/D fault");
	pmap_protect(pm, va, va + PAGE_SIZE, VM_PROT_NONE);
	tap_ok(lookup(pm, va) == 0 && b->pv_list == NULL && pmap_pv_count() == pvs,
	       "pmap_protect to none removes the mapping");
	for (int i = 0; i < 3; i++)
		pmap_enter(pm, USER_MIN + (vaddr_t)i * GiB, a, VM_PROT_READ, PMAP_USER);
	pmap_page_protect(a, VM_PROT_NONE);
	tap_ok(lookup(pm, USER_MIN) == 0 && lookup(pm, USER_MIN + 2 * GiB) == 0 &&
	       a->pv_list == NULL && pmap_resident_count(pm) == 0,
	       "pmap_page_protect(none) removes every mapping of a page");
	pmap_check(pm);
	pmap_destroy(pm);
	vm_page_free(a, 0);
	vm_page_free(b, 0);
}

/* Random enters, removes and protects against a model; pmap_check after
 * every step; everything back at the end. */
static void test_trace(void)
{
	uint64_t free0 = vm_page_free_count(), ptps = pmap_ptp_count();
	uint64_t pvs = pmap_pv_count();
	struct pmap *pm = pmap_create();
	struct vm_page *pages[NPAGES];
	vaddr_t slot[NSLOTS];
	int model[NSLOTS];              /* page index mapped, or -1 */
	bool ok = true;
	int step;

	for (int i = 0; i < NPAGES; i++)
		pages[i] = vm_page_alloc1(VM_ALLOC_ZERO);
	for (int i = 0; i < NSLOTS; i++) {
		/* neighbours, 2 MiB and 1 GiB apart: every level is used */
		slot[i] = USER_MIN + (vaddr_t)(i % 4) * GiB +
			  (vaddr_t)(i / 4 % 4) * 2 * MiB + (vaddr_t)(i / 16) * PAGE_SIZE;
		model[i] = -1;
	}
	for (step = 0; step < TRACE_STEPS && ok; step++) {
		int i = (int)(rng() % NSLOTS), p = (int)(rng() % NPAGES);
		int op = (int)(rng() % 4);

		if (op <= 1) {
			ok = pmap_enter(pm, slot[i], pages[p], VM_PROT_READ |
					VM_PROT_WRITE, PMAP_USER) == 0;
			model[i] = p;
		} else if (op == 2) {
			pmap_remove(pm, slot[i], slot[i] + 2 * PAGE_SIZE);
			for (int j = 0; j < NSLOTS; j++)
				if (slot[j] >= slot[i] && slot[j] < slot[i] + 2 * PAGE_SIZE)
					model[j] = -1;
		} else {
			pmap_page_protect(pages[p], VM_PROT_NONE);
			for (int j = 0; j < NSLOTS; j++)
				if (model[j] == p)
					model[j] = -1;
		}
		pmap_check(pm);
		for (int j = 0; j < NSLOTS && ok; j++)
			ok = lookup(pm, slot[j]) == (model[j] < 0 ? 0 :
				vm_page_to_pa(pages[model[j]]));
	}
	tap_ok(ok, "random trace of %d steps agrees with the model", step);
	pmap_remove(pm, USER_MIN, USER_MIN + 4 * GiB);
	tap_ok(pmap_resident_count(pm) == 0 && pmap_pv_count() == pvs,
	       "after the trace: nothing resident, every pv entry freed");
	pmap_destroy(pm);
	for (int i = 0; i < NPAGES; i++)
		vm_page_free(pages[i], 0);
	tap_ok(pmap_ptp_count() == ptps && vm_page_free_count() == free0,
	       "every page-table page and page back (%ld pages)",
	       (long)(vm_page_free_count() - free0));
}

int main(void)
{
	setup();
	tap_ok(pmap_ptp_count() > 0 && (host_csr_satp >> 60) == 8,
	       "pmap_bootstrap built the kernel table and loaded satp in Sv39 mode");
	test_levels();
	test_replace_protect();
	test_trace();
	return tap_done();
}
