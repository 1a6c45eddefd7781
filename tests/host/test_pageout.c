/*
 * Host unit test of the page daemon's clock (kernel/vm/pageout.c) on the
 * real page queues (page.c), anons (anon.c), memory objects (object.c),
 * slot allocator (swap.c) and kmem, over an in-memory swap disk and an
 * in-memory file behind a pager. A model keeps, for every anon, its
 * content pattern, whether it is hot (its "referenced" bit is set before
 * every pass) and how often it was written to swap; after every pass the
 * test checks the queue invariants (vm_page_check), the slot allocator
 * (swap_check), that the clock took only unreferenced pages and the oldest
 * first, that every page on swap holds its pattern, exact page and slot
 * counts, and that reference bits were harvested in batches (a TLB
 * flush at least every PAGEOUT_REF_FLUSH pages, and none of its own when a
 * page-out batch's flush comes first). The daemon thread never runs: the
 * test calls vm_pageout_pass itself. Prints TAP; built with ASan/UBSan by
 * tests/host/pageout.mk.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/sched.h"
#include "kernel/lib/bootargs.h"
#include "kernel/vm/page.h"
#include "kernel/vm/pmap.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/anon.h"
#include "kernel/vm/amap.h"
#include "kernel/vm/object.h"
#include "kernel/vm/pager.h"
#include "kernel/vm/swap.h"
#include "kernel/dev/blk.h"
#include "kernel/vm/vma.h"
#include "kernel/vm/mspace.h"
#include "kernel/vm/vmstat.h"
#include "kernel/vm/pageout.h"
#include "tests/host/tap.h"

#define MiB             (1UL << 20)
#define RAM_SIZE        (8 * MiB)
#define RAM_ALIGN       (4 * MiB)
#define RAM_PAGES       (RAM_SIZE / PAGE_SIZE)
#define DISK_SLOTS      4096            /* the largest swap area, slot 0 included */
#define MAX_ANONS       8192
#define REF_FLUSH       256             /* pageout.c's PAGEOUT_REF_FLUSH */
#define HOT_EVERY       4               /* every 4th anon is hot */
#define CLOCK_ROUNDS    8

/* ---------------------------------------------------------------- model */

struct manon {
	struct anon *anon;      /* NULL once freed */
	uint64_t tag;           /* the page holds pattern(tag) */
	bool hot;               /* referenced before every pass */
	bool dirty;             /* resident copy newer than its slot */
	unsigned writes;        /* pages written to swap for it */
};

static struct manon model[MAX_ANONS];
static size_t nmodel;
static uint64_t next_tag = 1;

static char *ram;
static uint8_t *disk;           /* DISK_SLOTS pages */
static uint32_t disk_last;      /* last_page of the attached area */

/* Per frame: the referenced and modified bits the pmap would hold, and
 * whether page-out unmapped it in the current pass. */
static bool referenced[RAM_PAGES], modified[RAM_PAGES], unmapped[RAM_PAGES];

static struct {
	uint64_t harvests;      /* pmap_clear_reference_deferred calls */
	uint64_t pending;       /* harvests since the last flush */
	uint64_t max_pending;
	uint64_t flushes;       /* pmap_tlb_flush_deferred calls */
	uint64_t write_calls;   /* swap_write_run calls */
	uint64_t pages_written;
	uint64_t reads;
	bool write_bad;         /* a write broke its contract */
	uint64_t removed_unflushed;     /* deferred unmaps since the last flush */
	uint64_t removals;      /* pmap_page_remove_deferred calls */
} st;

/* Fault injection in swap_write_run and swap_read_page. */
static int fail_writes;                 /* fail this many write calls (-EIO) */
static bool unref_in_write;             /* drop the first page's anon meanwhile */
static struct manon *unref_victim;      /* the anon dropped that way */
static bool pass_in_read;               /* run a pass while a read is in flight */
static uint64_t pass_in_read_freed;
static struct anon *read_anon;          /* the anon being read in */
static bool read_page_busy_after;       /* its page still busy after that pass */

static const char *policy_arg = "clock";
static int kthreads;

static size_t pfn(const struct vm_page *pg)
{
	return (size_t)((vm_page_to_pa(pg) - (paddr_t)(uintptr_t)ram) / PAGE_SIZE);
}

static uint64_t *page_words(const struct vm_page *pg)
{
	return PA_TO_KVA(vm_page_to_pa(pg));
}

static uint64_t pattern_word(uint64_t tag, size_t i)
{
	return tag * 0x9e3779b97f4a7c15ULL + i;
}

static void fill_pattern(uint64_t *w, uint64_t tag)
{
	for (size_t i = 0; i < PAGE_SIZE / 8; i++)
		w[i] = pattern_word(tag, i);
}

static bool has_pattern(const uint64_t *w, uint64_t tag)
{
	for (size_t i = 0; i < PAGE_SIZE / 8; i++)
		if (w[i] != pattern_word(tag, i))
			return false;
	return true;
}

static uint64_t *slot_words(swap_slot_t slot)
{
	return (uint64_t *)(disk + (size_t)slot * PAGE_SIZE);
}

static struct manon *model_find(const struct anon *anon)
{
	for (size_t i = 0; i < nmodel; i++)
		if (model[i].anon == anon)
			return &model[i];
	return NULL;
}

/* ---------------------------------------------------------------- stubs */

void pmap_zero_page(struct vm_page *pg)
{
	memset(page_words(pg), 0, PAGE_SIZE);
}

void pmap_copy_page(struct vm_page *src, struct vm_page *dst)
{
	memcpy(page_words(dst), page_words(src), PAGE_SIZE);
}

/* No page is mapped on the host: removing every mapping only records it. */
void pmap_page_protect(struct vm_page *pg, vm_prot_t prot)
{
	if (prot == VM_PROT_NONE)
		unmapped[pfn(pg)] = true;
}

bool pmap_clear_modify(struct vm_page *pg)
{
	bool was = modified[pfn(pg)];

	modified[pfn(pg)] = false;
	return was;
}

