/*
 * Host unit test of copy-on-write reference counting in amaps and anons
 * (kernel/vm/amap.c, anon.c) against a reference model. Several "processes"
 * each hold one amap; a random trace forks them (amap_copy, or the eager
 * amap_copy_eager), writes pages the way vm_fault does (zero fill, copy of
 * an anon whose refcnt > 1, in place otherwise), drops ranges and exits.
 * After every step each slot's anon, its contents and its reference count,
 * which slots share one anon, and the in-use counters must match the model;
 * at the end every page and object is back. Prints TAP.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/vm/page.h"
#include "kernel/vm/pmap.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/amap.h"
#include "kernel/vm/anon.h"
#include "tests/host/tap.h"

#define MiB             (1UL << 20)
#define RAM_SIZE        (32 * MiB)
#define RAM_ALIGN       (4 * MiB)
#define NPROC           6
#define NSLOTS          (AMAP_CHUNK_SLOTS + 88)         /* two chunks */
#define MAX_ANONS       (NPROC * NSLOTS * 4 + 1)        /* model ids */
#define TRACE_STEPS     6000

/* ---------------------------------------------------------------- stubs */

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

/* ---------------------------------------------------------------- model */

/* A model anon: how many slots hold it and the tag its page holds. Id 0
 * means "no anon". Ids are never reused. */
static struct {
	int refcnt;
	uint64_t tag;
	struct anon *real;      /* seen at the last check, for sharing */
} manon[MAX_ANONS];
static size_t nmanon = 1;

/* Each process: alive or not, and the model id at each slot. */
static struct {
	bool alive;
	size_t id[NSLOTS];
} mproc[NPROC];

static struct amap *am[NPROC];
static uint64_t copies_expected, copies_done;

static char *ram;
static uint64_t free_base, objs_base;
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(uint64_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state % n;
}

static uint64_t *words(struct anon *anon)
{
	return PA_TO_KVA(vm_page_to_pa(anon->page));
}

static size_t model_new(uint64_t tag)
{
	if (nmanon == MAX_ANONS)
		abort();
	manon[nmanon].refcnt = 1;
	manon[nmanon].tag = tag;
	return nmanon++;
}

/* ---------------------------------------------------------------- ops */

/* Fork p into the free slot q: copy-on-write or eager. */
static void op_fork(int p, int q, bool eager)
{
	int err = eager ? amap_copy_eager(am[p], 0, NSLOTS, 0, &am[q])
			: amap_copy(am[p], 0, NSLOTS, 0, &am[q]);

	if (err)
		abort();
	mproc[q].alive = true;
	for (size_t s = 0; s < NSLOTS; s++) {
		size_t id = mproc[p].id[s];

		if (id != 0 && eager)
			id = model_new(manon[id].tag);
		else if (id != 0)
			manon[id].refcnt++;
		mproc[q].id[s] = id;
	}
}

/* A write of tag to slot s of p, resolved as vm_fault resolves it: zero
 * fill an empty slot, copy an anon other slots share, else write in place.
 * The model predicts which; the test counts both. */
static void op_write(int p, size_t s, uint64_t tag)
{
	struct anon *anon = amap_lookup(am[p], s), *copy;
	size_t id = mproc[p].id[s];

	if (anon == NULL) {
		anon = anon_alloc_zero();
		if (anon == NULL || amap_add(am[p], s, anon) != 0)
			abort();
		mproc[p].id[s] = id = model_new(0);
	} else if (anon_refs(anon) > 1) {
		copy = anon_copy(anon);
		if (copy == NULL)
			abort();
		amap_remove(am[p], s);
		if (amap_add(am[p], s, copy) != 0)
			abort();
		anon_unref(anon);
		anon = copy;
		copies_done++;
	}
	if (id != 0 && manon[id].refcnt > 1) {
		manon[id].refcnt--;
		mproc[p].id[s] = id = model_new(manon[id].tag);
		copies_expected++;
	}
	words(anon)[0] = tag;
	words(anon)[PAGE_SIZE / 8 - 1] = ~tag;
	manon[id].tag = tag;
}

/* MADV_DONTNEED of n slots from s. */
static void op_drop(int p, size_t s, size_t n)
{
	n = MIN(n, NSLOTS - s);
	amap_free_range(am[p], s, n);
	for (size_t i = s; i < s + n; i++) {
		if (mproc[p].id[i] != 0)
			manon[mproc[p].id[i]].refcnt--;
		mproc[p].id[i] = 0;
	}
}

static void op_exit(int p)
{
	amap_unref(am[p]);
	am[p] = NULL;
	mproc[p].alive = false;
	for (size_t s = 0; s < NSLOTS; s++) {
		if (mproc[p].id[s] != 0)
			manon[mproc[p].id[s]].refcnt--;
		mproc[p].id[s] = 0;
	}
}

/* ---------------------------------------------------------------- checks */

/* One slot against the model: presence, contents, refcnt, and that a
 * model anon is one real anon wherever it appears. */
static bool check_slot(int p, size_t s)
{
	struct anon *anon = amap_lookup(am[p], s);
	size_t id = mproc[p].id[s];

	if (id == 0)
		return anon == NULL;
	if (anon == NULL || anon->refcnt != manon[id].refcnt ||
	    words(anon)[0] != manon[id].tag ||
	    words(anon)[PAGE_SIZE / 8 - 1] != ~manon[id].tag)
		return false;
	if (manon[id].real == NULL)
		manon[id].real = anon;
	return manon[id].real == anon;
}

