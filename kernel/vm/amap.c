/*
 * Amaps: sparse arrays of anons with a reference count, the upper layer of
 * VMAs. Called by mspace.c and fault.c with the mspace lock held; takes
 * amap locks (spin) itself. Never touches a pmap: callers unmap first.
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/lock.h"
#include "kernel/lib/printk.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/anon.h"
#include "kernel/vm/amap.h"

static struct kmem_cache *amap_cache;
static uint64_t amaps_inuse;            /* atomic */

int amap_init(void)
{
	if (amap_cache == NULL)
		amap_cache = kmem_cache_create("amap", sizeof(struct amap), 0);
	return amap_cache ? 0 : -ENOMEM;
}

static size_t amap_chunks_for(size_t nslots)
{
	return (nslots + AMAP_CHUNK_SLOTS - 1) / AMAP_CHUNK_SLOTS;
}

struct amap *amap_create(size_t nslots)
{
	struct amap *am;

	KASSERT(nslots > 0, "empty amap");
	am = kmem_cache_zalloc_user(amap_cache);
	if (am == NULL)
		return NULL;
	am->nchunks = amap_chunks_for(nslots);
	am->chunks = kzalloc_user(am->nchunks * sizeof(am->chunks[0]));
	if (am->chunks == NULL) {
		kmem_cache_free(amap_cache, am);
		return NULL;
	}
	spin_init(&am->lock, "amap");
	am->refcnt = 1;
	am->nslots = nslots;
	__atomic_fetch_add(&amaps_inuse, 1, __ATOMIC_RELAXED);
	return am;
}

/* The next slot >= *slot and < end holding an anon: true and *slot, or
 * false. => am->lock held, or am private to the caller's mspace. */
static bool amap_next(struct amap *am, size_t *slot, size_t end)
{
	size_t s = *slot;
	struct anon **chunk;

	end = MIN(end, am->nchunks * AMAP_CHUNK_SLOTS);
	while (s < end) {
		chunk = am->chunks[s / AMAP_CHUNK_SLOTS];
		if (chunk == NULL) {
			s = ROUNDDOWN(s, AMAP_CHUNK_SLOTS) + AMAP_CHUNK_SLOTS;
			continue;
		}
		if (chunk[s % AMAP_CHUNK_SLOTS] != NULL) {
			*slot = s;
			return true;
		}
		s++;
	}
	return false;
}

/* Drop every anon, free the chunks and the amap. */
static void amap_free(struct amap *am)
{
	size_t s, i;

	for (s = 0; amap_next(am, &s, SIZE_MAX); s++)
		anon_unref(_amap_remove(am, s));
	for (i = 0; i < am->nchunks; i++)
		if (am->chunks[i] != NULL)
			kfree(am->chunks[i]);
	kfree(am->chunks);
	kmem_cache_free(amap_cache, am);
	__atomic_fetch_sub(&amaps_inuse, 1, __ATOMIC_RELAXED);
}

void amap_ref(struct amap *am)
{
	spin_lock(&am->lock);
	KASSERT(am->refcnt > 0, "amap %p refcnt %d", (void *)am, am->refcnt);
	__atomic_store_n(&am->refcnt, am->refcnt + 1, __ATOMIC_RELAXED);
	spin_unlock(&am->lock);
}

void amap_unref(struct amap *am)
{
	int left;

	spin_lock(&am->lock);
	KASSERT(am->refcnt > 0, "amap %p refcnt %d", (void *)am, am->refcnt);
	left = am->refcnt - 1;
	__atomic_store_n(&am->refcnt, left, __ATOMIC_RELAXED);
	spin_unlock(&am->lock);
	if (left == 0)
		amap_free(am);
}

