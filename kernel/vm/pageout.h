/*
 * The page daemon and the out-of-memory killer (kernel/vm/pageout.c).
 */
#ifndef KERNEL_VM_PAGEOUT_H
#define KERNEL_VM_PAGEOUT_H

#include "kernel/types.h"

enum pageout_policy {
	PAGEOUT_CLOCK,          /* second chance on referenced bits (default) */
	PAGEOUT_FIFO,           /* boot option vm.policy=fifo: first in, first out */
};

/* Read vm.policy and start the daemon thread ("pagedaemon"). Called once
 * by the first process before it execs init. Process context. */
void vm_pageout_init(void);
/* The replacement policy in force. */
enum pageout_policy vm_pageout_policy(void);

/* Ask for a pass (page.h declares it for the allocator): sets a flag,
 * any context, any locks. */
void vm_pageout_wakeup(void);
/* Called by every timer tick (interrupt context, no locks): wakes the
 * daemon if a pass was asked for while it slept. */
void vm_pageout_tick(void);

/* One pass of the daemon: in every zone below its high watermark, run the
 * clock until the zone is back at high (plus one swap run) or a lap of its
 * queues found nothing more to free. *short_of_memory: some zone is still
 * at or below its min watermark. Returns pages freed. The daemon calls it;
 * host tests call it directly. => no locks held; sleeps for I/O. */
uint64_t vm_pageout_pass(bool *short_of_memory);

/* /proc/sys/vm/drop_caches: free every clean page-cache page of a file
 * that no process maps (Linux's "1"; dirty, mapped, held and busy pages
 * stay). Returns pages freed. => process context, no locks held. */
uint64_t vm_pageout_drop_caches(void);

/* A user allocation found no free page: wake the daemon and sleep until it
 * has made a pass (with the OOM killer if no page could be freed).
 * => process context; no locks held (the fault path drops the mspace
 *    lock first). Returns 0 (try again) or -ENOMEM: this process has
 *    SIGKILL pending (the OOM killer chose it), there is no daemon, or no
 *    page could be freed and no process could be killed. */
int vm_wait_for_memory(void);

#endif