bool pmap_clear_reference_deferred(struct vm_page *pg)
{
	bool was = referenced[pfn(pg)];

	referenced[pfn(pg)] = false;
	st.harvests++;
	if (++st.pending > st.max_pending)
		st.max_pending = st.pending;
	return was;
}

bool pmap_tlb_flush_deferred(void)
{
	st.flushes++;
	st.pending = 0;
	st.removed_unflushed = 0;
	return true;
}

/* Page-out unmaps its batch without a flush: no page of it may be written
 * or freed before the batch's pmap_tlb_flush_deferred (swap_write_run and
 * pageout_unflushed_free check). */
void pmap_page_remove_deferred(struct vm_page *pg)
{
	unmapped[pfn(pg)] = true;
	st.removed_unflushed++;
	st.removals++;
}

uint64_t pmap_resident_count(struct pmap *pmap __unused)
{
	return 0;
}

uint64_t kva_stack_pages(void) { return 0; }
uint64_t pmap_ptp_count(void) { return 0; }


/* The in-memory disk: n pages to slots first.. (swap_io.c's contract:
 * busy anon pages, slots allocated, n <= SWAP_RUN_MAX). */
int swap_write_run(swap_slot_t first, struct vm_page *const *pages, size_t n)
{
	st.write_calls++;
	if (n == 0 || n > SWAP_RUN_MAX || first == SWAP_SLOT_NONE ||
	    st.removed_unflushed > 0 ||         /* written before the shootdown */
	    first + n - 1 > disk_last)
		st.write_bad = true;
	for (size_t i = 0; i < n && !st.write_bad; i++) {
		struct anon *anon = pages[i]->owner;

		if (!(pages[i]->flags & VM_PAGE_BUSY) || !(pages[i]->flags & VM_PAGE_ANON) ||
		    anon == NULL || anon->page != pages[i] || anon->slot != first + i ||
		    swap_slot_refcount(first + (swap_slot_t)i) != 1)
			st.write_bad = true;
	}
	if (unref_in_write) {
		unref_in_write = false;
		unref_victim = model_find(pages[0]->owner);
		anon_unref(pages[0]->owner);    /* its process exits meanwhile */
		if (unref_victim != NULL)
			unref_victim->anon = NULL;
	}
	if (fail_writes > 0) {
		fail_writes--;
		return -EIO;
	}
	for (size_t i = 0; i < n && !st.write_bad; i++) {
		struct manon *m = model_find(pages[i]->owner);

		memcpy(slot_words(first + (swap_slot_t)i), page_words(pages[i]), PAGE_SIZE);
		if (m != NULL)
			m->writes++;
	}
	st.pages_written += n;
	return st.write_bad ? -EIO : 0;
}

size_t swap_run_max(void)
{
	return SWAP_RUN_MAX;
}

/* The daemon's asynchronous write: done at once through swap_write_run
 * (same contract checks), then its completion, as a disk that finished
 * before blk_submit returned would call it. */
int swap_write_run_async(swap_slot_t first, struct vm_page *const *pages,
			 size_t n, struct blk_request *req, struct blk_seg *segs __unused,
			 void (*done)(struct blk_request *), void *arg)
{
	memset(req, 0, sizeof(*req));
	req->done_arg = arg;
	req->status = swap_write_run(first, pages, n);
	req->done = true;
	done(req);
	return 0;
}

/* A read run: each page as swap_read_page reads it. */
int swap_read_run(swap_slot_t first, struct vm_page *const *pages, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int err = swap_read_page(first + (swap_slot_t)i, pages[i]);

		if (err)
			return err;
	}
	return 0;
}

int swap_read_page(swap_slot_t slot, struct vm_page *pg)
{
	if (slot == SWAP_SLOT_NONE || slot > disk_last)
		return -EIO;
	st.reads++;
	if (pass_in_read) {
		bool short_of_memory;

		pass_in_read = false;
		read_anon = pg->owner;
		pass_in_read_freed = vm_pageout_pass(&short_of_memory);
		read_page_busy_after = read_anon->page == pg &&
			(pg->flags & VM_PAGE_BUSY) && pg->queue != PQ_NONE;
	}
	memcpy(page_words(pg), slot_words(slot), PAGE_SIZE);
	return 0;
}

/* The process side, for vm_pageout_init and the OOM killer: the daemon
 * thread is never started and there are no processes. */
int kthread_create(const char *name __unused, void (*fn)(void) __unused,
		   pid_t *pidp __unused)
{
	kthreads++;
	return 0;
}

const char *bootarg_get(const char *name)
{
	return strcmp(name, "vm.policy") == 0 ? policy_arg : NULL;
}

pid_t proc_next_pid(pid_t after __unused) { return 0; }
struct mspace *proc_get_mspace(pid_t pid __unused, char name[PROC_NAME_MAX] __unused)
{
	return NULL;
}
int proc_kill(pid_t pid __unused, int sig __unused) { return -ESRCH; }
/* No process is current: cpus[0].proc stays NULL (proc_current reads it). */
struct cpu cpus[NCPU_MAX];
bool proc_fatal_signal_pending(const struct proc *p __unused) { return false; }
int sched_sleep_ns(uint64_t ns __unused) { return 0; }

static void unreachable(const char *what)
{
	fprintf(stderr, "panic: %s called without processes\n", what);
	abort();
}

/* What the OOM killer reads of a process's swapped pages; it runs only in
 * the daemon thread, never here. Weak, and for both the amap walk and
 * mspace_swap_pages_try (the later kernel's count), so the test links
 * against either pageout.c. */
__attribute__((weak)) uint64_t amap_swapped_pages(struct amap *am __unused,
						  size_t slot __unused, size_t n __unused)
{
	unreachable("amap_swapped_pages");
	return 0;
}
__attribute__((weak)) struct vma *vma_tree_first(const struct vma_tree *tree __unused)
{
	unreachable("vma_tree_first");
	return NULL;
}
__attribute__((weak)) struct vma *vma_tree_next(const struct vma *vma __unused)
{
	unreachable("vma_tree_next");
	return NULL;
}
bool mspace_swap_pages_try(struct mspace *ms, uint64_t *n);
__attribute__((weak)) bool mspace_swap_pages_try(struct mspace *ms __unused,
						 uint64_t *n __unused)
{
	unreachable("mspace_swap_pages_try");
	return false;
}
void mspace_destroy(struct mspace *ms __unused) { unreachable("mspace_destroy"); }

