/*
 * Host unit test of the VMA tree (kernel/vm/vma.c): thousands of random
 * insert, remove, resize, lookup and gap-search steps checked against a
 * sorted array, with vma_tree_check after every step. Prints TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/vm/vma.h"
#include "tests/host/tap.h"

#define NPAGES          2048                    /* size of the test space */
#define BASE            0x10000UL
#define TOP             (BASE + NPAGES * PAGE_SIZE)
#define MAXVMAS         512
#define STEPS           6000
#define NSEEDS          8

/* The reference model: the VMAs in the tree, sorted by start. */
static struct vma *model[MAXVMAS];
static int nmodel;
static struct vma pool[MAXVMAS];
static struct vma *freelist[MAXVMAS];
static int nfree;

static struct vma_tree tree;
static int failed;              /* this test case failed */
static unsigned long step;

#define CHECK(cond, ...)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			printf("# step %lu: %s:%d: ", step, __FILE__,        \
			       __LINE__);                                    \
			printf(__VA_ARGS__);                                 \
			printf("\n");                                        \
			failed = 1;                                          \
		}                                                            \
	} while (0)

static unsigned long rnd(unsigned long n)
{
	return (unsigned long)random() % n;
}

static void reset(void)
{
	int i;

	vma_tree_init(&tree, BASE, TOP);
	nmodel = 0;
	nfree = 0;
	for (i = MAXVMAS - 1; i >= 0; i--)
		freelist[nfree++] = &pool[i];
	failed = 0;
}

/* ------------------------------------------------------------ model */

static bool model_overlaps(vaddr_t s, vaddr_t e)
{
	int i;

	for (i = 0; i < nmodel; i++)
		if (model[i]->start < e && s < model[i]->end)
			return true;
	return false;
}

static void model_insert(struct vma *v)
{
	int i = nmodel;

	while (i > 0 && model[i - 1]->start > v->start) {
		model[i] = model[i - 1];
		i--;
	}
	model[i] = v;
	nmodel++;
}

static void model_remove(int idx)
{
	memmove(&model[idx], &model[idx + 1],
		(size_t)(nmodel - idx - 1) * sizeof(model[0]));
	nmodel--;
}

static struct vma *model_lookup(vaddr_t va)
{
	int i;

	for (i = 0; i < nmodel; i++)
		if (model[i]->start <= va && va < model[i]->end)
			return model[i];
	return NULL;
}

static struct vma *model_find_from(vaddr_t va)
{
	int i;

	for (i = 0; i < nmodel; i++)
		if (model[i]->end > va)
			return model[i];
	return NULL;
}

/* Brute force: the highest aligned fit over every hole. */
static int model_gap(size_t size, size_t align, vaddr_t lo, vaddr_t hi,
		     vaddr_t *va)
{
	int i;

	for (i = nmodel; i >= 0; i--) {
		vaddr_t gs = i == 0 ? BASE : model[i - 1]->end;
		vaddr_t ge = i == nmodel ? TOP : model[i]->start;
		vaddr_t cand;

		gs = MAX(gs, lo);
		ge = MIN(ge, hi);
		if (ge <= gs || ge - gs < size)
			continue;
		cand = (ge - size) & ~(vaddr_t)(align - 1);
		if (cand >= gs) {
			*va = cand;
			return 0;
		}
	}
	return -ENOMEM;
}

/* ------------------------------------------------------------ steps */

static vaddr_t rnd_page(void)
{
	/* Mostly inside the bounds, sometimes just outside. */
	return BASE + (rnd(NPAGES + 8) - 4) * PAGE_SIZE;
}

