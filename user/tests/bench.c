/*
 * bench: guest-instruction benchmarks of the VM system for `make bench`
 * (tools/bench.py, docs/bench.md). Each benchmark runs a fixed number of
 * operations, counts the instructions they took with rdinstret, and prints
 * one line, "BENCH name=NAME ops=N instret=M", or "BENCH name=NAME
 * skip=\"why\"" / "BENCH name=NAME error=\"why\"". Exact and repeatable
 * only under QEMU -icount; elsewhere the counter may follow the host clock.
 *
 *   bench [-l] [NAME...]    no NAME: all benchmarks; -l: list them
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_PAGE          4096
#define BENCH_MIB           (1024 * 1024)
#define BENCH_MIB_PAGES     (BENCH_MIB / BENCH_PAGE)
#define BENCH_LINE          256
#define BENCH_FILE          "/tests/bench"      /* mapped by file_pagein */
#define BENCH_EXEC_TARGET   "/tests/bench_exec_target"
#define BENCH_NO_SYSCALL    4095    /* a7 naming no system call */
#define BENCH_LX_ENOSYS     38      /* Linux errno, as a raw ecall gives it */
#define BENCH_ZERO_UNROLL   8       /* doublewords stored per loop turn */
#define BENCH_HARTS         4       /* processes of fault_4harts */
#define BENCH_READY         'R'     /* fault_harts child: mapped, waiting */
#define BENCH_FAILED        'F'     /* fault_harts child: mmap failed */
_Static_assert(BENCH_PAGE / sizeof(uint64_t) % BENCH_ZERO_UNROLL == 0,
	       "bench_zero_page stores whole turns");

/* What one benchmark measured; skip or error non-empty if it did not. */
struct bench_result {
	uint64_t ops;                   /* operations timed */
	uint64_t instret;               /* instructions they took, in all */
	char skip[BENCH_LINE];          /* why it cannot run on this kernel */
	char error[BENCH_LINE];         /* why it failed */
};

struct bench {
	const char *name;
	int (*run)(const struct bench *b, struct bench_result *r);
	long size;                      /* MiB (fork) or pages per round */
	long rounds;                    /* timed repetitions */
};

static volatile unsigned bench_sink;    /* keeps reads from being dropped */
/* A resident page: zeroed by zero_4k, read into by file_pagein. */
static char bench_page_buf[BENCH_PAGE] __attribute__((aligned(BENCH_PAGE)));

/* Instructions retired so far (all modes; exact under QEMU -icount).
 * Also a compiler barrier, so no memory access moves across it. */
static inline uint64_t bench_instret(void)
{
	uint64_t n;

	__asm__ volatile("rdinstret %0" : "=r"(n) : : "memory");
	return n;
}

/* An ecall with no system call behind it: the cheapest trap round trip.
 * Returns a0 (-ENOSYS from a kernel that works). */
static inline long bench_trap(void)
{
	register long a0 __asm__("a0") = 0;
	register long a7 __asm__("a7") = BENCH_NO_SYSCALL;

	__asm__ volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
	return a0;
}

/* Write value into the first byte of each of pages pages at p. */
static inline void bench_touch(char *p, size_t pages, char value)
{
	volatile char *q = p;
	size_t i;

	for (i = 0; i < pages; i++)
		q[i * BENCH_PAGE] = value;
}

/* Read the first byte of each of pages pages at p. */
static inline void bench_read_pages(const char *p, size_t pages)
{
	const volatile char *q = p;
	unsigned sum = 0;
	size_t i;

	for (i = 0; i < pages; i++)
		sum += q[i * BENCH_PAGE];
	bench_sink = sum;
}

/*
 * Zero one 4 KiB page with doubleword stores, as the kernel zeroes pages.
 * (picolibc's memset here stores a byte at a time, four times the work.)
 */
