/*
 * oom: a child allocates and touches memory until the kernel says no
 * (mmap fails with ENOMEM) or the OOM killer ends it (SIGKILL). The parent,
 * whose own pages may be swapped out meanwhile, must come through intact,
 * free memory and swap must come back, and a second round must get about
 * as far as the first.
 */
#include "tap.h"
#include "meminfo.h"

#include <sys/mman.h>
#include <time.h>

#define PLAN            12
#define CHUNK           (1L << 20)      /* bytes per mmap */
#define PAGE            4096L
#define PARENT_BYTES    (2L << 20)      /* the parent's own data */
#define MARGIN_MIB      256             /* beyond RAM + swap: cannot fit */
#define DEFAULT_CAP_MIB 2048            /* when meminfo gives no totals */
#define SETTLE_TRIES    30
#define SETTLE_NS       100000000L
#define EXIT_WRONG_ERRNO 2
#define MIB_PAGES       (CHUNK / PAGE)

/* Child: map and touch CHUNKs until mmap fails or cap_mib is reached;
 * one byte down the pipe per MiB touched. */
static void hog(int fd, long cap_mib)
{
	for (long mib = 0; mib < cap_mib; mib++) {
		unsigned char *p = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(errno == ENOMEM ? 0 : EXIT_WRONG_ERRNO);
		for (long off = 0; off < CHUNK; off += PAGE)
			p[off] = (unsigned char)(mib + off / PAGE);
		if (write(fd, "M", 1) != 1)
			_exit(EXIT_WRONG_ERRNO);
	}
	_exit(1);               /* never ran out: the cap is too small */
}

/* Fork a hog; return MiB it touched, its status in *status. */
static long run_hog(long cap_mib, int *status)
{
	int p[2];
	char buf[256];
	long mib = 0, n;

	if (pipe(p) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		hog(p[1], cap_mib);
	}
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) > 0)
		mib += n;
	close(p[0]);
	if (pid < 0 || waitpid(pid, status, 0) != pid)
		*status = -1;
	return mib;
}

/* Exited 0 after ENOMEM, or killed by the OOM killer. */
static int ended_well(int status)
{
	return status != -1 && ((WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
				(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
}

static void describe(int status)
{
	if (status == -1)
		tap_diag("  fork or waitpid failed");
	else if (WIFEXITED(status))
		tap_diag("  the hog exited with %d (1: never ran out, 2: wrong errno)", WEXITSTATUS(status));
	else
		tap_diag("  the hog died of signal %d", WTERMSIG(status));
}

static unsigned char mine_byte(long i)
{
	return (unsigned char)(i * 11 + (i >> 12));
}

static void fill_mine(unsigned char *mine)
{
	for (long i = 0; i < PARENT_BYTES; i++)
		mine[i] = mine_byte(i);
}

static int mine_intact(const unsigned char *mine)
{
	for (long i = 0; i < PARENT_BYTES; i++)
		if (mine[i] != mine_byte(i))
			return 0;
	return 1;
}

/* Wait until free pages are back to their earlier level and swap at
 * least to its. */
static int memory_returned(const struct meminfo *before, struct meminfo *now)
{
	struct timespec settle = { 0, SETTLE_NS };

	for (int t = 0; t < SETTLE_TRIES; t++) {
		meminfo_read(now);
		/* Exact (measured: equal on 2 and 4 harts): the hog's pages,
		 * tables, stack and pipe all go, and the parent's own text
		 * and stack were made resident before the baseline. If the
		 * page daemon paged (others' pages to swap, clean page cache
		 * dropped), the held-page sum is what comes back exactly, and
		 * every slot in use must have an owner. */
		int paged = before->paging_events >= 0 &&
			    now->paging_events != before->paging_events;
		int pages_ok = paged ?
			meminfo_held_pages(now) == meminfo_held_pages(before) :
			now->free_pages == before->free_pages;
		int swap_ok = meminfo_swap_unowned(now) == 0 &&
			      (paged || before->swap_free_pages < 0 ||
			       now->swap_free_pages >= before->swap_free_pages);
		if (now->free_pages >= 0 && pages_ok && swap_ok)
			return 1;
		nanosleep(&settle, NULL);
	}
	return 0;
}

int main(void)
{
	struct meminfo before, after;
	int status;

	tap_plan(PLAN);
	tap_ok(meminfo_read(&before) == 0 && before.free_pages > 0,
	       "read free pages from /proc/meminfo (%ld)", before.free_pages);
	long cap = DEFAULT_CAP_MIB;
	if (before.total_pages > 0)
		cap = (before.total_pages + (before.swap_total_pages > 0 ? before.swap_total_pages : 0)) /
		      MIB_PAGES + MARGIN_MIB;
	tap_diag("total %ld pages, swap %ld pages, the hog stops at %ld MiB",
		 before.total_pages, before.swap_total_pages, cap);

	unsigned char *mine = mmap(NULL, PARENT_BYTES, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!tap_ok(mine != MAP_FAILED, "the parent maps 2 MiB of its own"))
		return tap_done();
	fill_mine(mine);
	meminfo_touch_self();   /* its own text and stack stay the same from here */
	meminfo_read(&before);  /* the baseline includes the parent's pages */

	long first = run_hog(cap, &status);
	tap_ok(first > 0, "the first hog touched %ld MiB", first);
	if (!tap_ok(ended_well(status), "it ended with ENOMEM or the OOM killer's SIGKILL"))
		describe(status);
	tap_ok(mine_intact(mine), "the parent's memory is intact afterwards");
	tap_ok(memory_returned(&before, &after), "free memory came back (before %ld, after %ld pages)",
	       before.free_pages, after.free_pages);
	tap_ok(meminfo_swap_unowned(&after) == 0,
	       "every swap slot in use has an owner (free before %ld, after %ld)", before.swap_free_pages,
	       after.swap_free_pages);

	long second = run_hog(cap, &status);
	tap_ok(second > 0, "a second hog touched %ld MiB", second);
	if (!tap_ok(ended_well(status), "it ended the same way"))
		describe(status);
	tap_ok(second * 10 >= first * 9, "and got at least 90%% as far as the first (%ld vs %ld MiB)",
	       second, first);
	tap_ok(memory_returned(&before, &after), "free memory came back again");

	tap_ok(mine_intact(mine), "the parent's memory is still intact");
	munmap(mine, PARENT_BYTES);
	return tap_done();
}
