/*
 * Physical memory: the vm_page arrays, the zones with their binary buddy
 * allocators and watermarks, and the page queues. Anyone may allocate and
 * free pages here; only this file touches the free lists. It maps nothing.
 */
#include "kernel/vm/page.h"
#include "kernel/vm/pmap.h"
#include "kernel/lock.h"
#include "kernel/errno.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "arch/riscv/cpu.h"

#define VM_MAX_SEGS        16   /* RAM ranges, after splitting at the zone boundary */
#define WMARK_MIN_DIVISOR  128  /* min watermark: 1/128 of the managed pages */
#define WMARK_GAP_DIVISOR  32   /* low - min, high - low: at least 1/32 of them */
#define ORDER_PAGES(order) (1UL << (order))
#define ORDER_BYTES(order) (PAGE_SIZE << (order))

/*
 * A segment: the part of one RAM range that lies in one zone, with its own
 * vm_page array (carved from the segment itself and marked reserved).
 * Invariant: pages[i].pa == start + i * PAGE_SIZE; start, end page aligned.
 * Locking: (c) set by vm_page_init, constant after.
 */
struct vm_seg {
	paddr_t start, end;             /* (c) bytes, physical, end exclusive */
	struct vm_page *pages;          /* (c) in the direct map */
	uint8_t zone;                   /* (c) enum vm_zone_id */
};

/*
 * One zone: a buddy allocator over the free frames of its segments.
 * Locking: (z) lock, (c) set by vm_page_init.
 * Invariants (checked by vm_page_check):
 *   free_pages == sum over k of nfree[k] * 2^k, and free_pages <= managed
 *   nfree[k] == length of free[k]
 *   a block on free[k] has VM_PAGE_FREE and order k on its first page only,
 *   starts on a 2^k-page boundary and lies inside one segment of this zone
 *   managed == present - reserved frames
 */
struct vm_zone {
	struct spinlock lock;
	uint64_t present, managed;      /* (c) pages */
	uint64_t wmark_min, wmark_low, wmark_high; /* (c) pages */
	paddr_t start, end;             /* (c) span of the managed frames */
	struct list_node free[VM_PAGE_NORDERS]; /* (z) first pages of free blocks */
	uint64_t nfree[VM_PAGE_NORDERS];        /* (z) blocks on free[k] */
	uint64_t free_pages;            /* (z) */
	bool below_low;                 /* (z) free_pages fell below wmark_low */
	uint64_t low_events;            /* (z) falls below wmark_low */
	uint64_t wakeups;               /* (z) page-daemon wake-ups asked */
	uint64_t alloc_fail;            /* (z) allocations refused */
	uint64_t pgalloc, pgfree;       /* (atomic) pages, ever */
	uint64_t pcp_pages;             /* (atomic) free pages in harts' caches */
	struct list_node pageq[PQ_NQUEUES];     /* (q) user pages, LRU order:
	                                         * head oldest, tail newest */
	uint64_t pageq_count[PQ_NQUEUES];       /* (q) */
};

static struct vm_zone zones[VM_NZONES];
static struct vm_seg segs[VM_MAX_SEGS];
static int nsegs;                       /* (c) */

/* Zones in the order vm_page_alloc tries them: keep DMA32 for those that
 * need it. */
static const enum vm_zone_id zone_fallback[VM_NZONES] = { ZONE_NORMAL, ZONE_DMA32 };
static const char *const zone_names[VM_NZONES] = { "DMA32", "Normal" };

/*
 * Per-hart page caches (Linux's per-cpu pagesets): each hart keeps up to
 * PCP_HIGH free single pages of each zone on a list of its own, so the
 * common allocation (a fault's page) and free (munmap's) take no zone
 * lock, and harts faulting at once do not queue on it. Pages move
 * between a cache and the buddy lists PCP_BATCH at a time under the zone
 * lock. A cached page has VM_PAGE_PCP (not VM_PAGE_FREE: the buddy must
 * not merge it) and counts in its zone's pcp_pages, which every report of
 * free pages adds (so leak checks stay exact); the buddy's invariants see
 * only its lists. An allocation the buddy refuses drains every cache and
 * tries again. Locking: (l) the cache's lock, taken before the zone lock.
 */
#define PCP_HIGH   16           /* pages a cache holds at most */
#define PCP_BATCH_ORDER 3      /* a refill splits at most one block of 2^3 pages */
#define PCP_BATCH  ORDER_PAGES(PCP_BATCH_ORDER) /* pages moved at once */

struct vm_pcp {
	struct spinlock lock;
	struct list_node pages;         /* (l) VM_PAGE_PCP pages of one zone */
	unsigned count;                 /* (l) length of pages */
};

static struct vm_pcp pcps[NCPU_MAX][VM_NZONES];
static bool pcp_on;                     /* (c) vm_page_pcp_enable */

/* The page queues of every zone. Locking: (q) pageq_lock, never held with
 * a zone lock; below anon and object locks, which the page daemon only
 * tries while holding it. */
static struct spinlock pageq_lock = SPINLOCK_INIT("pageq");

/* Provided by the page daemon (kernel/vm/pageout.c); weak so host tests
 * link page.c alone. */
extern void vm_pageout_wakeup(void) __attribute__((weak));


/* ---------------------------------------------------------------- lookup */

static struct vm_seg *seg_find(paddr_t pa)
{
	for (int i = 0; i < nsegs; i++)
		if (pa >= segs[i].start && pa < segs[i].end)
			return &segs[i];
	return NULL;
}

