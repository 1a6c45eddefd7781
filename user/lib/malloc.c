/*
 * Pagoda's malloc (ARCHITECTURE.md layer 15).  Small requests are served
 * from power-of-two buckets (16 bytes to 2 KiB); each bucket owns whole
 * pages carved from 64 KiB chunks mapped with mmap.  A page directory (a
 * three-level radix tree keyed by page number) maps every page to its
 * descriptor, so free() finds a block's bucket from its address alone and
 * blocks carry no header.  Requests above 2 KiB get pages of their own,
 * mapped on malloc and unmapped on free.  A double or invalid free prints
 * one line on stderr and kills the process (SIGABRT, else exit 134).
 * A large block grows by mapping the whole new size first (so the kernel's
 * commit policy judges one request of the full size and may refuse it),
 * then moving the old pages into its start with mremap, which copies
 * nothing: a block of half of RAM can double without being resident
 * twice.  Single-threaded; calls only mmap, munmap, mremap, write,
 * getpid, kill, _exit.
 *
 * Built two ways: for Pagoda (public malloc/free/... wrappers at the end)
 * and for the host unit test with -DMALLOC_HOST_TEST (only the pg_* names,
 * so the host libc's malloc stays in charge of the test itself).
 */
#define _GNU_SOURCE		/* the host's mremap and MREMAP_* */
#include <errno.h>
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
#define MALLOC_NBUCKETS     (MALLOC_MAX_SHIFT - MALLOC_MIN_SHIFT + 1)
#define MALLOC_MIN_BLOCK    ((size_t)1 << MALLOC_MIN_SHIFT)
#define MALLOC_MAX_BLOCK    ((size_t)1 << MALLOC_MAX_SHIFT)
#define MALLOC_CHUNK_PAGES  16		/* 64 KiB per chunk */
#define MALLOC_MAX_BLOCKS   (MALLOC_PAGE_SIZE / MALLOC_MIN_BLOCK)
#define MALLOC_WORD_BITS    64
#define MALLOC_BITMAP_WORDS (MALLOC_MAX_BLOCKS / MALLOC_WORD_BITS)
#define MALLOC_EXIT_ABORT   134		/* 128 + SIGABRT, as shells report it */

/* Page directory: 48-bit addresses, 36-bit page numbers, 12 bits a level. */
#define MALLOC_VA_BITS      48
#define MALLOC_DIR_BITS     12
#define MALLOC_DIR_ENTRIES  ((size_t)1 << MALLOC_DIR_BITS)
#define MALLOC_DIR_MASK     (MALLOC_DIR_ENTRIES - 1)
#define MALLOC_MAX_REQUEST  ((size_t)1 << (MALLOC_VA_BITS - 1))

_Static_assert(MALLOC_PAGE_SHIFT + 3 * MALLOC_DIR_BITS == MALLOC_VA_BITS,
	       "three directory levels cover the address space");
_Static_assert(MALLOC_MAX_BLOCKS % MALLOC_WORD_BITS == 0, "bitmap words");

enum malloc_kind {
	MALLOC_PAGE_FREE,	/* in the page pool, owned by no bucket */
	MALLOC_PAGE_SMALL,	/* split into blocks of one bucket */
	MALLOC_PAGE_LARGE,	/* first page of a large block */
	MALLOC_PAGE_FREED,	/* tombstone: a large block that was freed */
};

/*
 * Descriptor of one page (or of a large block's first page).
 * Invariants (malloc_check):
 *   SMALL: nfree == capacity - popcount(used), and the page is on its
 *          bucket's partial list iff nfree > 0;
 *   LARGE: npages * MALLOC_PAGE_SIZE bytes are mapped at base.
 */
struct malloc_page {
	uintptr_t base;			/* address of the page or block */
	uint8_t kind;			/* enum malloc_kind */
	uint8_t bucket;			/* SMALL: bucket index */
	uint16_t nfree;			/* SMALL: free blocks in the page */
	size_t npages;			/* LARGE: pages mapped */
	uint64_t used[MALLOC_BITMAP_WORDS]; /* SMALL: bit i = block i in use */
	struct malloc_page *next;	/* bucket partial list / pool / spare */
	struct malloc_page *prev;	/* bucket partial list */
};

struct malloc_bucket {
	size_t size;			/* block size, bytes */
	struct malloc_page *partial;	/* pages with at least one free block */
	size_t pages;			/* pages owned (partial and full) */
	size_t blocks_used;		/* blocks handed out */
};

static struct malloc_bucket malloc_buckets[MALLOC_NBUCKETS];
static struct malloc_page *malloc_pool;		/* FREE pages */
static struct malloc_page *malloc_spare_descs;	/* unused descriptors */
static struct malloc_page malloc_tombstone = { .kind = MALLOC_PAGE_FREED };
static void **malloc_dir_root[MALLOC_DIR_ENTRIES];
static size_t malloc_pool_pages;
static size_t malloc_chunks;
static size_t malloc_large_blocks;
static size_t malloc_large_pages;

