/*
 * mallocbench: Pagoda's malloc against picolibc's on three traces, for
 * `make bench BENCHES=malloc` (tools/bench.py, docs/bench.md).
 *
 * Both allocators live in this one program: malloc, free, realloc are
 * Pagoda's (libpagoda, user/lib/malloc.c); pico_malloc, pico_free,
 * pico_realloc are picolibc's nano-malloc, its members copied out of
 * picolibc's libc.a with every symbol they define renamed by objcopy
 * (user/user.mk, "picolibc's malloc under other names").  picolibc's
 * grows the heap with sbrk, Pagoda's maps pages with mmap; the two never
 * share memory.
 *
 * Each run is a fresh exec of this program (peak RSS starts from nothing):
 *
 *   mallocbench                  every trace with each allocator, in turn
 *   mallocbench TRACE ALLOC [stats]   one run; TRACE small|strings|trees,
 *                                ALLOC pagoda|picolibc; stats: Pagoda's
 *                                malloc_stats() on stderr after the trace
 *
 * A run prints "BENCH name=malloc_TRACE_ALLOC ops=N instret=M
 * peak_kb=K start_kb=S": the instructions the trace took (rdinstret, user
 * and kernel, exact under QEMU -icount), and VmHWM (peak resident set, kB)
 * and VmRSS before the trace from /proc/self/status.
 */
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MB_SELF            "/tests/mallocbench"
#define MB_STATUS          "/proc/self/status"
#define MB_STATUS_BUF      2048
#define MB_TEXT_START      0x10000	/* user/user.ld */
#define MB_PAGE            4096

/* small: a window of live objects, each step replacing a random one. */
#define MB_SMALL_SLOTS     8192
#define MB_SMALL_STEPS     60000

/* strings: an interpreter building strings: a buffer grown by realloc
 * piece by piece, and every few pieces a fresh copy of it (a concat
 * result) that replaces the previous copy. */
#define MB_STR_ROUNDS      6
#define MB_STR_PIECES      400
#define MB_STR_COPY_EVERY  16
#define MB_STR_PIECE_MIN   16
#define MB_STR_PIECE_SPAN  112

/* trees: the benchmarks-game binary-trees shape. */
#define MB_TREE_MIN_DEPTH  4
#define MB_TREE_MAX_DEPTH  9

struct mb_alloc {
	const char *name;
	void *(*malloc)(size_t);
	void (*free)(void *);
	void *(*realloc)(void *, size_t);
};

/* picolibc's nano-malloc under its renamed symbols (user/user.mk). */
void *pico_malloc(size_t bytes);
void pico_free(void *p);
void *pico_realloc(void *p, size_t bytes);

static const struct mb_alloc mb_allocs[] = {
	{ "pagoda", malloc, free, realloc },
	{ "picolibc", pico_malloc, pico_free, pico_realloc },
};

struct mb_trace {
	const char *name;
	uint64_t (*run)(const struct mb_alloc *a);	/* returns ops, 0: failed */
};

static int mb_stats;		/* print malloc_stats() after the trace */
static uint64_t mb_rng_state;
static volatile uintptr_t mb_sink;	/* keeps results from being dropped */

static uint64_t mb_rng(void)
{
	mb_rng_state ^= mb_rng_state << 13;
	mb_rng_state ^= mb_rng_state >> 7;
	mb_rng_state ^= mb_rng_state << 17;
	return mb_rng_state;
}

/* Instructions retired so far; a compiler barrier too. */
static inline uint64_t mb_instret(void)
{
	uint64_t n;

	__asm__ volatile("rdinstret %0" : "=r"(n) : : "memory");
	return n;
}

/* Sleep to the next timer tick, so the ticks inside the timed trace fall
 * at the same places every run under -icount (as bench.c does). */
static void mb_align(void)
{
	struct timespec ts = { 0, 1 };

	nanosleep(&ts, NULL);
}

/*
 * Read every page of the program's text before the trace: on the first
 * exec those pages come from the disk, whose interrupts land at host-timed
 * moments, so a trace that paged its code in would not repeat to the
 * instruction.  Both allocators then start with the whole text resident,
 * and their peak RSS differs only by what their heaps touch.
 */
static void mb_prefault_text(void)
{
	extern const char _etext[];
	const volatile char *p = (const char *)MB_TEXT_START;
	unsigned sum = 0;

	for (; p < (const volatile char *)_etext; p += MB_PAGE)
		sum += *p;
	mb_sink = sum;
}

