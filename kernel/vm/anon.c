/*
 * Anons: allocation, copying and reference counting of anonymous pages,
 * and their two states on the swap device (swap-in for the fault path,
 * page-out for the page daemon). Called by amap.c, fault.c and pageout.c;
 * touches pages only through page.h and pmap.h (zeroing and copying
 * through the direct map) and the swap device through swap.h.
 *
 * The states of an anon (anon->lock):
 *
 *   page, no slot      resident only; may be mapped writable
 *   page and slot      swap cache: the page equals its slot and is never
 *                      mapped writable, so it can be dropped without a write
 *                      (a write fault frees the slot first: anon_make_writable)
 *   slot, no page      on swap only: a fault reads it back (anon_swapin)
 *   page busy          I/O in flight (swap-in read or page-out write): the
 *                      page is mapped nowhere; whoever needs it waits
 *                      (anon_wait_busy), and the I/O's owner ends it
 *                      (anon_unbusy), freeing the anon if its last
 *                      reference went while it was busy.
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/lock.h"
#include "kernel/lib/printk.h"
#include "kernel/proc/sched.h"
#include "kernel/vm/page.h"
#include "kernel/vm/pmap.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/swap.h"
#include "kernel/vm/vmstat.h"
#include "kernel/dev/blk.h"
#include "kernel/vm/anon.h"

static struct kmem_cache *anon_cache;
static uint64_t anons_inuse;            /* atomic */
static uint64_t anons_shared;           /* atomic: anons with refcnt > 1 */
static uint64_t anons_swapped;          /* atomic: anons holding a slot */
static uint64_t anons_resident;         /* atomic: anons holding a page */

#define COUNT(c, d) __atomic_fetch_add(&(c), (uint64_t)(d), __ATOMIC_RELAXED)

int anon_init(void)
{
	if (anon_cache == NULL)
		anon_cache = kmem_cache_create("anon", sizeof(struct anon), 0);
	return anon_cache ? 0 : -ENOMEM;
}

/* Make pg the page of anon, neither held nor on a page queue: no one can
 * find it until the caller maps it and calls anon_page_enqueue (a fault
 * holds the mspace lock, and the amap is its own), so it needs no hold
 * against the page daemon, which finds pages through the queues only.
 * => anon not yet visible to others. */
static void anon_set_page(struct anon *anon, struct vm_page *pg)
{
	anon->page = pg;
	pg->owner = anon;
	pg->offset = 0;
	pg->flags |= VM_PAGE_ANON;
	pg->wire_count = 0;
	COUNT(anons_resident, 1);
}

/* A new anon owning pg (refcnt 1, pg on no queue), or NULL on -ENOMEM. */
static struct anon *anon_alloc_page(struct vm_page *pg)
{
	struct anon *anon = kmem_cache_alloc_user(anon_cache);

	if (anon == NULL)
		return NULL;
	spin_init(&anon->lock, "anon");
	anon->refcnt = 1;
	anon->slot = SWAP_SLOT_NONE;
	anon_set_page(anon, pg);
	__atomic_fetch_add(&anons_inuse, 1, __ATOMIC_RELAXED);
	return anon;
}

struct anon *anon_alloc_zero(void)
{
	struct vm_page *pg;
	struct anon *anon;

	pg = vm_page_alloc(0, VM_ZONE_ANY, VM_ALLOC_ZERO | VM_ALLOC_USER);
	if (pg == NULL)
		return NULL;
	anon = anon_alloc_page(pg);
	if (anon == NULL)
		vm_page_free(pg, 0);
	return anon;
}

struct anon *anon_copy_page(struct vm_page *src)
{
	struct vm_page *pg;
	struct anon *anon;

	pg = vm_page_alloc(0, VM_ZONE_ANY, VM_ALLOC_USER);
	if (pg == NULL)
		return NULL;
	pmap_copy_page(src, pg);
	anon = anon_alloc_page(pg);
	if (anon == NULL)
		vm_page_free(pg, 0);
	return anon;
}

struct anon *anon_copy(struct anon *src)
{
	struct vm_page *pg;
	struct anon *copy;
	int err;

	while ((err = anon_page_hold(src, &pg)) == -EAGAIN)
		;
	if (err)
		return NULL;
	copy = anon_copy_page(pg);
	anon_page_release(src, pg);
	return copy;
}

