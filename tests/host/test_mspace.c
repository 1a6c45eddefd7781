/*
 * Host unit test of address spaces and the fault path (kernel/vm/mspace.c,
 * fault.c, with vma.c, amap.c, anon.c on the real page allocator and kmem)
 * over a recording pmap stub: map, unmap and protect with VMA splits,
 * MAP_FIXED, brk, stack growth, fork, /proc maps text, a random trace
 * against a page model, and running out of memory. Prints TAP.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/lib/sbuf.h"
#include "kernel/vm/page.h"
#include "kernel/vm/pmap.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/amap.h"
#include "kernel/vm/anon.h"
#include "kernel/vm/vma.h"
#include "kernel/vm/mspace.h"
#include "kernel/vm/fault.h"
#include "tests/host/tap.h"

#define MiB             (1UL << 20)
#define RAM_SIZE        (32 * MiB)
#define RAM_ALIGN       (4 * MiB)
#define P               PAGE_SIZE
#define RW              (VM_PROT_READ | VM_PROT_WRITE)
#define TRACE_BASE      0x40000000UL
#define TRACE_PAGES     96
#define TRACE_STEPS     3000

/* ------------------------------------------------------------ pmap stub */

/* Every mapping is recorded, with a pv entry on its page, so freeing a page
 * that is still mapped trips page.c's assertion. */
struct pv_entry {
	struct pv_entry *next;
	struct pmap *pmap;
	vaddr_t va;
};

struct stub_map {
	vaddr_t va;
	struct vm_page *pg;
	vm_prot_t prot;
};

struct pmap {
	struct stub_map *maps;
	size_t n, cap;
};

static int enter_failures;      /* > 0: the next pmap_enter calls fail */

static void pv_unlink(struct pmap *pmap, struct stub_map *m)
{
	struct pv_entry **pp = &m->pg->pv_list, *pv;

	while ((pv = *pp) != NULL) {
		if (pv->pmap == pmap && pv->va == m->va) {
			*pp = pv->next;
			free(pv);
			return;
		}
		pp = &pv->next;
	}
	abort();
}

static struct stub_map *stub_find(struct pmap *pmap, vaddr_t va)
{
	for (size_t i = 0; i < pmap->n; i++)
		if (pmap->maps[i].va == va)
			return &pmap->maps[i];
	return NULL;
}

struct pmap *pmap_create(void)
{
	return calloc(1, sizeof(struct pmap));
}

void pmap_destroy(struct pmap *pmap)
{
	if (pmap->n != 0)
		abort();
	free(pmap->maps);
	free(pmap);
}

void pmap_activate(struct pmap *pmap) { (void)pmap; }
void pmap_deactivate(struct pmap *pmap) { (void)pmap; }

int pmap_enter(struct pmap *pmap, vaddr_t va, struct vm_page *pg,
	       vm_prot_t prot, int flags)
{
	struct stub_map *m = stub_find(pmap, va);
	struct pv_entry *pv;

	if (!(flags & PMAP_USER) || !PAGE_ALIGNED(va) || prot == 0)
		abort();
	if (enter_failures > 0) {
		enter_failures--;
		return -ENOMEM;
	}
	if (m != NULL) {
		pv_unlink(pmap, m);
	} else {
		if (pmap->n == pmap->cap) {
			pmap->cap = pmap->cap ? 2 * pmap->cap : 64;
			pmap->maps = realloc(pmap->maps, pmap->cap * sizeof(*m));
		}
		m = &pmap->maps[pmap->n++];
	}
	m->va = va;
	m->pg = pg;
	m->prot = prot;
	pv = malloc(sizeof(*pv));
	pv->pmap = pmap;
	pv->va = va;
	pv->next = pg->pv_list;
	pg->pv_list = pv;
	return 0;
}