/* ---------------------------------------------------------------- setup */

static uint64_t base_pages;     /* free + kmem pages with no anon alive */
static uint64_t base_objs;
static uint64_t extra_objs;     /* kmem objects of the test's memory object */

static void setup(void)
{
	struct mem_range r;

	ram = aligned_alloc(RAM_ALIGN, RAM_SIZE);
	disk = calloc(DISK_SLOTS, PAGE_SIZE);
	if (ram == NULL || disk == NULL)
		abort();
	r.start = (paddr_t)(uintptr_t)ram;
	r.end = r.start + RAM_SIZE;
	/* One zone (DMA32): the whole fake RAM is below the limit. */
	vm_page_init_zones(&r, 1, NULL, 0, r.end);
	kmem_init();
	if (anon_init() != 0)
		abort();
	/* The object cache is made with the first object and stays. */
	vm_object_unref(vm_object_create(PAGE_SIZE, NULL, NULL));
	base_pages = vm_page_free_count() + kmem_pages();
	base_objs = kmem_objects_inuse();
}

static struct vm_zone_info zone(void)
{
	struct vm_zone_info zi;

	vm_zone_get_info(ZONE_DMA32, &zi);
	return zi;
}

/* A swap area of nslots usable slots (header in slot 0), made in memory
 * and parsed as swap_init would. */
static bool attach_swap(uint32_t nslots)
{
	static uint8_t hdr[SWAP_HDR_SIZE];
	struct swap_header h;
	uint32_t v;

	memset(hdr, 0, sizeof(hdr));
	v = SWAP_HDR_VERSION;
	memcpy(hdr + offsetof(struct swap_header_info, version), &v, 4);
	v = nslots;
	memcpy(hdr + offsetof(struct swap_header_info, last_page), &v, 4);
	memcpy(hdr + SWAP_HDR_MAGIC_OFF, SWAP_HDR_MAGIC, SWAP_HDR_MAGIC_LEN);
	memset(disk, 0xee, (size_t)DISK_SLOTS * PAGE_SIZE);
	disk_last = nslots;
	return nslots < DISK_SLOTS && swap_parse_header(hdr, nslots + 1, &h) == 0 &&
	       swap_attach(&h, 2, "ramdisk") == 0 && swap_total_pages() == nslots;
}

static void set_policy(const char *pol)
{
	policy_arg = pol;
	vm_pageout_init();
}

/* New anons, cold (or every HOT_EVERY-th hot when hot_too), until the
 * allocator refuses (the zone at its min watermark) or max are made.
 * Returns how many. */
static size_t fill(size_t max, bool hot_too)
{
	size_t n = 0;

	while (n < max && nmodel < MAX_ANONS) {
		struct anon *anon = anon_alloc_zero();
		struct manon *m = &model[nmodel];

		if (anon == NULL)
			break;
		m->anon = anon;
		m->tag = next_tag++;
		m->hot = hot_too && nmodel % HOT_EVERY == 0;
		m->dirty = false;
		m->writes = 0;
		fill_pattern(page_words(anon->page), m->tag);
		modified[pfn(anon->page)] = false;
		anon_page_enqueue(anon);
		nmodel++;
		n++;
	}
	return n;
}

static bool resident(const struct manon *m)
{
	return m->anon != NULL && m->anon->page != NULL;
}

/* The pmap's referenced bits: set for the resident hot anons, clear for
 * every other frame (a freed frame keeps no bit). */
static struct manon *warm;      /* referenced once, before the next pass */

static void mark_hot(void)
{
	memset(referenced, 0, sizeof(referenced));
	for (size_t i = 0; i < nmodel; i++)
		if (model[i].hot && resident(&model[i]))
			referenced[pfn(model[i].anon->page)] = true;
	if (warm != NULL && resident(warm))
		referenced[pfn(warm->anon->page)] = true;
	warm = NULL;
}

/* Pages unmapped for page-out in the last pass that are still resident
 * (their page-out failed), in *n; all back on the page queues, not busy? */
static bool undone_on_active(size_t *n)
{
	bool all = true;

	*n = 0;
	for (size_t i = 0; i < nmodel; i++)
		if (resident(&model[i]) && unmapped[pfn(model[i].anon->page)]) {
			(*n)++;
			/* Requeued active; the rest of the pass may since
			 * have moved it to the inactive queue (unreferenced). */
			all &= model[i].anon->page->queue != PQ_NONE &&
			       !(model[i].anon->page->flags & VM_PAGE_BUSY);
		}
	return all;
}

/* ---------------------------------------------------------------- checks */

/* Every anon against the model and the counters; the first problem is
 * put in why. */
static bool model_consistent(const char **why)
{
	uint64_t live = 0, res = 0, slots = 0;

	*why = "";
	for (size_t i = 0; i < nmodel; i++) {
		const struct manon *m = &model[i];
		const struct anon *a = m->anon;

		if (a == NULL)
			continue;
		live++;
		if (a->page == NULL && a->slot == SWAP_SLOT_NONE)
			return *why = "an anon with neither page nor slot", false;
		if (a->page != NULL) {
			const struct vm_page *pg = a->page;

			res++;
			if (pg->owner != a || !(pg->flags & VM_PAGE_ANON) ||
			    (pg->flags & VM_PAGE_BUSY))
				return *why = "resident page not the anon's, or busy", false;
			if (pg->queue == PQ_NONE)
				return *why = "resident page on no queue", false;
			if (!has_pattern(page_words(pg), m->tag))
				return *why = "resident page lost its pattern", false;
		}
		if (a->slot != SWAP_SLOT_NONE) {
			slots++;
			if (swap_slot_refcount(a->slot) != 1)
				return *why = "slot reference count not 1", false;
			if (!m->dirty && !has_pattern(slot_words(a->slot), m->tag))
				return *why = "slot does not hold the pattern", false;
		}
	}
	if (anon_count() != live || anon_resident_count() != res ||
	    anon_swapped_count() != slots)
		return *why = "anon counters disagree with the model", false;
	if (swap_total_pages() - swap_free_pages() != slots)
		return *why = "slots in use but owned by no anon (leak)", false;
	if (vm_page_free_count() + res + vm_object_resident_pages() + kmem_pages() !=
	    base_pages)
		return *why = "free + resident + slab pages not conserved", false;
	if (kmem_objects_inuse() != base_objs + live + (swap_total_pages() ? 3 : 0) +
	    extra_objs)
		return *why = "kmem objects: anons leaked", false;
	return true;
}

