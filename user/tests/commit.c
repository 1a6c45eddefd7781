/*
 * commit: Linux's commit accounting (vm.overcommit_memory 0, 1, 2 with
 * CommitLimit and Committed_AS in /proc/meminfo) and vm.max_map_count,
 * set through /proc/sys/vm/. Every mode refuses and grants what Linux's
 * would; Committed_AS moves by exactly the private writable pages mapped;
 * a fork is counted until the child exits; a process at max_map_count
 * gets ENOMEM and leaks nothing. The tunables go back to their defaults
 * at the end.
 */
#include "tap.h"
#include "meminfo.h"

#include <sys/mman.h>
#include <sys/wait.h>

#define PLAN            26
#define PAGE            4096L
#define ONE_GIB         (1L << 30)
#define SYSCTL_DIR      "/proc/sys/vm/"
#define MAPPED_PAGES    300L            /* a mapping whose commit is counted */
#define FORK_PAGES      2000L           /* the parent's extra commit at fork */
#define HEADROOM_PAGES  64L             /* mode 2 room left for small needs */
#define MAP_COUNT_ROOM  8               /* VMAs allowed above the current */
#define SPLIT_PAGES     64L             /* a mapping cut into 1-page VMAs */
#define DEFAULT_MODE    0
#define DEFAULT_RATIO   50
#define DEFAULT_MAPS    65530

