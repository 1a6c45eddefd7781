/*
 * cow: copy-on-write fork. A fork of 64 MiB of touched heap copies no page
 * until one is written; a heap of two thirds of free memory forks and both
 * sides write; three generations keep their writes apart (anonymous
 * memory, .data and .bss); the kernel's own stores (read(), pread(),
 * pipe(), fstat() into a copy-on-write page) copy too; and 100 rounds of
 * nested forks on all harts give back every page, anon and amap.
 * Children report through exit codes or a shared page, never through TAP.
 */
#include "vmcounters.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define PLAN            49
#define PAGE            4096L
#define MIB             (1L << 20)
#define KIB             1024L

/* Fork of touched heap. */
#define TOUCHED_BYTES   (64 * MIB)
#define TOUCHED_PAGES   (TOUCHED_BYTES / PAGE)
#define CHILD_WRITES    256                /* pages the child writes */
#define PARENT_WRITES   256                /* pages the parent writes */
/*
 * What a fork costs by the first reading after it, measured 19 pages: 4
 * kernel stack, 5 page tables (the child's root, and an L1 and an L0
 * table each for text/data and stack), 6 slab pages (process, mspace,
 * VMAs, amaps, pv entries) and FORK_NEW_ANONS anons. The bound leaves
 * room for a slab page in each further cache the new objects may open;
 * copying the heap would cost 16384 pages.
 */
#define FORK_MAX_PAGES  32
/* Anons a fork adds before the first reading: the stack page the parent
 * and the child each wrote first after it, and the parent's two reading
 * buffers (vmc_text, meminfo_text; a reading copies them on write after
 * its counters were taken, so lazy_fork reads twice). Measured 4. */
#define FORK_NEW_ANONS  4
/* The child's 256 writes cost 256 anons (exactly: nothing else writes a
 * shared page between the readings) and slab pages: its needs-copy copy
 * of the amap's one-page chunks (16384 slots / 512 a chunk = 32), and the
 * anons (40 bytes), pv entries (24 bytes) and amap directory of the
 * copy: measured 38 in all, 6 beyond the chunks. */
#define AMAP_CHUNK_SLOTS 512               /* anon pointers in a page */
#define COPY_AMAP_PAGES (TOUCHED_PAGES / AMAP_CHUNK_SLOTS)
#define COPY_OBJ_PAGES  6                  /* 3 anon, 2 pv_entry, 1 amap */
/* Amaps a fork adds: the needs-copy copies of the stack's amap the
 * parent and the child each made on their first write. Measured 2. */
#define FORK_NEW_AMAPS  2
/*
 * Slab pages of moved objects (vmc_pages_back): objects the parent made
 * after a fork and keeps (its anons: FORK_NEW_ANONS but the child's
 * stack page; their pv entries; its amap copy and that amap's directory)
 * are taken from whatever slab of their cache is partial then: with a
 * big region's 16384 anons and pv entries live, a late one. When the
 * region goes, each can keep one otherwise empty slab page (never more:
 * the slab object count must be back exactly, and an empty slab is
 * freed at once). So at most 2 * 3 + 2 = 8; measured 1 to 3.
 */
#define MOVED_SLAB_PAGES (2 * (FORK_NEW_ANONS - 1) + 2 * (FORK_NEW_AMAPS / 2))

/* The big heap. */
#define BIG_NUM         2                  /* heap = 2/3 of free memory */
#define BIG_DEN         3
#define BIG_MAX_BYTES   (512 * MIB)        /* bounded time on big machines */
#define BIG_STRIDE      8                  /* each side writes 1 page in 8 */
#define CHILD_LANE      1                  /* which page of each 8 */
#define PARENT_LANE     2

/* Generations. */
#define GEN_PAGES       8
#define GEN_DATA_WORDS  1024               /* 8 KiB of .data and of .bss */
#define WAIT_SECONDS    30                 /* a generation waits this long */

/* Copyout. */
#define COPY_OFF        100                /* read() target straddles pages */
#define SENTINEL        0x5a

