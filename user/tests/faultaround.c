/*
 * faultaround: a read fault on a file mapping also maps the file's
 * neighbouring pages that are in the page cache already, read-only
 * (kernel/vm/fault.c, fault_around_file; 64 KiB window by default).
 * Asserts, through /proc/vmstat's pgfault and pgfault_around: reading a
 * whole cached 64 KiB window faults once; the bytes read are the file's;
 * a store to a page mapped around still copies it (MAP_PRIVATE: the file
 * keeps its bytes) or reaches the file (MAP_SHARED); a page a private
 * mapping copied is not replaced by the file's page; a page past the end
 * of the file is not mapped (SIGBUS stays SIGBUS).
 */
#include "vmcounters.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define PLAN            11
#define PAGE            4096L
#define WINDOW_PAGES    16                      /* fault_around_bytes 64 KiB */
#define FILE_PAGES      (3 * WINDOW_PAGES)   /* two aligned windows fit */
#define FILE_SIZE       (FILE_PAGES * PAGE)
#define SHORT_SIZE      (PAGE + 100)            /* a file ending in page 1 */

static const char path[] = "/tmp/faultaround";
static const char short_path[] = "/tmp/faultaround-short";
static char vmstat[VMC_BUF];

/* The byte at offset off of the test file. */
static unsigned char fbyte(long off)
{
	return (unsigned char)(off * 11 + off / PAGE * 5 + 3);
}

/* /proc/vmstat's pgfault and pgfault_around now. The buffer is static and
 * touched already, so reading the file faults on nothing of ours. */
static void counters(long *faults, long *around)
{
	vmc_slurp("/proc/vmstat", vmstat, sizeof(vmstat));
	*faults = vmc_field(vmstat, "pgfault");
	*around = vmc_field(vmstat, "pgfault_around");
}

/* Write the file of size bytes and read it once, so it is cached. */
static int make_file(const char *name, long size)
{
	static unsigned char buf[PAGE];
	int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -1;
	for (long off = 0; off < size; off += PAGE) {
		long n = size - off < PAGE ? size - off : PAGE;

		for (long i = 0; i < n; i++)
			buf[i] = fbyte(off + i);
		if (write(fd, buf, (size_t)n) != n)
			return -1;
	}
	lseek(fd, 0, SEEK_SET);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	return fd;
}

/* Every byte of the window's pages [first, first + n) as the file has it. */
static int window_ok(const unsigned char *p, long first, long n)
{
	for (long off = first * PAGE; off < (first + n) * PAGE; off++)
		if (p[off] != fbyte(off))
			return 0;
	return 1;
}

static void test_read_window(int fd)
{
	long f0, a0, f1, a1;
	volatile long sum = 0;
	unsigned char *p = mmap(NULL, FILE_SIZE, PROT_READ, MAP_PRIVATE, fd, 0);

	if (p == MAP_FAILED) {
		tap_ok(0, "mmap the cached file");
		return;
	}
	/* The window is aligned on virtual addresses, as Linux's is. */
	long base = 0;

	while (((unsigned long)(p + base * PAGE) & (WINDOW_PAGES * PAGE - 1)) != 0)
		base++;
	counters(&f0, &a0);
	counters(&f0, &a0);             /* the second read faults on nothing */
	for (long i = 0; i < WINDOW_PAGES; i++)
		sum += ((volatile unsigned char *)p)[(base + i) * PAGE];
	counters(&f1, &a1);
	tap_ok(a0 >= 0 && f0 >= 0, "/proc/vmstat has pgfault and pgfault_around");
	tap_is(f1 - f0, 1, "reading one page of each of 16 cached pages faults once");
	tap_ok(a1 - a0 >= WINDOW_PAGES - 1, "fault-around mapped the other 15 (%ld)",
	       a1 - a0);
	tap_ok(sum >= 0 && window_ok(p, base, WINDOW_PAGES), "they hold the file's bytes");
	counters(&f0, &a0);
	sum += ((volatile unsigned char *)p)[(base + WINDOW_PAGES + 3) * PAGE];
	counters(&f1, &a1);
	tap_is(f1 - f0, 1, "the next window faults once again");
	tap_ok(window_ok(p, base + WINDOW_PAGES, WINDOW_PAGES), "and holds the file's bytes");
	munmap(p, FILE_SIZE);
}

static void test_private_store(int fd)
{
	unsigned char *p = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE,
				fd, 0);
	unsigned char b;

	if (p == MAP_FAILED) {
		tap_ok(0, "mmap the cached file MAP_PRIVATE read-write");
		return;
	}
	p[5 * PAGE + 7] = 'P';          /* a write fault: copied, no fault-around */
	(void)*(volatile unsigned char *)&p[0];         /* maps 1..15 around */
	tap_is(p[5 * PAGE + 7], 'P', "a page the private mapping copied keeps its store");
	p[9 * PAGE + 1] = 'Q';          /* mapped around read-only: copies now */
	tap_ok(pread(fd, &b, 1, 9 * PAGE + 1) == 1 && b == fbyte(9 * PAGE + 1) &&
	       p[9 * PAGE + 1] == 'Q',
	       "a store to a page mapped around copies it and the file keeps its byte");
	munmap(p, FILE_SIZE);
}

static void test_shared_store(int fd)
{
	unsigned char *p = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
				fd, 0);
	unsigned char b = 0;

	if (p == MAP_FAILED) {
		tap_ok(0, "mmap the cached file MAP_SHARED read-write");
		return;
	}
	(void)*(volatile unsigned char *)&p[0];
	p[3 * PAGE + 2] = 'S';
	tap_ok(pread(fd, &b, 1, 3 * PAGE + 2) == 1 && b == 'S',
	       "a store through MAP_SHARED to a page mapped around reaches the file");
	p[3 * PAGE + 2] = fbyte(3 * PAGE + 2);
	munmap(p, FILE_SIZE);
}

/* A mapping longer than its file: the page past the end must not be
 * mapped around (touching it is SIGBUS). */
static void test_past_eof(void)
{
	int fd = make_file(short_path, SHORT_SIZE);
	unsigned char *p = fd < 0 ? MAP_FAILED :
		mmap(NULL, 4 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	int status = 0;
	pid_t pid;

	if (p == MAP_FAILED) {
		tap_ok(0, "mmap a short file");
		tap_ok(0, "mmap a short file");
		return;
	}
	tap_ok(p[0] == fbyte(0) && p[PAGE + 99] == fbyte(PAGE + 99),
	       "a file ending inside page 1 reads right");
	pid = fork();
	if (pid == 0) {
		(void)*(volatile unsigned char *)&p[2 * PAGE];
		_exit(0);
	}
	waitpid(pid, &status, 0);
	tap_ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS,
	       "the page past its end still gives SIGBUS (not mapped around)");
	munmap(p, 4 * PAGE);
	close(fd);
	unlink(short_path);
}

int main(void)
{
	int fd;

	tap_plan(PLAN);
	fd = make_file(path, FILE_SIZE);
	if (fd < 0) {
		tap_diag("cannot write %s", path);
		return tap_done();
	}
	test_read_window(fd);
	test_private_store(fd);
	test_shared_store(fd);
	close(fd);
	unlink(path);
	test_past_eof();
	return tap_done();
}
