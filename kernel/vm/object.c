/*
 * Memory objects (kernel/vm/object.h): reference counts, the index of
 * resident pages by offset, read-in through the pager, dirty tracking and
 * write-back. Called by the fault path, mmap and the VFS page cache; it
 * sees frames only through page.h and pmap.h and backing store only
 * through the object's pager (pager.h).
 *
 * A page being read in is never seen half-filled: the pager's I/O runs
 * with obj->lock held, and every lookup takes that lock. A hold
 * (wire_count) keeps a page resident while a caller copies to or from it
 * without the lock; shrinking an object waits for the holds on the pages
 * it frees.
 *
 * Busy pages: a holder that changes a page's contents without obj->lock
 * (write() copying in from user memory, which may fault and sleep) marks
 * it VM_PAGE_BUSY first (vm_object_page_busy), and so does anyone who
 * needs the contents stable (the copy-on-write copy of fault_cow). Busy
 * is exclusive: vm_object_page_busy sleeps until the page is not busy.
 * Readers that only map the page or copy it out to a user do not wait.
 * Swap-in will use the same bit: the page is busy while its I/O runs with
 * the lock dropped, and every other fault on it waits.
 */
#include "kernel/vm/object.h"
#include "kernel/vm/pageout.h"
#include "kernel/vm/pager.h"
#include "kernel/vm/page.h"
#include "kernel/vm/pmap.h"
#include "kernel/vm/kmem.h"
#include "kernel/errno.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "kernel/proc/sched.h"

#define CHUNK_PAGES   VM_OBJECT_CHUNK_PAGES
#define CHUNK_BYTES   (CHUNK_PAGES * sizeof(struct vm_page *))
_Static_assert(CHUNK_BYTES == PAGE_SIZE, "a chunk of the page index is one page");

static struct kmem_cache *object_cache;         /* set once */
static uint64_t objects_inuse;                  /* atomic */
static uint64_t object_pages;                   /* atomic: resident pages */
static uint64_t object_pageins;                 /* atomic: pages a pager read */
/* Sleeping until a page's hold is released: object_waiters (atomic) says
 * whether a release must wake anyone; the wait lock closes the window
 * between dropping obj->lock and sleeping. A leaf spinlock. */
static uint32_t object_waiters;
static struct spinlock object_wait_lock = SPINLOCK_INIT("vm_object wait");

static uint64_t page_index(uint64_t off)
{
	return off >> PAGE_SHIFT;
}

/* Page indexes below the end of an object of size bytes. */
static uint64_t object_npages(uint64_t size)
{
	return PAGE_ROUNDUP(size) >> PAGE_SHIFT;
}

