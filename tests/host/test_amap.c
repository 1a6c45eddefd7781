/*
 * Host unit test of amaps and anons (kernel/vm/amap.c, anon.c) on the real
 * page allocator and kmem: sparse slots, reference counting, copy-on-write
 * and eager copy, split, extend, range free, a random trace against a
 * model, running out of memory, and that every page and object comes back.
 * Prints TAP. (tests/host/test_cow.c checks COW reference counts against a
 * model of several processes.)
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
#define RAM_SIZE        (16 * MiB)
#define RAM_ALIGN       (4 * MiB)
#define TRACE_SLOTS     3000
#define TRACE_STEPS     4000

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

/* ---------------------------------------------------------------- helpers */

static char *ram;
static uint64_t free_base, objs_base;

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

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

/* Every amap, anon, object and page is back. */
static bool nothing_held(void)
{
	kmem_check();
	vm_page_check();
	return amap_count() == 0 && anon_count() == 0 &&
	       kmem_objects_inuse() == objs_base &&
	       vm_page_free_count() == free_base;
}

static uint64_t *page_words(struct anon *anon)
{
	return PA_TO_KVA(vm_page_to_pa(anon->page));
}

/* A new anon whose page starts with tag (and ends with ~tag). */
static struct anon *tagged_anon(uint64_t tag)
{
	struct anon *anon = anon_alloc_zero();

	if (anon == NULL)
		abort();
	page_words(anon)[0] = tag;
	page_words(anon)[PAGE_SIZE / 8 - 1] = ~tag;
	return anon;
}

static bool has_tag(struct anon *anon, uint64_t tag)
{
	return anon != NULL && page_words(anon)[0] == tag &&
	       page_words(anon)[PAGE_SIZE / 8 - 1] == ~tag;
}

static size_t chunks_used(struct amap *am)
{
	size_t i, n = 0;

	for (i = 0; i < am->nchunks; i++)
		n += am->chunks[i] != NULL;
	return n;
}

/* ---------------------------------------------------------------- tests */

static const size_t sparse[] = { 0, 1, 511, 512, 1023, 5000, 9999 };

static struct amap *sparse_amap(void)
{
	struct amap *am = amap_create(10000);

	for (size_t i = 0; i < ARRAY_SIZE(sparse); i++)
		if (amap_add(am, sparse[i], tagged_anon(sparse[i])) != 0)
			abort();
	return am;
}

static void test_basic(void)
{
	struct amap *am = amap_create(1);
	struct anon *anon, *extra;
	bool ok = true;

	tap_ok(am != NULL && amap_count() == 1 && am->refcnt == 1 &&
	       chunks_used(am) == 0, "an empty amap allocates no chunk");
	amap_unref(am);
	tap_ok(nothing_held(), "and frees everything on its last unref");

	am = sparse_amap();
	for (size_t i = 0; i < ARRAY_SIZE(sparse); i++)
		ok &= has_tag(amap_lookup(am, sparse[i]), sparse[i]);
	ok &= amap_lookup(am, 2) == NULL && amap_lookup(am, 4999) == NULL;
	tap_ok(ok && am->nanons == ARRAY_SIZE(sparse) && chunks_used(am) == 4 &&
	       amap_check(am) == 0,
	       "sparse slots: lookups right, 4 chunks of 20 allocated");
	extra = tagged_anon(77);
	tap_ok(amap_add(am, 512, extra) == -EEXIST, "add to a full slot: -EEXIST");
	anon_unref(extra);
	anon = amap_remove(am, 511);
	tap_ok(has_tag(anon, 511) && amap_lookup(am, 511) == NULL &&
	       am->nanons == ARRAY_SIZE(sparse) - 1 && amap_remove(am, 511) == NULL,
	       "remove gives the anon back and empties the slot");
	anon_unref(anon);
	tap_ok(anon_count() == ARRAY_SIZE(sparse) - 1, "anon_unref frees it");
	extra = tagged_anon(78);
	amap_lock(am);
	anon = _amap_replace(am, 5000, extra);
	amap_unlock(am);
	tap_ok(has_tag(anon, 5000) && amap_lookup(am, 5000) == extra &&
	       am->nanons == ARRAY_SIZE(sparse) - 1 && amap_check(am) == 0,
	       "replace puts the new anon in the slot and gives the old back");
	anon_unref(anon);
	tap_ok(anon_count() == ARRAY_SIZE(sparse) - 1, "and the old one is freed");
	amap_unref(am);
	tap_ok(nothing_held(), "amap_unref frees every anon and page");
}

static void test_refcounts(void)
{
	struct amap *am = amap_create(8);
	struct anon *anon = tagged_anon(42);

	amap_add(am, 3, anon);
	anon_ref(anon);
	amap_ref(am);
	amap_unref(am);
	tap_ok(amap_count() == 1 && amap_lookup(am, 3) == anon,
	       "amap survives while a reference is left");
	amap_unref(am);
	tap_ok(amap_count() == 0 && anon_count() == 1 && has_tag(anon, 42) &&
	       anon->refcnt == 1,
	       "an anon with another reference survives its amap");
	anon_unref(anon);
	tap_ok(nothing_held(), "and goes with its last reference");
}

