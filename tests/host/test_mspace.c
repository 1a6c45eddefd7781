/*
 * Host unit test of address spaces and the fault path (kernel/vm/mspace.c,
 * fault.c, with vma.c, amap.c, anon.c on the real page allocator and kmem)
 * over a recording pmap stub and a small memory-object stub with a fake
 * file pager: map, unmap and protect with VMA splits, MAP_FIXED, brk,
 * stack growth, copy-on-write fork (and the eager fork of cow=off), file
 * mappings private and shared, msync, MADV_DONTNEED, /proc maps and smaps
 * text, a random trace against a page model with a forked child, and
 * running out of memory. Prints TAP.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/lib/sbuf.h"
#include "kernel/lib/bootargs.h"
#include "kernel/vm/page.h"
#include "kernel/vm/pmap.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/amap.h"
#include "kernel/vm/anon.h"
#include "kernel/vm/object.h"
#include "kernel/vm/pager.h"
#include "kernel/vm/vma.h"
#include "kernel/vm/mspace.h"
#include "kernel/vm/fault.h"
#include "kernel/vm/vmstat.h"
#include "kernel/vm/commit.h"
#include "tests/host/tap.h"

#define MiB             (1UL << 20)
#define RAM_SIZE        (32 * MiB)
#define RAM_ALIGN       (4 * MiB)
#define P               PAGE_SIZE
#define RW              (VM_PROT_READ | VM_PROT_WRITE)
#define TRACE_BASE      0x40000000UL
#define TRACE_PAGES     96
#define TRACE_STEPS     6000

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
	/* Removed by pmap_remove_batch, not yet flushed: their pv entries
	 * stay until pmap_tlb_batch_flush, as another hart may still reach
	 * the page through its TLB, so freeing one before the flush trips
	 * page.c's assertion. */
	struct stub_map *stale;
	size_t nstale, stale_cap;
};

static int enter_failures;      /* > 0: the next pmap_enter calls fail */
static int tlb_flushes;         /* pmap_tlb_batch_flush calls that fenced */

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
	if (pmap->n != 0 || pmap->nstale != 0)
		abort();
	free(pmap->maps);
	free(pmap->stale);
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

void pmap_tlb_batch_init(struct pmap_tlb_batch *b, struct pmap *pmap)
{
	b->pmap = pmap;
	b->sva = USER_MAX;
	b->eva = 0;
}

static void batch_note(struct pmap_tlb_batch *b, vaddr_t va)
{
	b->sva = MIN(b->sva, va);
	b->eva = MAX(b->eva, va + PAGE_SIZE);
}

void pmap_remove_batch(struct pmap_tlb_batch *b, vaddr_t sva, vaddr_t eva)
{
	struct pmap *pmap = b->pmap;

	for (size_t i = 0; i < pmap->n;) {
		struct stub_map *m = &pmap->maps[i];

		if (m->va >= sva && m->va < eva) {
			if (pmap->nstale == pmap->stale_cap) {
				pmap->stale_cap = pmap->stale_cap ?
						  2 * pmap->stale_cap : 64;
				pmap->stale = realloc(pmap->stale, pmap->stale_cap *
						      sizeof(*m));
			}
			batch_note(b, m->va);
			pmap->stale[pmap->nstale++] = *m;
			*m = pmap->maps[--pmap->n];
		} else {
			i++;
		}
	}
}

void pmap_protect_batch(struct pmap_tlb_batch *b, vaddr_t sva, vaddr_t eva,
			vm_prot_t prot)
{
	for (size_t i = 0; i < b->pmap->n; i++) {
		struct stub_map *m = &b->pmap->maps[i];

		if (m->va >= sva && m->va < eva && (m->prot & ~prot)) {
			m->prot &= prot;
			batch_note(b, m->va);
		}
	}
}

void pmap_tlb_batch_flush(struct pmap_tlb_batch *b)
{
	struct pmap *pmap = b->pmap;

	if (b->sva < b->eva)
		tlb_flushes++;
	while (pmap->nstale > 0)
		pv_unlink(pmap, &pmap->stale[--pmap->nstale]);
	b->sva = USER_MAX;
	b->eva = 0;
}

