/*
 * The page daemon (design layer 9): a kernel thread that keeps every zone's
 * free pages between its low and high watermarks by taking pages from the
 * address spaces, and the out-of-memory killer for when it cannot.
 *
 * Replacement is a clock over two queues per zone (kernel/vm/page.h):
 *
 *   allocation -> active tail                          inactive head -> freed
 *        active head --(not referenced)--> inactive tail
 *        active head --(referenced)-----> active tail   (second chance)
 *      inactive head --(referenced)-----> active tail   (pgactivate)
 *      inactive head --(not referenced)-> paged out     (pgsteal)
 *
 * "Referenced" is the PTE A bit over all mappings of the page, read and
 * cleared through the pv lists with pmap_clear_reference_deferred; each
 * batch of pages scanned ends with one TLB shootdown (pmap_tlb_flush_deferred),
 * not one per page. The boot option vm.policy=fifo ignores the A bits:
 * pages leave in the order they came (for comparison, and the labs).
 *
 * Paging out a page depends on its owner:
 *   anon: made busy and unmapped without a TLB flush, into a batch; the
 *     batch ends with one shootdown, then its swap-cache pages (a slot,
 *     never written since) are freed and the others get a contiguous run
 *     of swap slots and go to the disk as one request each, started without
 *     waiting (up to four in flight while the scan goes on); each run's
 *     pages are freed when its write completes;
 *   object page: unmapped; clean file pages are dropped, dirty ones written
 *     back through the vnode pager, anonymous objects' pages go to swap
 *     through their pager (kernel/vm/aobj.c) (vm_object_pageout).
 *
 * Locks: the daemon holds the page-queue lock only to pick a page, and
 * tries (never waits for) the owner's lock under it, since the usual
 * order is owner, then queue. It never takes an mspace lock.
 *
 * A user page fault that finds no free page does not fail: vm_fault_ex
 * drops the mspace lock and sleeps in vm_wait_for_memory until a pass has
 * run. If passes free nothing while processes wait, the OOM killer sends
 * SIGKILL to the process with the most resident plus swapped pages.
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/lock.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "kernel/lib/bootargs.h"
#include "kernel/dev/blk.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/sched.h"
#include "kernel/proc/signal.h"
#include "kernel/vm/page.h"
#include "kernel/vm/pmap.h"
#include "kernel/vm/anon.h"
#include "kernel/vm/amap.h"
#include "kernel/vm/object.h"
#include "kernel/vm/swap.h"
#include "kernel/vm/vma.h"
#include "kernel/vm/mspace.h"
#include "kernel/vm/vmstat.h"
#include "kernel/vm/pageout.h"

#define PAGEOUT_REF_FLUSH       256     /* cleared reference bits per shootdown */
#define PAGEOUT_BATCH           (4 * SWAP_RUN_MAX)  /* pages unmapped per shootdown */
#define PAGEOUT_EXTRA_RUNS      4       /* swap runs freed past the high mark */
#define PAGEOUT_NO_PROGRESS     3       /* empty passes before the OOM killer */
/* Passes in a row that freed pages while processes kept waiting for
 * memory, with swap full and free memory still at the min watermark,
 * before the OOM killer (see pageout_main). */
#define PAGEOUT_STARVED         32
#define PAGEOUT_OOM_WAIT_NS     (20 * 1000 * 1000)  /* 20 ms: let a victim die */
#define KB_PER_PAGE             (PAGE_SIZE / 1024)

static enum pageout_policy policy = PAGEOUT_CLOCK;

/* Locking: (l) pageout_lock, a leaf above only the scheduler's locks. */
static struct spinlock pageout_lock = SPINLOCK_INIT("pageout");
static bool daemon_running;     /* (l) the thread exists */
static bool daemon_asleep;      /* (l) */
static bool daemon_kick;        /* (l) a wake-up came since the last pass */
static int nwaiters;            /* (l) processes in vm_wait_for_memory */
static uint64_t pass_seq;       /* (l) passes done, and pages freed for
					 * waiters; waiters watch it */