static const char *policy_name(void)
{
	return vm_pageout_policy() == PAGEOUT_FIFO ? "fifo" : "clock";
}

/* One pass after setting the hot anons' bits, with every check. Returns
 * the pages the pass freed. *ok: all checks passed. */
static uint64_t checked_pass(bool *ok, bool *short_of_memory, const char *tag,
			     uint64_t extra)
{
	uint64_t h0 = st.harvests, f0 = st.flushes, w0 = st.write_calls;
	uint64_t pw0 = st.pages_written, out0 = vm_event_get(VM_EV_PSWPOUT);
	uint64_t steal0 = vm_event_get(VM_EV_PGSTEAL), scan0 = vm_event_get(VM_EV_PGSCAN);
	uint64_t free0 = vm_page_free_count();
	uint64_t res0 = anon_resident_count() + vm_object_resident_pages();
	uint64_t freed, harvests, flushes;
	const char *why = "(swap_check failed)";
	bool clock = vm_pageout_policy() == PAGEOUT_CLOCK;

	static struct vm_page *before[MAX_ANONS];

	for (size_t i = 0; i < nmodel; i++)
		before[i] = resident(&model[i]) ? model[i].anon->page : NULL;
	memset(unmapped, 0, sizeof(unmapped));
	mark_hot();
	st.max_pending = st.pending = 0;
	freed = vm_pageout_pass(short_of_memory);
	harvests = st.harvests - h0;
	flushes = st.flushes - f0;

	vm_page_check();        /* panics (aborts) on a broken queue */
	*ok = true;
	bool consistent = swap_check() == 0 && model_consistent(&why);

	if (!tap_ok(consistent, "%s %s: queues, slots and model consistent %s",
		    policy_name(), tag, why))
		*ok = false;
	if (!tap_ok(freed + extra == vm_page_free_count() - free0 &&
		    freed + extra == res0 - anon_resident_count() - vm_object_resident_pages(),
		    "%s %s: pass freed %lu pages (+%lu dropped), free count rose by %ld",
		    policy_name(), tag, (unsigned long)freed, (unsigned long)extra,
		    (long)(vm_page_free_count() - free0)))
		*ok = false;
	uint64_t steal = vm_event_get(VM_EV_PGSTEAL) - steal0;
	uint64_t scan = vm_event_get(VM_EV_PGSCAN) - scan0;

	if (!tap_ok(steal == freed && scan >= freed && (!clock || harvests >= scan),
		    "%s %s: pgsteal %lu = pages freed, pgscan %lu", policy_name(), tag,
		    (unsigned long)steal, (unsigned long)scan))
		*ok = false;
	size_t lost = 0, lost_mapped = 0;

	for (size_t i = 0; i < nmodel; i++)
		if (before[i] != NULL && !resident(&model[i])) {
			lost++;
			lost_mapped += !unmapped[pfn(before[i])];
		}
	if (!tap_ok(lost_mapped == 0, "%s %s: all %zu pages taken were unmapped first "
		    "(pmap_page_protect)", policy_name(), tag, lost))
		*ok = false;
	if (!tap_ok(!st.write_bad && st.pages_written - pw0 ==
		    vm_event_get(VM_EV_PSWPOUT) - out0 &&
		    st.write_calls - w0 <= (st.pages_written - pw0) / SWAP_RUN_MAX + 2,
		    "%s %s: %lu pages written in %lu requests (batched, contract kept)",
		    policy_name(), tag, (unsigned long)(st.pages_written - pw0),
		    (unsigned long)(st.write_calls - w0)))
		*ok = false;
	if (clock) {
		/* At most one flush per REF_FLUSH harvests and one per
		 * page-out batch; never more than REF_FLUSH bits waiting. */
		if (!tap_ok(harvests > 0 && flushes >= 1 &&
			    flushes <= harvests / REF_FLUSH +
				       st.removals / SWAP_RUN_MAX + st.write_calls + 3 &&
			    st.max_pending <= REF_FLUSH,
			    "clock %s: %lu reference bits harvested, %lu TLB flushes, "
			    "at most %lu unflushed at a time", tag,
			    (unsigned long)harvests, (unsigned long)flushes,
			    (unsigned long)st.max_pending))
			*ok = false;
		/* pageout_scan_one_flush_after_harvest: the batch's flush
		 * once came before its last harvest. */
		if (!tap_ok(st.pending == 0,
			    "clock %s: no reference bit left unflushed after the pass (%lu)",
			    tag, (unsigned long)st.pending))
			*ok = false;
	} else {
		/* Flushes only for page-out batches. */
		if (!tap_ok(harvests == 0 &&
			    flushes <= st.removals / SWAP_RUN_MAX + st.write_calls + 1,
			    "fifo %s: no reference bit read (%lu), flushes only for "
			    "page-out batches (%lu)", tag,
			    (unsigned long)harvests, (unsigned long)flushes))
			*ok = false;
	}
	return freed;
}

/* Anons that are not resident form a prefix of the allocation order among
 * those that count (cold ones only, or all). */
static bool evicted_prefix(bool cold_only, size_t *nout)
{
	bool seen_resident = false;

	*nout = 0;
	for (size_t i = 0; i < nmodel; i++) {
		const struct manon *m = &model[i];

		if (m->anon == NULL || (cold_only && m->hot))
			continue;
		if (resident(m))
			seen_resident = true;
		else if (seen_resident)
			return false;
		else
			(*nout)++;
	}
	return true;
}