int anon_page_hold(struct anon *anon, struct vm_page **pgp)
{
	struct vm_page *pg;

	spin_lock(&anon->lock);
	pg = anon->page;
	if (pg != NULL && !(pg->flags & VM_PAGE_BUSY)) {
		pg->wire_count++;
		spin_unlock(&anon->lock);
		*pgp = pg;
		return 0;
	}
	spin_unlock(&anon->lock);
	if (pg != NULL) {
		anon_wait_busy(anon);
		return -EAGAIN;
	}
	int err = anon_swapin(anon);
	return err ? err : -EAGAIN;
}

void anon_page_release(struct anon *anon, struct vm_page *pg)
{
	spin_lock(&anon->lock);
	KASSERT(anon->page == pg && pg->wire_count > 0,
		"anon %p page %lx released but not held", (void *)anon,
		(unsigned long)pg->pa);
	pg->wire_count--;
	spin_unlock(&anon->lock);
}

void anon_ref(struct anon *anon)
{
	spin_lock(&anon->lock);
	KASSERT(anon->refcnt > 0, "anon %p refcnt %d", (void *)anon,
		anon->refcnt);
	if (++anon->refcnt == 2)
		__atomic_fetch_add(&anons_shared, 1, __ATOMIC_RELAXED);
	spin_unlock(&anon->lock);
}

/* Free a slot the anon held. => the anon is the slot's holder. */
static void anon_drop_slot(swap_slot_t slot)
{
	swap_slot_free(slot);
	__atomic_fetch_sub(&anons_swapped, 1, __ATOMIC_RELAXED);
}

/* Free what is left of an anon whose last reference is gone: its page
 * (mapped nowhere), its slot, itself. => no locks; no one else can reach
 * the anon (refcnt 0, not busy). */
static void anon_free(struct anon *anon)
{
	struct vm_page *pg = anon->page;

	if (pg != NULL) {
		KASSERT(pg->pv_list == NULL, "page %lx of anon %p is still mapped",
			(unsigned long)pg->pa, (void *)anon);
		/* Off the queues first, under their lock: then the page
		 * daemon no longer finds this anon through pg->owner. */
		vm_page_dequeue(pg);
		/* It may have found it just before: pageout_scan_one tries
		 * the anon's lock under the queue lock, and pageout_anon,
		 * seeing refcnt 0, lets go of it. Wait for that: its release
		 * in freed memory cleared the low half of the slab's free
		 * pointer (xv6 usertests' execout panicked in obj_pop). */
		spin_lock(&anon->lock);
		spin_unlock(&anon->lock);
		pg->owner = NULL;
		vm_page_free(pg, 0);
		COUNT(anons_resident, -1);
	}
	if (anon->slot != SWAP_SLOT_NONE)
		anon_drop_slot(anon->slot);
	kmem_cache_free(anon_cache, anon);
	__atomic_fetch_sub(&anons_inuse, 1, __ATOMIC_RELAXED);
}

/* Drop a reference. Returns whether it was the last and the page is not
 * busy: then the caller frees the anon (anon_free) after the unlock.
 * => anon->lock held */
static bool _anon_unref(struct anon *anon)
{
	KASSERT(anon->refcnt > 0, "anon %p refcnt %d", (void *)anon,
		anon->refcnt);
	if (--anon->refcnt == 1)
		__atomic_fetch_sub(&anons_shared, 1, __ATOMIC_RELAXED);
	/* A busy page's I/O owner sees refcnt 0 in anon_unbusy and frees. */
	return anon->refcnt == 0 &&
	       !(anon->page != NULL && (anon->page->flags & VM_PAGE_BUSY));
}

void anon_unref(struct anon *anon)
{
	bool dead;

	spin_lock(&anon->lock);
	dead = _anon_unref(anon);
	spin_unlock(&anon->lock);
	if (dead)
		anon_free(anon);
}

void anon_page_release_unref(struct anon *anon, struct vm_page *pg)
{
	bool dead;

	spin_lock(&anon->lock);
	KASSERT(anon->page == pg && pg->wire_count > 0,
		"anon %p page %lx released but not held", (void *)anon,
		(unsigned long)pg->pa);
	pg->wire_count--;
	dead = _anon_unref(anon);
	spin_unlock(&anon->lock);
	if (dead)
		anon_free(anon);
}

int anon_refs(struct anon *anon)
{
	int n;

	spin_lock(&anon->lock);
	n = anon->refcnt;
	spin_unlock(&anon->lock);
	return n;
}