struct vm_page_seg0 vm_page_seg0;      /* (c) see page.h */

/* vm_page_from_pa past its inline check of the first segment. */
struct vm_page *vm_page_from_pa_slow(paddr_t pa)
{
	struct vm_seg *seg = seg_find(pa);

	if (seg == NULL)
		return NULL;
	return &seg->pages[(pa - seg->start) >> PAGE_SHIFT];
}

static bool block_aligned(paddr_t pa, unsigned order)
{
	return (pa & (ORDER_BYTES(order) - 1)) == 0;
}

/* ---------------------------------------------------------------- free lists */

/* Put the block of 2^order pages at pg on its free list. => z->lock held. */
static void free_list_insert(struct vm_zone *z, struct vm_page *pg, unsigned order)
{
	pg->flags |= VM_PAGE_FREE;
	pg->order = order;
	list_push_front(&z->free[order], &pg->link);
	z->nfree[order]++;
	z->free_pages += ORDER_PAGES(order);
}

/* Take the free block at pg off its free list. => z->lock held. */
static void free_list_remove(struct vm_zone *z, struct vm_page *pg, unsigned order)
{
	KASSERT((pg->flags & VM_PAGE_FREE) && pg->order == order,
		"pa %lx flags %x order %u", (unsigned long)pg->pa, pg->flags, order);
	list_remove(&pg->link);
	pg->flags &= ~VM_PAGE_FREE;
	z->nfree[order]--;
	z->free_pages -= ORDER_PAGES(order);
}

/*
 * Buddy split: pg is the first page of a block of 2^have pages just taken off
 * the free lists. Give its upper halves back to the free lists until the
 * 2^want pages at pg remain.
 * => z->lock held; want <= have.
 */
static void buddy_split(struct vm_zone *z, struct vm_page *pg,
			unsigned have, unsigned want)
{
	/* LAB buddy: begin */
	while (have > want) {
		have--;
		free_list_insert(z, pg + ORDER_PAGES(have), have);
	}
	/* LAB buddy: end */
	/* LAB buddy: stub
	// Not a buddy split: every page past the 2^want asked for goes back
	// alone, at order 0, so the kernel still boots.
	for (uint64_t i = ORDER_PAGES(want); i < ORDER_PAGES(have); i++)
		free_list_insert(z, pg + i, 0);
	*/
}

/*
 * Buddy merge: free the block of 2^order pages at pg (in segment seg) into z.
 * While its buddy (the block whose address differs only in the bit of
 * ORDER_BYTES(order)) is a free block of the same order inside the same
 * segment, join the two into a block of the next order. Put the result on
 * its free list.
 * => z->lock held; pg is not on any list.
 */
static void buddy_merge(struct vm_zone *z, const struct vm_seg *seg,
			struct vm_page *pg, unsigned order)
{
	/* LAB buddy: begin */
	while (order < VM_PAGE_MAX_ORDER) {
		paddr_t buddy_pa = pg->pa ^ ORDER_BYTES(order);
		struct vm_page *buddy;

		if (buddy_pa < seg->start || buddy_pa + ORDER_BYTES(order) > seg->end)
			break;
		buddy = &seg->pages[(buddy_pa - seg->start) >> PAGE_SHIFT];
		if (!(buddy->flags & VM_PAGE_FREE) || buddy->order != order)
			break;
		free_list_remove(z, buddy, order);
		if (buddy < pg)
			pg = buddy;
		order++;
	}
	free_list_insert(z, pg, order);
	/* LAB buddy: end */
	/* LAB buddy: stub
	// Never merges: the block goes back as it came.
	(void)seg;
	free_list_insert(z, pg, order);
	*/
}

/* Take a block of 2^order pages from z: the smallest free block that is
 * large enough, split down. => z->lock held. NULL if there is none. */
static struct vm_page *zone_alloc_block(struct vm_zone *z, unsigned order)
{
	for (unsigned k = order; k < VM_PAGE_NORDERS; k++) {
		struct vm_page *pg;

		if (list_empty(&z->free[k]))
			continue;
		pg = list_entry(z->free[k].next, struct vm_page, link);
		free_list_remove(z, pg, k);
		buddy_split(z, pg, k, order);
		return pg;
	}
	return NULL;
}

/* ---------------------------------------------------------------- zones */

/* May z hand out 2^order pages to this caller? Kernel allocations may use
 * the reserve below the min watermark; VM_ALLOC_USER and VM_ALLOC_NORESERVE
 * ones may not.
 * => z->lock held. */
static bool zone_watermark_ok(const struct vm_zone *z, unsigned order, int flags)
{
	/* LAB buddy: begin */
	uint64_t want = ORDER_PAGES(order);

	if (z->free_pages < want)
		return false;
	if ((flags & (VM_ALLOC_USER | VM_ALLOC_NORESERVE)) &&
	    z->free_pages - want < z->wmark_min)
		return false;
	/* LAB buddy: end */
	/* LAB buddy: stub
	// Ignores the watermarks: any free block will do.
	(void)flags;
	*/
	for (unsigned k = order; k < VM_PAGE_NORDERS; k++)
		if (z->nfree[k] > 0)
			return true;
	return false;
}

/*
 * Zone pick: the first zone in fallback order (NORMAL, then DMA32) that
 * zonemask allows and that can serve 2^order pages to this caller.
 * Returns that zone with its lock held, or NULL if none can.
 */
