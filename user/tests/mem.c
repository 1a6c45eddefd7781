/*
 * mem: the address space seen from user mode: demand-zero anonymous
 * memory, munmap splitting a mapping, mprotect, execute permission, the
 * stack (growth and its guard), bad addresses that must kill only the
 * child that touched them, private and shared mappings of memory and of
 * files, and mappings outside the user range (ENOMEM).
 */
#include "tap.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define PLAN            69
#define PAGE            4096L
#define ANON_BYTES      (1L << 20)
#define BIG_MAP_BYTES   (64L << 20)
#define BIG_MAP_STRIDE  (256 * PAGE)
#define STACK_FRAME     4096            /* bytes of locals per recursion */
#define STACK_DEPTH     1280            /* 5 MiB of stack */
#define USER_TOP        0x4000000000UL  /* no user mapping at or above */
#define HUGE_LEN        (1UL << 40)     /* more than the user address space */
#define INSN_LI_A0_42   0x02a00513u     /* addi a0, zero, 42 */
#define INSN_RET        0x00008067u     /* jalr zero, 0(ra) */

static int all_bytes(const unsigned char *p, long n, unsigned char v)
{
	for (long i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static void *map_anon(long len, int prot)
{
	return mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* ---- children that must die ---- */

static void read_at(void *p)   { (void)*(volatile char *)p; }
static void write_at(void *p)  { *(volatile char *)p = 1; }
static void call_at(void *p)   { ((int (*)(void))p)(); }

static volatile int never = -1;        /* recursion depth that ends it: none */

static int recurse_forever(int n)
{
	volatile char frame[STACK_FRAME];

	frame[0] = (char)n;
	frame[STACK_FRAME - 1] = (char)n;
	if (n == never)
		return 0;
	return recurse_forever(n + 1) + frame[0] + frame[STACK_FRAME - 1];
}

static void overflow_stack(void *arg)
{
	(void)arg;
	recurse_forever(0);
}

static long recurse_sum(int n)
{
	volatile char frame[STACK_FRAME];

	frame[0] = (char)n;
	frame[STACK_FRAME - 1] = 1;
	if (n == 0)
		return 0;
	return recurse_sum(n - 1) + frame[STACK_FRAME - 1] + (frame[0] != (char)n);
}

static void deep_stack(void *arg)
{
	(void)arg;
	_exit(recurse_sum(STACK_DEPTH) == STACK_DEPTH ? 0 : 1);
}

static void expect_segv(void (*fn)(void *), void *arg, const char *what)
{
	tap_killed_by(tap_in_child(fn, arg), SIGSEGV, what);
}

/* ---- tests ---- */

static void test_demand_zero(void)
{
	unsigned char *p = map_anon(ANON_BYTES, PROT_READ | PROT_WRITE);

	tap_ok(p != MAP_FAILED, "mmap 1 MiB anonymous");
	if (p == MAP_FAILED)
		p = map_anon(PAGE, PROT_READ | PROT_WRITE);
	tap_ok(((unsigned long)p & (PAGE - 1)) == 0, "the mapping is page aligned");
	tap_ok((unsigned long)p >= 0x10000 && (unsigned long)p + ANON_BYTES <= USER_TOP,
	       "the mapping is in user space (%p)", (void *)p);
	tap_ok(all_bytes(p, ANON_BYTES, 0), "fresh anonymous memory reads as zero");
	for (long i = 0; i < ANON_BYTES; i++)
		p[i] = (unsigned char)(i * 3);
	int ok = 1;
	for (long i = 0; i < ANON_BYTES; i++)
		ok &= p[i] == (unsigned char)(i * 3);
	tap_ok(ok, "and keeps what is written");
	tap_is(madvise(p, ANON_BYTES / 2, MADV_DONTNEED), 0, "madvise(DONTNEED) on half");
	tap_ok(all_bytes(p, ANON_BYTES / 2, 0) && p[ANON_BYTES / 2] == (unsigned char)(ANON_BYTES / 2 * 3),
	       "the dropped half reads as zero, the rest is kept");
	tap_is(munmap(p, ANON_BYTES), 0, "munmap the whole mapping");
	expect_segv(read_at, p, "reading unmapped memory kills the child");
}

static void test_split(void)
{
	unsigned char *p = map_anon(3 * PAGE, PROT_READ | PROT_WRITE);

	memset(p, 'a', PAGE);
	memset(p + PAGE, 'b', PAGE);
	memset(p + 2 * PAGE, 'c', PAGE);
	tap_is(munmap(p + PAGE, PAGE), 0, "munmap the middle page of three");
	tap_ok(all_bytes(p, PAGE, 'a'), "the first piece keeps its data");
	tap_ok(all_bytes(p + 2 * PAGE, PAGE, 'c'), "the last piece keeps its data");
	expect_segv(read_at, p + PAGE, "reading the hole kills the child");
	expect_segv(write_at, p + PAGE, "writing the hole kills the child");
	p[0] = 'A';
	p[2 * PAGE] = 'C';
	tap_ok(p[0] == 'A' && p[2 * PAGE] == 'C', "both pieces stay writable");
	unsigned char *q = mmap(p + PAGE, PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	tap_ok(q == p + PAGE && all_bytes(q, PAGE, 0), "MAP_FIXED fills the hole with zeroes");
	unsigned char *r = mmap(p, PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	tap_ok(r == p && all_bytes(p, PAGE, 0), "MAP_FIXED over a mapping replaces it");
	tap_is(munmap(p, 3 * PAGE), 0, "munmap across the three pieces");
	expect_segv(read_at, p + 2 * PAGE, "the last piece is gone too");
	tap_errno(munmap(p + 1, PAGE), EINVAL, "munmap of an unaligned address gives EINVAL");
	tap_errno(munmap(p, 0), EINVAL, "munmap of length 0 gives EINVAL");
	tap_ok(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED &&
	       errno == EINVAL, "mmap of length 0 gives EINVAL");
}

static void test_protect(void)
{
	unsigned char *p = map_anon(2 * PAGE, PROT_READ | PROT_WRITE);

	memset(p, 'x', 2 * PAGE);
	tap_is(mprotect(p, PAGE, PROT_READ), 0, "mprotect the first page read-only");
	tap_ok(p[0] == 'x' && p[PAGE - 1] == 'x', "the read-only page is still readable");
	expect_segv(write_at, p, "writing a read-only page kills the child");
	p[PAGE] = 'y';
	tap_is(p[PAGE], 'y', "the neighbouring page stays writable (mprotect split the VMA)");
	tap_is(mprotect(p, PAGE, PROT_NONE), 0, "mprotect PROT_NONE");
	expect_segv(read_at, p, "reading a PROT_NONE page kills the child");
	tap_is(mprotect(p, PAGE, PROT_READ | PROT_WRITE), 0, "mprotect back to read-write");
	p[0] = 'z';
	tap_ok(p[0] == 'z' && p[1] == 'x', "writable again, data kept");
	tap_errno(mprotect(p + 1, PAGE, PROT_READ), EINVAL, "mprotect of an unaligned address gives EINVAL");

	/* Execute permission. */
	unsigned int *code = (unsigned int *)p;
	code[0] = INSN_LI_A0_42;
	code[1] = INSN_RET;
	expect_segv(call_at, code, "executing a page without PROT_EXEC kills the child");
	tap_is(mprotect(p, PAGE, PROT_READ | PROT_EXEC), 0, "mprotect read+exec");
	__asm__ volatile("fence.i" ::: "memory");
	tap_is(((int (*)(void))(void *)code)(), 42, "code in a PROT_EXEC page runs");
	expect_segv(write_at, p, "the exec page is not writable");
	munmap(p, 2 * PAGE);
	expect_segv(write_at, (void *)(unsigned long)&test_protect, "writing the program's text kills the child");
	expect_segv(write_at, (void *)"a string literal", "writing read-only data kills the child");
}

#define CANARY_BYTE 0x5a

/* Each child shares the parent's pages copy-on-write until it dies: its
 * fatal fault must leave the parent's memory and identity alone. */
static void bad_pointers(void)
{
	unsigned char *canary = map_anon(PAGE, PROT_READ | PROT_WRITE);
	pid_t me = getpid(), parent = getppid();

	if (canary != MAP_FAILED)
		memset(canary, CANARY_BYTE, PAGE);
	expect_segv(read_at, NULL, "reading NULL kills the child");
	expect_segv(write_at, NULL, "writing NULL kills the child");
	expect_segv(read_at, TAP_KERNEL_ADDR, "reading the kernel's direct map kills the child");
	expect_segv(write_at, TAP_KERNEL_ADDR, "writing the kernel's direct map kills the child");
	expect_segv(read_at, TAP_KERNEL_TEXT, "reading kernel text kills the child");
	expect_segv(read_at, TAP_UNMAPPED_ADDR, "reading an unmapped address kills the child");
	expect_segv(call_at, NULL, "jumping to NULL kills the child");
	tap_ok(canary != MAP_FAILED && all_bytes(canary, PAGE, CANARY_BYTE) &&
	       getpid() == me && getppid() == parent,
	       "the parent goes on after its children crashed: its memory and pids unchanged");
	if (canary != MAP_FAILED)
		munmap(canary, PAGE);
}

static void test_stack(void)
{
	tap_exited_with(tap_in_child(deep_stack, NULL), 0,
			"the stack grows to 5 MiB on demand");
	expect_segv(overflow_stack, NULL, "unbounded recursion hits the stack guard (SIGSEGV)");
	int local = 5;
	expect_segv(read_at, (void *)((unsigned long)&local - (64UL << 20)),
		    "64 MiB below the stack is not stack");
}

static void test_ranges(void)
{
	void *p;

	p = mmap((void *)(USER_TOP - PAGE), 2 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	tap_ok(p == MAP_FAILED && errno == ENOMEM, "MAP_FIXED across the top of user space gives ENOMEM");
	p = mmap((void *)USER_TOP, PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	tap_ok(p == MAP_FAILED && errno == ENOMEM, "MAP_FIXED above user space gives ENOMEM");
	p = mmap(TAP_KERNEL_ADDR, PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	tap_ok(p == MAP_FAILED && errno == ENOMEM, "MAP_FIXED at a kernel address gives ENOMEM");
	p = mmap(NULL, HUGE_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	tap_ok(p == MAP_FAILED && errno == ENOMEM, "a 1 TiB mapping gives ENOMEM");

	unsigned char *big = map_anon(BIG_MAP_BYTES, PROT_READ | PROT_WRITE);
	int ok = big != MAP_FAILED;
	tap_ok(ok, "mmap 64 MiB (more than fits in the page cache budget)");
	for (long off = 0; ok && off < BIG_MAP_BYTES; off += BIG_MAP_STRIDE)
		big[off] = (unsigned char)(off / BIG_MAP_STRIDE + 1);
	for (long off = 0; ok && off < BIG_MAP_BYTES; off += BIG_MAP_STRIDE)
		ok &= big[off] == (unsigned char)(off / BIG_MAP_STRIDE + 1) && big[off + 1] == 0;
	tap_ok(ok, "sparse touches of a 64 MiB mapping work");
	tap_is(big != MAP_FAILED ? munmap(big, BIG_MAP_BYTES) : -1, 0, "and it unmaps");
}

static void test_sharing(void)
{
	unsigned char *priv = map_anon(PAGE, PROT_READ | PROT_WRITE);
	unsigned char *shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int status;

	tap_ok(shared != MAP_FAILED, "mmap MAP_SHARED|MAP_ANONYMOUS");
	priv[0] = 'p';
	shared[0] = 's';
	pid_t pid = fork();
	if (pid == 0) {
		int saw = priv[0] == 'p' && shared[0] == 's';
		priv[0] = 'P';
		shared[0] = 'S';
		_exit(saw ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	tap_exited_with(status, 0, "the child sees both mappings' data");
	tap_is(priv[0], 'p', "a private mapping is copied on the child's write");
	tap_is(shared[0], 'S', "a shared mapping shows the child's write");
	munmap(priv, PAGE);
	munmap(shared, PAGE);
}

static void test_file_maps(void)
{
	static const char path[] = "/tmp/mem-map-file";
	char buf[8];
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);

	for (int i = 0; i < 2; i++) {
		memset(buf, '0' + i, sizeof(buf));
		for (long off = 0; off < PAGE; off += sizeof(buf))
			write(fd, buf, sizeof(buf));
	}
	unsigned char *pm = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	tap_ok(pm != MAP_FAILED, "mmap a file MAP_PRIVATE");
	if (pm == MAP_FAILED)
		pm = map_anon(2 * PAGE, PROT_READ | PROT_WRITE);
	tap_ok(all_bytes(pm, PAGE, '0') && all_bytes(pm + PAGE, PAGE, '1'),
	       "the mapping shows the file's contents");
	pm[0] = 'X';
	tap_ok(pread(fd, buf, 1, 0) == 1 && buf[0] == '0', "a private write does not reach the file");
	unsigned char *sm = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	tap_ok(sm != MAP_FAILED, "mmap the file MAP_SHARED");
	if (sm == MAP_FAILED)
		sm = map_anon(2 * PAGE, PROT_READ | PROT_WRITE);
	sm[PAGE + 5] = 'W';
	tap_ok(pread(fd, buf, 1, PAGE + 5) == 1 && buf[0] == 'W', "a shared write shows in read()");
	pwrite(fd, "R", 1, PAGE + 100);
	tap_is(sm[PAGE + 100], 'R', "a write() shows in the shared mapping");
	tap_is(pm[PAGE + 100], 'R', "and in the private mapping's unmodified pages");
	tap_is(pm[0], 'X', "while the private copy keeps its own page");
	munmap(pm, 2 * PAGE);
	munmap(sm, 2 * PAGE);
	close(fd);
	fd = open(path, O_RDONLY);
	tap_ok(pread(fd, buf, 1, PAGE + 5) == 1 && buf[0] == 'W', "the shared write is in the file after munmap");
	close(fd);
	fd = open(path, O_RDONLY);
	void *bad = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	tap_ok(bad == MAP_FAILED && errno == EACCES,
	       "a writable shared mapping of a read-only fd gives EACCES");
	close(fd);
	unlink(path);
}

int main(void)
{
	tap_plan(PLAN);
	test_demand_zero();
	test_split();
	test_protect();
	bad_pointers();
	test_stack();
	test_ranges();
	test_sharing();
	test_file_maps();
	return tap_done();
}