/* A sysctl's value, or -1. */
static long sysctl_get(const char *name)
{
	char path[64], buf[32];
	long v = 0, n;
	int fd;

	snprintf(path, sizeof(path), SYSCTL_DIR "%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || buf[0] < '0' || buf[0] > '9')
		return -1;
	buf[n] = 0;
	for (char *p = buf; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (*p - '0');
	return v;
}

/* Write value (as echo would, with a newline). 0 or -errno. */
static int sysctl_set(const char *name, long value)
{
	char path[64], buf[32];
	int fd, len;
	long n;

	snprintf(path, sizeof(path), SYSCTL_DIR "%s", name);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%ld\n", value);
	n = write(fd, buf, (size_t)len);
	n = n == len ? 0 : -errno;
	close(fd);
	return (int)n;
}

/* Committed_AS in pages, or -1. */
static long committed(void)
{
	struct meminfo m;

	if (meminfo_read(&m) != 0)
		return -1;
	return meminfo_field(meminfo_text, "Committed_AS", 1);
}

static long commit_limit(void)
{
	struct meminfo m;

	if (meminfo_read(&m) != 0)
		return -1;
	return meminfo_field(meminfo_text, "CommitLimit", 1);
}

static void *map(long len, int prot, int flags)
{
	return mmap(NULL, (size_t)len, prot, flags | MAP_ANONYMOUS, -1, 0);
}

/* Lines in /proc/self/maps: this process's VMAs. */
static long map_count(void)
{
	static char buf[MEMINFO_BUF];
	long n, got = 0, lines = 0;
	int fd = open("/proc/self/maps", O_RDONLY);

	if (fd < 0)
		return -1;
	while (got < MEMINFO_BUF - 1 && (n = read(fd, buf + got, MEMINFO_BUF - 1 - got)) > 0)
		got += n;
	close(fd);
	for (long i = 0; i < got; i++)
		lines += buf[i] == '\n';
	return lines;
}

static void test_files(void)
{
	struct meminfo m;

	tap_ok(sysctl_get("overcommit_memory") == DEFAULT_MODE &&
	       sysctl_get("overcommit_ratio") == DEFAULT_RATIO &&
	       sysctl_get("max_map_count") == DEFAULT_MAPS,
	       "/proc/sys/vm: overcommit_memory 0, overcommit_ratio 50, max_map_count 65530");
	tap_ok(sysctl_set("overcommit_memory", 3) == -EINVAL &&
	       sysctl_set("max_map_count", 0) == -EINVAL &&
	       sysctl_get("overcommit_memory") == DEFAULT_MODE,
	       "values out of range: EINVAL, unchanged");
	meminfo_read(&m);
	tap_ok(commit_limit() == m.total_pages * DEFAULT_RATIO / 100 + m.swap_total_pages * (m.swap_total_pages > 0) &&
	       committed() > 0,
	       "meminfo: CommitLimit = RAM x 50%% + swap (%ld pages), Committed_AS %ld pages",
	       commit_limit(), committed());
}

/* Mode 0: one request above RAM + swap is refused; others are not. */
static void test_guess(void)
{
	struct meminfo m;
	long big, before;
	void *p;

	meminfo_read(&m);
	big = (m.total_pages + (m.swap_total_pages > 0 ? m.swap_total_pages : 0) + 1) * PAGE;
	if (big < ONE_GIB)
		big = ONE_GIB;
	before = committed();
	errno = 0;
	tap_ok(sbrk(big) == (void *)-1 && errno == ENOMEM && committed() == before,
	       "mode 0: sbrk(%ld MiB) on %ld MiB of RAM: ENOMEM", big >> 20,
	       m.total_pages * PAGE >> 20);
	p = map(big, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	tap_ok(p == MAP_FAILED && errno == ENOMEM && committed() == before,
	       "mode 0: a private writable mmap above RAM + swap: ENOMEM");
	p = map(big, PROT_READ, MAP_PRIVATE);
	tap_ok(p != MAP_FAILED && committed() == before && munmap(p, (size_t)big) == 0,
	       "mode 0: the same read-only is granted and commits nothing");
	/* Linux's heuristic (mm/util.c __vm_enough_memory): refuse only
	 * pages > totalram + total_swap_pages; total swap, not free swap. */
	long edge = m.total_pages + (m.swap_total_pages > 0 ? m.swap_total_pages : 0);
	p = map(edge * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	tap_ok(p != MAP_FAILED && committed() == before + edge &&
	       munmap(p, (size_t)edge * PAGE) == 0 && committed() == before,
	       "mode 0: exactly RAM + swap (%ld pages) private writable is granted", edge);
	p = map((edge + 1) * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	tap_ok(p == MAP_FAILED && errno == ENOMEM && committed() == before,
	       "mode 0: one page more is ENOMEM");
	p = map(MAPPED_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	tap_ok(p != MAP_FAILED && committed() == before + MAPPED_PAGES,
	       "Committed_AS rises by exactly the %ld pages mapped (%ld -> %ld)",
	       MAPPED_PAGES, before, committed());
	tap_ok(p != MAP_FAILED && mprotect(p, MAPPED_PAGES * PAGE, PROT_READ) == 0 &&
	       committed() == before &&
	       mprotect(p, MAPPED_PAGES * PAGE, PROT_READ | PROT_WRITE) == 0 &&
	       committed() == before + MAPPED_PAGES,
	       "mprotect taking write away uncommits, giving it back commits");
	tap_ok(p != MAP_FAILED && munmap(p, MAPPED_PAGES * PAGE) == 0 &&
	       committed() == before, "munmap: Committed_AS falls back exactly");
}

static void test_always(void)
{
	struct meminfo m;
	long big;
	void *p;

	meminfo_read(&m);
	big = 4 * m.total_pages * PAGE;
	tap_ok(sysctl_set("overcommit_memory", 1) == 0 &&
	       sysctl_get("overcommit_memory") == 1, "mode 1 set");
	p = map(big, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	tap_ok(p != MAP_FAILED && munmap(p, (size_t)big) == 0,
	       "mode 1: a private writable mmap of 4x RAM is granted");
	long before = committed();
	errno = 0;
	void *old = sbrk(big);
	int grown = old != (void *)-1;
	tap_ok(grown && committed() == before + big / PAGE &&
	       sbrk(-big) != (void *)-1 && committed() == before,
	       "mode 1: sbrk(4x RAM) is granted and given back (errno %d)", grown ? 0 : errno);
}

/* Set the ratio so CommitLimit is about room pages above Committed_AS
 * now. Returns the limit in pages, or -1. */
/* Padding that limit_above maps so that Committed_AS + room lies above
 * the swap part of CommitLimit (swap + RAM x ratio / 100): the ratio can
 * only add to the swap, never go below it. Private writable and never
 * touched, so it costs commit and no memory. */
static void *pad_addr = MAP_FAILED;
static long pad_pages;

static void pad_drop(void)
{
	if (pad_addr != MAP_FAILED)
		munmap(pad_addr, pad_pages * PAGE);
	pad_addr = MAP_FAILED;
	pad_pages = 0;
}

/* Set the ratio so that CommitLimit is room pages above Committed_AS, or
 * up to 1% of RAM more (the ratio rounds up). Returns CommitLimit, or -1. */
static long limit_above(long room)
{
	struct meminfo m;
	long ratio, swap;

	pad_drop();
	meminfo_read(&m);
	swap = m.swap_total_pages > 0 ? m.swap_total_pages : 0;
	if (committed() + room < swap + m.total_pages / 100) {
		pad_pages = swap + m.total_pages / 100 - committed() - room;
		pad_addr = map(pad_pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
		if (pad_addr == MAP_FAILED)
			return -1;
	}
	ratio = (committed() + room - swap) * 100 / m.total_pages + 1;
	if (sysctl_set("overcommit_ratio", ratio) != 0)
		return -1;
	return commit_limit();
}

static void test_never(void)
{
	long limit, left;
	void *p, *q;

	int set = sysctl_set("overcommit_memory", 2);

	limit = limit_above(FORK_PAGES);
	tap_ok(set == 0 && limit > committed(),
	       "mode 2 with a low ratio (%ld%%): CommitLimit %ld pages, %ld committed",
	       sysctl_get("overcommit_ratio"), limit, committed());
	left = limit - committed();
	p = map((left + 1) * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	tap_ok(p == MAP_FAILED && errno == ENOMEM,
	       "mode 2: one page more than CommitLimit leaves: ENOMEM");
	errno = 0;
	tap_ok(sbrk((left + 1) * PAGE) == (void *)-1 && errno == ENOMEM,
	       "mode 2: the same by sbrk: ENOMEM");
	p = map((left - HEADROOM_PAGES) * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	q = map(2 * HEADROOM_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	tap_ok(p != MAP_FAILED && q == MAP_FAILED && errno == ENOMEM,
	       "mode 2: up to the limit granted, past it refused");
	tap_ok(p != MAP_FAILED && munmap(p, (left - HEADROOM_PAGES) * PAGE) == 0 &&
	       (q = map(2 * HEADROOM_PAGES * PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE)) != MAP_FAILED &&
	       munmap(q, 2 * HEADROOM_PAGES * PAGE) == 0,
	       "after munmap the same request is granted");

	/* A parent with fork_pages committed can not fork under a limit
	 * at most fork_pages / 2 above Committed_AS (limit_above rounds the
	 * ratio up: up to 1% of RAM more than asked). */
	struct meminfo m;
	meminfo_read(&m);
	long fork_pages = FORK_PAGES + m.total_pages / 50;
	sysctl_set("overcommit_ratio", DEFAULT_RATIO);
	p = map(fork_pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	limit = limit_above(fork_pages / 2 - m.total_pages / 100);
	errno = 0;
	pid_t pid = p != MAP_FAILED && limit > 0 ? fork() : -2;
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	tap_ok(pid == -1 && errno == ENOMEM, "mode 2: fork that would pass CommitLimit: ENOMEM");
	if (p != MAP_FAILED)
		munmap(p, fork_pages * PAGE);
	pad_drop();
	tap_ok(sysctl_set("overcommit_memory", DEFAULT_MODE) == 0 &&
	       sysctl_set("overcommit_ratio", DEFAULT_RATIO) == 0,
	       "back to mode 0, ratio 50");
}

/* A child is counted while it lives: at least its parent's mapping. */
static void test_fork(void)
{
	int ready[2], go[2];
	char c = 0;
	long before, during, after;
	void *p = map(FORK_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);

	if (pipe(ready) != 0 || pipe(go) != 0 || p == MAP_FAILED) {
		tap_ok(0, "fork: setup");
		return;
	}
	before = committed();
	pid_t pid = fork();
	if (pid == 0) {
		(void)!write(ready[1], &c, 1);
		(void)!read(go[0], &c, 1);
		_exit(0);
	}
	(void)!read(ready[0], &c, 1);
	during = committed();
	(void)!write(go[1], &c, 1);
	waitpid(pid, NULL, 0);
	after = committed();
	tap_ok(pid > 0 && during >= before + FORK_PAGES && after == before,
	       "fork: the child commits its copy (%ld -> %ld), uncharged at exit (%ld)",
	       before, during, after);
	munmap(p, FORK_PAGES * PAGE);
	close(ready[0]); close(ready[1]); close(go[0]); close(go[1]);
}

/* Child: cut a mapping into 1-page VMAs until max_map_count stops it. */
static void split_until_refused(int fd)
{
	char *p = map(SPLIT_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	long cap = map_count() + MAP_COUNT_ROOM, i;
	char res = 1;

	if (p == MAP_FAILED || sysctl_set("max_map_count", cap) != 0)
		_exit(2);
	for (i = 1; i < SPLIT_PAGES; i += 2)
		if (mprotect(p + i * PAGE, PAGE, PROT_READ) != 0)
			break;
	if (i < SPLIT_PAGES && errno == ENOMEM && map_count() <= cap &&
	    map(PAGE, PROT_READ, MAP_PRIVATE) == MAP_FAILED && errno == ENOMEM &&
	    munmap(p + PAGE * (SPLIT_PAGES - 2), PAGE) != 0 && errno == ENOMEM)
		res = 0;
	sysctl_set("max_map_count", DEFAULT_MAPS);
	(void)!write(fd, &res, 1);
	_exit(0);
}

static void test_max_map_count(void)
{
	struct meminfo m0, m1;
	int fds[2];
	char res = 1;

	pid_t pid;

	meminfo_touch_self();
	if (pipe(fds) != 0) {
		tap_ok(0, "max_map_count: pipe");
		return;
	}
	/* Twice: the first round fills the caches, the second is measured. */
	for (int round = 0; round < 2; round++) {
		meminfo_read(&m0);
		pid = fork();
		if (pid == 0)
			split_until_refused(fds[1]);
		res = 1;
		(void)!read(fds[0], &res, 1);
		waitpid(pid, NULL, 0);
		meminfo_read(&m1);
	}
	close(fds[0]);
	close(fds[1]);
	tap_ok(res == 0, "max_map_count: splits, mmap and a munmap split past it get ENOMEM");
	tap_ok(m1.free_pages == m0.free_pages && m1.slab_objects == m0.slab_objects,
	       "and nothing leaks (free pages %ld -> %ld, slab objects %ld -> %ld)",
	       m0.free_pages, m1.free_pages, m0.slab_objects, m1.slab_objects);
	tap_ok(sysctl_get("max_map_count") == DEFAULT_MAPS, "max_map_count back to 65530");
}

int main(void)
{
	tap_plan(PLAN);
	test_files();
	test_guess();
	test_always();
	test_never();
	test_fork();
	test_max_map_count();
	sysctl_set("overcommit_memory", DEFAULT_MODE);
	sysctl_set("overcommit_ratio", DEFAULT_RATIO);
	sysctl_set("max_map_count", DEFAULT_MAPS);
	tap_ok(sysctl_get("overcommit_memory") == DEFAULT_MODE &&
	       sysctl_get("overcommit_ratio") == DEFAULT_RATIO,
	       "the defaults are restored");
	return tap_done();
}