static struct vm_zone *zone_pick(unsigned order, unsigned zonemask, int flags)
{
	for (unsigned i = 0; i < VM_NZONES; i++) {
		/* LAB buddy: begin */
		enum vm_zone_id id = zone_fallback[i];
		/* LAB buddy: end */
		/* LAB buddy: stub
		// Zones in the order of their ids, not zone_fallback's.
		enum vm_zone_id id = i;
		(void)zone_fallback;
		*/
		struct vm_zone *z = &zones[id];

		if (!(zonemask & (1u << id)) || z->managed == 0)
			continue;
		spin_lock(&z->lock);
		if (zone_watermark_ok(z, order, flags))
			return z;
		z->alloc_fail++;
		spin_unlock(&z->lock);
	}
	return NULL;
}

/* After an allocation: count a fall below the low watermark and say whether
 * the page daemon should run. => z->lock held. */
static bool zone_note_low(struct vm_zone *z)
{
	if (z->free_pages >= z->wmark_low)
		return false;
	if (!z->below_low) {
		z->below_low = true;
		z->low_events++;
	}
	z->wakeups++;
	return true;
}

/* Zero a freshly allocated block if flags ask. No locks held. (A user
 * page enters the page queues when its owner has it: anon.c, object.c.) */
static void page_prepare(struct vm_page *pg, unsigned order, int flags)
{
	pg->order = order;
	for (uint64_t i = 0; i < ORDER_PAGES(order); i++)
		if (flags & VM_ALLOC_ZERO)
			pmap_zero_page(pg + i);
}

/* The buddy's part of vm_page_alloc: 2^order frames from the first zone
 * that may give them, not yet prepared. => no lock that ranks below
 * zone->lock is held. NULL if no zone can. */
static struct vm_page *zone_alloc(unsigned order, unsigned zonemask, int flags)
{
	struct vm_zone *z;
	struct vm_page *pg;
	bool wake;

	z = zone_pick(order, zonemask, flags);
	if (z == NULL)
		return NULL;
	pg = zone_alloc_block(z, order);
	KASSERT(pg != NULL, "zone %s passed its check but has no block",
		zone_names[z - zones]);
	__atomic_fetch_add(&z->pgalloc, ORDER_PAGES(order), __ATOMIC_RELAXED);
	wake = zone_note_low(z);
	spin_unlock(&z->lock);
	if (wake && vm_pageout_wakeup)
		vm_pageout_wakeup();
	return pg;
}

/* ------------------------------------------------------ per-hart caches */

/* This hart's cache of zone id. The kernel is not preemptive, so the
 * hart cannot change before the caller locks it. */
static struct vm_pcp *pcp_self(enum vm_zone_id id)
{
	return &pcps[cpu_self()->index][id];
}

/* Give up to n pages of pcp, the coldest first, back to z's buddy lists.
 * => pcp->lock held */
static __noinline void pcp_drain(struct vm_zone *z, struct vm_pcp *pcp, unsigned n)
{
	spin_lock(&z->lock);
	for (; n > 0 && pcp->count > 0; n--) {
		struct vm_page *pg = list_entry(pcp->pages.prev, struct vm_page, link);

		list_remove(&pg->link);
		pcp->count--;
		__atomic_fetch_sub(&z->pcp_pages, 1, __ATOMIC_RELAXED);
		pg->flags &= ~VM_PAGE_PCP;
		buddy_merge(z, seg_find(pg->pa), pg, 0);
	}
	if (z->free_pages >= z->wmark_low)
		z->below_low = false;
	spin_unlock(&z->lock);
}

/* Put the 2^order pages of the block at pg, just taken from the buddy,
 * on pcp one by one. => pcp->lock and z->lock held */
static void pcp_add_block(struct vm_zone *z, struct vm_pcp *pcp,
			  struct vm_page *pg, unsigned order)
{
	for (uint64_t i = 0; i < ORDER_PAGES(order); i++) {
		pg[i].flags |= VM_PAGE_PCP;
		list_push_front(&pcp->pages, &pg[i].link);
	}
	pcp->count += ORDER_PAGES(order);
	__atomic_fetch_add(&z->pcp_pages, ORDER_PAGES(order), __ATOMIC_RELAXED);
}

/* Fill pcp with up to PCP_BATCH pages of z that this caller may take
 * (the buddy's watermark rule): a batch of the single pages on the
 * order-0 list if there are that many, else one block of PCP_BATCH pages
 * (one split for all of them), else single pages while there are any.
 * Taking a block while a batch of singles waited would split a large
 * block on every refill: with the buddy lab's stub split, which leaves
 * every page of a split block single, that shattered all of memory within
 * seconds. (Taking singles whenever there were any, even one, cost 70
 * instructions per zero-fill fault in make bench: the few left over after
 * merges are the buddies of pages still in use, and taking them keeps
 * their blocks from merging again.) Returns whether the page daemon
 * should be woken (z fell below its low watermark).
 * => pcp->lock held, pcp empty */
