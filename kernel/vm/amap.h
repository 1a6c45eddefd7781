/*
 * Amaps: the upper layer of a VMA. An amap maps page indexes ("slots") to
 * anons; a VMA uses slots amap_off .. amap_off + npages - 1. Slots live in
 * chunks of AMAP_CHUNK_SLOTS allocated on first use, so a large, sparsely
 * touched VMA costs little. Used by mspace.c and fault.c.
 */
#ifndef KERNEL_VM_AMAP_H
#define KERNEL_VM_AMAP_H

#include "kernel/types.h"
#include "kernel/lock.h"
#include "arch/riscv/vmparam.h"

struct anon;

/* Slots per chunk: one page of anon pointers. */
#define AMAP_CHUNK_SLOTS   (PAGE_SIZE / sizeof(struct anon *))

/*
 * Locking: (a) amap->lock, a spinlock below the mspace lock. A private
 * amap (refcnt 1) is also kept steady by its mspace's lock, which is what
 * amap_copy, amap_split and amap_free_range rely on. An amap with
 * refcnt > 1 (fork shared it; its VMAs are needs-copy) is never changed:
 * a VMA copies it (amap_copy) before adding, replacing or removing an anon.
 * Invariants: refcnt >= 1 while in use; nanons == number of non-NULL slots;
 * no anon at a slot >= nslots; nchunks * AMAP_CHUNK_SLOTS >= nslots.
 */
struct amap {
	struct spinlock lock;
	int refcnt;                     /* (a) VMAs using the amap; stored
					 * atomically, read by amap_refs
					 * without the lock */
	size_t nslots;                  /* (a) slots addressable, pages */
	size_t nanons;                  /* (a) slots holding an anon */
	size_t nchunks;                 /* (a) entries in chunks[] */
	struct anon ***chunks;          /* (a) chunk i: slots i*CHUNK.., or NULL */
};

/* Create the amap cache. Called once before the first amap_create
 * (mspace_create does it). Returns 0 or -ENOMEM. */
int amap_init(void);

/* A new empty amap of nslots slots (pages), refcnt 1; NULL on -ENOMEM. */
struct amap *amap_create(size_t nslots);

/* Take a reference (a VMA starts sharing am). */
void amap_ref(struct amap *am);
/* Drop a reference. The last one drops every anon (freeing each page whose
 * anon reference goes too) and frees the amap.
 * => no pmap maps the amap's pages any more (or another reference holds
 *    them); no amap lock held. */
void amap_unref(struct amap *am);
/* Slots am addresses (pages). => the lock of the one mspace using am
 * held, or am shared (never changed then). */
static inline size_t amap_nslots(const struct amap *am)
{
	return am->nslots;
}

/* The current reference count (stable if it is 1 and the caller holds the
 * lock of the one mspace using am). No lock is taken: one atomic load. */
int amap_refs(struct amap *am);

/* Lookup, add and remove, taking am->lock.
 * amap_lookup: the anon at slot, or NULL; no reference is taken.
 * amap_add: put anon (whose reference passes to the amap) at an empty slot;
 *   returns 0, -EEXIST if the slot holds an anon, -ENOMEM if no chunk.
 * amap_remove: take the anon out of slot and return it with its reference
 *   (the caller anon_unrefs it), or NULL if the slot was empty. */
struct anon *amap_lookup(struct amap *am, size_t slot);
int amap_add(struct amap *am, size_t slot, struct anon *anon);
struct anon *amap_remove(struct amap *am, size_t slot);

/* The same with am->lock held by the caller (amap_lock/amap_unlock), for the
 * fault path, which enters the page into a pmap under the lock. */
static inline void amap_lock(struct amap *am)
{
	spin_lock(&am->lock);
}

static inline void amap_unlock(struct amap *am)
{
	spin_unlock(&am->lock);
}

struct anon *_amap_lookup(struct amap *am, size_t slot);
int _amap_add(struct amap *am, size_t slot, struct anon *anon);
struct anon *_amap_remove(struct amap *am, size_t slot);
/* _amap_replace: put anon at slot in place of the anon there (slot holds
 * one, so its chunk exists and nothing is allocated) and return the old
 * anon with its reference; the new one's reference passes to the amap. */
struct anon *_amap_replace(struct amap *am, size_t slot, struct anon *anon);

/* Make am address at least nslots slots (pages).
 * => the mspace lock of every VMA using am. Returns 0 or -ENOMEM. */
int amap_extend(struct amap *am, size_t nslots);

/* Copy-on-write copy (fork's needs-copy, resolved on the first write): a
 * new amap (refcnt 1) of at + n slots whose slots [at, at + n) hold the
 * very anons of src's slots [slot, slot + n), each gaining a reference, so
 * no page is copied now; vm_fault copies a page when it is written while
 * its anon is shared (refcnt > 1). Slots [0, at) are empty (room for a
 * stack to grow down).
 * => no one changes src's slots meanwhile: src is private to the caller's
 *    mspace, whose lock is held, or shared needs-copy (read only).
 * Returns 0 and *out, or -ENOMEM (nothing allocated stays). */
int amap_copy(struct amap *src, size_t slot, size_t n, size_t at,
	      struct amap **out);

/* The same, but eager (fork with the boot option cow=off): each anon of
 * the range is copied into a new anon with a new page.
 * Returns 0 and *out, or -ENOMEM (nothing allocated stays). */
int amap_copy_eager(struct amap *src, size_t slot, size_t n, size_t at,
		    struct amap **out);

/* Split for a VMA split: move the anons of slots [slot, nslots) into a new
 * amap (refcnt 1) at slots [pad, pad + nslots - slot); am keeps slots
 * [0, slot). pad (pages) leaves empty slots below for a stack piece to
 * grow down into (slots cost no chunk until used).
 * => am->refcnt == 1; its mspace's lock held.
 * Returns 0 and *out, or -ENOMEM (am unchanged). */
int amap_split(struct amap *am, size_t slot, size_t pad, struct amap **out);

/* Drop the anons of slots [slot, slot + n) (munmap of a heap tail,
 * MADV_DONTNEED). => am->refcnt == 1; its mspace's lock held; the pages
 * are unmapped from the pmap. */
void amap_free_range(struct amap *am, size_t slot, size_t n);

/* Verify the invariants (counts, no anon past nslots, anon refcounts).
 * Prints the first broken one and returns -EINVAL; 0 if all hold. */
int amap_check(struct amap *am);

/* Amaps in use, for /proc/vmstat and leak checks. */
uint64_t amap_count(void);

/* swapoff: read in every anon of slots [slot, slot + n) that is on swap
 * and free its slot. => the mspace lock of a VMA using am; no spinlocks
 * (sleeps for the reads). Returns 0, -ENOMEM or -EIO (anons read so far
 * stay resident, the rest on swap). */
int amap_unswap(struct amap *am, size_t slot, size_t n);

#endif
