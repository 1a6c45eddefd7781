/*
 * leakcheck: run a program and check that the kernel got back exactly the
 * memory it used: free pages, slab objects (in total and per cache) and
 * free swap before and after, from /proc/meminfo and /proc/slabinfo, each
 * reading after dropping the clean, unmapped page cache.
 * Prints "# leakcheck: ..." lines and one result line ("ok - no leak in
 * PROG" or "not ok - leak in PROG: ...") that the test runner grades as
 * suite PROG-leak. Exits with PROG's status (1 on a leak).
 *
 *   leakcheck [-p PAGES] [-s OBJECTS] PROG [ARGS...]
 *
 * The check is exact: by default no page and no slab object may be
 * missing (docs/testing.md says why none needs to be). -p and -s allow
 * some, for experiments by hand; the runner never passes them. All buffers
 * are static and touched before the first reading: leakcheck allocates
 * nothing between its two readings.
 */
#include "meminfo.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_PAGE_SLACK  0           /* exact: see docs/testing.md */
#define DEFAULT_SLAB_SLACK  0
#define SWAP_SLACK_PAGES    0           /* every swap slot must come back */
/* Exits and frees on other harts may finish after waitpid returns (a
 * parent is woken before the last hart has left the child's address
 * space), so the "after" reading is retried until it matches, for at most
 * SETTLE_TRIES * SETTLE_NS = 2 s. A real leak never settles. */
#define SETTLE_TRIES        20
#define SETTLE_NS           100000000L  /* 100 ms */
#define EXIT_EXEC_FAILED    127
#define EXIT_SIGNAL_BASE    128
#define SLABINFO_PATH       "/proc/slabinfo"
#define SLABINFO_BUF        8192
#define MAX_CACHES          64
#define CACHE_NAME          32
#define MAX_DIFF_LINES      12          /* per-cache lines printed on a leak */

extern char **environ;

/* One slab cache's line of /proc/slabinfo. */
struct cache_use {
	char name[CACHE_NAME];
	long objects;           /* <active_objs> */
};

/* One reading of everything compared. */
struct reading {
	struct meminfo mem;
	struct cache_use caches[MAX_CACHES];
	int ncaches;            /* -1: /proc/slabinfo unreadable */
};

static char out[1024];
static char why[512];
static char slab_text[SLABINFO_BUF];
static struct reading before, after;

extern const char __ehdr_start[];      /* the first byte of the image (ld) */
extern const char _etext[];             /* the end of text and rodata (user.ld) */
#define PAGE_BYTES  4096
#define STACK_TOUCH (16 * 1024)         /* more than leakcheck's deepest call */

/*
 * Make leakcheck's own footprint constant before the first reading: page
 * in every page of its text (its program file's page cache, which a test
 * that runs leakcheck itself would otherwise fill during the run), write
 * every static buffer and the stack it will use. What stays resident then
 * is the same before and after.
 */
static void touch_self(void)
{
	volatile char stack[STACK_TOUCH];
	const volatile char *text = __ehdr_start;

	for (long off = 0; text + off < _etext; off += PAGE_BYTES)
		(void)text[off];
	for (long i = 0; i < STACK_TOUCH; i += PAGE_BYTES)
		stack[i] = 0;
	(void)stack[0];
	memset(out, 0, sizeof(out));
	memset(why, 0, sizeof(why));
	memset(slab_text, 0, sizeof(slab_text));
	memset(meminfo_text, 0, sizeof(meminfo_text));
	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
}

static void say(const char *text)
{
	if (write(1, text, strlen(text)) < 0)
		_exit(EXIT_EXEC_FAILED);
}

/* Append one reason to why[]. */
static void because(const char *reason)
{
	size_t n = strlen(why);

	snprintf(why + n, sizeof(why) - n, "%s%s", n ? "; " : "", reason);
}

/* Parse one data line of /proc/slabinfo ("name active num ..."). Returns
 * 1 if it was one. */
static int parse_cache_line(const char *line, struct cache_use *c)
{
	int n = 0;

	if (*line == '#' || strncmp(line, "slabinfo", 8) == 0)
		return 0;
	while (line[n] != '\0' && line[n] != ' ' && line[n] != '\n' && n < CACHE_NAME - 1) {
		c->name[n] = line[n];
		n++;
	}
	c->name[n] = '\0';
	const char *p = line + n;
	while (*p == ' ')
		p++;
	if (n == 0 || *p < '0' || *p > '9')
		return 0;
	c->objects = strtol(p, NULL, 10);
	return 1;
}