/* Nested rounds. */
#define ROUNDS          100
#define WORKERS         4
#define DEPTH           3                  /* worker, child, grandchild */
#define ROUND_PAGES     8
#define STACK_PREFAULT  (64 * KIB)
/*
 * Slab pages of moved objects after a round (vmc_pages_back): the top
 * process writes its stack while its workers still share it, so each
 * round it makes new anons for up to 2 stack pages, their pv entries, a
 * copy of its stack's amap and that amap's directory, and frees the old
 * ones when the workers exit; each new object can sit alone in a slab
 * page. So at most 2 * 2 + 2 = 6; measured 0 (2 harts) and 1 (4 harts,
 * from some round on).
 */
#define ROUND_MOVED_SLAB_PAGES (2 * 2 + 2)

static const char tmp_file[] = "/tmp/cow-file";

/* ---------------------------------------------------------------- helpers */

/* The word a writer `who` stores in page i. */
static long tag(long i, int who)
{
	return (i + 1) * 0x9e3779b97f4a7c15L ^ ((long)who << 56) ^ who;
}

/* Stamp page i of base (first and last word) for who. */
static void stamp(unsigned char *base, long i, int who)
{
	long *w = (long *)(base + i * PAGE);

	w[0] = tag(i, who);
	w[PAGE / sizeof(long) - 1] = ~tag(i, who);
}

static int stamped(const unsigned char *base, long i, int who)
{
	const long *w = (const long *)(base + i * PAGE);

	return w[0] == tag(i, who) && w[PAGE / sizeof(long) - 1] == ~tag(i, who);
}

/* Print n failed assertions when their set-up failed. */
static void fail_rest(int n, const char *why)
{
	for (int i = 0; i < n; i++)
		tap_ok(0, "skipped: %s", why);
}

