/* pagoda-test: MEM=64M SWAP=256M TIMEOUT=600 */
/*
 * swapoff (issue 7): the swapoff and swapon system calls (Linux riscv64
 * numbers 225 and 224) on the swap disk /dev/vdb. With a process's pages
 * on swap, swapoff brings every one back (the process then reads its
 * pattern intact) and swapon makes the disk swap again, all slots free.
 * With more on swap than RAM can hold, swapoff fails with ENOMEM, the
 * swap stays on and nothing is lost. Also: swapon of the active disk is
 * EBUSY, swapoff of a file that is no swap area EINVAL.
 *
 *   swapoff [-r MIB]    size by MIB of RAM instead of MemTotal
 */
#include "swaputil.h"

#define LX_EBUSY        16

#define PLAN            14
#define SWAP_DEV        SWPT_SWAP_DEV
#define NOT_SWAP        "/tests/swapoff"        /* this program: no swap area */
#define SMALL_NUM       1                       /* the first worker: 1/2 of RAM */
#define SMALL_DEN       2
#define BIG_NUM         3                       /* the second: 3/2 of RAM */
#define BIG_DEN         2
#define PUSH_NUM        3                       /* a push: 3/2 of RAM */
#define PUSH_DEN        2
#define SEED_SMALL      0x4f4646534dULL         /* "OFFSM" */
#define SEED_BIG        0x4f46464247ULL         /* "OFFBG" */

enum { FILLED, VERIFIED };

/* A worker that holds npages of pattern and verifies it on command. */
struct worker {
	pid_t pid;
	int cmd;                /* write end: 'v' verify, 'q' quit */
	int out;                /* read end: its records */
	long npages;
	int status;
};

static void __attribute__((noreturn)) worker_main(int cmd, int out, long npages, uint64_t seed)
{
	char *base = swpt_map(npages, MAP_PRIVATE);
	struct swpt_rec r = { .what = FILLED, .pages = npages };
	struct swpt_walk wk;
	char c;
	long i;

	if (base == MAP_FAILED) {
		swpt_send_error(out, 0, FILLED);
		_exit(2);
	}
	for (i = 0; i < npages; i++)
		swpt_fill(SWPT_AT(base, i), i, seed);
	swpt_send(out, &r);
	while (read(cmd, &c, 1) == 1 && c == 'v') {
		r = (struct swpt_rec){ .what = VERIFIED };
		swpt_walk_init(&wk, npages, seed);
		while ((i = swpt_walk_next(&wk)) >= 0)
			swpt_note(&r, SWPT_AT(base, i), i, seed);
		swpt_send(out, &r);
	}
	_exit(0);
}

static int worker_start(struct worker *w, long npages, uint64_t seed)
{
	int cmd[2], out[2];

	w->npages = npages;
	w->status = -1;
	if (pipe(cmd) != 0 || pipe(out) != 0)
		return -1;
	w->pid = fork();
	if (w->pid == 0) {
		close(cmd[1]);
		close(out[0]);
		worker_main(cmd[0], out[1], npages, seed);
	}
	close(cmd[0]);
	close(out[1]);
	w->cmd = cmd[1];
	w->out = out[0];
	return w->pid > 0 ? 0 : -1;
}

/* The worker's next record into r; 0, or -1 if it died first. */
static int worker_next(struct worker *w, struct swpt_rec *r)
{
	long got = 0, k;

	while (got < (long)sizeof(*r) && (k = read(w->out, (char *)r + got, sizeof(*r) - got)) > 0)
		got += k;
	return got == (long)sizeof(*r) ? 0 : -1;
}

/* Ask for a verification and assert it found every page intact. */
static void worker_verify(struct worker *w, const char *desc)
{
	struct swpt_rec r;
	int ok = write(w->cmd, "v", 1) == 1 && worker_next(w, &r) == 0;

	ok = ok && r.what == VERIFIED && r.bad == 0 && r.pages == w->npages;
	if (tap_ok(ok, "%s (%ld pages)", desc, w->npages))
		return;
	if (r.bad > 0)
		tap_diag("  %ld pages wrong; first: page %ld word %ld is %#llx, want %#llx",
			 r.bad, r.first_page, r.first_word, (unsigned long long)r.got,
			 (unsigned long long)r.want);
	else
		tap_diag("  no result: the worker died");
}

