/*
 * What the swap suites (swap, swap4, swapfork, swapshared, swapfile,
 * swapkill, swapoff, oomkill) share: a checksummed page pattern, a walk
 * of page indices in pseudo-random order, worker processes that send
 * their results to the test through a pipe, and /proc/vmstat counters.
 * The pattern's words all derive from the page's index and a seed, so a
 * page read back in another page's place, or from another process's
 * copy, is caught as well as a changed byte.
 */
#ifndef PAGODA_TESTS_SWAPUTIL_H
#define PAGODA_TESTS_SWAPUTIL_H

#include "tap.h"
#include "meminfo.h"

#include <stdint.h>
#include <sys/mman.h>

#ifndef SYS_swapon
#define SYS_swapon      224             /* Linux riscv64 (asm-generic) */
#endif
#ifndef SYS_swapoff
#define SYS_swapoff     225
#endif
#define SWPT_SWAP_DEV   "/dev/vdb"      /* the second virtio-blk disk */

#define SWPT_PAGE       4096L
#define SWPT_WORDS      (SWPT_PAGE / (long)sizeof(uint64_t))
#define SWPT_MIB_PAGES  (1024L * 1024 / SWPT_PAGE)
#define SWPT_GOLDEN     0x9e3779b97f4a7c15ULL   /* 2^64 / phi, odd */
#define SWPT_VMSTAT_BUF 8192
#define SWPT_MAX_RECS   64

/* splitmix64's finalizer: every input bit moves about half the output. */
static inline uint64_t swpt_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* Word w of page `index` written with seed. */
static inline uint64_t swpt_word(long index, uint64_t seed, long w)
{
	uint64_t key = swpt_mix(seed ^ swpt_mix((uint64_t)index + 1));

	return key ^ ((uint64_t)(w + 1) * SWPT_GOLDEN);
}

/* Write the pattern of (index, seed) over the page at p. */
static inline void swpt_fill(void *p, long index, uint64_t seed)
{
	uint64_t *words = p;
	uint64_t key = swpt_mix(seed ^ swpt_mix((uint64_t)index + 1));

	for (long w = 0; w < SWPT_WORDS; w++)
		words[w] = key ^ ((uint64_t)(w + 1) * SWPT_GOLDEN);
}

/* The first word of the page at p that differs from the pattern of
 * (index, seed), or -1 if the page is intact. */
static inline long swpt_check(const void *p, long index, uint64_t seed)
{
	const volatile uint64_t *words = p;
	uint64_t key = swpt_mix(seed ^ swpt_mix((uint64_t)index + 1));

	for (long w = 0; w < SWPT_WORDS; w++)
		if (words[w] != (key ^ ((uint64_t)(w + 1) * SWPT_GOLDEN)))
			return w;
	return -1;
}