void pmap_remove(struct pmap *pmap, vaddr_t sva, vaddr_t eva)
{
	for (size_t i = 0; i < pmap->n;) {
		struct stub_map *m = &pmap->maps[i];

		if (m->va >= sva && m->va < eva) {
			pv_unlink(pmap, m);
			*m = pmap->maps[--pmap->n];
		} else {
			i++;
		}
	}
}

void pmap_protect(struct pmap *pmap, vaddr_t sva, vaddr_t eva, vm_prot_t prot)
{
	for (size_t i = 0; i < pmap->n; i++)
		if (pmap->maps[i].va >= sva && pmap->maps[i].va < eva)
			pmap->maps[i].prot &= prot;
}

uint64_t pmap_resident_count(struct pmap *pmap)
{
	return pmap->n;
}

void pmap_zero_page(struct vm_page *pg)
{
	memset(PA_TO_KVA(vm_page_to_pa(pg)), 0, PAGE_SIZE);
}

void pmap_copy_page(struct vm_page *src, struct vm_page *dst)
{
	memcpy(PA_TO_KVA(vm_page_to_pa(dst)), PA_TO_KVA(vm_page_to_pa(src)),
	       PAGE_SIZE);
}

uint64_t kva_stack_pages(void) { return 0; }
uint64_t pmap_ptp_count(void) { return 0; }

/* ------------------------------------------------------------ helpers */

static char *ram;
static uint64_t free_base, objs_base;

static uint64_t rng_state = 0x853c49e6748fea9bULL;

static uint64_t rng(uint64_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state % n;
}

static void setup(void)
{
	struct mem_range r;
	struct mspace *ms;

	ram = aligned_alloc(RAM_ALIGN, RAM_SIZE);
	if (ram == NULL)
		abort();
	r.start = (paddr_t)(uintptr_t)ram;
	r.end = r.start + RAM_SIZE;
	vm_page_init_zones(&r, 1, NULL, 0, r.start + RAM_SIZE / 2);
	kmem_init();
	ms = mspace_create();           /* makes the caches */
	mspace_destroy(ms);
	free_base = vm_page_free_count();
	objs_base = kmem_objects_inuse();
}

static bool nothing_held(void)
{
	kmem_check();
	vm_page_check();
	return amap_count() == 0 && anon_count() == 0 &&
	       kmem_objects_inuse() == objs_base &&
	       vm_page_free_count() == free_base;
}

/* Every pmap mapping lies in a VMA allowing its protection, and maps the
 * page of the anon at its amap slot. */
static bool pmap_consistent(struct mspace *ms)
{
	struct pmap *pmap = ms->pmap;

	for (size_t i = 0; i < pmap->n; i++) {
		struct stub_map *m = &pmap->maps[i];
		struct vma *v = vma_tree_lookup(&ms->vmas, m->va);
		struct anon *anon;

		if (v == NULL || v->amap == NULL ||
		    (m->prot & ~mspace_pmap_prot(v->prot)))
			return false;
		anon = amap_lookup(v->amap,
				   v->amap_off + ((m->va - v->start) >> PAGE_SHIFT));
		if (anon == NULL || anon->page != m->pg)
			return false;
	}
	return true;
}

static bool ms_check(struct mspace *ms)
{
	uint64_t pages = 0;
	struct vma *v;

	for (v = vma_tree_first(&ms->vmas); v; v = vma_tree_next(v))
		pages += vma_pages(v);
	return vma_tree_check(&ms->vmas) == 0 && pages == ms->virt_pages &&
	       ms->private_pages + ms->shared_pages == ms->virt_pages &&
	       pmap_consistent(ms);
}

static size_t nvmas(struct mspace *ms)
{
	return ms->vmas.count;
}

static uint64_t peek(struct mspace *ms, vaddr_t va)
{
	uint64_t x = ~0ULL;

	if (mspace_read(ms, va, &x, sizeof(x)) != 0)
		return ~0ULL - 1;
	return x;
}

static int poke(struct mspace *ms, vaddr_t va, uint64_t x)
{
	return mspace_write(ms, va, &x, sizeof(x));
}

