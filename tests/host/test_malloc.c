/*
 * Host unit test of Pagoda's user malloc (user/lib/malloc.c built with
 * -DMALLOC_HOST_TEST over the host's mmap/munmap): random traces against a
 * shadow model that checks every live block's contents, alignment and
 * non-overlap, medium blocks, page runs, plus double and invalid frees
 * caught in forked children.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pg_malloc.h"
#include "tap.h"

#define SLOTS        512
#define TRACE_OPS    40000
#define CHECK_EVERY  1000
#define MAX_SMALL    2048
#define MAX_LARGE    (64 * 1024)
#define MIN_ALIGN    16
#define PAGE         4096

struct shadow {
	unsigned char *p;	/* block, or NULL */
	size_t size;		/* requested bytes */
	unsigned char seed;	/* byte pattern: seed + offset */
};

static struct shadow live[SLOTS];
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static size_t random_size(void)
{
	switch (rng() % 8) {
	case 0: return 0;
	case 1: return rng() % MAX_LARGE;
	case 2: case 3: return rng() % MAX_SMALL + 1;
	default: return rng() % 128 + 1;
	}
}

static void fill(struct shadow *s)
{
	for (size_t i = 0; i < s->size; i++)
		s->p[i] = (unsigned char)(s->seed + i);
}

static int intact(const struct shadow *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s->p[i] != (unsigned char)(s->seed + i))
			return 0;
	return 1;
}

/* Does [p, p+size) overlap another live block? (size 0 counts as 1) */
static int overlaps(int self, const unsigned char *p, size_t size)
{
	size_t a = size ? size : 1;

	for (int i = 0; i < SLOTS; i++) {
		size_t b;
		if (i == self || live[i].p == NULL)
			continue;
		b = live[i].size ? live[i].size : 1;
		if (p < live[i].p + b && live[i].p < p + a)
			return 1;
	}
	return 0;
}

/* One random step; returns 0 if the model caught a fault. */
static int trace_step(int *why)
{
	int k = (int)(rng() % SLOTS);
	struct shadow *s = &live[k];
	unsigned op = (unsigned)(rng() % 4);

	if (s->p && !intact(s, s->size))
		return *why = 1, 0;
	if (s->p && op == 0) {			/* realloc */
		size_t n = random_size();
		size_t keep = n < s->size ? n : s->size;
		unsigned char *q = pg_realloc(s->p, n);
		if (n == 0) {
			s->p = NULL;
			return 1;
		}
		if (q == NULL)
			return *why = 2, 0;
		s->p = q;
		if (!intact(s, keep))
			return *why = 3, 0;
		s->size = n;
	} else if (s->p) {			/* free */
		pg_free(s->p);
		s->p = NULL;
		return 1;
	} else {				/* malloc, calloc or memalign */
		size_t n = random_size();
		size_t align = (size_t)1 << (rng() % 14);
		if (op == 1) {
			s->p = pg_calloc(1, n);
			for (size_t i = 0; s->p && i < n; i++)
				if (s->p[i])
					return *why = 4, 0;
		} else if (op == 2) {
			s->p = pg_memalign(align, n);
			if (s->p && (uintptr_t)s->p % align)
				return *why = 5, 0;
		} else {
			s->p = pg_malloc(n);
		}
		if (s->p == NULL)
			return *why = 6, 0;
		s->size = n;
		s->seed = (unsigned char)rng();
	}
	if ((uintptr_t)s->p % MIN_ALIGN)
		return *why = 7, 0;
	if (pg_malloc_usable_size(s->p) < s->size)
		return *why = 8, 0;
	if (overlaps(k, s->p, s->size))
		return *why = 9, 0;
	fill(s);
	return 1;
}

static void test_trace(void)
{
	int why = 0, ok = 1, checks_ok = 1;
	long step;

	for (step = 0; step < TRACE_OPS && ok; step++) {
		ok = trace_step(&why);
		if (step % CHECK_EVERY == 0 && pg_malloc_check() != 0)
			checks_ok = 0;
	}
	tap_ok(ok, "random trace of %d ops against the shadow model (stopped at %ld, reason %d)",
	       TRACE_OPS, step, why);
	tap_ok(checks_ok, "pg_malloc_check holds during the trace");
	for (int i = 0; i < SLOTS; i++) {
		if (live[i].p && !intact(&live[i], live[i].size))
			ok = 0;
		pg_free(live[i].p);
		live[i].p = NULL;
	}
	tap_ok(ok, "every live block intact at the end");
	tap_ok(pg_malloc_check() == 0, "pg_malloc_check holds after freeing everything");
}

