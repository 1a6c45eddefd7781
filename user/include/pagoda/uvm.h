/*
 * User-level virtual memory (Appel and Li's primitives): a program catches
 * its own page faults (SIGSEGV with SA_SIGINFO, on an alternate stack) and
 * answers them with mprotect, then returns so the access runs again.
 * Two kinds of region, both whole pages (UVM_PAGE_SIZE bytes):
 *  - UVM_PAGER: a user-level pager. Pages start inaccessible; the first
 *    access copies the page in from the backing store (memory the caller
 *    owns, npages pages) and maps it read-only; the first write after that
 *    makes it writable and dirty; uvm_evict writes a dirty page back and
 *    drops it, so the next access pages it in again.
 *  - UVM_BARRIER: a write barrier (a concurrent GC's card marking). Pages
 *    start zero and read-only; the first write to a page records it dirty
 *    and makes it writable; uvm_clean write-protects every page again.
 * Uses only POSIX calls, so a program runs the same on Pagoda and Linux.
 * Not thread-safe: one thread maps, unmaps and faults.
 */
#ifndef _PAGODA_UVM_H
#define _PAGODA_UVM_H

#include <stddef.h>

#define UVM_PAGE_SIZE   4096UL

enum uvm_mode {
	UVM_PAGER = 1,
	UVM_BARRIER = 2,
};

/* A page's state in its region (uvm_region.state[i]). */
enum uvm_page_state {
	UVM_ABSENT = 0,         /* PROT_NONE: not paged in (pager only) */
	UVM_CLEAN = 1,          /* PROT_READ: same as the backing store */
	UVM_DIRTY = 2,          /* PROT_READ|PROT_WRITE: written since */
};

struct uvm_region {
	char *base;                     /* first byte, page aligned */
	size_t npages;
	enum uvm_mode mode;
	char *backing;                  /* pager: npages pages; else NULL */
	unsigned char *state;           /* npages of enum uvm_page_state */
	struct uvm_region *next;        /* the list the handler searches */
};

/* Counts since uvm_init, for tests and for the curious. */
struct uvm_stats {
	unsigned long faults;           /* SIGSEGVs that reached the handler */
	unsigned long pageins;          /* pages copied in from a backing store */
	unsigned long dirtied;          /* first writes recorded (both modes) */
	unsigned long foreign;          /* faults outside every region */
};

/* Install the SIGSEGV handler (SA_SIGINFO | SA_ONSTACK) and its alternate
 * stack. Returns 0, or -1 with errno from sigaltstack or sigaction. */
int uvm_init(void);

/* Map a region of npages pages in mode. backing (UVM_PAGER only, else
 * NULL) is npages pages of the caller's memory that the region pages in
 * from and evicts to; it must stay valid until uvm_unmap. Returns the
 * region, or NULL with errno (EINVAL, ENOMEM). */
struct uvm_region *uvm_map(size_t npages, enum uvm_mode mode, void *backing);

/* Unmap r (dirty pager pages are NOT written back: uvm_evict first).
 * Returns 0, or -1 with errno from munmap. */
int uvm_unmap(struct uvm_region *r);

/* The handler's core: the fault at addr (si_addr; si_code SEGV_MAPERR or
 * SEGV_ACCERR) is answered if it lies in a region, by paging in an absent
 * page or by recording the first write to a clean one. Returns 1 when the
 * access may run again, 0 when the fault is not the library's (outside
 * every region, or on a page that is already writable). */
int uvm_fault(void *addr, int code);

/* Write page i of pager region r back to its backing store if dirty, and
 * drop it (its memory freed, PROT_NONE). Returns 0, or -1 with errno
 * (EINVAL: not a pager region or i out of range). */
int uvm_evict(struct uvm_region *r, size_t i);

/* Barrier: store the indexes of r's dirty pages, lowest first, in idx (at
 * most max), and return how many pages are dirty. */
size_t uvm_dirty_pages(const struct uvm_region *r, size_t *idx, size_t max);

/* Barrier: write-protect every page of r again and mark it clean.
 * Returns 0, or -1 with errno (EINVAL: not a barrier region; mprotect's). */
int uvm_clean(struct uvm_region *r);

/* A copy of the counts. */
void uvm_stats_get(struct uvm_stats *out);

#endif