static size_t hot_evicted(void)
{
	size_t n = 0;

	for (size_t i = 0; i < nmodel; i++)
		n += model[i].hot && model[i].anon != NULL && !resident(&model[i]);
	return n;
}

static size_t cold_resident(void)
{
	size_t n = 0;

	for (size_t i = 0; i < nmodel; i++)
		n += !model[i].hot && resident(&model[i]);
	return n;
}

/* Every anon gone, every page and slot back, the swap area detached. */
static void teardown(const char *what)
{
	for (size_t i = 0; i < nmodel; i++)
		if (model[i].anon != NULL)
			anon_unref(model[i].anon);
	nmodel = 0;
	memset(referenced, 0, sizeof(referenced));
	memset(modified, 0, sizeof(modified));
	vm_page_check();
	tap_ok(anon_count() == 0 && vm_object_count() == 0 && swap_check() == 0 && swap_free_pages() ==
	       swap_total_pages() && swap_detach() == 0 &&
	       vm_page_free_count() + kmem_pages() == base_pages &&
	       kmem_objects_inuse() == base_objs &&
	       vm_page_queue_count(PQ_ACTIVE) + vm_page_queue_count(PQ_INACTIVE) == 0,
	       "%s: every anon, page, slot and queue entry back", what);
}

/* Is pg (or any page, pg NULL) the resident page of obj at index idx? */
static bool resident_in(struct vm_object *obj, size_t idx, struct vm_page *pg)
{
	struct vm_page *p = NULL;

	if (idx / VM_OBJECT_CHUNK_PAGES < obj->nchunks &&
	    obj->chunks[idx / VM_OBJECT_CHUNK_PAGES] != NULL)
		p = obj->chunks[idx / VM_OBJECT_CHUNK_PAGES][idx % VM_OBJECT_CHUNK_PAGES];
	return p != NULL && (pg == NULL || p == pg);
}

/* ---------------------------------------------------------------- tests */

/* The clock: a hot quarter of the anons stays resident while cold ones
 * exist, the oldest cold ones go first, to swap with their data. */
static void test_clock(void)
{
	bool ok, all_ok = true, sm;
	size_t n, nout;
	struct vm_zone_info zi;

	set_policy("clock");
	tap_ok(vm_pageout_policy() == PAGEOUT_CLOCK && kthreads == 1,
	       "vm.policy=clock: clock, the daemon thread created once");
	if (!tap_ok(attach_swap(DISK_SLOTS - 1), "attach a %d-slot swap area", DISK_SLOTS - 1))
		return;
	n = fill(MAX_ANONS, true);
	zi = zone();
	tap_ok(n > RAM_PAGES / 2 && zi.free <= zi.wmark_low,
	       "filled the zone with %zu anons: free %lu, watermarks %lu/%lu/%lu", n,
	       (unsigned long)zi.free, (unsigned long)zi.wmark_min,
	       (unsigned long)zi.wmark_low, (unsigned long)zi.wmark_high);
	for (int round = 0; round < CLOCK_ROUNDS; round++) {
		char tag[32];
		uint64_t freed;

		snprintf(tag, sizeof(tag), "round %d", round);
		freed = checked_pass(&ok, &sm, tag, 0);
		all_ok &= ok;
		zi = zone();
		all_ok &= tap_ok(freed > 0 && zi.free >= zi.wmark_high && !sm,
				 "clock %s: freed %lu, zone back at %lu >= high %lu", tag,
				 (unsigned long)freed, (unsigned long)zi.free,
				 (unsigned long)zi.wmark_high);
		all_ok &= tap_ok(hot_evicted() == 0 && cold_resident() > 0,
				 "clock %s: no hot page taken (%zu), %zu cold ones left",
				 tag, hot_evicted(), cold_resident());
		bool prefix = evicted_prefix(true, &nout);

		all_ok &= tap_ok(prefix && nout > 0,
				 "clock %s: the %zu cold anons on swap are the oldest",
				 tag, nout);
		if (round + 1 < CLOCK_ROUNDS)
			fill(MAX_ANONS, true);  /* the workload takes it again */
	}
	tap_ok(all_ok, "clock: %d rounds, all checks passed", CLOCK_ROUNDS);

	/* Second chance: the next victim, referenced once, is passed over;
	 * cold anons younger than it go instead. */
	struct manon *w = NULL;
	size_t younger_out = 0;

	for (size_t i = 0; i < nmodel && w == NULL; i++)
		if (!model[i].hot && resident(&model[i]))
			w = &model[i];
	fill(MAX_ANONS, true);
	warm = w;
	checked_pass(&ok, &sm, "second chance", 0);
	for (size_t i = (size_t)(w - model) + 1; i < nmodel; i++)
		younger_out += !model[i].hot && !resident(&model[i]);
	tap_ok(ok && resident(w) && w->anon->page->queue == PQ_ACTIVE && younger_out > 0,
	       "the oldest cold page, referenced once, kept on the active queue; "
	       "%zu younger cold ones taken", younger_out);
}

/* Swap-in restores the exact pattern and keeps the slot (swap cache); the
 * clean ones are dropped again without a write, a modified one is
 * written anew. With every other page referenced, the clock still takes
 * the unreferenced ones first. */