static void bench_zero_page(void *page)
{
	volatile uint64_t *w = page;
	size_t i;

	for (i = 0; i < BENCH_PAGE / sizeof(*w); i += BENCH_ZERO_UNROLL) {
		w[i + 0] = 0;
		w[i + 1] = 0;
		w[i + 2] = 0;
		w[i + 3] = 0;
		w[i + 4] = 0;
		w[i + 5] = 0;
		w[i + 6] = 0;
		w[i + 7] = 0;
	}
}

/*
 * Sleep until the next timer tick. Under -icount the idle hart's clock
 * jumps to the tick, so what follows starts at the same distance from a
 * tick every run, whenever the disk answered before, and the ticks that land
 * in a timed section are the same ones: the counts repeat exactly, not
 * only to within a tick.
 */
static void bench_align(void)
{
	struct timespec ts = { 0, 1 };

	nanosleep(&ts, NULL);
}

/* Start a timed section: line up with a tick, then read the counter.
 * Every timed section starts here, after any wait for the disk. */
static inline uint64_t bench_start(void)
{
	bench_align();
	return bench_instret();
}

static int bench_error(struct bench_result *r, const char *what)
{
	snprintf(r->error, sizeof(r->error), "%s: %s (errno %d)", what,
		 strerror(errno), errno);
	return -1;
}

static void bench_add(struct bench_result *r, uint64_t ops, uint64_t instret)
{
	r->ops += ops;
	r->instret += instret;
}

/* Anonymous private read-write memory of len bytes, or NULL (errno). */
static char *bench_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Wait for child pid, which must exit with status 0. Returns 0 or -1. */
static int bench_reap(pid_t pid, struct bench_result *r)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return bench_error(r, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(r->error, sizeof(r->error),
			 "child %d ended with wait status 0x%x", (int)pid,
			 status);
		return -1;
	}
	return 0;
}

/* fork, the child _exits at once, wait. Returns 0 or -1. */
static int bench_fork_once(struct bench_result *r)
{
	pid_t pid = fork();

	if (pid < 0)
		return bench_error(r, "fork");
	if (pid == 0)
		_exit(0);
	return bench_reap(pid, r);
}

/* fork_Nm: fork + exit + wait of a process with size MiB of touched heap.
 * One untimed fork first, so every timed one starts from the same state. */
static int bench_fork(const struct bench *b, struct bench_result *r)
{
	size_t len = (size_t)b->size * BENCH_MIB;
	char *heap = malloc(len);
	uint64_t t0;
	long i;

	if (heap == NULL)
		return bench_error(r, "malloc");
	bench_touch(heap, len / BENCH_PAGE, 1);
	if (bench_fork_once(r) < 0)
		goto out;
	t0 = bench_start();
	for (i = 0; i < b->rounds; i++)
		if (bench_fork_once(r) < 0)
			goto out;
	bench_add(r, (uint64_t)b->rounds, bench_instret() - t0);
out:
	free(heap);
	return r->error[0] != '\0' ? -1 : 0;
}

/* The child of a cow_fault round: write one byte in each page it shares
 * with its parent and send the instructions that took through fd. */
static void bench_cow_child(char *p, size_t pages, int fd)
{
	volatile uint64_t took = 0;     /* first stack write: before timing */
	uint64_t t0 = bench_start();

	bench_touch(p, pages, 2);
	took = bench_instret() - t0;
	_exit(write(fd, (const void *)&took, sizeof(took)) == sizeof(took) ?
	      0 : 1);
}