static void step_insert(void)
{
	struct vma *v;
	vaddr_t s = rnd_page();
	vaddr_t e = s + (rnd(8) == 0 ? rnd(64) : 1 + rnd(8)) * PAGE_SIZE;
	int want, got;

	if (nfree == 0)
		return;
	v = freelist[--nfree];
	memset(v, 0x5a, sizeof(*v));
	v->start = s;
	v->end = e;
	if (s >= e || s < BASE || e > TOP)
		want = -EINVAL;
	else if (model_overlaps(s, e))
		want = -EEXIST;
	else
		want = 0;
	got = vma_tree_insert(&tree, v);
	CHECK(got == want, "insert %lx-%lx: got %d want %d",
	      (unsigned long)s, (unsigned long)e, got, want);
	if (got == 0)
		model_insert(v);
	else
		freelist[nfree++] = v;
}

static void step_remove(void)
{
	int idx;

	if (nmodel == 0)
		return;
	idx = (int)rnd((unsigned long)nmodel);
	vma_tree_remove(&tree, model[idx]);
	freelist[nfree++] = model[idx];
	model_remove(idx);
}

/* Move a VMA's edges anywhere between its neighbours. */
static void step_resize(void)
{
	int idx;
	vaddr_t lo, hi, s, e;
	struct vma *v;

	if (nmodel == 0)
		return;
	idx = (int)rnd((unsigned long)nmodel);
	v = model[idx];
	lo = idx == 0 ? BASE : model[idx - 1]->end;
	hi = idx == nmodel - 1 ? TOP : model[idx + 1]->start;
	s = lo + rnd((hi - lo) / PAGE_SIZE) * PAGE_SIZE;
	e = s + (1 + rnd((hi - s) / PAGE_SIZE)) * PAGE_SIZE;
	vma_tree_resize(&tree, v, s, e);
}

static void step_lookup(void)
{
	vaddr_t va = BASE - PAGE_SIZE + rnd((NPAGES + 2) * PAGE_SIZE);
	struct vma *got = vma_tree_lookup(&tree, va);
	struct vma *want = model_lookup(va);

	CHECK(got == want, "lookup %lx: got %p want %p", (unsigned long)va,
	      (void *)got, (void *)want);
	got = vma_tree_find_from(&tree, va);
	want = model_find_from(va);
	CHECK(got == want, "find_from %lx: got %p want %p", (unsigned long)va,
	      (void *)got, (void *)want);
}

static void step_range_free(void)
{
	vaddr_t s = rnd_page();
	vaddr_t e = s + (1 + rnd(32)) * PAGE_SIZE;

	CHECK(vma_tree_range_free(&tree, s, e) == !model_overlaps(s, e),
	      "range_free %lx-%lx", (unsigned long)s, (unsigned long)e);
}

static void step_gap(void)
{
	static const size_t aligns[] = { 1, 1, 2, 4, 16, 64 };
	size_t size = (1 + (rnd(4) == 0 ? rnd(256) : rnd(8))) * PAGE_SIZE;
	size_t align = aligns[rnd(ARRAY_SIZE(aligns))] * PAGE_SIZE;
	vaddr_t lo = BASE, hi = TOP, got = 0, want = 0;
	int gerr, werr;

	if (rnd(2)) {
		lo = rnd_page();
		hi = lo + rnd(NPAGES) * PAGE_SIZE;
	}
	gerr = vma_tree_find_gap_aligned(&tree, size, align, lo, hi, &got);
	werr = model_gap(size, align, lo, hi, &want);
	CHECK(gerr == werr && (gerr != 0 || got == want),
	      "gap size %lx align %lx in %lx-%lx: got %d %lx want %d %lx",
	      (unsigned long)size, (unsigned long)align, (unsigned long)lo,
	      (unsigned long)hi, gerr, (unsigned long)got, werr,
	      (unsigned long)want);
}

/* The in-order walks, both ways, match the model. */
static void check_walk(void)
{
	struct vma *v;
	int i = 0;

	for (v = vma_tree_first(&tree); v != NULL; v = vma_tree_next(v), i++)
		CHECK(i < nmodel && model[i] == v, "forward walk at %d", i);
	CHECK(i == nmodel, "forward walk saw %d of %d", i, nmodel);
	if (nmodel > 0) {
		for (v = model[nmodel - 1], i = nmodel - 1; v != NULL;
		     v = vma_tree_prev(v), i--)
			CHECK(i >= 0 && model[i] == v, "backward walk at %d", i);
		CHECK(i == -1, "backward walk ended at %d", i);
	}
	CHECK(tree.count == (size_t)nmodel, "count %lu vs %d",
	      (unsigned long)tree.count, nmodel);
}