/* ------------------------------------------------------------ swap */

void anon_wait_busy(struct anon *anon)
{
	spin_lock(&anon->lock);
	while (anon->page != NULL && (anon->page->flags & VM_PAGE_BUSY))
		sched_sleep_noint(anon, &anon->lock);
	spin_unlock(&anon->lock);
}

bool anon_unbusy(struct anon *anon, bool drop_page)
{
	struct vm_page *pg;
	bool dead;

	spin_lock(&anon->lock);
	pg = anon->page;
	KASSERT(pg != NULL && (pg->flags & VM_PAGE_BUSY),
		"anon %p: unbusy of a page not busy", (void *)anon);
	pg->flags &= ~VM_PAGE_BUSY;
	dead = anon->refcnt == 0;
	if (drop_page && !dead)
		anon->page = NULL;
	else if (!dead)
		vm_page_activate(pg);   /* under the lock: cannot be freed */
	spin_unlock(&anon->lock);
	sched_wakeup(anon);
	if (dead) {
		anon_free(anon);
		return true;
	}
	if (drop_page) {
		pg->owner = NULL;
		vm_page_free(pg, 0);
		COUNT(anons_resident, -1);
	}
	return false;
}

/* Free the slot of anon's busy page, just read from it: the page stays
 * and is written to a new slot if paged out again. Takes anon->lock. */
static void anon_drop_slot_busy(struct anon *anon)
{
	spin_lock(&anon->lock);
	if (anon->slot != SWAP_SLOT_NONE) {
		anon_drop_slot(anon->slot);
		anon->slot = SWAP_SLOT_NONE;
	}
	spin_unlock(&anon->lock);
}

/* Make pg the busy page of anon for a swap-in of the slot it must hold
 * (want). Returns false, touching nothing, if the anon has a page now or
 * another slot. => anon->lock not held; takes it. */
static bool anon_swapin_claim(struct anon *anon, swap_slot_t want,
			      struct vm_page *pg, uint16_t flags)
{
	spin_lock(&anon->lock);
	if (anon->page != NULL || anon->slot != want || want == SWAP_SLOT_NONE) {
		spin_unlock(&anon->lock);
		return false;
	}
	anon->page = pg;
	pg->owner = anon;
	pg->offset = 0;
	pg->flags |= VM_PAGE_ANON | VM_PAGE_BUSY | flags;
	COUNT(anons_resident, 1);
	spin_unlock(&anon->lock);
	vm_page_activate(pg);
	return true;
}

/*
 * Are slots worth more than the swap cache? Once swap is more than half
 * full (Linux's vm_swap_full) and its free slots could no longer take
 * every resident anon page that has none, a resident page holding a slot
 * leaves the pages that have none nowhere to go: a swap-in then frees the
 * slots it read. Linux tests the first condition alone; with it alone, a
 * reader of 60% of a large swap area wrote every page it read back out
 * again although swap had room for all of RAM (the swap benchmark: each
 * page went out twice). Any context (atomic counters and swap_lock).
 */
static bool anon_swap_full(void)
{
	uint64_t free = swap_free_pages();
	uint64_t resident = anon_resident_count();
	uint64_t cached = anon_swapcache_count();
	uint64_t unslotted = resident > cached ? resident - cached : 0;

	return free * 2 < swap_total_pages() && free < unslotted;
}

/* Claim pages for anons[0..n-1], which must hold the slots from first on,
 * into pages[]: as many as have the slot still and a free page at hand;
 * from index ra on they are marked read-ahead, and the one at index mark
 * (if claimed) starts the next read-ahead when mapped. Returns how many. */
static size_t anon_swapin_claim_run(struct anon *const *anons, size_t n,
				    swap_slot_t first, struct vm_page **pages,
				    size_t ra, size_t mark)
{
	size_t got = 0;

	while (got < n) {
		struct vm_page *pg = vm_page_alloc(0, VM_ZONE_ANY, VM_ALLOC_USER);

		if (pg == NULL)
			break;
		if (!anon_swapin_claim(anons[got], first + (swap_slot_t)got, pg,
				       (got >= ra ? VM_PAGE_READAHEAD : 0) |
				       (got == mark ? VM_PAGE_RA_ASYNC : 0))) {
			vm_page_free(pg, 0);
			break;
		}
		pages[got++] = pg;
	}
	return got;
}