/* One cow_fault round: fork, let the child write, collect its count. */
static int bench_cow_round(char *p, size_t pages, struct bench_result *r)
{
	uint64_t took = 0;
	ssize_t got;
	int fd[2];
	pid_t pid;

	if (pipe(fd) < 0)
		return bench_error(r, "pipe");
	pid = fork();
	if (pid < 0) {
		bench_error(r, "fork");
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (pid == 0) {
		close(fd[0]);
		bench_cow_child(p, pages, fd[1]);
	}
	close(fd[1]);
	got = read(fd[0], &took, sizeof(took));
	close(fd[0]);
	if (bench_reap(pid, r) < 0)
		return -1;
	if (got != (ssize_t)sizeof(took))
		return bench_error(r, "read of the child's count");
	bench_add(r, pages, took);
	return 0;
}

/* cow_fault: the first write to a page shared with the parent by fork. */
static int bench_cow_fault(const struct bench *b, struct bench_result *r)
{
	size_t len = (size_t)b->size * BENCH_PAGE;
	char *p = bench_map(len);
	long i;

	if (p == NULL)
		return bench_error(r, "mmap");
	bench_touch(p, (size_t)b->size, 1);
	for (i = 0; i < b->rounds; i++)
		if (bench_cow_round(p, (size_t)b->size, r) < 0)
			break;
	munmap(p, len);
	return r->error[0] != '\0' ? -1 : 0;
}

/* zero_fault: the first write to a page of fresh anonymous memory. */
static int bench_zero_fault(const struct bench *b, struct bench_result *r)
{
	size_t len = (size_t)b->size * BENCH_PAGE;
	uint64_t t0;
	char *p;
	long i;

	for (i = 0; i < b->rounds; i++) {
		p = bench_map(len);
		if (p == NULL)
			return bench_error(r, "mmap");
		t0 = bench_start();
		bench_touch(p, (size_t)b->size, 1);
		bench_add(r, (uint64_t)b->size, bench_instret() - t0);
		if (munmap(p, len) < 0)
			return bench_error(r, "munmap");
	}
	return 0;
}

/* A child of fault_harts: map pages of fresh anonymous memory, say it is
 * ready on back, wait for the start byte on go, write one byte into each
 * page, and send its start and end counts through back. It exits only when
 * done reaches end of file (the parent has every child's counts): a child
 * that finished first and tore its 1,024 pages down at once would put that
 * teardown into the window of the others. */
static void bench_harts_child(size_t pages, int go, int back, int done)
{
	size_t len = pages * BENCH_PAGE;
	uint64_t span[2];
	char *p = bench_map(len);
	char c = p != NULL ? BENCH_READY : BENCH_FAILED;

	if (write(back, &c, 1) != 1 || p == NULL || read(go, &c, 1) != 1)
		_exit(1);
	span[0] = bench_instret();
	bench_touch(p, pages, 1);
	span[1] = bench_instret();
	if (write(back, span, sizeof(span)) != sizeof(span))
		_exit(1);
	_exit(read(done, &c, 1) == 0 ? 0 : 1);
}

/* Start nproc children of bench_harts_child; returns how many started. */
static int bench_harts_spawn(int nproc, size_t pages, int go[2], int back[2],
			     int done[2], pid_t *pids, struct bench_result *r)
{
	int i;

	for (i = 0; i < nproc; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			bench_error(r, "fork");
			break;
		}
		if (pids[i] == 0) {
			close(go[1]);
			close(back[0]);
			close(done[1]);
			bench_harts_child(pages, go[0], back[1], done[0]);
		}
	}
	return i;
}

/* One round of fault_harts: nproc children zero-fill pages each, all at
 * once. The window is from the first child's start to the last child's
 * end: under -icount rdinstret is one count, shared by all harts, of the
 * instructions they execute, so the window holds the instructions of all
 * harts in it, spinning on locks included. */
