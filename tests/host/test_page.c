/*
 * Host unit test of kernel/vm/page.c: buddy split and merge, zones and
 * their fallback, watermarks, page queues, and random traces checked
 * against a model. "Physical memory" is an aligned host buffer (see shim/).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "kernel/vm/page.h"
#include "kernel/vm/pmap.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/kva.h"
#include "kernel/lib/sbuf.h"
#include "kernel/fs/procfs_vm.h"
#include "tests/host/tap.h"

#define MiB             (1UL << 20)
#define RAM_ALIGN       (4 * MiB)       /* a max-order block */
#define TRACE_STEPS     4000
#define MAX_BLOCKS      8192

/* ---------------------------------------------------------------- stubs */

static int wakeups;

void vm_pageout_wakeup(void)
{
	wakeups++;
}

void pmap_zero_page(struct vm_page *pg)
{
	memset(PA_TO_KVA(vm_page_to_pa(pg)), 0, PAGE_SIZE);
}

uint64_t kmem_pages(void) { return 0; }
uint64_t kmem_objects_inuse(void) { return 0; }
uint64_t kva_stack_pages(void) { return 0; }
uint64_t pmap_ptp_count(void) { return 0; }

/* ---------------------------------------------------------------- helpers */

static char *ram;

/* A fresh fake RAM buffer of `bytes` (a multiple of RAM_ALIGN). */
static paddr_t ram_new(size_t bytes)
{
	free(ram);
	ram = aligned_alloc(RAM_ALIGN, bytes);
	if (ram == NULL)
		abort();
	memset(ram, 0x5a, bytes);
	return (paddr_t)(uintptr_t)ram;
}

static uint64_t array_pages(uint64_t npages)
{
	return (npages * sizeof(struct vm_page) + PAGE_SIZE - 1) / PAGE_SIZE;
}

static struct vm_zone_info zone_info(int z)
{
	struct vm_zone_info zi;

	vm_zone_get_info(z, &zi);
	return zi;
}

static bool nfree_equal(const struct vm_zone_info *a, const struct vm_zone_info *b)
{
	return memcmp(a->nfree, b->nfree, sizeof(a->nfree)) == 0 && a->free == b->free;
}

