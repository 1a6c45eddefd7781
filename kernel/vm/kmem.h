/*
 * Kernel memory: slab caches of fixed-size objects and kmalloc through
 * power-of-two caches up to 2 KiB, whole pages above. Every cache counts its
 * objects and pages so tests can prove a workload leaked nothing.
 * A slab whose objects are all free goes back to the page allocator.
 */
#ifndef KERNEL_VM_KMEM_H
#define KERNEL_VM_KMEM_H

#include "kernel/types.h"

struct kmem_cache;

/* Per-cache use, for /proc/slabinfo and leak checks. */
struct kmem_cache_info {
	const char *name;
	size_t objsize;         /* bytes */
	uint64_t inuse;         /* objects allocated */
	uint64_t total;         /* objects in all slabs */
	uint64_t pages;         /* pages held */
	uint64_t slabs;         /* slabs held */
	uint32_t objs_per_slab;
	uint32_t pages_per_slab;
};

void kmem_init(void);

/* Create a cache of objects of `size` bytes aligned to `align` (a power of
 * two up to PAGE_SIZE; 0: natural, the largest power of two dividing size,
 * 8 to 64). `name` must outlive the cache. Returns NULL on -ENOMEM. */
struct kmem_cache *kmem_cache_create(const char *name, size_t size, size_t align);
void kmem_cache_destroy(struct kmem_cache *cache);
/* Returns an object, or NULL on -ENOMEM. Never sleeps. */
void *kmem_cache_alloc(struct kmem_cache *cache);
/* Like kmem_cache_alloc, but zero-filled. */
void *kmem_cache_zalloc(struct kmem_cache *cache);
/* An object allocated on a process's behalf (its VMAs): a new slab must
 * leave the zone above its min watermark (VM_ALLOC_NORESERVE), so a user
 * cannot pin the kernel's reserve. Returns an object, or NULL on -ENOMEM.
 * Never sleeps. */
void *kmem_cache_alloc_user(struct kmem_cache *cache);
/* Like kmem_cache_alloc_user, but zero-filled. */
void *kmem_cache_zalloc_user(struct kmem_cache *cache);
void kmem_cache_free(struct kmem_cache *cache, void *obj);

/* General-purpose allocation in bytes; NULL on -ENOMEM. Memory is in the
 * direct map, so KVA_TO_PA works on it (device buffers). */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *ptr);
/* kzalloc for a structure made on a process's behalf (amap chunks):
 * its pages stay above the min watermark (VM_ALLOC_NORESERVE), as user
 * pages do, so a process cannot take the kernel's reserve. */
void *kzalloc_user(size_t size);

/* Iterate cache statistics: fills out for cache i, returns false past the
 * end. The last entry, "kmalloc-large", counts whole-page kmalloc blocks. */
bool kmem_cache_get_info(int i, struct kmem_cache_info *out);
/* Objects in use over all caches, and pages held by kmem (slabs and large
 * kmalloc blocks). */
uint64_t kmem_objects_inuse(void);
uint64_t kmem_pages(void);

struct sbuf;
/* Text of /proc/slabinfo (Linux "slabinfo - version: 2.1" layout) appended
 * to sb. Returns 0 or -ENOMEM. */
int kmem_display_slabinfo(struct sbuf *sb);
/* Check every invariant of every cache (slab lists, free lists, counters);
 * panics on failure. Used by tests. */
void kmem_check(void);

#endif