static void test_basics(void)
{
	int ok = 1;
	void *p;
	size_t big;

	for (size_t n = 0; n <= 3 * PAGE; n += 7) {
		unsigned char *q = pg_malloc(n);
		if (q == NULL || (uintptr_t)q % MIN_ALIGN || pg_malloc_usable_size(q) < n)
			ok = 0;
		if (q)
			memset(q, 0xa5, n);
		pg_free(q);
	}
	tap_ok(ok, "malloc of every size up to 3 pages is aligned and usable");

	p = pg_malloc(0);
	tap_ok(p != NULL, "malloc(0) returns a unique pointer");
	pg_free(p);

	errno = 0;
	big = SIZE_MAX / 2 + 2;
	tap_ok(pg_calloc(big, 2) == NULL && errno == ENOMEM,
	       "calloc overflow returns NULL with ENOMEM");
	tap_ok(pg_malloc(SIZE_MAX - 10) == NULL, "absurd malloc fails cleanly");

	for (size_t a = 16; a <= 64 * 1024; a <<= 1) {
		void *q = pg_memalign(a, 100);
		if (q == NULL || (uintptr_t)q % a)
			ok = 0;
		pg_free(q);
	}
	tap_ok(ok, "memalign alignments 16 B to 64 KiB");
	tap_ok(pg_posix_memalign(&p, 3, 10) == EINVAL, "posix_memalign rejects a bad alignment");
	tap_ok(pg_posix_memalign(&p, 8192, 10) == 0 && (uintptr_t)p % 8192 == 0,
	       "posix_memalign 8 KiB");
	pg_free(p);
	p = pg_realloc(NULL, 40);
	tap_ok(p != NULL, "realloc(NULL, n) allocates");
	tap_ok(pg_realloc(p, 0) == NULL, "realloc(p, 0) frees");
	tap_ok(pg_malloc_check() == 0, "pg_malloc_check after basics");
}

/* Medium blocks (129 to 512 bytes): 16-byte granules in shared pages,
 * best fit into holes, realloc in place. */
static void test_medium(void)
{
	unsigned char *a = pg_malloc(129), *b = pg_malloc(200), *c = pg_malloc(500), *d;

	tap_ok(pg_malloc_usable_size(a) == 144 && pg_malloc_usable_size(b) == 208 &&
	       pg_malloc_usable_size(c) == 512,
	       "medium blocks round to 16 bytes (%zu %zu %zu)", pg_malloc_usable_size(a),
	       pg_malloc_usable_size(b), pg_malloc_usable_size(c));
	tap_ok(b == a + 144 && c == b + 208, "medium blocks of three sizes share a page");
	pg_free(b);
	d = pg_malloc(150);
	tap_ok(d == b, "a freed medium block's hole takes a smaller block");
	memset(d, 0x3c, 150);
	tap_ok(pg_realloc(d, 200) == d && pg_malloc_usable_size(d) == 208 && d[149] == 0x3c,
	       "realloc grows a medium block in place into the free granules after it");
	b = pg_realloc(d, 300);
	tap_ok(b != d && b[149] == 0x3c,
	       "realloc moves a medium block whose next granules are taken");
	tap_ok(pg_malloc_check() == 0, "pg_malloc_check after medium blocks");
	pg_free(b);
	pg_free(a);
	pg_free(c);
	tap_ok(pg_malloc_check() == 0, "pg_malloc_check after freeing them");
}

/* Page runs: reuse, merging, realloc in place, zeroing, the purge. */
static void test_runs(void)
{
	struct pg_malloc_info before, after;
	unsigned char *a, *b, *c, *p, *q;
	size_t i;
	int zero = 1;

	pg_malloc_info(&before);
	a = pg_malloc(3 * PAGE);
	b = pg_malloc(2 * PAGE);
	pg_malloc_info(&after);
	tap_ok(b == a + 3 * PAGE && after.runs == before.runs + 2 &&
	       after.large_blocks == before.large_blocks,
	       "blocks above 2 KiB are page runs cut one after the other");
	memset(b, 0x5a, 2 * PAGE);
	p = pg_realloc(a, 3 * PAGE + 1);
	tap_ok(p != a, "realloc moves a run whose next pages are taken");
	pg_free(b);
	q = pg_malloc(4 * PAGE);
	tap_ok(q == a, "freed runs merge: 3 + 2 pages serve a 4-page block");
	tap_ok(pg_malloc_check() == 0, "pg_malloc_check after merging");
	memset(q, 0x77, 4 * PAGE);
	pg_free(q);
	c = pg_calloc(1, 4 * PAGE);
	for (i = 0; c && i < 4 * PAGE; i++)
		zero &= c[i] == 0;
	tap_ok(c == a && zero, "calloc zeroes a reused (dirty) run");
	pg_free(c);
	pg_free(p);

	a = pg_malloc(3 * PAGE);
	memset(a, 0x11, 3 * PAGE);
	b = pg_realloc(a, 10 * PAGE);
	tap_ok(b == a && a[3 * PAGE - 1] == 0x11 && pg_malloc_usable_size(a) == 10 * PAGE,
	       "realloc grows a run in place into the free pages after it");
	b = pg_realloc(a, 5 * PAGE);
	c = pg_malloc(5 * PAGE);
	tap_ok(b == a && c == a + 5 * PAGE && pg_malloc_usable_size(a) == 5 * PAGE,
	       "realloc shrinks a run in place; its tail is free for the next block");
	pg_free(c);
	pg_free(a);
	tap_ok(pg_malloc_check() == 0, "pg_malloc_check after realloc in place");

	/* The purge: free pages beyond the high mark go back in a batch. */
	pg_malloc_info(&before);
	for (i = 0; i < 8; i++) {
		unsigned char *r = pg_malloc(16 * PAGE);

		memset(r, 1, 16 * PAGE);
		pg_free(r);
	}
	pg_malloc_info(&after);
	tap_ok(after.dirty_pages <= 16 * PAGE / PAGE + 16,
	       "free runs keep few maybe-resident pages (%zu)", after.dirty_pages);
	unsigned char *big[6];
	for (i = 0; i < 6; i++) {
		big[i] = pg_malloc(40 * PAGE);
		memset(big[i], 2, 40 * PAGE);
	}
	for (i = 0; i < 6; i++)
		pg_free(big[i]);
	pg_malloc_info(&after);
	tap_ok(after.purges > before.purges && after.dirty_pages < 6 * 40,
	       "freeing 240 dirty pages purges the pool (%zu purges, %zu maybe resident)",
	       after.purges - before.purges, after.dirty_pages);
	p = pg_calloc(1, 40 * PAGE);
	zero = 1;
	for (i = 0; p && i < 40 * PAGE; i++)
		zero &= p[i] == 0;
	tap_ok(zero, "a purged run reads as zero to calloc");
	pg_free(p);
	tap_ok(pg_malloc_check() == 0, "pg_malloc_check after the purge");
}

