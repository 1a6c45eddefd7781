/*
 * vmregress: regression tests of the memory system, one per bug of issue
 * 6 (points 7 and 8), each named after it:
 *   stack_grows_after_unmap   munmap of pages inside the stack, then a
 *                             deeper recursion: the stack grows into the
 *                             hole and below it (was SIGSEGV);
 *   cow_of_busy_file_page     copy-on-write faults on a private mapping of
 *                             a file page that write() rewrites meanwhile:
 *                             no copy is torn (half old, half new bytes).
 *                             The copy is read only after the store (a
 *                             compiler barrier: a load hoisted above it
 *                             would read the file's page, mapped
 *                             read-only, while write() changes it), twice:
 *                             a private copy must not change.
 * Children report through exit codes only.
 */
#include "tap.h"

#include <fcntl.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <time.h>

#define PLAN            10
#define PAGE            4096L
#define KIB             1024L
#define FRAME_BYTES     512             /* stack bytes per recursion level */
#define GROW_FIRST      (256 * KIB)     /* first recursion: grow the stack */
#define HOLE_BELOW_SP   (128 * KIB)     /* where the hole goes, below sp */
#define HOLE_PAGES      3
#define GROW_DEEPER     (1024 * KIB)    /* then recurse through and past it */
#define COW_SECONDS     3               /* the race runs this long */
#define COW_MIN_ROUNDS  100             /* copies the reader must make */
#define NS_PER_S        1000000000L

static const char cow_file[] = "/tmp/vmregress-cow";

/* ------------------------------------------------ stack_grows_after_unmap */

/* Recurse depth levels, each with a frame of FRAME_BYTES filled with its
 * level; returns a checksum of every frame, read back after the deeper
 * levels returned (a lost stack page changes it). */
static long __attribute__((noinline)) recurse(int depth)
{
	volatile unsigned char frame[FRAME_BYTES];
	long sum = 0;

	for (int i = 0; i < FRAME_BYTES; i++)
		frame[i] = (unsigned char)depth;
	if (depth > 0)
		sum = recurse(depth - 1);
	for (int i = 0; i < FRAME_BYTES; i++)
		sum += frame[i];
	return sum;
}

/* The checksum recurse(depth) must return. */
static long recurse_sum(int depth)
{
	long sum = 0;

	for (int d = 0; d <= depth; d++)
		sum += (long)(unsigned char)d * FRAME_BYTES;
	return sum;
}

static int levels(long bytes)
{
	return (int)(bytes / FRAME_BYTES);
}

/* The lowest address of the [stack] VMA from /proc/self/maps, or 0. */
static unsigned long stack_low(void)
{
	char buf[4096];
	unsigned long lo = 0, a, b;
	int fd = open("/proc/self/maps", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "[stack]") != NULL &&
		    sscanf(line, "%lx-%lx", &a, &b) == 2 && (lo == 0 || a < lo))
			lo = a;
	}
	return lo;
}

/* Child: grow the stack, punch a hole of HOLE_PAGES below sp (or, if
 * arg is non-NULL, at the bottom of the stack VMA), recurse through it. Exit codes:
 * 0 ok, 2 first recursion wrong, 3 munmap failed, 4 deep recursion wrong. */
static void stack_child(void *arg)
{
	bool lowest = arg != NULL;
	volatile char here;
	unsigned long hole;

	if (recurse(levels(GROW_FIRST)) != recurse_sum(levels(GROW_FIRST)))
		_exit(2);
	if (lowest)
		hole = stack_low();
	else
		hole = ((unsigned long)&here - HOLE_BELOW_SP) & ~(PAGE - 1);
	if (hole == 0 || munmap((void *)hole, HOLE_PAGES * PAGE) != 0)
		_exit(3);
	if (recurse(levels(GROW_DEEPER)) != recurse_sum(levels(GROW_DEEPER)))
		_exit(4);
	_exit(0);
}