/* xorshift64: the tests' own random numbers, reproducible from a seed. */
static inline uint64_t swpt_rand(uint64_t *state)
{
	uint64_t x = *state ? *state : SWPT_GOLDEN;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

/*
 * Every index 0..n-1 once, in a pseudo-random order: a full-period
 * linear congruential sequence modulo the next power of two (c odd,
 * a = 1 mod 4, Hull-Dobell), skipping the values >= n. No memory needed.
 */
struct swpt_walk {
	uint64_t mask, x, a, c;
	long n, left;
};

static inline void swpt_walk_init(struct swpt_walk *wk, long n, uint64_t seed)
{
	uint64_t m = 1;

	while (m < (uint64_t)n)
		m <<= 1;
	wk->mask = m - 1;
	wk->x = swpt_mix(seed) & wk->mask;
	wk->a = ((swpt_mix(seed + 1) << 2) | 1) & wk->mask;    /* 1 mod 4 */
	wk->c = (swpt_mix(seed + 2) | 1) & wk->mask;           /* odd */
	wk->n = n;
	wk->left = n;
}

/* The next index, or -1 after all n. */
static inline long swpt_walk_next(struct swpt_walk *wk)
{
	if (wk->left <= 0)
		return -1;
	do
		wk->x = (wk->a * wk->x + wk->c) & wk->mask;
	while (wk->x >= (uint64_t)wk->n);
	wk->left--;
	return (long)wk->x;
}

/* One result a worker sends: a pass `what` of worker `who` over `pages`
 * pages found `bad` of them wrong, the first at page first_page, word
 * first_word (got, want). bad < 0: the pass could not run (errno_). */
struct swpt_rec {
	int who;
	int what;
	long pages;
	long bad;
	long first_page;
	long first_word;
	uint64_t got;
	uint64_t want;
	int errno_;
	long majflt, pswpin;    /* SWPT_SEQ: /proc/vmstat's deltas in the pass */
};

/* Send one record (one write, smaller than PIPE_BUF: never interleaved
 * with another worker's). */
static inline void swpt_send(int fd, const struct swpt_rec *r)
{
	if (write(fd, r, sizeof(*r)) != (ssize_t)sizeof(*r))
		_exit(3);
}

/* A record of a pass that could not run: errno says why. */
static inline void swpt_send_error(int fd, int who, int what)
{
	struct swpt_rec r = { .who = who, .what = what, .bad = -1, .errno_ = errno };

	swpt_send(fd, &r);
}

/* Note the page `index` in r: checked against seed, counted if bad. */
static inline void swpt_note(struct swpt_rec *r, const void *p, long index, uint64_t seed)
{
	long w = swpt_check(p, index, seed);

	r->pages++;
	if (w < 0)
		return;
	if (r->bad++ == 0) {
		r->first_page = index;
		r->first_word = w;
		r->got = ((const uint64_t *)p)[w];
		r->want = swpt_word(index, seed, w);
	}
}

/* Read the records the workers send until every writer closed fd.
 * Returns how many (at most max). */
static inline int swpt_collect(int fd, struct swpt_rec *recs, int max)
{
	int n = 0;
	struct swpt_rec r;
	long got = 0, k;

	for (;;) {
		k = read(fd, (char *)&r + got, sizeof(r) - got);
		if (k <= 0)
			break;
		got += k;
		if (got < (long)sizeof(r))
			continue;
		got = 0;
		if (n < max)
			recs[n++] = r;
	}
	return n;
}

/* The record of pass `what` of worker `who`, NULL if none came. */
static inline const struct swpt_rec *swpt_find(const struct swpt_rec *recs, int n,
					       int who, int what)
{
	for (int i = 0; i < n; i++)
		if (recs[i].who == who && recs[i].what == what)
			return &recs[i];
	return NULL;
}

/* Assert that pass (who, what) came and found every page intact. */
static inline int swpt_ok(const struct swpt_rec *recs, int n, int who, int what,
			  long want_pages, const char *desc)
{
	const struct swpt_rec *r = swpt_find(recs, n, who, what);
	int ok = r != NULL && r->bad == 0 && (want_pages < 0 || r->pages == want_pages);

	tap_ok(ok, "%s (%ld pages)", desc, r ? r->pages : 0L);
	if (ok)
		return 1;
	if (r == NULL)
		tap_diag("  no result: the worker died before this pass");
	else if (r->bad < 0)
		tap_diag("  the pass could not run: errno %d (%s)", r->errno_, strerror(r->errno_));
	else if (r->bad == 0)
		tap_diag("  %ld pages looked at, %ld expected", r->pages, want_pages);
	else
		tap_diag("  %ld of %ld pages wrong; first: page %ld word %ld is %#llx, want %#llx",
			 r->bad, r->pages, r->first_page, r->first_word,
			 (unsigned long long)r->got, (unsigned long long)r->want);
	return 0;
}

/* A /proc/vmstat counter ("name value"), -1 if absent. */
static char swpt_vmstat_text[SWPT_VMSTAT_BUF];

static inline long swpt_vmstat(const char *name)
{
	int fd = open("/proc/vmstat", O_RDONLY);
	long n, got = 0;
	size_t len = strlen(name);

	if (fd < 0)
		return -1;
	while (got < SWPT_VMSTAT_BUF - 1 &&
	       (n = read(fd, swpt_vmstat_text + got, SWPT_VMSTAT_BUF - 1 - got)) > 0)
		got += n;
	close(fd);
	swpt_vmstat_text[got] = 0;
	for (char *line = swpt_vmstat_text; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, name, len) != 0 || line[len] != ' ')
			continue;
		return strtol(line + len + 1, NULL, 10);
	}
	return -1;
}