static __noinline bool pcp_refill(struct vm_zone *z, struct vm_pcp *pcp, int flags)
{
	struct vm_page *pg;
	bool wake;

	spin_lock(&z->lock);
	if (z->nfree[0] < PCP_BATCH && zone_watermark_ok(z, PCP_BATCH_ORDER, flags) &&
	    (pg = zone_alloc_block(z, PCP_BATCH_ORDER)) != NULL) {
		pcp_add_block(z, pcp, pg, PCP_BATCH_ORDER);
	} else {
		/* Single pages, each from the smallest block that has one
		 * (the order-0 list's while it has any). */
		for (unsigned n = 0; n < PCP_BATCH && zone_watermark_ok(z, 0, flags); n++) {
			if ((pg = zone_alloc_block(z, 0)) == NULL)
				break;
			pcp_add_block(z, pcp, pg, 0);
		}
	}
	wake = zone_note_low(z);
	spin_unlock(&z->lock);
	return wake;
}

/* May a VM_ALLOC_USER or NORESERVE caller take a cached page of z? The
 * same rule as the buddy's (stay at or above min), on the free pages of
 * the zone and the caches together, read without the zone lock. */
static bool pcp_watermark_ok(const struct vm_zone *z, int flags)
{
	uint64_t free = __atomic_load_n(&z->free_pages, __ATOMIC_RELAXED) +
			__atomic_load_n(&z->pcp_pages, __ATOMIC_RELAXED);

	if (!(flags & (VM_ALLOC_USER | VM_ALLOC_NORESERVE)))
		return true;
	return free > z->wmark_min;
}

/* A page from this hart's cache of zone id, refilled from the buddy when
 * empty; NULL if the cache cannot give this caller one. The refill, the
 * drain and the daemon's wake-up are out of line, so the common case (a
 * page at hand) is a short function with few registers to save. */
static __noinline struct vm_page *pcp_take(enum vm_zone_id id, int flags)
{
	struct vm_zone *z = &zones[id];
	struct vm_pcp *pcp = pcp_self(id);
	struct vm_page *pg = NULL;
	bool wake = false;

	/* Computed once: otherwise GCC recomputes both addresses from id and
	 * the hart's index after every lock operation (their asm clobbers
	 * memory), which cost 40 instructions here. */
	OPTIMIZER_HIDE_VAR(z);
	OPTIMIZER_HIDE_VAR(pcp);

	if (!pcp_watermark_ok(z, flags))
		return NULL;
	spin_lock(&pcp->lock);
	if (unlikely(pcp->count == 0))
		wake = pcp_refill(z, pcp, flags);
	if (likely(pcp->count > 0)) {
		pg = list_entry(pcp->pages.next, struct vm_page, link);
		list_remove(&pg->link);
		pcp->count--;
		__atomic_fetch_sub(&z->pcp_pages, 1, __ATOMIC_RELAXED);
		pg->flags &= ~VM_PAGE_PCP;
	}
	spin_unlock(&pcp->lock);
	if (unlikely(wake) && vm_pageout_wakeup)
		vm_pageout_wakeup();
	if (likely(pg != NULL))
		__atomic_fetch_add(&z->pgalloc, 1, __ATOMIC_RELAXED);
	return pg;
}

/* A page from this hart's cache of the first zone in fallback order that
 * zonemask allows and that can give this caller one; NULL if none can
 * (the buddy path then decides). */
static struct vm_page *pcp_alloc(unsigned zonemask, int flags)
{
	for (unsigned i = 0; i < VM_NZONES; i++) {
		enum vm_zone_id id = zone_fallback[i];
		struct vm_page *pg;

		if (!(zonemask & (1u << id)) || zones[id].managed == 0)
			continue;
		pg = pcp_take(id, flags);
		if (pg != NULL)
			return pg;
	}
	return NULL;
}

/* Put pg, reset, on this hart's cache of zone id, giving PCP_BATCH pages
 * back to the buddy when it holds more than PCP_HIGH. */
static void pcp_free(enum vm_zone_id id, struct vm_page *pg)
{
	struct vm_zone *z = &zones[id];
	struct vm_pcp *pcp = pcp_self(id);

	spin_lock(&pcp->lock);
	pg->flags |= VM_PAGE_PCP;
	list_push_front(&pcp->pages, &pg->link);
	pcp->count++;
	__atomic_fetch_add(&z->pcp_pages, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&z->pgfree, 1, __ATOMIC_RELAXED);
	if (pcp->count > PCP_HIGH)
		pcp_drain(z, pcp, PCP_BATCH);
	spin_unlock(&pcp->lock);
}

/* Give every page of every hart's caches back to the buddy. Returns how
 * many there were. => no lock that ranks below a cache's lock is held. */
static uint64_t pcp_drain_all(void)
{
	uint64_t n = 0;

	for (int c = 0; c < NCPU_MAX; c++) {
		for (int id = 0; id < VM_NZONES; id++) {
			struct vm_pcp *pcp = &pcps[c][id];

			spin_lock(&pcp->lock);
			n += pcp->count;
			pcp_drain(&zones[id], pcp, pcp->count);
			spin_unlock(&pcp->lock);
		}
	}
	return n;
}

void vm_page_pcp_enable(void)
{
	for (int c = 0; c < NCPU_MAX; c++) {
		for (int id = 0; id < VM_NZONES; id++) {
			spin_init(&pcps[c][id].lock, "pcp");
			list_init(&pcps[c][id].pages);
			pcps[c][id].count = 0;
		}
	}
	pcp_on = true;
}

/* vm_page_alloc for what its fast path does not take: a block, a page
 * with the caches off, or one the caches could not give. What the buddy
 * refuses is tried once more after every cache is drained. */
