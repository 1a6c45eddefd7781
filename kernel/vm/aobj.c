/*
 * The anonymous-object pager (UVM's aobj): the backing store of memory
 * objects that have no file, such as MAP_SHARED|MAP_ANONYMOUS mappings,
 * is swap. Each object keeps a table of swap slots by page index, in
 * chunks of one page of slot numbers allocated on first use. A page with
 * no slot reads as zeroes; put_page gives a page a slot the first time it
 * is written out and rewrites that slot later.
 *
 * Every aobj is on one list, so swapoff can bring all their pages in.
 * Locking: (o) obj->lock for the slot table (the pager ops are called
 * with it held); (l) aobj_list_lock, a mutex above object locks, for the
 * list.
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/lock.h"
#include "kernel/lib/list.h"
#include "kernel/lib/printk.h"
#include "kernel/vm/page.h"
#include "kernel/vm/pmap.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/object.h"
#include "kernel/vm/pager.h"
#include "kernel/vm/swap.h"
#include "kernel/vm/vmstat.h"
#include "kernel/vm/aobj.h"

#define AOBJ_CHUNK_SLOTS (PAGE_SIZE / sizeof(swap_slot_t))

struct aobj {
	struct vm_object *obj;          /* (c) */
	swap_slot_t **chunks;           /* (o) chunk i: pages i*AOBJ_CHUNK_SLOTS.. */
	size_t nchunks;                 /* (c) */
	uint64_t nswapped;              /* (o) slots held */
	struct list_node link;          /* (l) */
};

static struct mutex aobj_list_lock;
static struct list_node aobj_list;
static bool aobj_ready;         /* (c) after the first aobj_create */
static uint64_t aobj_slots;     /* atomic: slots held by all aobjs */

/* The list and its lock, on first use (process context, one thread:
 * the first shared anonymous mapping comes from init or later). */
static void aobj_init_once(void)
{
	if (__atomic_load_n(&aobj_ready, __ATOMIC_ACQUIRE))
		return;
	mutex_init(&aobj_list_lock, "aobj list");
	list_init(&aobj_list);
	__atomic_store_n(&aobj_ready, true, __ATOMIC_RELEASE);
}

static struct aobj *aobj_of(struct vm_object *obj)
{
	return obj->pager_priv;
}

/* The slot of the page at off (bytes), or SWAP_SLOT_NONE. => obj->lock */
static swap_slot_t aobj_slot(struct aobj *ao, uint64_t off)
{
	uint64_t idx = off >> PAGE_SHIFT;
	swap_slot_t *chunk;

	if (idx / AOBJ_CHUNK_SLOTS >= ao->nchunks)
		return SWAP_SLOT_NONE;
	chunk = ao->chunks[idx / AOBJ_CHUNK_SLOTS];
	return chunk != NULL ? chunk[idx % AOBJ_CHUNK_SLOTS] : SWAP_SLOT_NONE;
}

/* Set the slot of the page at off; the chunk must exist unless slot is
 * SWAP_SLOT_NONE. => obj->lock */
static void aobj_set_slot(struct aobj *ao, uint64_t off, swap_slot_t slot)
{
	uint64_t idx = off >> PAGE_SHIFT;
	swap_slot_t *chunk = ao->chunks[idx / AOBJ_CHUNK_SLOTS];

	if (chunk == NULL) {
		KASSERT(slot == SWAP_SLOT_NONE, "aobj: no chunk for a slot");
		return;
	}
	if (chunk[idx % AOBJ_CHUNK_SLOTS] != SWAP_SLOT_NONE) {
		ao->nswapped--;
		__atomic_fetch_sub(&aobj_slots, 1, __ATOMIC_RELAXED);
	}
	if (slot != SWAP_SLOT_NONE) {
		ao->nswapped++;
		__atomic_fetch_add(&aobj_slots, 1, __ATOMIC_RELAXED);
	}
	chunk[idx % AOBJ_CHUNK_SLOTS] = slot;
}

static bool aobj_has_page(struct vm_object *obj, uint64_t off)
{
	return aobj_slot(aobj_of(obj), off) != SWAP_SLOT_NONE;
}

/* A page with no slot was never written out: zeroes. One with a slot is
 * read and keeps the slot (the page equals it until it is written). */
static int aobj_get_page(struct vm_object *obj, uint64_t off, struct vm_page *pg)
{
	swap_slot_t slot = aobj_slot(aobj_of(obj), off);
	int err;

	if (slot == SWAP_SLOT_NONE) {
		pmap_zero_page(pg);
		return 0;
	}
	err = swap_read_page(slot, pg);
	if (err)
		return -EIO;
	vm_event_add(VM_EV_PSWPIN, 1);
	return 0;
}