static void random_step(void)
{
	switch (rnd(16)) {
	case 0: case 1: case 2: case 3: case 4:
		step_insert();
		break;
	case 5: case 6: case 7:
		step_remove();
		break;
	case 8: case 9:
		step_resize();
		break;
	case 10: case 11:
		step_lookup();
		break;
	case 12:
		step_range_free();
		break;
	default:
		step_gap();
		break;
	}
}

/* ------------------------------------------------------------ cases */

static bool test_empty(void)
{
	vaddr_t va = 0;

	reset();
	CHECK(vma_tree_check(&tree) == 0, "empty tree check");
	CHECK(vma_tree_first(&tree) == NULL, "first of empty tree");
	CHECK(vma_tree_lookup(&tree, BASE) == NULL, "lookup in empty tree");
	CHECK(vma_tree_find_gap(&tree, PAGE_SIZE, 0, ~0UL, &va) == 0 &&
	      va == TOP - PAGE_SIZE, "gap at the top of an empty tree");
	CHECK(vma_tree_find_gap(&tree, NPAGES * PAGE_SIZE, 0, ~0UL, &va) == 0 &&
	      va == BASE, "gap of the whole space");
	CHECK(vma_tree_find_gap(&tree, (NPAGES + 1) * PAGE_SIZE, 0, ~0UL,
				&va) == -ENOMEM, "gap larger than the space");
	return !failed;
}

/* Ascending then descending inserts of adjacent VMAs: the tree stays
 * balanced (AVL height bound) and the space ends up full. */
static bool test_sequential(void)
{
	vaddr_t va;
	int i;

	reset();
	for (i = 0; i < MAXVMAS; i += 2) {
		struct vma *v = freelist[--nfree];
		v->start = BASE + (vaddr_t)i * 4 * PAGE_SIZE;
		v->end = v->start + 4 * PAGE_SIZE;
		CHECK(vma_tree_insert(&tree, v) == 0, "insert %d", i);
		model_insert(v);
	}
	for (i = MAXVMAS - 1; i > 0; i -= 2) {
		struct vma *v = freelist[--nfree];
		v->start = BASE + (vaddr_t)i * 4 * PAGE_SIZE;
		v->end = v->start + 4 * PAGE_SIZE;
		CHECK(vma_tree_insert(&tree, v) == 0, "insert %d", i);
		model_insert(v);
		CHECK(vma_tree_check(&tree) == 0, "check after insert %d", i);
	}
	/* 512 nodes: an AVL tree is at most 1.44 log2(n + 2) high. */
	CHECK(tree.root->height <= 12, "height %d", tree.root->height);
	CHECK(vma_tree_find_gap(&tree, PAGE_SIZE, BASE, TOP, &va) == -ENOMEM,
	      "no gap in a full space");
	check_walk();
	while (nmodel > 0)
		step_remove();
	CHECK(vma_tree_check(&tree) == 0 && tree.root == NULL, "emptied");
	return !failed;
}

static bool test_random(unsigned seed)
{
	reset();
	srandom(seed);
	for (step = 0; step < STEPS && !failed; step++) {
		random_step();
		CHECK(vma_tree_check(&tree) == 0, "vma_tree_check");
		if (step % 64 == 0)
			check_walk();
	}
	check_walk();
	return !failed;
}

int main(void)
{
	unsigned seed;

	tap_ok(test_empty(), "empty tree");
	tap_ok(test_sequential(), "sequential inserts stay balanced");
	for (seed = 1; seed <= NSEEDS; seed++)
		tap_ok(test_random(seed), "%d random operations, seed %u", STEPS,
		       seed);
	return tap_done();
}
