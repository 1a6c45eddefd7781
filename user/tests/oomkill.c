/* pagoda-test: MEM=64M SWAP=64M TIMEOUT=400 */
/* pagoda-test: EXPECT_CONSOLE=^pagoda: out of memory: killed pid [0-9]+ \(hog\), rss [0-9]+ kB, swap [0-9]+ kB$ */
/*
 * oomkill (issue 7): when RAM and swap are both full, the OOM killer
 * kills the biggest process, and only it. A child named "hog" (this
 * program exec'd through a link of that name) maps and touches 1 MiB
 * after 1 MiB with no end; a bystander holds 2 MiB of pattern and checks
 * it over and over meanwhile. The hog must die of SIGKILL with the
 * kernel's one line on the console (checked by the runner: the second
 * pagoda-test line), oom_kill in /proc/vmstat rise, the bystander finish
 * normally with its data intact, and this program go on. The suite oom
 * accepts ENOMEM instead; this one, on a small machine with swap, does not
 * (a user allocation sleeps until memory is freed, it never fails).
 */
#include "swaputil.h"

#include <sys/stat.h>
#include <time.h>

#define PLAN            5
#define CHUNK_PAGES     SWPT_MIB_PAGES  /* the hog's mmap: 1 MiB */
#define MARGIN_MIB      256             /* the hog gives up past RAM + swap + this */
#define BYSTANDER_PAGES 512             /* 2 MiB */
#define AFTER_PAGES     1024            /* what this program maps at the end */
#define PAUSE_NS        200000000L      /* the bystander's pause between checks */
#define MIN_ROUNDS      2
#define SEED_BY         0x4259ULL       /* "BY" */
#define SEED_AFTER      0x4146ULL       /* "AF" */
#define EXIT_CAP        1               /* the hog never ran out */
#define EXIT_ENOMEM     2               /* an mmap failed */

static char dir[64], hog_path[96];

/* exec'd as "hog": take memory until killed. */
static void __attribute__((noreturn)) hog(long cap_mib)
{
	for (long mib = 0; mib < cap_mib; mib++) {
		char *p = swpt_map(CHUNK_PAGES, MAP_PRIVATE);
		if (p == MAP_FAILED)
			_exit(EXIT_ENOMEM);
		for (long i = 0; i < CHUNK_PAGES; i++)
			*(volatile long *)SWPT_AT(p, i) = mib;
	}
	_exit(EXIT_CAP);
}

/* Check 2 MiB of pattern until *done; exit 0 if every check was clean
 * and there were at least MIN_ROUNDS. rounds counts them for the test. */
static void __attribute__((noreturn)) bystander(volatile long *done, volatile long *rounds)
{
	struct timespec ts = { 0, PAUSE_NS };
	char *p = swpt_map(BYSTANDER_PAGES, MAP_PRIVATE);
	int bad = 0;

	if (p == MAP_FAILED)
		_exit(2);
	for (long i = 0; i < BYSTANDER_PAGES; i++)
		swpt_fill(SWPT_AT(p, i), i, SEED_BY);
	do {
		for (long i = 0; i < BYSTANDER_PAGES; i++)
			bad += swpt_check(SWPT_AT(p, i), i, SEED_BY) >= 0;
		++*rounds;
		nanosleep(&ts, NULL);
	} while (!*done);
	_exit(bad == 0 && *rounds >= MIN_ROUNDS ? 0 : 1);
}

int main(int argc, char **argv)
{
	struct meminfo m;
	int hs = -1, bs = -1;

	if (argc == 3 && strcmp(argv[1], "--hog") == 0)
		hog(atol(argv[2]));
	tap_plan(PLAN);
	meminfo_read(&m);
	long cap = (m.total_pages + (m.swap_total_pages > 0 ? m.swap_total_pages : 0)) /
		   SWPT_MIB_PAGES + MARGIN_MIB;
	snprintf(dir, sizeof(dir), "/tmp/oomkill-%d", (int)getpid());
	snprintf(hog_path, sizeof(hog_path), "%s/hog", dir);
	int linked = mkdir(dir, 0755) == 0 && link("/tests/oomkill", hog_path) == 0;
	volatile long *flags = swpt_map(1, MAP_SHARED);
	tap_ok(linked && flags != MAP_FAILED && m.total_pages > 0,
	       "%s made; RAM %ld MiB, swap %ld MiB, the hog gives up at %ld MiB",
	       hog_path, m.total_pages / SWPT_MIB_PAGES, m.swap_total_pages / SWPT_MIB_PAGES, cap);
	if (!linked || flags == MAP_FAILED)
		goto out;
	long kills0 = swpt_vmstat("oom_kill");

	pid_t by = fork();
	if (by == 0)
		bystander(&flags[0], &flags[1]);
	pid_t h = fork();
	if (h == 0) {
		char capstr[24];
		snprintf(capstr, sizeof(capstr), "%ld", cap);
		char *args[] = { "hog", "--hog", capstr, NULL };
		execv(hog_path, args);
		_exit(127);
	}
	if (h < 0 || waitpid(h, &hs, 0) != h)
		hs = -1;
	if (!tap_killed_by(hs, SIGKILL, "the hog died of SIGKILL (the OOM killer)") &&
	    hs != -1 && WIFEXITED(hs))
		tap_diag("  exit %d: 1 never ran out, 2 an mmap failed (ENOMEM), 127 exec failed",
			 WEXITSTATUS(hs));
	swpt_rose("oom_kill", kills0);
	flags[0] = 1;
	if (by < 0 || waitpid(by, &bs, 0) != by)
		bs = -1;
	if (!tap_ok(bs != -1 && WIFEXITED(bs) && WEXITSTATUS(bs) == 0,
		    "the bystander checked its 2 MiB %ld times, intact, and finished", flags[1]))
		swpt_describe("the bystander", bs);

	char *p = swpt_map(AFTER_PAGES, MAP_PRIVATE);
	int bad = p == MAP_FAILED;
	for (long i = 0; !bad && i < AFTER_PAGES; i++)
		swpt_fill(SWPT_AT(p, i), i, SEED_AFTER);
	for (long i = 0; !bad && i < AFTER_PAGES; i++)
		bad = swpt_check(SWPT_AT(p, i), i, SEED_AFTER) >= 0;
	tap_ok(!bad, "this program goes on: 4 MiB mapped, written and read back");
	if (p != MAP_FAILED)
		munmap(p, AFTER_PAGES * SWPT_PAGE);
out:
	if (flags != MAP_FAILED)
		munmap((void *)flags, SWPT_PAGE);
	unlink(hog_path);
	rmdir(dir);
	swpt_drain();
	return tap_done();
}