static bool check_all(void)
{
	uint64_t live = 0, shared = 0;

	for (size_t i = 1; i < nmanon; i++)
		manon[i].real = NULL;
	for (int p = 0; p < NPROC; p++) {
		if (!mproc[p].alive)
			continue;
		if (amap_check(am[p]) != 0 || am[p]->refcnt != 1)
			return false;
		for (size_t s = 0; s < NSLOTS; s++)
			if (!check_slot(p, s))
				return false;
	}
	for (size_t i = 1; i < nmanon; i++) {
		if (manon[i].refcnt < 0)
			return false;
		live += manon[i].refcnt > 0;
		shared += manon[i].refcnt > 1;
	}
	/* Distinct model anons must be distinct real anons: the counts say
	 * so, since every live model anon was matched above. */
	return anon_count() == live && anon_shared_count() == shared &&
	       copies_done == copies_expected;
}

/* ---------------------------------------------------------------- tests */

static void setup(void)
{
	struct mem_range r;

	ram = aligned_alloc(RAM_ALIGN, RAM_SIZE);
	if (ram == NULL)
		abort();
	r.start = (paddr_t)(uintptr_t)ram;
	r.end = r.start + RAM_SIZE;
	vm_page_init_zones(&r, 1, NULL, 0, r.start + RAM_SIZE / 2);
	kmem_init();
	if (amap_init() != 0 || anon_init() != 0)
		abort();
	free_base = vm_page_free_count();
	objs_base = kmem_objects_inuse();
}

static bool nothing_held(void)
{
	kmem_check();
	vm_page_check();
	return amap_count() == 0 && anon_count() == 0 &&
	       anon_shared_count() == 0 && kmem_objects_inuse() == objs_base &&
	       vm_page_free_count() == free_base;
}

/* The scenario of the issue, by hand: fork, the first write copies exactly
 * the page written, a page no longer shared is written in place, and each
 * page goes with its last reference. */
static void test_scenario(void)
{
	uint64_t before;

	am[0] = amap_create(NSLOTS);
	mproc[0].alive = true;
	for (size_t s = 0; s < 10; s++)
		op_write(0, s, 100 + s);
	before = vm_page_free_count();
	op_fork(0, 1, false);
	tap_ok(check_all() && anon_count() == 10 && anon_shared_count() == 10 &&
	       vm_page_free_count() >= before - 1,
	       "fork (amap_copy) shares all 10 anons and copies no page");
	op_write(1, 3, 999);
	tap_ok(check_all() && anon_count() == 11 && copies_done == 1 &&
	       words(amap_lookup(am[0], 3))[0] == 103,
	       "the child's write copies exactly that page");
	op_write(0, 3, 777);
	tap_ok(check_all() && anon_count() == 11 && copies_done == 1,
	       "the parent's write to the page no longer shared: in place");
	op_fork(1, 2, false);
	op_exit(1);
	tap_ok(check_all() && amap_lookup(am[2], 3)->refcnt == 1 &&
	       amap_lookup(am[2], 4)->refcnt == 2 && anon_count() == 11,
	       "a grandchild keeps the anons its parent's exit releases");
	op_exit(0);
	tap_ok(check_all() && anon_count() == 10 && anon_shared_count() == 0,
	       "the last reference frees exactly the page the child wrote over");
	op_exit(2);
	tap_ok(nothing_held(), "nothing held after all exit");
}

static void trace_step(uint64_t step)
{
	int p = (int)rng(NPROC), q = (int)rng(NPROC);
	size_t s = rng(NSLOTS);

	if (!mproc[p].alive) {
		if (rng(4) == 0) {
			am[p] = amap_create(NSLOTS);
			mproc[p].alive = true;
		}
		return;
	}
	switch (rng(40)) {
	case 0: case 1: case 2: case 3:
		if (!mproc[q].alive)
			op_fork(p, q, rng(6) == 0);
		break;
	case 4:
		op_exit(p);
		break;
	case 5:
		op_drop(p, s, 1 + rng(40));
		break;
	default:
		/* Mostly a hot set at both ends, so writes meet shared anons. */
		if (rng(4) != 0)
			s = rng(2) ? rng(32) : NSLOTS - 1 - rng(32);
		op_write(p, s, step);
		break;
	}
}

static void test_trace(void)
{
	uint64_t step;
	bool ok = true;

	for (step = 1; step <= TRACE_STEPS && ok; step++) {
		trace_step(step);
		ok = check_all();
	}
	tap_ok(ok, "%d random fork/write/drop/exit steps over %d processes "
	       "match the model (stopped at %lu; %lu copies on write)",
	       TRACE_STEPS, NPROC, (unsigned long)step - 1,
	       (unsigned long)copies_done);
	for (int p = 0; p < NPROC; p++)
		if (mproc[p].alive)
			op_exit(p);
	tap_ok(check_all() && nothing_held(), "nothing held after the trace");
}

int main(void)
{
	setup();
	test_scenario();
	test_trace();
	free(ram);
	return tap_done();
}