static int all_bytes(const unsigned char *p, long n, unsigned char v)
{
	for (long i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static int send_byte(int fd)
{
	char c = 1;

	return write(fd, &c, 1) == 1;
}

static int recv_byte(int fd)
{
	char c;

	return read(fd, &c, 1) == 1;
}

/* Counter k grew by at least want between a and b (fails with a diagnostic
 * if the kernel does not report it). */
static void grew_by(const struct vmc *a, const struct vmc *b, int k, long want, const char *what)
{
	if (a->v[k] < 0 || b->v[k] < 0) {
		tap_ok(0, "%s", what);
		vmc_missing(k);
		return;
	}
	if (!tap_ok(b->v[k] - a->v[k] >= want, "%s", what))
		tap_diag("  grew by %ld, expected at least %ld", b->v[k] - a->v[k], want);
}

/* Wait for the child and report its exit. */
static int reap(pid_t pid)
{
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* Use the stack once so later calls find its pages (a reading of the
 * counters must not be disturbed by stack growth). */
static int prefault_stack(void)
{
	volatile char area[STACK_PREFAULT];

	for (long i = 0; i < STACK_PREFAULT; i += PAGE)
		area[i] = 0;
	area[STACK_PREFAULT - 1] = 0;
	return area[0];
}

/* ------------------------------------------- fork copies no page (64 MiB) */

/* The child of test_fork_copies_nothing: wait, write its pages, wait,
 * check everything. Exit 0, or a code naming the first failure. */
static void lazy_child(unsigned char *heap, int ready, int go)
{
	send_byte(ready);
	if (!recv_byte(go))
		_exit(10);
	for (long i = 0; i < CHILD_WRITES; i++)
		stamp(heap, i, 'C');
	send_byte(ready);
	if (!recv_byte(go))
		_exit(11);
	for (long i = 0; i < TOUCHED_PAGES; i++)
		if (!stamped(heap, i, i < CHILD_WRITES ? 'C' : 'P'))
			_exit(i < CHILD_WRITES ? 12 : i < CHILD_WRITES + PARENT_WRITES ? 13 : 14);
	_exit(0);
}

static void check_fork_cost(const struct vmc *before, const struct vmc *after)
{
	long drop = before->v[VMC_FREE] - after->v[VMC_FREE];

	if (!tap_ok(before->v[VMC_FREE] >= 0 && drop <= FORK_MAX_PAGES,
		    "fork of 64 MiB of touched heap takes at most %d pages", FORK_MAX_PAGES)) {
		tap_diag("  free pages before %ld, after %ld (%ld KiB used)",
			 before->v[VMC_FREE], after->v[VMC_FREE], drop * PAGE / KIB);
	}
	vmc_explain(before, after);     /* the cost, measured */
	if (before->v[VMC_ANONS] < 0) {
		tap_ok(0, "fork adds no anon for the shared heap");
		vmc_missing(VMC_ANONS);
	} else if (!tap_ok(after->v[VMC_ANONS] - before->v[VMC_ANONS] <= FORK_NEW_ANONS,
			   "fork adds no anon for the shared heap")) {
		tap_diag("  anons before %ld, after %ld", before->v[VMC_ANONS], after->v[VMC_ANONS]);
	}
}

static void check_copy_cost(const struct vmc *a, const struct vmc *b)
{
	long drop = a->v[VMC_FREE] - b->v[VMC_FREE];
	long slab = b->v[VMC_SLAB_PAGES] - a->v[VMC_SLAB_PAGES];
	long anons = b->v[VMC_ANONS] - a->v[VMC_ANONS];

	if (!tap_ok(a->v[VMC_FREE] >= 0 && a->v[VMC_SLAB_PAGES] >= 0 && anons == CHILD_WRITES &&
		    slab >= COPY_AMAP_PAGES && slab <= COPY_AMAP_PAGES + COPY_OBJ_PAGES &&
		    drop == anons + slab,
		    "the child's writes to 256 pages copy 256 pages, plus its amap's %ld chunks",
		    COPY_AMAP_PAGES)) {
		tap_diag("  %ld pages used; expected %d anons and %ld to %ld slab pages", drop,
			 CHILD_WRITES, COPY_AMAP_PAGES, COPY_AMAP_PAGES + COPY_OBJ_PAGES);
		vmc_explain(a, b);
	}
	grew_by(a, b, VMC_COW_FAULTS, CHILD_WRITES, "each written page took a copy-on-write fault");
}

/* Every touched page holds 'Q' in [lo, hi) and 'P' elsewhere. */
static int heap_intact(const unsigned char *heap, long lo, long hi)
{
	int ok = 1;

	for (long i = 0; i < TOUCHED_PAGES; i++)
		ok &= stamped(heap, i, i >= lo && i < hi ? 'Q' : 'P');
	return ok;
}

/* Fork with the touched heap; measure the fork and the child's writes;
 * both sides write and check. 11 assertions. */
static void lazy_fork(unsigned char *heap, const struct vmc *before)
{
	struct vmc forked, written, after;
	int ready[2], go[2];

	if (pipe(ready) != 0 || pipe(go) != 0) {
		fail_rest(11, "pipe failed");
		return;
	}
	pid_t pid = fork();
	if (pid == 0)
		lazy_child(heap, ready[1], go[0]);
	close(ready[1]);                /* a dead child reads as EOF */
	close(go[0]);
	if (tap_ok(pid > 0 && recv_byte(ready[0]), "fork, and the child runs")) {
		vmc_read(&forked);      /* copies the pages it reads into */
		vmc_read(&forked);
		send_byte(go[1]);       /* no output till both readings are taken */
		recv_byte(ready[0]);
		vmc_read(&written);
		check_fork_cost(before, &forked);
		check_copy_cost(&forked, &written);
		tap_ok(heap_intact(heap, 0, 0), "the parent sees none of the child's writes");
		for (long i = CHILD_WRITES; i < CHILD_WRITES + PARENT_WRITES; i++)
			stamp(heap, i, 'Q');
		send_byte(go[1]);
		int status = reap(pid);
		tap_exited_with(status, 0, "the child sees its own writes and none of the parent's");
		if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) != 0)
			tap_diag("  child failure code %d", WEXITSTATUS(status));
		tap_ok(heap_intact(heap, CHILD_WRITES, CHILD_WRITES + PARENT_WRITES),
		       "the parent keeps its own writes after the child exited");
		close(ready[0]);        /* their pipe buffers are not the child's */
		close(go[1]);
		vmc_pages_back(before, 0, MOVED_SLAB_PAGES, &after,
			       "after the child exits, free pages are back");
		vmc_is_back(before, &after, VMC_ANONS, 0, "and anons are back");
		vmc_is_back(before, &after, VMC_AMAPS, 0, "and amaps are back");
	} else {
		fail_rest(10, "no child");
		reap(pid);
		close(ready[0]);
		close(go[1]);
	}
}

static void test_fork_copies_nothing(void)
{
	struct vmc start, before, after;

	vmc_quiet(&start);             /* before sbrk: its VMA goes with the shrink */
	unsigned char *heap = sbrk(TOUCHED_BYTES);
	if (!tap_ok(heap != (void *)-1, "sbrk 64 MiB of heap")) {
		fail_rest(15, "no heap");
		return;
	}
	for (long i = 0; i < TOUCHED_PAGES; i++)
		stamp(heap, i, 'P');
	vmc_quiet(&before);
	grew_by(&start, &before, VMC_ZERO_FAULTS, TOUCHED_PAGES,
		"touching 64 MiB took a zero-fill fault per page");
	lazy_fork(heap, &before);
	tap_ok(sbrk(-TOUCHED_BYTES) != (void *)-1, "shrink the heap again");
	/* The tables touching the heap made stay till exit (pmap.c). */
	vmc_pages_back(&start, before.v[VMC_PT_PAGES] - start.v[VMC_PT_PAGES], MOVED_SLAB_PAGES,
		       &after, "shrinking the heap freed its 64 MiB (but the page tables it made)");
	vmc_is_back(&start, &after, VMC_ANONS, 0, "and its anons");
}

/* ------------------------------------- a heap of 2/3 of free memory forks */

/* Write one page of every BIG_STRIDE in lane; check all pages. Returns 1
 * if every page holds who's stamp in lane and 'B' elsewhere. */
static int big_write_check(unsigned char *heap, long pages, long lane, int who)
{
	int ok = 1;

	for (long i = lane; i < pages; i += BIG_STRIDE)
		stamp(heap, i, who);
	for (long i = 0; i < pages; i++)
		ok &= stamped(heap, i, i % BIG_STRIDE == lane ? who : 'B');
	return ok;
}

static void test_big_heap(void)
{
	struct vmc before, touched, after;
	long free_pages = vmc_free_pages();
	long pages = free_pages / BIG_DEN * BIG_NUM;

	if (pages > BIG_MAX_BYTES / PAGE)
		pages = BIG_MAX_BYTES / PAGE;
	vmc_quiet(&before);
	unsigned char *heap = pages > 0 ? sbrk(pages * PAGE) : (void *)-1;
	if (!tap_ok(heap != (void *)-1, "sbrk two thirds of free memory (%ld MiB)",
		    pages * PAGE / MIB)) {
		fail_rest(6, "no heap");
		return;
	}
	for (long i = 0; i < pages; i++)
		stamp(heap, i, 'B');
	vmc_read(&touched);
	pid_t pid = fork();
	if (pid == 0)
		_exit(big_write_check(heap, pages, CHILD_LANE, 'c') ? 0 : 1);
	tap_ok(pid > 0, "a process holding two thirds of free memory forks");
	tap_ok(big_write_check(heap, pages, PARENT_LANE, 'p'),
	       "the parent writes one page in 8 and sees only its own writes");
	tap_exited_with(reap(pid), 0, "the child writes one page in 8 and sees only its own writes");
	int ok = 1;
	for (long i = 0; i < pages; i++)
		ok &= stamped(heap, i, i % BIG_STRIDE == PARENT_LANE ? 'p' : 'B');
	tap_ok(ok, "after the child exited, the parent's heap is unchanged");
	tap_ok(sbrk(-pages * PAGE) != (void *)-1, "shrink the heap again");
	vmc_pages_back(&before, touched.v[VMC_PT_PAGES] - before.v[VMC_PT_PAGES], MOVED_SLAB_PAGES,
		       &after, "all of the big heap's pages are free again (but the page tables it made)");
}

/* ------------------------------------------------------ three generations */

/* Regions every generation writes: anonymous pages, .data and .bss. */
static long gen_data[GEN_DATA_WORDS] = { 1 };
static long gen_bss[GEN_DATA_WORDS];
static unsigned char *gen_anon;

enum { REGION_ANON = 1, REGION_DATA = 2, REGION_BSS = 4 };

struct gen_board {                      /* in a shared page */
	volatile int phase;
	volatile int bad[8];            /* failed regions of check n */
	volatile int done[8];           /* check n ran */
	volatile int g3_status;         /* G3's exit status as G2 saw it */
};

static struct gen_board *board;

/* The value generation `who` stores in unit i (a page, or a word). */
static long gen_value(long i, int who)
{
	return tag(i, who) | 1;
}

/* Who wrote unit i: pattern "all" (every unit), or odd/even split. */
struct gen_pattern {
	int even, odd;                  /* writer of even and odd units */
};

/* Store for who in the units of parity par (0 even, 1 odd, 2 both). */
static void gen_write(int who, int par)
{
	for (long i = 0; i < GEN_PAGES; i++)
		if (par == 2 || i % 2 == par)
			*(long *)(gen_anon + i * PAGE) = gen_value(i, who);
	for (long i = 0; i < GEN_DATA_WORDS; i++)
		if (par == 2 || i % 2 == par) {
			gen_data[i] = gen_value(i, who);
			gen_bss[i] = ~gen_value(i, who);
		}
}

/* The failed regions (bit mask) against pattern p. */
static int gen_check(struct gen_pattern p)
{
	int bad = 0;

	for (long i = 0; i < GEN_PAGES; i++)
		if (*(long *)(gen_anon + i * PAGE) != gen_value(i, i % 2 ? p.odd : p.even))
			bad |= REGION_ANON;
	for (long i = 0; i < GEN_DATA_WORDS; i++) {
		int who = i % 2 ? p.odd : p.even;
		if (gen_data[i] != gen_value(i, who))
			bad |= REGION_DATA;
		if (gen_bss[i] != ~gen_value(i, who))
			bad |= REGION_BSS;
	}
	return bad;
}

static void gen_record(int n, struct gen_pattern p)
{
	board->bad[n] = gen_check(p);
	board->done[n] = 1;
}

/* Spin until the board reaches phase; 0 on timeout. */
static int gen_wait(int phase)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (board->phase < phase) {
		tap_sys(SYS_sched_yield, 0, 0, 0);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > WAIT_SECONDS)
			return 0;
	}
	return 1;
}

