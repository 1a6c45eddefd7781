/*
 * User-level virtual memory (pagoda/uvm.h): regions whose page faults the
 * program answers itself, from a SIGSEGV handler, with mprotect. Only
 * POSIX calls (sigaction, sigaltstack, mmap, mprotect), so the same code
 * runs on Pagoda and on Linux (tests/host/test_uvm.c runs it there).
 * The handler touches only the region list and the counters: no malloc.
 */
#include <pagoda/uvm.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define UVM_ALTSTACK_SIZE       (64 * 1024)

static struct uvm_region *regions;      /* every mapped region */
static struct uvm_stats stats;
static char *altstack;

/* The region holding addr, or NULL. */
static struct uvm_region *uvm_find(const char *addr)
{
	for (struct uvm_region *r = regions; r != NULL; r = r->next)
		if (addr >= r->base && addr < r->base + r->npages * UVM_PAGE_SIZE)
			return r;
	return NULL;
}

/* Page i of r, its first byte. */
static char *uvm_page(const struct uvm_region *r, size_t i)
{
	return r->base + i * UVM_PAGE_SIZE;
}

/* Pager: page i of r is absent. Make it writable for the copy, copy it in
 * from the backing store, and leave it read-only and clean: the first
 * write comes back as a fault on a clean page. Returns 1, or 0 if
 * mprotect fails. */
static int uvm_pagein(struct uvm_region *r, size_t i)
{
	char *page = uvm_page(r, i);

	if (mprotect(page, UVM_PAGE_SIZE, PROT_READ | PROT_WRITE) != 0)
		return 0;
	memcpy(page, r->backing + i * UVM_PAGE_SIZE, UVM_PAGE_SIZE);
	if (mprotect(page, UVM_PAGE_SIZE, PROT_READ) != 0)
		return 0;
	r->state[i] = UVM_CLEAN;
	stats.pageins++;
	return 1;
}

/* Both modes: the first write to clean page i of r. Record it dirty and
 * make the page writable. Returns 1, or 0 if mprotect fails. */
static int uvm_mark_dirty(struct uvm_region *r, size_t i)
{
	if (mprotect(uvm_page(r, i), UVM_PAGE_SIZE, PROT_READ | PROT_WRITE) != 0)
		return 0;
	r->state[i] = UVM_DIRTY;
	stats.dirtied++;
	return 1;
}

/* See uvm.h. */
int uvm_fault(void *addr, int code)
{
/* LAB uvm: begin */
	struct uvm_region *r = uvm_find(addr);
	size_t i;

	(void)code;     /* ACCERR on Pagoda and Linux: the pages are mapped */
	if (r == NULL) {
		stats.foreign++;
		return 0;
	}
	i = (size_t)((char *)addr - r->base) / UVM_PAGE_SIZE;
	switch (r->state[i]) {
	case UVM_ABSENT:
		return uvm_pagein(r, i);
	case UVM_CLEAN:
		return uvm_mark_dirty(r, i);
	default:
		return 0;       /* writable already: not ours */
	}
/* LAB uvm: end */
/* LAB uvm: stub
	// lab uvm: not implemented. No fault is answered, so the first
	// touch of a region kills the program with SIGSEGV.
	(void)addr; (void)code; (void)uvm_find; (void)uvm_pagein;
	(void)uvm_mark_dirty;
	return 0;
*/
}

/* SIGSEGV: answer the fault, or fall back to the default action (the
 * access runs again and kills the process with SIGSEGV). */
static void uvm_sigsegv(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	stats.faults++;
	if (uvm_fault(si->si_addr, si->si_code))
		return;
	signal(sig, SIG_DFL);
}

int uvm_init(void)
{
	struct sigaction sa;
	stack_t ss;

	if (altstack == NULL) {
		altstack = malloc(UVM_ALTSTACK_SIZE);
		if (altstack == NULL)
			return -1;
	}
	memset(&ss, 0, sizeof(ss));
	ss.ss_sp = altstack;
	ss.ss_size = UVM_ALTSTACK_SIZE;
	if (sigaltstack(&ss, NULL) != 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = uvm_sigsegv;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSEGV, &sa, NULL);
}

struct uvm_region *uvm_map(size_t npages, enum uvm_mode mode, void *backing)
{
	struct uvm_region *r;
	int prot = mode == UVM_PAGER ? PROT_NONE : PROT_READ;

	if (npages == 0 || (mode != UVM_PAGER && mode != UVM_BARRIER) ||
	    (mode == UVM_PAGER) != (backing != NULL)) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->state = calloc(npages, 1);
	if (r->state == NULL)
		goto fail;
	r->base = mmap(NULL, npages * UVM_PAGE_SIZE, prot,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->base == MAP_FAILED)
		goto fail;
	r->npages = npages;
	r->mode = mode;
	r->backing = backing;
	memset(r->state, mode == UVM_PAGER ? UVM_ABSENT : UVM_CLEAN, npages);
	r->next = regions;
	regions = r;
	return r;
fail:
	free(r->state);
	free(r);
	errno = ENOMEM;
	return NULL;
}

int uvm_unmap(struct uvm_region *r)
{
	struct uvm_region **pp = &regions;

	while (*pp != NULL && *pp != r)
		pp = &(*pp)->next;
	if (*pp == NULL) {
		errno = EINVAL;
		return -1;
	}
	*pp = r->next;
	int err = munmap(r->base, r->npages * UVM_PAGE_SIZE);
	free(r->state);
	free(r);
	return err;
}

int uvm_evict(struct uvm_region *r, size_t i)
{
	char *page;

	if (r->mode != UVM_PAGER || i >= r->npages) {
		errno = EINVAL;
		return -1;
	}
	page = uvm_page(r, i);
	if (r->state[i] == UVM_DIRTY)
		memcpy(r->backing + i * UVM_PAGE_SIZE, page, UVM_PAGE_SIZE);
	/* A fresh PROT_NONE page over it frees the old one. */
	if (mmap(page, UVM_PAGE_SIZE, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		return -1;
	r->state[i] = UVM_ABSENT;
	return 0;
}

size_t uvm_dirty_pages(const struct uvm_region *r, size_t *idx, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < r->npages; i++) {
		if (r->state[i] != UVM_DIRTY)
			continue;
		if (n < max)
			idx[n] = i;
		n++;
	}
	return n;
}

int uvm_clean(struct uvm_region *r)
{
	if (r->mode != UVM_BARRIER) {
		errno = EINVAL;
		return -1;
	}
	if (mprotect(r->base, r->npages * UVM_PAGE_SIZE, PROT_READ) != 0)
		return -1;
	for (size_t i = 0; i < r->npages; i++)
		if (r->state[i] == UVM_DIRTY)
			r->state[i] = UVM_CLEAN;
	return 0;
}

void uvm_stats_get(struct uvm_stats *out)
{
	*out = stats;
}