/* Assert that counter `name` rose above its value `before` (-1: absent). */
static inline int swpt_rose(const char *name, long before)
{
	long now = swpt_vmstat(name);

	if (tap_ok(before >= 0 && now > before, "/proc/vmstat %s rose: %ld -> %ld",
		   name, before, now))
		return 1;
	if (before < 0 || now < 0)
		tap_diag("  /proc/vmstat has no %s line", name);
	return 0;
}

/*
 * The RAM the suite sizes itself by, in pages: MemTotal, or MIB given as
 * `-r MIB` (to try a suite's logic on a machine too big to need swap:
 * `make run MEM=1G CMD='/tests/swap -r 64'`). 0 if unknown.
 */
static inline long swpt_ram_pages(int argc, char **argv)
{
	struct meminfo m;

	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "-r") == 0)
			return atol(argv[i + 1]) * SWPT_MIB_PAGES;
	if (meminfo_read(&m) != 0 || m.total_pages <= 0)
		return 0;
	return m.total_pages;
}

/*
 * Make this program's own footprint resident and dirty, as it will be at
 * every later reading: its text (meminfo_touch_self), 16 KiB of stack,
 * and every page of its data and bss written (a page of them swapped in
 * only for reading would keep its swap slot). Run before each reading of
 * free pages and free swap that must compare exactly.
 */
extern char _end[];                             /* the end of bss (user.ld) */

static void __attribute__((noinline, unused)) swpt_touch_self(void)
{
	uintptr_t first = ((uintptr_t)_etext + SWPT_PAGE - 1) & ~(uintptr_t)(SWPT_PAGE - 1);

	meminfo_touch_self();
	for (uintptr_t a = first; a < (uintptr_t)_end; a += SWPT_PAGE) {
		volatile char *c = (volatile char *)a;
		*c = *c;
	}
}

/* Private anonymous memory of npages, MAP_FAILED on failure. */
static inline void *swpt_map(long npages, int flags)
{
	return mmap(NULL, (size_t)npages * SWPT_PAGE, PROT_READ | PROT_WRITE,
		    flags | MAP_ANONYMOUS, -1, 0);
}

#define SWPT_AT(base, i) ((char *)(base) + (long)(i) * SWPT_PAGE)

/*
 * Touch npages of fresh private memory (one word a page, in order) and
 * unmap it: makes the kernel push other processes' idle pages out. 0, or
 * -1 if the mapping failed.
 */
static inline int swpt_push(long npages)
{
	char *p = swpt_map(npages, MAP_PRIVATE);

	if (p == MAP_FAILED)
		return -1;
	for (long i = 0; i < npages; i++)
		*(volatile long *)SWPT_AT(p, i) = i;
	return munmap(p, (size_t)npages * SWPT_PAGE);
}

/* Run swpt_push(npages) in a child, so its memory goes at once; 0 if it
 * ended normally. */