static bool hopeless;           /* (l) last pass: no progress, no victim */
static pid_t oom_victim;        /* (d) killed, not yet gone */
static int empty_passes;        /* (d) passes in a row that freed nothing */
static int starved_passes;      /* (d) passes in a row that left waiters starving */
static uint64_t waitq;          /* channel of vm_wait_for_memory */

/* One batch of anon pages being paged out, unmapped without a flush:
 * the swap-cache ones to free, the others to write. (d) daemon only. */
static struct {
	struct anon *anon[PAGEOUT_BATCH];       /* to write, [0, n) */
	struct vm_page *page[PAGEOUT_BATCH];
	size_t n;
	struct anon *clean[PAGEOUT_BATCH];      /* to free, [0, nclean) */
	size_t nclean;
} batch;

/* Pages whose reference bit was cleared since the last shootdown. (d) */
static uint64_t refs_unflushed;

enum pageout_policy vm_pageout_policy(void)
{
	return policy;
}

/*
 * One TLB shootdown (on the harts that may cache a changed PTE: a process
 * asleep waiting for memory costs no fence). It covers both things the daemon does
 * without a flush per page: PTEs removed from pages being paged out (which
 * must be flushed before the page is written or freed) and reference bits
 * cleared by the clock (flushed only so that a hart's cached translation
 * sets the bit again on its next use: a late flush costs accuracy, never
 * correctness, so those wait for PAGEOUT_REF_FLUSH of them or for the next
 * page-out batch, whichever comes first).
 */
static void pageout_shootdown(void)
{
	pmap_tlb_flush_deferred();
	refs_unflushed = 0;
}

/* A reference bit was cleared (or looked at) under the clock. */
static void pageout_ref_cleared(void)
{
	if (policy == PAGEOUT_CLOCK && ++refs_unflushed >= PAGEOUT_REF_FLUSH)
		pageout_shootdown();
}

/* ------------------------------------------------------------ page-out */

/* End one run of the batch: pages [0, n) were written to their slots (or
 * failed with err; slots_given: they had slots). Written pages are freed;
 * on failure every slot given goes back and the pages stay resident.
 * Returns pages freed. */
static size_t pageout_batch_end(struct anon **anon, size_t n, int err,
				bool slots_given)
{
	size_t freed = 0;

	for (size_t i = 0; i < n; i++) {
		if (err == 0) {
			anon_unbusy(anon[i], true);
			freed++;
		} else {
			anon_pageout_undo(anon[i], slots_given);
		}
	}
	if (err == 0) {
		vm_event_add(VM_EV_PSWPOUT, n);
		vm_event_add(VM_EV_PGSTEAL, n);
	}
	return freed;
}

/*
 * Page-out writes in flight: the daemon starts a run's write and goes on
 * scanning; the completion (pageout_io_done, interrupt context) marks it
 * done and wakes the daemon, which ends it (frees the pages, or keeps them
 * on an error) when it next looks (pageout_io_reap). At most
 * PAGEOUT_INFLIGHT runs are in flight; a pass ends when all have ended.
 */
#define PAGEOUT_INFLIGHT        (2 * PAGEOUT_BATCH / SWAP_RUN_MAX)

struct pageout_io {
	struct blk_request req;         /* (d) until done, then the daemon's */
	struct blk_seg segs[SWAP_RUN_MAX];
	struct anon *anon[SWAP_RUN_MAX];
	size_t n;                       /* (d) pages; 0: the slot is free */
	bool done;                      /* (l) the write has completed */
};

static struct pageout_io ios[PAGEOUT_INFLIGHT];
static uint64_t io_chan;                /* channel: a write completed */

/* The write of io's run completed. Interrupt context (blk_complete). */
static void pageout_io_done(struct blk_request *req)
{
	struct pageout_io *io = req->done_arg;

	spin_lock(&pageout_lock);
	io->done = true;
	spin_unlock(&pageout_lock);
	sched_wakeup(&io_chan);
}

/* End every completed write; with wait, first sleep until all in flight
 * have completed. Returns pages freed. => no locks held. */