int amap_refs(struct amap *am)
{
	/* One load, no lock: the answer could change as soon as a lock
	 * were dropped anyway, and it is stable in the case that matters
	 * (1, with the one mspace's lock held: nobody else can take a
	 * reference). Written under am->lock with atomic stores. */
	return __atomic_load_n(&am->refcnt, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------ slots */

struct anon *_amap_lookup(struct amap *am, size_t slot)
{
	struct anon **chunk;

	KASSERT(slot < am->nslots, "slot %lu of %lu", (unsigned long)slot,
		(unsigned long)am->nslots);
	chunk = am->chunks[slot / AMAP_CHUNK_SLOTS];
	return chunk ? chunk[slot % AMAP_CHUNK_SLOTS] : NULL;
}

/* The chunk holding slot, allocated if missing; NULL on -ENOMEM. */
static struct anon **amap_chunk_get(struct amap *am, size_t slot)
{
	struct anon ***pp = &am->chunks[slot / AMAP_CHUNK_SLOTS];

	if (*pp == NULL)
		*pp = kzalloc_user(AMAP_CHUNK_SLOTS * sizeof(struct anon *));
	return *pp;
}

int _amap_add(struct amap *am, size_t slot, struct anon *anon)
{
	struct anon **chunk;

	KASSERT(slot < am->nslots, "slot %lu of %lu", (unsigned long)slot,
		(unsigned long)am->nslots);
	chunk = amap_chunk_get(am, slot);
	if (chunk == NULL)
		return -ENOMEM;
	if (chunk[slot % AMAP_CHUNK_SLOTS] != NULL)
		return -EEXIST;
	chunk[slot % AMAP_CHUNK_SLOTS] = anon;
	am->nanons++;
	return 0;
}

struct anon *_amap_remove(struct amap *am, size_t slot)
{
	struct anon **chunk = am->chunks[slot / AMAP_CHUNK_SLOTS];
	struct anon *anon;

	if (chunk == NULL)
		return NULL;
	anon = chunk[slot % AMAP_CHUNK_SLOTS];
	if (anon != NULL) {
		chunk[slot % AMAP_CHUNK_SLOTS] = NULL;
		am->nanons--;
	}
	return anon;
}

struct anon *_amap_replace(struct amap *am, size_t slot, struct anon *anon)
{
	struct anon **chunk = am->chunks[slot / AMAP_CHUNK_SLOTS];
	struct anon *old;

	KASSERT(slot < am->nslots && chunk != NULL &&
		chunk[slot % AMAP_CHUNK_SLOTS] != NULL,
		"replace of the empty slot %lu", (unsigned long)slot);
	old = chunk[slot % AMAP_CHUNK_SLOTS];
	chunk[slot % AMAP_CHUNK_SLOTS] = anon;
	return old;
}

struct anon *amap_lookup(struct amap *am, size_t slot)
{
	struct anon *anon;

	spin_lock(&am->lock);
	anon = _amap_lookup(am, slot);
	spin_unlock(&am->lock);
	return anon;
}

int amap_add(struct amap *am, size_t slot, struct anon *anon)
{
	int err;

	spin_lock(&am->lock);
	err = _amap_add(am, slot, anon);
	spin_unlock(&am->lock);
	return err;
}

struct anon *amap_remove(struct amap *am, size_t slot)
{
	struct anon *anon;

	spin_lock(&am->lock);
	anon = _amap_remove(am, slot);
	spin_unlock(&am->lock);
	return anon;
}

/* ------------------------------------------------------------ resizing */

int amap_extend(struct amap *am, size_t nslots)
{
	size_t need = amap_chunks_for(nslots);
	struct anon ***dir = NULL, ***old = NULL;

	if (nslots <= am->nslots)
		return 0;
	if (need > am->nchunks) {
		dir = kzalloc_user(need * sizeof(dir[0]));
		if (dir == NULL)
			return -ENOMEM;
	}
	spin_lock(&am->lock);
	if (need > am->nchunks) {
		for (size_t i = 0; i < am->nchunks; i++)
			dir[i] = am->chunks[i];
		old = am->chunks;
		am->chunks = dir;
		am->nchunks = need;
	}
	am->nslots = nslots;
	spin_unlock(&am->lock);
	if (old != NULL)
		kfree(old);
	return 0;
}

int amap_copy(struct amap *src, size_t slot, size_t n, size_t at,
	      struct amap **out)
{
	struct amap *dst = amap_create(at + n);
	size_t s, d, end = MIN(slot + n, src->nslots);
	size_t to_chunk = SIZE_MAX;     /* the index of dst's chunk `to` */
	struct anon **from, **to = NULL;
	struct anon *anon;

	if (dst == NULL)
		return -ENOMEM;
	/* amap_next, _amap_lookup and _amap_add in one loop: src's empty
	 * chunks are skipped whole, and dst's chunk is looked up (and made)
	 * only when the destination slot enters the next one. */
	for (s = slot; s < end; s++) {
		from = src->chunks[s / AMAP_CHUNK_SLOTS];
		if (from == NULL) {
			s = ROUNDDOWN(s, AMAP_CHUNK_SLOTS) + AMAP_CHUNK_SLOTS - 1;
			continue;
		}
		anon = from[s % AMAP_CHUNK_SLOTS];
		if (anon == NULL)
			continue;
		d = at + (s - slot);
		if (d / AMAP_CHUNK_SLOTS != to_chunk) {
			to = amap_chunk_get(dst, d);
			if (to == NULL) {
				amap_unref(dst);  /* drops the references taken */
				return -ENOMEM;
			}
			to_chunk = d / AMAP_CHUNK_SLOTS;
		}
		to[d % AMAP_CHUNK_SLOTS] = anon;
		dst->nanons++;
		anon_ref(anon);
	}
	*out = dst;
	return 0;
}

int amap_copy_eager(struct amap *src, size_t slot, size_t n, size_t at,
		    struct amap **out)
{
	struct amap *dst = amap_create(at + n);
	size_t s, end = MIN(slot + n, src->nslots);
	struct anon *copy;

	if (dst == NULL)
		return -ENOMEM;
	for (s = slot; amap_next(src, &s, end); s++) {
		copy = anon_copy(_amap_lookup(src, s));
		if (copy == NULL)
			goto fail;
		if (_amap_add(dst, at + (s - slot), copy) != 0) {
			anon_unref(copy);
			goto fail;
		}
		anon_page_enqueue(copy);        /* unmapped: the daemon may take it */
	}
	*out = dst;
	return 0;
fail:
	amap_unref(dst);
	return -ENOMEM;
}

int amap_split(struct amap *am, size_t slot, size_t pad, struct amap **out)
{
	struct amap *nw;
	size_t s, i;

	KASSERT(am->refcnt == 1, "split of a shared amap");
	KASSERT(slot > 0 && slot < am->nslots, "split at %lu of %lu",
		(unsigned long)slot, (unsigned long)am->nslots);
	nw = amap_create(pad + am->nslots - slot);
	if (nw == NULL)
		return -ENOMEM;
	/* Allocate every chunk first so that moving the anons cannot fail. */
	for (s = slot; amap_next(am, &s, am->nslots); s++) {
		if (amap_chunk_get(nw, pad + s - slot) == NULL) {
			amap_unref(nw);
			return -ENOMEM;
		}
	}
	spin_lock(&am->lock);
	for (s = slot; amap_next(am, &s, am->nslots); s++)
		_amap_add(nw, pad + s - slot, _amap_remove(am, s));
	am->nslots = slot;
	spin_unlock(&am->lock);
	/* Chunks wholly past the new end are empty now. */
	for (i = amap_chunks_for(slot); i < am->nchunks; i++) {
		if (am->chunks[i] != NULL)
			kfree(am->chunks[i]);
		am->chunks[i] = NULL;
	}
	*out = nw;
	return 0;
}

void amap_free_range(struct amap *am, size_t slot, size_t n)
{
	size_t s, end = MIN(slot + n, am->nslots);

	KASSERT(am->refcnt == 1, "range free in a shared amap");
	for (s = slot; amap_next(am, &s, end); s++)
		anon_unref(amap_remove(am, s));
}

int amap_unswap(struct amap *am, size_t slot, size_t n)
{
	size_t s, end = MIN(slot + n, am->nslots);

	for (s = slot; amap_next(am, &s, end); s++) {
		struct anon *anon = _amap_lookup(am, s);
		struct vm_page *pg;
		int err;

		if (__atomic_load_n(&anon->slot, __ATOMIC_RELAXED) == SWAP_SLOT_NONE)
			continue;
		while ((err = anon_page_hold(anon, &pg)) == -EAGAIN)
			;
		if (err)
			return err;
		anon_drop_swap(anon);
		anon_page_release(anon, pg);
	}
	return 0;
}

/* ------------------------------------------------------------ checks */

int amap_check(struct amap *am)
{
	size_t s, n = 0;
	struct anon *anon;

	for (s = 0; amap_next(am, &s, SIZE_MAX); s++) {
		anon = am->chunks[s / AMAP_CHUNK_SLOTS][s % AMAP_CHUNK_SLOTS];
		if (s >= am->nslots || anon->refcnt < 1 ||
		    (anon->page == NULL && anon->slot == SWAP_SLOT_NONE)) {
			printk("amap_check: amap %p slot %lu: bad anon\n",
			       (void *)am, (unsigned long)s);
			return -EINVAL;
		}
		n++;
	}
	if (n != am->nanons || am->refcnt < 1 ||
	    am->nchunks * AMAP_CHUNK_SLOTS < am->nslots) {
		printk("amap_check: amap %p: %lu anons counted %lu\n",
		       (void *)am, (unsigned long)n, (unsigned long)am->nanons);
		return -EINVAL;
	}
	return 0;
}

uint64_t amap_count(void)
{
	return __atomic_load_n(&amaps_inuse, __ATOMIC_RELAXED);
}