/* The end of a swap-in of anons[0..n-1]: on success the pages stay (their
 * slots dropped if swap is more than half full), on error the pages go
 * and the slots stay: nothing is lost. Any context (the read-ahead's
 * completion is an interrupt). */
static void anon_swapin_end(struct anon *const *anons, size_t n, int err)
{
	bool full = err == 0 && anon_swap_full();

	if (err == 0)
		vm_event_add(VM_EV_PSWPIN, n);
	for (size_t i = 0; i < n; i++) {
		if (full)
			anon_drop_slot_busy(anons[i]);
		anon_unbusy(anons[i], err != 0);
	}
}

swap_slot_t anon_swap_slot(struct anon *anon)
{
	swap_slot_t slot;

	spin_lock(&anon->lock);
	slot = anon->page == NULL ? anon->slot : SWAP_SLOT_NONE;
	spin_unlock(&anon->lock);
	return slot;
}

/* An asynchronous read-ahead in flight (anon_swapin_async). */
struct anon_swapin_io {
	struct blk_request req;
	struct blk_seg segs[SWAP_RUN_MAX];
	struct anon *anon[SWAP_RUN_MAX];
	size_t n;
};

static uint64_t swapin_async_inflight;  /* (atomic) reads in flight */

/* The read-ahead's request completed. Interrupt context. */
static void anon_swapin_async_done(struct blk_request *req)
{
	struct anon_swapin_io *io = req->done_arg;

	anon_swapin_end(io->anon, io->n, req->status);
	kfree(io);
	__atomic_fetch_sub(&swapin_async_inflight, 1, __ATOMIC_ACQ_REL);
}

int anon_swapin_async(struct anon *const *anons, size_t n, bool mark)
{
	struct vm_page *pages[SWAP_RUN_MAX];
	struct anon_swapin_io *io;
	swap_slot_t first;
	int err;

	KASSERT(n >= 1 && n <= SWAP_RUN_MAX, "read-ahead of %lu anons",
		(unsigned long)n);
	first = anon_swap_slot(anons[0]);
	if (first == SWAP_SLOT_NONE || n > swap_run_max())
		return 0;
	io = kzalloc_user(sizeof(*io));
	if (io == NULL)
		return -ENOMEM;
	io->n = anon_swapin_claim_run(anons, n, first, pages, 0,
				      mark ? 0 : SIZE_MAX);
	if (io->n == 0) {
		kfree(io);
		return 0;
	}
	for (size_t i = 0; i < io->n; i++)
		io->anon[i] = anons[i];
	__atomic_fetch_add(&swapin_async_inflight, 1, __ATOMIC_ACQ_REL);
	err = swap_read_run_async(first, pages, io->n, &io->req, io->segs,
				  anon_swapin_async_done, io);
	if (err) {
		for (size_t i = 0; i < io->n; i++)
			anon_unbusy(io->anon[i], true);
		kfree(io);
		__atomic_fetch_sub(&swapin_async_inflight, 1, __ATOMIC_ACQ_REL);
		return err;
	}
	return 0;
}

void anon_swapin_async_drain(void)
{
	while (__atomic_load_n(&swapin_async_inflight, __ATOMIC_ACQUIRE) != 0)
		sched_sleep_ns(1000 * 1000);
}

int anon_swapin_cluster(struct anon *const *anons, size_t n, bool mark,
			size_t *read)
{
	struct vm_page *pages[SWAP_RUN_MAX];
	swap_slot_t first;
	size_t got = 0;
	int err;

	KASSERT(n >= 1 && n <= SWAP_RUN_MAX, "swap-in of %lu anons",
		(unsigned long)n);
	first = anon_swap_slot(anons[0]);
	*read = 0;
	if (first == SWAP_SLOT_NONE)
		return 0;       /* read in (or busy) meanwhile: look again */
	/* The faulting anon's page, then its neighbours' while pages are at
	 * hand and each still holds the next slot. */
	got = anon_swapin_claim_run(anons, n, first, pages, 1,
				    mark ? 1 : SIZE_MAX);
	if (got == 0) {
		spin_lock(&anons[0]->lock);
		bool done = anons[0]->page != NULL;
		spin_unlock(&anons[0]->lock);
		return done ? 0 : -ENOMEM;
	}
	err = swap_read_run(first, pages, got);
	if (err == 0)
		*read = got;
	anon_swapin_end(anons, got, err);
	return err;
}