/* Field `name` of /proc/self/status in kB, or -1.  No allocation. */
static long mb_status_kb(const char *name)
{
	static char buf[MB_STATUS_BUF];
	size_t len = strlen(name);
	ssize_t n;
	int fd = open(MB_STATUS, O_RDONLY);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (char *line = buf; line; line = strchr(line, '\n')) {
		line += *line == '\n';
		if (strncmp(line, name, len) == 0 && line[len] == ':')
			return strtol(line + len + 1, NULL, 10);
	}
	return -1;
}

/* ------------------------------------------------------------ traces */

/* Write the first and last byte of a block, as a program filling it would
 * touch its pages. */
static void mb_touch(char *p, size_t bytes)
{
	p[0] = (char)bytes;
	p[bytes - 1] = (char)bytes;
}

/* A small object's size: half 8-32 bytes, 30% 33-128, 20% 129-512. */
static size_t mb_small_size(void)
{
	uint64_t r = mb_rng();

	switch (r % 10) {
	case 0: case 1: case 2: case 3: case 4:
		return 8 + (r >> 8) % 25;
	case 5: case 6: case 7:
		return 33 + (r >> 8) % 96;
	default:
		return 129 + (r >> 8) % 384;
	}
}

static uint64_t mb_small(const struct mb_alloc *a)
{
	static char *slot[MB_SMALL_SLOTS];
	uint64_t ops = 0;

	for (int i = 0; i < MB_SMALL_STEPS; i++) {
		size_t s = (size_t)(mb_rng() % MB_SMALL_SLOTS), bytes = mb_small_size();

		if (slot[s]) {
			a->free(slot[s]);
			ops++;
		}
		slot[s] = a->malloc(bytes);
		if (slot[s] == NULL)
			return 0;
		mb_touch(slot[s], bytes);
		ops++;
	}
	for (int s = 0; s < MB_SMALL_SLOTS; s++)
		if (slot[s]) {
			a->free(slot[s]);
			ops++;
		}
	return ops;
}

static uint64_t mb_strings(const struct mb_alloc *a)
{
	static char piece[MB_STR_PIECE_MIN + MB_STR_PIECE_SPAN];
	uint64_t ops = 0;

	memset(piece, 'x', sizeof(piece));
	for (int round = 0; round < MB_STR_ROUNDS; round++) {
		char *buf = NULL, *copy = NULL;
		size_t len = 0;

		for (int i = 1; i <= MB_STR_PIECES; i++) {
			size_t n = MB_STR_PIECE_MIN + (size_t)(mb_rng() % MB_STR_PIECE_SPAN);
			char *grown = a->realloc(buf, len + n + 1);

			if (grown == NULL)
				return 0;
			buf = grown;
			memcpy(buf + len, piece, n);
			len += n;
			buf[len] = '\0';
			ops++;
			if (i % MB_STR_COPY_EVERY == 0) {
				char *c = a->malloc(len + 1);

				if (c == NULL)
					return 0;
				memcpy(c, buf, len + 1);
				a->free(copy);
				copy = c;
				ops += 2;
			}
		}
		mb_sink = (uintptr_t)copy[len / 2];
		a->free(copy);
		a->free(buf);
		ops += 2;
	}
	return ops;
}

struct mb_node {
	struct mb_node *left, *right;
};

/* A complete tree of the given depth, or NULL; *ops counts mallocs. */
static struct mb_node *mb_tree(const struct mb_alloc *a, int depth, uint64_t *ops)
{
	struct mb_node *n = a->malloc(sizeof(*n));

	if (n == NULL)
		return NULL;
	(*ops)++;
	n->left = n->right = NULL;
	if (depth > 0) {
		n->left = mb_tree(a, depth - 1, ops);
		n->right = mb_tree(a, depth - 1, ops);
	}
	return n;
}

static long mb_tree_check(const struct mb_node *n)
{
	if (n->left == NULL || n->right == NULL)
		return 1;
	return 1 + mb_tree_check(n->left) + mb_tree_check(n->right);
}

static void mb_tree_free(const struct mb_alloc *a, struct mb_node *n, uint64_t *ops)
{
	if (n->left && n->right) {
		mb_tree_free(a, n->left, ops);
		mb_tree_free(a, n->right, ops);
	}
	a->free(n);
	(*ops)++;
}