static vaddr_t map(struct mspace *ms, vaddr_t va, size_t len, vm_prot_t prot,
		   uint32_t vflags, int flags)
{
	int err = mspace_map(ms, &va, len, prot, VM_PROT_ALL, vflags, flags,
			     NULL, 0);

	return err ? 0 : va;
}

/* ------------------------------------------------------------ tests */

static void test_map_fault(void)
{
	struct mspace *ms = mspace_create();
	vaddr_t va, va2;

	va = map(ms, 0, 4 * P, RW, VMA_PRIVATE, 0);
	tap_ok(va == MSPACE_MMAP_TOP - 4 * P && nvmas(ms) == 1 &&
	       ms->virt_pages == 4, "mmap with no hint goes right below the stack area");
	va2 = map(ms, 0, 2 * P, RW, VMA_PRIVATE, 0);
	tap_ok(va2 == va - 2 * P, "the next one right below it");
	tap_ok(map(ms, 0x20000000, P, RW, VMA_PRIVATE, 0) == 0x20000000,
	       "a free hint is taken");
	tap_ok(map(ms, va, P, RW, VMA_PRIVATE, 0) == va2 - P,
	       "a busy hint is not");
	tap_ok(vm_fault(ms, va + 10, VM_ACCESS_WRITE) == 0 &&
	       ms->pmap->n == 1 && anon_count() == 1 && ms_check(ms),
	       "a write fault zero-fills and maps one page");
	tap_ok(vm_fault(ms, va + 20, VM_ACCESS_READ) == 0 && anon_count() == 1 &&
	       ms->pmap->n == 1, "a second fault on it finds the anon (case 1)");
	tap_ok(vm_fault(ms, va, VM_ACCESS_EXEC) == -EFAULT,
	       "exec on a read-write VMA: -EFAULT");
	tap_ok(vm_fault(ms, 0x30000000, VM_ACCESS_READ) == -EFAULT &&
	       vm_fault(ms, 0x100, VM_ACCESS_READ) == -EFAULT &&
	       vm_fault(ms, USER_MAX + P, VM_ACCESS_READ) == -EFAULT,
	       "faults outside every VMA: -EFAULT");
	tap_ok(poke(ms, va + P - 4, 0x1122334455667788ULL) == 0 &&
	       peek(ms, va + P - 4) == 0x1122334455667788ULL &&
	       peek(ms, va + 3 * P) == 0, "mspace_write across a page edge, "
	       "mspace_read back; untouched pages read zero");
	tap_ok(mspace_write(ms, 0x30000000, "x", 1) == -EFAULT,
	       "mspace_write outside every VMA: -EFAULT");
	mspace_destroy(ms);
	tap_ok(nothing_held(), "destroy frees everything");
}

