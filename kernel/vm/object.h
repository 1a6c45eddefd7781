/*
 * Memory objects (Mach): the lower layer of a VMA. An object has a
 * reference count, a size, its resident pages indexed by offset, and a
 * pager for its backing store (kernel/vm/pager.h). A vnode's object is the
 * page cache of its file. This issue defines the structure only: objects,
 * their operations (kernel/vm/object.c) and the lower-layer fault case come
 * with the page cache in the next issue.
 */
#ifndef KERNEL_VM_OBJECT_H
#define KERNEL_VM_OBJECT_H

#include "kernel/types.h"
#include "kernel/lock.h"
#include "arch/riscv/vmparam.h"

struct vm_page;
struct pager_ops;

/* Resident pages per chunk of the page index: one page of pointers. */
#define VM_OBJECT_CHUNK_PAGES  (PAGE_SIZE / sizeof(struct vm_page *))

/*
 * Locking: (o) obj->lock (a mutex: pagers sleep for I/O), below the mspace
 * lock and the vnode lock, above amap locks; (c) const after creation.
 * Invariants: refcnt >= 1 while in use; every resident page pg at index i
 * has pg->owner == obj and pg->offset == i * PAGE_SIZE; no resident page
 * at an offset >= ROUNDUP(size, PAGE_SIZE); nresident == pages indexed.
 */
struct vm_object {
	struct mutex lock;
	int refcnt;                        /* (o) VMAs, vnode, page cache users */
	uint64_t size;                     /* (o) bytes */
	struct vm_page ***chunks;          /* (o) resident pages by page index:
	                                    * chunk i holds indexes
	                                    * i*VM_OBJECT_CHUNK_PAGES.., or NULL */
	size_t nchunks;                    /* (o) entries in chunks[] */
	uint64_t nresident;                /* (o) resident pages */
	const struct pager_ops *pager;     /* (c) NULL: pages stay resident */
	void *pager_priv;                  /* (c) vnode, swap map, ... */
};

#endif
