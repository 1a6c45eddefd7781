/*
 * Anons: reference-counted anonymous pages, the entries of amaps
 * (kernel/vm/amap.h). An anon's page is resident now; a later issue adds a
 * swap slot for a page that was paged out. Used by amap.c and fault.c.
 */
#ifndef KERNEL_VM_ANON_H
#define KERNEL_VM_ANON_H

#include "kernel/types.h"
#include "kernel/lock.h"
#include "kernel/vm/swap.h"
#include "kernel/vm/page.h"

struct vm_page;

/*
 * One anonymous page: resident, on swap, or both (the swap cache); see
 * kernel/vm/anon.c for the states.
 * Locking: (a) anon->lock, a spinlock below amap locks; the page daemon
 * only tries it (it holds the page-queue lock).
 * Invariants: refcnt >= 1 while reachable from an amap; page != NULL or
 * slot != SWAP_SLOT_NONE; page->owner == anon with VM_PAGE_ANON; a page
 * with a slot is mapped nowhere writable; a busy page is mapped nowhere;
 * refcnt > 1 exactly for the anons counted by anon_shared_count.
 */
struct anon {
	struct spinlock lock;
	int refcnt;                     /* (a) amap slots holding it */
	struct vm_page *page;           /* (a) resident page, or NULL */
	swap_slot_t slot;               /* (a) swap slot, or SWAP_SLOT_NONE */
};

/* Create the anon cache. Called once before the first anon_alloc_zero
 * (mspace_create does it). Returns 0 or -ENOMEM. */
int anon_init(void);

/* A new anon (refcnt 1) holding a new zero-filled user page, any zone.
 * The page is on no page queue and not held: the page daemon, which finds
 * pages through the queues only, cannot see it, and no one else can
 * before the caller publishes the anon. The caller calls
 * anon_page_enqueue once it has mapped the page or put the anon in an
 * amap (anon_unref alone on failure). The anon struct is allocated
 * above the min watermark (a process's memory).
 * => may hold an amap lock (never sleeps).
 * Returns NULL if no page or no anon could be allocated (-ENOMEM). */
struct anon *anon_alloc_zero(void);

/* A new anon (refcnt 1) holding a copy of src's page (swapped in first if
 * it is on swap), its page on no queue as anon_alloc_zero's.
 * => the caller keeps src from being freed (holds a reference); no
 *    spinlocks held (may sleep for a swap read).
 * Returns NULL on -ENOMEM or -EIO. */
struct anon *anon_copy(struct anon *src);

/* A new anon (refcnt 1) holding a copy of the page src (any page: an
 * object's page for copy-on-write of a private file mapping), its page
 * on no queue as anon_alloc_zero's.
 * => the caller keeps src resident (a hold). Returns NULL on -ENOMEM. */
struct anon *anon_copy_page(struct vm_page *src);

/* Hold the anon's resident page (wire_count + 1: the page daemon leaves
 * it) and return it in *pgp. If the page is busy, wait for it; if it is on
 * swap, read it in; both return -EAGAIN (call again: the anon may have
 * changed meanwhile). => a reference keeps anon alive; no spinlocks held.
 * Returns 0, -EAGAIN, -ENOMEM or -EIO. */
int anon_page_hold(struct anon *anon, struct vm_page **pgp);
/* Drop a hold on pg, anon's page. */
void anon_page_release(struct anon *anon, struct vm_page *pg);
/* Put the page of a new anon (anon_alloc_zero, anon_copy_page, anon_copy)
 * on the active queue, where the page daemon finds it: once it is mapped
 * or in an amap. => the caller's reference keeps the anon alive. */
static inline void anon_page_enqueue(struct anon *anon)
{
	vm_page_activate(anon->page);   /* after owner: the daemon sees a whole anon */
}

/* Take / drop a reference. The last anon_unref frees the page, the slot
 * and the anon, unless the page is busy in I/O: then its I/O owner frees
 * them in anon_unbusy. No pmap may map the page any more by then
 * (callers pmap_remove first).
 * => may hold the amap lock of the amap that held it. */
void anon_ref(struct anon *anon);
void anon_unref(struct anon *anon);
/* anon_page_release(anon, pg) then anon_unref(anon), under one lock (a
 * copy-on-write fault done with the anon it copied). */
void anon_page_release_unref(struct anon *anon, struct vm_page *pg);
/* The current reference count: amap slots holding the anon. A count of 1
 * seen by the holder of the one amap holding it cannot grow under it. */
int anon_refs(struct anon *anon);

/* Case 7, swap-in: read the anon's slot into a new page, which becomes
 * its page with the slot kept (the swap cache, dropped without a write
 * if never written). The page is busy during the read; other faults on
 * it wait in anon_wait_busy. If the anon got a page meanwhile, does
 * nothing. => a reference keeps anon alive; no spinlocks held; sleeps.
 * Returns 0, -ENOMEM (no page: nothing changed) or -EIO (the slot stays,
 * the page goes). Counts pswpin. */