static void test_unmap_protect(void)
{
	struct mspace *ms = mspace_create();
	vaddr_t va = map(ms, 0x10000000, 10 * P, RW, VMA_PRIVATE, MSPACE_FIXED);
	bool ok = true;

	for (int i = 0; i < 10; i++)
		ok &= poke(ms, va + i * P, 100 + i) == 0 &&
		      vm_fault(ms, va + i * P, VM_ACCESS_READ) == 0;
	tap_ok(ok && anon_count() == 10 && ms->pmap->n == 10, "10 pages touched");
	tap_ok(mspace_unmap(ms, va + 3 * P, 4 * P) == 0 && nvmas(ms) == 2 &&
	       anon_count() == 6 && ms->pmap->n == 6 && ms->virt_pages == 6 &&
	       ms_check(ms), "munmap of the middle splits, frees 4 pages");
	ok = true;
	for (int i = 0; i < 10; i++)
		ok &= (i >= 3 && i < 7) ? vm_fault(ms, va + i * P, VM_ACCESS_READ) == -EFAULT
					: peek(ms, va + i * P) == (uint64_t)(100 + i);
	tap_ok(ok, "the hole faults, both halves keep their data");
	tap_ok(mspace_protect(ms, va, 10 * P, VM_PROT_READ) == -ENOMEM &&
	       nvmas(ms) == 2, "mprotect over a hole: -ENOMEM, nothing changed");
	tap_ok(mspace_protect(ms, va + P, P, VM_PROT_READ) == 0 && nvmas(ms) == 4 &&
	       stub_find(ms->pmap, va + P)->prot == VM_PROT_READ &&
	       stub_find(ms->pmap, va)->prot == RW && ms_check(ms),
	       "mprotect of one page splits in three and lowers its PTE");
	tap_ok(vm_fault(ms, va + P, VM_ACCESS_WRITE) == -EFAULT &&
	       vm_fault(ms, va + P, VM_ACCESS_READ) == 0 &&
	       peek(ms, va + P) == 101, "write to it faults, read works");
	tap_ok(mspace_protect(ms, va + P, P, RW) == 0 &&
	       vm_fault(ms, va + P, VM_ACCESS_WRITE) == 0 &&
	       stub_find(ms->pmap, va + P)->prot == RW,
	       "raising it again: the next write fault maps it writable");
	tap_ok(mspace_protect(ms, va + 8 * P, P, VM_PROT_NONE) == 0 &&
	       stub_find(ms->pmap, va + 8 * P) == NULL &&
	       vm_fault(ms, va + 8 * P, VM_ACCESS_READ) == -EFAULT &&
	       peek(ms, va + 8 * P) == 108, "PROT_NONE unmaps the PTE, keeps the page");
	tap_ok(mspace_unmap(ms, 0x0f000000, 0x2000000) == 0 && nvmas(ms) == 0 &&
	       anon_count() == 0 && ms->virt_pages == 0,
	       "munmap of a range holding everything");
	va = 0x10000000;
	tap_ok(mspace_map(ms, &va, P, RW, VM_PROT_READ, VMA_PRIVATE, MSPACE_FIXED,
			  NULL, 0) == -EACCES &&
	       mspace_map(ms, &va, P, VM_PROT_READ, VM_PROT_READ, VMA_PRIVATE,
			  MSPACE_FIXED, NULL, 0) == 0 &&
	       mspace_protect(ms, va, P, RW) == -EACCES,
	       "prot above maxprot: -EACCES from map and protect");
	mspace_destroy(ms);
	tap_ok(nothing_held(), "nothing held");
}

static void test_fixed(void)
{
	struct mspace *ms = mspace_create();
	vaddr_t va = map(ms, 0x10000000, 8 * P, RW, VMA_PRIVATE, MSPACE_FIXED), at;
	bool ok = true;

	for (int i = 0; i < 8; i++)
		ok &= poke(ms, va + i * P, 7) == 0;
	at = va + 2 * P;
	tap_ok(ok && mspace_map(ms, &at, 2 * P, RW, VM_PROT_ALL, VMA_PRIVATE,
				MSPACE_FIXED | MSPACE_NOREPLACE, NULL, 0) == -EEXIST,
	       "MAP_FIXED_NOREPLACE over a mapping: -EEXIST");
	tap_ok(map(ms, va + 2 * P, 2 * P, VM_PROT_READ, VMA_PRIVATE, MSPACE_FIXED) ==
	       va + 2 * P && nvmas(ms) == 3 && anon_count() == 6 &&
	       peek(ms, va + 2 * P) == 0 && peek(ms, va + 4 * P) == 7 && ms_check(ms),
	       "MAP_FIXED replaces: old pages freed, new ones zero");
	at = va + 1;
	tap_ok(mspace_map(ms, &at, P, RW, VM_PROT_ALL, VMA_PRIVATE, MSPACE_FIXED,
			  NULL, 0) == -EINVAL, "misaligned fixed address: -EINVAL");
	at = USER_MAX - P;
	tap_ok(mspace_map(ms, &at, 2 * P, RW, VM_PROT_ALL, VMA_PRIVATE,
			  MSPACE_FIXED, NULL, 0) == -ENOMEM, "past USER_MAX: -ENOMEM");
	at = 0;
	tap_ok(mspace_map(ms, &at, P, RW, VM_PROT_ALL, VMA_PRIVATE | VMA_SHARED,
			  0, NULL, 0) == -EINVAL &&
	       mspace_map(ms, &at, P, RW, VM_PROT_ALL, 0, 0, NULL, 0) == -EINVAL &&
	       mspace_map(ms, &at, 0, RW, VM_PROT_ALL, VMA_PRIVATE, 0, NULL, 0) == -EINVAL,
	       "both or neither of private/shared, or length 0: -EINVAL");
	at = 0;
	tap_ok(mspace_map(ms, &at, (size_t)300 << 30, RW, VM_PROT_ALL,
			  VMA_PRIVATE, 0, NULL, 0) == -ENOMEM, "no room: -ENOMEM");
	mspace_destroy(ms);
	tap_ok(nothing_held(), "nothing held");
}