static size_t pageout_io_reap(bool wait)
{
	size_t freed = 0;

	for (int i = 0; i < PAGEOUT_INFLIGHT; i++) {
		struct pageout_io *io = &ios[i];
		bool done;

		if (io->n == 0)
			continue;
		spin_lock(&pageout_lock);
		while (wait && !io->done)
			sched_sleep_noint(&io_chan, &pageout_lock);
		done = io->done;
		spin_unlock(&pageout_lock);
		if (!done)
			continue;
		freed += pageout_batch_end(io->anon, io->n, io->req.status, true);
		io->n = 0;
		io->done = false;
	}
	return freed;
}

/* Pages on their way out: unmapped in the batch, or being written. */
static size_t pageout_pending(void)
{
	size_t n = batch.n + batch.nclean;

	for (int i = 0; i < PAGEOUT_INFLIGHT; i++)
		n += ios[i].n;
	return n;
}

/* A free in-flight slot, ending (and, if none is free, waiting for) writes
 * as needed. *freed grows by the pages they freed. */
static struct pageout_io *pageout_io_get(size_t *freed)
{
	for (;;) {
		for (int i = 0; i < PAGEOUT_INFLIGHT; i++)
			if (ios[i].n == 0)
				return &ios[i];
		*freed += pageout_io_reap(false);
		for (int i = 0; i < PAGEOUT_INFLIGHT; i++)
			if (ios[i].n == 0)
				return &ios[i];
		/* All busy: sleep until one completes. */
		spin_lock(&pageout_lock);
		bool any = false;
		for (int i = 0; i < PAGEOUT_INFLIGHT; i++)
			any |= ios[i].done;
		if (!any)
			sched_sleep_noint(&io_chan, &pageout_lock);
		spin_unlock(&pageout_lock);
	}
}

/* End the batch: one TLB shootdown for all its pages (they were unmapped
 * without one), then free the swap-cache pages and start writing the
 * others to swap in runs of contiguous slots, one request each, without
 * waiting for them (pageout_io_reap ends them). With no slot left
 * (-ENOSPC, -ENODEV), the rest stay resident and *swap_full is set.
 * Returns pages freed. => no locks held. */
static size_t pageout_batch_flush(bool *swap_full)
{
	size_t done = 0, freed = 0, max = swap_run_max();

	if (batch.n + batch.nclean == 0)
		return 0;
	pageout_shootdown();
	for (size_t i = 0; i < batch.nclean; i++)
		anon_unbusy(batch.clean[i], true);      /* freed either way */
	vm_event_add(VM_EV_PGSTEAL, batch.nclean);
	freed = batch.nclean;
	batch.nclean = 0;
	while (done < batch.n) {
		struct pageout_io *io = pageout_io_get(&freed);
		swap_slot_t first;
		int got = max == 0 ? -ENODEV :
			  swap_alloc(MIN(batch.n - done, max), &first);

		if (got < 0) {
			*swap_full = true;
			pageout_batch_end(&batch.anon[done], batch.n - done,
					  got, false);
			break;
		}
		for (int i = 0; i < got; i++) {
			anon_pageout_slot(batch.anon[done + i], first + i);
			io->anon[i] = batch.anon[done + i];
		}
		io->n = (size_t)got;
		io->done = false;
		int err = swap_write_run_async(first, &batch.page[done], got,
					       &io->req, io->segs,
					       pageout_io_done, io);
		if (err) {
			freed += pageout_batch_end(io->anon, io->n, -EIO, true);
			io->n = 0;
		}
		done += got;
	}
	batch.n = 0;
	return freed;
}

/* Page out pg, whose owner is the anon held locked (tried under the queue
 * lock, which the caller has dropped): into the batch, which is flushed
 * when full. Returns pages freed now. => anon->lock held; released here. */