static inline int swpt_push_in_child(long npages)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(swpt_push(npages) == 0 ? 0 : 1);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Describe a worker's wait status in a diagnostic. */
static inline void swpt_describe(const char *who, int status)
{
	if (status == -1)
		tap_diag("  %s: fork or waitpid failed", who);
	else if (WIFEXITED(status))
		tap_diag("  %s exited with %d", who, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		tap_diag("  %s was killed by signal %d", who, WTERMSIG(status));
}

/*
 * The passes of swpt_exercise, each sent as one record.
 */
enum {
	SWPT_FILL,      /* every page written with the first seed */
	SWPT_SEQ,       /* read back in order */
	SWPT_RANDOM,    /* read back in a pseudo-random order */
	SWPT_REWRITE,   /* a random quarter rewritten with a second seed */
	SWPT_FINAL,     /* all read back in another order, each its seed */
	SWPT_NPASSES
};
#define SWPT_REWRITE_ONE_IN 4

/*
 * The data-integrity workout of one process (swap, swap4): map npages
 * of private anonymous memory, write the pattern of (index, seed), read
 * it back in order, then in a pseudo-random order, rewrite a random
 * quarter with a second seed and read everything back in yet another
 * order. Sends one record a pass to fd as worker `who`; never returns.
 */
static inline void __attribute__((noreturn))
swpt_exercise(int fd, int who, long npages, uint64_t seed)
{
	uint64_t rng = swpt_mix(seed + 7), seed2 = swpt_mix(seed + 11);
	struct swpt_walk wk;
	struct swpt_rec r;
	char *base = swpt_map(npages, MAP_PRIVATE);
	unsigned char *gen = malloc((size_t)npages);
	long i;

	if (base == MAP_FAILED || gen == NULL) {
		swpt_send_error(fd, who, SWPT_FILL);
		_exit(2);
	}
	memset(gen, 0, (size_t)npages);
	for (i = 0; i < npages; i++)
		swpt_fill(SWPT_AT(base, i), i, seed);
	r = (struct swpt_rec){ .who = who, .what = SWPT_FILL, .pages = npages };
	swpt_send(fd, &r);

	r = (struct swpt_rec){ .who = who, .what = SWPT_SEQ };
	long maj0 = swpt_vmstat("pgmajfault"), in0 = swpt_vmstat("pswpin");
	for (i = 0; i < npages; i++)
		swpt_note(&r, SWPT_AT(base, i), i, seed);
	r.majflt = swpt_vmstat("pgmajfault") - maj0;
	r.pswpin = swpt_vmstat("pswpin") - in0;
	swpt_send(fd, &r);

	r = (struct swpt_rec){ .who = who, .what = SWPT_RANDOM };
	swpt_walk_init(&wk, npages, seed + 3);
	while ((i = swpt_walk_next(&wk)) >= 0)
		swpt_note(&r, SWPT_AT(base, i), i, seed);
	swpt_send(fd, &r);

	r = (struct swpt_rec){ .who = who, .what = SWPT_REWRITE };
	for (i = 0; i < npages; i++)
		if (swpt_rand(&rng) % SWPT_REWRITE_ONE_IN == 0) {
			gen[i] = 1;
			swpt_fill(SWPT_AT(base, i), i, seed2);
			r.pages++;
		}
	swpt_send(fd, &r);

	r = (struct swpt_rec){ .who = who, .what = SWPT_FINAL };
	swpt_walk_init(&wk, npages, seed + 5);
	while ((i = swpt_walk_next(&wk)) >= 0)
		swpt_note(&r, SWPT_AT(base, i), i, gen[i] ? seed2 : seed);
	swpt_send(fd, &r);
	_exit(0);
}

/*
 * Empty the swap for the runner's leak check, at the end of a suite:
 * swapoff brings every page on swap back (the shell's, init's and
 * leakcheck's idle pages the suite pushed out too), swapon makes the disk
 * swap again with every slot free, as it was at boot and after the
 * previous suite. Without it the leak check would count the other
 * processes' pages on swap as slots leaked by the suite. A slot really
 * leaked stays allocated (swapoff cannot bring back a page nobody owns
 * and must fail), so the check still sees it. No assertion: the suite
 * swapoff tests the calls. Nothing happens while swapoff is ENOSYS.
 */
static inline void swpt_drain(void)
{
	long rc = tap_sys(SYS_swapoff, SWPT_SWAP_DEV, 0, 0);

	if (rc == -LX_ENOSYS)
		return;
	if (rc == 0)
		rc = tap_sys(SYS_swapon, SWPT_SWAP_DEV, 0, 0);
	if (rc != 0)
		tap_diag("emptying the swap for the leak check: swapoff/swapon %s gave %ld",
			 SWPT_SWAP_DEV, rc);
}

#endif