static void test_brk(void)
{
	struct mspace *ms = mspace_create();
	vaddr_t base = 0x200000;
	struct vma *heap;

	tap_ok(mspace_set_brk(ms, base - 100) == 0 && mspace_get_brk(ms) == base &&
	       nvmas(ms) == 0, "set_brk rounds the start up to a page");
	tap_ok(mspace_brk(ms, base + 3 * P + 100) == 0 &&
	       mspace_get_brk(ms) == base + 3 * P + 100 && nvmas(ms) == 1 &&
	       (heap = vma_tree_first(&ms->vmas))->end == base + 4 * P &&
	       (heap->flags & VMA_HEAP), "brk grows a heap VMA to whole pages");
	tap_ok(poke(ms, base, 1) == 0 && poke(ms, base + 3 * P, 4) == 0 &&
	       vm_fault(ms, base + 4 * P, VM_ACCESS_READ) == -EFAULT,
	       "heap pages work, beyond the break faults");
	tap_ok(mspace_brk(ms, base + 40 * P) == 0 && nvmas(ms) == 1 &&
	       vma_tree_first(&ms->vmas)->end == base + 40 * P &&
	       poke(ms, base + 39 * P, 40) == 0 && peek(ms, base + 3 * P) == 4,
	       "growing extends the same VMA and its amap");
	tap_ok(mspace_brk(ms, base + P) == 0 && anon_count() == 1 &&
	       peek(ms, base) == 1 && ms_check(ms),
	       "shrinking frees the pages above the break");
	tap_ok(mspace_brk(ms, base - P) == -ENOMEM && mspace_get_brk(ms) == base + P,
	       "below the start: -ENOMEM, break unchanged");
	map(ms, base + 2 * P, P, RW, VMA_PRIVATE, MSPACE_FIXED);
	tap_ok(mspace_brk(ms, base + 3 * P) == -ENOMEM && mspace_get_brk(ms) == base + P,
	       "into another mapping: -ENOMEM");
	tap_ok(mspace_brk(ms, base) == 0 && nvmas(ms) == 1 && anon_count() == 0,
	       "back to the start: the heap VMA goes");
	mspace_destroy(ms);
	tap_ok(nothing_held(), "nothing held");
}