static size_t pageout_anon(struct anon *anon, struct vm_page *pg,
			   bool *swap_full)
{
	/* A page that needs a slot is unmapped only while a free one is
	 * left for it beside those the batch already needs (as Linux takes
	 * the swap entry before unmapping): with swap full, a batch undone
	 * after unmapping left its pages resident but mapped nowhere, and
	 * the OOM killer, which counts mapped and swapped pages, saw the
	 * hog shrink pass after pass and killed a bystander instead
	 * (oomkill_victim_is_the_hog_with_swap_full). */
	bool can_write = !*swap_full && swap_free_pages() > batch.n;
	int how = anon_pageout_begin(anon, pg, can_write);

	spin_unlock(&anon->lock);
	if (how == ANON_PAGEOUT_CLEAN) {
		batch.clean[batch.nclean++] = anon;
	} else if (how == ANON_PAGEOUT_WRITE) {
		batch.anon[batch.n] = anon;
		batch.page[batch.n++] = pg;
	}
	if (batch.n == PAGEOUT_BATCH || batch.nclean == PAGEOUT_BATCH)
		return pageout_batch_flush(swap_full);
	return 0;
}

/* Page out pg of obj. Returns pages freed. => obj->lock held (tried);
 * released here. */
static size_t pageout_object(struct vm_object *obj, struct vm_page *pg)
{
	int err = vm_object_pageout(obj, pg);

	mutex_unlock(&obj->lock);
	if (err)
		return 0;
	vm_event_add(VM_EV_PGSTEAL, 1);
	return 1;
}

/* ------------------------------------------------------------ the clock */

/* Referenced since the last look? Under FIFO never: pages leave in order. */
static bool pageout_referenced(struct vm_page *pg)
{
	if (policy == PAGEOUT_FIFO)
		return false;
	return pmap_clear_reference_deferred(pg);
}

/* Move up to n pages from the head of zone's active queue: referenced ones
 * to the active tail, the others to the inactive tail. */
static void pageout_refill_inactive(int zone, uint64_t n)
{
/* LAB swap: begin */
	uint64_t moved = 0, deact = 0;

	while (moved < n) {
		vm_pageq_lock();
		struct vm_page *pg = _vm_pageq_first(zone, PQ_ACTIVE);
		if (pg == NULL) {
			vm_pageq_unlock();
			break;
		}
		/* Reading A under the queue lock is safe: the pv lock is
		 * below it and the page cannot be freed while queued. */
		bool ref = pageout_referenced(pg);
		_vm_pageq_move(pg, ref ? PQ_ACTIVE : PQ_INACTIVE);
		vm_pageq_unlock();
		deact += !ref;
		moved++;
		pageout_ref_cleared();
	}
	vm_event_add(VM_EV_PGDEACTIVATE, deact);
/* LAB swap: end */
/* LAB swap: stub
	// lab swap: not implemented: nothing leaves the active queue
	(void)zone; (void)n;
*/
}

/* Take the oldest inactive page of zone and try to free it. Returns pages
 * freed, or -1 when the queue is empty. */
static long pageout_scan_one(int zone, bool *swap_full)
{
/* LAB swap: begin */
	struct vm_page *pg;
	struct anon *anon = NULL;
	struct vm_object *obj = NULL;

	vm_pageq_lock();
	pg = _vm_pageq_first(zone, PQ_INACTIVE);
	if (pg == NULL) {
		vm_pageq_unlock();
		return -1;
	}
	vm_event_add(VM_EV_PGSCAN, 1);
	bool referenced = pageout_referenced(pg);
	pageout_ref_cleared();
	if (referenced) {
		_vm_pageq_move(pg, PQ_ACTIVE);
		vm_pageq_unlock();
		vm_event_add(VM_EV_PGACTIVATE, 1);
		return 0;
	}
	/* Off the queues while we work on it (or to the tail if its owner
	 * is busy): the scan never meets it twice in one step. */
	if (pg->owner == NULL || pg->wire_count > 0 ||
	    (pg->flags & VM_PAGE_BUSY)) {
		_vm_pageq_move(pg, PQ_ACTIVE);
	} else if (pg->flags & VM_PAGE_ANON) {
		anon = pg->owner;
		if (spin_trylock(&anon->lock))
			_vm_pageq_move(pg, PQ_NONE);
		else
			anon = NULL, _vm_pageq_move(pg, PQ_ACTIVE);
	} else {
		obj = pg->owner;
		if (mutex_trylock(&obj->lock))
			_vm_pageq_move(pg, PQ_NONE);
		else
			obj = NULL, _vm_pageq_move(pg, PQ_ACTIVE);
	}
	vm_pageq_unlock();
	if (anon != NULL)
		return (long)pageout_anon(anon, pg, swap_full);
	if (obj != NULL)
		return (long)pageout_object(obj, pg);
	return 0;
/* LAB swap: end */
/* LAB swap: stub
	// lab swap: not implemented: the clock never frees a page (the
	// OOM killer is the only way out of a shortage)
	(void)zone; (void)swap_full; (void)pageout_referenced;
	(void)pageout_anon; (void)pageout_object; (void)pageout_ref_cleared;
	return -1;
*/
}