static __noinline struct vm_page *vm_page_alloc_slow(unsigned order,
						     unsigned zonemask, int flags)
{
	struct vm_page *pg;

	if (order > VM_PAGE_MAX_ORDER)
		return NULL;
	pg = zone_alloc(order, zonemask, flags);
	if (pg == NULL && pcp_on && pcp_drain_all() > 0)
		pg = zone_alloc(order, zonemask, flags);
	if (pg == NULL)
		return NULL;
	page_prepare(pg, order, flags);
	return pg;
}

/* Allocate 2^order physically contiguous frames; see page.h. A single
 * page comes from this hart's cache when the caches are on (the fast
 * path, here); everything else takes vm_page_alloc_slow.
 * => no lock that ranks below a page cache's lock is held.
 * Returns the first page, or NULL when no allowed zone has them (-ENOMEM). */
struct vm_page *vm_page_alloc(unsigned order, unsigned zonemask, int flags)
{
	struct vm_page *pg;

	if (order == 0 && pcp_on) {
		pg = pcp_alloc(zonemask, flags);
		if (likely(pg != NULL)) {
			page_prepare(pg, 0, flags);
			return pg;
		}
	}
	return vm_page_alloc_slow(order, zonemask, flags);
}

struct vm_page *vm_page_alloc1(int flags)
{
	return vm_page_alloc(0, VM_ZONE_ANY, flags);
}

/* Make one frame of a block being freed clean: off the page queues, no
 * owner, no flags. Panics on a free or reserved frame or a mapped one. */
static void page_reset(struct vm_page *pg)
{
	KASSERT(!(pg->flags & (VM_PAGE_FREE | VM_PAGE_PCP | VM_PAGE_RESERVED)),
		"pa %lx flags %x: double free or reserved", (unsigned long)pg->pa,
		pg->flags);
	KASSERT(pg->pv_list == NULL, "pa %lx still mapped", (unsigned long)pg->pa);
	if (pg->queue != PQ_NONE)
		vm_page_dequeue(pg);
	pg->flags = 0;
	pg->wire_count = 0;
	pg->pmap_flags = 0;
	pg->owner = NULL;
	pg->offset = 0;
}

/* Free the 2^order frames starting at pg, merging buddies.
 * => pg is the first page of a block allocated with this order; no lock
 * that ranks below zone->lock is held. */
void vm_page_free(struct vm_page *pg, unsigned order)
{
	struct vm_seg *seg;
	struct vm_zone *z;

	KASSERT(order <= VM_PAGE_MAX_ORDER, "order %u", order);
	seg = seg_find(pg->pa);
	KASSERT(seg != NULL && pg == &seg->pages[(pg->pa - seg->start) >> PAGE_SHIFT],
		"%p is not a vm_page", (void *)pg);
	KASSERT(block_aligned(pg->pa, order) && pg->pa + ORDER_BYTES(order) <= seg->end,
		"pa %lx is not a block of order %u", (unsigned long)pg->pa, order);
	for (uint64_t i = 0; i < ORDER_PAGES(order); i++)
		page_reset(pg + i);
	if (order == 0 && pcp_on) {
		pcp_free(seg->zone, pg);
		return;
	}
	z = &zones[seg->zone];
	spin_lock(&z->lock);
	buddy_merge(z, seg, pg, order);
	__atomic_fetch_add(&z->pgfree, ORDER_PAGES(order), __ATOMIC_RELAXED);
	if (z->free_pages >= z->wmark_low)
		z->below_low = false;
	spin_unlock(&z->lock);
}

/* ---------------------------------------------------------------- init */

static bool ranges_overlap(paddr_t s1, paddr_t e1, paddr_t s2, paddr_t e2)
{
	return s1 < e2 && s2 < e1;
}

/* Find `bytes` (page rounded) inside [start, end) clear of every reserved
 * range; store its physical address in *pa. Returns false if none fits. */
static bool seg_place_array(paddr_t start, paddr_t end, size_t bytes,
			    const struct mem_range *rsv, int nrsv, paddr_t *pa)
{
	paddr_t cand = start;
	bool moved = true;

	bytes = PAGE_ROUNDUP(bytes);
	while (moved) {
		if (cand >= end || end - cand < bytes)
			return false;
		moved = false;
		for (int i = 0; i < nrsv; i++) {
			if (ranges_overlap(cand, cand + bytes, rsv[i].start, rsv[i].end)) {
				cand = PAGE_ROUNDUP(rsv[i].end);
				moved = true;
			}
		}
	}
	*pa = cand;
	return true;
}

/* Mark the frames of seg that overlap [start, end) reserved. */
static void seg_reserve(struct vm_seg *seg, paddr_t start, paddr_t end)
{
	paddr_t s = MAX(PAGE_ROUNDDOWN(start), seg->start);
	paddr_t e = MIN(PAGE_ROUNDUP(end), seg->end);

	for (paddr_t pa = s; pa < e; pa += PAGE_SIZE)
		seg->pages[(pa - seg->start) >> PAGE_SHIFT].flags = VM_PAGE_RESERVED;
}

/* Give the npages free frames starting at pg to zone z as the largest
 * aligned blocks that fit. => boot, no locking needed. */
static void zone_add_run(struct vm_zone *z, struct vm_page *pg, uint64_t npages)
{
	if (npages == 0)
		return;
	if (z->managed == 0 || pg->pa < z->start)
		z->start = pg->pa;
	if (pg->pa + npages * PAGE_SIZE > z->end)
		z->end = pg->pa + npages * PAGE_SIZE;
	z->managed += npages;
	while (npages > 0) {
		unsigned order = VM_PAGE_MAX_ORDER;

		while (order > 0 && (!block_aligned(pg->pa, order) ||
				     ORDER_PAGES(order) > npages))
			order--;
		free_list_insert(z, pg, order);
		pg += ORDER_PAGES(order);
		npages -= ORDER_PAGES(order);
	}
}