/* Deterministic random numbers (xorshift), so failures repeat. */
static uint64_t rng_state = 88172645463325252ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void shuffle(struct vm_page **v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = rng() % i;
		struct vm_page *t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* ---------------------------------------------------------------- tests */

/* One max-order block plus a little: split and merge are exact. */
static void test_split_merge(void)
{
	paddr_t base = ram_new(8 * MiB);
	struct mem_range r = { base + 4 * MiB - 128 * 1024, base + 8 * MiB };
	uint64_t npages = (r.end - r.start) / PAGE_SIZE;
	struct vm_zone_info before, after;
	static struct vm_page *pages[2048];
	struct vm_page *pg;
	size_t n = 0;
	bool split_ok = true;

	vm_page_init_zones(&r, 1, NULL, 0, PAGE_SIZE);
	vm_page_check();
	before = zone_info(ZONE_NORMAL);
	tap_ok(before.present == npages && before.managed == npages - array_pages(npages),
	       "init: present %lu managed %lu (page array carved out)",
	       (unsigned long)before.present, (unsigned long)before.managed);
	tap_ok(before.nfree[VM_PAGE_MAX_ORDER] == 1, "init: one max-order block");

	pg = vm_page_alloc(5, VM_ZONE_ANY, 0);
	after = zone_info(ZONE_NORMAL);
	for (int k = 5; k < VM_PAGE_MAX_ORDER; k++)
		split_ok &= after.nfree[k] == before.nfree[k] + 1;
	tap_ok(pg != NULL && pg->pa == base + 4 * MiB && split_ok &&
	       after.nfree[VM_PAGE_MAX_ORDER] == 0 && after.free == before.free - 32,
	       "buddy split: order 10 -> one block of each order 5..9 left over");
	vm_page_check();
	vm_page_free(pg, 5);
	after = zone_info(ZONE_NORMAL);
	tap_ok(nfree_equal(&before, &after), "buddy merge: back to the order-10 block");

	while ((pg = vm_page_alloc(0, VM_ZONE_ANY, 0)) != NULL)
		pages[n++] = pg;
	tap_ok(n == before.managed && vm_page_free_count() == 0,
	       "every managed page allocated one by one (%zu)", n);
	vm_page_check();
	shuffle(pages, n);
	for (size_t i = 0; i < n; i++)
		vm_page_free(pages[i], 0);
	vm_page_check();
	after = zone_info(ZONE_NORMAL);
	tap_ok(nfree_equal(&before, &after) && after.nfree[VM_PAGE_MAX_ORDER] == 1,
	       "freed in random order: coalesced back to one order-10 block");
	tap_ok(vm_page_alloc(VM_PAGE_MAX_ORDER + 1, VM_ZONE_ANY, 0) == NULL,
	       "order above the maximum refused");
}

static bool in_range(paddr_t pa, const struct mem_range *r)
{
	return pa + PAGE_SIZE > r->start && pa < r->end;
}

/* A RAM range crossing the zone boundary, reserved ranges, fallback. */
static void test_zones(void)
{
	paddr_t base = ram_new(16 * MiB), limit = base + 8 * MiB;
	struct mem_range r = { base, base + 16 * MiB };
	struct mem_range rsv[2] = {
		{ base + MiB, base + MiB + 5 * PAGE_SIZE + 100 },       /* 6 pages */
		{ base + 12 * MiB + 3 * PAGE_SIZE, base + 12 * MiB + 4 * PAGE_SIZE },
	};
	static struct vm_page *pages[4096];
	struct vm_zone_info dma, normal;
	struct vm_page *pg;
	size_t n = 0, nnormal;
	bool ok = true;

	vm_page_init_zones(&r, 1, rsv, 2, limit);
	vm_page_check();
	dma = zone_info(ZONE_DMA32);
	normal = zone_info(ZONE_NORMAL);
	tap_ok(dma.present == 2048 && normal.present == 2048,
	       "range crossing the boundary split into two zones");
	tap_ok(dma.managed == 2048 - array_pages(2048) - 6 &&
	       normal.managed == 2048 - array_pages(2048) - 1,
	       "managed = present - page array - reserved (%lu, %lu)",
	       (unsigned long)dma.managed, (unsigned long)normal.managed);
	tap_ok(vm_page_from_pa(limit)->zone == ZONE_NORMAL &&
	       vm_page_from_pa(limit - PAGE_SIZE)->zone == ZONE_DMA32 &&
	       vm_page_from_pa(base - PAGE_SIZE) == NULL &&
	       vm_page_from_pa(base + 16 * MiB) == NULL &&
	       vm_page_from_pa(base + 5 * PAGE_SIZE + 7)->pa == base + 5 * PAGE_SIZE,
	       "vm_page_from_pa finds the zone and frame, NULL outside RAM");
	tap_ok((vm_page_from_pa(rsv[0].start + 5 * PAGE_SIZE)->flags & VM_PAGE_RESERVED) &&
	       (vm_page_from_pa(rsv[1].start)->flags & VM_PAGE_RESERVED) &&
	       !(vm_page_from_pa(rsv[1].end)->flags & VM_PAGE_RESERVED),
	       "reserved ranges marked, rounded out to whole pages");

	pg = vm_page_alloc(0, VM_ZONE_ANY, 0);
	tap_ok(pg && pg->zone == ZONE_NORMAL && pg->pa >= limit, "ANY tries NORMAL first");
	pages[n++] = pg;
	pg = vm_page_alloc(0, VM_ZONE_DMA32, 0);
	tap_ok(pg && pg->zone == ZONE_DMA32 && pg->pa < limit, "DMA32 mask gets DMA32");
	pages[n++] = pg;
	tap_ok(vm_page_alloc(0, 0, 0) == NULL, "empty zone mask refused");

	while ((pg = vm_page_alloc(0, VM_ZONE_NORMAL, 0)) != NULL)
		pages[n++] = pg;
	nnormal = n - 1;
	tap_ok(nnormal == normal.managed && zone_info(ZONE_NORMAL).free == 0,
	       "NORMAL exhausted by kernel allocations");
	pg = vm_page_alloc(0, VM_ZONE_ANY, 0);
	tap_ok(pg && pg->zone == ZONE_DMA32, "ANY falls back to DMA32 when NORMAL is empty");
	pages[n++] = pg;
	tap_ok(vm_page_alloc(0, VM_ZONE_NORMAL, 0) == NULL, "NORMAL-only refused then");
	while ((pg = vm_page_alloc(0, VM_ZONE_ANY, 0)) != NULL)
		pages[n++] = pg;
	tap_ok(n == dma.managed + normal.managed && vm_page_free_count() == 0,
	       "all managed pages handed out");
	for (size_t i = 0; i < n; i++) {
		ok &= !(pages[i]->flags & (VM_PAGE_RESERVED | VM_PAGE_FREE));
		ok &= !in_range(pages[i]->pa, &rsv[0]) && !in_range(pages[i]->pa, &rsv[1]);
		ok &= vm_page_from_pa(pages[i]->pa) == pages[i];
	}
	tap_ok(ok, "no reserved frame or page-array frame was handed out");
	vm_page_check();
	shuffle(pages, n);
	for (size_t i = 0; i < n; i++)
		vm_page_free(pages[i], 0);
	vm_page_check();
	tap_ok(zone_info(ZONE_DMA32).free == dma.managed &&
	       zone_info(ZONE_NORMAL).free == normal.managed,
	       "everything freed, both zones full again");
	{
		struct vm_zone_info d2 = zone_info(ZONE_DMA32), n2 = zone_info(ZONE_NORMAL);

		tap_ok(nfree_equal(&dma, &d2) && nfree_equal(&normal, &n2),
		       "free lists coalesced back to their initial shape");
	}
}

/* Two adjacent RAM ranges: blocks never merge across segments. */
static void test_two_ranges(void)
{
	paddr_t base = ram_new(8 * MiB);
	struct mem_range r[2] = { { base, base + 4 * MiB }, { base + 4 * MiB, base + 8 * MiB } };
	static struct vm_page *pages[2048];
	struct vm_zone_info before, after;
	struct vm_page *pg;
	size_t n = 0;

	vm_page_init_zones(r, 2, NULL, 0, PAGE_SIZE);
	before = zone_info(ZONE_NORMAL);
	while ((pg = vm_page_alloc(0, VM_ZONE_ANY, 0)) != NULL)
		pages[n++] = pg;
	shuffle(pages, n);
	for (size_t i = 0; i < n; i++)
		vm_page_free(pages[i], 0);
	vm_page_check();
	after = zone_info(ZONE_NORMAL);
	tap_ok(n == 2 * (1024 - array_pages(1024)) && nfree_equal(&before, &after) &&
	       after.nfree[VM_PAGE_MAX_ORDER] == 0,
	       "two ranges: own page arrays, no merge across them");
}

/* User allocations stop at min; kernel ones may use the reserve. */
static void test_watermarks(void)
{
	paddr_t base = ram_new(16 * MiB);
	struct mem_range r = { base, base + 16 * MiB };
	static struct vm_page *pages[4096];
	struct vm_zone_info zi, now;
	struct vm_page *pg;
	size_t nuser = 0, n = 0;

	vm_page_init_zones(&r, 1, NULL, 0, PAGE_SIZE);
	zi = zone_info(ZONE_NORMAL);
	tap_ok(zi.wmark_min == zi.managed / 128 && zi.wmark_min > 0 &&
	       zi.wmark_low > zi.wmark_min && zi.wmark_high > zi.wmark_low,
	       "watermarks min %lu low %lu high %lu from %lu managed",
	       (unsigned long)zi.wmark_min, (unsigned long)zi.wmark_low,
	       (unsigned long)zi.wmark_high, (unsigned long)zi.managed);
	wakeups = 0;
	while ((pg = vm_page_alloc(0, VM_ZONE_ANY, VM_ALLOC_USER)) != NULL)
		pages[n++] = pg;
	nuser = n;
	now = zone_info(ZONE_NORMAL);
	tap_ok(now.free == zi.wmark_min, "user allocations refused at min (free %lu)",
	       (unsigned long)now.free);
	for (size_t i = 0; i < nuser; i++)
		vm_page_activate(pages[i]);
	tap_ok(vm_page_queue_count(PQ_ACTIVE) == nuser, "user pages are on the active queue");
	tap_ok(now.low_events == 1 && (uint64_t)wakeups == zi.wmark_low - zi.wmark_min,
	       "one low-watermark event, a page-daemon wake-up per allocation below low "
	       "(%d)", wakeups);
	tap_ok(vm_page_alloc(1, VM_ZONE_ANY, VM_ALLOC_USER) == NULL, "user order 1 refused too");
	while ((pg = vm_page_alloc(0, VM_ZONE_ANY, 0)) != NULL)
		pages[n++] = pg;
	tap_ok(n - nuser == zi.wmark_min && zone_info(ZONE_NORMAL).free == 0,
	       "kernel allocations dip below min down to empty");
	tap_ok(zone_info(ZONE_NORMAL).alloc_fail >= 3, "refusals counted");
	for (size_t i = 0; i < n; i++)
		vm_page_free(pages[i], 0);
	tap_ok(vm_page_queue_count(PQ_ACTIVE) == 0, "freeing takes pages off the queues");
	n = 0;
	while (zone_info(ZONE_NORMAL).free >= zi.wmark_low)
		pages[n++] = vm_page_alloc(0, VM_ZONE_ANY, 0);
	tap_ok(zone_info(ZONE_NORMAL).low_events == 2, "a second fall below low counted");
	for (size_t i = 0; i < n; i++)
		vm_page_free(pages[i], 0);
	vm_page_check();
}

static void test_queues_and_zero(void)
{
	paddr_t base = ram_new(4 * MiB);
	struct mem_range r = { base, base + 4 * MiB };
	struct vm_page *pg, *big;
	unsigned char *p;
	bool zero = true;

	vm_page_init_zones(&r, 1, NULL, 0, PAGE_SIZE);
	pg = vm_page_alloc1(VM_ALLOC_USER);
	tap_ok(pg && pg->queue == PQ_NONE && vm_page_queue_count(PQ_ACTIVE) == 0,
	       "a VM_ALLOC_USER page waits for its owner to queue it");
	vm_page_activate(pg);
	tap_ok(pg->queue == PQ_ACTIVE && vm_page_queue_count(PQ_ACTIVE) == 1 &&
	       vm_zone_queue_count(pg->zone, PQ_ACTIVE) == 1,
	       "activate puts it on its zone's active queue");
	vm_page_check();
	vm_page_deactivate(pg);
	tap_ok(vm_page_queue_count(PQ_ACTIVE) == 0 && vm_page_queue_count(PQ_INACTIVE) == 1,
	       "deactivate moves it to inactive");
	vm_page_activate(pg);
	vm_page_dequeue(pg);
	tap_ok(pg->queue == PQ_NONE && vm_page_queue_count(PQ_ACTIVE) == 0,
	       "dequeue takes it off");
	vm_page_free(pg, 0);
	big = vm_page_alloc(2, VM_ZONE_ANY, VM_ALLOC_USER);
	for (int i = 0; i < 4; i++)
		vm_page_activate(big + i);
	tap_ok(vm_page_queue_count(PQ_ACTIVE) == 4, "an order-2 user block queues 4 pages");
	vm_page_check();
	vm_page_free(big, 2);
	tap_ok(vm_page_queue_count(PQ_ACTIVE) == 0, "and freeing it dequeues them");

	big = vm_page_alloc(3, VM_ZONE_ANY, 0);
	memset(PA_TO_KVA(big->pa), 0xff, 8 * PAGE_SIZE);
	vm_page_free(big, 3);
	big = vm_page_alloc(3, VM_ZONE_ANY, VM_ALLOC_ZERO);
	p = PA_TO_KVA(big->pa);
	for (size_t i = 0; i < 8 * PAGE_SIZE; i++)
		zero &= p[i] == 0;
	tap_ok(zero, "VM_ALLOC_ZERO zeroes the whole block");
	vm_page_free(big, 3);
	vm_page_check();
}

/* The child runs fn; returns true if it died of a signal (a panic). */
static bool panics(void (*fn)(void))
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stderr);
		fn();
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return WIFSIGNALED(status);
}

