/*
 * Anons: allocation, copying and reference counting of anonymous pages.
 * Called by amap.c and fault.c; touches pages only through page.h and
 * pmap.h (zeroing and copying through the direct map).
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/lock.h"
#include "kernel/lib/printk.h"
#include "kernel/vm/page.h"
#include "kernel/vm/pmap.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/anon.h"

static struct kmem_cache *anon_cache;
static uint64_t anons_inuse;            /* atomic */
static uint64_t anons_shared;           /* atomic: anons with refcnt > 1 */

int anon_init(void)
{
	if (anon_cache == NULL)
		anon_cache = kmem_cache_create("anon", sizeof(struct anon), 0);
	return anon_cache ? 0 : -ENOMEM;
}

/* A new anon owning pg (refcnt 1), or NULL on -ENOMEM. */
static struct anon *anon_alloc_page(struct vm_page *pg)
{
	struct anon *anon = kmem_cache_alloc(anon_cache);

	if (anon == NULL)
		return NULL;
	spin_init(&anon->lock, "anon");
	anon->refcnt = 1;
	anon->page = pg;
	anon->slot = SWAP_SLOT_NONE;
	pg->owner = anon;
	pg->offset = 0;
	__atomic_fetch_add(&anons_inuse, 1, __ATOMIC_RELAXED);
	return anon;
}

struct anon *anon_alloc_zero(void)
{
	struct vm_page *pg;
	struct anon *anon;

	pg = vm_page_alloc(0, VM_ZONE_ANY, VM_ALLOC_ZERO | VM_ALLOC_USER);
	if (pg == NULL)
		return NULL;
	anon = anon_alloc_page(pg);
	if (anon == NULL)
		vm_page_free(pg, 0);
	return anon;
}

struct anon *anon_copy_page(struct vm_page *src)
{
	struct vm_page *pg;
	struct anon *anon;

	pg = vm_page_alloc(0, VM_ZONE_ANY, VM_ALLOC_USER);
	if (pg == NULL)
		return NULL;
	pmap_copy_page(src, pg);
	anon = anon_alloc_page(pg);
	if (anon == NULL)
		vm_page_free(pg, 0);
	return anon;
}

struct anon *anon_copy(struct anon *src)
{
	KASSERT(src->page != NULL, "anon %p has no page", (void *)src);
	return anon_copy_page(src->page);
}

void anon_ref(struct anon *anon)
{
	spin_lock(&anon->lock);
	KASSERT(anon->refcnt > 0, "anon %p refcnt %d", (void *)anon,
		anon->refcnt);
	if (++anon->refcnt == 2)
		__atomic_fetch_add(&anons_shared, 1, __ATOMIC_RELAXED);
	spin_unlock(&anon->lock);
}

void anon_unref(struct anon *anon)
{
	struct vm_page *pg;
	int left;

	spin_lock(&anon->lock);
	KASSERT(anon->refcnt > 0, "anon %p refcnt %d", (void *)anon,
		anon->refcnt);
	left = --anon->refcnt;
	if (left == 1)
		__atomic_fetch_sub(&anons_shared, 1, __ATOMIC_RELAXED);
	spin_unlock(&anon->lock);
	if (left > 0)
		return;
	pg = anon->page;
	KASSERT(pg->pv_list == NULL, "page %lx of anon %p is still mapped",
		(unsigned long)pg->pa, (void *)anon);
	pg->owner = NULL;
	vm_page_free(pg, 0);
	kmem_cache_free(anon_cache, anon);
	__atomic_fetch_sub(&anons_inuse, 1, __ATOMIC_RELAXED);
}

int anon_refs(struct anon *anon)
{
	int n;

	spin_lock(&anon->lock);
	n = anon->refcnt;
	spin_unlock(&anon->lock);
	return n;
}

uint64_t anon_count(void)
{
	return __atomic_load_n(&anons_inuse, __ATOMIC_RELAXED);
}

uint64_t anon_shared_count(void)
{
	return __atomic_load_n(&anons_shared, __ATOMIC_RELAXED);
}