/* Read /proc/slabinfo into r->caches. */
static void slabinfo_read(struct reading *r)
{
	int fd = open(SLABINFO_PATH, O_RDONLY);
	long n, got = 0;

	r->ncaches = -1;
	if (fd < 0)
		return;
	while (got < SLABINFO_BUF - 1 &&
	       (n = read(fd, slab_text + got, SLABINFO_BUF - 1 - got)) > 0)
		got += n;
	close(fd);
	slab_text[got] = '\0';
	r->ncaches = 0;
	for (const char *line = slab_text; line != NULL && *line != '\0' &&
	     r->ncaches < MAX_CACHES; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		r->ncaches += parse_cache_line(line, &r->caches[r->ncaches]);
}

/* Drop the clean page cache no process maps (/proc/sys/vm/drop_caches):
 * programs the test ran stay cached after they exit, which is caching,
 * not a leak. Without the file (another kernel) nothing is dropped. */
static void drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "1\n", 2) != 2)
			say("# leakcheck: drop_caches refused the write\n");
		close(fd);
	}
}

static void take_reading(struct reading *r)
{
	drop_caches();
	meminfo_read(&r->mem);
	slabinfo_read(r);
}

/* Objects of cache name in r, or -1 if r has no such cache. */
static long cache_objects(const struct reading *r, const char *name)
{
	for (int i = 0; i < r->ncaches; i++)
		if (strcmp(r->caches[i].name, name) == 0)
			return r->caches[i].objects;
	return -1;
}

/* Compare two readings; fill why[] and return 1 on a leak. */
static int judge(const struct reading *rb, const struct reading *ra,
		 long page_slack, long slab_slack)
{
	const struct meminfo *b = &rb->mem, *a = &ra->mem;
	char reason[128];

	why[0] = 0;
	/* Pages paged out or in during the run: other processes' pages may
	 * have gone to swap or been dropped (more free pages, more swap in
	 * use) and come back. Compare what paging cannot change instead:
	 * the held-page sum, and that every slot in use has an owner. */
	int paged = b->paging_events >= 0 && a->paging_events != b->paging_events;
	long held_b = meminfo_held_pages(b), held_a = meminfo_held_pages(a);

	if (b->free_pages < 0 || a->free_pages < 0) {
		because("/proc/meminfo has no FreePages or MemFree field");
	} else if (paged && (held_b < 0 || held_a < 0)) {
		because("/proc/meminfo lacks the held-page fields");
	} else if (paged && held_a < held_b - page_slack) {
		snprintf(reason, sizeof(reason), "%ld held pages missing (slack %ld; "
			 "pages were paged)", held_b - held_a, page_slack);
		because(reason);
	} else if (!paged && a->free_pages < b->free_pages - page_slack) {
		snprintf(reason, sizeof(reason), "%ld free pages missing (slack %ld)",
			 b->free_pages - a->free_pages, page_slack);
		because(reason);
	}
	/* A page paged back in gets pv entries for its mappings: when
	 * pages were paged, the pv_entry cache is not compared. */
	long pv_b = paged ? cache_objects(rb, "pv_entry") : 0;
	long pv_a = paged ? cache_objects(ra, "pv_entry") : 0;
	if (b->slab_objects < 0 || a->slab_objects < 0) {
		because("/proc/meminfo has no SlabObjects field");
	} else if (a->slab_objects - (pv_a > 0 ? pv_a : 0) >
		   b->slab_objects - (pv_b > 0 ? pv_b : 0) + slab_slack) {
		snprintf(reason, sizeof(reason), "%ld more slab objects (slack %ld%s)",
			 a->slab_objects - b->slab_objects, slab_slack,
			 paged ? "; pv entries not counted: pages were paged" : "");
		because(reason);
	}
	/* Exact both ways: a slot kept is a leak, a slot freed that the
	 * program did not hold is a reference-count bug. */
	if (b->swap_free_pages < 0 || a->swap_free_pages < 0) {
		if (b->swap_total_pages > 0)
			because("/proc/meminfo has SwapTotal but no SwapFree");
	} else if (meminfo_swap_unowned(a) != 0) {
		snprintf(reason, sizeof(reason), "%ld swap pages in use that nothing holds",
			 meminfo_swap_unowned(a));
		because(reason);
	} else if (paged) {
		;       /* others' pages moved to or from swap: ownership says it */
	} else if (a->swap_free_pages < b->swap_free_pages - SWAP_SLACK_PAGES) {
		snprintf(reason, sizeof(reason), "%ld swap pages still in use",
			 b->swap_free_pages - a->swap_free_pages);
		because(reason);
	} else if (a->swap_free_pages > b->swap_free_pages) {
		snprintf(reason, sizeof(reason), "%ld more free swap pages than before",
			 a->swap_free_pages - b->swap_free_pages);
		because(reason);
	}
	return why[0] != 0;
}