enum { G1 = 1, G2 = 2, G3 = 3, G1_AGAIN = 4 };

static void gen_third(void)
{
	gen_record(1, (struct gen_pattern){ G2, G1 });      /* G3 sees G2 over G1 */
	gen_write(G3, 2);
	board->phase = 1;
	if (!gen_wait(3))
		_exit(2);
	gen_record(4, (struct gen_pattern){ G3, G3 });
	_exit(0);
}

static void gen_second(void)
{
	gen_record(0, (struct gen_pattern){ G1, G1 });      /* G2 sees G1 */
	gen_write(G2, 0);
	pid_t pid = fork();
	if (pid == 0)
		gen_third();
	if (pid < 0)
		_exit(3);
	if (!gen_wait(2))
		_exit(4);
	gen_record(3, (struct gen_pattern){ G2, G1 });
	board->phase = 3;
	board->g3_status = reap(pid);
	_exit(0);
}

static const char *gen_regions(int bad)
{
	static char text[64];

	snprintf(text, sizeof(text), "%s%s%s", bad & REGION_ANON ? " anonymous" : "",
		 bad & REGION_DATA ? " .data" : "", bad & REGION_BSS ? " .bss" : "");
	return text;
}

static void gen_assert(int n, const char *what)
{
	if (!tap_ok(board->done[n] && board->bad[n] == 0, "%s", what))
		tap_diag("  %s", board->done[n] ? gen_regions(board->bad[n]) : "the check never ran");
}