bool pmap_extract(struct pmap *pmap, vaddr_t va, paddr_t *pa)
{
	struct stub_map *m = stub_find(pmap, PAGE_ROUNDDOWN(va));

	if (m == NULL)
		return false;
	*pa = vm_page_to_pa(m->pg) + (va & PAGE_MASK);
	return true;
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

/* ------------------------------------------------------------ boot option */

static bool cow_on = true;      /* the boot option cow= */

bool bootarg_bool(const char *name, bool dflt)
{
	return strcmp(name, "cow") == 0 ? cow_on : dflt;
}

long bootarg_int(const char *name __attribute__((unused)), long dflt,
		 long min __attribute__((unused)), long max __attribute__((unused)))
{
	return dflt;
}

/* ------------------------------------------------------------ object stub */

/* Memory objects as kernel/vm/object.h specifies them, simply: resident
 * pages by index, read in through the pager on first use (zero filled
 * without one) and written back by vm_object_sync. */
static uint64_t objects_inuse, object_pages_inuse, object_dirty_calls;
static uint64_t object_busy_calls;      /* vm_object_page_busy calls */
static uint64_t object_pageins;         /* pages the pager read */

struct vm_object *vm_object_create(uint64_t size, const struct pager_ops *pager,
				   void *pager_priv)
{
	struct vm_object *obj = calloc(1, sizeof(*obj));

	mutex_init(&obj->lock, "vm_object");
	obj->refcnt = 1;
	obj->size = size;
	obj->pager = pager;
	obj->pager_priv = pager_priv;
	objects_inuse++;
	return obj;
}

void vm_object_ref(struct vm_object *obj)
{
	obj->refcnt++;
}

/* The slot of the page at off (allocating the index when alloc). */
static struct vm_page **object_slot(struct vm_object *obj, uint64_t off,
				    bool alloc)
{
	size_t i = off >> PAGE_SHIFT, c = i / VM_OBJECT_CHUNK_PAGES;

	if (c >= obj->nchunks) {
		if (!alloc)
			return NULL;
		obj->chunks = realloc(obj->chunks, (c + 1) * sizeof(*obj->chunks));
		memset(obj->chunks + obj->nchunks, 0,
		       (c + 1 - obj->nchunks) * sizeof(*obj->chunks));
		obj->nchunks = c + 1;
	}
	if (obj->chunks[c] == NULL) {
		if (!alloc)
			return NULL;
		obj->chunks[c] = calloc(VM_OBJECT_CHUNK_PAGES,
					sizeof(struct vm_page *));
	}
	return &obj->chunks[c][i % VM_OBJECT_CHUNK_PAGES];
}

void vm_object_unref(struct vm_object *obj)
{
	struct vm_page *pg;

	if (--obj->refcnt > 0)
		return;
	for (size_t c = 0; c < obj->nchunks; c++) {
		for (size_t i = 0; obj->chunks[c] && i < VM_OBJECT_CHUNK_PAGES; i++) {
			pg = obj->chunks[c][i];
			if (pg == NULL)
				continue;
			if (pg->pv_list != NULL || pg->wire_count != 0)
				abort();
			pg->owner = NULL;
			vm_page_free(pg, 0);
			object_pages_inuse--;
		}
		free(obj->chunks[c]);
	}
	if (obj->pager != NULL && obj->pager->destroy != NULL)
		obj->pager->destroy(obj);
	free(obj->chunks);
	free(obj);
	objects_inuse--;
}

int vm_object_get_page(struct vm_object *obj, uint64_t off, struct vm_page **pgp)
{
	struct vm_page **slot, *pg;

	if (obj->pager != NULL && off >= PAGE_ROUNDUP(obj->size))
		return -EFAULT;
	slot = object_slot(obj, off, true);
	if (*slot == NULL) {
		pg = vm_page_alloc(0, VM_ZONE_ANY, VM_ALLOC_ZERO | VM_ALLOC_USER);
		if (pg == NULL)
			return -ENOMEM;
		if (obj->pager != NULL && obj->pager->get_page(obj, off, pg) != 0) {
			vm_page_free(pg, 0);
			return -EIO;
		}
		if (obj->pager != NULL)
			object_pageins++;
		pg->owner = obj;
		pg->offset = off;
		*slot = pg;
		obj->nresident++;
		object_pages_inuse++;
	}
	(*slot)->wire_count++;
	*pgp = *slot;
	return 0;
}

int vm_object_get_page_io(struct vm_object *obj, uint64_t off,
			  struct vm_page **pgp, bool *read_in __attribute__((unused)))
{
	return vm_object_get_page(obj, off, pgp);
}

void vm_object_release_page(struct vm_object *obj, struct vm_page *pg)
{
	(void)obj;
	if (pg->wire_count == 0)
		abort();
	pg->wire_count--;
}

/* No fault-around here: the host model holds no page it was not asked
 * for (the in-QEMU mmap suite tests fault-around). */
size_t vm_object_hold_resident(struct vm_object *obj, uint64_t off, size_t n,
			       struct vm_page **pgs)
{
	(void)obj;
	(void)off;
	for (size_t i = 0; i < n; i++)
		pgs[i] = NULL;
	return 0;
}

void vm_object_release_pages(struct vm_object *obj, struct vm_page **pgs,
			     size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (pgs[i] != NULL)
			vm_object_release_page(obj, pgs[i]);
}

/* One thread here: a page found busy would wait forever. */
void vm_object_page_busy(struct vm_object *obj, struct vm_page *pg)
{
	(void)obj;
	if (pg->wire_count == 0 || (pg->flags & VM_PAGE_BUSY))
		abort();
	pg->flags |= VM_PAGE_BUSY;
	object_busy_calls++;
}

void vm_object_page_unbusy(struct vm_object *obj, struct vm_page *pg)
{
	(void)obj;
	if (!(pg->flags & VM_PAGE_BUSY))
		abort();
	pg->flags &= ~VM_PAGE_BUSY;
}

void vm_object_page_dirty(struct vm_object *obj, struct vm_page *pg)
{
	(void)obj;
	(void)pg;
	object_dirty_calls++;
}

int vm_object_sync(struct vm_object *obj, uint64_t off, uint64_t len)
{
	struct vm_page **slot;
	uint64_t end = len ? off + len : PAGE_ROUNDUP(obj->size);

	for (; obj->pager != NULL && !obj->pager->swap_backed && off < end;
	     off += PAGE_SIZE) {
		slot = object_slot(obj, off, false);
		if (slot != NULL && *slot != NULL &&
		    obj->pager->put_page(obj, off, *slot) != 0)
			return -EIO;
	}
	return 0;
}

uint64_t vm_object_count(void)
{
	return objects_inuse;
}

uint64_t vm_object_resident_pages(void)
{
	return object_pages_inuse;
}

uint64_t vm_object_pageins(void)
{
	return object_pageins;
}

/* ------------------------------------------------------------ fake file */

#define FILE_MAX        (TRACE_PAGES * PAGE_SIZE)

/* A file's bytes, read and written by the fake pager. */
struct fake_file {
	unsigned char data[FILE_MAX];
	uint64_t size;
	int destroyed;
};

static int fake_get_page(struct vm_object *obj, uint64_t off, struct vm_page *pg)
{
	struct fake_file *f = obj->pager_priv;

	if (off < f->size)
		memcpy(PA_TO_KVA(vm_page_to_pa(pg)), f->data + off,
		       MIN(PAGE_SIZE, f->size - off));
	return 0;
}

static int fake_put_page(struct vm_object *obj, uint64_t off, struct vm_page *pg)
{
	struct fake_file *f = obj->pager_priv;

	if (off < f->size)
		memcpy(f->data + off, PA_TO_KVA(vm_page_to_pa(pg)),
		       MIN(PAGE_SIZE, f->size - off));
	return 0;
}

static void fake_destroy(struct vm_object *obj)
{
	((struct fake_file *)obj->pager_priv)->destroyed++;
}

static const struct pager_ops fake_pager = {
	.name = "fake",
	.get_page = fake_get_page,
	.put_page = fake_put_page,
	.destroy = fake_destroy,
};

/* A fake file of size bytes, each 8-byte word holding its offset + base. */
static struct vm_object *fake_file_object(struct fake_file *f, uint64_t size,
					  uint64_t base)
{
	memset(f, 0, sizeof(*f));
	f->size = size;
	for (uint64_t off = 0; off + 8 <= size; off += 8) {
		uint64_t w = off + base;
		memcpy(f->data + off, &w, 8);
	}
	return vm_object_create(size, &fake_pager, f);
}

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
	       anon_shared_count() == 0 && objects_inuse == 0 &&
	       object_pages_inuse == 0 && vm_committed_pages() == 0 &&
	       kmem_objects_inuse() == objs_base &&
	       vm_page_free_count() == free_base;
}

/* The anon at va's slot in v, or NULL. */
static struct anon *vma_anon(struct vma *v, vaddr_t va)
{
	size_t slot;

	if (v->amap == NULL)
		return NULL;
	slot = mspace_vma_slot(v, va);
	return slot < v->amap->nslots ? amap_lookup(v->amap, slot) : NULL;
}

/* One pmap mapping: inside a VMA allowing its protection; the page of the
 * anon at its amap slot (writable only if neither the anon nor the amap
 * is shared), or else the object's page at its offset (writable only in a
 * shared VMA). */
static bool mapping_consistent(struct mspace *ms, struct stub_map *m)
{
	struct vma *v = vma_tree_lookup(&ms->vmas, m->va);
	struct anon *anon;

	if (v == NULL || (m->prot & ~mspace_pmap_prot(v->prot)))
		return false;
	anon = vma_anon(v, m->va);
	if (anon != NULL)
		return anon->page == m->pg &&
		       (!(m->prot & VM_PROT_WRITE) ||
			(anon->refcnt == 1 && !(v->flags & VMA_NEEDS_COPY) &&
			 v->amap->refcnt == 1));
	return v->obj != NULL && m->pg->owner == v->obj &&
	       m->pg->offset == v->obj_off + (m->va - v->start) &&
	       (!(m->prot & VM_PROT_WRITE) || (v->flags & VMA_SHARED));
}

static bool pmap_consistent(struct mspace *ms)
{
	for (size_t i = 0; i < ms->pmap->n; i++)
		if (!mapping_consistent(ms, &ms->pmap->maps[i]))
			return false;
	return true;
}

/* The VMA invariants of vma.h that involve the layers. */
static bool vmas_consistent(struct mspace *ms)
{
	for (struct vma *v = vma_tree_first(&ms->vmas); v; v = vma_tree_next(v)) {
		if (((v->flags & VMA_ANON) != 0) != (v->obj == NULL))
			return false;
		if ((v->flags & VMA_SHARED) && (v->obj == NULL || v->amap))
			return false;
		if (v->amap && v->amap->refcnt > 1 &&
		    !(v->flags & VMA_NEEDS_COPY))
			return false;
		if (v->amap && amap_check(v->amap) != 0)
			return false;
	}
	return true;
}