static void test_copy(void)
{
	struct amap *am = sparse_amap(), *copy = NULL, *part = NULL;
	bool ok = true;
	struct anon *a, *b;

	tap_ok(amap_copy_eager(am, 0, am->nslots, 0, &copy) == 0 && copy != am &&
	       copy->refcnt == 1 && copy->nslots == am->nslots &&
	       copy->nanons == am->nanons && amap_check(copy) == 0,
	       "amap_copy_eager: same slots");
	for (size_t i = 0; i < ARRAY_SIZE(sparse); i++) {
		a = amap_lookup(am, sparse[i]);
		b = amap_lookup(copy, sparse[i]);
		ok &= a != b && a->page != b->page && has_tag(b, sparse[i]) &&
		      a->refcnt == 1 && b->refcnt == 1;
	}
	tap_ok(ok && anon_shared_count() == 0,
	       "with new anons holding copies of the pages");
	page_words(amap_lookup(am, 5000))[0] = 1;
	tap_ok(has_tag(amap_lookup(copy, 5000), 5000),
	       "writing the original leaves the copy alone");
	amap_unref(copy);
	page_words(amap_lookup(am, 5000))[0] = 5000;

	tap_ok(amap_copy(am, 0, am->nslots, 0, &copy) == 0 &&
	       copy->nanons == am->nanons && amap_check(copy) == 0 &&
	       anon_count() == ARRAY_SIZE(sparse) &&
	       anon_shared_count() == ARRAY_SIZE(sparse),
	       "amap_copy (copy-on-write): same slots, no page copied");
	ok = true;
	for (size_t i = 0; i < ARRAY_SIZE(sparse); i++) {
		a = amap_lookup(am, sparse[i]);
		ok &= a == amap_lookup(copy, sparse[i]) && a->refcnt == 2;
	}
	tap_ok(ok, "each slot holds the same anon, now with 2 references");
	tap_ok(amap_copy(am, 500, 4600, 7, &part) == 0 && part->nslots == 4607 &&
	       part->nanons == 4 && amap_lookup(part, 7 + 11) == amap_lookup(am, 511) &&
	       amap_lookup(part, 7 + 4500) == amap_lookup(am, 5000) &&
	       amap_lookup(part, 7 + 4499) == NULL &&
	       amap_lookup(am, 512)->refcnt == 3 && amap_lookup(am, 1)->refcnt == 2 &&
	       amap_check(part) == 0,
	       "a copy of a range shares only its anons, moved by at - slot");
	amap_unref(am);
	tap_ok(anon_count() == ARRAY_SIZE(sparse) &&
	       amap_lookup(copy, 511)->refcnt == 2 &&
	       amap_lookup(copy, 9999)->refcnt == 1 &&
	       anon_shared_count() == 4,
	       "the original's unref drops one reference of each anon");
	amap_unref(part);
	tap_ok(anon_shared_count() == 0 && anon_count() == ARRAY_SIZE(sparse),
	       "the range copy's unref leaves every anon private to the copy");
	amap_unref(copy);
	tap_ok(nothing_held(), "all free everything");
}

/* Split am (a sparse amap) at slot, the upper half pad slots up, and
 * check both halves. */
static bool split_at_pad(size_t slot, size_t pad)
{
	struct amap *am = sparse_amap(), *up = NULL;
	bool ok;

	ok = amap_split(am, slot, pad, &up) == 0 && am->nslots == slot &&
	     up->nslots == pad + 10000 - slot && amap_check(am) == 0 &&
	     amap_check(up) == 0;
	for (size_t i = 0; ok && i < ARRAY_SIZE(sparse); i++) {
		if (sparse[i] < slot)
			ok = has_tag(amap_lookup(am, sparse[i]), sparse[i]);
		else
			ok = has_tag(amap_lookup(up, pad + sparse[i] - slot), sparse[i]);
	}
	for (size_t i = 0; ok && i < pad; i++)
		ok = amap_lookup(up, i) == NULL;
	ok &= am->nanons + up->nanons == ARRAY_SIZE(sparse);
	ok &= anon_count() == ARRAY_SIZE(sparse);
	amap_unref(am);
	amap_unref(up);
	return ok && nothing_held();
}

static bool split_at(size_t slot)
{
	return split_at_pad(slot, 0);
}