/* Build the page array of [start, end) in zone, reserve what must be, and
 * free the rest into the zone. */
static void seg_add(paddr_t start, paddr_t end, enum vm_zone_id zone,
		    const struct mem_range *rsv, int nrsv)
{
	uint64_t npages = (end - start) >> PAGE_SHIFT, run = 0;
	struct vm_seg *seg;
	paddr_t array_pa;

	if (npages == 0)
		return;
	if (nsegs == VM_MAX_SEGS ||
	    !seg_place_array(start, end, npages * sizeof(struct vm_page),
			     rsv, nrsv, &array_pa)) {
		printk("vm: ignoring RAM [%lx, %lx): no room for its page array\n",
		       (unsigned long)start, (unsigned long)end);
		return;
	}
	seg = &segs[nsegs++];
	seg->start = start;
	seg->end = end;
	seg->zone = zone;
	seg->pages = PA_TO_KVA(array_pa);
	memset(seg->pages, 0, npages * sizeof(struct vm_page));
	for (uint64_t i = 0; i < npages; i++) {
		seg->pages[i].pa = start + i * PAGE_SIZE;
		seg->pages[i].zone = zone;
		list_init(&seg->pages[i].link);
	}
	for (int i = 0; i < nrsv; i++)
		seg_reserve(seg, rsv[i].start, rsv[i].end);
	seg_reserve(seg, array_pa, array_pa + npages * sizeof(struct vm_page));
	if (seg == &segs[0]) {          /* its page array is ready */
		vm_page_seg0.start = start;
		vm_page_seg0.pages = seg->pages;
		vm_page_seg0.bytes = end - start;
	}
	zones[zone].present += npages;
	for (uint64_t i = 0; i <= npages; i++) {
		if (i < npages && !(seg->pages[i].flags & VM_PAGE_RESERVED)) {
			run++;
			continue;
		}
		zone_add_run(&zones[zone], &seg->pages[i - run], run);
		run = 0;
	}
}

/* Watermarks from the managed pages: min is 1/128; low and high each lie
 * a gap above the one below, the gap being the larger of min / 4 and
 * 1/32 of the zone, as Linux's watermark_scale_factor makes it (here 312,
 * not Linux's default 10; its maximum is 1000). The gap is the headroom user allocations have
 * while the page daemon's writes are in flight: with Linux's min / 4 (31
 * pages on 64 MiB) a writer stalled at min after every batch, and the
 * harts sat idle 70% of the swap benchmark's write pass. */
static void zone_set_watermarks(struct vm_zone *z)
{
	uint64_t gap = MAX(z->managed / WMARK_MIN_DIVISOR / 4,
			   z->managed / WMARK_GAP_DIVISOR);

	z->wmark_min = z->managed / WMARK_MIN_DIVISOR;
	z->wmark_low = z->wmark_min + gap;
	z->wmark_high = z->wmark_low + gap;
}

static void vm_page_reset_state(void)
{
	memset(zones, 0, sizeof(zones));
	memset(segs, 0, sizeof(segs));
	nsegs = 0;
	memset(&vm_page_seg0, 0, sizeof(vm_page_seg0));
	for (int z = 0; z < VM_NZONES; z++) {
		spin_init(&zones[z].lock, "zone");
		for (int k = 0; k < VM_PAGE_NORDERS; k++)
			list_init(&zones[z].free[k]);
	}
	for (int z = 0; z < VM_NZONES; z++)
		for (int q = 0; q < PQ_NQUEUES; q++)
			list_init(&zones[z].pageq[q]);
}

void vm_page_init_zones(const struct mem_range *ram, int nram,
			const struct mem_range *reserved, int nreserved,
			paddr_t dma32_limit)
{
	KASSERT(PAGE_ALIGNED(dma32_limit), "limit %lx", (unsigned long)dma32_limit);
	vm_page_reset_state();
	for (int i = 0; i < nram; i++) {
		paddr_t s = PAGE_ROUNDUP(ram[i].start), e = PAGE_ROUNDDOWN(ram[i].end);

		if (s >= e)
			continue;
		if (s < dma32_limit && e > dma32_limit) {
			seg_add(s, dma32_limit, ZONE_DMA32, reserved, nreserved);
			seg_add(dma32_limit, e, ZONE_NORMAL, reserved, nreserved);
		} else {
			seg_add(s, e, s < dma32_limit ? ZONE_DMA32 : ZONE_NORMAL,
				reserved, nreserved);
		}
	}
	for (int z = 0; z < VM_NZONES; z++) {
		zone_set_watermarks(&zones[z]);
		if (zones[z].present > 0)
			printk("vm: zone %s: %lu pages present, %lu managed, "
			       "watermarks %lu/%lu/%lu\n", zone_names[z],
			       (unsigned long)zones[z].present,
			       (unsigned long)zones[z].managed,
			       (unsigned long)zones[z].wmark_min,
			       (unsigned long)zones[z].wmark_low,
			       (unsigned long)zones[z].wmark_high);
	}
}