static void test_stack(void)
{
	struct mspace *ms = mspace_create();
	vaddr_t top = 0, low;
	struct vma *st = NULL;

	tap_ok(mspace_map_stack(ms, &top) == 0 && top == USER_STACK_TOP &&
	       (st = vma_tree_first(&ms->vmas)) != NULL &&
	       st->start == USER_STACK_TOP - MSPACE_STACK_INIT && (st->flags & VMA_STACK),
	       "map_stack makes the stack VMA below USER_STACK_TOP");
	tap_ok(mspace_map_stack(ms, &top) == -EEXIST, "twice: -EEXIST");
	tap_ok(poke(ms, top - 8, 0xabcdef) == 0, "write at the top");
	low = USER_STACK_TOP - MSPACE_STACK_INIT - 100 * P;
	tap_ok(vm_fault(ms, low + 5, VM_ACCESS_WRITE) == 0 && st->start == low &&
	       peek(ms, top - 8) == 0xabcdef && ms_check(ms) &&
	       ms->virt_pages == MSPACE_STACK_INIT / P + 100,
	       "a fault below the stack grows it; old data stays");
	tap_ok(vm_fault(ms, USER_STACK_TOP - USER_STACK_MAX - P, VM_ACCESS_READ) == -EFAULT,
	       "a fault past the 8 MiB limit: -EFAULT");
	tap_ok(vm_fault(ms, USER_STACK_TOP - USER_STACK_MAX, VM_ACCESS_READ) == 0 &&
	       st->start == USER_STACK_TOP - USER_STACK_MAX && st->amap_off == 0,
	       "a fault at the limit grows it to exactly 8 MiB");
	tap_ok(vm_fault(ms, st->start, VM_ACCESS_EXEC) == -EFAULT,
	       "the stack is not executable");
	mspace_destroy(ms);
	ms = mspace_create();
	mspace_map_stack(ms, &top);
	low = USER_STACK_TOP - MSPACE_STACK_INIT - 10 * P;
	map(ms, low, P, RW, VMA_PRIVATE, MSPACE_FIXED);
	tap_ok(vm_fault(ms, low + P, VM_ACCESS_READ) == -EFAULT &&
	       vm_fault(ms, low + 2 * P, VM_ACCESS_READ) == 0,
	       "growth stops a guard page above the mapping below");
	mspace_destroy(ms);
	tap_ok(nothing_held(), "nothing held");
}

static void test_fork(void)
{
	struct mspace *ms = mspace_create(), *child = NULL;
	vaddr_t priv = map(ms, 0x10000000, 4 * P, RW, VMA_PRIVATE, MSPACE_FIXED);
	vaddr_t shr = map(ms, 0x20000000, 4 * P, RW, VMA_SHARED, MSPACE_FIXED);
	vaddr_t top;

	mspace_set_brk(ms, 0x300000);
	mspace_brk(ms, 0x300000 + 2 * P);
	mspace_map_stack(ms, &top);
	poke(ms, priv, 1);
	poke(ms, shr, 2);
	poke(ms, 0x300000, 3);
	poke(ms, top - 8, 4);
	tap_ok(mspace_fork(ms, &child) == 0 && nvmas(child) == nvmas(ms) &&
	       child->virt_pages == ms->virt_pages && child->pmap->n == 0 &&
	       mspace_get_brk(child) == 0x300000 + 2 * P && ms_check(child),
	       "fork copies every VMA; the child's pmap starts empty");
	tap_ok(peek(child, priv) == 1 && peek(child, shr) == 2 &&
	       peek(child, 0x300000) == 3 && peek(child, top - 8) == 4,
	       "the child sees the parent's data");
	poke(child, priv, 10);
	poke(child, shr, 20);
	tap_ok(peek(ms, priv) == 1 && peek(ms, shr) == 20,
	       "private writes stay private, shared writes are shared");
	poke(child, shr + P, 21);
	tap_ok(peek(ms, shr + P) == 21, "a page first touched by the child is shared too");
	tap_ok(vm_fault(child, top - 200 * P, VM_ACCESS_WRITE) == 0,
	       "the child's stack still grows");
	mspace_destroy(ms);
	tap_ok(peek(child, shr) == 20 && amap_count() > 0,
	       "the shared amap outlives the parent");
	mspace_destroy(child);
	tap_ok(nothing_held(), "nothing held after both exit");
}