int anon_swapin(struct anon *anon)
{
	size_t read;

	return anon_swapin_cluster(&anon, 1, false, &read);
}

bool anon_make_writable(struct anon *anon)
{
	swap_slot_t slot = SWAP_SLOT_NONE;

	KASSERT(spin_holding(&anon->lock), "anon lock not held");
	if (anon->slot != SWAP_SLOT_NONE && anon->page != NULL) {
		slot = anon->slot;
		anon->slot = SWAP_SLOT_NONE;
	}
	if (slot != SWAP_SLOT_NONE)
		anon_drop_slot(slot);
	return slot != SWAP_SLOT_NONE;
}

void anon_drop_swap(struct anon *anon)
{
	spin_lock(&anon->lock);
	if (anon->page != NULL && !(anon->page->flags & VM_PAGE_BUSY))
		anon_make_writable(anon);
	spin_unlock(&anon->lock);
}

int anon_pageout_begin(struct anon *anon, struct vm_page *pg, bool can_write)
{
	KASSERT(spin_holding(&anon->lock), "anon lock not held");
	if (anon->page != pg || anon->refcnt == 0)
		return ANON_PAGEOUT_SKIP;       /* not ours: its freer has it */
	if (pg->wire_count > 0 || (pg->flags & VM_PAGE_BUSY) ||
	    (!can_write && anon->slot == SWAP_SLOT_NONE)) {
		vm_page_activate(pg);   /* under the lock: cannot be freed */
		return ANON_PAGEOUT_SKIP;
	}
	pg->flags |= VM_PAGE_BUSY;
	/* Busy first: a fault that finds the PTE gone waits for us. The
	 * daemon flushes the TLBs once for its batch, before any write or
	 * free (a D bit set through a stale entry was set in the PTE first,
	 * so it is saved here). */
	pmap_page_remove_deferred(pg);
	if (!pmap_clear_modify(pg) && anon->slot != SWAP_SLOT_NONE)
		return ANON_PAGEOUT_CLEAN;
	if (anon->slot != SWAP_SLOT_NONE) {
		/* Written since its swap-in (never through a writable PTE:
		 * a kernel store): the old copy is stale. */
		anon_drop_slot(anon->slot);
		anon->slot = SWAP_SLOT_NONE;
	}
	return ANON_PAGEOUT_WRITE;
}

void anon_pageout_undo(struct anon *anon, bool drop_slot)
{
	spin_lock(&anon->lock);
	KASSERT(anon->page != NULL && (anon->page->flags & VM_PAGE_BUSY),
		"anon %p: page-out undone for a page not busy", (void *)anon);
	if (drop_slot && anon->slot != SWAP_SLOT_NONE) {
		anon_drop_slot(anon->slot);
		anon->slot = SWAP_SLOT_NONE;
	}
	spin_unlock(&anon->lock);
	anon_unbusy(anon, false);       /* still busy until then: unchanged */
}

void anon_pageout_slot(struct anon *anon, swap_slot_t slot)
{
	spin_lock(&anon->lock);
	KASSERT(anon->page != NULL && (anon->page->flags & VM_PAGE_BUSY),
		"anon %p: slot for a page not being paged out", (void *)anon);
	if (anon->slot != SWAP_SLOT_NONE)
		anon_drop_slot(anon->slot);     /* a dirty swap-cache page */
	anon->slot = slot;
	__atomic_fetch_add(&anons_swapped, 1, __ATOMIC_RELAXED);
	spin_unlock(&anon->lock);
}

uint64_t anon_count(void)
{
	return __atomic_load_n(&anons_inuse, __ATOMIC_RELAXED);
}

uint64_t anon_shared_count(void)
{
	return __atomic_load_n(&anons_shared, __ATOMIC_RELAXED);
}

uint64_t anon_swapped_count(void)
{
	return __atomic_load_n(&anons_swapped, __ATOMIC_RELAXED);
}

uint64_t anon_resident_count(void)
{
	return __atomic_load_n(&anons_resident, __ATOMIC_RELAXED);
}

uint64_t anon_swapcache_count(void)
{
	uint64_t on_swap_only = anon_count() - anon_resident_count();
	uint64_t swapped = anon_swapped_count();

	/* Counters read one by one: clamp a transient skew. */
	return swapped > on_swap_only ? swapped - on_swap_only : 0;
}
