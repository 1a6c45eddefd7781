/*
 * Pagoda's malloc (ARCHITECTURE.md layer 15).  Small requests are served
 * from buckets of 16 bytes to 2 KiB (16-byte steps up to 128, then 256,
 * 512, 640, 768, 1024, 2048); each bucket owns whole pages carved from 64
 * KiB chunks, which are cut from the regions of the page runs (below).
 * Requests of 129 to 512 bytes are medium blocks, cut to 16 bytes from
 * pages that every such size shares.  A page directory (a two-level radix
 * tree keyed by page number) maps every page to its descriptor, so free()
 * finds a block's bucket from its address alone and blocks carry no
 * header.
 *
 * Requests above 2 KiB and up to MALLOC_RUN_MAX_PAGES get a *page run*:
 * whole pages cut from a 1 MiB *region* (one mmap aligned to its size,
 * ending in a fence page that is never handed out, so runs of two regions
 * never touch).  A freed
 * run merges with the free runs on either side and waits on a free list of
 * its size class; realloc grows a run in place when the pages after it are
 * free.  Free runs keep their pages resident (the next malloc reuses them
 * without a fault) until more than MALLOC_DIRTY_HIGH pages wait; then the
 * pool is purged down to MALLOC_DIRTY_LOW with madvise(MADV_DONTNEED), and
 * regions that are wholly free (all but one) are unmapped; the same purge
 * drops the bucket pages no block uses (in the pool, or kept empty by a
 * bucket).  Memory goes back to the kernel in batches, not on every free.
 *
 * Larger requests (and alignments above a page) get a mapping of their
 * own, unmapped on free.  Such a block grows by mapping the whole new size
 * first (so the kernel's commit policy judges one request of the full
 * size and may refuse it), then moving the old pages into its start with
 * mremap, which copies nothing: a block of half of RAM can double without
 * being resident twice.
 *
 * A double or invalid free prints one line on stderr and kills the process
 * (SIGABRT, else exit 134).  Single-threaded; calls only mmap, munmap,
 * mremap, madvise, write, getpid, kill, _exit.
 *
 * Built two ways: for Pagoda (public malloc/free/... wrappers at the end)
 * and for the host unit test with -DMALLOC_HOST_TEST (only the pg_* names,
 * so the host libc's malloc stays in charge of the test itself).
 */
#define _GNU_SOURCE		/* the host's mremap and MREMAP_* */
#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pg_malloc.h"

#define MALLOC_PAGE_SHIFT   12
#define MALLOC_PAGE_SIZE    ((size_t)1 << MALLOC_PAGE_SHIFT)
#define MALLOC_MIN_SHIFT    4		/* smallest block: 16 bytes */
#define MALLOC_MAX_SHIFT    11		/* largest bucket block: 2 KiB */
#define MALLOC_MIN_BLOCK    ((size_t)1 << MALLOC_MIN_SHIFT)
#define MALLOC_MAX_BLOCK    ((size_t)1 << MALLOC_MAX_SHIFT)
/*
 * Bucket sizes: every multiple of 16 bytes (malloc's alignment) up to 128;
 * 129 to 512 bytes are medium blocks (below), but memalign of more than
 * 16 bytes rounds to a power of two and takes the 256- or 512-byte bucket;
 * above 512 only 640, 768, 1024 and 2048: 896 (four a page, wasting 512
 * bytes of it), 1280 and 1536 fit a page badly.
 */
#define MALLOC_BUCKET_SIZES 16, 32, 48, 64, 80, 96, 112, 128, 256, 512, \
			    640, 768, 1024, 2048
#define MALLOC_NBUCKETS     14
#define MALLOC_SIZE_STEPS   (MALLOC_MAX_BLOCK / MALLOC_MIN_BLOCK + 1) /* 16-byte steps */
#define MALLOC_CHUNK_PAGES  16		/* 64 KiB per chunk */
#define MALLOC_MAX_BLOCKS   (MALLOC_PAGE_SIZE / MALLOC_MIN_BLOCK)
#define MALLOC_WORD_BITS    64
#define MALLOC_BITMAP_WORDS (MALLOC_MAX_BLOCKS / MALLOC_WORD_BITS)
#define MALLOC_EXIT_ABORT   134		/* 128 + SIGABRT, as shells report it */

/* Page runs (blocks above 2 KiB): regions, size classes, the purge. */
#define MALLOC_REGION_PAGES     256	/* 1 MiB mapped per region */
#define MALLOC_REGION_RUN_PAGES (MALLOC_REGION_PAGES - 1) /* less the fence */
#define MALLOC_RUN_MAX_PAGES    64	/* larger blocks: a mapping of their own */
#define MALLOC_RUN_EXACT        16	/* classes 0..14: runs of 1..15 pages */
#define MALLOC_RUN_CLASSES      19	/* then 16-31, 32-63, 64-127, 128-255 */
#define MALLOC_DIRTY_HIGH       4	/* free pages maybe resident: purge above (16 KiB) */
#define MALLOC_DIRTY_LOW        0	/* ... down to this many: one batch */

/* Medium blocks: 16-byte granules in pages shared by every medium size. */
#define MALLOC_GRANULE          MALLOC_MIN_BLOCK
#define MALLOC_MEDIUM_MIN       128	/* bytes: malloc up to here uses a bucket */
#define MALLOC_MEDIUM_MAX       512	/* bytes: and above here again (640 ...) */
#define MALLOC_MEDIUM_MAP_BYTES (MALLOC_MAX_BLOCKS / 8)	/* heads bitmap, page end */
#define MALLOC_MEDIUM_GRANULES  ((MALLOC_PAGE_SIZE - MALLOC_MEDIUM_MAP_BYTES) / MALLOC_GRANULE)
#define MALLOC_MEDIUM_CLASS_SHIFT 2	/* one list per 4 granules of longest extent */
#define MALLOC_MEDIUM_CLASSES   ((int)(MALLOC_MEDIUM_GRANULES >> MALLOC_MEDIUM_CLASS_SHIFT) + 1)

/*
 * Page directory: two levels keyed by page number, a static root and
 * leaves mapped as needed.  User addresses have 38 bits on Sv39 (the
 * lower half of its 39-bit space, RISC-V privileged spec 4.4.1), 48 on
 * the host of the unit tests.
 */
#ifdef __riscv
#define MALLOC_VA_BITS      38
#define MALLOC_LEAF_BITS    14		/* a leaf maps 64 MiB: 128 KiB of entries */
#else
#define MALLOC_VA_BITS      48
#define MALLOC_LEAF_BITS    18		/* a leaf maps 1 GiB: 2 MiB of entries */
#endif
#define MALLOC_ROOT_BITS    (MALLOC_VA_BITS - MALLOC_PAGE_SHIFT - MALLOC_LEAF_BITS)
#define MALLOC_ROOT_ENTRIES ((size_t)1 << MALLOC_ROOT_BITS)
#define MALLOC_LEAF_ENTRIES ((size_t)1 << MALLOC_LEAF_BITS)
#define MALLOC_LEAF_MASK    (MALLOC_LEAF_ENTRIES - 1)
#define MALLOC_MAX_REQUEST  ((size_t)1 << (MALLOC_VA_BITS - 1))

_Static_assert(MALLOC_MAX_BLOCKS % MALLOC_WORD_BITS == 0, "bitmap words");
_Static_assert(MALLOC_RUN_MAX_PAGES <= MALLOC_REGION_RUN_PAGES, "a run fits a region");
_Static_assert(MALLOC_REGION_PAGES <= MALLOC_LEAF_ENTRIES,
	       "a region spans at most two directory leaves");
_Static_assert(MALLOC_DIRTY_LOW < MALLOC_DIRTY_HIGH, "purge hysteresis");
_Static_assert(MALLOC_MEDIUM_GRANULES <= UINT8_MAX, "longest fits its field");
_Static_assert(MALLOC_MEDIUM_MAX / MALLOC_GRANULE <= MALLOC_MEDIUM_GRANULES,
	       "a medium block fits a page");
_Static_assert(sizeof((uint16_t[]){ MALLOC_BUCKET_SIZES }) == MALLOC_NBUCKETS * sizeof(uint16_t),
	       "one bucket per size");

enum malloc_kind {
	MALLOC_PAGE_FREE,	/* in the page pool, owned by no bucket */
	MALLOC_PAGE_SMALL,	/* split into blocks of one bucket */
	MALLOC_PAGE_MEDIUM,	/* medium blocks of any size, 16-byte granules */
	MALLOC_PAGE_LARGE,	/* first page of a large block */
	MALLOC_PAGE_FREED,	/* tombstone: a large block that was freed */
	MALLOC_PAGE_RUN,	/* first and last page of a run in use */
	MALLOC_PAGE_RUN_FREE,	/* first and last page of a free run */
	MALLOC_PAGE_FENCE,	/* a region's last page, never handed out */
};

