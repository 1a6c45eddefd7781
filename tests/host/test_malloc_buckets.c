/*
 * Host unit test of malloc's buckets (user/lib/malloc.c, lab malloc): small
 * blocks share pages, each request is rounded to its bucket (16, 32, 48,
 * ... 128 bytes, then 640, 768, 1024, 2048; 129 to 512 bytes are medium
 * blocks, tested by test_malloc), a freed block is handed out again,
 * blocks sit at multiples of their size from the start of their page, and
 * a free of the slack after a page's last block is caught. test_malloc
 * checks that every block works; this one checks that the small ones come
 * from buckets (a page per block passes test_malloc).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pg_malloc.h"
#include "tap.h"

#define PAGE            4096UL
#define NSMALL          256             /* 16-byte blocks in one page */

static void *blocks[NSMALL];

/* How many distinct pages hold blocks[0..n). */
static size_t pages_spanned(size_t n)
{
	size_t pages = 0;

	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < i; j++)
			if ((uintptr_t)blocks[j] / PAGE == (uintptr_t)blocks[i] / PAGE)
				break;
		if (j == i)
			pages++;
	}
	return pages;
}

static void test_sharing(void)
{
	bool apart = true;

	for (size_t i = 0; i < NSMALL; i++)
		blocks[i] = pg_malloc(16);
	tap_ok(pages_spanned(NSMALL) <= 2,
	       "256 blocks of 16 bytes lie in at most 2 pages (%zu)",
	       pages_spanned(NSMALL));
	for (size_t i = 1; i < 16; i++)
		if ((uintptr_t)blocks[i] - (uintptr_t)blocks[i - 1] != 16)
			apart = false;
	tap_ok(apart, "a fresh bucket hands out its blocks 16 bytes apart");
	pg_free(blocks[5]);
	tap_ok(pg_malloc(16) == blocks[5], "a freed block is the next one handed out");
	for (size_t i = 0; i < NSMALL; i++)
		pg_free(blocks[i]);
	tap_ok(pg_malloc_check() == 0, "pg_malloc_check after freeing them");
}

static void test_classes(void)
{
	/* 129 to 512 bytes are medium blocks, not buckets (test_malloc). */
	static const size_t ask[] = { 1, 16, 17, 33, 100, 128, 513, 700, 1000, 2048 };
	static const size_t want[] = { 16, 16, 32, 48, 112, 128, 640, 768, 1024, 2048 };
	bool sizes = true, aligned = true;

	for (size_t i = 0; i < sizeof(ask) / sizeof(ask[0]); i++) {
		void *p = pg_malloc(ask[i]);

		if (pg_malloc_usable_size(p) != want[i]) {
			sizes = false;
			printf("# malloc(%zu): usable %zu, want %zu\n", ask[i],
			       pg_malloc_usable_size(p), want[i]);
		}
		if ((uintptr_t)p % PAGE % want[i] != 0)
			aligned = false;
		pg_free(p);
	}
	tap_ok(sizes, "requests round up to their bucket's size");
	tap_ok(aligned, "a block sits at a multiple of its bucket's size");
	void *a = pg_malloc(2048), *b = pg_malloc(2048);
	tap_ok((uintptr_t)a / PAGE == (uintptr_t)b / PAGE,
	       "two 2048-byte blocks share a page");
	pg_free(a);
	pg_free(b);
	void *m = pg_memalign(64, 40);
	tap_ok((uintptr_t)m % 64 == 0, "memalign(64, 40) is 64-byte aligned (a 48-byte bucket is not)");
	pg_free(m);
}

int main(void)
{
	test_sharing();
	test_classes();
	return tap_done();
}
