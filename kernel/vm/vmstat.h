/*
 * VM event counters for /proc/vmstat, /proc/meminfo and tests: faults by
 * case (kernel/vm/fault.c), pages read in by pagers (kernel/vm/object.c),
 * and the amaps, anons and memory objects in use. Counters only grow
 * (except the in-use counts) and are updated atomically from any hart
 * without locks.
 */
#ifndef KERNEL_VM_VMSTAT_H
#define KERNEL_VM_VMSTAT_H

#include "kernel/types.h"

struct sbuf;

/* Event counts since boot, and what is in use now. */
struct vm_stats {
	uint64_t faults;                /* vm_fault calls (and mspace_write pages) */
	uint64_t fault_upper;           /* case 1: page found in the amap */
	uint64_t fault_lower;           /* case 2: page from the memory object */
	uint64_t fault_zero_fill;       /* case 3: new zero-filled anon page */
	uint64_t fault_cow;             /* case 4: page copied on write */
	uint64_t fault_needs_copy;      /* case 5: shared amap copied */
	uint64_t fault_stack_grow;      /* case 6: stack VMA grown */
	uint64_t fault_swapin;          /* case 7: anon page read from swap */
	uint64_t fault_around;          /* pages case 2 mapped around a read fault */
	uint64_t fault_errors;          /* case 8: -EFAULT (no VMA, protection) */
	uint64_t fault_nomem;           /* -ENOMEM returned */
	uint64_t amaps;                 /* amaps in use now */
	uint64_t anons;                 /* anons (anonymous pages) in use now */
	uint64_t shared_anons;          /* anons shared copy-on-write (refcnt > 1) */
	uint64_t objects;               /* memory objects in use now */
	uint64_t object_pages;          /* resident object pages (page cache) */
	uint64_t pageins;               /* pages read in by a pager (object.c) */
};

/*
 * Paging events with Linux's /proc/vmstat names, counted by the fault
 * path, the swap pager, the page daemon and the OOM killer.
 */
enum vm_event {
	VM_EV_PGMAJFAULT,       /* pgmajfault: faults that waited for a read */
	VM_EV_PSWPIN,           /* pswpin: pages read from swap */
	VM_EV_PSWPOUT,          /* pswpout: pages written to swap */
	VM_EV_PGSCAN,           /* pgscan: pages the page daemon looked at */
	VM_EV_PGSTEAL,          /* pgsteal: pages it freed */
	VM_EV_PGACTIVATE,       /* pgactivate: inactive -> active (referenced) */
	VM_EV_PGDEACTIVATE,     /* pgdeactivate: active -> inactive */
	VM_EV_OOM_KILL,         /* oom_kill: processes the OOM killer killed */
	VM_EV_ALLOCSTALL,       /* allocstall: user allocations that slept */
	VM_NEVENTS
};

/* Add n to event ev's count; any context, no locks. */
void vm_event_add(enum vm_event ev, uint64_t n);
/* The count of ev since boot. */
uint64_t vm_event_get(enum vm_event ev);

/* The current counts. */
void vm_stats_get(struct vm_stats *out);

/* The text of /proc/vmstat's VM section: one "name value" line a counter
 * (pgfault, pgfault_upper, pgfault_lower, pgfault_zero, pgfault_cow,
 * pgfault_needs_copy, pgpagein, pgfault_stack, pgfault_error,
 * pgfault_nomem, nr_amaps, nr_anon_pages, nr_shared_anon_pages,
 * nr_vm_objects, nr_object_pages). Returns sbuf_error(sb). */
int vm_stats_display(struct sbuf *sb);

/* The VM lines of /proc/meminfo, appended by procfs.c after the page lines:
 * AnonPages, CowShared (anon pages shared copy-on-write) and Cached
 * (resident object pages) in kB; then counts: ZeroFillFaults, CowFaults,
 * PageIns (pages read in by a pager), SharedPages (anon pages shared
 * copy-on-write), VmObjects, Amaps, Anons. Returns sbuf_error(sb). */
int vm_stats_display_meminfo(struct sbuf *sb);

#endif