/*
 * Descriptor of one page (or of a large block or a run).
 * Invariants (malloc_check):
 *   SMALL: nfree == capacity - popcount(used), and the page is on its
 *          bucket's partial list iff nfree > 0;
 *   MEDIUM: nfree == MALLOC_MEDIUM_GRANULES - popcount(used), heads is a
 *          subset of used, longest is the longest run of clear bits, and
 *          the page is on list malloc_medium_class(longest) iff longest > 0;
 *   LARGE: npages * MALLOC_PAGE_SIZE bytes are mapped at base;
 *   RUN, RUN_FREE: the directory maps the run's first and last page to it
 *          and its other pages to NULL; a RUN_FREE run is on the list of
 *          malloc_run_class(npages), dirty <= npages, and the pages just
 *          before and after it are not in a free run (merged at free).
 */
struct malloc_page {
	uintptr_t base;			/* address of the page or block */
	uint8_t kind;			/* enum malloc_kind */
	uint8_t bucket;			/* SMALL: bucket index */
	uint16_t nfree;			/* SMALL: free blocks in the page */
	uint8_t zeroed;			/* RUN, LARGE: all zero when handed out;
					 * FREE, and SMALL or MEDIUM pages kept
					 * empty: not resident */
	uint8_t longest;		/* MEDIUM: longest free extent, granules */
	union {
		uint64_t used[MALLOC_BITMAP_WORDS]; /* SMALL: bit i = block i in use;
						     * MEDIUM: granule i in use */
		struct {
			size_t npages;	/* LARGE: pages mapped; RUN*: pages */
			size_t dirty;	/* RUN_FREE: at most this many resident */
		};
	};
	struct malloc_page *next;	/* partial list / pool / run list / spare */
	struct malloc_page *prev;	/* bucket partial list, run free list */
};

struct malloc_bucket {
	size_t size;			/* block size, bytes */
	struct malloc_page *partial;	/* pages with at least one free block */
	size_t pages;			/* pages owned (partial and full) */
	size_t blocks_used;		/* blocks handed out */
};

/*
 * What malloc and free touch on every call, in one object so that a
 * single page of it becomes resident: the buckets, the size table, the
 * lists, and the directory's root, whose entries count down from the top
 * of the user half (where mmap puts memory first; malloc_dir_index), so
 * that those in use follow the lists.  MALLOC_CORE_ALIGN keeps that head
 * of the object within one page.
 */
#define MALLOC_CORE_ALIGN   2048	/* bytes */
static struct malloc_core {
	struct malloc_bucket buckets[MALLOC_NBUCKETS];
	uint8_t size_bucket[MALLOC_SIZE_STEPS];	/* (bytes + 15) / 16 -> index */
	struct malloc_page *run_free[MALLOC_RUN_CLASSES];	/* free runs */
	struct malloc_page *medium_lists[MALLOC_MEDIUM_CLASSES]; /* by longest */
	void **dir_root[MALLOC_ROOT_ENTRIES];	/* leaves */
} malloc_core __attribute__((aligned(MALLOC_CORE_ALIGN)));

_Static_assert(offsetof(struct malloc_core, dir_root) + 4 * sizeof(void *) <= MALLOC_CORE_ALIGN &&
	       MALLOC_PAGE_SIZE % MALLOC_CORE_ALIGN == 0,
	       "the lists and the root's top entries share a page");
_Static_assert(sizeof(struct malloc_page) == 64, "64 descriptors a page");

static const uint16_t malloc_bucket_sizes[MALLOC_NBUCKETS] = { MALLOC_BUCKET_SIZES };
static struct malloc_bucket *const malloc_buckets = malloc_core.buckets;
static struct malloc_page *malloc_pool;		/* FREE pages */
static struct malloc_page *malloc_spare_descs;	/* unused descriptors */
static struct malloc_page malloc_tombstone = { .kind = MALLOC_PAGE_FREED };
static struct malloc_page malloc_fence = { .kind = MALLOC_PAGE_FENCE };
static size_t malloc_regions;		/* regions mapped */
static size_t malloc_run_pages;		/* pages in runs in use and in chunks */
static size_t malloc_runs;		/* runs in use */
static size_t malloc_dirty_pages;	/* sum of dirty over free runs */
static size_t malloc_purges;		/* times the pool was purged */
static size_t malloc_pool_pages;
static size_t malloc_chunks;
static size_t malloc_large_blocks;
static size_t malloc_large_pages;
static size_t malloc_medium_pages;	/* MEDIUM pages, listed or full */
static size_t malloc_medium_used;	/* granules handed out */

/* ---------------------------------------------------------------- helpers */