static int bench_harts_round(int nproc, size_t pages, struct bench_result *r)
{
	uint64_t span[2], lo = UINT64_MAX, hi = 0;
	int go[2], back[2], done[2], i, n;
	char start[BENCH_HARTS];
	pid_t pids[BENCH_HARTS];

	if (pipe(go) < 0)
		return bench_error(r, "pipe");
	if (pipe(back) < 0) {
		bench_error(r, "pipe");
		goto close_go;
	}
	if (pipe(done) < 0) {
		bench_error(r, "pipe");
		goto close_back;
	}
	n = bench_harts_spawn(nproc, pages, go, back, done, pids, r);
	for (i = 0; i < n && r->error[0] == '\0'; i++)
		if (read(back[0], start, 1) != 1 || start[0] != BENCH_READY)
			bench_error(r, "a child could not map its pages");
	memset(start, 0, sizeof(start));
	bench_align();
	if (r->error[0] == '\0' && n == nproc &&
	    write(go[1], start, (size_t)n) != n)
		bench_error(r, "write of the start bytes");
	for (i = 0; i < n && r->error[0] == '\0'; i++) {
		if (read(back[0], span, sizeof(span)) != sizeof(span)) {
			bench_error(r, "read of a child's counts");
			break;
		}
		lo = span[0] < lo ? span[0] : lo;
		hi = span[1] > hi ? span[1] : hi;
	}
	close(go[1]);
	go[1] = -1;
	close(done[1]);                 /* the children may exit now */
	for (i = 0; i < n; i++)
		if (bench_reap(pids[i], r) < 0)
			break;
	if (r->error[0] == '\0')
		bench_add(r, (uint64_t)nproc * pages, hi - lo);
	close(done[0]);
close_back:
	close(back[0]);
	close(back[1]);
close_go:
	close(go[0]);
	if (go[1] >= 0)
		close(go[1]);
	return r->error[0] != '\0' ? -1 : 0;
}

/* fault_1hart, fault_4harts: the zero-fill fault of one process alone,
 * and of BENCH_HARTS processes on as many harts at once (size pages each,
 * a fresh mapping per round). On a machine with BENCH_HARTS harts the
 * second costs as much per fault as the first if nothing serializes. */
static int bench_fault_harts(const struct bench *b, struct bench_result *r)
{
	int nproc = strcmp(b->name, "fault_1hart") == 0 ? 1 : BENCH_HARTS;
	long i;

	for (i = 0; i < b->rounds; i++)
		if (bench_harts_round(nproc, (size_t)b->size, r) < 0)
			return -1;
	return 0;
}

/* Read all of fd once, so its pages are in the page cache. Returns its
 * size in bytes, or -1. */
static off_t bench_warm_file(int fd, struct bench_result *r)
{
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return bench_error(r, "fstat " BENCH_FILE);
	while ((n = read(fd, bench_page_buf, sizeof(bench_page_buf))) > 0)
		;
	memset(bench_page_buf, 0, sizeof(bench_page_buf));
	if (n < 0)
		return bench_error(r, "read " BENCH_FILE);
	return st.st_size;
}

/* One file_pagein round: map the file, read a byte of each page, unmap. */
static int bench_pagein_round(int fd, off_t size, struct bench_result *r)
{
	size_t pages = ((size_t)size + BENCH_PAGE - 1) / BENCH_PAGE;
	char *p = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	uint64_t t0;

	if (p == MAP_FAILED) {
		if (errno != ENODEV)
			return bench_error(r, "mmap of " BENCH_FILE);
		snprintf(r->skip, sizeof(r->skip),
			 "mmap of a file gives ENODEV (no file mappings yet)");
		return -1;
	}
	t0 = bench_start();
	bench_read_pages(p, pages);
	bench_add(r, pages, bench_instret() - t0);
	if (munmap(p, (size_t)size) < 0)
		return bench_error(r, "munmap");
	return 0;
}

/* file_pagein: a read fault on a private file mapping whose page is in
 * the page cache (the file was read just before). */
static int bench_file_pagein(const struct bench *b, struct bench_result *r)
{
	int fd = open(BENCH_FILE, O_RDONLY);
	off_t size;
	long i;

	if (fd < 0)
		return bench_error(r, "open " BENCH_FILE);
	size = bench_warm_file(fd, r);
	for (i = 0; size > 0 && i < b->rounds; i++)
		if (bench_pagein_round(fd, size, r) < 0)
			break;
	if (size == 0)
		snprintf(r->error, sizeof(r->error), BENCH_FILE " is empty");
	close(fd);
	return r->error[0] != '\0' || r->skip[0] != '\0' ? -1 : 0;
}

