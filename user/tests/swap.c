/* pagoda-test: MEM=64M SWAP=256M TIMEOUT=600 */
/*
 * swap (issue 7): one process maps 3x RAM of private anonymous memory,
 * writes a checksummed pattern over every page, reads it back in order
 * and in a pseudo-random order, rewrites a random quarter and reads it
 * all back again: every word right, and /proc/vmstat's pswpout and pswpin
 * rose. Reading in order, the swap read-ahead (docs/vm.md) brings in at
 * least 8 pages per major fault (its window grows to 32 and the next one
 * is read while the process works through this one). The work runs in a worker child, so a kill shows as a result.
 *
 *   swap [-r MIB]    size by MIB of RAM instead of MemTotal
 */
#include "swaputil.h"

#define PLAN            10
#define RA_MIN          8               /* pages read per major fault, at least */
#define RAM_TIMES       3               /* the mapping is 3x RAM */
#define SEED            0x5357415031ULL /* "SWAP1" */

int main(int argc, char **argv)
{
	struct swpt_rec recs[SWPT_MAX_RECS];
	struct meminfo m;
	int p[2], status = -1, n;

	tap_plan(PLAN);
	long ram = swpt_ram_pages(argc, argv);
	long npages = RAM_TIMES * ram;
	meminfo_read(&m);
	tap_ok(ram > 0 && m.swap_total_pages > npages - m.total_pages,
	       "%ld pages of RAM, swap %ld pages: room for 3x RAM (%ld pages)",
	       ram, m.swap_total_pages, npages);
	long out0 = swpt_vmstat("pswpout"), in0 = swpt_vmstat("pswpin");

	if (pipe(p) != 0)
		return tap_done();
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		swpt_exercise(p[1], 0, npages, SEED);
	}
	close(p[1]);
	n = swpt_collect(p[0], recs, SWPT_MAX_RECS);
	close(p[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		status = -1;
	if (!tap_ok(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "the worker ran to its end"))
		swpt_describe("the worker", status);
	swpt_ok(recs, n, 0, SWPT_FILL, npages, "wrote the pattern over 3x RAM");
	swpt_ok(recs, n, 0, SWPT_SEQ, npages, "read back in order: every page intact");
	const struct swpt_rec *seq = swpt_find(recs, n, 0, SWPT_SEQ);
	tap_ok(seq != NULL && seq->majflt > 0 && seq->pswpin >= RA_MIN * seq->majflt,
	       "read in order: %ld pages from swap in %ld major faults (read-ahead)",
	       seq ? seq->pswpin : 0L, seq ? seq->majflt : 0L);
	swpt_ok(recs, n, 0, SWPT_RANDOM, npages, "read back in random order: every page intact");
	const struct swpt_rec *rw = swpt_find(recs, n, 0, SWPT_REWRITE);
	tap_ok(rw != NULL && rw->pages > npages / (2 * SWPT_REWRITE_ONE_IN) &&
	       rw->pages < npages / 2,
	       "rewrote a random quarter with another seed (%ld pages)", rw ? rw->pages : 0L);
	swpt_ok(recs, n, 0, SWPT_FINAL, npages,
		"after the rewrite, every page in another order holds its seed");
	swpt_rose("pswpout", out0);
	swpt_rose("pswpin", in0);
	swpt_drain();
	return tap_done();
}