/* Write pg to its slot, giving it one first if it has none. */
static int aobj_put_page(struct vm_object *obj, uint64_t off, struct vm_page *pg)
{
	struct aobj *ao = aobj_of(obj);
	swap_slot_t slot = aobj_slot(ao, off);
	uint64_t idx = off >> PAGE_SHIFT;
	bool fresh = false;
	int err;

	if (slot == SWAP_SLOT_NONE) {
		if (ao->chunks[idx / AOBJ_CHUNK_SLOTS] == NULL) {
			swap_slot_t *chunk = kzalloc(PAGE_SIZE);

			if (chunk == NULL)
				return -ENOSPC;
			ao->chunks[idx / AOBJ_CHUNK_SLOTS] = chunk;
		}
		err = swap_alloc(1, &slot);
		if (err < 0)
			return -ENOSPC;
		fresh = true;
	}
	err = swap_write_run(slot, &pg, 1);
	if (err) {
		if (fresh)
			swap_slot_free(slot);
		return -EIO;
	}
	if (fresh)
		aobj_set_slot(ao, off, slot);
	vm_event_add(VM_EV_PSWPOUT, 1);
	return 0;
}

static void aobj_destroy(struct vm_object *obj)
{
	struct aobj *ao = aobj_of(obj);

	mutex_lock(&aobj_list_lock);
	list_remove(&ao->link);
	mutex_unlock(&aobj_list_lock);
	for (size_t c = 0; c < ao->nchunks; c++) {
		if (ao->chunks[c] == NULL)
			continue;
		for (size_t i = 0; i < AOBJ_CHUNK_SLOTS; i++)
			if (ao->chunks[c][i] != SWAP_SLOT_NONE) {
				swap_slot_free(ao->chunks[c][i]);
				__atomic_fetch_sub(&aobj_slots, 1,
						   __ATOMIC_RELAXED);
			}
		kfree(ao->chunks[c]);
	}
	kfree(ao->chunks);
	kfree(ao);
}

static const struct pager_ops aobj_pager_ops = {
	.name = "aobj",
	.swap_backed = true,
	.has_page = aobj_has_page,
	.get_page = aobj_get_page,
	.put_page = aobj_put_page,
	.destroy = aobj_destroy,
};

struct vm_object *aobj_create(uint64_t size)
{
	uint64_t pages = PAGE_ROUNDUP(size) >> PAGE_SHIFT;
	struct aobj *ao = kzalloc(sizeof(*ao));
	struct vm_object *obj;

	aobj_init_once();
	if (ao == NULL)
		return NULL;
	ao->nchunks = (pages + AOBJ_CHUNK_SLOTS - 1) / AOBJ_CHUNK_SLOTS;
	ao->chunks = kzalloc(MAX(ao->nchunks, 1) * sizeof(*ao->chunks));
	if (ao->chunks == NULL) {
		kfree(ao);
		return NULL;
	}
	obj = vm_object_create(size, &aobj_pager_ops, ao);
	if (obj == NULL) {
		kfree(ao->chunks);
		kfree(ao);
		return NULL;
	}
	ao->obj = obj;
	mutex_lock(&aobj_list_lock);
	list_push_back(&aobj_list, &ao->link);
	mutex_unlock(&aobj_list_lock);
	return obj;
}

/* Bring every page of obj that is on swap into memory and free its slot;
 * the page is marked dirty, so it is written again if paged out.
 * Returns 0, -ENOMEM or -EIO. => no locks held. */
static int aobj_unswap(struct vm_object *obj)
{
	struct aobj *ao = aobj_of(obj);
	uint64_t npages = ao->nchunks * AOBJ_CHUNK_SLOTS;

	for (uint64_t idx = 0; idx < npages; idx++) {
		uint64_t off = idx << PAGE_SHIFT;
		struct vm_page *pg;
		swap_slot_t slot;
		int err;

		mutex_lock(&obj->lock);
		slot = aobj_slot(ao, off);
		mutex_unlock(&obj->lock);
		if (slot == SWAP_SLOT_NONE)
			continue;
		err = vm_object_get_page(obj, off, &pg);
		if (err)
			return err == -EFAULT ? 0 : err;
		mutex_lock(&obj->lock);
		slot = aobj_slot(ao, off);
		if (slot != SWAP_SLOT_NONE) {
			aobj_set_slot(ao, off, SWAP_SLOT_NONE);
			swap_slot_free(slot);
			pg->flags |= VM_PAGE_DIRTY;
		}
		mutex_unlock(&obj->lock);
		vm_object_release_page(obj, pg);
	}
	return 0;
}

int aobj_swapoff(void)
{
	struct aobj *done = NULL;

	if (!__atomic_load_n(&aobj_ready, __ATOMIC_ACQUIRE))
		return 0;
	for (;;) {
		struct vm_object *obj = NULL;
		struct list_node *it;
		int err;

		/* The first live aobj still holding slots, with a reference
		 * (one being destroyed has refcnt 0 and frees its own). */
		mutex_lock(&aobj_list_lock);
		list_for_each(it, &aobj_list) {
			struct aobj *ao = container_of(it, struct aobj, link);

			mutex_lock(&ao->obj->lock);
			if (ao->nswapped > 0 && ao->obj->refcnt > 0 && ao != done) {
				obj = ao->obj;
				obj->refcnt++;
			}
			mutex_unlock(&ao->obj->lock);
			if (obj != NULL) {
				done = ao;
				break;
			}
		}
		mutex_unlock(&aobj_list_lock);
		if (obj == NULL)
			return 0;
		err = aobj_unswap(obj);
		vm_object_unref(obj);
		if (err)
			return err;
	}
}

uint64_t aobj_swapped_count(void)
{
	return __atomic_load_n(&aobj_slots, __ATOMIC_RELAXED);
}