static void double_free(void)
{
	struct vm_page *pg = vm_page_alloc1(0);

	vm_page_free(pg, 0);
	vm_page_free(pg, 0);
}

static void free_reserved(void)
{
	vm_page_free(vm_page_from_pa((paddr_t)(uintptr_t)ram), 0);
}

static void test_panics(void)
{
	paddr_t base = ram_new(4 * MiB);
	struct mem_range r = { base, base + 4 * MiB };

	vm_page_init_zones(&r, 1, NULL, 0, PAGE_SIZE);
	tap_ok(panics(double_free), "double free panics");
	tap_ok(panics(free_reserved), "freeing a reserved frame (the page array) panics");
}

/* ---------------------------------------------------------------- trace */

struct block {
	struct vm_page *pg;
	unsigned order;
	uint64_t tag;
};

static struct block blocks[MAX_BLOCKS];
static size_t nblocks;
static uint32_t *owner;         /* block tag + 1 per frame of the fake RAM */
static paddr_t trace_base;

static size_t frame(paddr_t pa)
{
	return (pa - trace_base) / PAGE_SIZE;
}

/* Could an allocation of this order, mask and flags have failed? */
static bool refusal_legal(unsigned order, unsigned mask, int flags)
{
	for (int z = 0; z < VM_NZONES; z++) {
		struct vm_zone_info zi = zone_info(z);
		bool block = false;

		if (!(mask & (1u << z)))
			continue;
		for (unsigned k = order; k < VM_PAGE_NORDERS; k++)
			block |= zi.nfree[k] > 0;
		if (block && !((flags & VM_ALLOC_USER) && zi.free - (1UL << order) < zi.wmark_min))
			return false;
	}
	return true;
}

