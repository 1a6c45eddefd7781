/* pagoda-test: MEM=64M SWAP=64M TIMEOUT=600 */
/*
 * swapfull (issue 7): swap more than half full, pages read back from it
 * give their slots up (swapin_frees_slots_when_swap_half_full). A process
 * maps RAM plus three quarters of swap, writes a pattern over it, then
 * reads it all back twice: every byte is right, and after each read pass
 * the swap cache (SwapCached: pages both resident and on swap) is small.
 * Before the fix the pages read back kept their slots, so the pages
 * without one had nowhere to go and the process thrashed for minutes.
 *
 *   swapfull [-r MIB]    size by MIB of RAM instead of MemTotal
 */
#include "swaputil.h"

#define PLAN            6
#define SEED            0x46554c4cULL   /* "FULL" */
#define CACHED_MAX_PCT  10              /* of the pages read back */

/* SwapCached in pages, -1 if missing. */
static long swap_cached_pages(void)
{
	struct meminfo m;

	if (meminfo_read(&m) != 0)
		return -1;
	return meminfo_field(meminfo_text, "SwapCached", 1);
}

int main(int argc, char **argv)
{
	long ram = swpt_ram_pages(argc, argv), npages, bad = -1, cached[2];
	struct meminfo m;
	char *base;

	tap_plan(PLAN);
	if (!tap_ok(meminfo_read(&m) == 0 && ram > 0 && m.swap_total_pages > 0,
		    "RAM %ld and swap %ld pages in /proc/meminfo", ram,
		    m.swap_total_pages))
		return tap_done();
	npages = ram + m.swap_total_pages * 3 / 4;
	base = swpt_map(npages, MAP_PRIVATE);
	if (!tap_ok(base != MAP_FAILED, "map RAM plus 3/4 of swap: %ld MiB",
		    npages / SWPT_MIB_PAGES))
		return tap_done();
	for (long i = 0; i < npages; i++)
		swpt_fill(SWPT_AT(base, i), i, SEED);
	meminfo_read(&m);
	tap_ok(m.swap_free_pages >= 0 && m.swap_free_pages * 2 < m.swap_total_pages,
	       "swap is more than half full after the writes (%ld of %ld free)",
	       m.swap_free_pages, m.swap_total_pages);
	for (int pass = 0; pass < 2; pass++) {
		for (long i = 0; i < npages && bad < 0; i++)
			if (swpt_check(SWPT_AT(base, i), i, SEED) >= 0)
				bad = i;
		cached[pass] = swap_cached_pages();
		tap_ok(bad < 0, "read pass %d: every page intact (first bad %ld)",
		       pass + 1, bad);
	}
	tap_ok(cached[0] >= 0 && cached[1] >= 0 &&
	       cached[0] * 100 <= npages * CACHED_MAX_PCT &&
	       cached[1] * 100 <= npages * CACHED_MAX_PCT,
	       "swap cache after each pass: %ld, %ld pages (at most %d%% of %ld)",
	       cached[0], cached[1], CACHED_MAX_PCT, npages);
	munmap(base, (size_t)npages * SWPT_PAGE);
	return tap_done();
}