/* See page.h. */
uint64_t vm_page_clamp_ranges(struct mem_range *ram, int *nram, paddr_t limit)
{
	uint64_t dropped = 0;
	int i, kept = 0;

	KASSERT(PAGE_ALIGNED(limit), "limit %lx", (unsigned long)limit);
	for (i = 0; i < *nram; i++) {
		struct mem_range r = ram[i];

		if (r.end > limit) {
			dropped += r.end - MAX(r.start, limit);
			r.end = limit;
		}
		if (r.start < r.end)
			ram[kept++] = r;
	}
	*nram = kept;
	return dropped;
}

void vm_page_init(const struct mem_range *ram, int nram,
		  const struct mem_range *reserved, int nreserved)
{
	for (int i = 0; i < nram; i++)
		KASSERT(ram[i].end <= DIRECT_MAP_SIZE,
			"vm_page_init: RAM [%lx, %lx) beyond the direct map",
			(unsigned long)ram[i].start, (unsigned long)ram[i].end);
	vm_page_init_zones(ram, nram, reserved, nreserved, ZONE_DMA32_LIMIT);
}

/* ---------------------------------------------------------------- queues */

/* Move pg to the tail of its zone's queue q (PQ_NONE: off every queue).
 * => pageq_lock held. */
static void pageq_move(struct vm_page *pg, enum vm_page_queue q)
{
	struct vm_zone *z = &zones[pg->zone];

	OPTIMIZER_HIDE_VAR(z);

	if (pg->queue != PQ_NONE) {
		list_remove(&pg->link);
		z->pageq_count[pg->queue]--;
	}
	pg->queue = q;
	if (q != PQ_NONE) {
		list_push_back(&z->pageq[q], &pg->link);
		z->pageq_count[q]++;
	}
}

static inline __attribute__((always_inline)) void
pageq_set(struct vm_page *pg, enum vm_page_queue q)
{
	struct spinlock *lk = &pageq_lock;

	KASSERT(!(pg->flags & (VM_PAGE_FREE | VM_PAGE_RESERVED)),
		"pa %lx flags %x", (unsigned long)pg->pa, pg->flags);
	OPTIMIZER_HIDE_VAR(lk);         /* one address, not one per use */
	spin_lock(lk);
	pageq_move(pg, q);
	spin_unlock(lk);
}

/* Put pg at the tail of the active queue (from wherever it was). */
void vm_page_activate(struct vm_page *pg)
{
	pageq_set(pg, PQ_ACTIVE);
}

/* Put pg at the tail of the inactive queue. */
void vm_page_deactivate(struct vm_page *pg)
{
	pageq_set(pg, PQ_INACTIVE);
}

/* Take pg off the page queues. */
void vm_page_dequeue(struct vm_page *pg)
{
	pageq_set(pg, PQ_NONE);
}

uint64_t vm_page_queue_count(enum vm_page_queue q)
{
	uint64_t n;

	KASSERT(q < PQ_NQUEUES, "queue %d", q);
	spin_lock(&pageq_lock);
	n = 0;
	for (int z = 0; z < VM_NZONES; z++)
		n += zones[z].pageq_count[q];
	spin_unlock(&pageq_lock);
	return n;
}

uint64_t vm_zone_queue_count(int zone, enum vm_page_queue q)
{
	uint64_t n;

	KASSERT(zone < VM_NZONES && q < PQ_NQUEUES, "zone %d queue %d", zone, q);
	spin_lock(&pageq_lock);
	n = zones[zone].pageq_count[q];
	spin_unlock(&pageq_lock);
	return n;
}

void vm_pageq_lock(void)
{
	spin_lock(&pageq_lock);
}

void vm_pageq_unlock(void)
{
	spin_unlock(&pageq_lock);
}

struct vm_page *_vm_pageq_first(int zone, enum vm_page_queue q)
{
	struct list_node *head = &zones[zone].pageq[q];

	KASSERT(spin_holding(&pageq_lock), "pageq_lock not held");
	if (list_empty(head))
		return NULL;
	return container_of(head->next, struct vm_page, link);
}

void _vm_pageq_move(struct vm_page *pg, enum vm_page_queue q)
{
	KASSERT(spin_holding(&pageq_lock), "pageq_lock not held");
	pageq_move(pg, q);
}

/* ---------------------------------------------------------------- counters */

uint64_t vm_page_free_count(void)
{
	uint64_t n = 0;

	for (int z = 0; z < VM_NZONES; z++) {
		spin_lock(&zones[z].lock);
		n += zones[z].free_pages +
		     __atomic_load_n(&zones[z].pcp_pages, __ATOMIC_RELAXED);
		spin_unlock(&zones[z].lock);
	}
	return n;
}

uint64_t vm_page_total_count(void)
{
	uint64_t n = 0;

	for (int z = 0; z < VM_NZONES; z++)
		n += zones[z].managed;
	return n;
}

int vm_zone_count(void)
{
	return VM_NZONES;
}

void vm_zone_get_info(int zone, struct vm_zone_info *out)
{
	struct vm_zone *z;

	KASSERT(zone >= 0 && zone < VM_NZONES, "zone %d", zone);
	z = &zones[zone];
	spin_lock(&z->lock);
	out->name = zone_names[zone];
	out->present = z->present;
	out->managed = z->managed;
	out->free = z->free_pages + __atomic_load_n(&z->pcp_pages, __ATOMIC_RELAXED);
	out->wmark_min = z->wmark_min;
	out->wmark_low = z->wmark_low;
	out->wmark_high = z->wmark_high;
	for (int k = 0; k < VM_PAGE_NORDERS; k++)
		out->nfree[k] = z->nfree[k];
	out->start = z->start;
	out->end = z->end;
	out->low_events = z->low_events;
	out->alloc_fail = z->alloc_fail;
	out->pgalloc = z->pgalloc;
	out->pgfree = z->pgfree;
	out->wakeups = z->wakeups;
	spin_unlock(&z->lock);
}