static bool trace_alloc(uint64_t tag)
{
	static const unsigned masks[] = { VM_ZONE_ANY, VM_ZONE_DMA32, VM_ZONE_NORMAL };
	uint64_t r = rng() % 100;
	unsigned order = r < 70 ? 0 : r < 90 ? 1 + rng() % 3 : 4 + rng() % 7;
	unsigned mask = masks[rng() % 3];
	int flags = (rng() % 10 < 3 ? VM_ALLOC_USER : 0) | (rng() % 10 < 2 ? VM_ALLOC_ZERO : 0);
	struct vm_page *pg = vm_page_alloc(order, mask, flags);
	bool ok = true;

	if (pg == NULL)
		return refusal_legal(order, mask, flags);
	ok &= (mask & (1u << pg->zone)) && (pg->pa & ((PAGE_SIZE << order) - 1)) == 0;
	for (size_t i = 0; i < (1UL << order); i++) {
		uint64_t *word = PA_TO_KVA(pg->pa + i * PAGE_SIZE);

		ok &= owner[frame(pg->pa) + i] == 0;
		if (flags & VM_ALLOC_ZERO)
			ok &= word[0] == 0 && word[PAGE_SIZE / 8 - 1] == 0;
		owner[frame(pg->pa) + i] = (uint32_t)tag + 1;
		word[0] = tag;
	}
	blocks[nblocks++] = (struct block){ pg, order, tag };
	return ok;
}

