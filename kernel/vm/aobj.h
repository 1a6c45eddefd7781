/*
 * The anonymous-object pager (kernel/vm/aobj.c): swap as the backing
 * store of memory objects without a file.
 */
#ifndef KERNEL_VM_AOBJ_H
#define KERNEL_VM_AOBJ_H

#include "kernel/types.h"

struct vm_object;

/* A new anonymous object of size bytes (refcnt 1) whose pages are
 * zero-filled on first use and paged out to swap (MAP_SHARED|MAP_ANONYMOUS).
 * => process context. Returns NULL on -ENOMEM. */
struct vm_object *aobj_create(uint64_t size);

/* swapoff's part for anonymous objects: read every page that is on swap
 * back in and free its slot (the page is marked dirty). => no locks held;
 * the swap device draining (swap_set_draining). Returns 0, -ENOMEM or -EIO
 * (pages read so far stay resident; the rest stay on swap). */
int aobj_swapoff(void);

/* Swap slots held by all anonymous objects (for the leak check). */
uint64_t aobj_swapped_count(void);

#endif