static void test_generations(void)
{
	board = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	gen_anon = mmap(NULL, GEN_PAGES * PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!tap_ok(board != MAP_FAILED && gen_anon != MAP_FAILED, "map a shared board and 8 private pages")) {
		fail_rest(8, "no memory");
		return;
	}
	gen_write(G1, 2);
	pid_t pid = fork();
	if (pid == 0)
		gen_second();
	int waited = gen_wait(1);
	int bad = gen_check((struct gen_pattern){ G1, G1 });
	if (!tap_ok(waited && bad == 0, "G1 keeps its data after G2 and G3 wrote theirs"))
		tap_diag("  %s", waited ? gen_regions(bad) : "G3 never got there");
	gen_write(G1_AGAIN, 1);
	board->phase = 2;
	int status = reap(pid);
	gen_assert(0, "G2 sees G1's data after fork");
	gen_assert(1, "G3 sees G2's writes over G1's data");
	gen_assert(3, "G2 keeps its data after G3 wrote and G1 wrote again");
	gen_assert(4, "G3 keeps its data after G1 wrote again");
	tap_exited_with(board->g3_status, 0, "G3 exited 0");
	tap_exited_with(status, 0, "G2 exited 0");
	bad = gen_check((struct gen_pattern){ G1, G1_AGAIN });
	if (!tap_ok(bad == 0, "G1 has exactly its own writes at the end"))
		tap_diag("  %s", gen_regions(bad));
	munmap(gen_anon, GEN_PAGES * PAGE);
	munmap(board, PAGE);
}