static bool trace_free(size_t i)
{
	struct block b = blocks[i];
	bool ok = true;

	for (size_t j = 0; j < (1UL << b.order); j++) {
		uint64_t *word = PA_TO_KVA(b.pg->pa + j * PAGE_SIZE);

		ok &= word[0] == b.tag && owner[frame(b.pg->pa) + j] == (uint32_t)b.tag + 1;
		owner[frame(b.pg->pa) + j] = 0;
	}
	vm_page_free(b.pg, b.order);
	blocks[i] = blocks[--nblocks];
	return ok;
}

static uint64_t model_allocated(void)
{
	uint64_t n = 0;

	for (size_t i = 0; i < nblocks; i++)
		n += 1UL << blocks[i].order;
	return n;
}

static void test_trace(void)
{
	size_t bytes = 16 * MiB;
	paddr_t base = ram_new(bytes);
	struct mem_range r = { base, base + bytes };
	struct mem_range rsv = { base + 3 * MiB + 12345, base + 3 * MiB + 99999 };
	struct vm_zone_info d0, n0, d1, n1;
	uint64_t total;
	bool ok = true, counts = true;
	int steps = 0;

	trace_base = base;
	owner = calloc(bytes / PAGE_SIZE, sizeof(*owner));
	vm_page_init_zones(&r, 1, &rsv, 1, base + 6 * MiB);
	d0 = zone_info(ZONE_DMA32);
	n0 = zone_info(ZONE_NORMAL);
	total = vm_page_total_count();
	nblocks = 0;
	for (steps = 0; steps < TRACE_STEPS && ok && counts; steps++) {
		if (nblocks == 0 || (nblocks < MAX_BLOCKS && rng() % 100 < 55))
			ok = trace_alloc((uint64_t)steps);
		else
			ok = trace_free(rng() % nblocks);
		vm_page_check();
		counts = vm_page_free_count() == total - model_allocated();
	}
	tap_ok(ok && counts, "random trace of %d steps agrees with the model", steps);
	while (nblocks > 0 && ok)
		ok = trace_free(nblocks - 1);
	vm_page_check();
	d1 = zone_info(ZONE_DMA32);
	n1 = zone_info(ZONE_NORMAL);
	tap_ok(ok && nfree_equal(&d0, &d1) && nfree_equal(&n0, &n1),
	       "after the trace every block coalesced back");
	free(owner);
}