/* Pages were freed during a pass: let processes waiting for memory try
 * again now rather than at the end of the pass. */
static void pageout_progress(void)
{
	bool wake;

	spin_lock(&pageout_lock);
	wake = nwaiters > 0;
	if (wake) {
		pass_seq++;
		hopeless = false;       /* pages were freed: not hopeless */
	}
	spin_unlock(&pageout_lock);
	if (wake)
		sched_wakeup(&waitq);
}

/* Free pages of zone until target have been freed or a lap of both queues
 * found nothing more. Returns pages freed. */
static uint64_t pageout_zone(int zone, uint64_t target, bool *swap_full)
{
	uint64_t freed = 0, scanned = 0;
	uint64_t active = vm_zone_queue_count(zone, PQ_ACTIVE);
	uint64_t inactive = vm_zone_queue_count(zone, PQ_INACTIVE);
	uint64_t lap = 2 * (active + inactive) + SWAP_RUN_MAX;

	/* Pages batched or in flight count: they will be free when the
	 * pass ends, and the pass must not overshoot by all of them. */
	while (freed + pageout_pending() < target && scanned < lap) {
		/* Keep a third of the user pages inactive: the clock's
		 * second hand has that long to see a reference. */
		active = vm_zone_queue_count(zone, PQ_ACTIVE);
		inactive = vm_zone_queue_count(zone, PQ_INACTIVE);
		if (inactive * 2 < active || inactive < SWAP_RUN_MAX)
			pageout_refill_inactive(zone, SWAP_RUN_MAX);
		long got = pageout_scan_one(zone, swap_full);
		if (got < 0 && vm_zone_queue_count(zone, PQ_ACTIVE) == 0)
			break;
		uint64_t before = freed;
		if (got > 0)
			freed += (uint64_t)got;
		freed += pageout_io_reap(false);
		if (freed != before)
			pageout_progress();
		scanned++;
	}
	freed += pageout_batch_flush(swap_full);
	freed += pageout_io_reap(true);
	if (refs_unflushed > 0)
		pageout_shootdown();
	return freed;
}

uint64_t vm_pageout_pass(bool *short_of_memory)
{
	uint64_t freed = 0;
	bool swap_full = false;

	*short_of_memory = false;
	for (int z = 0; z < vm_zone_count(); z++) {
		struct vm_zone_info zi;

		vm_zone_get_info(z, &zi);
		if (zi.managed == 0 || zi.free >= zi.wmark_high)
			continue;
		/* To the high watermark, and a few swap runs more, so each
		 * wake-up writes whole runs. */
		freed += pageout_zone(z, zi.wmark_high - zi.free +
				      PAGEOUT_EXTRA_RUNS * SWAP_RUN_MAX,
				      &swap_full);
		vm_zone_get_info(z, &zi);
		if (zi.free <= zi.wmark_min)
			*short_of_memory = true;
	}
	return freed;
}

/* ------------------------------------------------------------ drop_caches */