/* ------------------------------------------- kernel stores (copyout) */

static unsigned char *cbuf;             /* two private anonymous pages */

/* Child: read a page from the pipe into cbuf + COPY_OFF (straddling the
 * two copy-on-write pages); exit 0 if it arrived and nothing else moved. */
static void copy_read_child(int fd)
{
	long got = 0, n;

	while (got < PAGE && (n = read(fd, cbuf + COPY_OFF + got, PAGE - got)) > 0)
		got += n;
	_exit(got == PAGE && all_bytes(cbuf, COPY_OFF, 'P') &&
	      all_bytes(cbuf + COPY_OFF, PAGE, 'C') &&
	      all_bytes(cbuf + COPY_OFF + PAGE, PAGE - COPY_OFF, 'P') ? 0 : 1);
}

static void copyout_child_reads(void)
{
	static unsigned char msg[PAGE];
	int p[2];

	memset(cbuf, 'P', 2 * PAGE);
	memset(msg, 'C', PAGE);
	if (pipe(p) != 0) {
		fail_rest(3, "pipe failed");
		return;
	}
	pid_t pid = fork();
	if (pid == 0)
		copy_read_child(p[0]);
	tap_is(pid > 0 ? write(p[1], msg, PAGE) : -1, PAGE, "write a page into the pipe");
	tap_exited_with(reap(pid), 0, "the child read() it into its copy-on-write pages");
	tap_ok(all_bytes(cbuf, 2 * PAGE, 'P'), "the parent's pages did not change");
	close(p[0]);
	close(p[1]);
}