/* Build, check and free one tree of the given depth; 0 if out of memory. */
static int mb_tree_round(const struct mb_alloc *a, int depth, uint64_t *ops)
{
	uint64_t before = *ops;
	struct mb_node *t = mb_tree(a, depth, ops);

	if (t == NULL || mb_tree_check(t) != (long)(*ops - before))
		return 0;
	mb_tree_free(a, t, ops);
	return 1;
}

static uint64_t mb_trees(const struct mb_alloc *a)
{
	uint64_t ops = 0;
	struct mb_node *longlived;

	if (!mb_tree_round(a, MB_TREE_MAX_DEPTH + 1, &ops))
		return 0;
	longlived = mb_tree(a, MB_TREE_MAX_DEPTH, &ops);
	if (longlived == NULL)
		return 0;
	for (int d = MB_TREE_MIN_DEPTH; d <= MB_TREE_MAX_DEPTH; d += 2) {
		long iterations = 1L << (MB_TREE_MAX_DEPTH - d + MB_TREE_MIN_DEPTH);

		for (long i = 0; i < iterations; i++)
			if (!mb_tree_round(a, d, &ops))
				return 0;
	}
	mb_sink = (uintptr_t)mb_tree_check(longlived);
	mb_tree_free(a, longlived, &ops);
	return ops;
}

static const struct mb_trace mb_traces[] = {
	{ "small", mb_small },
	{ "strings", mb_strings },
	{ "trees", mb_trees },
};

#define MB_NTRACES (sizeof(mb_traces) / sizeof(mb_traces[0]))
#define MB_NALLOCS (sizeof(mb_allocs) / sizeof(mb_allocs[0]))

/* ------------------------------------------------------------ driver */

/* Run one trace with one allocator in this process and print its line. */
static int mb_run(const struct mb_trace *t, const struct mb_alloc *a)
{
	long start_kb, peak_kb;
	uint64_t t0, took, ops;

	mb_prefault_text();
	start_kb = mb_status_kb("VmRSS");
	mb_rng_state = 0x9e3779b97f4a7c15ull;
	mb_align();
	t0 = mb_instret();
	ops = t->run(a);
	took = mb_instret() - t0;
	peak_kb = mb_status_kb("VmHWM");
	if (mb_stats && a->malloc == malloc)
		malloc_stats();
	if (ops == 0) {
		printf("BENCH name=malloc_%s_%s error=\"out of memory\"\n", t->name, a->name);
		return 1;
	}
	if (peak_kb < 0) {
		printf("BENCH name=malloc_%s_%s error=\"no VmHWM in %s\"\n",
		       t->name, a->name, MB_STATUS);
		return 1;
	}
	printf("BENCH name=malloc_%s_%s ops=%llu instret=%llu peak_kb=%ld start_kb=%ld\n",
	       t->name, a->name, (unsigned long long)ops, (unsigned long long)took,
	       peak_kb, start_kb);
	return 0;
}

/* Every run, each a fresh exec of this program; returns the failures. */
static int mb_run_all(void)
{
	int failed = 0;

	for (size_t t = 0; t < MB_NTRACES; t++)
		for (size_t a = 0; a < MB_NALLOCS; a++) {
			char *const argv[] = { MB_SELF, (char *)mb_traces[t].name,
					       (char *)mb_allocs[a].name, NULL };
			int status;
			pid_t pid;

			fflush(stdout);
			pid = fork();
			if (pid == 0) {
				execv(MB_SELF, argv);
				_exit(127);
			}
			if (pid < 0 || waitpid(pid, &status, 0) != pid ||
			    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				printf("BENCH name=malloc_%s_%s error=\"run failed\"\n",
				       mb_traces[t].name, mb_allocs[a].name);
				failed++;
			}
		}
	return failed;
}

int main(int argc, char **argv)
{
	if (argc == 1)
		return mb_run_all() ? 1 : 0;
	mb_stats = argc == 4 && strcmp(argv[3], "stats") == 0;
	for (size_t t = 0; (argc == 3 || mb_stats) && t < MB_NTRACES; t++)
		for (size_t a = 0; a < MB_NALLOCS; a++)
			if (strcmp(argv[1], mb_traces[t].name) == 0 &&
			    strcmp(argv[2], mb_allocs[a].name) == 0)
				return mb_run(&mb_traces[t], &mb_allocs[a]);
	fprintf(stderr, "usage: mallocbench [small|strings|trees pagoda|picolibc]\n");
	return 2;
}
