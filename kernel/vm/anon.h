/*
 * Anons: reference-counted anonymous pages, the entries of amaps
 * (kernel/vm/amap.h). An anon's page is resident now; a later issue adds a
 * swap slot for a page that was paged out. Used by amap.c and fault.c.
 */
#ifndef KERNEL_VM_ANON_H
#define KERNEL_VM_ANON_H

#include "kernel/types.h"
#include "kernel/lock.h"
#include "kernel/vm/swap.h"

struct vm_page;

/*
 * One anonymous page.
 * Locking: (a) anon->lock.
 * Invariants: refcnt >= 1 while reachable; page != NULL (no swap yet);
 * page->owner == anon; refcnt > 1 exactly for the anons counted by
 * anon_shared_count.
 */
struct anon {
	struct spinlock lock;
	int refcnt;                     /* (a) amap slots holding it */
	struct vm_page *page;           /* (a) resident page, or NULL */
	swap_slot_t slot;               /* (a) swap slot, or SWAP_SLOT_NONE */
};

/* Create the anon cache. Called once before the first anon_alloc_zero
 * (mspace_create does it). Returns 0 or -ENOMEM. */
int anon_init(void);

/* A new anon (refcnt 1) holding a new zero-filled user page, any zone.
 * => may hold an amap lock (never sleeps).
 * Returns NULL if no page or no anon could be allocated (-ENOMEM). */
struct anon *anon_alloc_zero(void);

/* A new anon (refcnt 1) holding a copy of src's page.
 * => the caller keeps src from being freed (holds a reference).
 * Returns NULL on -ENOMEM. */
struct anon *anon_copy(struct anon *src);

/* A new anon (refcnt 1) holding a copy of the page src (any page: an
 * object's page for copy-on-write of a private file mapping).
 * => the caller keeps src resident (a hold). Returns NULL on -ENOMEM. */
struct anon *anon_copy_page(struct vm_page *src);

/* Take / drop a reference. The last anon_unref frees the page and the anon;
 * no pmap may map the page any more by then (callers pmap_remove first).
 * => may hold the amap lock of the amap that held it. */
void anon_ref(struct anon *anon);
void anon_unref(struct anon *anon);
/* The current reference count: amap slots holding the anon. A count of 1
 * seen by the holder of the one amap holding it cannot grow under it. */
int anon_refs(struct anon *anon);

/* Anons in use, and anons shared by more than one amap slot (pages shared
 * copy-on-write after fork), for /proc and leak checks. */
uint64_t anon_count(void);
uint64_t anon_shared_count(void);

#endif