/* The slab cache of objects, made on first use. */
static struct kmem_cache *object_cache_get(void)
{
	struct kmem_cache *c = __atomic_load_n(&object_cache, __ATOMIC_ACQUIRE);
	if (c != NULL)
		return c;
	c = kmem_cache_create("vm_object", sizeof(struct vm_object), 0);
	if (c == NULL)
		return NULL;
	struct kmem_cache *expected = NULL;
	if (!__atomic_compare_exchange_n(&object_cache, &expected, c, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		kmem_cache_destroy(c);          /* another hart made it first */
		c = expected;
	}
	return c;
}

/* ---------------------------------------------------------------- index */

/* => obj->lock. The resident page at index idx, or NULL. */
static struct vm_page *object_lookup(struct vm_object *obj, uint64_t idx)
{
	uint64_t c = idx / CHUNK_PAGES;
	if (c >= obj->nchunks || obj->chunks[c] == NULL)
		return NULL;
	return obj->chunks[c][idx % CHUNK_PAGES];
}

/* => obj->lock. Make a slot for index idx (growing the chunk table and
 * allocating its chunk). Returns 0 or -ENOMEM. */
static int object_index_grow(struct vm_object *obj, uint64_t idx)
{
	uint64_t c = idx / CHUNK_PAGES;
	if (c >= obj->nchunks) {
		size_t n = MAX((size_t)c + 1, obj->nchunks * 2);
		struct vm_page ***chunks = kzalloc(n * sizeof(*chunks));
		if (chunks == NULL)
			return -ENOMEM;
		if (obj->nchunks > 0)
			memcpy(chunks, obj->chunks, obj->nchunks * sizeof(*chunks));
		kfree(obj->chunks);
		obj->chunks = chunks;
		obj->nchunks = n;
	}
	if (obj->chunks[c] == NULL) {
		obj->chunks[c] = kzalloc(CHUNK_BYTES);
		if (obj->chunks[c] == NULL)
			return -ENOMEM;
	}
	return 0;
}

/* => obj->lock. The first resident page at an index in [*idx, end);
 * *idx becomes its index. NULL if there is none. */
static struct vm_page *object_next(struct vm_object *obj, uint64_t *idx, uint64_t end)
{
	uint64_t i = *idx;
	while (i < end) {
		uint64_t c = i / CHUNK_PAGES;
		if (c >= obj->nchunks)
			break;
		if (obj->chunks[c] == NULL) {
			i = (c + 1) * CHUNK_PAGES;
			continue;
		}
		struct vm_page *pg = obj->chunks[c][i % CHUNK_PAGES];
		if (pg != NULL) {
			*idx = i;
			return pg;
		}
		i++;
	}
	return NULL;
}

/* => obj->lock. Make pg the resident page at idx (the slot exists). */
static void object_insert(struct vm_object *obj, uint64_t idx, struct vm_page *pg)
{
	pg->owner = obj;
	pg->offset = idx << PAGE_SHIFT;
	pg->flags &= ~VM_PAGE_DIRTY;
	obj->chunks[idx / CHUNK_PAGES][idx % CHUNK_PAGES] = pg;
	obj->nresident++;
	__atomic_fetch_add(&object_pages, 1, __ATOMIC_RELAXED);
	vm_page_activate(pg);   /* after owner: the page daemon may look */
}

/* => obj->lock. Take the unheld page pg at idx out of the object, out of
 * every pmap, and free it. */
static void object_free_page(struct vm_object *obj, uint64_t idx, struct vm_page *pg)
{
	KASSERT(pg->owner == obj && pg->wire_count == 0,
		"vm_object_free_page: page %lx owner %p holds %u",
		(unsigned long)pg->pa, pg->owner, pg->wire_count);
	pmap_page_protect(pg, VM_PROT_NONE);
	obj->chunks[idx / CHUNK_PAGES][idx % CHUNK_PAGES] = NULL;
	obj->nresident--;
	__atomic_fetch_sub(&object_pages, 1, __ATOMIC_RELAXED);
	pg->flags &= ~VM_PAGE_DIRTY;
	pg->owner = NULL;
	vm_page_free(pg, 0);
}

/* => obj->lock. Free the index chunks that hold only indexes >= first
 * (all of them empty). */
static void object_free_chunks_from(struct vm_object *obj, uint64_t first)
{
	for (size_t c = ROUNDUP(first, CHUNK_PAGES) / CHUNK_PAGES; c < obj->nchunks; c++) {
		kfree(obj->chunks[c]);
		obj->chunks[c] = NULL;
	}
}

/* => obj->lock. Sleep until pg's holds or busy bit change (the caller
 * looks again); obj->lock is dropped meanwhile and held again on return. */
static void object_wait_page(struct vm_object *obj, struct vm_page *pg)
{
	__atomic_fetch_add(&object_waiters, 1, __ATOMIC_SEQ_CST);
	spin_lock(&object_wait_lock);
	mutex_unlock(&obj->lock);
	sched_sleep_noint(pg, &object_wait_lock);
	spin_unlock(&object_wait_lock);
	__atomic_fetch_sub(&object_waiters, 1, __ATOMIC_SEQ_CST);
	mutex_lock(&obj->lock);
}

/* ------------------------------------------------------------ lifetime */

struct vm_object *vm_object_create(uint64_t size, const struct pager_ops *pager,
				   void *pager_priv)
{
	struct kmem_cache *cache = object_cache_get();
	struct vm_object *obj = cache != NULL ? kmem_cache_zalloc(cache) : NULL;
	if (obj == NULL)
		return NULL;
	mutex_init(&obj->lock, "vm_object");
	obj->refcnt = 1;
	obj->size = size;
	obj->pager = pager;
	obj->pager_priv = pager_priv;
	__atomic_fetch_add(&objects_inuse, 1, __ATOMIC_RELAXED);
	return obj;
}

void vm_object_ref(struct vm_object *obj)
{
	mutex_lock(&obj->lock);
	KASSERT(obj->refcnt > 0, "vm_object_ref: object %p refcnt %d", (void *)obj,
		obj->refcnt);
	obj->refcnt++;
	mutex_unlock(&obj->lock);
}

/* The last reference is gone: free every page, the index, the pager's
 * data and the object. */
static void object_destroy(struct vm_object *obj)
{
	uint64_t idx = 0;
	struct vm_page *pg;
	mutex_lock(&obj->lock);
	while ((pg = object_next(obj, &idx, UINT64_MAX)) != NULL) {
		KASSERT(pg->pv_list == NULL,
			"vm_object_unref: page %lx at %lx is still mapped",
			(unsigned long)pg->pa, (unsigned long)(idx << PAGE_SHIFT));
		object_free_page(obj, idx, pg);
		idx++;
	}
	KASSERT(obj->nresident == 0, "vm_object_unref: %lu pages left",
		(unsigned long)obj->nresident);
	object_free_chunks_from(obj, 0);
	kfree(obj->chunks);
	obj->chunks = NULL;
	obj->nchunks = 0;
	mutex_unlock(&obj->lock);
	if (obj->pager != NULL && obj->pager->destroy != NULL)
		obj->pager->destroy(obj);
	kmem_cache_free(object_cache, obj);
	__atomic_fetch_sub(&objects_inuse, 1, __ATOMIC_RELAXED);
}

/* Drop a reference. When only the owner's is left, the pager hears of
 * it (the vnode pager lets go of its vnode); the owner must not drop its
 * own reference before that call returns. */
void vm_object_unref(struct vm_object *obj)
{
	mutex_lock(&obj->lock);
	KASSERT(obj->refcnt > 0, "vm_object_unref: object %p refcnt %d", (void *)obj,
		obj->refcnt);
	int left = --obj->refcnt;
	mutex_unlock(&obj->lock);
	if (left == 1 && obj->pager != NULL && obj->pager->unreferenced != NULL)
		obj->pager->unreferenced(obj);
	if (left == 0)
		object_destroy(obj);
}

/* ---------------------------------------------------------------- pages */

/* => obj->lock. Bring the page at off (below the end) in: read through
 * the pager, or zero-filled without one. Returns 0, -ENOMEM, -EIO or the
 * pager's -EFAULT. */
static int object_page_in(struct vm_object *obj, uint64_t off, struct vm_page **pgp)
{
	uint64_t idx = page_index(off);
	int err = object_index_grow(obj, idx);
	if (err < 0)
		return err;
	int flags = VM_ALLOC_USER | (obj->pager == NULL ? VM_ALLOC_ZERO : 0);
	struct vm_page *pg = vm_page_alloc(0, VM_ZONE_ANY, flags);
	if (pg == NULL)
		return -ENOMEM;
	if (obj->pager != NULL) {
		err = obj->pager->get_page(obj, off, pg);
		if (err < 0) {
			vm_page_free(pg, 0);
			return err;
		}
		__atomic_fetch_add(&object_pageins, 1, __ATOMIC_RELAXED);
	}
	object_insert(obj, idx, pg);
	*pgp = pg;
	return 0;
}

int vm_object_get_page(struct vm_object *obj, uint64_t off, struct vm_page **pgp)
{
	return vm_object_get_page_io(obj, off, pgp, NULL);
}

int vm_object_get_page_io(struct vm_object *obj, uint64_t off,
			  struct vm_page **pgp, bool *read_in)
{
	struct vm_page *pg = NULL;
	int err = 0;
	KASSERT(PAGE_ALIGNED(off), "vm_object_get_page: offset %lx", (unsigned long)off);
	mutex_lock(&obj->lock);
	if (page_index(off) >= object_npages(obj->size))
		err = -EFAULT;
	else if ((pg = object_lookup(obj, page_index(off))) == NULL) {
		bool in = true;

		err = object_page_in(obj, off, &pg);
		/* No free page: wait for the page daemon without our lock
		 * (it may want this object's pages), then look again. */
		while (err == -ENOMEM) {
			mutex_unlock(&obj->lock);
			int werr = vm_wait_for_memory();
			mutex_lock(&obj->lock);
			if (werr)
				break;
			if (page_index(off) >= object_npages(obj->size)) {
				err = -EFAULT;
			} else if ((pg = object_lookup(obj, page_index(off))) != NULL) {
				err = 0;
				in = false;     /* someone else read it */
			} else {
				err = object_page_in(obj, off, &pg);
			}
		}
		if (read_in != NULL)
			*read_in = err == 0 && in && obj->pager != NULL;
	}
	if (err == 0)
		pg->wire_count++;
	mutex_unlock(&obj->lock);
	*pgp = err == 0 ? pg : NULL;
	return err;
}

/* See object.h. One lock round for the whole window, no pager call. */
size_t vm_object_hold_resident(struct vm_object *obj, uint64_t off, size_t n,
			       struct vm_page **pgs)
{
	size_t held = 0;