uint64_t vm_pageout_drop_caches(void)
{
	uint64_t freed = 0;

	anon_swapin_async_drain();      /* its pages settle first */

	for (int z = 0; z < vm_zone_count(); z++) {
		for (int q = PQ_ACTIVE; q < PQ_NQUEUES; q++) {
			uint64_t n = vm_zone_queue_count(z, q);

			/* Each page looked at goes to the tail: n steps see
			 * every page that was there once. */
			for (uint64_t i = 0; i < n; i++) {
				struct vm_object *obj = NULL;
				struct vm_page *pg;

				vm_pageq_lock();
				pg = _vm_pageq_first(z, q);
				if (pg == NULL) {
					vm_pageq_unlock();
					break;
				}
				_vm_pageq_move(pg, q);
				if (!(pg->flags & VM_PAGE_ANON) && pg->owner != NULL &&
				    pg->pv_list == NULL) {
					obj = pg->owner;
					if (!mutex_trylock(&obj->lock))
						obj = NULL;
				}
				vm_pageq_unlock();
				if (obj == NULL)
					continue;
				if (vm_object_drop_clean(obj, pg) == 0)
					freed++;
				mutex_unlock(&obj->lock);
			}
		}
	}
	return freed;
}

/* ------------------------------------------------------------ OOM killer */

/* Kill the process with the most resident plus swapped pages (never init
 * nor a kernel thread), with one console line. Returns its pid, or 0 if
 * there is none. */
static pid_t oom_kill(void)
{
	pid_t best = 0, pid = 0;
	uint64_t best_score = 0, best_rss = 0, best_swap = 0;
	char name[PROC_NAME_MAX], best_name[PROC_NAME_MAX] = "";

	while ((pid = proc_next_pid(pid)) > 0) {
		struct mspace *ms;
		uint64_t rss, swp = 0;

		if (pid == 1 || (ms = proc_get_mspace(pid, name)) == NULL)
			continue;
		rss = pmap_resident_count(ms->pmap);
		if (!mspace_swap_pages_try(ms, &swp))
			swp = 0;        /* busy: judged by its resident pages */
		mspace_destroy(ms);     /* our reference */
		if (rss + swp > best_score) {
			best = pid;
			best_score = rss + swp;
			best_rss = rss;
			best_swap = swp;
			memcpy(best_name, name, sizeof(best_name));
		}
	}
	if (best == 0)
		return 0;
	printk("pagoda: out of memory: killed pid %d (%s), rss %lu kB, "
	       "swap %lu kB\n", best, best_name,
	       (unsigned long)(best_rss * KB_PER_PAGE),
	       (unsigned long)(best_swap * KB_PER_PAGE));
	proc_kill(best, SIGKILL);
	vm_event_add(VM_EV_OOM_KILL, 1);
	return best;
}

/* The last victim still has its memory? */
static bool oom_victim_alive(void)
{
	char name[PROC_NAME_MAX];
	struct mspace *ms;

	if (oom_victim == 0)
		return false;
	ms = proc_get_mspace(oom_victim, name);
	if (ms == NULL) {
		oom_victim = 0;
		return false;
	}
	mspace_destroy(ms);
	return true;
}

/* ------------------------------------------------------------ the thread */

/* Some zone below its low watermark? */
static bool pageout_needed(void)
{
	for (int z = 0; z < vm_zone_count(); z++) {
		struct vm_zone_info zi;

		vm_zone_get_info(z, &zi);
		if (zi.managed != 0 && zi.free < zi.wmark_low)
			return true;
	}
	return false;
}