enum bad_free { DOUBLE_SMALL, DOUBLE_LARGE, INTERIOR_SMALL, INTERIOR_LARGE, FOREIGN, SLACK,
	DOUBLE_MEDIUM, INTERIOR_MEDIUM };

/* In a child: commit the bad free; the parent checks how the child died. */
static void child_bad_free(enum bad_free kind)
{
	unsigned char *p = pg_malloc(kind == DOUBLE_LARGE || kind == INTERIOR_LARGE ? 3 * PAGE :
				     kind == DOUBLE_MEDIUM || kind == INTERIOR_MEDIUM ? 300 : 48);
	int on_stack;

	switch (kind) {
	case DOUBLE_SMALL:
	case DOUBLE_LARGE:
	case DOUBLE_MEDIUM:
		pg_free(p);
		pg_free(p);
		break;
	case INTERIOR_SMALL:
		pg_free(p + 8);
		break;
	case INTERIOR_LARGE:
		pg_free(p + PAGE);
		break;
	case INTERIOR_MEDIUM:
		pg_free(p + 16);	/* a granule start, not a block start */
		break;
	case FOREIGN:
		pg_free(&on_stack);
		break;
	case SLACK:
		/* 85 blocks of 48 bytes fill 4080 bytes; the last 16 are slack. */
		pg_free((void *)(((uintptr_t)p & ~(uintptr_t)(PAGE - 1)) + 85 * 48));
		break;
	}
	_exit(0);	/* not reached if malloc caught it */
}

static void test_bad_free(enum bad_free kind, const char *expect, const char *what)
{
	int fds[2], status = 0;
	char buf[256];
	ssize_t n = 0, r;
	pid_t pid;

	if (pipe(fds) < 0) {
		tap_ok(0, "%s: pipe", what);
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		child_bad_free(kind);
	}
	close(fds[1]);
	while (n < (ssize_t)sizeof(buf) - 1 &&
	       (r = read(fds[0], buf + n, sizeof(buf) - 1 - (size_t)n)) > 0)
		n += r;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	tap_ok(((WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT) ||
		(WIFEXITED(status) && WEXITSTATUS(status) == 134)) &&
	       strstr(buf, expect) != NULL,
	       "%s is caught (status 0x%x, message \"%.60s\")", what, status, buf);
}

int main(void)
{
	test_basics();
	test_medium();
	test_trace();
	test_runs();
	test_bad_free(DOUBLE_SMALL, "malloc: double free of 0x", "double free of a small block");
	test_bad_free(DOUBLE_LARGE, "malloc: double free of 0x", "double free of a large block");
	test_bad_free(INTERIOR_SMALL, "malloc: invalid free of 0x", "free of a small block's interior");
	test_bad_free(INTERIOR_LARGE, "malloc: invalid free of 0x", "free inside a large block");
	test_bad_free(FOREIGN, "malloc: invalid free of 0x", "free of a stack address");
	test_bad_free(SLACK, "malloc: invalid free of 0x", "free of the slack after a page's last block");
	test_bad_free(DOUBLE_MEDIUM, "malloc: double free of 0x", "double free of a medium block");
	test_bad_free(INTERIOR_MEDIUM, "malloc: invalid free of 0x", "free of a medium block's interior");
	return tap_done();
}
