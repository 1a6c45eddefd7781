/*
 * uvm: the user-level virtual memory library (user/lib/uvm.c,
 * pagoda/uvm.h) on signals: a user-level pager that pages in from a
 * backing store on the first touch and writes dirty pages back on evict,
 * and a write barrier that records the first write to each page. Each
 * case runs in a child process, so a fault the library does not answer
 * kills only that child (the case fails, the suite goes on).
 * The same file is the host test (tests/host/test_uvm.c includes it with
 * UVM_HOST_TEST): the library uses only POSIX calls, so it runs on Linux.
 */
#ifdef UVM_HOST_TEST
#include "tests/host/tap.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#else
#include "tap.h"
#endif

#include <pagoda/uvm.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define PAGER_PAGES     8
#define BARRIER_PAGES   16
#define TRACE_PAGES     32
#define TRACE_STEPS     400
#define PLAN            8

#define PG              UVM_PAGE_SIZE

/* The byte at offset off of page i of a backing store, before any write. */
static unsigned char pattern(size_t i, size_t off)
{
	return (unsigned char)(i * 37 + off * 7 + 1);
}

static char *make_backing(size_t npages)
{
	char *b = malloc(npages * PG);

	if (b != NULL)
		for (size_t i = 0; i < npages; i++)
			for (size_t off = 0; off < PG; off++)
				b[i * PG + off] = (char)pattern(i, off);
	return b;
}

/* Run fn in a child; returns its exit status (0: passed), or 128 + the
 * signal that killed it. */