/* fork, the child execs the target (which exits at once), wait. */
static int bench_exec_once(struct bench_result *r)
{
	static char *const argv[] = { BENCH_EXEC_TARGET, NULL };
	static char *const envp[] = { NULL };
	pid_t pid = fork();

	if (pid < 0)
		return bench_error(r, "fork");
	if (pid == 0) {
		execve(BENCH_EXEC_TARGET, argv, envp);
		_exit(127);
	}
	return bench_reap(pid, r);
}

/*
 * exec: fork + execve of a small program + wait. The untimed first run
 * brings the program into the page cache, and an open descriptor keeps it
 * there: a file's cached pages go with its last reference, and without one
 * every exec would wait for the disk.
 */
static int bench_exec(const struct bench *b, struct bench_result *r)
{
	int fd = open(BENCH_EXEC_TARGET, O_RDONLY | O_CLOEXEC);
	uint64_t t0;
	long i;

	if (fd < 0)
		return bench_error(r, "open " BENCH_EXEC_TARGET);
	if (bench_exec_once(r) < 0)
		goto out;
	t0 = bench_start();
	for (i = 0; i < b->rounds; i++)
		if (bench_exec_once(r) < 0)
			goto out;
	bench_add(r, (uint64_t)b->rounds, bench_instret() - t0);
out:
	close(fd);
	return r->error[0] != '\0' ? -1 : 0;
}

/* mmap_1m: mmap 1 MiB anonymous, write every page, munmap. */
static int bench_mmap_1m(const struct bench *b, struct bench_result *r)
{
	uint64_t t0 = bench_start();
	char *p;
	long i;

	for (i = 0; i < b->rounds; i++) {
		p = bench_map(BENCH_MIB);
		if (p == NULL)
			return bench_error(r, "mmap");
		bench_touch(p, BENCH_MIB_PAGES, 1);
		if (munmap(p, BENCH_MIB) < 0)
			return bench_error(r, "munmap");
	}
	bench_add(r, (uint64_t)b->rounds, bench_instret() - t0);
	return 0;
}

/* null_syscall: getppid(), through the C library as a program calls it. */
static int bench_null_syscall(const struct bench *b, struct bench_result *r)
{
	uint64_t t0 = bench_start();
	long i;

	for (i = 0; i < b->rounds; i++)
		getppid();
	bench_add(r, (uint64_t)b->rounds, bench_instret() - t0);
	return 0;
}

/* trap: ecall of an unknown number, answered -ENOSYS (half the floor). */
static int bench_trap_roundtrip(const struct bench *b, struct bench_result *r)
{
	uint64_t t0;
	long i;

	if (bench_trap() != -BENCH_LX_ENOSYS) {
		snprintf(r->error, sizeof(r->error),
			 "ecall %d did not return -ENOSYS", BENCH_NO_SYSCALL);
		return -1;
	}
	t0 = bench_start();
	for (i = 0; i < b->rounds; i++)
		bench_trap();
	bench_add(r, (uint64_t)b->rounds, bench_instret() - t0);
	return 0;
}

/* zero_4k: zeroing one resident 4 KiB page in user space. */
static int bench_zero_4k(const struct bench *b, struct bench_result *r)
{
	uint64_t t0;
	long i;

	memset(bench_page_buf, 1, sizeof(bench_page_buf));
	t0 = bench_start();
	for (i = 0; i < b->rounds; i++)
		bench_zero_page(bench_page_buf);
	bench_add(r, (uint64_t)b->rounds, bench_instret() - t0);
	return 0;
}

/* fault_floor: what no page fault can beat, a trap round trip plus
 * zeroing 4 KiB, done back to back. */
