/*
 * leakcheck: run a program and check that the kernel got back the memory
 * it used: free pages, slab objects and free swap before and after, from
 * /proc/meminfo. Prints a "# leakcheck: ..." line and one result line
 * ("ok - no leak in PROG" or "not ok - leak in PROG: ...") that the test
 * runner grades as suite PROG-leak. Exits with PROG's status (1 on a leak).
 *
 *   leakcheck [-p PAGES] [-s OBJECTS] PROG [ARGS...]
 *
 * -p and -s set how many pages and slab objects may stay in caches
 * (default 128 pages plus PROG's size, 32 objects). All buffers are static:
 * leakcheck allocates nothing between its two readings.
 */
#include "meminfo.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_PAGE_SLACK  128
#define DEFAULT_SLAB_SLACK  32
#define SWAP_SLACK_PAGES    0           /* every swap slot must come back */
#define SETTLE_TRIES        20          /* readings while frees settle */
#define SETTLE_NS           100000000L  /* 100 ms between them */
#define PAGE_BYTES          4096
#define EXIT_EXEC_FAILED    127
#define EXIT_SIGNAL_BASE    128

extern char **environ;

static char out[1024];
static char why[512];

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

/* Compare two readings; fill why[] and return 1 on a leak. */
static int judge(const struct meminfo *b, const struct meminfo *a,
		 long page_slack, long slab_slack)
{
	char reason[128];

	why[0] = 0;
	if (b->free_pages < 0 || a->free_pages < 0) {
		because("/proc/meminfo has no FreePages or MemFree field");
	} else if (a->free_pages < b->free_pages - page_slack) {
		snprintf(reason, sizeof(reason), "%ld free pages missing (slack %ld)",
			 b->free_pages - a->free_pages, page_slack);
		because(reason);
	}
	if (b->slab_objects < 0 || a->slab_objects < 0) {
		because("/proc/meminfo has no SlabObjects field");
	} else if (a->slab_objects > b->slab_objects + slab_slack) {
		snprintf(reason, sizeof(reason), "%ld more slab objects (slack %ld)",
			 a->slab_objects - b->slab_objects, slab_slack);
		because(reason);
	}
	if (b->swap_free_pages >= 0 && a->swap_free_pages >= 0 &&
	    a->swap_free_pages < b->swap_free_pages - SWAP_SLACK_PAGES) {
		snprintf(reason, sizeof(reason), "%ld swap pages still in use",
			 b->swap_free_pages - a->swap_free_pages);
		because(reason);
	}
	return why[0] != 0;
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

/* Read -p and -s; return the index of PROG in argv. The default page
 * slack grows by PROG's size, which may stay in the page cache. */
static int parse_options(int argc, char **argv, long *page_slack, long *slab_slack)
{
	struct stat st;
	int i = 1, user_slack = 0;

	*page_slack = DEFAULT_PAGE_SLACK;
	*slab_slack = DEFAULT_SLAB_SLACK;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "-p") == 0) {
			*page_slack = atol(argv[i + 1]);
			user_slack = 1;
		} else if (strcmp(argv[i], "-s") == 0) {
			*slab_slack = atol(argv[i + 1]);
		} else {
			break;
		}
	}
	if (i < argc && !user_slack && stat(argv[i], &st) == 0)
		*page_slack += (st.st_size + PAGE_BYTES - 1) / PAGE_BYTES;
	return i;
}

int main(int argc, char **argv)
{
	long page_slack, slab_slack;
	struct meminfo before, after;
	struct timespec settle = { 0, SETTLE_NS };
	int leak = 1;
	int i = parse_options(argc, argv, &page_slack, &slab_slack);

	if (i >= argc) {
		say("usage: leakcheck [-p PAGES] [-s OBJECTS] PROG [ARGS...]\n");
		return 2;
	}

	/* The first reading may itself fill caches (procfs, the file). */
	meminfo_read(&before);
	meminfo_read(&before);
	int status = run(argv + i);
	for (int t = 0; t < SETTLE_TRIES; t++) {
		meminfo_read(&after);
		leak = judge(&before, &after, page_slack, slab_slack);
		if (!leak || after.free_pages < 0 || after.slab_objects < 0)
			break;
		nanosleep(&settle, NULL);
	}
	snprintf(out, sizeof(out),
		 "# leakcheck: free pages before %ld after %ld, slab objects before %ld after %ld, "
		 "swap free before %ld after %ld\n",
		 before.free_pages, after.free_pages, before.slab_objects, after.slab_objects,
		 before.swap_free_pages, after.swap_free_pages);
	say(out);
	if (leak)
		snprintf(out, sizeof(out), "not ok - leak in %s: %s\n", argv[i], why);
	else
		snprintf(out, sizeof(out), "ok - no leak in %s\n", argv[i]);
	say(out);
	if (status == -1)
		return EXIT_EXEC_FAILED;
	if (WIFSIGNALED(status))
		return EXIT_SIGNAL_BASE + WTERMSIG(status);
	if (WEXITSTATUS(status) == 0 && leak)
		return 1;
	return WEXITSTATUS(status);
}
