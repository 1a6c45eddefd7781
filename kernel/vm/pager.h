/*
 * Pagers: the backing store of a memory object (kernel/vm/object.h). The
 * vnode pager reads and writes file blocks, the swap pager keeps anonymous
 * pages on the swap device; an object without a pager keeps its pages
 * resident. Only the interface exists in this issue: the page cache and
 * swap implement it in later issues. Called by the fault path and the page
 * daemon, never by user-facing code directly.
 */
#ifndef KERNEL_VM_PAGER_H
#define KERNEL_VM_PAGER_H

#include "kernel/types.h"

struct vm_object;
struct vm_page;

/*
 * The operations every pager provides. Offsets are in bytes from the start
 * of the object and page aligned.
 * => each is called with the object's lock held; get_page and put_page may
 *    sleep for I/O (the lock is a mutex).
 */
struct pager_ops {
	const char *name;
	/* Swap is the backing store (the aobj pager): msync and fsync write
	 * nothing; only the page daemon pages it out. */
	bool swap_backed;
	/* True if the backing store holds the page at off. */
	bool (*has_page)(struct vm_object *obj, uint64_t off);
	/* Read the page at off into pg (a fresh page of the caller's).
	 * Returns 0, -EIO, or -EFAULT if off lies past the end (a mapping of
	 * a file beyond its size). */
	int (*get_page)(struct vm_object *obj, uint64_t off, struct vm_page *pg);
	/* Write pg, the object's page at off, to the backing store.
	 * Returns 0, -EIO, or -ENOSPC (no swap slot). */
	int (*put_page)(struct vm_object *obj, uint64_t off, struct vm_page *pg);
	/* Optional: a store through a shared mapping is about to make the
	 * page at off (resident, held by the caller) writable: reserve its
	 * backing store now. => obj->lock not held (the pager takes it).
	 * Returns 0, -ENOSPC, -EFBIG or -EIO; the fault then fails (SIGBUS).
	 * Without it, a shared page is mapped writable on any fault. */
	int (*mkwrite)(struct vm_object *obj, uint64_t off);
	/* The object is being freed: release the pager's private data. */
	void (*destroy)(struct vm_object *obj);
	/* Optional: only the owner's reference is left (refcnt fell to 1).
	 * The vnode pager drops the vnode reference its users held. Called
	 * without obj->lock, in process context. */
	void (*unreferenced)(struct vm_object *obj);
};

#endif