/* On a leak: one diagnostic line per slab cache whose use changed. */
static void print_cache_diffs(const struct reading *rb, const struct reading *ra)
{
	int lines = 0;

	if (rb->ncaches < 0 || ra->ncaches < 0) {
		say("# leakcheck: " SLABINFO_PATH " is unreadable\n");
		return;
	}
	for (int i = 0; i < ra->ncaches && lines < MAX_DIFF_LINES; i++) {
		long was = cache_objects(rb, ra->caches[i].name);
		if (was == ra->caches[i].objects)
			continue;
		snprintf(out, sizeof(out), "# leakcheck: cache %s: %ld objects before, %ld after\n",
			 ra->caches[i].name, was < 0 ? 0 : was, ra->caches[i].objects);
		say(out);
		lines++;
	}
}

static int run(char **argv)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execve(argv[0], argv, environ);
		say("# leakcheck: cannot execute the program\n");
		_exit(EXIT_EXEC_FAILED);
	}
	while (waitpid(pid, &status, 0) != pid)
		;
	return status;
}

/* Read -p and -s; return the index of PROG in argv. */
static int parse_options(int argc, char **argv, long *page_slack, long *slab_slack)
{
	int i = 1;

	*page_slack = DEFAULT_PAGE_SLACK;
	*slab_slack = DEFAULT_SLAB_SLACK;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "-p") == 0)
			*page_slack = atol(argv[i + 1]);
		else if (strcmp(argv[i], "-s") == 0)
			*slab_slack = atol(argv[i + 1]);
		else
			break;
	}
	return i;
}

int main(int argc, char **argv)
{
	long page_slack, slab_slack;
	struct timespec settle = { 0, SETTLE_NS };
	int leak = 1;
	int i = parse_options(argc, argv, &page_slack, &slab_slack);

	if (i >= argc) {
		say("usage: leakcheck [-p PAGES] [-s OBJECTS] PROG [ARGS...]\n");
		return 2;
	}

	/* The first reading may itself fill caches (procfs, page tables). */
	touch_self();
	take_reading(&after);
	take_reading(&before);
	judge(&before, &after, page_slack, slab_slack);
	take_reading(&before);
	int status = run(argv + i);
	for (int t = 0; t < SETTLE_TRIES; t++) {
		take_reading(&after);
		leak = judge(&before, &after, page_slack, slab_slack);
		if (!leak || after.mem.free_pages < 0 || after.mem.slab_objects < 0)
			break;
		nanosleep(&settle, NULL);
	}
	snprintf(out, sizeof(out),
		 "# leakcheck: free pages before %ld after %ld, slab objects before %ld after %ld, "
		 "swap free before %ld after %ld, held pages before %ld after %ld, "
		 "paging events before %ld after %ld\n",
		 before.mem.free_pages, after.mem.free_pages, before.mem.slab_objects,
		 after.mem.slab_objects, before.mem.swap_free_pages, after.mem.swap_free_pages,
		 meminfo_held_pages(&before.mem), meminfo_held_pages(&after.mem),
		 before.mem.paging_events, after.mem.paging_events);
	say(out);
	if (leak) {
		print_cache_diffs(&before, &after);
		snprintf(out, sizeof(out), "not ok - leak in %s: %s\n", argv[i], why);
	} else {
		snprintf(out, sizeof(out), "ok - no leak in %s\n", argv[i]);
	}
	say(out);
	if (status == -1)
		return EXIT_EXEC_FAILED;
	if (WIFSIGNALED(status))
		return EXIT_SIGNAL_BASE + WTERMSIG(status);
	if (WEXITSTATUS(status) == 0 && leak)
		return 1;
	return WEXITSTATUS(status);
}