static void copyout_parent_reads(void)
{
	static unsigned char msg[PAGE];
	int data[2], sync[2];

	memset(cbuf, 'Q', 2 * PAGE);
	memset(msg, 'R', PAGE);
	if (pipe(data) != 0 || pipe(sync) != 0) {
		fail_rest(2, "pipe failed");
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		recv_byte(sync[0]);
		_exit(all_bytes(cbuf, 2 * PAGE, 'Q') ? 0 : 1);
	}
	write(data[1], msg, PAGE);
	long got = 0, n;
	while (got < PAGE && (n = read(data[0], cbuf + COPY_OFF + got, PAGE - got)) > 0)
		got += n;
	tap_ok(got == PAGE && all_bytes(cbuf + COPY_OFF, PAGE, 'R') && cbuf[COPY_OFF - 1] == 'Q',
	       "the parent read() into its copy-on-write pages");
	send_byte(sync[1]);
	tap_exited_with(reap(pid), 0, "the child still sees the old contents");
	for (int i = 0; i < 2; i++) {
		close(data[i]);
		close(sync[i]);
	}
}

/* Child: pread the file, pipe() and fstat() into copy-on-write memory. */
static void copy_calls_child(int fd)
{
	struct stat *st = (struct stat *)(cbuf + PAGE);
	int *fds = (int *)(cbuf + PAGE + 2 * sizeof(struct stat));

	if (pread(fd, cbuf, PAGE, 0) != PAGE || !all_bytes(cbuf, PAGE, 'F'))
		_exit(1);
	if (fstat(fd, st) != 0 || st->st_size != PAGE)
		_exit(2);
	if (pipe(fds) != 0 || fds[0] < 0 || fds[1] < 0 || fds[0] == fds[1])
		_exit(3);
	_exit(0);
}

static void copyout_syscalls(void)
{
	static unsigned char page[PAGE];
	int fd = open(tmp_file, O_CREAT | O_RDWR | O_TRUNC, 0644);

	memset(page, 'F', PAGE);
	if (!tap_ok(fd >= 0 && write(fd, page, PAGE) == PAGE, "make a one-page file")) {
		fail_rest(2, "no file");
		return;
	}
	memset(cbuf, SENTINEL, 2 * PAGE);
	pid_t pid = fork();
	if (pid == 0)
		copy_calls_child(fd);
	tap_exited_with(reap(pid), 0, "pread(), fstat() and pipe() store into copy-on-write pages");
	tap_ok(all_bytes(cbuf, 2 * PAGE, SENTINEL), "and the parent's pages did not change");
	close(fd);
	unlink(tmp_file);
}

static void test_copyout(void)
{
	cbuf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!tap_ok(cbuf != MAP_FAILED, "map two private pages")) {
		fail_rest(8, "no memory");
		return;
	}
	copyout_child_reads();
	copyout_parent_reads();
	copyout_syscalls();
	munmap(cbuf, 2 * PAGE);
}

/* ---------------------------------------- 100 rounds of nested forks */

static unsigned char *round_buf;

/* One level of the nest: check the parent's stamps, write ours, fork the
 * next level, wait for it, check ours again. Returns 0 if all held. */
static int nest(int level)
{
	int ok = 1, status;

	for (long i = 0; i < ROUND_PAGES; i++)
		ok &= stamped(round_buf, i, level - 1);
	for (long i = 0; i < ROUND_PAGES; i++)
		stamp(round_buf, i, level);
	if (level < DEPTH) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(nest(level + 1));
		status = reap(pid);
		ok &= status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	for (long i = 0; i < ROUND_PAGES; i++)
		ok &= stamped(round_buf, i, level);
	return ok ? 0 : 1;
}