static void test_swapin_and_cache(void)
{
	struct manon *in[16];
	swap_slot_t old_slot[16];
	unsigned old_writes[16];
	size_t nin = 0;
	uint64_t pswpin0 = vm_event_get(VM_EV_PSWPIN), reads0 = st.reads;
	bool ok = true, sm;

	for (size_t i = 0; i < nmodel && nin < 16; i++) {
		struct manon *m = &model[i];

		if (m->anon == NULL || resident(m))
			continue;
		old_slot[nin] = m->anon->slot;
		if (anon_swapin(m->anon) != 0) {
			ok = false;
			break;
		}
		old_writes[nin] = m->writes;
		in[nin++] = m;
	}
	for (size_t k = 0; k < nin; k++)
		ok &= resident(in[k]) && in[k]->anon->slot == old_slot[k] &&
		      has_pattern(page_words(in[k]->anon->page), in[k]->tag);
	tap_ok(ok && nin == 16 && vm_event_get(VM_EV_PSWPIN) - pswpin0 == nin &&
	       st.reads - reads0 == nin,
	       "swap-in of %zu anons: exact pattern back, slot kept (swap cache)", nin);
	/* A kernel store into half of them: new data, the slot now stale. */
	for (size_t k = 0; k < nin; k += 2) {
		in[k]->tag = next_tag++;
		in[k]->dirty = true;
		fill_pattern(page_words(in[k]->anon->page), in[k]->tag);
		modified[pfn(in[k]->anon->page)] = true;
	}
	/* Everything else is hot now; take the memory back. */
	for (size_t i = 0; i < nmodel; i++)
		model[i].hot = true;
	for (size_t k = 0; k < nin; k++)
		in[k]->hot = false;
	fill(MAX_ANONS, false);
	for (size_t i = 0; i < nmodel; i++)
		model[i].hot = true;
	for (size_t k = 0; k < nin; k++)
		in[k]->hot = false;
	checked_pass(&ok, &sm, "swap cache", 0);
	bool gone = true, clean_kept = true, dirty_written = true;

	for (size_t k = 0; k < nin; k++) {
		struct manon *m = in[k];

		gone &= !resident(m);
		if (k % 2 == 1)
			clean_kept &= m->anon->slot == old_slot[k] &&
				      m->writes == old_writes[k];
		else
			dirty_written &= m->writes == old_writes[k] + 1 &&
					 has_pattern(slot_words(m->anon->slot), m->tag);
		m->dirty = false;
	}
	tap_ok(gone, "the %zu unreferenced pages went before any referenced one", nin);
	tap_ok(clean_kept, "clean swap-cache pages dropped without a write, slot kept");
	tap_ok(dirty_written, "modified swap-cache pages written again with the new data");
	struct vm_zone_info zi = zone();
	tap_ok(zi.free >= zi.wmark_high,
	       "with only referenced pages left the clock still frees (second chance)");
	for (size_t i = 0; i < nmodel; i++)
		model[i].hot = false;

	/* Every anon back in, one by one, a pass whenever memory runs out
	 * (taking others out again): each comes back with its exact data. */
	size_t back = 0, bad = 0, passes = 0;

	for (size_t i = 0; i < nmodel && bad == 0; i++) {
		struct manon *m = &model[i];
		int err;

		if (m->anon == NULL || resident(m))
			continue;
		while ((err = anon_swapin(m->anon)) == -ENOMEM && passes < 4 * nmodel) {
			checked_pass(&ok, &sm, "swap-in all", 0);
			bad += !ok;
			passes++;
		}
		if (err != 0 || !resident(m) || !has_pattern(page_words(m->anon->page), m->tag))
			bad++;
		back++;
	}
	tap_ok(bad == 0 && back > 0 && passes > 0,
	       "every anon on swap read back intact (%zu, with %zu passes between)",
	       back, passes);
	teardown("clock");
}

/* Held pages, pages whose anon is locked, and a busy page in a swap-in
 * are skipped and requeued; an anon dropped during its write is freed
 * with its slot. */
static void test_skips(void)
{
	struct manon *held[8], *locked[4];
	struct vm_page *hp[8];
	bool ok = true, sm;

	if (!tap_ok(attach_swap(DISK_SLOTS - 1), "attach a swap area again"))
		return;
	fill(MAX_ANONS, false);
	for (int k = 0; k < 8; k++) {
		held[k] = &model[k];
		ok &= anon_page_hold(held[k]->anon, &hp[k]) == 0;
	}
	for (int k = 0; k < 4; k++) {
		locked[k] = &model[8 + k];
		spin_lock(&locked[k]->anon->lock);
	}
	tap_ok(ok, "hold the 8 oldest anons' pages, lock the next 4 anons");
	/* All cold: the clock would take the oldest first. */
	checked_pass(&ok, &sm, "held", 0);
	bool kept = true;

	for (int k = 0; k < 8; k++)
		kept &= resident(held[k]) && held[k]->anon->page == hp[k] &&
			hp[k]->queue == PQ_ACTIVE && hp[k]->wire_count == 1;
	tap_ok(kept, "held pages stay resident, held, back on the active queue");
	kept = true;
	for (int k = 0; k < 4; k++) {
		kept &= resident(locked[k]) && locked[k]->anon->page->queue == PQ_ACTIVE;
		spin_unlock(&locked[k]->anon->lock);
	}
	tap_ok(kept, "pages of a locked anon stay, back on the active queue");
	tap_ok(!resident(&model[12]) && !resident(&model[13]),
	       "the pass went on past them to the next oldest");
	for (int k = 0; k < 8; k++)
		anon_page_release(held[k]->anon, hp[k]);

	/* A swap-in in flight (busy page on the active queue) while the
	 * daemon runs, every other page referenced. */
	struct manon *victim = NULL;

	for (size_t i = 0; i < nmodel && victim == NULL; i++)
		if (model[i].anon != NULL && !resident(&model[i]))
			victim = &model[i];
	fill(MAX_ANONS, false);
	for (size_t i = 0; i < nmodel; i++)
		model[i].hot = true;
	/* One page free above min: the swap-in gets it, then the zone is low. */
	for (size_t i = nmodel; i-- > 0;)
		if (resident(&model[i])) {
			anon_unref(model[i].anon);
			model[i].anon = NULL;
			break;
		}
	mark_hot();
	pass_in_read = true;
	int err = victim ? anon_swapin(victim->anon) : -1;

	tap_ok(err == 0 && pass_in_read_freed > 0 && read_page_busy_after &&
	       resident(victim) && has_pattern(page_words(victim->anon->page), victim->tag),
	       "a page busy in swap-in is skipped by a pass (%lu freed) and read in intact",
	       (unsigned long)pass_in_read_freed);
	vm_page_check();
	const char *why = "(swap_check failed)";
	bool consistent = swap_check() == 0 && model_consistent(&why);

	tap_ok(consistent, "consistent after that %s", why);
	for (size_t i = 0; i < nmodel; i++)
		model[i].hot = false;

	/* The last reference of an anon goes while its page is written. */
	fill(MAX_ANONS, false);
	unref_in_write = true;
	unref_victim = NULL;
	checked_pass(&ok, &sm, "unref in write", 0);
	tap_ok(unref_victim != NULL && ok,
	       "an anon freed during its page-out: page, slot and anon freed once");
	/* The same during a failed write: undone, then freed. */
	fill(MAX_ANONS, false);
	unref_in_write = true;
	unref_victim = NULL;
	fail_writes = 1;
	uint64_t out0 = vm_event_get(VM_EV_PSWPOUT);

	uint64_t pw0 = st.pages_written;
	size_t undone;

	checked_pass(&ok, &sm, "write error", 1);
	bool undone_active = undone_on_active(&undone);

	tap_ok(unref_victim != NULL && fail_writes == 0 && ok &&
	       undone_active && undone == SWAP_RUN_MAX - 1 &&
	       vm_event_get(VM_EV_PSWPOUT) - out0 == st.pages_written - pw0,
	       "a failed write of %d pages: %zu stay resident on the active queue, "
	       "slots given back, the dropped anon freed", SWAP_RUN_MAX, undone);
	teardown("skips");
}