static void test_split_extend_free(void)
{
	struct amap *am;
	bool ok;

	tap_ok(split_at(700), "split inside a chunk moves the upper anons");
	tap_ok(split_at(1024), "split at a chunk boundary");
	tap_ok(split_at(1), "split after the first slot");
	tap_ok(split_at(9999), "split before the last slot");
	tap_ok(split_at_pad(700, 700), "split keeping the slot numbers (a stack)");
	tap_ok(split_at_pad(5000, 3), "split with empty slots below the upper half");

	am = amap_create(10);
	amap_add(am, 9, tagged_anon(9));
	ok = amap_extend(am, 5000) == 0 && am->nslots == 5000 &&
	     has_tag(amap_lookup(am, 9), 9) &&
	     amap_add(am, 4999, tagged_anon(4999)) == 0 && amap_check(am) == 0;
	tap_ok(ok && amap_extend(am, 100) == 0 && am->nslots == 5000,
	       "amap_extend grows and keeps the anons; never shrinks");
	amap_unref(am);

	am = sparse_amap();
	amap_free_range(am, 511, 4490);         /* 511 .. 5000 */
	ok = am->nanons == 3 && has_tag(amap_lookup(am, 1), 1) &&
	     amap_lookup(am, 5000) == NULL && has_tag(amap_lookup(am, 9999), 9999) &&
	     anon_count() == 3 && amap_check(am) == 0;
	tap_ok(ok, "amap_free_range drops exactly the anons in range");
	amap_unref(am);
	tap_ok(nothing_held(), "nothing held after split, extend and free_range");
}

/* The model of the trace: the tag at each slot of the amap, 0 if none. */
static uint64_t model[TRACE_SLOTS];

static bool trace_matches(struct amap *am, size_t nslots)
{
	size_t s, n = 0;

	if (am->nslots != nslots || amap_check(am) != 0)
		return false;
	for (s = 0; s < nslots; s++) {
		struct anon *anon = amap_lookup(am, s);

		if (model[s] == 0 ? anon != NULL : !has_tag(anon, model[s]))
			return false;
		n += model[s] != 0;
	}
	return n == am->nanons && n == anon_count();
}

/* One random operation on am (nslots slots, held in the model). */
static struct amap *trace_step(struct amap *am, size_t nslots, uint64_t tag)
{
	size_t s = rng(nslots), n = 1 + rng(64);
	struct amap *other = NULL;
	struct anon *anon;

	switch (rng(8)) {
	case 0: case 1: case 2:
		anon = tagged_anon(tag);
		if (amap_add(am, s, anon) == 0)
			model[s] = tag;
		else
			anon_unref(anon);       /* the slot was full */
		break;
	case 3:
		if (model[s] != 0)
			anon_unref(amap_remove(am, s));
		model[s] = 0;
		break;
	case 4:
		amap_free_range(am, s, n);
		memset(&model[s], 0, MIN(n, nslots - s) * sizeof(model[0]));
		break;
	case 5:
		if ((rng(2) ? amap_copy(am, 0, nslots, 0, &other) :
			      amap_copy_eager(am, 0, nslots, 0, &other)) != 0)
			abort();
		amap_unref(am);
		am = other;
		break;
	default:
		break;
	}
	return am;
}

static void test_trace(void)
{
	struct amap *am = amap_create(TRACE_SLOTS);
	bool ok = true;
	unsigned long step;

	memset(model, 0, sizeof(model));
	for (step = 0; step < TRACE_STEPS && ok; step++) {
		am = trace_step(am, TRACE_SLOTS, step + 1);
		ok = trace_matches(am, TRACE_SLOTS);
	}
	tap_ok(ok, "%d random add/remove/free_range/copy steps match the model "
	       "(stopped at %lu)", TRACE_STEPS, step);
	amap_unref(am);
	tap_ok(nothing_held(), "nothing held after the trace");
}

/* Fill memory with anons, then copy: the copy runs out and frees what it
 * made. */
static void test_out_of_memory(void)
{
	size_t cap = RAM_SIZE / PAGE_SIZE, n = 0;
	struct amap *am = amap_create(cap), *copy = NULL;
	struct anon *anon;
	uint64_t free_before, anons_before;

	while ((anon = anon_alloc_zero()) != NULL) {
		if (amap_add(am, n++, anon) != 0)
			abort();
	}
	/* Give back a few pages so the copy gets partway. */
	for (size_t i = 0; i < 8; i++)
		anon_unref(amap_remove(am, --n));
	free_before = vm_page_free_count();
	anons_before = anon_count();
	tap_ok(amap_copy_eager(am, 0, cap, 0, &copy) == -ENOMEM &&
	       amap_count() == 1 && anon_count() == anons_before &&
	       vm_page_free_count() == free_before,
	       "amap_copy_eager out of memory: -ENOMEM, nothing leaked "
	       "(%zu anons)", n);
	tap_ok(amap_copy(am, 0, cap, 0, &copy) == 0 && anon_count() == anons_before &&
	       anon_shared_count() == n, "amap_copy still works: it copies no page");
	amap_unref(copy);
	amap_unref(am);
	tap_ok(nothing_held(), "and everything comes back");
}

int main(void)
{
	setup();
	test_basic();
	test_refcounts();
	test_copy();
	test_split_extend_free();
	test_trace();
	test_out_of_memory();
	free(ram);
	return tap_done();
}