/* Run one round; return how many workers exited 0. */
static int nest_round(void)
{
	pid_t pids[WORKERS];
	int good = 0, status;

	for (int w = 0; w < WORKERS; w++) {
		pids[w] = fork();
		if (pids[w] == 0)
			_exit(nest(1));
	}
	for (int w = 0; w < WORKERS; w++) {
		status = reap(pids[w]);
		good += status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	return good;
}

struct round_tally {
	int workers_bad;                /* rounds with a failed worker */
	int off[VMC_NCOUNTERS];         /* rounds where counter k did not return */
	long moved_max;                 /* most slab pages of moved objects */
	struct vmc first_free_off;      /* the reading of the first round off in pages */
	int first_off[VMC_NCOUNTERS];   /* the first such round */
	long off_value[VMC_NCOUNTERS];  /* its value */
};

static void round_check(struct round_tally *t, int r, const struct vmc *base)
{
	static const int in_use[] = { VMC_FREE, VMC_ANONS, VMC_AMAPS, VMC_OBJECTS };
	struct vmc now;

	/* Free pages: exact but for moved objects' slab pages, with the
	 * slab object count exact too (vmc_back_but). */
	int pages_ok = vmc_settle_but(base, 0, ROUND_MOVED_SLAB_PAGES, &now);
	if (now.v[VMC_SLAB_PAGES] - base->v[VMC_SLAB_PAGES] > t->moved_max)
		t->moved_max = now.v[VMC_SLAB_PAGES] - base->v[VMC_SLAB_PAGES];
	for (unsigned i = 0; i < sizeof(in_use) / sizeof(in_use[0]); i++) {
		int k = in_use[i];
		int ok = k == VMC_FREE ? pages_ok : now.v[k] == base->v[k];
		if (base->v[k] >= 0 && !ok && t->off[k]++ == 0) {
			t->first_off[k] = r;
			t->off_value[k] = now.v[k];
			if (k == VMC_FREE)
				t->first_free_off = now;
		}
	}
}

static void round_assert(const struct round_tally *t, const struct vmc *base, int k, const char *what)
{
	if (base->v[k] < 0) {
		tap_ok(0, "%s", what);
		vmc_missing(k);
		return;
	}
	if (!tap_ok(t->off[k] == 0, "%s", what))
		tap_diag("  %d rounds off; first round %d: %ld, baseline %ld", t->off[k],
			 t->first_off[k], t->off_value[k], base->v[k]);
	if (k == VMC_FREE && t->off[k] != 0)
		vmc_explain(base, &t->first_free_off);
	if (k == VMC_FREE)
		tap_diag("  at most %ld slab pages of moved objects (allowed %d)", t->moved_max,
			 ROUND_MOVED_SLAB_PAGES);
}

static void test_rounds(void)
{
	static struct round_tally t;
	struct vmc base, end;

	round_buf = mmap(NULL, ROUND_PAGES * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!tap_ok(round_buf != MAP_FAILED, "map the pages the nest writes")) {
		fail_rest(7, "no memory");
		return;
	}
	for (long i = 0; i < ROUND_PAGES; i++)
		stamp(round_buf, i, 0);
	nest_round();                   /* warm the caches */
	vmc_quiet(&base);
	for (int r = 0; r < ROUNDS; r++) {
		if (nest_round() != WORKERS)
			t.workers_bad++;
		round_check(&t, r, &base);
	}
	vmc_read(&end);
	if (!tap_ok(t.workers_bad == 0, "100 rounds of 4 workers, each forking 2 levels deep, "
		    "saw only their parents' and their own writes"))
		tap_diag("  %d rounds had a failed worker", t.workers_bad);
	round_assert(&t, &base, VMC_FREE, "after every round, free pages return (but moved objects' slab pages)");
	round_assert(&t, &base, VMC_ANONS, "after every round, anons return");
	round_assert(&t, &base, VMC_AMAPS, "after every round, amaps return");
	round_assert(&t, &base, VMC_OBJECTS, "after every round, memory objects return");
	grew_by(&base, &end, VMC_COW_FAULTS, (long)ROUNDS * WORKERS * DEPTH * ROUND_PAGES,
		"every level's first write to a shared page was a copy-on-write fault");
	int ok = 1;
	for (long i = 0; i < ROUND_PAGES; i++)
		ok &= stamped(round_buf, i, 0);
	tap_ok(ok, "the top process still has its own data");
	munmap(round_buf, ROUND_PAGES * PAGE);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);       /* a dead child's pipe gives EPIPE */
	prefault_stack();
	vmc_touch_self();
	tap_plan(PLAN);
	test_fork_copies_nothing();
	test_big_heap();
	test_generations();
	test_copyout();
	test_rounds();
	return tap_done();
}
