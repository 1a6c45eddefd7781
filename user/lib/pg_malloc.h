/*
 * Pagoda malloc's own names.  libpagoda exports them as malloc, free, ...;
 * the host unit test (tests/host/test_malloc.c) calls these directly so the
 * host C library keeps its own malloc.
 */
#ifndef _PAGODA_LIB_PG_MALLOC_H
#define _PAGODA_LIB_PG_MALLOC_H

#include <stddef.h>

void *pg_malloc(size_t bytes);
void pg_free(void *p);
void *pg_calloc(size_t n, size_t size);
void *pg_realloc(void *p, size_t bytes);
void *pg_memalign(size_t align, size_t bytes);
int pg_posix_memalign(void **out, size_t align, size_t bytes);
void *pg_aligned_alloc(size_t align, size_t bytes);
void *pg_valloc(size_t bytes);
void *pg_pvalloc(size_t bytes);
size_t pg_malloc_usable_size(void *p);
void pg_malloc_stats(void);
int pg_malloc_check(void);

/* Page runs and large blocks, for tests and benchmarks (pages). */
struct pg_malloc_info {
	size_t regions;		/* 1 MiB regions mapped */
	size_t runs;		/* page runs in use */
	size_t run_pages;	/* pages in runs in use, bucket chunks included */
	size_t free_run_pages;	/* pages in free runs */
	size_t dirty_pages;	/* free run pages that may be resident */
	size_t purges;		/* times the free runs were purged */
	size_t large_blocks;	/* blocks with a mapping of their own */
	size_t large_pages;	/* their pages */
};

void pg_malloc_info(struct pg_malloc_info *info);

#endif
