/*
 * Host stand-ins for what anon.c and object.c reach outside the code a
 * host test links: the scheduler (host tests are single-threaded, so a
 * wait would never end and aborts), the swap I/O (no disk), the page
 * queues and the pmap's page-wide calls. All weak: a test that has its
 * own stub (test_mspace's pmap) or links the real file wins.
 */
#include <stdio.h>
#include <stdlib.h>
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/vm/vm.h"
#include "kernel/vm/page.h"
#include "kernel/vm/swap.h"
#include "kernel/vm/vmstat.h"

#define WEAK __attribute__((weak))

WEAK void sched_sleep_noint(void *chan __unused, void *lk __unused)
{
	fprintf(stderr, "panic: a host test would sleep forever\n");
	abort();
}

WEAK void sched_wakeup(void *chan __unused)
{
}

static uint64_t host_events[VM_NEVENTS];

WEAK void vm_event_add(enum vm_event ev, uint64_t n)
{
	host_events[ev] += n;
}

WEAK uint64_t vm_event_get(enum vm_event ev)
{
	return host_events[ev];
}

WEAK int swap_read_page(swap_slot_t slot __unused, struct vm_page *pg __unused)
{
	return -ENODEV;
}

WEAK void vm_page_activate(struct vm_page *pg __unused)
{
}

WEAK void vm_page_dequeue(struct vm_page *pg __unused)
{
}

WEAK void pmap_page_protect(struct vm_page *pg __unused, vm_prot_t prot __unused)
{
}

WEAK bool pmap_clear_modify(struct vm_page *pg __unused)
{
	return false;
}

WEAK int swap_write_run(swap_slot_t first __unused, struct vm_page *const *pages __unused,
			size_t n __unused)
{
	return -ENODEV;
}


WEAK int vm_wait_for_memory(void)
{
	return -ENOMEM;         /* no page daemon on the host */
}

WEAK uint64_t anon_swapcache_count(void)
{
	return 0;
}

WEAK bool pmap_is_modified(struct vm_page *pg __unused)
{
	return false;
}

WEAK uint64_t vm_pageout_drop_caches(void)
{
	return 0;
}

WEAK void pmap_page_remove_deferred(struct vm_page *pg __unused)
{
}

WEAK void pmap_tlb_flush_all(void)
{
}

WEAK bool pmap_tlb_flush_deferred(void)
{
	return false;
}

WEAK int swap_read_run(swap_slot_t first __unused, struct vm_page *const *pages __unused,
		       size_t n __unused)
{
	return -ENODEV;
}

WEAK size_t swap_run_max(void)
{
	return 0;               /* no swap disk on the host */
}

WEAK int swap_read_run_async(swap_slot_t first __unused,
			     struct vm_page *const *pages __unused,
			     size_t n __unused, struct blk_request *req __unused,
			     struct blk_seg *segs __unused,
			     void (*done)(struct blk_request *) __unused,
			     void *arg __unused)
{
	return -ENODEV;
}

WEAK void sched_sleep_ns(uint64_t ns __unused)
{
}