static void pageout_main(void)
{
	for (;;) {
		bool short_of_memory, waiting, none = false;
		uint64_t freed;

		spin_lock(&pageout_lock);
		while (!daemon_kick && nwaiters == 0) {
			daemon_asleep = true;
			sched_sleep_noint(&daemon_kick, &pageout_lock);
			daemon_asleep = false;
		}
		daemon_kick = false;
		waiting = nwaiters > 0;
		spin_unlock(&pageout_lock);

		freed = vm_pageout_pass(&short_of_memory);
		empty_passes = (freed == 0 && waiting) ? empty_passes + 1 : 0;
		/* Pages freed are no progress for the waiters if they are gone
		 * again at once: with swap full, a process re-reading its own
		 * clean swap-cache pages takes each page the daemon drops (a
		 * swap-in may use the reserve below min, which the waiters'
		 * user allocations may not), every pass frees a few, and the
		 * waiters wait for ever (oomkill hung so). */
		starved_passes = (waiting && short_of_memory &&
				  swap_free_pages() == 0) ? starved_passes + 1 : 0;
		if ((empty_passes >= PAGEOUT_NO_PROGRESS ||
		     starved_passes >= PAGEOUT_STARVED) && short_of_memory &&
		    !oom_victim_alive()) {
			oom_victim = oom_kill();
			none = oom_victim == 0;
			empty_passes = 0;
			starved_passes = 0;
		}
		spin_lock(&pageout_lock);
		pass_seq++;
		hopeless = none;
		if (pageout_needed())
			daemon_kick = true;
		spin_unlock(&pageout_lock);
		sched_wakeup(&waitq);
		/* The kernel is not preemptive: a daemon that went straight on
		 * would keep its hart, and on one hart the processes that could
		 * run, exit or come to wait for memory (which the OOM killer
		 * counts) never would. After a pass that freed nothing it
		 * sleeps; after one that freed pages it lets them run first. */
		if (freed == 0)
			sched_sleep_ns(PAGEOUT_OOM_WAIT_NS);
		else
			sched_yield();
	}
}

/* From any allocation. With no spinlock held on this hart (push_off
 * depth 0: the usual case, a fault allocating a page) the daemon is woken
 * at once; under a spinlock only a flag is set and the next timer tick
 * wakes it (vm_pageout_tick), since sched_wakeup takes process locks that
 * rank above an allocator's callers' spinlocks. */
void vm_pageout_wakeup(void)
{
	__atomic_store_n(&daemon_kick, true, __ATOMIC_RELEASE);
	if (!spin_any_held() && proc_current() != NULL &&
	    __atomic_load_n(&daemon_asleep, __ATOMIC_ACQUIRE))
		sched_wakeup(&daemon_kick);
}

void vm_pageout_tick(void)
{
	if (__atomic_load_n(&daemon_kick, __ATOMIC_ACQUIRE) &&
	    __atomic_load_n(&daemon_asleep, __ATOMIC_ACQUIRE))
		sched_wakeup(&daemon_kick);
}

int vm_wait_for_memory(void)
{
	struct proc *p = proc_current();
	uint64_t seq;
	bool wake, gave_up;

	if (p == NULL || proc_fatal_signal_pending(p))
		return -ENOMEM;
	spin_lock(&pageout_lock);
	if (!daemon_running) {
		spin_unlock(&pageout_lock);
		return -ENOMEM;
	}
	nwaiters++;
	daemon_kick = true;
	wake = daemon_asleep;
	seq = pass_seq;
	if (wake) {
		spin_unlock(&pageout_lock);
		sched_wakeup(&daemon_kick);
		spin_lock(&pageout_lock);
	}
	vm_event_add(VM_EV_ALLOCSTALL, 1);
	/* Not interruptible: each pass wakes us, and a SIGKILL is seen then. */
	while (pass_seq == seq)
		sched_sleep_noint(&waitq, &pageout_lock);
	gave_up = hopeless;
	nwaiters--;
	spin_unlock(&pageout_lock);
	if (gave_up || proc_fatal_signal_pending(p))
		return -ENOMEM;
	return 0;
}

void vm_pageout_init(void)
{
	const char *pol = bootarg_get("vm.policy");
	int err;

	if (pol != NULL && strcmp(pol, "fifo") == 0)
		policy = PAGEOUT_FIFO;
	else if (pol != NULL && strcmp(pol, "clock") != 0)
		printk("vm: unknown vm.policy=%s, using clock\n", pol);
	err = kthread_create("pagedaemon", pageout_main, NULL);
	if (err) {
		printk("vm: no page daemon (%d): memory is never reclaimed\n", err);
		return;
	}
	spin_lock(&pageout_lock);
	daemon_running = true;
	spin_unlock(&pageout_lock);
	printk("vm: page daemon started, %s replacement\n",
	       policy == PAGEOUT_FIFO ? "FIFO" : "clock");
}