static int in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 255;
	if (pid == 0) {
		fflush(stdout);
		_exit(uvm_init() == 0 ? fn() : 254);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 255;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Each case returns 0 when every check holds, else the number of the
 * first check that failed. */

static int case_pagein(void)
{
	char *b = make_backing(PAGER_PAGES);
	struct uvm_region *r = uvm_map(PAGER_PAGES, UVM_PAGER, b);
	struct uvm_stats st;

	if (r == NULL)
		return 1;
	for (size_t i = 0; i < PAGER_PAGES; i++)
		if ((unsigned char)r->base[i * PG + 100] != pattern(i, 100) ||
		    (unsigned char)r->base[i * PG + PG - 1] != pattern(i, PG - 1))
			return 2;
	uvm_stats_get(&st);
	if (st.pageins != PAGER_PAGES || st.faults != PAGER_PAGES)
		return 3;
	for (size_t i = 0; i < PAGER_PAGES; i++)
		if (r->state[i] != UVM_CLEAN)
			return 4;
	return 0;
}

static int case_pagein_once(void)
{
	char *b = make_backing(PAGER_PAGES);
	struct uvm_region *r = uvm_map(PAGER_PAGES, UVM_PAGER, b);
	struct uvm_stats st;
	unsigned sum = 0;

	if (r == NULL)
		return 1;
	for (int round = 0; round < 3; round++)
		for (size_t off = 0; off < PG; off += 512)
			sum += (unsigned char)r->base[3 * PG + off];
	uvm_stats_get(&st);
	return st.pageins == 1 && st.faults == 1 && sum != 0 ? 0 : 2;
}

static int case_pager_write(void)
{
	char *b = make_backing(PAGER_PAGES);
	struct uvm_region *r = uvm_map(PAGER_PAGES, UVM_PAGER, b);
	struct uvm_stats st;

	if (r == NULL)
		return 1;
	r->base[2 * PG + 5] = 'w';      /* page in, then the first write */
	r->base[2 * PG + 6] = 'x';      /* writable now: no fault */
	uvm_stats_get(&st);
	if (st.pageins != 1 || st.dirtied != 1 || st.faults != 2 ||
	    r->state[2] != UVM_DIRTY)
		return 2;
	if (b[2 * PG + 5] == 'w')
		return 3;               /* not written back yet */
	if (uvm_evict(r, 2) != 0 || r->state[2] != UVM_ABSENT ||
	    b[2 * PG + 5] != 'w' || b[2 * PG + 6] != 'x')
		return 4;
	if (r->base[2 * PG + 5] != 'w' || (unsigned char)r->base[2 * PG + 7] !=
	    pattern(2, 7))
		return 5;               /* paged in again, with the write */
	uvm_stats_get(&st);
	return st.pageins == 2 ? 0 : 6;
}

static int case_barrier(void)
{
	struct uvm_region *r = uvm_map(BARRIER_PAGES, UVM_BARRIER, NULL);
	size_t idx[BARRIER_PAGES];
	struct uvm_stats st;

	if (r == NULL)
		return 1;
	if (r->base[5 * PG] != 0)
		return 2;               /* reads need no fault */
	r->base[3 * PG] = 1;
	r->base[7 * PG + 9] = 2;
	r->base[7 * PG + 10] = 3;
	r->base[12 * PG + PG - 1] = 4;
	uvm_stats_get(&st);
	if (st.faults != 3 || st.dirtied != 3)
		return 3;
	if (uvm_dirty_pages(r, idx, BARRIER_PAGES) != 3 || idx[0] != 3 ||
	    idx[1] != 7 || idx[2] != 12)
		return 4;
	return r->base[7 * PG + 9] == 2 && r->base[12 * PG + PG - 1] == 4 ? 0 : 5;
}

static int case_barrier_clean(void)
{
	struct uvm_region *r = uvm_map(BARRIER_PAGES, UVM_BARRIER, NULL);
	size_t idx[BARRIER_PAGES];

	if (r == NULL)
		return 1;
	r->base[1 * PG] = 1;
	r->base[9 * PG] = 1;
	if (uvm_clean(r) != 0 || uvm_dirty_pages(r, idx, BARRIER_PAGES) != 0)
		return 2;
	r->base[9 * PG + 1] = 2;
	if (uvm_dirty_pages(r, idx, BARRIER_PAGES) != 1 || idx[0] != 9)
		return 3;
	return r->base[1 * PG] == 1 && r->base[9 * PG] == 1 ? 0 : 4;
}

/* A fault outside every region is not the library's: the default action
 * kills the process. */
static int case_foreign(void)
{
	char *p = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 1;
	*(volatile char *)p = 1;
	return 2;
}

/* Random reads, writes and evictions of a pager region against a copy
 * of what each byte must hold. */
static int case_trace(void)
{
	char *b = make_backing(TRACE_PAGES);
	char *model = make_backing(TRACE_PAGES);
	struct uvm_region *r = uvm_map(TRACE_PAGES, UVM_PAGER, b);
	unsigned long seed = 12345;

	if (r == NULL || model == NULL)
		return 1;
	for (int step = 0; step < TRACE_STEPS; step++) {
		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		size_t i = (seed >> 33) % TRACE_PAGES;
		size_t off = (seed >> 20) % PG;
		switch ((seed >> 10) % 4) {
		case 0:
			if (uvm_evict(r, i) != 0)
				return 2;
			break;
		case 1:
			r->base[i * PG + off] = (char)step;
			model[i * PG + off] = (char)step;
			break;
		default:
			if (r->base[i * PG + off] != model[i * PG + off])
				return 3;
		}
	}
	for (size_t i = 0; i < TRACE_PAGES; i++)
		if (uvm_evict(r, i) != 0)
			return 4;
	return memcmp(b, model, TRACE_PAGES * PG) == 0 ? 0 : 5;
}

static int case_unmap(void)
{
	struct uvm_region *r = uvm_map(4, UVM_BARRIER, NULL);
	struct uvm_region *q = uvm_map(4, UVM_BARRIER, NULL);

	if (r == NULL || q == NULL || uvm_map(4, UVM_PAGER, NULL) != NULL)
		return 1;
	q->base[0] = 1;
	if (uvm_unmap(r) != 0 || uvm_unmap(r) == 0)
		return 2;
	q->base[PG] = 1;
	return uvm_dirty_pages(q, NULL, 0) == 2 ? 0 : 3;
}

static void check(int (*fn)(void), int want, const char *what)
{
	int got = in_child(fn);

	if (!tap_ok(got == want, "%s", what))
		printf("# got status %d, want %d\n", got, want);
}

int main(void)
{
#ifndef UVM_HOST_TEST
	tap_plan(PLAN);
#endif
	check(case_pagein, 0,
	      "pager: the first touch of each page pages it in from the backing store");
	check(case_pagein_once, 0, "pager: a page is paged in once, however often read");
	check(case_pager_write, 0,
	      "pager: the first write dirties the page; evict writes it back; the next read pages it in again");
	check(case_barrier, 0,
	      "barrier: the first write to each page is recorded, reads fault never");
	check(case_barrier_clean, 0, "barrier: uvm_clean write-protects again; data stays");
	check(case_trace, 0, "pager: 400 random reads, writes and evictions against a model");
	check(case_unmap, 0, "two regions; unmap of one leaves the other");
	check(case_foreign, 128 + SIGSEGV,
	      "a fault outside every region still kills with SIGSEGV");
	return tap_done();
}