static void test_display(void)
{
	struct mspace *ms = mspace_create();
	struct sbuf sb;
	vaddr_t top, at = 0x3000000000UL;
	/* Linux pads the header to 72 columns, then a space: names at 73. */
	static const char want[] =
		"00010000-00012000 r-xp 00000000 00:00 0 \n"
		"00200000-00201000 rw-p 00000000 00:00 0 "
		"                                 [heap]\n"
		"3000000000-3000001000 rw-s 00000000 00:00 0 \n"
		"3ffffdf000-3ffffff000 rw-p 00000000 00:00 0 "
		"                             [stack]\n";

	map(ms, 0x10000, 2 * P, VM_PROT_READ | VM_PROT_EXEC, VMA_PRIVATE,
	    MSPACE_FIXED);
	mspace_set_brk(ms, 0x200000);
	mspace_brk(ms, 0x200010);
	mspace_map_stack(ms, &top);
	map(ms, at, P, RW, VMA_SHARED, MSPACE_FIXED);
	sbuf_init(&sb);
	tap_ok(mspace_display(ms, &sb) == 0 && strcmp(sb.buf, want) == 0,
	       "maps text: Linux format, names at column 73");
	if (strcmp(sb.buf, want) != 0)
		printf("# got:\n%s# want:\n%s", sb.buf, want);
	sbuf_free(&sb);
	mspace_destroy(ms);
	tap_ok(nothing_held(), "nothing held");
}

/* ------------------------------------------------------------ trace */

/* The model: per page of the trace area, mapped or not, its protection,
 * and the word at its start (0 for untouched). */
static struct {
	bool mapped;
	vm_prot_t prot;
	uint64_t tag;
} pages[TRACE_PAGES];

static vaddr_t tva(size_t p)
{
	return TRACE_BASE + p * P;
}

static bool trace_range_mapped(size_t p, size_t n)
{
	for (size_t i = p; i < p + n; i++)
		if (!pages[i].mapped)
			return false;
	return true;
}

static bool trace_op_map(struct mspace *ms, size_t p, size_t n, uint64_t step)
{
	vm_prot_t prot = rng(4) ? RW : VM_PROT_READ;

	if (map(ms, tva(p), n * P, prot, VMA_PRIVATE, MSPACE_FIXED) != tva(p))
		return false;
	for (size_t i = p; i < p + n; i++) {
		pages[i].mapped = true;
		pages[i].prot = prot;
		pages[i].tag = 0;
	}
	(void)step;
	return true;
}

static bool trace_op_unmap(struct mspace *ms, size_t p, size_t n)
{
	if (mspace_unmap(ms, tva(p), n * P) != 0)
		return false;
	for (size_t i = p; i < p + n; i++)
		pages[i].mapped = false;
	return true;
}

static bool trace_op_protect(struct mspace *ms, size_t p, size_t n)
{
	vm_prot_t prot = (vm_prot_t)rng(8);
	bool all = trace_range_mapped(p, n);
	int err = mspace_protect(ms, tva(p), n * P, prot);

	if (err != (all ? 0 : -ENOMEM))
		return false;
	for (size_t i = p; all && i < p + n; i++)
		pages[i].prot = prot;
	return true;
}

static bool trace_op_write(struct mspace *ms, size_t p, uint64_t step)
{
	int err = poke(ms, tva(p), step);

	if (err != (pages[p].mapped ? 0 : -EFAULT))
		return false;
	if (pages[p].mapped)
		pages[p].tag = step;
	return true;
}

static bool trace_op_fault(struct mspace *ms, size_t p)
{
	static const enum vm_access acc[] = {
		VM_ACCESS_READ, VM_ACCESS_WRITE, VM_ACCESS_EXEC
	};
	enum vm_access a = acc[rng(3)];
	bool allowed = pages[p].mapped &&
		       (mspace_pmap_prot(pages[p].prot) & (vm_prot_t)a);

	return vm_fault(ms, tva(p), a) == (allowed ? 0 : -EFAULT);
}