static void test_stack_grows_after_unmap(void)
{
	int st = tap_in_child(stack_child, NULL);

	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "stack_grows_after_unmap: recursion through a hole inside the stack");
	if (WIFSIGNALED(st))
		tap_diag("  child killed by signal %d", WTERMSIG(st));
	else
		tap_diag("  child status %#x", st);
	st = tap_in_child(stack_child, (void *)1);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "stack_grows_after_unmap: its lowest pages unmapped, it grows below");
	if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
		tap_diag("  child status %#x", st);
	unsigned long lo = stack_low();
	tap_ok(lo != 0 && recurse(levels(GROW_FIRST)) == recurse_sum(levels(GROW_FIRST)),
	       "this process's own stack is whole ([stack] at %#lx)", lo);
}

/* ------------------------------------------------ cow_of_busy_file_page */

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* Writer child: rewrite the page with all 'A' then all 'B' until killed. */
static void cow_writer(bool unused)
{
	static char page[2][PAGE];
	int fd = open(cow_file, O_WRONLY);

	(void)unused;
	memset(page[0], 'A', PAGE);
	memset(page[1], 'B', PAGE);
	if (fd < 0)
		_exit(2);
	for (long i = 0;; i++) {
		if (pwrite(fd, page[i & 1], PAGE, 0) != PAGE)
			_exit(3);
	}
}

/* Whether bytes [1, PAGE) of p all equal p[1] and are 'A' or 'B'. */
static bool page_whole(const unsigned char *p)
{
	if (p[1] != 'A' && p[1] != 'B')
		return false;
	for (long i = 2; i < PAGE; i++)
		if (p[i] != p[1])
			return false;
	return true;
}

static void test_cow_of_busy_file_page(void)
{
	static char init[PAGE];
	static unsigned char snap[2][PAGE];
	long rounds = 0, torn = 0, changed = 0, seen_a = 0, seen_b = 0, end;
	int fd, st = -1;
	pid_t writer;

	memset(init, 'A', PAGE);
	fd = open(cow_file, O_RDWR | O_CREAT | O_TRUNC, 0644);
	tap_ok(fd >= 0 && write(fd, init, PAGE) == PAGE, "make a one-page file");
	writer = fork();
	if (writer == 0)
		cow_writer(false);
	end = now_ns() + COW_SECONDS * NS_PER_S;
	while (now_ns() < end && fd >= 0) {
		unsigned char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
					MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED)
			break;
		p[0] = 'x';                     /* copy-on-write of the file page */
		__asm__ volatile("" ::: "memory");
		memcpy(snap[0], p, PAGE);
		memcpy(snap[1], p, PAGE);
		if (memcmp(snap[0], snap[1], PAGE) != 0)
			changed++;
		else if (!page_whole(snap[0]))
			torn++;
		seen_a += snap[0][1] == 'A';
		seen_b += snap[0][1] == 'B';
		munmap(p, PAGE);
		rounds++;
	}
	if (writer > 0) {
		kill(writer, SIGKILL);
		waitpid(writer, &st, 0);
	}
	tap_diag("%ld copies: %ld torn, %ld changed after the copy, %ld of A, "
		 "%ld of B", rounds, torn, changed, seen_a, seen_b);
	tap_ok(writer > 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	       "the writer ran until killed (status %#x)", st);
	tap_ok(rounds >= COW_MIN_ROUNDS, "the reader made %ld copies", rounds);
	tap_ok(seen_a > 0 && seen_b > 0, "copies saw both contents (A and B)");
	tap_is(torn, 0, "cow_of_busy_file_page: no copy is torn");
	tap_is(changed, 0, "no private copy changes after the fault");
	if (fd >= 0)
		close(fd);
	tap_is(unlink(cow_file), 0, "unlink the file");
}

int main(void)
{
	tap_plan(PLAN);
	test_stack_grows_after_unmap();
	test_cow_of_busy_file_page();
	return tap_failures ? 1 : 0;
}