static int bench_fault_floor(const struct bench *b, struct bench_result *r)
{
	uint64_t t0;
	long i;

	memset(bench_page_buf, 1, sizeof(bench_page_buf));
	t0 = bench_start();
	for (i = 0; i < b->rounds; i++) {
		bench_trap();
		bench_zero_page(bench_page_buf);
	}
	bench_add(r, (uint64_t)b->rounds, bench_instret() - t0);
	return 0;
}

/* The benchmarks, in the order they run and print. Round counts keep a
 * full `make bench` (two boots) within a few minutes under -icount. */
static const struct bench benches[] = {
	{ "fork_1m",      bench_fork,          1,   16 },
	{ "fork_16m",     bench_fork,          16,  4 },
	{ "fork_64m",     bench_fork,          64,  2 },
	{ "cow_fault",    bench_cow_fault,     256, 4 },
	{ "zero_fault",   bench_zero_fault,    256, 8 },
	{ "file_pagein",  bench_file_pagein,   0,   16 },
	{ "exec",         bench_exec,          0,   16 },
	{ "mmap_1m",      bench_mmap_1m,       0,   16 },
	{ "null_syscall", bench_null_syscall,  0,   10000 },
	{ "trap",         bench_trap_roundtrip, 0,  10000 },
	{ "zero_4k",      bench_zero_4k,       0,   1000 },
	{ "fault_floor",  bench_fault_floor,   0,   1000 },
};

/* Benchmarks that run only when named: tools/bench.py runs them on a
 * machine of their own (fault_harts: 4 harts). */
static const struct bench named_benches[] = {
	{ "fault_1hart",  bench_fault_harts,   1024, 8 },
	{ "fault_4harts", bench_fault_harts,   1024, 8 },
};

/* Print one line in a single write, so no fork can print it twice. */
static void bench_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void bench_print(const char *fmt, ...)
{
	char line[2 * BENCH_LINE];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 1;
	if (n > 0)
		write(STDOUT_FILENO, line, (size_t)n);
}

/* Run one benchmark and print its line. Returns 0, or -1 if it failed. */
static int bench_run(const struct bench *b)
{
	struct bench_result r;
	int err;

	memset(&r, 0, sizeof(r));
	err = b->run(b, &r);
	if (r.skip[0] != '\0') {
		bench_print("BENCH name=%s skip=\"%s\"\n", b->name, r.skip);
		return 0;
	}
	if (err < 0 || r.error[0] != '\0' || r.ops == 0) {
		bench_print("BENCH name=%s error=\"%s\"\n", b->name,
			    r.error[0] != '\0' ? r.error : "no operations");
		return -1;
	}
	bench_print("BENCH name=%s ops=%llu instret=%llu\n", b->name,
		    (unsigned long long)r.ops, (unsigned long long)r.instret);
	return 0;
}

static const struct bench *bench_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
		if (strcmp(benches[i].name, name) == 0)
			return &benches[i];
	for (i = 0; i < sizeof(named_benches) / sizeof(named_benches[0]); i++)
		if (strcmp(named_benches[i].name, name) == 0)
			return &named_benches[i];
	return NULL;
}

int main(int argc, char **argv)
{
	size_t i, n = sizeof(benches) / sizeof(benches[0]);
	int failed = 0, a;

	if (argc == 2 && strcmp(argv[1], "-l") == 0) {
		for (i = 0; i < n; i++)
			bench_print("%s\n", benches[i].name);
		for (i = 0; i < sizeof(named_benches) / sizeof(named_benches[0]); i++)
			bench_print("%s (only when named)\n", named_benches[i].name);
		return 0;
	}
	for (a = 1; a < argc; a++)
		if (bench_find(argv[a]) == NULL) {
			fprintf(stderr, "bench: no benchmark %s (bench -l lists them)\n",
				argv[a]);
			return 2;
		}
	if (argc == 1)
		for (i = 0; i < n; i++)
			failed |= bench_run(&benches[i]);
	for (a = 1; a < argc; a++)
		failed |= bench_run(bench_find(argv[a]));
	return failed ? 1 : 0;
}
