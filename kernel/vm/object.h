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

/*
 * Operations (kernel/vm/object.c). Offsets and sizes are in bytes; offsets
 * passed in are page aligned. None of them may be called with an amap or
 * pmap lock held (they may sleep for pager I/O).
 */

/* A new object of size bytes with refcnt 1 and the given pager (NULL: an
 * anonymous object whose pages are zero-filled on first use and stay
 * resident, e.g. MAP_SHARED|MAP_ANONYMOUS). NULL on -ENOMEM. */
struct vm_object *vm_object_create(uint64_t size, const struct pager_ops *pager,
				   void *pager_priv);
void vm_object_ref(struct vm_object *obj);
/* Drop a reference; the last one writes nothing back (callers sync first),
 * frees every resident page (which no pmap may still map) and calls
 * pager->destroy. */
void vm_object_unref(struct vm_object *obj);

/* The resident page at off, read in through the pager (or zero-filled when
 * there is no pager) if it is not resident yet. On success *pgp holds the
 * page with a hold (wire_count + 1) that keeps it resident until
 * vm_object_release_page.
 * => obj->lock not held; may sleep.
 * Returns 0, -EFAULT if off lies at or past ROUNDUP(size, PAGE_SIZE) of a
 * pager-backed object, -EIO, or -ENOMEM. */
int vm_object_get_page(struct vm_object *obj, uint64_t off, struct vm_page **pgp);
/* vm_object_get_page that also sets *read_in when the page was read in
 * through the pager (a major fault), and leaves it alone otherwise. */
int vm_object_get_page_io(struct vm_object *obj, uint64_t off,
			  struct vm_page **pgp, bool *read_in);
void vm_object_release_page(struct vm_object *obj, struct vm_page *pg);
/* Fault-around: hold, without any I/O, the resident pages of the n pages
 * (n <= VM_OBJECT_AROUND_MAX) from byte offset off (page aligned):
 * pgs[i] is the page at off + i pages with a hold (wire_count + 1), or
 * NULL where the page is not resident, busy, or past the end of obj.
 * => obj->lock not held; may sleep (the object's mutex). Returns how many
 * it holds (0 when none); no errors. Release with
 * vm_object_release_pages. */
#define VM_OBJECT_AROUND_MAX 64
size_t vm_object_hold_resident(struct vm_object *obj, uint64_t off, size_t n,
			       struct vm_page **pgs);
/* Drop the holds vm_object_hold_resident took (NULL entries skipped).
 * => obj->lock not held. */
void vm_object_release_pages(struct vm_object *obj, struct vm_page **pgs,
			     size_t n);
/* Mark the held page pg busy (VM_PAGE_BUSY), first sleeping while another
 * caller has it busy: for changing its contents without obj->lock
 * (write()), or for copying them whole (copy-on-write), so no copy sees a
 * half-written page. Busy is exclusive and must not be taken twice by one
 * caller; the page stays busy until vm_object_page_unbusy.
 * => pg held (vm_object_get_page); obj->lock not held; no spinlock held;
 *    may sleep. While busy, the caller must not take a copy-on-write fault
 *    on pg itself (reading user memory is safe: a read fault never waits). */
void vm_object_page_busy(struct vm_object *obj, struct vm_page *pg);
/* End the busy state of pg and wake its waiters. => pg busy, held by the
 * caller; obj->lock not held. */
void vm_object_page_unbusy(struct vm_object *obj, struct vm_page *pg);
/* The page was written through the kernel (write()): mark it dirty. */
void vm_object_page_dirty(struct vm_object *obj, struct vm_page *pg);
/* Write back the dirty pages of [off, off+len) (len 0: the whole object)
 * through the pager; pages dirtied through mappings are found with
 * pmap_clear_modify. Returns 0 or -EIO. */
int vm_object_sync(struct vm_object *obj, uint64_t off, uint64_t len);
/* The page daemon's page-out of pg, an object page it took off the page
 * queues: unless the object is being freed or pg is no longer its page
 * (left alone), or pg is held or busy (back on the active queue, -EBUSY),
 * unmap it from every pmap, write it through the pager if it was written
 * (or the pager does not hold it yet: an anonymous object's new page),
 * and free it. A failed write leaves it resident, dirty and active.
 * => obj->lock held (the daemon tried it). Returns 0 (freed), -EBUSY, or
 * the pager's -EIO / -ENOSPC. */
int vm_object_pageout(struct vm_object *obj, struct vm_page *pg);
/* drop_caches: free pg, a page of obj's page cache, if it is clean,
 * mapped nowhere, neither held nor busy, and its pager is a file's.
 * => obj->lock held (tried). Returns 0 (freed) or -EBUSY (left alone). */
int vm_object_drop_clean(struct vm_object *obj, struct vm_page *pg);
/* Set the size; pages wholly past the new end are unmapped from every pmap
 * (pmap_page_protect(pg, VM_PROT_NONE)) and freed, and the tail of the new
 * last page is zeroed. */
void vm_object_set_size(struct vm_object *obj, uint64_t size);
/* Objects and resident object pages in use (for /proc and leak checks). */
uint64_t vm_object_count(void);
uint64_t vm_object_resident_pages(void);
/* Pages read in through a pager since boot (a fault or read() that found
 * the page resident does not count). */
uint64_t vm_object_pageins(void);

#endif
