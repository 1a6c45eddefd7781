/* pagoda-test: MEM=64M SWAP=256M TIMEOUT=600 */
/*
 * swapfork (issue 7): fork of a process whose pages are on swap. A
 * worker writes a pattern over 1.5x RAM (so most of it goes to swap) and
 * forks; parent and child both read the shared pattern back, then each
 * rewrites its own set of pages (overlapping: every third page is
 * rewritten by both, with different seeds) and reads its whole copy
 * back: its own writes, the old pattern elsewhere, never the other's.
 * The parent reads its copy once more after the child has exited.
 *
 *   swapfork [-r MIB]    size by MIB of RAM instead of MemTotal
 */
#include "swaputil.h"

#define PLAN            11
#define SIZE_NUM        3               /* the region is 3/2 of RAM */
#define SIZE_DEN        2
#define SEED_SHARED     0x464f524b41ULL /* "FORKA" */
#define SEED_PARENT     0x464f524b50ULL /* "FORKP" */
#define SEED_CHILD      0x464f524b43ULL /* "FORKC" */
#define WHO_PARENT      0
#define WHO_CHILD       1

enum { FILLED, BEFORE, AFTER, CHILD_EXIT, AFTER_EXIT };

/* The seed page i of each side's copy holds once both have written. */
static uint64_t seed_after(int who, long i)
{
	if (who == WHO_PARENT)
		return i % 3 == 0 ? SEED_PARENT : SEED_SHARED;
	return i % 3 != 2 ? SEED_CHILD : SEED_SHARED;
}

static int writes(int who, long i)
{
	return seed_after(who, i) != SEED_SHARED;
}

/* Read the whole region in random order against seed_after (or the
 * shared pattern alone when `before`) and send the result. */
static void verify(int fd, int who, int what, char *base, long npages, int before)
{
	struct swpt_rec r = { .who = who, .what = what };
	struct swpt_walk wk;
	long i;

	swpt_walk_init(&wk, npages, SEED_SHARED + (uint64_t)(who * 8 + what));
	while ((i = swpt_walk_next(&wk)) >= 0)
		swpt_note(&r, SWPT_AT(base, i), i, before ? SEED_SHARED : seed_after(who, i));
	swpt_send(fd, &r);
}

/* One side after the fork: check, write its pages, tell the other side
 * and wait for it (so the other's writes are all made before this side
 * reads), check again. */
static void side(int fd, int who, char *base, long npages, int tell, int hear)
{
	char c = 'w';

	verify(fd, who, BEFORE, base, npages, 1);
	for (long i = 0; i < npages; i++)
		if (writes(who, i))
			swpt_fill(SWPT_AT(base, i), i, seed_after(who, i));
	if (write(tell, &c, 1) != 1 || read(hear, &c, 1) != 1)
		_exit(5);
	verify(fd, who, AFTER, base, npages, 0);
}

static void __attribute__((noreturn)) worker(int fd, long npages)
{
	int p2c[2], c2p[2], status = -1;
	char *base = swpt_map(npages, MAP_PRIVATE);
	struct swpt_rec r = { .who = WHO_PARENT, .what = FILLED, .pages = npages };

	if (base == MAP_FAILED || pipe(p2c) != 0 || pipe(c2p) != 0) {
		swpt_send_error(fd, WHO_PARENT, FILLED);
		_exit(2);
	}
	for (long i = 0; i < npages; i++)
		swpt_fill(SWPT_AT(base, i), i, SEED_SHARED);
	swpt_send(fd, &r);
	pid_t pid = fork();
	if (pid == 0) {
		side(fd, WHO_CHILD, base, npages, c2p[1], p2c[0]);
		_exit(0);
	}
	if (pid < 0) {
		swpt_send_error(fd, WHO_PARENT, CHILD_EXIT);
		_exit(2);
	}
	side(fd, WHO_PARENT, base, npages, p2c[1], c2p[0]);
	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	r = (struct swpt_rec){ .who = WHO_CHILD, .what = CHILD_EXIT, .pages = 1,
			       .bad = !(status != -1 && WIFEXITED(status) &&
					WEXITSTATUS(status) == 0),
			       .got = (uint64_t)status };
	swpt_send(fd, &r);
	verify(fd, WHO_PARENT, AFTER_EXIT, base, npages, 0);
	_exit(0);
}

int main(int argc, char **argv)
{
	static struct swpt_rec recs[SWPT_MAX_RECS];
	struct meminfo m;
	int p[2], status = -1, n;

	tap_plan(PLAN);
	long ram = swpt_ram_pages(argc, argv);
	long npages = ram * SIZE_NUM / SIZE_DEN;
	meminfo_read(&m);
	/* The parent's region, plus the child's copies of 2/3 of it. */
	tap_ok(ram > 0 && m.swap_total_pages > npages * 5 / 3 - m.total_pages,
	       "%ld pages of RAM, swap %ld pages: room for %ld pages and the child's copies",
	       ram, m.swap_total_pages, npages);
	long out0 = swpt_vmstat("pswpout"), in0 = swpt_vmstat("pswpin");

	if (pipe(p) != 0)
		return tap_done();
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		worker(p[1], npages);
	}
	close(p[1]);
	n = swpt_collect(p[0], recs, SWPT_MAX_RECS);
	close(p[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		status = -1;
	if (!tap_ok(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "the forking worker ran to its end"))
		swpt_describe("the worker", status);
	swpt_ok(recs, n, WHO_PARENT, FILLED, npages, "wrote the pattern over 1.5x RAM, then forked");
	swpt_ok(recs, n, WHO_PARENT, BEFORE, npages, "parent after the fork: the pattern intact");
	swpt_ok(recs, n, WHO_CHILD, BEFORE, npages, "child after the fork: the pattern intact");
	swpt_ok(recs, n, WHO_CHILD, AFTER, npages,
		"child: its own writes and the old pattern, none of the parent's");
	swpt_ok(recs, n, WHO_PARENT, AFTER, npages,
		"parent: its own writes and the old pattern, none of the child's");
	const struct swpt_rec *ce = swpt_find(recs, n, WHO_CHILD, CHILD_EXIT);
	if (!tap_ok(ce != NULL && ce->bad == 0, "the child exited 0"))
		swpt_describe("the child", ce ? (int)ce->got : -1);
	swpt_ok(recs, n, WHO_PARENT, AFTER_EXIT, npages,
		"parent after the child's exit: its copy unchanged");
	swpt_rose("pswpout", out0);
	swpt_rose("pswpin", in0);
	swpt_drain();
	return tap_done();
}
