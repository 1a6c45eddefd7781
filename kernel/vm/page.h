/*
 * Physical memory: a struct vm_page for every frame, zones by physical
 * address, a binary buddy allocator per zone with watermarks, page queues.
 * Everything that needs a physical page calls vm_page_alloc.
 */
#ifndef KERNEL_VM_PAGE_H
#define KERNEL_VM_PAGE_H

#include "kernel/types.h"
#include "kernel/lib/list.h"
#include "kernel/vm/vm.h"

#define VM_PAGE_MAX_ORDER  10          /* orders 0..10: 4 KiB .. 4 MiB */
#define VM_PAGE_NORDERS    (VM_PAGE_MAX_ORDER + 1)
#define ZONE_DMA32_LIMIT   0x100000000UL   /* 4 GiB */

enum vm_zone_id {
	ZONE_DMA32,     /* frames below 4 GiB */
	ZONE_NORMAL,    /* frames at 4 GiB and up */
	VM_NZONES
};

/* Zone masks for vm_page_alloc: which zones a caller accepts. The allocator
 * tries NORMAL first when allowed, so DMA32 is kept for those that need it. */
#define VM_ZONE_DMA32   (1u << ZONE_DMA32)
#define VM_ZONE_NORMAL  (1u << ZONE_NORMAL)
#define VM_ZONE_ANY     (VM_ZONE_DMA32 | VM_ZONE_NORMAL)

/* vm_page_alloc flags */
#define VM_ALLOC_ZERO   0x1     /* fill with zeroes */
#define VM_ALLOC_USER   0x2     /* a user page (its owner puts it on the
                                 * page queues): stay above the min watermark */
#define VM_ALLOC_NORESERVE 0x4  /* on a process's behalf (its VMAs): stay
                                 * above the min watermark, as USER does */

/* vm_page.flags */
#define VM_PAGE_FREE    0x01    /* on a buddy free list (head of a block) */
#define VM_PAGE_RESERVED 0x02   /* firmware, kernel image, page array: never free */
#define VM_PAGE_SLAB    0x04    /* owned by a slab (kmem) */
#define VM_PAGE_PTP     0x08    /* a page-table page */
#define VM_PAGE_KMALLOC 0x10    /* a whole-page kmalloc block (order in order) */
#define VM_PAGE_DIRTY   0x20    /* (o) object page newer than its backing store */
#define VM_PAGE_BUSY    0x40    /* (o) contents changing without the owner's
                                 * lock: wait before copying (object.h), or
                                 * in page-out or swap-in I/O (anon.h) */
#define VM_PAGE_ANON    0x80    /* (o) owner is a struct anon, not an object */
#define VM_PAGE_READAHEAD 0x100 /* (o) read from swap around a fault, not
                                 * yet mapped: a hit when it is (fault.c) */
#define VM_PAGE_RA_ASYNC 0x200  /* (o) mapping it starts the next swap
                                 * read-ahead (fault.c) */
#define VM_PAGE_PCP     0x400   /* free, in a hart's page cache (page.c) */

enum vm_page_queue { PQ_NONE, PQ_ACTIVE, PQ_INACTIVE, PQ_NQUEUES };

struct pv_entry;

/*
 * One physical frame.
 * Locking: (z) zone->lock, (q) page-queue lock, (p) pv_lock, (o) owner.
 */
struct vm_page {
	struct list_node link;          /* (z) free list, or (q) page queue */
	paddr_t pa;                     /* (c) physical address */
	uint16_t flags;                 /* (z/o) VM_PAGE_* */
	uint8_t order;                  /* (z) buddy order if FREE; kmalloc order */
	uint8_t zone;                   /* (c) enum vm_zone_id */
	uint8_t queue;                  /* (q) enum vm_page_queue */
	uint8_t pmap_flags;             /* (p) referenced / modified, saved by pmap */
	uint16_t wire_count;            /* (o) */
	struct pv_entry *pv_list;       /* (p) every mapping of this page */
	void *owner;                    /* (o) slab, anon or object owning it */
	uint64_t offset;                /* (o) offset in the owner, in bytes */
};

/* One contiguous range of physical memory (from a DTB memory node). */
struct mem_range {
	paddr_t start;
	paddr_t end;            /* exclusive */
};

/* Counters of one zone, copied out for /proc. All in pages. */
struct vm_zone_info {
	const char *name;
	uint64_t present;       /* frames in the zone */
	uint64_t managed;       /* frames given to the buddy allocator */
	uint64_t free;
	uint64_t wmark_min, wmark_low, wmark_high;
	uint64_t nfree[VM_PAGE_NORDERS];   /* free blocks of each order */
	paddr_t start, end;     /* [start, end): span of the managed frames */
	uint64_t low_events;    /* times free fell below the low watermark */
	uint64_t alloc_fail;    /* allocations this zone refused */
	uint64_t pgalloc;       /* pages allocated from this zone, ever */
	uint64_t pgfree;        /* pages freed to this zone, ever */
	uint64_t wakeups;       /* page-daemon wake-ups its allocations asked */
};