/* ---------------------------------------------------------------- helpers */

/* Fresh zeroed pages from the kernel, or NULL. */
static void *malloc_map(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
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
	int i = 0;

	while (((size_t)MALLOC_MIN_BLOCK << i) < bytes)
		i++;
	return i;
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

/* The descriptor registered for the page holding addr, or NULL. */
static struct malloc_page *malloc_dir_lookup(uintptr_t addr)
{
	uintptr_t pn = addr >> MALLOC_PAGE_SHIFT;
	void **mid, **leaf;

	if (addr >> MALLOC_VA_BITS)
		return NULL;
	mid = malloc_dir_root[(pn >> (2 * MALLOC_DIR_BITS)) & MALLOC_DIR_MASK];
	if (mid == NULL)
		return NULL;
	leaf = mid[(pn >> MALLOC_DIR_BITS) & MALLOC_DIR_MASK];
	if (leaf == NULL)
		return NULL;
	return leaf[pn & MALLOC_DIR_MASK];
}

/*
 * Register desc (or NULL) for the page holding addr, allocating directory
 * nodes as needed.  Returns 0, or -ENOMEM.
 */
static int malloc_dir_set(uintptr_t addr, struct malloc_page *desc)
{
	uintptr_t pn = addr >> MALLOC_PAGE_SHIFT;
	void ***midp, **mid, **leaf;
	size_t node_bytes = MALLOC_DIR_ENTRIES * sizeof(void *);

	if (addr >> MALLOC_VA_BITS)
		return -ENOMEM;
	midp = &malloc_dir_root[(pn >> (2 * MALLOC_DIR_BITS)) & MALLOC_DIR_MASK];
	if (*midp == NULL && (*midp = malloc_map(node_bytes)) == NULL)
		return -ENOMEM;
	mid = *midp;
	leaf = mid[(pn >> MALLOC_DIR_BITS) & MALLOC_DIR_MASK];
	if (leaf == NULL) {
		leaf = malloc_map(node_bytes);
		if (leaf == NULL)
			return -ENOMEM;
		mid[(pn >> MALLOC_DIR_BITS) & MALLOC_DIR_MASK] = leaf;
	}
	leaf[pn & MALLOC_DIR_MASK] = desc;
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

/* Map one chunk and put its pages, registered as FREE, in the pool. */
static int malloc_chunk_map(void)
{
	size_t bytes = MALLOC_CHUNK_PAGES * MALLOC_PAGE_SIZE;
	char *chunk = malloc_map(bytes);

	if (chunk == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < MALLOC_CHUNK_PAGES; i++) {
		struct malloc_page *d = malloc_desc_alloc();
		uintptr_t base = (uintptr_t)(chunk + i * MALLOC_PAGE_SIZE);

		if (d == NULL || malloc_dir_set(base, d) < 0) {
			/* Pages already pooled stay; give back the rest. */
			if (d)
				malloc_desc_free(d);
			munmap((void *)base, bytes - i * MALLOC_PAGE_SIZE);
			return i ? 0 : -ENOMEM;
		}
		d->base = base;
		d->kind = MALLOC_PAGE_FREE;
		d->next = malloc_pool;
		malloc_pool = d;
		malloc_pool_pages++;
	}
	malloc_chunks++;
	return 0;
}

/* Take a FREE page from the pool, mapping a new chunk if it is empty. */
static struct malloc_page *malloc_pool_get(void)
{
	struct malloc_page *d;

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
 * Returns 0, or -ENOMEM when the kernel gives no memory.
 */
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

	if (off % b->size)
		malloc_die("invalid free", p);
	if (!(d->used[i / MALLOC_WORD_BITS] & bit))
		malloc_die("double free", p);
	d->used[i / MALLOC_WORD_BITS] &= ~bit;
	b->blocks_used--;
	if (d->nfree++ == 0)
		malloc_partial_push(b, d);
	/* An empty page goes back to the pool unless it is the bucket's last. */
	if (d->nfree == malloc_capacity(b) && (d->next || d->prev)) {
		malloc_partial_remove(b, d);
		b->pages--;
		malloc_pool_put(d);
	}
	/* LAB malloc: end */
	/* LAB malloc: stub
	(void)d;
	(void)malloc_partial_remove;
	(void)malloc_pool_put;
	malloc_die("lab malloc: malloc_small_free not implemented", p);
	*/
}

/* ---------------------------------------------------------------- large blocks */

/*
 * Map a large block of `bytes` aligned to `align` (a power of two; page
 * alignment is free, larger alignments trim an over-sized mapping).
 */
static void *malloc_large_alloc(size_t bytes, size_t align)
{
	size_t len = malloc_page_round(bytes);
	size_t extra = align > MALLOC_PAGE_SIZE ? align - MALLOC_PAGE_SIZE : 0;
	struct malloc_page *d = malloc_desc_alloc();
	uintptr_t raw, base;

	if (d == NULL)
		return NULL;
	raw = (uintptr_t)malloc_map(len + extra);
	if (raw == 0) {
		malloc_desc_free(d);
		return NULL;
	}
	base = (raw + align - 1) & ~(uintptr_t)(align - 1);
	if (align <= MALLOC_PAGE_SIZE)
		base = raw;
	if (base > raw)
		munmap((void *)raw, base - raw);
	if (raw + len + extra > base + len)
		munmap((void *)(base + len), raw + len + extra - (base + len));
	d->base = base;
	d->kind = MALLOC_PAGE_LARGE;
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

/* ---------------------------------------------------------------- entry points */

static void malloc_init_buckets(void)
{
	for (int i = 0; i < MALLOC_NBUCKETS; i++)
		malloc_buckets[i].size = MALLOC_MIN_BLOCK << i;
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
	if (bytes <= MALLOC_MAX_BLOCK)
		p = malloc_small_alloc(malloc_bucket_index(bytes));
	else
		p = malloc_large_alloc(bytes, align);
	if (p == NULL)
		errno = ENOMEM;
	return p;
}

/* The live descriptor of block p, dying on anything but a block start. */
static struct malloc_page *malloc_owner(void *p)
{
	struct malloc_page *d = malloc_dir_lookup((uintptr_t)p);

	if (d == NULL)
		malloc_die("invalid free", p);
	if (d->kind == MALLOC_PAGE_FREED || d->kind == MALLOC_PAGE_FREE)
		malloc_die("double free", p);
	if (d->kind == MALLOC_PAGE_LARGE && d->base != (uintptr_t)p)
		malloc_die("invalid free", p);
	return d;
}

/*
 * Grow the large block of d (at p) to `bytes`: map the full new size,
 * move the old pages into its start (mremap, no copy; the descriptor of
 * the new block describes them, the old one is dropped), or copy if the
 * kernel can not move them.  NULL with errno ENOMEM if the new size can
 * not be mapped: the old block is untouched then.
 */
static void *malloc_large_grow(struct malloc_page *d, void *p, size_t bytes)
{
	size_t len = d->npages * MALLOC_PAGE_SIZE;
	void *n = malloc_aligned(bytes, MALLOC_PAGE_SIZE);

	if (n == NULL)
		return NULL;
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

void *pg_malloc(size_t bytes)
{
	return malloc_aligned(bytes, MALLOC_MIN_BLOCK);
}

void pg_free(void *p)
{
	struct malloc_page *d;

	if (p == NULL)
		return;
	d = malloc_owner(p);
	if (d->kind == MALLOC_PAGE_SMALL)
		malloc_small_free(d, p);
	else
		malloc_large_free(d);
}

/* Usable bytes of the live block p (its bucket size or its pages). */
size_t pg_malloc_usable_size(void *p)
{
	struct malloc_page *d;

	if (p == NULL)
		return 0;
	d = malloc_owner(p);
	if (d->kind == MALLOC_PAGE_SMALL)
		return malloc_buckets[d->bucket].size;
	return d->npages * MALLOC_PAGE_SIZE;
}

void *pg_calloc(size_t n, size_t size)
{
	size_t bytes;
	void *p;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	p = pg_malloc(bytes);
	if (p && bytes <= MALLOC_MAX_BLOCK)
		memset(p, 0, bytes);	/* large blocks come zeroed from mmap */
	return p;
}

/*
 * Resize p: stays in place while the new size fits the block and uses more
 * than half of it; otherwise moves.  A large block grows by moving its
 * pages (malloc_large_grow) and shrinks, while still large, by unmapping
 * its tail.  realloc(p, 0) frees p and returns NULL.
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

void *pg_memalign(size_t align, size_t bytes)
{
	if (!malloc_is_pow2(align)) {
		errno = EINVAL;
		return NULL;
	}
	return malloc_aligned(bytes, align < MALLOC_MIN_BLOCK ? MALLOC_MIN_BLOCK : align);
}

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

void *pg_aligned_alloc(size_t align, size_t bytes)
{
	return pg_memalign(align, bytes);
}

void *pg_valloc(size_t bytes)
{
	return pg_memalign(MALLOC_PAGE_SIZE, bytes);
}

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

/* Print per-bucket use, large blocks and the pool on stderr. */
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
	n = snprintf(line, sizeof(line),
		     "large blocks %zu (%zu pages); chunks %zu (%zu KiB); pool pages %zu\n",
		     malloc_large_blocks, malloc_large_pages, malloc_chunks,
		     malloc_chunks * MALLOC_CHUNK_PAGES * MALLOC_PAGE_SIZE / 1024,
		     malloc_pool_pages);
	malloc_print(line, n);
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

/*
 * Verify the allocator's invariants: every partial page is a SMALL page of
 * its bucket, registered in the directory, with nfree matching its bitmap;
 * bucket counters are consistent; pool pages are FREE.  Returns 0 or -1.
 */
int pg_malloc_check(void)
{
	size_t pooled = 0;

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