/* Swap full: the pass frees what it can, the rest stays resident on the
 * active queue, no slot leaks. */
static void test_swap_full(void)
{
	enum { TINY = 24 };
	bool ok, sm;
	uint64_t freed;

	if (!tap_ok(attach_swap(TINY), "attach a %d-slot swap area", TINY))
		return;
	fill(MAX_ANONS, false);
	freed = checked_pass(&ok, &sm, "tiny swap", 0);
	tap_ok(freed == TINY && swap_free_pages() == 0 && anon_swapped_count() == TINY,
	       "pass freed %lu pages = the %d slots, swap now full", (unsigned long)freed, TINY);
	size_t undone;
	bool undone_active = undone_on_active(&undone);

	/* oomkill_victim_is_the_hog_with_swap_full: a page is unmapped
	 * for page-out only while a slot is left for it; once resident
	 * and unmapped, the OOM killer no longer counted it. */
	tap_ok(undone == 0 && undone_active,
	       "no page unmapped for page-out without a slot for it (%zu)", undone);
	fill(MAX_ANONS, false);
	freed = checked_pass(&ok, &sm, "swap full", 0);
	undone_active = undone_on_active(&undone);
	tap_ok(freed == 0 && sm && swap_free_pages() == 0 && undone == 0,
	       "full swap, zone at min: nothing freed, short of memory reported, "
	       "no page left unmapped (%zu)", undone);
	teardown("swap full");
}

/* While swapoff empties the device (no new slots): clean swap-cache pages
 * still go without a write, every other page stays resident and active,
 * and no slot is taken. */
static void test_writes_off(void)
{
	enum { NIN = 8 };
	struct manon *in[NIN];
	size_t nin = 0, undone;
	bool ok, sm;
	uint64_t freed, w0, slots0;

	if (!tap_ok(attach_swap(DISK_SLOTS - 1), "attach a swap area for swapoff"))
		return;
	fill(MAX_ANONS, false);
	checked_pass(&ok, &sm, "before swapoff", 0);
	for (size_t i = 0; i < nmodel && nin < NIN; i++)
		if (model[i].anon != NULL && !resident(&model[i]) &&
		    anon_swapin(model[i].anon) == 0)
			in[nin++] = &model[i];
	fill(MAX_ANONS, false);
	swap_set_draining(true);        /* what sys_swapoff does first */
	w0 = st.write_calls;
	slots0 = swap_total_pages() - swap_free_pages();
	freed = checked_pass(&ok, &sm, "swapoff", 0);
	swap_set_draining(false);
	bool all_in_gone = nin == NIN;

	for (size_t k = 0; k < nin; k++)
		all_in_gone &= !resident(in[k]);
	bool undone_active = undone_on_active(&undone);

	tap_ok(ok && all_in_gone && freed == NIN && st.write_calls == w0 &&
	       swap_total_pages() - swap_free_pages() == slots0 &&
	       undone > 0 && undone_active,
	       "page-out with writes off: the %d swap-cache pages freed (%lu), no write, "
	       "no new slot, %zu pages tried and kept on the queues", NIN,
	       (unsigned long)freed, undone);
	teardown("swapoff");
}

/* ---- a file: an object with a pager over an in-memory store ---- */

#define FILE_PAGES      64

static uint8_t *file_store;                     /* FILE_PAGES pages */
static unsigned file_puts[FILE_PAGES];          /* successful writes */
static unsigned file_put_tries[FILE_PAGES];
static unsigned file_gets[FILE_PAGES];
static int file_put_fail;                       /* fail this many (-EIO) */
static bool file_put_bad;                       /* put without the lock held */

static bool file_has_page(struct vm_object *obj __unused, uint64_t off)
{
	return off / PAGE_SIZE < FILE_PAGES;    /* a file: every page on disk */
}

static int file_get_page(struct vm_object *obj __unused, uint64_t off,
			 struct vm_page *pg)
{
	if (off / PAGE_SIZE >= FILE_PAGES)
		return -EFAULT;
	file_gets[off / PAGE_SIZE]++;
	memcpy(page_words(pg), file_store + off, PAGE_SIZE);
	return 0;
}

static int file_put_page(struct vm_object *obj, uint64_t off, struct vm_page *pg)
{
	if (off / PAGE_SIZE >= FILE_PAGES || !mutex_holding(&obj->lock) ||
	    pg->owner != obj || pg->offset != off)
		file_put_bad = true;
	if (off / PAGE_SIZE >= FILE_PAGES)
		return -EIO;
	file_put_tries[off / PAGE_SIZE]++;
	if (file_put_fail > 0) {
		file_put_fail--;
		return -EIO;
	}
	file_puts[off / PAGE_SIZE]++;
	memcpy(file_store + off, page_words(pg), PAGE_SIZE);
	return 0;
}