static bool ms_check(struct mspace *ms)
{
	uint64_t pages = 0;
	struct vma *v;

	uint64_t commit = 0;

	for (v = vma_tree_first(&ms->vmas); v; v = vma_tree_next(v)) {
		pages += vma_pages(v);
		if ((v->flags & VMA_PRIVATE) && (v->prot & VM_PROT_WRITE))
			commit += vma_pages(v);
	}
	return vma_tree_check(&ms->vmas) == 0 && pages == ms->virt_pages &&
	       commit == ms->commit_pages &&
	       ms->private_pages + ms->shared_pages == ms->virt_pages &&
	       pmap_consistent(ms) && vmas_consistent(ms);
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

/* munmap, mprotect and fork's write-protect across several VMAs send one
 * TLB shootdown each, and munmap frees no page before it (the stub keeps
 * a removed page's pv entry until the flush: page.c would abort). */
static void test_one_shootdown(void)
{
	struct mspace *ms = mspace_create(), *child = NULL;
	vaddr_t va = 0x10000000;
	bool ok = true;
	int before;

	/* Three VMAs side by side: RW, R, RW (no merging across them). */
	ok &= map(ms, va, 4 * P, RW, VMA_PRIVATE, MSPACE_FIXED) == va;
	ok &= map(ms, va + 4 * P, 4 * P, RW, VMA_PRIVATE, MSPACE_FIXED) == va + 4 * P;
	ok &= map(ms, va + 8 * P, 4 * P, RW, VMA_PRIVATE, MSPACE_FIXED) == va + 8 * P;
	for (int i = 0; i < 12; i++)
		ok &= poke(ms, va + i * P, i) == 0 &&
		      vm_fault(ms, va + i * P, VM_ACCESS_WRITE) == 0;
	ok &= mspace_protect(ms, va + 4 * P, 4 * P, VM_PROT_READ) == 0;
	tap_ok(ok && nvmas(ms) == 3 && ms->pmap->n == 12, "12 pages in 3 VMAs");
	before = tlb_flushes;
	tap_ok(mspace_protect(ms, va, 12 * P, VM_PROT_READ) == 0 &&
	       tlb_flushes == before + 1 &&
	       stub_find(ms->pmap, va + 11 * P)->prot == VM_PROT_READ,
	       "mprotect across 3 VMAs: one shootdown");
	ok = mspace_protect(ms, va, 12 * P, RW) == 0;
	for (int i = 0; i < 12; i++)
		ok &= vm_fault(ms, va + i * P, VM_ACCESS_WRITE) == 0;
	before = tlb_flushes;
	tap_ok(ok && mspace_fork(ms, &child) == 0 && tlb_flushes == before + 1 &&
	       stub_find(ms->pmap, va)->prot == VM_PROT_READ,
	       "fork write-protects every VMA with one shootdown");
	mspace_destroy(child);
	before = tlb_flushes;
	tap_ok(mspace_unmap(ms, va, 12 * P) == 0 && tlb_flushes == before + 1 &&
	       nvmas(ms) == 0 && anon_count() == 0 && ms->pmap->nstale == 0,
	       "munmap across 3 VMAs: one shootdown, then the pages are freed");
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

/* Regression stack_grows_after_unmap: munmap of a page inside the stack
 * splits it; each piece must still grow down, the upper one into the
 * hole (no guard page between two pieces of the stack). */
static void test_stack_hole(void)
{
	struct mspace *ms = mspace_create(), *child = NULL;
	vaddr_t top = 0, low, hole, va;
	bool ok = true;

	mspace_map_stack(ms, &top);
	low = top - MSPACE_STACK_INIT;
	for (va = low; va < top; va += P)
		ok &= poke(ms, va, va) == 0;
	hole = top - 10 * P;
	tap_ok(ok && mspace_unmap(ms, hole - 2 * P, 3 * P) == 0 && nvmas(ms) == 2 &&
	       vm_fault(ms, hole + P, VM_ACCESS_READ) == 0 && ms_check(ms),
	       "munmap inside the stack leaves two pieces");
	tap_ok(mspace_fork(ms, &child) == 0, "fork with a hole in the stack");
	tap_ok(vm_fault(ms, hole, VM_ACCESS_WRITE) == 0 &&
	       vm_fault(ms, hole - 2 * P, VM_ACCESS_WRITE) == 0 &&
	       nvmas(ms) == 2 && ms_check(ms) && peek(ms, hole) == 0 &&
	       peek(ms, hole + P) == hole + P && peek(ms, hole - 3 * P) == hole - 3 * P,
	       "stack_grows_after_unmap: the upper piece grows into the hole");
	tap_ok(vm_fault(ms, low - 40 * P, VM_ACCESS_WRITE) == 0 &&
	       peek(ms, low) == low && ms_check(ms),
	       "the lower piece still grows below");
	tap_ok(poke(child, hole - P, 7) == 0 && peek(child, hole - P) == 7 &&
	       peek(child, hole + P) == hole + P && peek(ms, hole - P) == 0 &&
	       vm_fault(child, low - 3 * P, VM_ACCESS_WRITE) == 0 && ms_check(child),
	       "the child's pieces grow too; the parent does not see its stores");
	mspace_destroy(child);
	mspace_destroy(ms);

	ms = mspace_create();
	mspace_map_stack(ms, &top);
	low = top - MSPACE_STACK_INIT;
	poke(ms, low + 4 * P, 5);
	tap_ok(mspace_unmap(ms, low, 2 * P) == 0 && nvmas(ms) == 1 &&
	       vm_fault(ms, low + P, VM_ACCESS_WRITE) == 0 &&
	       vm_fault(ms, low - 20 * P, VM_ACCESS_WRITE) == 0 &&
	       peek(ms, low + 4 * P) == 5 && ms_check(ms),
	       "stack_grows_after_unmap: unmapping its lowest pages keeps it growing");
	map(ms, low - 30 * P, P, RW, VMA_PRIVATE, MSPACE_FIXED);
	tap_ok(vm_fault(ms, low - 29 * P, VM_ACCESS_READ) == -EFAULT &&
	       vm_fault(ms, low - 28 * P, VM_ACCESS_READ) == 0,
	       "a guard page still stays above another mapping");
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
	tap_ok(peek(child, shr) == 20 && peek(child, shr + P) == 21 &&
	       objects_inuse == 1 && peek(child, priv) == 10,
	       "the shared anonymous object outlives the parent");
	mspace_destroy(child);
	tap_ok(nothing_held(), "nothing held after both exit");
}

static struct vm_stats vmstat_now(void)
{
	struct vm_stats st;

	vm_stats_get(&st);
	return st;
}

#define VMSTAT(field)   (vmstat_now().field)

/* Copy-on-write fork step by step: nothing copied at fork, the parent's
 * PTEs write-protected, the first write copies exactly the page written,
 * a page no longer shared is written in place, freeing is exact. */
static void test_cow_fork(void)
{
	struct mspace *ms = mspace_create(), *child = NULL;
	vaddr_t va = map(ms, 0x10000000, 16 * P, RW, VMA_PRIVATE, MSPACE_FIXED);
	uint64_t cow0, nc0;
	bool ok = true;

	for (int i = 0; i < 16; i++)
		ok &= poke(ms, va + i * P, 100 + i) == 0;
	for (int i = 0; i < 16; i++)
		ok &= vm_fault(ms, va + i * P, VM_ACCESS_WRITE) == 0;
	cow0 = VMSTAT(fault_cow);
	nc0 = VMSTAT(fault_needs_copy);
	tap_ok(ok && mspace_fork(ms, &child) == 0 && anon_count() == 16 &&
	       amap_count() == 1 && anon_shared_count() == 0 &&
	       child->pmap->n == 0 && ms_check(ms) && ms_check(child),
	       "fork allocates no page: one amap shared, 16 anons");
	ok = (vma_tree_first(&ms->vmas)->flags & VMA_NEEDS_COPY) &&
	     (vma_tree_first(&child->vmas)->flags & VMA_NEEDS_COPY);
	for (size_t i = 0; i < ms->pmap->n; i++)
		ok &= !(ms->pmap->maps[i].prot & VM_PROT_WRITE);
	tap_ok(ok && ms->pmap->n == 16,
	       "both VMAs needs-copy; the parent's 16 PTEs write-protected");
	tap_ok(peek(child, va + 5 * P) == 105 && anon_count() == 16 &&
	       !(stub_find(child->pmap, va + 5 * P)->prot & VM_PROT_WRITE),
	       "a read in the child maps the shared page read-only");
	tap_ok(poke(child, va + 3 * P, 999) == 0 && anon_count() == 17 &&
	       amap_count() == 2 && anon_shared_count() == 15 &&
	       VMSTAT(fault_cow) == cow0 + 1 && VMSTAT(fault_needs_copy) == nc0 + 1 &&
	       peek(ms, va + 3 * P) == 103 && peek(child, va + 3 * P) == 999 &&
	       ms_check(child), "the child's first write: amap copied, exactly "
	       "one page copied, the parent unchanged");
	tap_ok(vm_fault(ms, va + 3 * P, VM_ACCESS_WRITE) == 0 &&
	       poke(ms, va + 3 * P, 333) == 0 && anon_count() == 17 &&
	       VMSTAT(fault_cow) == cow0 + 1 && VMSTAT(fault_needs_copy) == nc0 + 1 &&
	       (stub_find(ms->pmap, va + 3 * P)->prot & VM_PROT_WRITE) &&
	       peek(child, va + 3 * P) == 999 && ms_check(ms),
	       "the parent writes the page no longer shared in place, no copy");
	tap_ok(vm_fault(ms, va + 4 * P, VM_ACCESS_WRITE) == 0 &&
	       anon_count() == 18 && VMSTAT(fault_cow) == cow0 + 2 &&
	       amap_count() == 2 && peek(child, va + 4 * P) == 104 &&
	       ms_check(ms), "the parent's write to a shared page copies it");
	mspace_destroy(child);
	tap_ok(anon_count() == 16 && anon_shared_count() == 0 && amap_count() == 1 &&
	       peek(ms, va + 3 * P) == 333 && peek(ms, va + 4 * P) == 104 &&
	       peek(ms, va + 15 * P) == 115,
	       "the child's exit frees exactly its two private pages");
	mspace_destroy(ms);
	tap_ok(nothing_held(), "nothing held");
}

/* After fork, the parent unmaps half of a shared VMA and the child exits:
 * the pages of the unmapped half go with the last reference. */
static void test_cow_exact_free(void)
{
	struct mspace *ms = mspace_create(), *child = NULL, *grandchild = NULL;
	vaddr_t va = map(ms, 0x10000000, 8 * P, RW, VMA_PRIVATE, MSPACE_FIXED);
	bool ok = true;

	for (int i = 0; i < 8; i++)
		ok &= poke(ms, va + i * P, 50 + i) == 0;
	ok &= mspace_fork(ms, &child) == 0;
	tap_ok(ok && mspace_unmap(ms, va + 4 * P, 4 * P) == 0 && anon_count() == 8 &&
	       ms_check(ms) && peek(ms, va + 3 * P) == 53 &&
	       peek(child, va + 6 * P) == 56, "munmap of half a needs-copy VMA");
	mspace_destroy(child);
	tap_ok(anon_count() == 4 && anon_shared_count() == 0,
	       "the child's exit frees the 4 pages only it still mapped");
	tap_ok(mspace_fork(ms, &child) == 0 && mspace_fork(child, &grandchild) == 0 &&
	       amap_count() == 1 && anon_count() == 4 &&
	       mspace_dontneed(child, va, 2 * P) == 0 && anon_count() == 4 &&
	       peek(child, va) == 0 && peek(grandchild, va) == 50 &&
	       peek(ms, va + P) == 51 && ms_check(child),
	       "MADV_DONTNEED in a needs-copy VMA drops only this mapping's pages");
	mspace_destroy(ms);
	mspace_destroy(grandchild);
	tap_ok(anon_count() == 3 && peek(child, va + 2 * P) == 52 &&
	       peek(child, va + P) == 0,
	       "two generations later the last holder keeps exactly its pages "
	       "(2, and the zero page its read made)");
	mspace_destroy(child);
	tap_ok(nothing_held(), "nothing held");
}

/* The boot option cow=off: fork copies every anonymous page at once. */
static void test_cow_off(void)
{
	struct mspace *ms = mspace_create(), *child = NULL;
	vaddr_t va = map(ms, 0x10000000, 8 * P, RW, VMA_PRIVATE, MSPACE_FIXED);
	vaddr_t top;
	bool ok = true;

	mspace_map_stack(ms, &top);
	poke(ms, top - 8, 77);
	for (int i = 0; i < 8; i++)
		ok &= poke(ms, va + i * P, 10 + i) == 0;
	cow_on = false;
	ok &= mspace_fork(ms, &child) == 0;
	cow_on = true;
	tap_ok(ok && anon_count() == 18 && amap_count() == 4 &&
	       anon_shared_count() == 0 &&
	       !(vma_tree_first(&ms->vmas)->flags & VMA_NEEDS_COPY) &&
	       (stub_find(ms->pmap, va)->prot & VM_PROT_WRITE) && ms_check(child),
	       "cow=off: fork copies the 9 pages, nothing write-protected");
	tap_ok(poke(child, va, 1) == 0 && peek(ms, va) == 10 && anon_count() == 18 &&
	       peek(child, top - 8) == 77 &&
	       vm_fault(child, top - 100 * P, VM_ACCESS_WRITE) == 0,
	       "writes stay private without copying; the stack still grows");
	mspace_destroy(child);
	mspace_destroy(ms);
	tap_ok(nothing_held(), "nothing held");
}

/* MAP_PRIVATE of a file: reads share the object's pages read-only, a write
 * copies the page and never reaches the file, offsets, a tail past the
 * end reads zero, MADV_DONTNEED returns to the file's data. */
static void test_file_private(void)
{
	static struct fake_file file;
	struct mspace *ms = mspace_create(), *ms2 = mspace_create();
	struct vm_object *obj = fake_file_object(&file, 3 * P + 100, 0);
	vaddr_t va = 0x10000000, va2 = 0x20000000, off1 = 0x30000000;
	uint64_t lower0 = VMSTAT(fault_lower), pagein0 = VMSTAT(pageins);

	tap_ok(mspace_map(ms, &va, 5 * P, RW, VM_PROT_ALL, VMA_PRIVATE,
			  MSPACE_FIXED, obj, 0) == 0 &&
	       mspace_map(ms2, &va2, 4 * P, VM_PROT_READ, VM_PROT_ALL, VMA_PRIVATE,
			  MSPACE_FIXED, obj, 0) == 0 && obj->refcnt == 3 &&
	       !(vma_tree_first(&ms->vmas)->flags & VMA_ANON),
	       "two private mappings of a file take object references");
	tap_ok(vm_fault(ms, va + P, VM_ACCESS_READ) == 0 &&
	       vm_fault(ms2, va2 + P, VM_ACCESS_READ) == 0 &&
	       stub_find(ms->pmap, va + P)->pg == stub_find(ms2->pmap, va2 + P)->pg &&
	       stub_find(ms->pmap, va + P)->prot == VM_PROT_READ &&
	       object_pages_inuse == 1 && anon_count() == 0 &&
	       VMSTAT(fault_lower) == lower0 + 2 && VMSTAT(pageins) == pagein0 + 1,
	       "reads map the one object page, read-only (case 2)");
	tap_ok(peek(ms, va + P + 8) == P + 8 && peek(ms, va + 3 * P + 88) == 3 * P + 88 &&
	       peek(ms, va + 3 * P + 104) == 0 && peek(ms, va + 3 * P + 800) == 0,
	       "the file's bytes; the tail of the last page reads zero");
	tap_ok(vm_fault(ms, va + 4 * P, VM_ACCESS_READ) == -ENXIO &&
	       vm_fault(ms, va + 4 * P, VM_ACCESS_WRITE) == -ENXIO &&
	       anon_count() == 0,
	       "a page wholly past the end of the file: -ENXIO (SIGBUS)");
	uint64_t busy0 = object_busy_calls;
	struct vm_page *src = stub_find(ms->pmap, va + P)->pg;
	tap_ok(poke(ms, va + P + 8, 4242) == 0 && anon_count() == 1 &&
	       object_busy_calls == busy0 + 1 && !(src->flags & VM_PAGE_BUSY) &&
	       src->wire_count == 0 &&
	       peek(ms, va + P + 8) == 4242 && peek(ms, va + P + 16) == P + 16 &&
	       peek(ms2, va2 + P + 8) == P + 8 && ms_check(ms) && ms_check(ms2),
	       "cow_of_busy_file_page: a write copies the page (case 4) with it busy; "
	       "the other mapping sees the file");
	struct vm_fault_hold hold = { NULL, NULL, NULL };
	mutex_lock(&ms2->lock);
	tap_ok(vm_fault_locked(ms2, va2 + 2 * P, VM_ACCESS_READ, 0, &hold) == 0 &&
	       hold.obj == obj && hold.page->wire_count == 1,
	       "fault_page_held: vm_fault_locked holds the object page it returns");
	vm_fault_release(&hold);
	tap_ok(stub_find(ms2->pmap, va2 + 2 * P)->pg->wire_count == 0 &&
	       hold.page == NULL, "vm_fault_release drops the hold");
	mutex_unlock(&ms2->lock);
	tap_ok(mspace_sync(ms, va, 3 * P) == 0 &&
	       *(uint64_t *)(file.data + P + 8) == P + 8,
	       "msync of a private mapping: the file is unchanged");
	tap_ok(mspace_dontneed(ms, va + P, P) == 0 && anon_count() == 0 &&
	       peek(ms, va + P + 8) == P + 8,
	       "MADV_DONTNEED drops the private copy: the file shows again");
	tap_ok(mspace_map(ms, &off1, 2 * P, VM_PROT_READ, VM_PROT_ALL, VMA_PRIVATE,
			  MSPACE_FIXED, obj, 2 * P) == 0 &&
	       peek(ms, off1 + 16) == 2 * P + 16,
	       "a mapping at file offset 2 pages");
	off1 = 0x30000000;
	tap_ok(mspace_map(ms, &off1, P, VM_PROT_READ, VM_PROT_ALL, VMA_PRIVATE,
			  MSPACE_FIXED, obj, 100) == -EINVAL,
	       "a misaligned offset: -EINVAL");
	vm_object_unref(obj);           /* like close(fd) */
	tap_ok(peek(ms, va + 2 * P) == 2 * P && mspace_unmap(ms, va + 2 * P, P) == 0 &&
	       vma_tree_lookup(&ms->vmas, va + 3 * P)->obj_off == 3 * P &&
	       peek(ms, va + 3 * P + 8) == 3 * P + 8 && ms_check(ms),
	       "the mapping outlives the caller's reference; a split keeps offsets");
	mspace_destroy(ms);
	mspace_destroy(ms2);
	tap_ok(file.destroyed == 1 && nothing_held(),
	       "the last unmap frees the object and its pages");
}

/* MAP_SHARED of a file: stores reach the object at once (another
 * mapping sees them) and the file after msync, munmap and exit. */
static void test_file_shared(void)
{
	static struct fake_file file;
	struct mspace *ms = mspace_create(), *ms2 = mspace_create(), *child;
	struct vm_object *obj = fake_file_object(&file, 2 * P, 1000);
	vaddr_t va = 0x10000000, va2 = 0x20000000;
	uint64_t dirty0 = object_dirty_calls;

	mspace_map(ms, &va, 2 * P, RW, VM_PROT_ALL, VMA_SHARED, MSPACE_FIXED, obj, 0);
	mspace_map(ms2, &va2, 2 * P, RW, VM_PROT_ALL, VMA_SHARED, MSPACE_FIXED,
		   obj, 0);
	vm_object_unref(obj);
	tap_ok(vm_fault(ms, va, VM_ACCESS_READ) == 0 &&
	       (stub_find(ms->pmap, va)->prot & VM_PROT_WRITE) && anon_count() == 0,
	       "a read maps the object page writable (shared)");
	tap_ok(poke(ms, va + 8, 7) == 0 && peek(ms2, va2 + 8) == 7 &&
	       object_dirty_calls > dirty0 && anon_count() == 0 &&
	       *(uint64_t *)(file.data + 8) == 1008,
	       "a store is seen by the other mapping at once, not yet on file");
	tap_ok(mspace_sync(ms, va, P) == 0 && *(uint64_t *)(file.data + 8) == 7,
	       "msync writes it to the file");
	tap_ok(mspace_sync(ms, va, 4 * P) == -ENOMEM, "msync over a hole: -ENOMEM");
	poke(ms2, va2 + P, 8);
	tap_ok(mspace_unmap(ms2, va2, 2 * P) == 0 &&
	       *(uint64_t *)(file.data + P) == 8, "munmap writes it back");
	tap_ok(mspace_fork(ms, &child) == 0 && poke(child, va + P + 16, 9) == 0 &&
	       peek(ms, va + P + 16) == 9 && anon_count() == 0 && ms_check(child),
	       "a forked child shares the object: its stores reach the parent");
	mspace_destroy(child);
	tap_ok(*(uint64_t *)(file.data + P + 16) == 9, "exit writes them back");
	mspace_destroy(ms);
	mspace_destroy(ms2);
	tap_ok(file.destroyed == 1 && nothing_held(), "nothing held");
}

/* A fake file whose pager fails as told: get_page and mkwrite results. */
static int failing_get_err, failing_mkwrite_err;

static int failing_get_page(struct vm_object *obj, uint64_t off, struct vm_page *pg)
{
	return failing_get_err != 0 ? failing_get_err : fake_get_page(obj, off, pg);
}

static int failing_mkwrite(struct vm_object *obj __unused, uint64_t off __unused)
{
	return failing_mkwrite_err;
}

static const struct pager_ops failing_pager = {
	.name = "failing",
	.get_page = failing_get_page,
	.put_page = fake_put_page,
	.mkwrite = failing_mkwrite,
	.destroy = fake_destroy,
};

/* sigbus_cause: vm_fault names why a shared file page cannot be had, for
 * the SIGBUS console line: past the end, a full disk or too big a file
 * at mkwrite, a read error of the pager. */
static void test_sigbus_cause(void)
{
	static struct fake_file file;
	struct mspace *ms = mspace_create();
	struct vm_object *obj = fake_file_object(&file, 2 * P, 0);
	vaddr_t va = 0x10000000;

	obj->pager = &failing_pager;
	mspace_map(ms, &va, 3 * P, RW, VM_PROT_ALL, VMA_SHARED, MSPACE_FIXED, obj, 0);
	vm_object_unref(obj);
	tap_ok(vm_fault(ms, va + 2 * P, VM_ACCESS_READ) == -ENXIO,
	       "sigbus_cause: past the end of the file is -ENXIO");
	failing_mkwrite_err = -ENOSPC;
	int full = vm_fault(ms, va, VM_ACCESS_WRITE);
	failing_mkwrite_err = -EFBIG;
	int big = vm_fault(ms, va, VM_ACCESS_WRITE);
	failing_mkwrite_err = -EIO;
	int io = vm_fault(ms, va, VM_ACCESS_WRITE);
	failing_mkwrite_err = 0;
	tap_ok(full == -ENOSPC && big == -EFBIG && io == -EIO &&
	       vm_fault(ms, va, VM_ACCESS_READ) == 0 &&
	       !(stub_find(ms->pmap, va)->prot & VM_PROT_WRITE) &&
	       vm_fault(ms, va, VM_ACCESS_WRITE) == 0,
	       "sigbus_cause: mkwrite's -ENOSPC, -EFBIG, -EIO come back; a read maps it read-only");
	failing_get_err = -EIO;
	tap_ok(vm_fault(ms, va + P, VM_ACCESS_READ) == -EIO,
	       "sigbus_cause: a pager read error is -EIO");
	failing_get_err = 0;
	mspace_destroy(ms);
	tap_ok(file.destroyed == 1 && nothing_held(), "sigbus_cause: nothing held");
}

/* /proc maps for file mappings and smaps sizes. */
static void test_file_display(void)
{
	static struct fake_file file;
	struct mspace *ms = mspace_create(), *child = NULL;
	struct vm_object *obj = fake_file_object(&file, 4 * P, 0);
	struct vma_file *name = vma_file_create(0x101, 12, "/bin/prog");
	struct vma_file *anon_name = vma_file_create(0x101, 13, NULL);
	vaddr_t va = 0x10000, va2 = 0x20000, va3 = 0x30000;
	struct sbuf sb, sm;
	const char *last;
	static const char want[] =
		"00010000-00012000 r-xp 00001000 01:01 12 "
		"                                /bin/prog\n"
		"00020000-00022000 rw-p 00000000 00:00 0 \n"
		"00030000-00031000 rw-s 00000000 01:01 13 \n"
		"00030000-00031000 rw-s 00000000 01:01 13 \n"
		"Rss:                   4 kB\n"
		"Shared:                4 kB\n"
		"Private:               0 kB\n"
		"Swap:                  0 kB\n";

	mspace_map_file(ms, &va, 2 * P, VM_PROT_READ | VM_PROT_EXEC, VM_PROT_ALL,
			VMA_PRIVATE, MSPACE_FIXED, obj, P, name);
	mspace_map(ms, &va2, 2 * P, RW, VM_PROT_ALL, VMA_PRIVATE, MSPACE_FIXED,
		   NULL, 0);
	mspace_map_file(ms, &va3, P, RW, VM_PROT_ALL, VMA_SHARED, MSPACE_FIXED,
			obj, 0, anon_name);
	vm_object_unref(obj);
	vma_file_unref(name);
	vma_file_unref(anon_name);
	peek(ms, va3);
	sbuf_init(&sb);
	mspace_display(ms, &sb);
	sbuf_init(&sm);
	mspace_display_smaps(ms, &sm);
	last = strstr(sm.buf, "00030000-");     /* the last VMA's entry */
	sbuf_printf(&sb, "%s", last ? last : "");
	sbuf_free(&sm);
	tap_ok(strcmp(sb.buf, want) == 0,
	       "maps shows offset, dev:inode and path of file mappings; smaps sizes");
	if (strcmp(sb.buf, want) != 0)
		printf("# got:\n%s# want:\n%s", sb.buf, want);
	sbuf_free(&sb);
	poke(ms, va2, 1);
	poke(ms, va2 + P, 2);
	peek(ms, va);
	mspace_fork(ms, &child);
	poke(child, va2 + P, 3);
	sbuf_init(&sb);
	mspace_display_smaps(ms, &sb);
	tap_ok(strstr(sb.buf, "00010000-00012000 r-xp 00001000 01:01 12 ") &&
	       strstr(sb.buf, "00020000-00022000 rw-p 00000000 00:00 0 \n"
			      "Rss:                   8 kB\n"
			      "Shared:                4 kB\n"
			      "Private:               4 kB\n") != NULL,
	       "after fork and one child write: one heap page shared, one private");
	if (strstr(sb.buf, "Shared:                4 kB\nPrivate:               4 kB") == NULL)
		printf("# got:\n%s", sb.buf);
	sbuf_free(&sb);
	mspace_destroy(child);
	mspace_destroy(ms);
	tap_ok(nothing_held(), "nothing held");
}

/* Shared anonymous memory is an object with no file behind it. */
static void test_shared_anon(void)
{
	struct mspace *ms = mspace_create(), *child = NULL;
	vaddr_t va = map(ms, 0x10000000, 4 * P, RW, VMA_SHARED, MSPACE_FIXED);
	struct vma *v = vma_tree_first(&ms->vmas);

	tap_ok(v->obj != NULL && v->obj->pager != NULL && v->obj->pager->swap_backed &&
	       v->amap == NULL && !(v->flags & VMA_ANON) && objects_inuse == 1,
	       "MAP_SHARED|MAP_ANONYMOUS makes an object with the swap-backed aobj pager");
	tap_ok(mspace_fork(ms, &child) == 0 && poke(child, va + 2 * P, 5) == 0 &&
	       peek(ms, va + 2 * P) == 5 && anon_count() == 0 &&
	       object_pages_inuse == 1 && mspace_sync(ms, va, 4 * P) == 0,
	       "fork shares it; msync on it is a no-op");
	tap_ok(mspace_unmap(ms, va + P, 2 * P) == 0 && peek(child, va + 2 * P) == 5 &&
	       mspace_dontneed(child, va, 4 * P) == 0 && peek(child, va + 2 * P) == 5,
	       "a split and MADV_DONTNEED keep its data");
	mspace_destroy(ms);
	mspace_destroy(child);
	tap_ok(nothing_held(), "nothing held");
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

/* The model of one mspace: per page of the trace area, mapped or not, its
 * protection, the word at its start, and the word it shows when untouched
 * or dropped (0 for anonymous memory, the file's word for a private file
 * mapping). */
struct tpage {
	bool mapped;
	vm_prot_t prot;
	uint64_t tag;
	uint64_t origin;
};

static struct tpage pages[TRACE_PAGES], cpages[TRACE_PAGES];
static struct fake_file trace_file;
static struct vm_object *trace_obj;     /* TRACE_PAGES pages of file */

static vaddr_t tva(size_t p)
{
	return TRACE_BASE + p * P;
}

static bool trace_range_mapped(const struct tpage *m, size_t p, size_t n)
{
	for (size_t i = p; i < p + n; i++)
		if (!m[i].mapped)
			return false;
	return true;
}

/* Map n pages at p: anonymous, or private from the trace file at page
 * p (so each page's origin is its own file word). */
static bool trace_op_map(struct mspace *ms, struct tpage *m, size_t p, size_t n)
{
	vm_prot_t prot = rng(4) ? RW : VM_PROT_READ;
	bool file = rng(3) == 0;
	vaddr_t va = tva(p);

	if (mspace_map(ms, &va, n * P, prot, VM_PROT_ALL, VMA_PRIVATE,
		       MSPACE_FIXED, file ? trace_obj : NULL,
		       file ? p * P : 0) != 0 || va != tva(p))
		return false;
	for (size_t i = p; i < p + n; i++) {
		m[i].mapped = true;
		m[i].prot = prot;
		m[i].origin = file ? i * P : 0;
		m[i].tag = m[i].origin;
	}
	return true;
}

static bool trace_op_unmap(struct mspace *ms, struct tpage *m, size_t p, size_t n)
{
	if (mspace_unmap(ms, tva(p), n * P) != 0)
		return false;
	for (size_t i = p; i < p + n; i++)
		m[i].mapped = false;
	return true;
}

static bool trace_op_protect(struct mspace *ms, struct tpage *m, size_t p,
			     size_t n)
{
	vm_prot_t prot = (vm_prot_t)rng(8);
	bool all = trace_range_mapped(m, p, n);
	int err = mspace_protect(ms, tva(p), n * P, prot);

	if (err != (all ? 0 : -ENOMEM))
		return false;
	for (size_t i = p; all && i < p + n; i++)
		m[i].prot = prot;
	return true;
}

static bool trace_op_write(struct mspace *ms, struct tpage *m, size_t p,
			   uint64_t step)
{
	int err = poke(ms, tva(p), step);

	if (err != (m[p].mapped ? 0 : -EFAULT))
		return false;
	if (m[p].mapped)
		m[p].tag = step;
	return true;
}

static bool trace_op_fault(struct mspace *ms, const struct tpage *m, size_t p)
{
	static const enum vm_access acc[] = {
		VM_ACCESS_READ, VM_ACCESS_WRITE, VM_ACCESS_EXEC
	};
	enum vm_access a = acc[rng(3)];
	bool allowed = m[p].mapped &&
		       (mspace_pmap_prot(m[p].prot) & (vm_prot_t)a);

	return vm_fault(ms, tva(p), a) == (allowed ? 0 : -EFAULT);
}

static bool trace_op_dontneed(struct mspace *ms, struct tpage *m, size_t p,
			      size_t n)
{
	bool all = trace_range_mapped(m, p, n);

	if (mspace_dontneed(ms, tva(p), n * P) != (all ? 0 : -ENOMEM))
		return false;
	for (size_t i = p; i < p + n; i++)
		m[i].tag = m[i].origin;
	return true;
}

/* Every page reads as the model says. */
static bool trace_contents(struct mspace *ms, const struct tpage *m)
{
	for (size_t p = 0; p < TRACE_PAGES; p++) {
		uint64_t got = peek(ms, tva(p));

		if (m[p].mapped ? got != m[p].tag : got != ~0ULL - 1)
			return false;
	}
	return true;
}

/* Fork ms into *child (replacing the child there): the child starts with
 * the parent's model; from now on each goes its own way. */
static bool trace_op_fork(struct mspace *ms, struct mspace **child)
{
	if (*child != NULL)
		mspace_destroy(*child);
	*child = NULL;
	if (mspace_fork(ms, child) != 0)
		return false;
	memcpy(cpages, pages, sizeof(pages));
	return ms_check(*child) && trace_contents(*child, cpages);
}

/* One random operation on ms with model m (the parent or the child). */
static bool trace_step_on(struct mspace *ms, struct tpage *m, uint64_t step)
{
	size_t p = rng(TRACE_PAGES), n = 1 + rng(MIN(12, TRACE_PAGES - p));

	switch (rng(15)) {
	case 0: case 1: case 2:
		return trace_op_map(ms, m, p, n);
	case 3: case 4:
		return trace_op_unmap(ms, m, p, n);
	case 5: case 6:
		return trace_op_protect(ms, m, p, n);
	case 7: case 8: case 9:
		return trace_op_write(ms, m, p, step);
	case 10: case 11: case 12:
		return trace_op_fault(ms, m, p);
	case 13:
		return trace_op_dontneed(ms, m, p, n);
	default:
		return trace_contents(ms, m);
	}
}

static bool trace_step(struct mspace *ms, struct mspace **child, uint64_t step)
{
	bool ok;

	switch (rng(24)) {
	case 0:
		return trace_op_fork(ms, child);
	case 1:
		if (*child != NULL)
			mspace_destroy(*child);
		*child = NULL;
		return true;
	case 2: case 3: case 4: case 5: case 6: case 7:
		if (*child == NULL)
			return true;
		ok = trace_step_on(*child, cpages, step);
		return ok && ms_check(*child);
	default:
		return trace_step_on(ms, pages, step);
	}
}

static void test_trace(void)
{
	struct mspace *ms = mspace_create(), *child = NULL;
	uint64_t step, cows = VMSTAT(fault_cow);
	bool ok = true;

	trace_obj = fake_file_object(&trace_file, TRACE_PAGES * P, 0);
	memset(pages, 0, sizeof(pages));
	for (step = 1; step <= TRACE_STEPS && ok; step++)
		ok = trace_step(ms, &child, step) && ms_check(ms);
	ok = ok && trace_contents(ms, pages) &&
	     (child == NULL || trace_contents(child, cpages));
	tap_ok(ok, "%d random map/unmap/protect/write/fault/dontneed/fork steps "
	       "on a parent and its child match the model (stopped at %lu; "
	       "%lu copies on write)", TRACE_STEPS, (unsigned long)step - 1,
	       (unsigned long)(VMSTAT(fault_cow) - cows));
	if (child != NULL)
		mspace_destroy(child);
	mspace_destroy(ms);
	vm_object_unref(trace_obj);
	tap_ok(nothing_held(), "nothing held after the trace");
}

/* Faults and fork when memory or pmap_enter runs out: -ENOMEM, no leak. */
static void test_out_of_memory(void)
{
	struct mspace *ms = mspace_create(), *child = NULL;
	size_t len, n = 0;
	vaddr_t va;
	uint64_t anons;
	int err;

	/* Map and fork all of RAM: past what mode 0 grants in one request. */
	vm_overcommit_memory = VM_OVERCOMMIT_ALWAYS;
	len = RAM_SIZE;
	va = map(ms, 0x10000000, len, RW, VMA_PRIVATE, MSPACE_FIXED);

	enter_failures = 1;
	tap_ok(vm_fault(ms, va, VM_ACCESS_WRITE) == -ENOMEM && anon_count() == 0 &&
	       ms->pmap->n == 0, "pmap_enter -ENOMEM: the fault fails, the anon goes");
	while ((err = vm_fault(ms, va + n * P, VM_ACCESS_WRITE)) == 0)
		n++;
	anons = anon_count();
	tap_ok(err == -ENOMEM && n > 0 && anons == n && ms_check(ms),
	       "zero fill out of pages: -ENOMEM (%zu pages mapped)", n);
	cow_on = false;
	tap_ok(mspace_fork(ms, &child) == -ENOMEM && anon_count() == anons &&
	       amap_count() == 1,
	       "eager fork (cow=off) out of memory: -ENOMEM, nothing leaked");
	cow_on = true;
	tap_ok(mspace_fork(ms, &child) == 0 && anon_count() == anons &&
	       amap_count() == 1, "copy-on-write fork needs no page: it works");
	tap_ok(peek(child, va + 7 * P) == 0 &&
	       vm_fault(child, va + 7 * P, VM_ACCESS_WRITE) == -ENOMEM &&
	       anon_count() == anons && ms_check(child) && ms_check(ms),
	       "a copy-on-write fault out of pages: -ENOMEM, nothing leaked");
	enter_failures = 1;
	mspace_destroy(ms);
	tap_ok(vm_fault(child, va + 7 * P, VM_ACCESS_WRITE) == -ENOMEM &&
	       anon_count() == anons && ms_check(child),
	       "pmap_enter -ENOMEM in the copy: the old anon stays in its slot");
	tap_ok(vm_fault(child, va + 7 * P, VM_ACCESS_WRITE) == 0 &&
	       anon_count() == anons && anon_shared_count() == 0,
	       "once the parent is gone the write needs no copy");
	mspace_destroy(child);
	tap_ok(nothing_held(), "and everything comes back");
	vm_overcommit_memory = VM_OVERCOMMIT_GUESS;
}

/* Commit accounting: each mode refuses and grants what Linux's would;
 * Committed_AS follows map, unmap, mprotect, brk, fork and destroy by
 * exactly the private writable pages. */
static void test_commit(void)
{
	struct mspace *ms = mspace_create(), *child = NULL;
	uint64_t ram = vm_page_total_count(), limit;
	vaddr_t va = 0, base = 0x200000, at;

	tap_ok(vm_overcommit_memory == VM_OVERCOMMIT_GUESS &&
	       vm_committed_pages() == 0, "mode 0 by default, nothing committed");
	tap_ok(mspace_map(ms, &va, (ram + 1) * P, RW, VM_PROT_ALL, VMA_PRIVATE,
			  0, NULL, 0) == -ENOMEM && nvmas(ms) == 0 &&
	       vm_committed_pages() == 0,
	       "mode 0: one private writable request above RAM: -ENOMEM");
	tap_ok(mspace_set_brk(ms, base) == 0 &&
	       mspace_brk(ms, base + (ram + 1) * P) == -ENOMEM &&
	       mspace_get_brk(ms) == base && vm_committed_pages() == 0,
	       "mode 0: brk above RAM: -ENOMEM");
	va = 0;
	tap_ok(mspace_map(ms, &va, (ram + 1) * P, VM_PROT_READ, VM_PROT_ALL,
			  VMA_PRIVATE, 0, NULL, 0) == 0 &&
	       vm_committed_pages() == 0 && ms->commit_pages == 0,
	       "a read-only private mapping commits nothing");
	tap_ok(mspace_protect(ms, va, (ram + 1) * P, RW) == -ENOMEM &&
	       vm_committed_pages() == 0 && ms_check(ms),
	       "mprotect adding write to all of it: -ENOMEM, nothing changed");
	tap_ok(mspace_protect(ms, va, 10 * P, RW) == 0 &&
	       vm_committed_pages() == 10 && ms->commit_pages == 10 &&
	       nvmas(ms) == 2 && ms_check(ms),
	       "mprotect adding write to 10 pages commits 10");
	tap_ok(mspace_protect(ms, va + 5 * P, 5 * P, VM_PROT_READ) == 0 &&
	       vm_committed_pages() == 5 && ms_check(ms),
	       "taking write away uncommits");
	tap_ok(mspace_unmap(ms, va, (ram + 1) * P) == 0 &&
	       vm_committed_pages() == 0 && nvmas(ms) == 0, "munmap uncommits");
	va = 0;
	tap_ok(mspace_map(ms, &va, (ram + 1) * P, RW, VM_PROT_ALL, VMA_SHARED,
			  0, NULL, 0) == 0 && vm_committed_pages() == 0 &&
	       mspace_unmap(ms, va, (ram + 1) * P) == 0,
	       "a shared writable mapping commits nothing");

	vm_overcommit_memory = VM_OVERCOMMIT_ALWAYS;
	va = 0;
	tap_ok(mspace_map(ms, &va, 4 * ram * P, RW, VM_PROT_ALL, VMA_PRIVATE,
			  0, NULL, 0) == 0 && vm_committed_pages() == 4 * ram &&
	       mspace_unmap(ms, va, 4 * ram * P) == 0 && vm_committed_pages() == 0,
	       "mode 1: 4x RAM granted, counted, uncounted");

	vm_overcommit_memory = VM_OVERCOMMIT_NEVER;
	vm_overcommit_ratio = 10;
	limit = vm_commit_limit();
	tap_ok(limit == ram * 10 / 100, "mode 2: CommitLimit is RAM x ratio (%lu)",
	       (unsigned long)limit);
	tap_ok(mspace_brk(ms, base + (limit - 4) * P) == 0 &&
	       vm_committed_pages() == limit - 4, "brk up to 4 below the limit");
	va = 0;
	tap_ok(mspace_map(ms, &va, 5 * P, RW, VM_PROT_ALL, VMA_PRIVATE, 0, NULL,
			  0) == -ENOMEM && vm_committed_pages() == limit - 4,
	       "5 more pages: -ENOMEM");
	tap_ok(mspace_map(ms, &va, 4 * P, RW, VM_PROT_ALL, VMA_PRIVATE, 0, NULL,
			  0) == 0 && vm_committed_pages() == limit,
	       "exactly 4 more: granted");
	tap_ok(mspace_fork(ms, &child) == -ENOMEM && vm_committed_pages() == limit,
	       "fork past the limit: -ENOMEM, nothing left counted");
	tap_ok(mspace_brk(ms, base + (limit / 2 - 4) * P) == 0 &&
	       vm_committed_pages() == limit / 2 &&
	       mspace_fork(ms, &child) == 0 && vm_committed_pages() == limit &&
	       child->commit_pages == limit / 2 && ms_check(child),
	       "after shrinking brk, fork fits and is counted");
	at = base + (limit / 2 - 4) * P;
	tap_ok(mspace_brk(ms, at + P) == -ENOMEM && mspace_get_brk(ms) == at,
	       "and then brk refuses one page more");
	mspace_destroy(child);
	tap_ok(vm_committed_pages() == limit / 2, "destroy uncharges the child");
	tap_ok(mspace_unmap(ms, va, 4 * P) == 0 && mspace_brk(ms, at + 4 * P) == 0,
	       "munmap makes room again");

	vm_overcommit_memory = VM_OVERCOMMIT_GUESS;
	vm_overcommit_ratio = VM_OVERCOMMIT_RATIO_DEFAULT;
	mspace_destroy(ms);
	tap_ok(nothing_held(), "nothing held, nothing committed");
}

/* vm.max_map_count: a map or a split past it is -ENOMEM, changing nothing. */
static void test_max_map_count(void)
{
	struct mspace *ms = mspace_create();
	vaddr_t va = 0x10000000, at = 0;
	size_t i;

	vm_max_map_count = 4;
	for (i = 0; i < 4; i++)
		map(ms, va + 2 * i * P, P, RW, VMA_PRIVATE, MSPACE_FIXED);
	tap_ok(nvmas(ms) == 4 &&
	       mspace_map(ms, &at, P, RW, VM_PROT_ALL, VMA_PRIVATE, 0, NULL, 0) ==
	       -ENOMEM && nvmas(ms) == 4 && vm_committed_pages() == 4,
	       "a fifth VMA: -ENOMEM");
	tap_ok(mspace_unmap(ms, va, P) == 0 && nvmas(ms) == 3 &&
	       mspace_unmap(ms, va + 2 * P, 2 * P) == 0 && nvmas(ms) == 2,
	       "unmapping whole VMAs needs no room");
	map(ms, va, 3 * P, RW, VMA_PRIVATE, MSPACE_FIXED);
	map(ms, va + 8 * P, P, RW, VMA_PRIVATE, MSPACE_FIXED);
	tap_ok(nvmas(ms) == 4 && mspace_protect(ms, va + P, P, VM_PROT_READ) ==
	       -ENOMEM && mspace_unmap(ms, va + P, P) == -ENOMEM &&
	       nvmas(ms) == 4 && vm_committed_pages() == 6 && ms_check(ms),
	       "splits past the cap: -ENOMEM, nothing changed");
	vm_max_map_count = VM_MAX_MAP_COUNT_DEFAULT;
	tap_ok(mspace_unmap(ms, va + P, P) == 0 && nvmas(ms) == 5 &&
	       vm_committed_pages() == 5 && ms_check(ms),
	       "with the default cap the split works");
	mspace_destroy(ms);
	tap_ok(nothing_held(), "nothing held");
}

/* The Swap: kB of smaps' entry for the VMA at va, or -1. */
static long smaps_swap_kb(struct mspace *ms, vaddr_t va)
{
	char head[32];
	const char *entry, *swap;
	struct sbuf sb;
	long kb = -1;

	snprintf(head, sizeof(head), "%08lx-", (unsigned long)va);
	sbuf_init(&sb);
	mspace_display_smaps(ms, &sb);
	entry = strstr(sb.buf, head);
	swap = entry ? strstr(entry, "Swap:") : NULL;
	if (swap != NULL)
		kb = strtol(swap + strlen("Swap:"), NULL, 10);
	sbuf_free(&sb);
	return kb;
}

/* smaps' Swap: and mspace_swap_pages count an anon with a swap slot and
 * no page, not one with both (the swap cache) nor a resident one. The
 * anon is put on "swap" by hand and restored before the mspace goes. */
static void test_smaps_swap(void)
{
	struct mspace *ms = mspace_create();
	vaddr_t va = map(ms, 0x40000, 4 * P, RW, VMA_PRIVATE, MSPACE_FIXED);
	struct vma *v;
	struct anon *anon = NULL;
	struct vm_page *pg = NULL;

	poke(ms, va, 1);
	poke(ms, va + 2 * P, 2);
	v = vma_tree_lookup(&ms->vmas, va);
	if (v != NULL && v->amap != NULL)
		anon = amap_lookup(v->amap, mspace_vma_slot(v, va + 2 * P));
	tap_ok(anon != NULL && smaps_swap_kb(ms, va) == 0 && mspace_swap_pages(ms) == 0,
	       "smaps_swap: resident anons: Swap: 0 kB");
	if (anon == NULL) {
		mspace_destroy(ms);
		return;
	}
	anon->slot = 7;
	tap_ok(smaps_swap_kb(ms, va) == 0 && mspace_swap_pages(ms) == 0,
	       "smaps_swap: a page and a slot (swap cache) is resident, not swap");
	pg = anon->page;
	anon->page = NULL;
	tap_ok(smaps_swap_kb(ms, va) == P / 1024 && mspace_swap_pages(ms) == 1,
	       "smaps_swap: a slot and no page: Swap: 4 kB, mspace_swap_pages 1");
	anon->page = pg;
	anon->slot = SWAP_SLOT_NONE;
	mspace_destroy(ms);
}

/* mremap: a move keeps the anons (no page copied, none freed) and the
 * counters; the untouched rest of the target is merged; growth in place
 * and shrink keep the counters exact. */
static void test_remap(void)
{
	struct mspace *ms = mspace_create();
	vaddr_t va = map(ms, 0x10000000, 4 * P, RW, VMA_PRIVATE, MSPACE_FIXED);
	vaddr_t to = map(ms, 0x20000000, 8 * P, RW, VMA_PRIVATE, MSPACE_FIXED);
	vaddr_t got = to;
	bool ok = va != 0 && to != 0;

	for (int i = 0; i < 4; i++)
		ok &= poke(ms, va + i * P, 200 + i) == 0;
	tap_ok(ok && mspace_remap(ms, va, 4 * P, 4 * P, MSPACE_REMAP_MAYMOVE |
				  MSPACE_REMAP_FIXED, &got) == 0 && got == to &&
	       anon_count() == 4 && nvmas(ms) == 1 && ms->virt_pages == 8 &&
	       ms->commit_pages == 8 && ms_check(ms),
	       "remap move: the 4 anons follow, the target's rest is merged");
	ok = true;
	for (int i = 0; i < 8; i++)
		ok &= peek(ms, to + i * P) == (i < 4 ? 200u + i : 0u);
	tap_ok(ok && vm_fault(ms, va, VM_ACCESS_READ) == -EFAULT,
	       "remap move: data at the new address, old range unmapped");
	got = 0;
	tap_ok(mspace_remap(ms, to, 8 * P, 12 * P, 0, &got) == 0 && got == to &&
	       ms->virt_pages == 12 && ms->commit_pages == 12 && ms_check(ms) &&
	       peek(ms, to + 3 * P) == 203 && peek(ms, to + 11 * P) == 0,
	       "remap grow in place");
	tap_ok(mspace_remap(ms, to, 12 * P, 2 * P, 0, &got) == 0 && got == to &&
	       anon_count() == 2 && ms->virt_pages == 2 && ms_check(ms),
	       "remap shrink frees the tail's anons");
	got = to + P;
	tap_ok(mspace_remap(ms, to, 2 * P, 2 * P, MSPACE_REMAP_MAYMOVE |
			    MSPACE_REMAP_FIXED, &got) == -EINVAL &&
	       mspace_remap(ms, to, 4 * P, 4 * P, MSPACE_REMAP_MAYMOVE, &got) ==
	       -EFAULT && ms_check(ms), "remap: overlap EINVAL, past the VMA EFAULT");
	mspace_destroy(ms);
	tap_ok(nothing_held(), "nothing held");
}

int main(void)
{
	setup();
	test_map_fault();
	test_unmap_protect();
	test_one_shootdown();
	test_fixed();
	test_brk();
	test_stack();
	test_stack_hole();
	test_fork();
	test_cow_fork();
	test_cow_exact_free();
	test_cow_off();
	test_file_private();
	test_file_shared();
	test_sigbus_cause();
	test_file_display();
	test_smaps_swap();
	test_shared_anon();
	test_display();
	test_trace();
	test_out_of_memory();
	test_commit();
	test_max_map_count();
	test_remap();
	free(ram);
	return tap_done();
}