	KASSERT(PAGE_ALIGNED(off) && n <= VM_OBJECT_AROUND_MAX,
		"vm_object_hold_resident: offset %lx, %lu pages",
		(unsigned long)off, (unsigned long)n);
	mutex_lock(&obj->lock);
	for (size_t i = 0; i < n; i++) {
		uint64_t idx = page_index(off) + i;
		struct vm_page *pg = NULL;

		if (idx < object_npages(obj->size))
			pg = object_lookup(obj, idx);
		if (pg != NULL && (pg->flags & VM_PAGE_BUSY))
			pg = NULL;      /* being written or read in */
		if (pg != NULL) {
			pg->wire_count++;
			held++;
		}
		pgs[i] = pg;
	}
	mutex_unlock(&obj->lock);
	return held;
}

/* Wake whoever waits in object_wait_page for pg, if anyone does.
 * => obj->lock not held (the change to pg was made under it). */
static void object_wake_page(struct vm_page *pg)
{
	if (__atomic_load_n(&object_waiters, __ATOMIC_SEQ_CST) == 0)
		return;
	spin_lock(&object_wait_lock);
	sched_wakeup(pg);
	spin_unlock(&object_wait_lock);
}

void vm_object_release_page(struct vm_object *obj, struct vm_page *pg)
{
	mutex_lock(&obj->lock);
	KASSERT(pg->owner == obj && pg->wire_count > 0,
		"vm_object_release_page: page %lx owner %p holds %u",
		(unsigned long)pg->pa, pg->owner, pg->wire_count);
	bool wake = --pg->wire_count == 0;
	mutex_unlock(&obj->lock);
	if (wake)
		object_wake_page(pg);
}

/* See object.h. One lock round; a page whose last hold goes wakes its
 * waiters after the unlock, as in vm_object_release_page. */
void vm_object_release_pages(struct vm_object *obj, struct vm_page **pgs,
			     size_t n)
{
	bool wake[VM_OBJECT_AROUND_MAX];

	KASSERT(n <= VM_OBJECT_AROUND_MAX, "%lu pages", (unsigned long)n);
	mutex_lock(&obj->lock);
	for (size_t i = 0; i < n; i++) {
		struct vm_page *pg = pgs[i];

		wake[i] = false;
		if (pg == NULL)
			continue;
		KASSERT(pg->owner == obj && pg->wire_count > 0,
			"vm_object_release_pages: page %lx owner %p holds %u",
			(unsigned long)pg->pa, pg->owner, pg->wire_count);
		wake[i] = --pg->wire_count == 0;
	}
	mutex_unlock(&obj->lock);
	for (size_t i = 0; i < n; i++)
		if (wake[i])
			object_wake_page(pgs[i]);
}

void vm_object_page_busy(struct vm_object *obj, struct vm_page *pg)
{
	mutex_lock(&obj->lock);
	KASSERT(pg->owner == obj && pg->wire_count > 0,
		"vm_object_page_busy: page %lx owner %p holds %u",
		(unsigned long)pg->pa, pg->owner, pg->wire_count);
	while (pg->flags & VM_PAGE_BUSY)
		object_wait_page(obj, pg);
	pg->flags |= VM_PAGE_BUSY;
	mutex_unlock(&obj->lock);
}

void vm_object_page_unbusy(struct vm_object *obj, struct vm_page *pg)
{
	mutex_lock(&obj->lock);
	KASSERT(pg->owner == obj && (pg->flags & VM_PAGE_BUSY),
		"vm_object_page_unbusy: page %lx owner %p not busy",
		(unsigned long)pg->pa, pg->owner);
	pg->flags &= ~VM_PAGE_BUSY;
	mutex_unlock(&obj->lock);
	object_wake_page(pg);
}

void vm_object_page_dirty(struct vm_object *obj, struct vm_page *pg)
{
	mutex_lock(&obj->lock);
	KASSERT(pg->owner == obj, "vm_object_page_dirty: page %lx owner %p",
		(unsigned long)pg->pa, pg->owner);
	pg->flags |= VM_PAGE_DIRTY;
	mutex_unlock(&obj->lock);
}

/* ------------------------------------------------------------ write-back */

/* => obj->lock. Write pg (at index idx) through the pager if it was
 * written, by write() (VM_PAGE_DIRTY) or through a mapping (the pmap's
 * modify bit, cleared here so later stores are seen). 0 or the pager's
 * error; a page that failed stays dirty. */
static int object_clean_page(struct vm_object *obj, uint64_t idx, struct vm_page *pg)
{
	bool dirty = (pg->flags & VM_PAGE_DIRTY) != 0;
	if (pmap_clear_modify(pg))
		dirty = true;
	if (!dirty)
		return 0;
	pg->flags &= ~VM_PAGE_DIRTY;
	int err = obj->pager->put_page(obj, idx << PAGE_SHIFT, pg);
	if (err < 0)
		pg->flags |= VM_PAGE_DIRTY;
	return err;
}

int vm_object_pageout(struct vm_object *obj, struct vm_page *pg)
{
	uint64_t idx = pg->offset >> PAGE_SHIFT;
	int err;

	KASSERT(mutex_holding(&obj->lock), "object lock not held");
	if (obj->refcnt == 0 || pg->owner != obj)
		return -EBUSY;          /* being freed: not ours to touch */
	if (pg->wire_count > 0 || (pg->flags & VM_PAGE_BUSY) ||
	    obj->pager == NULL) {
		vm_page_activate(pg);
		return -EBUSY;
	}
	pmap_page_protect(pg, VM_PROT_NONE);
	/* A page its pager does not hold (an anonymous object's page never
	 * written to swap) must be written even if clean. */
	if (!obj->pager->has_page(obj, pg->offset))
		pg->flags |= VM_PAGE_DIRTY;
	err = object_clean_page(obj, idx, pg);
	if (err) {
		vm_page_activate(pg);
		return err;
	}
	object_free_page(obj, idx, pg);
	return 0;
}

int vm_object_drop_clean(struct vm_object *obj, struct vm_page *pg)
{
	KASSERT(mutex_holding(&obj->lock), "object lock not held");
	if (obj->refcnt == 0 || pg->owner != obj || pg->wire_count > 0 ||
	    (pg->flags & (VM_PAGE_BUSY | VM_PAGE_DIRTY)) || pg->pv_list != NULL ||
	    obj->pager == NULL || obj->pager->swap_backed ||
	    pmap_is_modified(pg))
		return -EBUSY;
	object_free_page(obj, pg->offset >> PAGE_SHIFT, pg);
	return 0;
}

/* Returns 0 or the first error of the pager's put_page (-EIO, -ENOSPC
 * when a block under a page written through a mapping cannot be had). */
int vm_object_sync(struct vm_object *obj, uint64_t off, uint64_t len)
{
	if (obj->pager == NULL || obj->pager->swap_backed)
		return 0;
	mutex_lock(&obj->lock);
	uint64_t end = object_npages(obj->size);
	if (len != 0 && len < UINT64_MAX - off - PAGE_SIZE)
		end = MIN(end, object_npages(off + len));
	uint64_t idx = page_index(off);
	struct vm_page *pg;
	int err = 0;
	while ((pg = object_next(obj, &idx, end)) != NULL) {
		int e = object_clean_page(obj, idx, pg);
		if (e < 0 && err == 0)
			err = e;
		idx++;
	}
	mutex_unlock(&obj->lock);
	return err;
}

/* => obj->lock. Zero the bytes of the page holding size that lie past it
 * (if resident); the zeroes must reach the backing store too. */
static void object_zero_tail(struct vm_object *obj, uint64_t size)
{
	uint64_t in_page = size & PAGE_MASK;
	struct vm_page *pg = object_lookup(obj, page_index(size));
	if (in_page == 0 || pg == NULL)
		return;
	memset((uint8_t *)PA_TO_KVA(pg->pa) + in_page, 0, PAGE_SIZE - in_page);
	pg->flags |= VM_PAGE_DIRTY;
}

void vm_object_set_size(struct vm_object *obj, uint64_t size)
{
	mutex_lock(&obj->lock);
	uint64_t old_end = object_npages(obj->size);
	bool shrinking = size < obj->size;
	/* The new size first: no page past it comes in while we wait. */
	obj->size = size;
	if (shrinking) {
		uint64_t first = object_npages(size), idx = first;
		struct vm_page *pg;
		while ((pg = object_next(obj, &idx, old_end)) != NULL) {
			if (pg->wire_count > 0) {
				object_wait_page(obj, pg);
				continue;               /* look at idx again */
			}
			object_free_page(obj, idx, pg);
			idx++;
		}
		object_free_chunks_from(obj, first);
		object_zero_tail(obj, size);
	}
	mutex_unlock(&obj->lock);
}

uint64_t vm_object_count(void)
{
	return __atomic_load_n(&objects_inuse, __ATOMIC_RELAXED);
}

uint64_t vm_object_resident_pages(void)
{
	return __atomic_load_n(&object_pages, __ATOMIC_RELAXED);
}

uint64_t vm_object_pageins(void)
{
	return __atomic_load_n(&object_pageins, __ATOMIC_RELAXED);
}