static bool trace_op_dontneed(struct mspace *ms, size_t p, size_t n)
{
	bool all = trace_range_mapped(p, n);

	if (mspace_dontneed(ms, tva(p), n * P) != (all ? 0 : -ENOMEM))
		return false;
	for (size_t i = p; i < p + n; i++)
		pages[i].tag = 0;
	return true;
}

/* Every page reads as the model says (in ms, or a fork of it). */
static bool trace_contents(struct mspace *ms)
{
	for (size_t p = 0; p < TRACE_PAGES; p++) {
		uint64_t got = peek(ms, tva(p));

		if (pages[p].mapped ? got != pages[p].tag : got != ~0ULL - 1)
			return false;
	}
	return true;
}

static bool trace_op_fork(struct mspace *ms)
{
	struct mspace *child = NULL;
	bool ok = mspace_fork(ms, &child) == 0 && ms_check(child) &&
		  trace_contents(child);

	if (child != NULL)
		mspace_destroy(child);
	return ok;
}

static bool trace_step(struct mspace *ms, uint64_t step)
{
	size_t p = rng(TRACE_PAGES), n = 1 + rng(MIN(12, TRACE_PAGES - p));

	switch (rng(16)) {
	case 0: case 1: case 2:
		return trace_op_map(ms, p, n, step);
	case 3: case 4:
		return trace_op_unmap(ms, p, n);
	case 5: case 6:
		return trace_op_protect(ms, p, n);
	case 7: case 8: case 9:
		return trace_op_write(ms, p, step);
	case 10: case 11: case 12:
		return trace_op_fault(ms, p);
	case 13:
		return trace_op_dontneed(ms, p, n);
	case 14:
		return trace_contents(ms);
	default:
		return rng(8) == 0 ? trace_op_fork(ms) : true;
	}
}

static void test_trace(void)
{
	struct mspace *ms = mspace_create();
	uint64_t step;
	bool ok = true;

	memset(pages, 0, sizeof(pages));
	for (step = 1; step <= TRACE_STEPS && ok; step++)
		ok = trace_step(ms, step) && ms_check(ms);
	tap_ok(ok && trace_contents(ms),
	       "%d random map/unmap/protect/write/fault/dontneed/fork steps "
	       "match the model (stopped at %lu)", TRACE_STEPS,
	       (unsigned long)step - 1);
	mspace_destroy(ms);
	tap_ok(nothing_held(), "nothing held after the trace");
}

/* Faults and fork when memory or pmap_enter runs out: -ENOMEM, no leak. */
static void test_out_of_memory(void)
{
	struct mspace *ms = mspace_create(), *child = NULL;
	size_t len = RAM_SIZE, n = 0;
	vaddr_t va = map(ms, 0x10000000, len, RW, VMA_PRIVATE, MSPACE_FIXED);
	uint64_t anons;
	int err;

	enter_failures = 1;
	tap_ok(vm_fault(ms, va, VM_ACCESS_WRITE) == -ENOMEM && anon_count() == 0 &&
	       ms->pmap->n == 0, "pmap_enter -ENOMEM: the fault fails, the anon goes");
	while ((err = vm_fault(ms, va + n * P, VM_ACCESS_WRITE)) == 0)
		n++;
	anons = anon_count();
	tap_ok(err == -ENOMEM && n > 0 && anons == n && ms_check(ms),
	       "zero fill out of pages: -ENOMEM (%zu pages mapped)", n);
	tap_ok(mspace_fork(ms, &child) == -ENOMEM && anon_count() == anons &&
	       amap_count() == 1, "fork out of memory: -ENOMEM, nothing leaked");
	mspace_destroy(ms);
	tap_ok(nothing_held(), "and everything comes back");
}

int main(void)
{
	setup();
	test_map_fault();
	test_unmap_protect();
	test_fixed();
	test_brk();
	test_stack();
	test_fork();
	test_display();
	test_trace();
	test_out_of_memory();
	free(ram);
	return tap_done();
}