static void file_destroy(struct vm_object *obj __unused)
{
}

static const struct pager_ops file_pager = {
	.name = "test-file",
	.has_page = file_has_page,
	.get_page = file_get_page,
	.put_page = file_put_page,
	.destroy = file_destroy,
};

/* The file page i holds pattern(file_tag[i]). */
static uint64_t file_tag[FILE_PAGES];

/* Object pages: clean ones dropped without a write, dirty ones (a store
 * through a mapping, or the DIRTY flag of write()) written through the
 * pager first, a failed write keeps the page resident, dirty and active,
 * and every page reads back with its last data. */
static void test_object_pages(void)
{
	struct vm_object *obj;
	struct vm_page *pg[FILE_PAGES];
	bool ok = true, sm;
	uint64_t objs0;

	if (!tap_ok(attach_swap(DISK_SLOTS - 1), "attach a swap area for the file test"))
		return;
	objs0 = kmem_objects_inuse();
	file_store = malloc((size_t)FILE_PAGES * PAGE_SIZE);
	obj = vm_object_create((uint64_t)FILE_PAGES * PAGE_SIZE, &file_pager, NULL);
	if (file_store == NULL || obj == NULL)
		abort();
	for (size_t i = 0; i < FILE_PAGES; i++) {
		file_tag[i] = 500000 + i;
		fill_pattern((uint64_t *)(file_store + i * PAGE_SIZE), file_tag[i]);
	}
	for (size_t i = 0; i < FILE_PAGES; i++) {
		ok &= vm_object_get_page(obj, i * PAGE_SIZE, &pg[i]) == 0 &&
		      has_pattern(page_words(pg[i]), file_tag[i]) && pg[i]->queue != PQ_NONE;
		if (i % 4 == 0 || i % 4 == 1) {         /* written */
			file_tag[i] = 600000 + i;
			fill_pattern(page_words(pg[i]), file_tag[i]);
			if (i % 4 == 0)
				modified[pfn(pg[i])] = true;    /* through a mapping */
		}
	}
	for (size_t i = 0; i < FILE_PAGES; i++) {
		if (i % 4 == 1)
			vm_object_page_dirty(obj, pg[i]);       /* write() */
		vm_object_release_page(obj, pg[i]);
	}
	extra_objs = kmem_objects_inuse() - objs0;
	tap_ok(ok && vm_object_resident_pages() == FILE_PAGES,
	       "%d file pages read in through the pager, on the page queues", FILE_PAGES);

	/* Oldest on the queues, all unreferenced: the first to go. The
	 * first write fails. */
	fill(MAX_ANONS, false);
	file_put_fail = 1;
	checked_pass(&ok, &sm, "file pages", 0);
	bool failed_kept = resident_in(obj, 0, pg[0]) && (pg[0]->flags & VM_PAGE_DIRTY) &&
			   pg[0]->queue == PQ_ACTIVE && file_put_tries[0] == 1 &&
			   file_puts[0] == 0;

	tap_ok(failed_kept, "a failed write leaves the page resident, dirty, on the active queue");
	for (int round = 0; round < 4 && vm_object_resident_pages() > 1; round++) {
		fill(MAX_ANONS, false);
		checked_pass(&ok, &sm, "file pages", 0);
	}
	bool clean_dropped = true, dirty_written = true;

	for (size_t i = 1; i < FILE_PAGES; i++) {
		if (i % 4 >= 2)
			clean_dropped &= file_put_tries[i] == 0 && !resident_in(obj, i, NULL);
		else
			dirty_written &= file_puts[i] == 1 && !resident_in(obj, i, NULL) &&
				has_pattern((uint64_t *)(file_store + i * PAGE_SIZE), file_tag[i]);
	}
	tap_ok(clean_dropped, "clean file pages dropped without a write");
	tap_ok(dirty_written && !file_put_bad,
	       "dirty ones (mapping or write()) written once through the pager, "
	       "with the object locked, then freed");

	/* Everything reads back with its last data (a pass when memory runs
	 * out). */
	size_t bad = 0;

	for (size_t i = 0; i < FILE_PAGES; i++) {
		struct vm_page *p;
		unsigned gets = file_gets[i];
		bool was_resident = resident_in(obj, i, NULL);
		int err;

		while ((err = vm_object_get_page(obj, i * PAGE_SIZE, &p)) == -ENOMEM)
			checked_pass(&ok, &sm, "file read-back", 0);
		if (err != 0 || !has_pattern(page_words(p), file_tag[i]) ||
		    file_gets[i] != gets + !was_resident)
			bad++;
		if (err == 0)
			vm_object_release_page(obj, p);
	}
	tap_ok(bad == 0, "every file page reads back with its last data");
	vm_object_unref(obj);
	extra_objs = 0;
	free(file_store);
	teardown("file pages");
}

/* FIFO ignores the reference bits: the oldest go first, hot or not. */
static void test_fifo(void)
{
	bool ok, sm;
	size_t nout;

	set_policy("fifo");
	tap_ok(vm_pageout_policy() == PAGEOUT_FIFO, "vm.policy=fifo selects FIFO");
	if (!tap_ok(attach_swap(DISK_SLOTS - 1), "attach a swap area for FIFO"))
		return;
	fill(MAX_ANONS, true);
	for (int round = 0; round < 3; round++) {
		checked_pass(&ok, &sm, "round", 0);
		fill(MAX_ANONS, true);
	}
	bool prefix = evicted_prefix(false, &nout);

	tap_ok(prefix && hot_evicted() > 0,
	       "fifo: the %zu evicted are the oldest, %zu hot ones among them",
	       nout, hot_evicted());
	teardown("fifo");
}

int main(void)
{
	setup();
	test_clock();
	test_swapin_and_cache();
	test_skips();
	test_swap_full();
	test_writes_off();
	test_object_pages();
	test_fifo();        /* last: vm_pageout_init never goes back to clock */
	return tap_done();
}