static void worker_stop(struct worker *w)
{
	close(w->cmd);
	close(w->out);
	if (w->pid <= 0 || waitpid(w->pid, &w->status, 0) != w->pid)
		w->status = -1;
}

static int exited_0(int status)
{
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv)
{
	struct worker small, big;
	struct swpt_rec r;
	struct meminfo m0, m;
	long rc;

	tap_plan(PLAN);
	signal(SIGPIPE, SIG_IGN);       /* a dead worker is a result, not our end */
	long ram = swpt_ram_pages(argc, argv);
	meminfo_read(&m0);
	tap_ok(ram > 0 && m0.swap_total_pages > 0 && m0.swap_free_pages == m0.swap_total_pages,
	       "%ld pages of RAM; swap %ld slots, all free", ram, m0.swap_total_pages);
	rc = tap_sys(SYS_swapon, SWAP_DEV, 0, 0);
	tap_is(rc, -LX_EBUSY, "swapon(%s) while it is swap: EBUSY", SWAP_DEV);
	rc = tap_sys(SYS_swapoff, NOT_SWAP, 0, 0);
	tap_is(rc, -LX_EINVAL, "swapoff(%s), no swap area: EINVAL", NOT_SWAP);

	/* Everything comes back. */
	int ok = worker_start(&small, ram * SMALL_NUM / SMALL_DEN, SEED_SMALL) == 0 &&
		 worker_next(&small, &r) == 0 && r.bad == 0;
	tap_ok(ok, "a worker wrote its pattern over 0.5x RAM");
	int pushed = swpt_push_in_child(ram * PUSH_NUM / PUSH_DEN);
	meminfo_read(&m);
	tap_ok(pushed == 0 && m.swap_free_pages >= 0 && m.swap_free_pages < m.swap_total_pages,
	       "another child touched 1.5x RAM: %ld swap slots in use",
	       m.swap_total_pages - m.swap_free_pages);
	rc = tap_sys(SYS_swapoff, SWAP_DEV, 0, 0);
	tap_is(rc, 0, "swapoff(%s) brings every page back", SWAP_DEV);
	meminfo_read(&m);
	tap_ok(m.swap_total_pages == 0 && m.swap_free_pages == 0,
	       "no swap afterwards: SwapTotal %ld, SwapFree %ld pages",
	       m.swap_total_pages, m.swap_free_pages);
	worker_verify(&small, "the worker's pattern intact after swapoff");
	rc = tap_sys(SYS_swapon, SWAP_DEV, 0, 0);
	meminfo_read(&m);
	tap_ok(rc == 0 && m.swap_total_pages == m0.swap_total_pages &&
	       m.swap_free_pages == m.swap_total_pages,
	       "swapon(%s) again: %ld slots, all free (rc %ld)", SWAP_DEV,
	       m.swap_total_pages, rc);

	/* No room: ENOMEM, nothing lost. */
	ok = worker_start(&big, ram * BIG_NUM / BIG_DEN, SEED_BIG) == 0 &&
	     worker_next(&big, &r) == 0 && r.bad == 0;
	tap_ok(ok, "a second worker wrote its pattern over 1.5x RAM");
	rc = tap_sys(SYS_swapoff, SWAP_DEV, 0, 0);
	tap_is(rc, -LX_ENOMEM, "swapoff(%s) with more on swap than RAM holds: ENOMEM", SWAP_DEV);
	meminfo_read(&m);
	tap_ok(m.swap_total_pages == m0.swap_total_pages,
	       "the swap is still on: %ld slots", m.swap_total_pages);
	worker_verify(&big, "the second worker's pattern intact after the failed swapoff");
	worker_stop(&big);
	worker_stop(&small);
	if (!tap_ok(exited_0(small.status) && exited_0(big.status), "both workers exited 0")) {
		swpt_describe("the first worker", small.status);
		swpt_describe("the second worker", big.status);
	}
	if (tap_sys(SYS_swapon, SWAP_DEV, 0, 0) == 0)
		tap_diag("swap was off at the end; swapon again");
	swpt_drain();
	return tap_done();
}
