/* pagoda-test: MEM=64M SWAP=256M CPUS=4 TIMEOUT=600 */
/*
 * swap4 (issue 7): four processes on four harts, each mapping 0.75x RAM
 * of private anonymous memory (3x RAM together), run swap's workout at
 * the same time: pattern written, read back in order and in random
 * order, a quarter rewritten, all read back. Each has its own seed, so
 * a page of one process showing up in another is caught.
 *
 *   swap4 [-r MIB]    size by MIB of RAM instead of MemTotal
 */
#include "swaputil.h"

#define PLAN            7
#define WORKERS         4
#define SHARE_NUM       3               /* each maps 3/4 of RAM */
#define SHARE_DEN       4
#define SEED            0x5357415034ULL /* "SWAP4" */

/* Worker k: wait for the start (all mapped at once), then the workout. */
static void worker(int k, int go, int out, long npages)
{
	char c;

	if (read(go, &c, 1) != 1)
		_exit(4);
	close(go);
	swpt_exercise(out, k, npages, swpt_mix(SEED + (uint64_t)k));
}

int main(int argc, char **argv)
{
	static struct swpt_rec recs[SWPT_MAX_RECS];
	struct meminfo m;
	pid_t pids[WORKERS];
	int status[WORKERS];
	int go[2], out[2], n;

	tap_plan(PLAN);
	long ram = swpt_ram_pages(argc, argv);
	long npages = ram * SHARE_NUM / SHARE_DEN;
	meminfo_read(&m);
	tap_ok(ram > 0 && m.swap_total_pages > WORKERS * npages - m.total_pages,
	       "%ld pages of RAM, swap %ld pages: room for 4 x %ld pages",
	       ram, m.swap_total_pages, npages);
	long out0 = swpt_vmstat("pswpout"), in0 = swpt_vmstat("pswpin");

	if (pipe(go) != 0 || pipe(out) != 0)
		return tap_done();
	for (int k = 0; k < WORKERS; k++) {
		pids[k] = fork();
		if (pids[k] == 0) {
			close(go[1]);
			close(out[0]);
			worker(k, go[0], out[1], npages);
		}
	}
	close(go[0]);
	close(out[1]);
	for (int k = 0; k < WORKERS; k++)
		if (write(go[1], "g", 1) != 1)
			break;
	close(go[1]);
	n = swpt_collect(out[0], recs, SWPT_MAX_RECS);
	close(out[0]);
	for (int k = 0; k < WORKERS; k++)
		if (pids[k] < 0 || waitpid(pids[k], &status[k], 0) != pids[k])
			status[k] = -1;
	for (int k = 0; k < WORKERS; k++) {
		int ok = status[k] != -1 && WIFEXITED(status[k]) && WEXITSTATUS(status[k]) == 0;
		long bad = 0, passes = 0;

		for (int what = 0; what < SWPT_NPASSES; what++) {
			const struct swpt_rec *r = swpt_find(recs, n, k, what);
			if (r != NULL && r->bad == 0)
				passes++;
			else
				bad += r != NULL && r->bad > 0 ? r->bad : 0;
		}
		ok = ok && passes == SWPT_NPASSES;
		if (tap_ok(ok, "worker %d: %ld pages written, read in two orders, a quarter "
			   "rewritten, all read back intact", k, npages))
			continue;
		swpt_describe("the worker", status[k]);
		tap_diag("  %ld of %d passes clean, %ld bad pages", passes, SWPT_NPASSES, bad);
		for (int what = 0; what < SWPT_NPASSES; what++) {
			const struct swpt_rec *r = swpt_find(recs, n, k, what);
			if (r != NULL && r->bad > 0)
				tap_diag("  pass %d: first bad page %ld word %ld: %#llx, want %#llx",
					 what, r->first_page, r->first_word,
					 (unsigned long long)r->got, (unsigned long long)r->want);
		}
	}
	swpt_rose("pswpout", out0);
	swpt_rose("pswpin", in0);
	swpt_drain();
	return tap_done();
}
