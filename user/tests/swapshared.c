/* pagoda-test: MEM=64M SWAP=256M TIMEOUT=600 */
/*
 * swapshared (issue 7): MAP_SHARED|MAP_ANONYMOUS memory (a swap-backed
 * anonymous object) between a parent and its child, pushed to swap and
 * back. The region is 0.6x RAM; before each side reads, another child
 * touches 1.5x RAM of private memory, so the shared pages have to go to
 * swap. The child reads the parent's pattern and writes its own; the
 * parent reads the child's and writes another; the child reads that.
 *
 *   swapshared [-r MIB]    size by MIB of RAM instead of MemTotal
 */
#include "swaputil.h"

#define PLAN            10
#define SIZE_NUM        3               /* the shared region: 3/5 of RAM */
#define SIZE_DEN        5
#define PUSH_NUM        3               /* each push: 3/2 of RAM */
#define PUSH_DEN        2
#define PUSHES          3
#define SEED_PARENT1    0x5348415231ULL /* "SHAR1" */
#define SEED_CHILD      0x5348415243ULL /* "SHARC" */
#define SEED_PARENT2    0x5348415232ULL /* "SHAR2" */
#define WHO_PARENT      0
#define WHO_CHILD       1

enum { FILLED, PUSHED, CHILD_SEES_FIRST, PARENT_SEES_CHILD, CHILD_SEES_SECOND,
       CHILD_EXIT };

static void fill(char *base, long npages, uint64_t seed)
{
	for (long i = 0; i < npages; i++)
		swpt_fill(SWPT_AT(base, i), i, seed);
}

static void verify(int fd, int who, int what, char *base, long npages, uint64_t seed)
{
	struct swpt_rec r = { .who = who, .what = what };
	struct swpt_walk wk;
	long i;

	swpt_walk_init(&wk, npages, seed + (uint64_t)what);
	while ((i = swpt_walk_next(&wk)) >= 0)
		swpt_note(&r, SWPT_AT(base, i), i, seed);
	swpt_send(fd, &r);
}

static void handoff(int tell, int hear)
{
	char c = 'h';

	if (write(tell, &c, 1) != 1 || read(hear, &c, 1) != 1)
		_exit(5);
}

static void __attribute__((noreturn)) worker(int fd, long npages, long push_pages)
{
	int p2c[2], c2p[2], status = -1, pushes_ok = 0;
	char *base = swpt_map(npages, MAP_SHARED);
	struct swpt_rec r = { .who = WHO_PARENT, .what = FILLED, .pages = npages };
	char c = 'h';

	if (base == MAP_FAILED || pipe(p2c) != 0 || pipe(c2p) != 0) {
		swpt_send_error(fd, WHO_PARENT, FILLED);
		_exit(2);
	}
	fill(base, npages, SEED_PARENT1);
	swpt_send(fd, &r);
	pid_t pid = fork();
	if (pid == 0) {
		if (read(p2c[0], &c, 1) != 1)           /* pushed: read */
			_exit(5);
		verify(fd, WHO_CHILD, CHILD_SEES_FIRST, base, npages, SEED_PARENT1);
		fill(base, npages, SEED_CHILD);
		handoff(c2p[1], p2c[0]);                /* pushed again: read */
		verify(fd, WHO_CHILD, CHILD_SEES_SECOND, base, npages, SEED_PARENT2);
		_exit(0);
	}
	if (pid < 0) {
		swpt_send_error(fd, WHO_CHILD, CHILD_EXIT);
		_exit(2);
	}
	pushes_ok += swpt_push_in_child(push_pages) == 0;
	if (write(p2c[1], &c, 1) != 1 || read(c2p[0], &c, 1) != 1)
		_exit(5);
	pushes_ok += swpt_push_in_child(push_pages) == 0;
	verify(fd, WHO_PARENT, PARENT_SEES_CHILD, base, npages, SEED_CHILD);
	fill(base, npages, SEED_PARENT2);
	pushes_ok += swpt_push_in_child(push_pages) == 0;
	if (write(p2c[1], &c, 1) != 1)
		_exit(5);
	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	r = (struct swpt_rec){ .who = WHO_PARENT, .what = PUSHED, .pages = pushes_ok };
	swpt_send(fd, &r);
	r = (struct swpt_rec){ .who = WHO_CHILD, .what = CHILD_EXIT, .pages = 1,
			       .bad = !(status != -1 && WIFEXITED(status) &&
					WEXITSTATUS(status) == 0),
			       .got = (uint64_t)status };
	swpt_send(fd, &r);
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
	long push_pages = ram * PUSH_NUM / PUSH_DEN;
	meminfo_read(&m);
	tap_ok(ram > 0 && m.swap_total_pages > npages + push_pages - m.total_pages,
	       "%ld pages of RAM, swap %ld pages: room for %ld shared and %ld pushing",
	       ram, m.swap_total_pages, npages, push_pages);
	long out0 = swpt_vmstat("pswpout"), in0 = swpt_vmstat("pswpin");

	if (pipe(p) != 0)
		return tap_done();
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		worker(p[1], npages, push_pages);
	}
	close(p[1]);
	n = swpt_collect(p[0], recs, SWPT_MAX_RECS);
	close(p[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		status = -1;
	if (!tap_ok(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "the worker ran to its end"))
		swpt_describe("the worker", status);
	swpt_ok(recs, n, WHO_PARENT, FILLED, npages,
		"parent wrote its pattern over 0.6x RAM of MAP_SHARED|MAP_ANONYMOUS");
	const struct swpt_rec *pu = swpt_find(recs, n, WHO_PARENT, PUSHED);
	tap_ok(pu != NULL && pu->pages == PUSHES,
	       "%d times another child touched 1.5x RAM and ended normally (%ld)",
	       PUSHES, pu ? pu->pages : 0L);
	swpt_ok(recs, n, WHO_CHILD, CHILD_SEES_FIRST, npages, "child reads the parent's pattern");
	swpt_ok(recs, n, WHO_PARENT, PARENT_SEES_CHILD, npages,
		"parent reads every page the child wrote");
	swpt_ok(recs, n, WHO_CHILD, CHILD_SEES_SECOND, npages,
		"child reads every page the parent wrote back");
	const struct swpt_rec *ce = swpt_find(recs, n, WHO_CHILD, CHILD_EXIT);
	if (!tap_ok(ce != NULL && ce->bad == 0, "the child exited 0"))
		swpt_describe("the child", ce ? (int)ce->got : -1);
	swpt_rose("pswpout", out0);
	swpt_rose("pswpin", in0);
	swpt_drain();
	return tap_done();
}
