/*
 * VM event counters for /proc/vmstat and tests: faults by case, and the
 * amaps and anons in use. Counters only grow (except the in-use counts) and
 * are updated atomically from any hart without locks.
 */
#ifndef KERNEL_VM_VMSTAT_H
#define KERNEL_VM_VMSTAT_H

#include "kernel/types.h"

struct sbuf;

/* Event counts since boot. */
struct vm_stats {
	uint64_t faults;                /* vm_fault calls (and mspace_write pages) */
	uint64_t fault_upper;           /* case 1: page found in the amap */
	uint64_t fault_zero_fill;       /* case 3: new zero-filled anon page */
	uint64_t fault_stack_grow;      /* case 6: stack VMA grown */
	uint64_t fault_errors;          /* case 8: -EFAULT (no VMA, protection) */
	uint64_t fault_nomem;           /* -ENOMEM returned */
	uint64_t amaps;                 /* amaps in use now */
	uint64_t anons;                 /* anons (anonymous pages) in use now */
};

/* The current counts. */
void vm_stats_get(struct vm_stats *out);

/* The text of /proc/vmstat's VM section: one "name value" line a counter
 * (pgfault, pgfault_upper, pgfault_zero, pgfault_stack, pgfault_error,
 * pgfault_nomem, nr_amaps, nr_anon_pages). Returns sbuf_error(sb). */
int vm_stats_display(struct sbuf *sb);

#endif