/* ---------------------------------------------------------------- check */

/* One block on free list k of zone zi must be well formed. */
static void check_free_block(int zi, struct vm_page *pg, unsigned k)
{
	struct vm_seg *seg = seg_find(pg->pa);

	KASSERT(seg != NULL && seg->zone == zi, "pa %lx in zone %d",
		(unsigned long)pg->pa, zi);
	KASSERT(pg == &seg->pages[(pg->pa - seg->start) >> PAGE_SHIFT],
		"vm_page of pa %lx misplaced", (unsigned long)pg->pa);
	KASSERT(pg->flags == VM_PAGE_FREE && pg->order == k && pg->queue == PQ_NONE,
		"pa %lx flags %x order %u on list %u", (unsigned long)pg->pa,
		pg->flags, pg->order, k);
	KASSERT(block_aligned(pg->pa, k) && pg->pa + ORDER_BYTES(k) <= seg->end,
		"pa %lx order %u misaligned or past its segment",
		(unsigned long)pg->pa, k);
	for (uint64_t i = 1; i < ORDER_PAGES(k); i++)
		KASSERT(pg[i].flags == 0, "pa %lx inside a free block has flags %x",
			(unsigned long)pg[i].pa, pg[i].flags);
}

/* The free lists of zone zi agree with its counters. => z->lock held. */
static void zone_check_lists(int zi)
{
	struct vm_zone *z = &zones[zi];
	uint64_t pages = 0;

	for (unsigned k = 0; k < VM_PAGE_NORDERS; k++) {
		struct list_node *n;
		uint64_t blocks = 0;

		list_for_each(n, &z->free[k]) {
			check_free_block(zi, list_entry(n, struct vm_page, link), k);
			blocks++;
		}
		KASSERT(blocks == z->nfree[k], "zone %d order %u: %lu blocks, nfree %lu",
			zi, k, (unsigned long)blocks, (unsigned long)z->nfree[k]);
		pages += blocks << k;
	}
	KASSERT(pages == z->free_pages && pages <= z->managed,
		"zone %d: lists hold %lu pages, free_pages %lu, managed %lu", zi,
		(unsigned long)pages, (unsigned long)z->free_pages,
		(unsigned long)z->managed);
}

/* Every free-block head of zone zi is on a list, and reserved frames plus
 * managed frames make up the zone. => z->lock held. */
static void zone_check_frames(int zi)
{
	struct vm_zone *z = &zones[zi];
	uint64_t heads = 0, reserved = 0, present = 0, blocks = 0;

	for (int s = 0; s < nsegs; s++) {
		uint64_t npages = (segs[s].end - segs[s].start) >> PAGE_SHIFT;

		if (segs[s].zone != zi)
			continue;
		present += npages;
		for (uint64_t i = 0; i < npages; i++) {
			heads += (segs[s].pages[i].flags & VM_PAGE_FREE) != 0;
			reserved += (segs[s].pages[i].flags & VM_PAGE_RESERVED) != 0;
		}
	}
	for (int k = 0; k < VM_PAGE_NORDERS; k++)
		blocks += z->nfree[k];
	KASSERT(heads == blocks, "zone %d: %lu free heads, %lu on lists", zi,
		(unsigned long)heads, (unsigned long)blocks);
	KASSERT(present == z->present && present - reserved == z->managed,
		"zone %d: present %lu reserved %lu managed %lu", zi,
		(unsigned long)present, (unsigned long)reserved,
		(unsigned long)z->managed);
}

/* Check every invariant of the zones and free lists; panics on failure. */
/* Queue invariants: every page on zone zi's queue q is a user page of
 * that zone that says it is on q, and the counts match the lists.
 * => pageq_lock held. */
static void zone_check_queues(int zi)
{
	struct vm_zone *z = &zones[zi];

	for (int q = PQ_ACTIVE; q < PQ_NQUEUES; q++) {
		uint64_t n = 0;
		struct list_node *it;

		for (it = z->pageq[q].next; it != &z->pageq[q]; it = it->next) {
			struct vm_page *pg = container_of(it, struct vm_page, link);

			KASSERT(pg->queue == q && pg->zone == zi &&
				!(pg->flags & (VM_PAGE_FREE | VM_PAGE_RESERVED |
					       VM_PAGE_SLAB | VM_PAGE_PTP)),
				"pa %lx on queue %d of zone %d: queue %u zone %u "
				"flags %x", (unsigned long)pg->pa, q, zi,
				pg->queue, pg->zone, pg->flags);
			n++;
		}
		KASSERT(n == z->pageq_count[q], "zone %d queue %d: %lu pages "
			"counted %lu", zi, q, (unsigned long)n,
			(unsigned long)z->pageq_count[q]);
	}
}

void vm_page_check(void)
{
	for (int zi = 0; zi < VM_NZONES; zi++) {
		spin_lock(&zones[zi].lock);
		zone_check_lists(zi);
		zone_check_frames(zi);
		spin_unlock(&zones[zi].lock);
		spin_lock(&pageq_lock);
		zone_check_queues(zi);
		spin_unlock(&pageq_lock);
	}
}