/*
 * Cut every RAM range at `limit` (bytes, physical, page aligned): the part
 * of a range at or above limit is dropped, a range wholly above it removed
 * and *nram lowered. Returns the bytes dropped (0 if none). The boot hart
 * calls it before vm_page_init with the size of the direct map, which the
 * page allocator needs to reach every frame it manages.
 */
uint64_t vm_page_clamp_ranges(struct mem_range *ram, int *nram, paddr_t limit);

/* Build the vm_page arrays and zones from RAM, minus the reserved ranges
 * (firmware, kernel image, DTB). Runs once on the boot hart, with the direct
 * map live. The page arrays are carved from RAM itself and reserved. */
void vm_page_init(const struct mem_range *ram, int nram,
		  const struct mem_range *reserved, int nreserved);
/* The same with the DMA32/NORMAL boundary given (bytes, physical); host
 * tests put it inside their fake RAM. vm_page_init passes ZONE_DMA32_LIMIT.
 * Resets all allocator state, so tests may call it again. */
void vm_page_init_zones(const struct mem_range *ram, int nram,
			const struct mem_range *reserved, int nreserved,
			paddr_t dma32_limit);

/* Allocate 2^order physically contiguous frames from the first zone in
 * zonemask (NORMAL before DMA32) that has them. A VM_ALLOC_USER or
 * VM_ALLOC_NORESERVE allocation must leave the zone at or above its min
 * watermark; kernel allocations may use the reserve below it. Leaving a zone below its low watermark counts
 * an event and calls vm_pageout_wakeup.
 * => no locks that rank below zone->lock.
 * Returns the first page, or NULL if no zone can satisfy it (-ENOMEM). */
struct vm_page *vm_page_alloc(unsigned order, unsigned zonemask, int flags);
/* Shorthand: one page, any zone. */
struct vm_page *vm_page_alloc1(int flags);
/* Free 2^order frames starting at pg (merging buddies; a single page
 * goes to this hart's page cache when those are on). */
void vm_page_free(struct vm_page *pg, unsigned order);
/* Turn the per-hart page caches on (the kernel, after vm_page_init; boot
 * option vm.pcp=off leaves them off, as the host tests do): each hart
 * then keeps a few free single pages per zone that it allocates and
 * frees without the zone lock. => boot, one hart. */
void vm_page_pcp_enable(void);

/* The first segment of RAM (usually all of it), for vm_page_from_pa's
 * fast path: bytes 0 until page.c has set it up. (c) after vm_page_init. */
struct vm_page_seg0 {
	paddr_t start;                  /* bytes, physical */
	uint64_t bytes;                 /* length */
	struct vm_page *pages;          /* its page array */
};
extern struct vm_page_seg0 vm_page_seg0;
struct vm_page *vm_page_from_pa_slow(paddr_t pa);

/* The vm_page of the frame at physical pa (bytes), or NULL outside RAM.
 * Reserved frames have a vm_page too (flag VM_PAGE_RESERVED). Inline for
 * the first segment (a fault and a free look up several pages); any other
 * goes through the segment table (vm_page_from_pa_slow). */
static inline struct vm_page *vm_page_from_pa(paddr_t pa)
{
	if (likely(pa - vm_page_seg0.start < vm_page_seg0.bytes))
		return &vm_page_seg0.pages[(pa - vm_page_seg0.start) >> PAGE_SHIFT];
	return vm_page_from_pa_slow(pa);
}
static inline paddr_t vm_page_to_pa(const struct vm_page *pg) { return pg->pa; }

/* Totals in pages. */
uint64_t vm_page_free_count(void);
uint64_t vm_page_total_count(void);
int vm_zone_count(void);
void vm_zone_get_info(int zone, struct vm_zone_info *out);

/*
 * Page queues for replacement (kernel/vm/pageout.c). Every user page
 * (VM_ALLOC_USER) is on its zone's active or inactive queue, oldest at the
 * head; it leaves them when it is freed, or while the page daemon pages it
 * out. Take pageq_lock; callers may hold an anon, amap or object lock.
 */
void vm_page_activate(struct vm_page *pg);
void vm_page_deactivate(struct vm_page *pg);
void vm_page_dequeue(struct vm_page *pg);
/* Pages on queue q (PQ_ACTIVE or PQ_INACTIVE), all zones / one zone. */
uint64_t vm_page_queue_count(enum vm_page_queue q);
uint64_t vm_zone_queue_count(int zone, enum vm_page_queue q);

/* The page daemon's view of the queues, under vm_pageq_lock: the oldest
 * page of zone's queue q (NULL if empty), and moving pg to the tail of
 * queue q (PQ_NONE: off the queues). Owner locks may only be tried
 * (spin_trylock, mutex_trylock) while the queue lock is held. */
void vm_pageq_lock(void);
void vm_pageq_unlock(void);
struct vm_page *_vm_pageq_first(int zone, enum vm_page_queue q);
void _vm_pageq_move(struct vm_page *pg, enum vm_page_queue q);

/* The page daemon's wake-up, called when an allocation leaves a zone below
 * its low watermark. Defined by the page daemon (kernel/vm/pageout.c);
 * page.c references it weakly, so the kernel links before that exists. */
void vm_pageout_wakeup(void);

/* Check every invariant of the zones and free lists; panics on failure.
 * Used by tests. */
void vm_page_check(void);

#endif