int anon_swapin(struct anon *anon);
/* anon_swapin for anons[0] and, read in the same request, its neighbours
 * anons[1..n-1] (n <= SWAP_RUN_MAX) while each still holds the slot after
 * the one before and pages are at hand (read-around: the slots of
 * neighbouring pages were written together). The neighbours' pages are
 * marked VM_PAGE_READAHEAD; with mark, anons[1]'s also VM_PAGE_RA_ASYNC
 * (mapping it starts the next read-ahead: fault.c). *read: pages read (0
 * if none). => references keep the anons alive; no spinlocks held;
 * sleeps. Same returns as anon_swapin. */
int anon_swapin_cluster(struct anon *const *anons, size_t n, bool mark,
			size_t *read);
/*
 * Asynchronous read-ahead: start reading anons[0..n-1] (n <= SWAP_RUN_MAX;
 * on swap only, holding adjacent slots) into new busy pages marked
 * VM_PAGE_READAHEAD (anons[0]'s also VM_PAGE_RA_ASYNC with mark), and
 * return without waiting: faults on them wait in anon_wait_busy, and the
 * completion (an interrupt) ends the swap-in as anon_swapin_cluster does.
 * Anons that no longer hold their slot, or for which no page is at hand,
 * end the run early (possibly at 0: nothing started). => references keep
 * the anons alive; no spinlocks held; never sleeps. Returns 0, -ENOMEM
 * (no memory for the request), -ENODEV or -EINVAL (nothing started).
 */
int anon_swapin_async(struct anon *const *anons, size_t n, bool mark);
/* The slot of an anon that is on swap only (no page, not even a busy
 * one), or SWAP_SLOT_NONE. Takes anon->lock. */
swap_slot_t anon_swap_slot(struct anon *anon);
/* Wait until no read-ahead is in flight (before a leak check's counts:
 * /proc/sys/vm/drop_caches). => no locks held; sleeps. */
void anon_swapin_async_drain(void);
/* Sleep until anon's page is not busy. => no spinlocks held. */
void anon_wait_busy(struct anon *anon);
/* End the I/O on anon's busy page and wake its waiters; drop_page frees
 * the page (page-out written, or a failed swap-in), else the page goes to
 * the active tail. If the last reference went during the I/O, frees the
 * anon (page and slot too) and returns true.
 * => the caller started the I/O (anon_pageout_begin or anon_swapin). */
bool anon_unbusy(struct anon *anon, bool drop_page);
/* A store is about to make the anon's resident page writable: its slot
 * (if any) no longer matches it, so free the slot. Returns whether one was
 * freed. => anon->lock held. */
bool anon_make_writable(struct anon *anon);

/* swapoff: if the anon's page is resident (and not busy), free its slot.
 * Takes anon->lock. */
void anon_drop_swap(struct anon *anon);

/* anon_pageout_begin's answers */
#define ANON_PAGEOUT_SKIP   0   /* not this anon's page now (left alone), or
                                 * held, busy, or no slot to be had (back on
                                 * the active queue) */
#define ANON_PAGEOUT_CLEAN  1   /* busy and unmapped; equals its slot */
#define ANON_PAGEOUT_WRITE  2   /* busy and unmapped; needs a slot written */
/* The page daemon's first step on pg, found on a queue with owner anon and
 * taken off the queues: unless it is no longer the anon's page, held,
 * busy, or needs a slot when can_write is false, mark it busy and remove
 * every mapping without a TLB flush (pmap_page_remove_deferred: the caller
 * calls pmap_tlb_flush_all before it writes or frees the page); a page
 * modified since its slot was
 * written loses that slot. The daemon ends the page-out with anon_unbusy
 * (dropping the page) after writing it to the slot it gives with
 * anon_pageout_slot, or anon_pageout_undo. => anon->lock held. */
int anon_pageout_begin(struct anon *anon, struct vm_page *pg, bool can_write);
/* Give the busy page's anon the slot its page is being written to (an old
 * slot is freed). Takes anon->lock. */
void anon_pageout_slot(struct anon *anon, swap_slot_t slot);
/* The page-out of anon's busy page failed (no slot, or the write failed:
 * drop_slot frees the slot it was given): end the busy state, keep the
 * page resident and back on the active queue, and free the anon if its
 * last reference went meanwhile. Takes anon->lock. */
void anon_pageout_undo(struct anon *anon, bool drop_slot);

/* Anons in use, anons shared by more than one amap slot (pages shared
 * copy-on-write after fork), and anons holding a swap slot, for /proc and
 * leak checks. */
uint64_t anon_count(void);
uint64_t anon_shared_count(void);
uint64_t anon_swapped_count(void);
/* Anons whose page is resident (swap cache and busy ones included). */
uint64_t anon_resident_count(void);
/* Anons both resident and on swap (the swap cache: dropped without a
 * write when paged out), for /proc/meminfo SwapCached. */
uint64_t anon_swapcache_count(void);

#endif
