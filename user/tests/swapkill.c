/* pagoda-test: MEM=64M SWAP=256M TIMEOUT=600 */
/*
 * swapkill (issue 7): SIGKILL to a process in the middle of heavy
 * swapping leaks nothing. A child maps 2x RAM and rewrites it page after
 * page in random order; once it has written 1.25x RAM (so swap is in
 * use) the test kills it, reaps it, and compares free pages and free swap
 * slots with the readings before the child: exactly equal.
 *
 * Before that baseline another child touches 2x RAM and exits, so the
 * idle pages of other processes (the shell, init, leakcheck) are on swap
 * already and stay there: the comparison sees only the killed child.
 * Free pages are compared together with slab pages, and slab objects
 * exactly: what this test writes while its child lives (its stack, the
 * pipe's buffer) is copied on write, and the amap copy and anons it makes
 * may land in another slab page than before (measured: 2 pages more slab,
 * the same objects). The leak check of the runner compares free pages
 * alone; it starts before the fork and reads after this program's exit.
 *
 *   swapkill [-r MIB]    size by MIB of RAM instead of MemTotal
 */
#include "swaputil.h"

#include <time.h>

#define PLAN            6
#define WARM_NUM        2               /* the warm-up touches 2x RAM: more */
#define WARM_DEN        1               /* than the child will press */
#define HOG_TIMES       2               /* the child maps 2x RAM */
#define KILL_NUM        5               /* and is killed after 5/4 of RAM */
#define KILL_DEN        4
#define SEED            0x4b494c4cULL   /* "KILL" */
#define TRIES           50              /* readings, SETTLE_NS apart */
#define SETTLE_NS       100000000L      /* 100 ms: 5 s in all */

/* The child: rewrite the region forever, one byte to fd per MiB. */
static void __attribute__((noreturn)) hog(int fd, long npages)
{
	char *base = swpt_map(npages, MAP_PRIVATE);
	struct swpt_walk wk;
	long written = 0, i;

	if (base == MAP_FAILED)
		_exit(2);
	for (uint64_t round = 0;; round++) {
		swpt_walk_init(&wk, npages, SEED + round);
		while ((i = swpt_walk_next(&wk)) >= 0) {
			swpt_fill(SWPT_AT(base, i), i, SEED + round);
			if (++written % SWPT_MIB_PAGES == 0 && write(fd, "M", 1) != 1)
				_exit(3);
		}
	}
}

/* What is compared: pages free or in slab, slab objects, free swap. */
struct usage {
	long free_pages, slab_pages, objects, swap_free;
};

static void usage_read(struct usage *u)
{
	struct meminfo m;

	swpt_touch_self();
	meminfo_read(&m);
	u->free_pages = m.free_pages;
	u->slab_pages = meminfo_field(meminfo_text, "Slab", 1);
	u->objects = m.slab_objects;
	u->swap_free = m.swap_free_pages;
}

static int usage_same(const struct usage *a, const struct usage *b)
{
	return a->free_pages + a->slab_pages == b->free_pages + b->slab_pages &&
	       a->objects == b->objects && a->swap_free == b->swap_free;
}

/* Read until two readings SETTLE_NS apart agree (want NULL), or until
 * the reading equals want. Returns 1 on success. */
static int settle(struct usage *now, const struct usage *want)
{
	struct timespec ts = { 0, SETTLE_NS };
	struct usage prev;

	usage_read(&prev);
	for (int t = 0; t < TRIES; t++) {
		nanosleep(&ts, NULL);
		usage_read(now);
		if (usage_same(now, want != NULL ? want : &prev))
			return 1;
		prev = *now;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct usage before, after;
	struct meminfo mid;
	int p[2], status = -1;
	long mib = 0, n;
	char buf[64];

	tap_plan(PLAN);
	long ram = swpt_ram_pages(argc, argv);
	long kill_mib = ram * KILL_NUM / KILL_DEN / SWPT_MIB_PAGES;

	int warm = ram > 0 ? swpt_push_in_child(ram * WARM_NUM / WARM_DEN) : -1;
	int quiet = settle(&before, NULL);
	tap_ok(warm == 0 && quiet && before.free_pages > 0 && before.slab_pages >= 0 &&
	       before.objects >= 0 && before.swap_free > 0,
	       "after a warm-up child touched 2x RAM: %ld free pages, %ld slab pages, "
	       "%ld slab objects, %ld free swap slots%s", before.free_pages, before.slab_pages,
	       before.objects, before.swap_free, quiet ? "" : " (never quiet)");
	if (pipe(p) != 0)
		return tap_done();
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		hog(p[1], HOG_TIMES * ram);
	}
	close(p[1]);
	while (mib < kill_mib && (n = read(p[0], buf, sizeof(buf))) > 0)
		mib += n;
	meminfo_read(&mid);
	if (pid > 0)
		kill(pid, SIGKILL);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		status = -1;
	close(p[0]);
	tap_ok(mib >= kill_mib, "the child wrote %ld MiB of its 2x RAM before the kill (want %ld)",
	       mib, kill_mib);
	tap_ok(mid.swap_free_pages >= 0 && mid.swap_free_pages < before.swap_free,
	       "swap slots were in use at the kill: %ld free, %ld before",
	       mid.swap_free_pages, before.swap_free);
	tap_killed_by(status, SIGKILL, "the child died of SIGKILL");

	int back = settle(&after, &before);
	if (!tap_ok(after.free_pages + after.slab_pages == before.free_pages + before.slab_pages &&
		    after.objects == before.objects,
		    "pages and slab objects back exactly after the reap%s", back ? "" : " (5 s)"))
		tap_diag("  free pages %ld -> %ld, slab pages %ld -> %ld, slab objects %ld -> %ld",
			 before.free_pages, after.free_pages, before.slab_pages,
			 after.slab_pages, before.objects, after.objects);
	tap_is(after.swap_free, before.swap_free, "free swap slots back exactly after the reap");
	swpt_drain();
	return tap_done();
}
