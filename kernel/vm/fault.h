/*
 * vm_fault: the one place a page fault is resolved (cases drawn in
 * kernel/vm/fault.c), and the VM event counters (kernel/vm/vmstat.h).
 */
#ifndef KERNEL_VM_FAULT_H
#define KERNEL_VM_FAULT_H

#include "kernel/vm/vm.h"

struct mspace;
struct vm_page;

/* Resolve a fault at user va for access in ms.
 * => no locks held; may sleep.
 * Returns 0 when the access can be retried, -EFAULT when no VMA allows it
 * (the caller sends SIGSEGV or fails copyin), -ENOMEM when memory ran
 * out; any other error is a SIGBUS (as Linux sends; copyin fails) and
 * names its cause: -ENXIO the page lies past the end of a mapped file,
 * -EIO its pager could not read it (or, for a store, reserve its block),
 * -ENOSPC or -EFBIG no block could be had for a store into a hole. */
int vm_fault(struct mspace *ms, vaddr_t va, enum vm_access access);
/* vm_fault that also says in *major (if not NULL) whether the fault had to
 * wait for a read from a pager or the swap device (a major fault, counted
 * in /proc/<pid>/stat's majflt; the others are minor). Same returns. */
int vm_fault_ex(struct mspace *ms, vaddr_t va, enum vm_access access,
		bool *major);

/* vm_fault_locked flags */
#define VM_FAULT_FORCE  0x1     /* ignore the VMA's protection (mspace_write) */

/* A page resolved by vm_fault_locked, kept resident for its caller. */
struct vm_fault_hold {
	struct vm_page *page;
	struct vm_object *obj;  /* page's memory object, holding the page
	                         * (vm_object_get_page); NULL: an anon's page */
	struct anon *anon;      /* the anon whose page is held
	                         * (anon_page_hold), or NULL */
};

/* vm_fault for a caller that holds ms->lock (mspace_write/read): resolves
 * the page at va and, if hold is not NULL, returns it in hold->page with
 * a hold that keeps it resident (a truncate of its file waits) until
 * vm_fault_release. Same returns as vm_fault; on error nothing is held.
 * => ms->lock held. */
int vm_fault_locked(struct mspace *ms, vaddr_t va, enum vm_access access,
		    int flags, struct vm_fault_hold *hold);
/* Drop the hold vm_fault_locked returned. => ms->lock held. */
void vm_fault_release(struct vm_fault_hold *hold);

struct vma;
/* Case 5 (needs-copy) on its own, for mspace.c's VMA split and
 * MADV_DONTNEED: give vma (VMA_PRIVATE) an amap of its own. If its amap is
 * still shared since fork, amap_copy the slots vma uses (sharing their
 * anons, no page copied) and drop the old one; VMA_NEEDS_COPY is cleared.
 * => ms->lock held. Returns 0 or -ENOMEM (vma unchanged). */
int vm_fault_needs_copy(struct mspace *ms, struct vma *vma);

#endif