/* Fresh zeroed pages from the kernel, or NULL. */
static void *malloc_map(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * Fresh zeroed pages: len bytes (whole pages) at a multiple of align (a
 * power of two, at least a page), mapped with align - 1 pages more and
 * trimmed.  Returns the address, or 0.
 */
static uintptr_t malloc_map_aligned(size_t len, size_t align)
{
	size_t extra = align - MALLOC_PAGE_SIZE;
	uintptr_t raw = (uintptr_t)malloc_map(len + extra), base;

	if (raw == 0)
		return 0;
	base = (raw + align - 1) & ~(uintptr_t)(align - 1);
	if (base > raw)
		munmap((void *)raw, base - raw);
	if (raw + extra > base)
		munmap((void *)(base + len), raw + extra - base);
	return base;
}

static size_t malloc_page_round(size_t bytes)
{
	return (bytes + MALLOC_PAGE_SIZE - 1) & ~(MALLOC_PAGE_SIZE - 1);
}

static int malloc_is_pow2(size_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

/* Index of the smallest bucket whose blocks hold `bytes` (<= 2 KiB). */
static int malloc_bucket_index(size_t bytes)
{
	return malloc_core.size_bucket[(bytes + MALLOC_MIN_BLOCK - 1) / MALLOC_MIN_BLOCK];
}

/* The smallest power of two >= x (x <= 2 KiB here). */
static size_t malloc_pow2_round(size_t x)
{
	size_t p = MALLOC_MIN_BLOCK;

	while (p < x)
		p <<= 1;
	return p;
}

static size_t malloc_capacity(const struct malloc_bucket *b)
{
	return MALLOC_PAGE_SIZE / b->size;
}

/*
 * Report a bad free on stderr without stdio (which may itself allocate),
 * then die with SIGABRT, or exit status 134 if the signal is not delivered.
 */
static void malloc_die(const char *what, const void *p)
{
	static const char hex[] = "0123456789abcdef";
	char msg[96];
	size_t n = 0;
	uintptr_t v = (uintptr_t)p;
	int shift = (int)(sizeof(v) * 8) - 4;

	for (const char *s = "malloc: "; *s; s++)
		msg[n++] = *s;
	for (const char *s = what; *s && n < 40; s++)
		msg[n++] = *s;
	for (const char *s = " of 0x"; *s; s++)
		msg[n++] = *s;
	while (shift > 0 && ((v >> shift) & 0xf) == 0)
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		msg[n++] = hex[(v >> shift) & 0xf];
	msg[n++] = '\n';
	(void)!write(STDERR_FILENO, msg, n);
	kill(getpid(), SIGABRT);
	_exit(MALLOC_EXIT_ABORT);
}

/* ---------------------------------------------------------------- page directory */

/* The root entry of page number pn (below 2^(MALLOC_VA_BITS - 12)),
 * counted from the top of the user half. */
static inline size_t malloc_dir_index(uintptr_t pn)
{
	return MALLOC_ROOT_ENTRIES - 1 - (pn >> MALLOC_LEAF_BITS);
}

/* The descriptor registered for the page holding addr, or NULL. */
static inline struct malloc_page *malloc_dir_lookup(uintptr_t addr)
{
	uintptr_t pn = addr >> MALLOC_PAGE_SHIFT;
	void **leaf;

	if (addr >> MALLOC_VA_BITS)
		return NULL;
	leaf = malloc_core.dir_root[malloc_dir_index(pn)];
	if (leaf == NULL)
		return NULL;
	return leaf[pn & MALLOC_LEAF_MASK];
}

/*
 * Register desc (or NULL) for the page holding addr, mapping its leaf if
 * needed.  Returns 0, or -ENOMEM.
 */
static int malloc_dir_set(uintptr_t addr, struct malloc_page *desc)
{
	uintptr_t pn = addr >> MALLOC_PAGE_SHIFT;
	void ***leafp;

	if (addr >> MALLOC_VA_BITS)
		return -ENOMEM;
	leafp = &malloc_core.dir_root[malloc_dir_index(pn)];
	if (*leafp == NULL &&
	    (*leafp = malloc_map(MALLOC_LEAF_ENTRIES * sizeof(void *))) == NULL)
		return -ENOMEM;
	(*leafp)[pn & MALLOC_LEAF_MASK] = desc;
	return 0;
}

/*
 * Forget stale entries (tombstones of earlier blocks) for npages pages
 * from addr: they now lie inside a new large block.
 */
static void malloc_dir_clear(uintptr_t addr, size_t npages)
{
	for (size_t i = 0; i < npages; i++, addr += MALLOC_PAGE_SIZE)
		if (malloc_dir_lookup(addr) != NULL)
			(void)malloc_dir_set(addr, NULL);
}

/* ---------------------------------------------------------------- descriptors */

/* A zeroed descriptor from the spare list (a page of them mapped when it
 * is empty), or NULL. */
static struct malloc_page *malloc_desc_alloc(void)
{
	struct malloc_page *d;

	if (malloc_spare_descs == NULL) {
		struct malloc_page *arr = malloc_map(MALLOC_PAGE_SIZE);
		size_t n = MALLOC_PAGE_SIZE / sizeof(*arr);

		if (arr == NULL)
			return NULL;
		for (size_t i = 0; i < n; i++) {
			arr[i].next = malloc_spare_descs;
			malloc_spare_descs = &arr[i];
		}
	}
	d = malloc_spare_descs;
	malloc_spare_descs = d->next;
	memset(d, 0, sizeof(*d));
	return d;
}

static void malloc_desc_free(struct malloc_page *d)
{
	d->next = malloc_spare_descs;
	malloc_spare_descs = d;
}

/* ---------------------------------------------------------------- page pool */

static int malloc_chunk_map(void);

/*
 * An empty page a bucket keeps as its only partial page, taken from that
 * bucket (which refills when it needs a block again), or NULL.
 */
static struct malloc_page *malloc_pool_steal(void)
{
	for (int i = 0; i < MALLOC_NBUCKETS; i++) {
		struct malloc_bucket *b = &malloc_buckets[i];
		struct malloc_page *d = b->partial;

		if (d && d->next == NULL && d->nfree == malloc_capacity(b)) {
			b->partial = NULL;
			b->pages--;
			return d;
		}
	}
	return NULL;
}

/*
 * Take a FREE page for a bucket: a page used before and given back (it is
 * resident), else an empty page another bucket keeps (resident too), else
 * a fresh one, mapping a new chunk if the pool is empty.
 */
static struct malloc_page *malloc_pool_get(void)
{
	struct malloc_page *d;

	if ((malloc_pool == NULL || malloc_pool->zeroed) &&
	    (d = malloc_pool_steal()) != NULL)
		return d;
	if (malloc_pool == NULL && malloc_chunk_map() < 0)
		return NULL;
	d = malloc_pool;
	malloc_pool = d->next;
	malloc_pool_pages--;
	return d;
}

static void malloc_pool_put(struct malloc_page *d)
{
	d->kind = MALLOC_PAGE_FREE;
	d->zeroed = 0;
	d->next = malloc_pool;
	d->prev = NULL;
	malloc_pool = d;
	malloc_pool_pages++;
}

/* ---------------------------------------------------------------- buckets */

static void malloc_partial_push(struct malloc_bucket *b, struct malloc_page *d)
{
	d->prev = NULL;
	d->next = b->partial;
	if (b->partial)
		b->partial->prev = d;
	b->partial = d;
}

static void malloc_partial_remove(struct malloc_bucket *b, struct malloc_page *d)
{
	if (d->prev)
		d->prev->next = d->next;
	else
		b->partial = d->next;
	if (d->next)
		d->next->prev = d->prev;
	d->next = d->prev = NULL;
}

/*
 * Bucket refill: give bucket b one more page of free blocks.  Takes a page
 * from the pool (mapping a chunk when the pool is empty), makes it a SMALL
 * page of b with every block free, and puts it on b's partial list.
 * Returns 0, or -ENOMEM when the kernel gives no memory.  Out of line: the
 * rare path, kept out of malloc_small_alloc's.
 */
__attribute__((noinline))
static int malloc_bucket_refill(struct malloc_bucket *b)
{
	/* LAB malloc: begin */
	struct malloc_page *d = malloc_pool_get();

	if (d == NULL)
		return -ENOMEM;
	d->kind = MALLOC_PAGE_SMALL;
	d->bucket = (uint8_t)(b - malloc_buckets);
	d->nfree = (uint16_t)malloc_capacity(b);
	memset(d->used, 0, sizeof(d->used));
	malloc_partial_push(b, d);
	b->pages++;
	return 0;
	/* LAB malloc: end */
	/* LAB malloc: stub
	(void)b;
	(void)malloc_pool_get;
	(void)malloc_partial_push;
	return -ENOSYS;
	*/
}

/* Index of the first clear bit in a SMALL page's bitmap (one exists). */
static size_t malloc_first_free(const struct malloc_page *d)
{
	for (size_t w = 0; w < MALLOC_BITMAP_WORDS; w++)
		if (~d->used[w])
			return w * MALLOC_WORD_BITS + (size_t)__builtin_ctzll(~d->used[w]);
	return MALLOC_MAX_BLOCKS;
}

static void *malloc_large_alloc(size_t bytes, size_t align);

static void *malloc_small_alloc(int index)
{
	/* LAB malloc: begin */
	struct malloc_bucket *b = &malloc_buckets[index];
	struct malloc_page *d;
	size_t i;

	if (b->partial == NULL && malloc_bucket_refill(b) < 0)
		return NULL;
	d = b->partial;
	i = malloc_first_free(d);
	d->used[i / MALLOC_WORD_BITS] |= 1ull << (i % MALLOC_WORD_BITS);
	if (--d->nfree == 0)
		malloc_partial_remove(b, d);
	b->blocks_used++;
	return (void *)(d->base + i * b->size);
	/* LAB malloc: end */
	/* LAB malloc: stub
	// Not a bucket: every block gets a page of its own (a large block).
	(void)malloc_bucket_refill;
	(void)malloc_first_free;
	return malloc_large_alloc(malloc_buckets[index].size, MALLOC_MIN_BLOCK);
	*/
}

static void malloc_small_free(struct malloc_page *d, void *p)
{
	/* LAB malloc: begin */
	struct malloc_bucket *b = &malloc_buckets[d->bucket];
	size_t off = (uintptr_t)p - d->base;
	size_t i = off / b->size;
	uint64_t bit = 1ull << (i % MALLOC_WORD_BITS);

	if (off % b->size || i >= malloc_capacity(b))
		malloc_die("invalid free", p);
	if (!(d->used[i / MALLOC_WORD_BITS] & bit))
		malloc_die("double free", p);
	d->used[i / MALLOC_WORD_BITS] &= ~bit;
	b->blocks_used--;
	if (d->nfree++ == 0)
		malloc_partial_push(b, d);
	/* An empty page goes back to the pool unless it is the bucket's last,
	 * which stays, resident until the next purge (malloc_idle_purge). */
	if (d->nfree == malloc_capacity(b) && (d->next || d->prev)) {
		malloc_partial_remove(b, d);
		b->pages--;
		malloc_pool_put(d);
	} else if (d->nfree == malloc_capacity(b)) {
		d->zeroed = 0;
	}
	/* LAB malloc: end */
	/* LAB malloc: stub
	(void)d;
	(void)malloc_partial_remove;
	(void)malloc_pool_put;
	malloc_die("lab malloc: malloc_small_free not implemented", p);
	*/
}

/* ---------------------------------------------------------------- medium blocks */

/*
 * Medium blocks (malloc of MALLOC_MEDIUM_MIN + 1 to MALLOC_MEDIUM_MAX
 * bytes) are cut to the 16-byte granule from MEDIUM pages that every
 * medium size shares, so no size keeps pages of its own and a block wastes
 * under a granule (buckets of four sizes per doubling, as these sizes had
 * before, wasted up to a quarter of a block, 320 or 384 bytes left 256
 * bytes of each page unused, and each of eight buckets kept the pages of
 * its own peak).  A MEDIUM page's descriptor bitmap `used` marks its granules in
 * use; its last MALLOC_MEDIUM_MAP_BYTES hold `heads`, the granules that
 * start a block.  A block ends at the next head or free granule, so it
 * needs no header.  Pages wait on lists by their longest free extent; a
 * block goes to the page whose longest extent fits it most tightly, and
 * into that page's tightest extent (best fit, which keeps the holes few).
 */

static uint64_t *malloc_medium_heads(const struct malloc_page *d)
{
	return (uint64_t *)(d->base + MALLOC_PAGE_SIZE - MALLOC_MEDIUM_MAP_BYTES);
}

/* The first granule from g (below limit) whose bit in map w is `set`,
 * or limit if none is. */
static size_t malloc_bits_find(const uint64_t *w, size_t g, size_t limit, int set)
{
	while (g < limit) {
		uint64_t word = (set ? w[g / MALLOC_WORD_BITS] : ~w[g / MALLOC_WORD_BITS]) &
				(~0ull << (g % MALLOC_WORD_BITS));

		if (word) {
			g = g / MALLOC_WORD_BITS * MALLOC_WORD_BITS + (size_t)__builtin_ctzll(word);
			return g < limit ? g : limit;
		}
		g = (g / MALLOC_WORD_BITS + 1) * MALLOC_WORD_BITS;
	}
	return limit;
}

/* Set (or clear) bits g .. g + n - 1 of map w. */
static void malloc_bits_fill(uint64_t *w, size_t g, size_t n, int set)
{
	while (n > 0) {
		size_t bit = g % MALLOC_WORD_BITS;
		size_t k = MALLOC_WORD_BITS - bit < n ? MALLOC_WORD_BITS - bit : n;
		uint64_t mask = (k == MALLOC_WORD_BITS ? ~0ull : (1ull << k) - 1) << bit;

		if (set)
			w[g / MALLOC_WORD_BITS] |= mask;
		else
			w[g / MALLOC_WORD_BITS] &= ~mask;
		g += k;
		n -= k;
	}
}

/*
 * The free extent of MEDIUM page d that holds n granules most tightly
 * (its first granule), or MALLOC_MEDIUM_GRANULES if none does; n == 0
 * finds none.  *longest gets the page's longest free extent.
 */
static size_t malloc_medium_fit(const struct malloc_page *d, size_t n, size_t *longest)
{
	size_t g = 0, best = MALLOC_MEDIUM_GRANULES, best_len = SIZE_MAX, max = 0;

	while ((g = malloc_bits_find(d->used, g, MALLOC_MEDIUM_GRANULES, 0)) <
	       MALLOC_MEDIUM_GRANULES) {
		size_t end = malloc_bits_find(d->used, g, MALLOC_MEDIUM_GRANULES, 1);

		if (end - g >= n && n > 0 && end - g < best_len) {
			best = g;
			best_len = end - g;
		}
		if (end - g > max)
			max = end - g;
		g = end;
	}
	*longest = max;
	return best;
}

static int malloc_medium_class(size_t longest)
{
	return (int)(longest >> MALLOC_MEDIUM_CLASS_SHIFT);
}

/* Recount d's longest free extent and put d on its list (none if full). */
static void malloc_medium_list(struct malloc_page *d)
{
	struct malloc_page **head;
	size_t longest;

	(void)malloc_medium_fit(d, 0, &longest);
	d->longest = (uint8_t)longest;
	d->prev = d->next = NULL;
	if (longest == 0)
		return;
	head = &malloc_core.medium_lists[malloc_medium_class(longest)];
	d->next = *head;
	if (*head)
		(*head)->prev = d;
	*head = d;
}

/* Take d off the doubly linked list whose first page *head holds. */
static void malloc_page_unlink(struct malloc_page **head, struct malloc_page *d)
{
	if (d->prev)
		d->prev->next = d->next;
	else
		*head = d->next;
	if (d->next)
		d->next->prev = d->prev;
	d->next = d->prev = NULL;
}

/* Take d off its list (it is on one iff its longest extent is not 0). */
static void malloc_medium_unlist(struct malloc_page *d)
{
	if (d->longest == 0)
		return;
	malloc_page_unlink(&malloc_core.medium_lists[malloc_medium_class(d->longest)], d);
}

/* The listed page whose longest free extent holds n granules most tightly
 * (to the list's class), or a new empty page; NULL without memory. */
static struct malloc_page *malloc_medium_page(size_t n)
{
	struct malloc_page *d;

	for (d = malloc_core.medium_lists[malloc_medium_class(n)]; d; d = d->next)
		if (d->longest >= n)
			return d;
	for (int c = malloc_medium_class(n) + 1; c < MALLOC_MEDIUM_CLASSES; c++)
		if (malloc_core.medium_lists[c])
			return malloc_core.medium_lists[c];
	d = malloc_pool_get();
	if (d == NULL)
		return NULL;
	d->kind = MALLOC_PAGE_MEDIUM;
	d->nfree = MALLOC_MEDIUM_GRANULES;
	memset(d->used, 0, sizeof(d->used));
	memset(malloc_medium_heads(d), 0, MALLOC_MEDIUM_MAP_BYTES);
	malloc_medium_pages++;
	malloc_medium_list(d);
	return d;
}

/* A medium block of `bytes` (MALLOC_MEDIUM_MIN + 1 .. MALLOC_MEDIUM_MAX),
 * or NULL when the kernel gives no memory. */
static void *malloc_medium_alloc(size_t bytes)
{
	size_t n = (bytes + MALLOC_GRANULE - 1) / MALLOC_GRANULE, g, longest;
	struct malloc_page *d = malloc_medium_page(n);

	if (d == NULL)
		return NULL;
	g = malloc_medium_fit(d, n, &longest);
	malloc_medium_unlist(d);
	malloc_bits_fill(d->used, g, n, 1);
	malloc_bits_fill(malloc_medium_heads(d), g, 1, 1);
	d->nfree = (uint16_t)(d->nfree - n);
	malloc_medium_used += n;
	malloc_medium_list(d);
	return (void *)(d->base + g * MALLOC_GRANULE);
}

/* Granules of the medium block that starts at granule g of page d. */
static size_t malloc_medium_len(const struct malloc_page *d, size_t g)
{
	size_t head = malloc_bits_find(malloc_medium_heads(d), g + 1,
				       MALLOC_MEDIUM_GRANULES, 1);

	return malloc_bits_find(d->used, g + 1, head, 0) - g;
}

/* The granule where block p of MEDIUM page d starts, dying on anything
 * but the start of a live block. */
static size_t malloc_medium_granule(const struct malloc_page *d, void *p)
{
	size_t off = (uintptr_t)p - d->base, g = off / MALLOC_GRANULE;

	if (off % MALLOC_GRANULE || g >= MALLOC_MEDIUM_GRANULES)
		malloc_die("invalid free", p);
	if (!(malloc_medium_heads(d)[g / MALLOC_WORD_BITS] & (1ull << (g % MALLOC_WORD_BITS))))
		malloc_die(d->used[g / MALLOC_WORD_BITS] & (1ull << (g % MALLOC_WORD_BITS)) ?
			   "invalid free" : "double free", p);
	return g;
}

/* Free medium block p of page d; a page left empty goes back to the pool
 * unless it is the only MEDIUM page (kept, as a bucket keeps its last). */
static void malloc_medium_free(struct malloc_page *d, void *p)
{
	size_t g = malloc_medium_granule(d, p), n = malloc_medium_len(d, g);

	malloc_medium_unlist(d);
	malloc_bits_fill(d->used, g, n, 0);
	malloc_bits_fill(malloc_medium_heads(d), g, 1, 0);
	d->nfree = (uint16_t)(d->nfree + n);
	malloc_medium_used -= n;
	if (d->nfree == MALLOC_MEDIUM_GRANULES && malloc_medium_pages > 1) {
		malloc_medium_pages--;
		malloc_pool_put(d);
		return;
	}
	if (d->nfree == MALLOC_MEDIUM_GRANULES)
		d->zeroed = 0;		/* kept, resident until the next purge */
	malloc_medium_list(d);
}

/* Grow medium block p of page d in place to `bytes` (at most
 * MALLOC_MEDIUM_MAX).  Returns 0, or -ENOMEM if the granules after it
 * are not free (p is unchanged then). */
static int malloc_medium_grow(struct malloc_page *d, void *p, size_t bytes)
{
	size_t g = ((uintptr_t)p - d->base) / MALLOC_GRANULE, n = malloc_medium_len(d, g);
	size_t want = (bytes + MALLOC_GRANULE - 1) / MALLOC_GRANULE;

	if (g + want > MALLOC_MEDIUM_GRANULES ||
	    malloc_bits_find(d->used, g + n, g + want, 1) < g + want)
		return -ENOMEM;
	malloc_medium_unlist(d);
	malloc_bits_fill(d->used, g + n, want - n, 1);
	d->nfree = (uint16_t)(d->nfree - (want - n));
	malloc_medium_used += want - n;
	malloc_medium_list(d);
	return 0;
}

/* ---------------------------------------------------------------- page runs */

static uintptr_t malloc_run_last(const struct malloc_page *d)
{
	return d->base + (d->npages - 1) * MALLOC_PAGE_SIZE;
}

static uintptr_t malloc_run_end(const struct malloc_page *d)
{
	return d->base + d->npages * MALLOC_PAGE_SIZE;
}

/* Free-list index of a run of npages pages (1 .. MALLOC_REGION_RUN_PAGES):
 * one class per size below MALLOC_RUN_EXACT pages, then one per power of two. */
static int malloc_run_class(size_t npages)
{
	int c = MALLOC_RUN_EXACT - 1;

	if (npages < MALLOC_RUN_EXACT)
		return (int)npages - 1;
	for (size_t n = npages / (2 * MALLOC_RUN_EXACT); n; n >>= 1)
		c++;
	return c;
}

/*
 * Register run d at its first and last page.  Can not fail: the region
 * holding d got the directory leaves of both its ends when it was mapped
 * (malloc_region_map), and a region spans at most those two leaves.
 */
static void malloc_run_bind(struct malloc_page *d)
{
	(void)malloc_dir_set(d->base, d);
	(void)malloc_dir_set(malloc_run_last(d), d);
}

/* Forget run d's first and last page: they become interior pages. */
static void malloc_run_unbind(struct malloc_page *d)
{
	(void)malloc_dir_set(d->base, NULL);
	(void)malloc_dir_set(malloc_run_last(d), NULL);
}

/* Put free run d (npages, dirty set) on its class list and register it. */
static void malloc_run_insert(struct malloc_page *d)
{
	struct malloc_page **head = &malloc_core.run_free[malloc_run_class(d->npages)];

	d->kind = MALLOC_PAGE_RUN_FREE;
	d->prev = NULL;
	d->next = *head;
	if (*head)
		(*head)->prev = d;
	*head = d;
	malloc_dirty_pages += d->dirty;
	malloc_run_bind(d);
}

/* Take free run d off its class list (its directory entries stay). */
static void malloc_run_remove(struct malloc_page *d)
{
	malloc_page_unlink(&malloc_core.run_free[malloc_run_class(d->npages)], d);
	malloc_dirty_pages -= d->dirty;
}

/* The free run starting at addr, or NULL. */
static struct malloc_page *malloc_run_free_at(uintptr_t addr)
{
	struct malloc_page *r = malloc_dir_lookup(addr);

	return r && r->kind == MALLOC_PAGE_RUN_FREE && r->base == addr ? r : NULL;
}

/* The free run ending just below addr, or NULL. */
static struct malloc_page *malloc_run_free_before(uintptr_t addr)
{
	struct malloc_page *l = malloc_dir_lookup(addr - MALLOC_PAGE_SIZE);

	return l && l->kind == MALLOC_PAGE_RUN_FREE && malloc_run_end(l) == addr ? l : NULL;
}

/*
 * Map a region: MALLOC_REGION_RUN_PAGES pages of one free run (zero, not
 * resident) and the fence page, aligned to its size so that one page of a
 * directory leaf maps it all.  Stale directory entries in its range
 * (tombstones of blocks once mapped there) are cleared first.
 * Returns 0, or -ENOMEM.
 */
static int malloc_region_map(void)
{
	size_t bytes = MALLOC_REGION_PAGES * MALLOC_PAGE_SIZE;
	struct malloc_page *d = malloc_desc_alloc();
	uintptr_t base;

	if (d == NULL)
		return -ENOMEM;
	base = malloc_map_aligned(bytes, bytes);
	if (base == 0)
		goto fail;
	malloc_dir_clear(base, MALLOC_REGION_PAGES);
	/* The two ends get their leaves here; every later bind can not fail. */
	if (malloc_dir_set(base, NULL) < 0 ||
	    malloc_dir_set(base + bytes - MALLOC_PAGE_SIZE, &malloc_fence) < 0) {
		munmap((void *)base, bytes);
		goto fail;
	}
	d->base = base;
	d->npages = MALLOC_REGION_RUN_PAGES;
	d->dirty = 0;
	malloc_run_insert(d);
	malloc_regions++;
	return 0;
fail:
	malloc_desc_free(d);
	return -ENOMEM;
}

/* Unmap the region whose whole run is the free run d (off its list). */
static void malloc_region_unmap(struct malloc_page *d)
{
	malloc_run_unbind(d);
	(void)malloc_dir_set(malloc_run_end(d), NULL);	/* the fence */
	munmap((void *)d->base, MALLOC_REGION_PAGES * MALLOC_PAGE_SIZE);
	malloc_regions--;
	malloc_desc_free(d);
}

/* Give back empty page d (it stays mapped and where it is, and reads as
 * zero after) unless it is not resident already. */
static void malloc_idle_drop(struct malloc_page *d)
{
	if (!d->zeroed &&
	    madvise((void *)d->base, MALLOC_PAGE_SIZE, MADV_DONTNEED) == 0)
		d->zeroed = 1;
}

/*
 * With the free runs, give back the other pages no block uses: pool pages
 * used before, the empty page a bucket keeps, and the empty MEDIUM page
 * kept when it is the only one.  They stay where they are: the next block
 * of their bucket faults in a zero page, where taking the page away would
 * cost a refill.
 */
static void malloc_idle_purge(void)
{
	struct malloc_page *d;

	for (d = malloc_pool; d; d = d->next)
		malloc_idle_drop(d);
	for (int i = 0; i < MALLOC_NBUCKETS; i++) {
		d = malloc_buckets[i].partial;
		if (d && d->next == NULL && d->nfree == malloc_capacity(&malloc_buckets[i]))
			malloc_idle_drop(d);
	}
	d = malloc_core.medium_lists[malloc_medium_class(MALLOC_MEDIUM_GRANULES)];
	for (; d; d = d->next)
		if (d->nfree == MALLOC_MEDIUM_GRANULES)
			malloc_idle_drop(d);
}

/*
 * Purge the pool: give the pages of free runs back to the kernel, largest
 * classes first, until at most MALLOC_DIRTY_LOW pages may stay resident.
 * A wholly free region is unmapped (one stays mapped); other runs keep
 * their mapping and drop their pages with madvise(MADV_DONTNEED), after
 * which they read as zero.  Then the idle pages of the buckets and medium
 * blocks go back too (malloc_idle_purge).
 */
static void malloc_run_purge(void)
{
	malloc_purges++;
	for (int c = MALLOC_RUN_CLASSES - 1; c >= 0; c--) {
		struct malloc_page *d = malloc_core.run_free[c], *next;

		for (; d && malloc_dirty_pages > MALLOC_DIRTY_LOW; d = next) {
			next = d->next;
			if (d->npages == MALLOC_REGION_RUN_PAGES && malloc_regions > 1) {
				malloc_run_remove(d);
				malloc_region_unmap(d);
			} else if (d->dirty &&
				   madvise((void *)d->base, d->npages * MALLOC_PAGE_SIZE,
					   MADV_DONTNEED) == 0) {
				malloc_dirty_pages -= d->dirty;
				d->dirty = 0;
			}
		}
	}
	malloc_idle_purge();
}

/* A free run of at least npages pages, off its list; NULL if none. */
static struct malloc_page *malloc_run_find(size_t npages)
{
	int c = malloc_run_class(npages);

	/* In the power-of-two classes the first list may hold smaller runs. */
	for (struct malloc_page *d = malloc_core.run_free[c]; d; d = d->next)
		if (d->npages >= npages) {
			malloc_run_remove(d);
			return d;
		}
	for (c++; c < MALLOC_RUN_CLASSES; c++)
		if (malloc_core.run_free[c]) {
			struct malloc_page *d = malloc_core.run_free[c];

			malloc_run_remove(d);
			return d;
		}
	return NULL;
}

/*
 * Cut the first npages pages off free run d (off its list, unregistered
 * or not): the rest goes back on a list as a new free run.  If no
 * descriptor is left for the rest, d keeps all its pages (a bigger block
 * is still a valid one).
 */
static void malloc_run_split(struct malloc_page *d, size_t npages)
{
	struct malloc_page *rest;

	if (d->npages == npages || (rest = malloc_desc_alloc()) == NULL)
		return;
	malloc_run_unbind(d);
	rest->base = d->base + npages * MALLOC_PAGE_SIZE;
	rest->npages = d->npages - npages;
	rest->dirty = d->dirty < rest->npages ? d->dirty : rest->npages;
	d->npages = npages;
	d->dirty = d->dirty < npages ? d->dirty : npages;
	malloc_run_insert(rest);
}

/*
 * A run of npages pages (1 .. MALLOC_RUN_MAX_PAGES) from the pool, mapping
 * a region when no free run is big enough.  Its zeroed flag says whether
 * all its pages read as zero.  NULL when the kernel gives no memory.
 */
static void *malloc_run_alloc(size_t npages)
{
	struct malloc_page *d = malloc_run_find(npages);

	if (d == NULL) {
		if (malloc_region_map() < 0)
			return NULL;
		d = malloc_run_find(npages);
	}
	malloc_run_split(d, npages);
	d->kind = MALLOC_PAGE_RUN;
	d->zeroed = d->dirty == 0;
	malloc_run_bind(d);
	malloc_runs++;
	malloc_run_pages += d->npages;
	return (void *)d->base;
}

/*
 * Free run d (in use): merge it with the free runs just after and just
 * before it, put the result on its list, and purge the pool if too many
 * free pages may be resident.  The merged run's first page keeps a
 * descriptor, so a second free of d says "double free" unless d merged
 * into the run before it (then "invalid free").
 */
static void malloc_run_release(struct malloc_page *d)
{
	struct malloc_page *r = malloc_run_free_at(malloc_run_end(d));
	struct malloc_page *l = malloc_run_free_before(d->base);

	malloc_runs--;
	malloc_run_pages -= d->npages;
	malloc_run_unbind(d);
	d->dirty = d->npages;
	if (r) {
		malloc_run_remove(r);
		malloc_run_unbind(r);
		d->npages += r->npages;
		d->dirty += r->dirty;
		malloc_desc_free(r);
	}
	if (l) {
		malloc_run_remove(l);
		malloc_run_unbind(l);
		l->npages += d->npages;
		l->dirty += d->dirty;
		malloc_desc_free(d);
		d = l;
	}
	malloc_run_insert(d);
	if (malloc_dirty_pages > MALLOC_DIRTY_HIGH)
		malloc_run_purge();
}

/*
 * Cut a chunk of MALLOC_CHUNK_PAGES pages from the page runs and put its
 * pages, registered as FREE, in the pool: bucket pages and runs share the
 * regions and the directory's leaf pages.  The chunk's pages stay counted
 * in malloc_run_pages (no free run holds them) but form no run.
 * Returns 0, or -ENOMEM.
 */
static int malloc_chunk_map(void)
{
	struct malloc_page *descs[MALLOC_CHUNK_PAGES], *run;
	uintptr_t base = (uintptr_t)malloc_run_alloc(MALLOC_CHUNK_PAGES);
	size_t got = 1;
	uint8_t zeroed;

	if (base == 0)
		return -ENOMEM;
	run = descs[0] = malloc_dir_lookup(base);
	while (run->npages == MALLOC_CHUNK_PAGES && got < MALLOC_CHUNK_PAGES &&
	       (descs[got] = malloc_desc_alloc()) != NULL)
		got++;
	if (got < MALLOC_CHUNK_PAGES) {
		while (--got > 0)
			malloc_desc_free(descs[got]);
		malloc_run_release(run);
		return -ENOMEM;
	}
	zeroed = run->zeroed;		/* run is descs[0], cleared below */
	malloc_run_unbind(run);
	malloc_runs--;
	for (size_t i = 0; i < MALLOC_CHUNK_PAGES; i++) {
		struct malloc_page *d = descs[i];

		memset(d, 0, sizeof(*d));
		d->base = base + i * MALLOC_PAGE_SIZE;
		d->kind = MALLOC_PAGE_FREE;
		d->zeroed = zeroed;		/* 1: never handed out, not resident */
		(void)malloc_dir_set(d->base, d);	/* in a region: can not fail */
		d->next = malloc_pool;
		malloc_pool = d;
		malloc_pool_pages++;
	}
	malloc_chunks++;
	return 0;
}

/*
 * Grow run d in place to npages pages (<= MALLOC_RUN_MAX_PAGES) with the
 * free run just after it.  Returns 0, or -ENOMEM if those pages are not
 * free (d is unchanged then).
 */
static int malloc_run_grow(struct malloc_page *d, size_t npages)
{
	struct malloc_page *r = malloc_run_free_at(malloc_run_end(d));
	size_t need = npages - d->npages;

	if (r == NULL || r->npages < need)
		return -ENOMEM;
	malloc_run_remove(r);
	malloc_run_unbind(r);
	malloc_run_unbind(d);
	if (r->npages == need) {
		malloc_desc_free(r);
	} else {
		r->base += need * MALLOC_PAGE_SIZE;
		r->npages -= need;
		r->dirty = r->dirty < r->npages ? r->dirty : r->npages;
		malloc_run_insert(r);
	}
	malloc_run_pages += need;
	d->npages = npages;
	malloc_run_bind(d);
	return 0;
}

/*
 * Shrink run d in place to npages pages (>= 1): its tail becomes a free
 * run (merged with what follows).  Without a descriptor for the tail d
 * keeps its pages, which is still a valid result.
 */
static void malloc_run_shrink(struct malloc_page *d, size_t npages)
{
	struct malloc_page *tail;

	if (npages >= d->npages || (tail = malloc_desc_alloc()) == NULL)
		return;
	malloc_run_unbind(d);
	tail->base = d->base + npages * MALLOC_PAGE_SIZE;
	tail->npages = d->npages - npages;
	tail->kind = MALLOC_PAGE_RUN;
	d->npages = npages;
	malloc_run_bind(d);
	malloc_run_bind(tail);
	malloc_runs++;		/* released at once */
	malloc_run_release(tail);
}

/* ---------------------------------------------------------------- large blocks */

/*
 * Map a block of `bytes` of its own, aligned to `align` (a power of two;
 * page alignment is free, larger alignments trim an over-sized mapping).
 */
static void *malloc_map_block(size_t bytes, size_t align)
{
	size_t len = malloc_page_round(bytes);
	struct malloc_page *d = malloc_desc_alloc();
	uintptr_t base;

	if (d == NULL)
		return NULL;
	base = malloc_map_aligned(len, align > MALLOC_PAGE_SIZE ? align : MALLOC_PAGE_SIZE);
	if (base == 0) {
		malloc_desc_free(d);
		return NULL;
	}
	d->base = base;
	d->kind = MALLOC_PAGE_LARGE;
	d->zeroed = 1;
	d->npages = len / MALLOC_PAGE_SIZE;
	if (malloc_dir_set(base, d) < 0) {
		munmap((void *)base, len);
		malloc_desc_free(d);
		return NULL;
	}
	malloc_dir_clear(base + MALLOC_PAGE_SIZE, d->npages - 1);
	malloc_large_blocks++;
	malloc_large_pages += d->npages;
	return (void *)base;
}

static void malloc_large_free(struct malloc_page *d)
{
	/* The tombstone lets a second free say "double free". */
	(void)malloc_dir_set(d->base, &malloc_tombstone);
	munmap((void *)d->base, d->npages * MALLOC_PAGE_SIZE);
	malloc_large_blocks--;
	malloc_large_pages -= d->npages;
	malloc_desc_free(d);
}

/*
 * A block above 2 KiB: a page run if it is small enough and needs no more
 * than page alignment, else a mapping of its own.  NULL when out of memory.
 */
static void *malloc_large_alloc(size_t bytes, size_t align)
{
	size_t npages = malloc_page_round(bytes) / MALLOC_PAGE_SIZE;

	if (npages <= MALLOC_RUN_MAX_PAGES && align <= MALLOC_PAGE_SIZE)
		return malloc_run_alloc(npages);
	return malloc_map_block(bytes, align);
}

/* ---------------------------------------------------------------- entry points */

/* Bucket sizes, and the table from a size in 16-byte steps to its bucket. */
static void malloc_init_buckets(void)
{
	int i = 0;

	for (int b = 0; b < MALLOC_NBUCKETS; b++)
		malloc_buckets[b].size = malloc_bucket_sizes[b];
	for (size_t step = 0; step < MALLOC_SIZE_STEPS; step++) {
		while (malloc_buckets[i].size < step * MALLOC_MIN_BLOCK)
			i++;
		malloc_core.size_bucket[step] = (uint8_t)i;
	}
}

/* Allocate bytes aligned to align (power of two, at least 16). */
static void *malloc_aligned(size_t bytes, size_t align)
{
	void *p;

	if (malloc_buckets[0].size == 0)
		malloc_init_buckets();
	if (bytes > MALLOC_MAX_REQUEST) {
		errno = ENOMEM;
		return NULL;
	}
	if (bytes < align)
		bytes = align;
	/* A power-of-two bucket aligns its blocks to their size; 48, 80, ...
	 * only to 16. */
	if (align > MALLOC_MIN_BLOCK && bytes <= MALLOC_MAX_BLOCK)
		bytes = malloc_pow2_round(bytes);
	if (bytes > MALLOC_MEDIUM_MIN && bytes <= MALLOC_MEDIUM_MAX &&
	    align <= MALLOC_MIN_BLOCK)
		p = malloc_medium_alloc(bytes);
	else if (bytes <= MALLOC_MAX_BLOCK)
		p = malloc_small_alloc(malloc_bucket_index(bytes));
	else
		p = malloc_large_alloc(bytes, align);
	if (p == NULL)
		errno = ENOMEM;
	return p;
}

/* The live descriptor of block p, dying on anything but a block start. */
static inline struct malloc_page *malloc_owner(void *p)
{
	struct malloc_page *d = malloc_dir_lookup((uintptr_t)p);

	if (d == NULL)
		malloc_die("invalid free", p);
	if (d->kind == MALLOC_PAGE_FREED || d->kind == MALLOC_PAGE_FREE ||
	    d->kind == MALLOC_PAGE_RUN_FREE)
		malloc_die("double free", p);
	if (d->kind == MALLOC_PAGE_FENCE || (d->kind != MALLOC_PAGE_SMALL &&
					     d->kind != MALLOC_PAGE_MEDIUM &&
					     d->base != (uintptr_t)p))
		malloc_die("invalid free", p);
	return d;
}

/*
 * Grow the large block of d (at p) to `bytes` (more than
 * MALLOC_RUN_MAX_PAGES pages, as d already is): map the full new size,
 * move the old pages into its start (mremap, no copy; the descriptor of
 * the new block describes them, the old one is dropped), or copy if the
 * kernel can not move them.  NULL with errno ENOMEM if the new size can
 * not be mapped: the old block is untouched then.
 */
static void *malloc_large_grow(struct malloc_page *d, void *p, size_t bytes)
{
	size_t len = d->npages * MALLOC_PAGE_SIZE;
	void *n = bytes > MALLOC_MAX_REQUEST ? NULL :
		  malloc_map_block(bytes, MALLOC_PAGE_SIZE);

	if (n == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, n) != n) {
		memcpy(n, p, len);
		malloc_large_free(d);
		return n;
	}
	/* p's pages are gone: only the bookkeeping of the old block stays. */
	(void)malloc_dir_set(d->base, &malloc_tombstone);
	malloc_large_blocks--;
	malloc_large_pages -= d->npages;
	malloc_desc_free(d);
	return n;
}

/*
 * Shrink the large block of d to `bytes` (still a large block) by
 * unmapping its tail pages in place.  If the kernel refuses, the block
 * keeps its pages, which is still a valid result.
 */
static void malloc_large_shrink(struct malloc_page *d, size_t bytes)
{
	size_t len = d->npages * MALLOC_PAGE_SIZE, keep = malloc_page_round(bytes);

	if (keep >= len || mremap((void *)d->base, len, keep, 0) == MAP_FAILED)
		return;
	malloc_large_pages -= d->npages - keep / MALLOC_PAGE_SIZE;
	d->npages = keep / MALLOC_PAGE_SIZE;
}

/*
 * malloc(bytes): a block of at most MALLOC_MEDIUM_MIN bytes goes straight
 * to its bucket (malloc_small_alloc), so the common case pays nothing for
 * the medium, alignment and large-block paths of malloc_aligned.  NULL
 * with errno ENOMEM when out of memory.
 */
void *pg_malloc(size_t bytes)
{
	void *p;

	if (bytes > MALLOC_MEDIUM_MIN || malloc_buckets[0].size == 0)
		return malloc_aligned(bytes, MALLOC_MIN_BLOCK);
	p = malloc_small_alloc(malloc_bucket_index(bytes));
	if (p == NULL)
		errno = ENOMEM;
	return p;
}

/* free(p): give back the block at p (NULL: nothing).  Single-threaded, no
 * lock.  Anything but a live block's start kills the process (malloc_die). */
void pg_free(void *p)
{
	struct malloc_page *d;

	if (p == NULL)
		return;
	d = malloc_owner(p);
	if (d->kind == MALLOC_PAGE_SMALL)
		malloc_small_free(d, p);
	else if (d->kind == MALLOC_PAGE_MEDIUM)
		malloc_medium_free(d, p);
	else if (d->kind == MALLOC_PAGE_RUN)
		malloc_run_release(d);
	else
		malloc_large_free(d);
}

/* Usable bytes of the live block p (its bucket size, its granules or its
 * pages); dies as free does on anything but a live block. */
size_t pg_malloc_usable_size(void *p)
{
	struct malloc_page *d;

	if (p == NULL)
		return 0;
	d = malloc_owner(p);
	if (d->kind == MALLOC_PAGE_SMALL)
		return malloc_buckets[d->bucket].size;
	if (d->kind == MALLOC_PAGE_MEDIUM)
		return malloc_medium_len(d, malloc_medium_granule(d, p)) * MALLOC_GRANULE;
	return d->npages * MALLOC_PAGE_SIZE;
}

/* calloc(n, size): n * size bytes, zeroed.  NULL with errno ENOMEM when
 * the product overflows or memory runs out. */
void *pg_calloc(size_t n, size_t size)
{
	size_t bytes;
	void *p;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	p = pg_malloc(bytes);
	/* Fresh mappings and purged runs read as zero already. */
	if (p && (bytes <= MALLOC_MAX_BLOCK || !malloc_dir_lookup((uintptr_t)p)->zeroed))
		memset(p, 0, bytes);
	return p;
}

/*
 * Resize p: stays in place while the new size fits the block and uses more
 * than half of it; otherwise moves.  A medium block grows in place, up to
 * MALLOC_MEDIUM_MAX, when the granules after it are free.  A page run grows in place when the
 * pages after it are free (malloc_run_grow) and shrinks in place while it
 * stays above 2 KiB.  A large block grows by moving its pages
 * (malloc_large_grow) and shrinks, while still large, by unmapping its
 * tail.  realloc(p, 0) frees p and returns NULL.
 */
void *pg_realloc(void *p, size_t bytes)
{
	struct malloc_page *d;
	size_t have;
	void *n;

	if (p == NULL)
		return pg_malloc(bytes);
	if (bytes == 0) {
		pg_free(p);
		return NULL;
	}
	have = pg_malloc_usable_size(p);
	if (bytes <= have && (bytes > have / 2 || have == MALLOC_MIN_BLOCK))
		return p;
	d = malloc_owner(p);
	if (d->kind == MALLOC_PAGE_MEDIUM && bytes > have && bytes <= MALLOC_MEDIUM_MAX &&
	    malloc_medium_grow(d, p, bytes) == 0)
		return p;
	if (d->kind == MALLOC_PAGE_RUN && bytes > MALLOC_MAX_BLOCK &&
	    bytes <= MALLOC_RUN_MAX_PAGES * MALLOC_PAGE_SIZE) {
		size_t npages = malloc_page_round(bytes) / MALLOC_PAGE_SIZE;

		if (npages <= d->npages) {
			malloc_run_shrink(d, npages);
			return p;
		}
		if (malloc_run_grow(d, npages) == 0)
			return p;
	}
	if (d->kind == MALLOC_PAGE_LARGE && bytes > have)
		return malloc_large_grow(d, p, bytes);
	if (d->kind == MALLOC_PAGE_LARGE && bytes > MALLOC_MAX_BLOCK) {
		malloc_large_shrink(d, bytes);
		return p;
	}
	n = pg_malloc(bytes);
	if (n == NULL)
		return NULL;
	memcpy(n, p, bytes < have ? bytes : have);
	pg_free(p);
	return n;
}

/* memalign(align, bytes): bytes at a multiple of align (bytes, a power of
 * two).  NULL with errno EINVAL for another align, ENOMEM without memory. */
void *pg_memalign(size_t align, size_t bytes)
{
	if (!malloc_is_pow2(align)) {
		errno = EINVAL;
		return NULL;
	}
	return malloc_aligned(bytes, align < MALLOC_MIN_BLOCK ? MALLOC_MIN_BLOCK : align);
}

/* posix_memalign: as memalign, the block in *out; returns 0, EINVAL (align
 * not a power of two times sizeof(void *)) or ENOMEM. */
int pg_posix_memalign(void **out, size_t align, size_t bytes)
{
	void *p;

	if (!malloc_is_pow2(align) || align % sizeof(void *))
		return EINVAL;
	p = pg_memalign(align, bytes);
	if (p == NULL)
		return ENOMEM;
	*out = p;
	return 0;
}

/* aligned_alloc(align, bytes): memalign's contract. */
void *pg_aligned_alloc(size_t align, size_t bytes)
{
	return pg_memalign(align, bytes);
}

/* valloc(bytes): bytes at a page boundary; NULL with errno ENOMEM. */
void *pg_valloc(size_t bytes)
{
	return pg_memalign(MALLOC_PAGE_SIZE, bytes);
}

/* pvalloc(bytes): bytes rounded up to whole pages, at a page boundary;
 * NULL with errno ENOMEM. */
void *pg_pvalloc(size_t bytes)
{
	return pg_memalign(MALLOC_PAGE_SIZE, malloc_page_round(bytes));
}

/* ---------------------------------------------------------------- statistics and checks */

static void malloc_print(const char *s, int len)
{
	if (len > 0)
		(void)!write(STDERR_FILENO, s, (size_t)len);
}

/* Print per-bucket use, medium pages, large blocks and the pool on stderr. */
void pg_malloc_stats(void)
{
	char line[128];
	int n;

	if (malloc_buckets[0].size == 0)
		malloc_init_buckets();
	n = snprintf(line, sizeof(line), "bucket   size  pages   used   free\n");
	malloc_print(line, n);
	for (int i = 0; i < MALLOC_NBUCKETS; i++) {
		struct malloc_bucket *b = &malloc_buckets[i];
		size_t total = b->pages * malloc_capacity(b);

		n = snprintf(line, sizeof(line), "%6d %6zu %6zu %6zu %6zu\n", i,
			     b->size, b->pages, b->blocks_used, total - b->blocks_used);
		malloc_print(line, n);
	}
	n = snprintf(line, sizeof(line), "medium pages %zu, %zu granules of %zu bytes used\n",
		     malloc_medium_pages, malloc_medium_used, MALLOC_GRANULE);
	malloc_print(line, n);
	n = snprintf(line, sizeof(line),
		     "large blocks %zu (%zu pages); chunks %zu (%zu KiB); pool pages %zu\n",
		     malloc_large_blocks, malloc_large_pages, malloc_chunks,
		     malloc_chunks * MALLOC_CHUNK_PAGES * MALLOC_PAGE_SIZE / 1024,
		     malloc_pool_pages);
	malloc_print(line, n);
	n = snprintf(line, sizeof(line),
		     "runs %zu (%zu pages with the chunks); regions %zu; free run pages %zu "
		     "(%zu maybe resident); purges %zu\n",
		     malloc_runs, malloc_run_pages, malloc_regions,
		     malloc_regions * MALLOC_REGION_RUN_PAGES - malloc_run_pages,
		     malloc_dirty_pages, malloc_purges);
	malloc_print(line, n);
}

/* Fill *info with the page-run and large-block counters (pages). */
void pg_malloc_info(struct pg_malloc_info *info)
{
	info->regions = malloc_regions;
	info->runs = malloc_runs;
	info->run_pages = malloc_run_pages;
	info->free_run_pages = malloc_regions * MALLOC_REGION_RUN_PAGES - malloc_run_pages;
	info->dirty_pages = malloc_dirty_pages;
	info->purges = malloc_purges;
	info->large_blocks = malloc_large_blocks;
	info->large_pages = malloc_large_pages;
}

/* Check one SMALL page on a partial list; returns its used-block count or -1. */
static long malloc_check_page(const struct malloc_bucket *b, const struct malloc_page *d)
{
	size_t used = 0;

	if (d->kind != MALLOC_PAGE_SMALL || &malloc_buckets[d->bucket] != b)
		return -1;
	if (malloc_dir_lookup(d->base) != d)
		return -1;
	for (size_t w = 0; w < MALLOC_BITMAP_WORDS; w++)
		used += (size_t)__builtin_popcountll(d->used[w]);
	if (d->nfree == 0 || d->nfree != malloc_capacity(b) - used)
		return -1;
	return (long)used;
}

/* Check the listed MEDIUM pages: bitmaps, counts and lists; 0 or -1. */
static int malloc_check_medium(void)
{
	size_t listed = 0;

	for (int c = 0; c < MALLOC_MEDIUM_CLASSES; c++)
		for (const struct malloc_page *d = malloc_core.medium_lists[c]; d; d = d->next) {
			const uint64_t *heads = malloc_medium_heads(d);
			size_t used = 0, longest;

			if (d->kind != MALLOC_PAGE_MEDIUM || malloc_dir_lookup(d->base) != d ||
			    (d->next && d->next->prev != d) ||
			    (d->prev == NULL && malloc_core.medium_lists[c] != d))
				return -1;
			for (size_t w = 0; w < MALLOC_BITMAP_WORDS; w++) {
				used += (size_t)__builtin_popcountll(d->used[w]);
				if (heads[w] & ~d->used[w])
					return -1;
			}
			(void)malloc_medium_fit(d, 0, &longest);
			if (longest != d->longest || malloc_medium_class(longest) != c ||
			    d->nfree != MALLOC_MEDIUM_GRANULES - used)
				return -1;
			listed++;
		}
	return listed <= malloc_medium_pages ? 0 : -1;
}

/* Check one free run on list c; returns 0 or -1. */
static int malloc_check_free_run(int c, const struct malloc_page *d)
{
	if (d->kind != MALLOC_PAGE_RUN_FREE || malloc_run_class(d->npages) != c ||
	    d->npages == 0 || d->npages > MALLOC_REGION_RUN_PAGES || d->dirty > d->npages)
		return -1;
	if ((d->next && d->next->prev != d) || (d->prev == NULL && malloc_core.run_free[c] != d))
		return -1;
	if (malloc_dir_lookup(d->base) != d || malloc_dir_lookup(malloc_run_last(d)) != d)
		return -1;
	for (uintptr_t a = d->base + MALLOC_PAGE_SIZE; a < malloc_run_last(d); a += MALLOC_PAGE_SIZE)
		if (malloc_dir_lookup(a) != NULL)
			return -1;
	/* Fully merged: no free run just before or just after. */
	if (malloc_run_free_at(malloc_run_end(d)) || malloc_run_free_before(d->base))
		return -1;
	return 0;
}

/* Check the free runs: each valid, dirty and page counts adding up. */
static int malloc_check_runs(void)
{
	size_t free_pages = 0, dirty = 0;

	for (int c = 0; c < MALLOC_RUN_CLASSES; c++)
		for (const struct malloc_page *d = malloc_core.run_free[c]; d; d = d->next) {
			if (malloc_check_free_run(c, d) < 0)
				return -1;
			free_pages += d->npages;
			dirty += d->dirty;
		}
	if (dirty != malloc_dirty_pages || dirty > MALLOC_DIRTY_HIGH)
		return -1;
	return free_pages + malloc_run_pages == malloc_regions * MALLOC_REGION_RUN_PAGES ? 0 : -1;
}

/*
 * Verify the allocator's invariants: every partial page is a SMALL page of
 * its bucket, registered in the directory, with nfree matching its bitmap;
 * bucket counters are consistent; listed MEDIUM pages have their
 * heads within their used granules, and nfree and longest match the
 * bitmap; pool pages are FREE; free runs are
 * registered at both ends, on their class list, merged with their
 * neighbours, and their pages and dirty counts add up.  Returns 0 or -1.
 */
int pg_malloc_check(void)
{
	size_t pooled = 0;

	if (malloc_check_runs() < 0 || malloc_check_medium() < 0)
		return -1;

	for (int i = 0; i < MALLOC_NBUCKETS; i++) {
		const struct malloc_bucket *b = &malloc_buckets[i];
		size_t partial = 0, partial_used = 0;

		for (const struct malloc_page *d = b->partial; d; d = d->next) {
			long used = malloc_check_page(b, d);
			if (used < 0 || (d->next && d->next->prev != d))
				return -1;
			partial++;
			partial_used += (size_t)used;
		}
		/* Full pages hold capacity blocks each. */
		if (partial > b->pages || b->blocks_used !=
		    partial_used + (b->pages - partial) * malloc_capacity(b))
			return -1;
	}
	for (const struct malloc_page *d = malloc_pool; d; d = d->next) {
		if (d->kind != MALLOC_PAGE_FREE || malloc_dir_lookup(d->base) != d)
			return -1;
		pooled++;
	}
	return pooled == malloc_pool_pages ? 0 : -1;
}

/* ---------------------------------------------------------------- public names */

#ifndef MALLOC_HOST_TEST
void *malloc(size_t bytes) { return pg_malloc(bytes); }
void free(void *p) { pg_free(p); }
void *calloc(size_t n, size_t size) { return pg_calloc(n, size); }
void *realloc(void *p, size_t bytes) { return pg_realloc(p, bytes); }
void *memalign(size_t align, size_t bytes) { return pg_memalign(align, bytes); }
int posix_memalign(void **out, size_t align, size_t bytes)
{
	return pg_posix_memalign(out, align, bytes);
}
void *aligned_alloc(size_t align, size_t bytes) { return pg_aligned_alloc(align, bytes); }
void *valloc(size_t bytes) { return pg_valloc(bytes); }
void *pvalloc(size_t bytes) { return pg_pvalloc(bytes); }
size_t malloc_usable_size(void *p) { return pg_malloc_usable_size(p); }
void malloc_stats(void) { pg_malloc_stats(); }
#endif