/* ---------------------------------------------------------------- /proc */

static void test_display(void)
{
	paddr_t base = ram_new(8 * MiB);
	struct mem_range r = { base, base + 8 * MiB };
	struct vm_zone_info d, n;
	struct sbuf sb;
	char want[128];

	vm_page_init_zones(&r, 1, NULL, 0, base + 4 * MiB);
	d = zone_info(ZONE_DMA32);
	n = zone_info(ZONE_NORMAL);
	sbuf_init(&sb);
	tap_ok(procfs_vm_zoneinfo(&sb) == 0, "zoneinfo built");
	snprintf(want, sizeof(want), "Node 0, zone    DMA32\n  pages free     %lu\n"
		 "        min      %lu\n", (unsigned long)d.free, (unsigned long)d.wmark_min);
	tap_ok(strstr(sb.buf, want) != NULL, "zoneinfo: DMA32 in the Linux layout");
	snprintf(want, sizeof(want), "        managed  %lu\n", (unsigned long)n.managed);
	tap_ok(strstr(sb.buf, "Node 0, zone   Normal\n") && strstr(sb.buf, want),
	       "zoneinfo: Normal zone and managed line");
	sbuf_free(&sb);

	sbuf_init(&sb);
	procfs_vm_buddyinfo(&sb);
	snprintf(want, sizeof(want), "Node 0, zone    DMA32 %6lu ", (unsigned long)d.nfree[0]);
	tap_ok(strncmp(sb.buf, want, strlen(want)) == 0 &&
	       strstr(sb.buf, "\nNode 0, zone   Normal ") != NULL,
	       "buddyinfo: one line per zone");
	sbuf_free(&sb);

	sbuf_init(&sb);
	procfs_vm_meminfo(&sb);
	snprintf(want, sizeof(want), "MemTotal:       %8lu kB\n",
		 (unsigned long)(d.managed + n.managed) * 4);
	tap_ok(strncmp(sb.buf, want, strlen(want)) == 0 && strstr(sb.buf, "\nMemFree:") &&
	       strstr(sb.buf, "\nFreePages:") && strstr(sb.buf, "\nSlab:") &&
	       strstr(sb.buf, "\nSlabObjects:") && strstr(sb.buf, "\nKernelStack:") &&
	       strstr(sb.buf, "\nPageTables:"),
	       "meminfo: Linux-style lines");
	sbuf_free(&sb);

	sbuf_init(&sb);
	procfs_vm_vmstat(&sb);
	tap_ok(strstr(sb.buf, "nr_free_pages ") != NULL, "vmstat built");
	sbuf_free(&sb);
}

/* Issue 6 point 11: RAM beyond the direct map is cut off before the page
 * arrays are built, and the bytes dropped are counted. */
static void test_clamp_ranges(void)
{
	const paddr_t gib = 1UL << 30, limit = 128 * gib;
	struct mem_range r[3] = {
		{ 2 * gib, 4 * gib },
		{ limit - gib, limit + 2 * gib },
		{ limit + 4 * gib, limit + 5 * gib },
	};
	int n = 3;

	tap_ok(vm_page_clamp_ranges(r, &n, limit) == 3 * gib,
	       "clamp: the 3 GiB above the limit dropped");
	tap_ok(n == 2 && r[0].start == 2 * gib && r[0].end == 4 * gib,
	       "clamp: a range below the limit is kept whole");
	tap_ok(r[1].start == limit - gib && r[1].end == limit,
	       "clamp: a range across the limit ends at it");
	tap_ok(vm_page_clamp_ranges(r, &n, limit) == 0 && n == 2,
	       "clamp: nothing more to drop the second time");
}

int main(void)
{
	test_clamp_ranges();
	test_split_merge();
	test_zones();
	test_two_ranges();
	test_watermarks();
	test_queues_and_zero();
	test_panics();
	test_trace();
	test_display();
	free(ram);
	return tap_done();
}
