/*
 * swapbench: the swap benchmarks of `make bench` (tools/bench.py,
 * docs/bench.md). Four runs, each printing "BENCH name=NAME key=value..."
 * lines, or "BENCH name=NAME skip=\"why\"" where this kernel cannot run
 * one, or "BENCH name=NAME error=\"why\"" when it went wrong:
 *
 *   swapbench throughput [MiB]  swap-out, swap-in, then raw /dev/vdb write
 *                               and read of the same amount (wall time)
 *   swapbench majfault [PAGES]  instructions per major fault (-icount);
 *                               PAGES pushes them out (default RAM x 5/4)
 *   swapbench trace [PAGES]     the reference trace of the replacement
 *                               benchmark, shaped for PAGES of RAM (default
 *                               MemTotal); tools/bench_opt.py rebuilds it
 *   swapbench filefault [FILE]  instructions per page-in of a file's page
 *                               from the file system disk (-icount)
 *
 * Whatever may be killed for lack of memory runs in a child process, so a
 * kernel that cannot page out yet gives a skip line, not a dead program.
 * Not a test suite (no TAP); exits 1 if any line is an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SWB_PAGE            4096
#define SWB_MIB             (1024 * 1024)
#define SWB_LINE            256
#define SWB_PROC_BUF        8192            /* bytes of a /proc file read */
#define SWB_NS_PER_S        1000000000ULL
#define SWB_NS_PER_MS       1000000ULL
#ifndef SYS_swapon
#define SYS_swapon          224             /* Linux riscv64 (asm-generic) */
#endif
#ifndef SYS_swapoff
#define SYS_swapoff         225
#endif
#define SWB_SWAPDEV         "/dev/vdb"      /* the swap disk, raw */
#define SWB_RAW_CHUNK       (128 * 1024)    /* bytes per raw read()/write() */
#define SWB_RAW_OFFSET      SWB_MIB         /* raw I/O starts here: the
                                             * mkswap header stays intact */
#define SWB_SALT            0x5a17c0de5a17c0deULL   /* page pattern */
/* throughput: RAM x 5/2 of anonymous memory, so the excess goes to swap,
 * but no more than 4/5 of RAM plus free swap. */
#define SWB_TPUT_NUM        5
#define SWB_TPUT_DEN        2
/* majfault: pages re-touched, and the pusher's size (RAM x 5/4). */
#define SWB_MAJ_PAGES       1024
#define SWB_PUSH_NUM        5
#define SWB_PUSH_DEN        4
#define SWB_IDLE_MS         100             /* idle_calib's sleep */
#define SWB_BUSY_LOOPS      1000000
#define SWB_SPIN_CAL_MS     20              /* the spinner measured alone */
#define SWB_SETTLE_MS       100             /* for the daemon after a push */
#define SWB_FAULT_FILE      "/tests/spin_target"    /* unread since boot */
/* trace: cold loop of RAM x 3/2, hot set of RAM / 4, TRACE_PER_COLD hot
 * references after every cold one, TRACE_PASSES passes. tools/bench_opt.py
 * rebuilds the same trace from the numbers printed. */
#define SWB_COLD_NUM        3
#define SWB_COLD_DEN        2
#define SWB_HOT_DEN         4
#define SWB_TRACE_PER_COLD  2
#define SWB_TRACE_PASSES    3
#define SWB_FNV_OFFSET      0xcbf29ce484222325ULL   /* FNV-1a, 64 bits */
#define SWB_FNV_PRIME       0x100000001b3ULL

static int swb_failed;                  /* an error line was printed */
static char swb_raw_buf[SWB_RAW_CHUNK] __attribute__((aligned(SWB_PAGE)));

/* ------------------------------------------------------------ helpers */

/* Print one line in a single write (no fork can print it twice). */
static void swb_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void swb_print(const char *fmt, ...)
{
	char line[2 * SWB_LINE];
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

static void swb_skip(const char *name, const char *why)
{
	swb_print("BENCH name=%s skip=\"%s\"\n", name, why);
}

static void swb_error(const char *name, const char *why)
{
	swb_print("BENCH name=%s error=\"%s\"\n", name, why);
	swb_failed = 1;
}

/* "what: strerror (errno N)" into buf, from the current errno. */
static void swb_why_errno(char *buf, size_t len, const char *what)
{
	int e = errno;

	snprintf(buf, len, "%s: %s (errno %d)", what, strerror(e), e);
}

/* Instructions retired by this hart (all modes; exact under -icount). */
static inline uint64_t swb_instret(void)
{
	uint64_t n;

	__asm__ volatile("rdinstret %0" : "=r"(n) : : "memory");
	return n;
}

/* CLOCK_MONOTONIC in ns: wall time, or virtual time under -icount. */
static uint64_t swb_now_ns(void)
{
	struct timespec ts;

	__asm__ volatile("" : : : "memory");
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SWB_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* Sleep until the next timer tick (1 ns: until the tick that ends it).
 * Under -icount the idle hart's clock jumps to the tick, so a timed
 * section that starts here starts at the same distance from a tick. */
static void swb_align(void)
{
	struct timespec ts = { 0, 1 };

	nanosleep(&ts, NULL);
}

static void swb_sleep_ms(uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Read a /proc file (at most SWB_PROC_BUF - 1 bytes) into buf, NUL-ended.
 * Returns 0 or -1 (errno). */
static int swb_read_proc(const char *path, char *buf)
{
	int fd = open(path, O_RDONLY);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (got < SWB_PROC_BUF - 1 &&
	       (n = read(fd, buf + got, SWB_PROC_BUF - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	return 0;
}

/* The number after "name" at the start of a line of path ("name value",
 * "Name:  value kB"). Returns 0 and *out, or -1 if the file or the name is
 * missing. */
static int swb_proc_value(const char *path, const char *name, uint64_t *out)
{
	static char buf[SWB_PROC_BUF];
	size_t len = strlen(name);
	char *line;

	if (swb_read_proc(path, buf) < 0)
		return -1;
	for (line = buf; line != NULL && *line != '\0';
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, name, len) == 0 &&
		    (line[len] == ' ' || line[len] == '\t')) {
			*out = strtoull(line + len, NULL, 10);
			return 0;
		}
	}
	return -1;
}

/* A /proc/vmstat counter (Linux name, e.g. "pswpout"); 0 or -1. */
static int swb_vmstat(const char *name, uint64_t *out)
{
	return swb_proc_value("/proc/vmstat", name, out);
}

/* The same counter, 0 when the kernel does not report it (only after a
 * swb_need_counters check). */
static uint64_t swb_vmstat0(const char *name)
{
	uint64_t v = 0;

	swb_vmstat(name, &v);
	return v;
}

/* A /proc/meminfo size ("MemTotal:") in kB; 0 or -1. */
static int swb_meminfo_kb(const char *name, uint64_t *out)
{
	return swb_proc_value("/proc/meminfo", name, out);
}

/* Why the kernel cannot run a swap benchmark (into why), or 0 if it
 * reports swap and every /proc/vmstat counter in names (NULL-ended). */
static int swb_need_counters(const char *const *names, char *why, size_t len)
{
	uint64_t v;

	if (swb_meminfo_kb("SwapTotal:", &v) < 0 || v == 0) {
		snprintf(why, len, "no swap: SwapTotal in /proc/meminfo is %s",
			 swb_meminfo_kb("SwapTotal:", &v) < 0 ? "missing" : "0");
		return -1;
	}
	for (; *names != NULL; names++)
		if (swb_vmstat(*names, &v) < 0) {
			snprintf(why, len, "/proc/vmstat has no %s (no paging "
				 "to swap in this kernel)", *names);
			return -1;
		}
	return 0;
}

/* Anonymous private read-write memory of pages pages, or NULL (errno). */
static uint64_t *swb_map(uint64_t pages)
{
	void *p = mmap(NULL, pages * SWB_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The doubleword at the start of page i of p. */
static inline volatile uint64_t *swb_word(uint64_t *p, uint64_t i)
{
	return (volatile uint64_t *)p + i * (SWB_PAGE / sizeof(uint64_t));
}

/*
 * Run fn(arg, out) in a child and copy its out (len bytes) back through a
 * pipe. Returns 0 if the child delivered; -2 with the reason in why if a
 * signal ended it (e.g. killed for lack of memory); -1 with the reason if
 * it could not start or exited without a result.
 */
static int swb_in_child(void (*fn)(void *arg, void *out), void *arg,
			void *out, size_t len, char *why, size_t whylen)
{
	ssize_t got = 0, n;
	int fd[2], status;
	pid_t pid;

	if (pipe(fd) < 0) {
		swb_why_errno(why, whylen, "pipe");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		swb_why_errno(why, whylen, "fork");
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (pid == 0) {
		close(fd[0]);
		fn(arg, out);
		_exit(write(fd[1], out, len) == (ssize_t)len ? 0 : 1);
	}
	close(fd[1]);
	while ((size_t)got < len &&
	       (n = read(fd[0], (char *)out + got, len - (size_t)got)) > 0)
		got += n;
	close(fd[0]);
	if (waitpid(pid, &status, 0) != pid) {
		swb_why_errno(why, whylen, "waitpid");
		return -1;
	}
	if (WIFSIGNALED(status)) {
		snprintf(why, whylen, "the child was killed by signal %d",
			 WTERMSIG(status));
		return -2;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
		 (size_t)got != len)
		snprintf(why, whylen, "the child ended with wait status 0x%x",
			 status);
	else
		return 0;
	return -1;
}

/*
 * swb_in_child for a run that needs page-out: a child killed while
 * pswpout stayed put means this kernel does not page out yet (a skip,
 * *skipped set); killed while it did page out is an error.
 */
static int swb_swapping_child(void (*fn)(void *arg, void *out), void *arg,
			      void *out, size_t len, char *why, size_t whylen,
			      int *skipped)
{
	uint64_t before = swb_vmstat0("pswpout");
	int err = swb_in_child(fn, arg, out, len, why, whylen);
	size_t n = strlen(why);

	*skipped = 0;
	if (err == -2 && swb_vmstat0("pswpout") == before) {
		snprintf(why + n, whylen - n, " and pswpout stayed at %llu "
			 "(no page-out in this kernel)",
			 (unsigned long long)before);
		*skipped = 1;
	} else if (err == -2) {
		snprintf(why + n, whylen - n, " while swapping");
	}
	return err;
}

/* ------------------------------------------------------------ throughput */

/* What the throughput child measured. */
struct swb_tput {
	uint64_t pages;                 /* pages written, then read */
	uint64_t out_ns, in_ns;         /* wall time of each pass */
	uint64_t out_pswpout, out_pswpin;       /* counter deltas, write pass */
	uint64_t paging_ns, paging_pswpout;     /* its part from the first
						 * page-out seen to its end */
	uint64_t in_pswpout, in_pswpin;         /* counter deltas, read pass */
	uint64_t bad;                   /* pages read back wrong */
	char error[SWB_LINE];
};

#define SWB_PAGING_CHECK       256     /* pages between looks at pswpout */

/*
 * The child: map pages pages, write one doubleword in each (the page
 * becomes dirty anonymous memory; what does not fit goes to swap), then
 * read them all back in the same order and check them. The write pass
 * also times its part from the first page-out on: until then pages only
 * fill free memory, and from then on each new page pushes one out, the
 * steady state a swap-out rate describes (pswpout is read every
 * SWB_PAGING_CHECK pages until it moves, outside that part).
 */
static void swb_tput_child(void *arg, void *res)
{
	struct swb_tput *r = res;
	uint64_t *p, i, t0, c0, c1;

	r->pages = *(uint64_t *)arg;
	p = swb_map(r->pages);
	if (p == NULL) {
		swb_why_errno(r->error, sizeof(r->error), "mmap");
		return;
	}
	c0 = swb_vmstat0("pswpout");
	c1 = swb_vmstat0("pswpin");
	uint64_t tp = 0, cp = 0;

	t0 = swb_now_ns();
	for (i = 0; i < r->pages; i++) {
		if (tp == 0 && i % SWB_PAGING_CHECK == 0 &&
		    (cp = swb_vmstat0("pswpout")) != c0)
			tp = swb_now_ns();
		*swb_word(p, i) = i ^ SWB_SALT;
	}
	uint64_t t1 = swb_now_ns();

	r->out_ns = t1 - t0;
	r->out_pswpout = swb_vmstat0("pswpout") - c0;
	if (tp != 0) {
		r->paging_ns = t1 - tp;
		r->paging_pswpout = r->out_pswpout - (cp - c0);
	}
	r->out_pswpin = swb_vmstat0("pswpin") - c1;
	c0 = swb_vmstat0("pswpout");
	c1 = swb_vmstat0("pswpin");
	t0 = swb_now_ns();
	for (i = 0; i < r->pages; i++)
		r->bad += *swb_word(p, i) != (i ^ SWB_SALT);
	r->in_ns = swb_now_ns() - t0;
	r->in_pswpout = swb_vmstat0("pswpout") - c0;
	r->in_pswpin = swb_vmstat0("pswpin") - c1;
	munmap(p, r->pages * SWB_PAGE);
}

/* swap_out and swap_in: pages pages of anonymous memory, in a child. */
static void swb_tput_swap(uint64_t pages)
{
	static const char *const need[] = { "pswpout", "pswpin", NULL };
	char why[SWB_LINE] = "";
	struct swb_tput r;
	int skipped;

	memset(&r, 0, sizeof(r));
	if (swb_need_counters(need, why, sizeof(why)) < 0) {
		swb_skip("swap_out", why);
		swb_skip("swap_in", why);
		return;
	}
	if (swb_swapping_child(swb_tput_child, &pages, &r, sizeof(r), why,
			       sizeof(why), &skipped) < 0 && skipped) {
		swb_skip("swap_out", why);
		swb_skip("swap_in", why);
		return;
	}
	if (why[0] != '\0' || r.error[0] != '\0' || r.bad != 0) {
		if (r.bad != 0)
			snprintf(why, sizeof(why), "%llu of %llu pages read "
				 "back wrong", (unsigned long long)r.bad,
				 (unsigned long long)r.pages);
		swb_error("swap_out", r.error[0] != '\0' ? r.error : why);
		swb_error("swap_in", r.error[0] != '\0' ? r.error : why);
		return;
	}
	swb_print("BENCH name=swap_out pages=%llu ns=%llu pswpout=%llu "
		  "pswpin=%llu paging_ns=%llu paging_pswpout=%llu\n",
		  (unsigned long long)r.pages,
		  (unsigned long long)r.out_ns,
		  (unsigned long long)r.out_pswpout,
		  (unsigned long long)r.out_pswpin,
		  (unsigned long long)r.paging_ns,
		  (unsigned long long)r.paging_pswpout);
	swb_print("BENCH name=swap_in pages=%llu ns=%llu pswpin=%llu "
		  "pswpout=%llu\n", (unsigned long long)r.pages,
		  (unsigned long long)r.in_ns,
		  (unsigned long long)r.in_pswpin,
		  (unsigned long long)r.in_pswpout);
}

/* The size of the open device fd in bytes, or 0 if it will not say. */
static uint64_t swb_dev_bytes(int fd)
{
	off_t end = lseek(fd, 0, SEEK_END);

	return end > 0 ? (uint64_t)end : 0;
}

/*
 * One raw pass over bytes bytes of fd from SWB_RAW_OFFSET, in
 * SWB_RAW_CHUNK calls: write (each chunk starts with its index, then
 * fsync), or read (checking each chunk's index). Returns the wall time in
 * ns, or 0 with why set.
 */
static uint64_t swb_raw_pass(int fd, uint64_t bytes, int writing,
			     char *why, size_t len)
{
	uint64_t i, chunks = bytes / SWB_RAW_CHUNK, t0;
	uint64_t *head = (uint64_t *)swb_raw_buf;
	ssize_t n;

	if (lseek(fd, SWB_RAW_OFFSET, SEEK_SET) != SWB_RAW_OFFSET) {
		swb_why_errno(why, len, "lseek " SWB_SWAPDEV);
		return 0;
	}
	t0 = swb_now_ns();
	for (i = 0; i < chunks; i++) {
		if (writing)
			*head = i ^ SWB_SALT;
		n = writing ? write(fd, swb_raw_buf, SWB_RAW_CHUNK) :
			read(fd, swb_raw_buf, SWB_RAW_CHUNK);
		if (n != SWB_RAW_CHUNK) {
			if (n < 0)
				swb_why_errno(why, len, writing ? "write" : "read");
			else
				snprintf(why, len, "%s of chunk %llu gave %ld bytes",
					 writing ? "write" : "read",
					 (unsigned long long)i, (long)n);
			return 0;
		}
		if (!writing && *head != (i ^ SWB_SALT)) {
			snprintf(why, len, "chunk %llu read back wrong",
				 (unsigned long long)i);
			return 0;
		}
	}
	if (writing && fsync(fd) < 0 && errno != EINVAL && errno != ENOSYS) {
		swb_why_errno(why, len, "fsync " SWB_SWAPDEV);
		return 0;
	}
	return swb_now_ns() - t0;
}

/* raw_write and raw_read of bytes bytes of the open swap disk fd. */
static void swb_raw_io(int fd, uint64_t bytes)
{
	uint64_t dev = swb_dev_bytes(fd), ns;
	char why[SWB_LINE];

	if (dev > SWB_RAW_OFFSET && bytes > dev - SWB_RAW_OFFSET)
		bytes = dev - SWB_RAW_OFFSET;
	bytes -= bytes % SWB_RAW_CHUNK;
	memset(swb_raw_buf, 0xa5, sizeof(swb_raw_buf));
	ns = swb_raw_pass(fd, bytes, 1, why, sizeof(why));
	if (ns == 0) {
		swb_error("raw_write", why);
		swb_skip("raw_read", "the raw write failed");
		return;
	}
	swb_print("BENCH name=raw_write bytes=%llu ns=%llu chunk=%d\n",
		  (unsigned long long)bytes, (unsigned long long)ns,
		  SWB_RAW_CHUNK);
	ns = swb_raw_pass(fd, bytes, 0, why, sizeof(why));
	if (ns == 0) {
		swb_error("raw_read", why);
		return;
	}
	swb_print("BENCH name=raw_read bytes=%llu ns=%llu chunk=%d\n",
		  (unsigned long long)bytes, (unsigned long long)ns,
		  SWB_RAW_CHUNK);
}

/*
 * raw_write and raw_read: swap off, the same amount through /dev/vdb,
 * swap on again (the raw writes start past the header, so mkswap's
 * header survives).
 */
static void swb_tput_raw(uint64_t bytes)
{
	char why[SWB_LINE];
	int fd;

	if (syscall(SYS_swapoff, (long)SWB_SWAPDEV, 0L, 0L, 0L, 0L, 0L) < 0) {
		swb_why_errno(why, sizeof(why), "swapoff " SWB_SWAPDEV);
		swb_skip("raw_write", why);
		swb_skip("raw_read", why);
		return;
	}
	fd = open(SWB_SWAPDEV, O_RDWR);
	if (fd < 0) {
		swb_why_errno(why, sizeof(why), "open " SWB_SWAPDEV);
		swb_skip("raw_write", why);
		swb_skip("raw_read", why);
	} else {
		swb_raw_io(fd, bytes);
		close(fd);
	}
	if (syscall(SYS_swapon, (long)SWB_SWAPDEV, 0L, 0L, 0L, 0L, 0L) < 0) {
		swb_why_errno(why, sizeof(why), "swapon " SWB_SWAPDEV " again");
		swb_error("swapon_again", why);
	}
}

/* The throughput run: size MiB (0: RAM x 5/2, within RAM + free swap). */
static void swb_throughput(uint64_t mib)
{
	uint64_t ram_kb = 0, swap_kb = 0, cap;

	swb_meminfo_kb("MemTotal:", &ram_kb);
	swb_meminfo_kb("SwapFree:", &swap_kb);
	if (mib == 0) {
		mib = ram_kb * SWB_TPUT_NUM / SWB_TPUT_DEN / 1024;
		cap = (ram_kb + swap_kb) * 4 / 5 / 1024;
		if (swap_kb != 0 && mib > cap)
			mib = cap;
	}
	swb_print("BENCH name=swap_setup mib=%llu ram_kb=%llu swapfree_kb=%llu\n",
		  (unsigned long long)mib, (unsigned long long)ram_kb,
		  (unsigned long long)swap_kb);
	swb_tput_swap(mib * SWB_MIB / SWB_PAGE);
	swb_tput_raw(mib * SWB_MIB);
}

/* ------------------------------------------------------------ majfault */

/*
 * Under -icount, rdinstret reads QEMU's virtual clock, which jumps to the
 * next timer tick whenever the hart idles: a wait for the disk would add
 * milliseconds of "instructions". So while the pages come back in, a
 * spinner process keeps the hart busy with sched_yield calls (each hands
 * the hart at once to a woken process), counting them in a shared page;
 * its instructions are subtracted. The spinner is measured alone first.
 */
struct swb_spin {
	volatile uint64_t spins;        /* sched_yield calls made */
	volatile int stop;              /* set by the measuring process */
};

/* What the majfault child measured. */
struct swb_maj {
	uint64_t pages;                 /* pages re-touched */
	uint64_t resident_instret;      /* touching them while resident */
	uint64_t pushed;                /* pages of the pusher */
	uint64_t pushed_pswpout;        /* pswpout during the push */
	uint64_t instret, ns;           /* re-touching them from swap */
	uint64_t spins;                 /* spinner yields in that window */
	uint64_t cal_instret, cal_spins;        /* the spinner alone */
	uint64_t majflt, pswpin, pswpout;       /* counter deltas, re-touch */
	uint64_t bad;                   /* pages read back wrong */
	char error[SWB_LINE];
};

/* sched_yield straight through ecall: the same instructions every call. */
static inline void swb_yield(void)
{
	register long a0 __asm__("a0") = 0;
	register long a7 __asm__("a7") = SYS_sched_yield;

	__asm__ volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
}

/* The spinner: yield and count until told to stop. */
static void swb_spinner(struct swb_spin *sp)
{
	while (!sp->stop) {
		swb_yield();
		sp->spins++;
	}
	_exit(0);
}

/* Read page i of p's first doubleword for each of pages pages; returns how
 * many held something else than their pattern. */
static __attribute__((noinline)) uint64_t swb_check_pages(uint64_t *p,
							  uint64_t pages)
{
	uint64_t i, bad = 0;

	for (i = 0; i < pages; i++)
		bad += *swb_word(p, i) != (i ^ SWB_SALT);
	return bad;
}

/* Push resident anonymous memory to swap: write pushed pages of a fresh
 * mapping, then unmap it, so plenty is free afterwards. 0 or -1. */
static int swb_push(struct swb_maj *r)
{
	uint64_t *y = swb_map(r->pushed), i, c0 = swb_vmstat0("pswpout");

	if (y == NULL) {
		swb_why_errno(r->error, sizeof(r->error), "mmap of the pusher");
		return -1;
	}
	for (i = 0; i < r->pushed; i++)
		*swb_word(y, i) = i;
	r->pushed_pswpout = swb_vmstat0("pswpout") - c0;
	munmap(y, r->pushed * SWB_PAGE);
	return 0;
}

/* Start the spinner on a shared page; NULL (error in err) if it cannot. */
static struct swb_spin *swb_spin_start(char *err, size_t len, pid_t *pid)
{
	struct swb_spin *sp = mmap(NULL, SWB_PAGE, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (sp == MAP_FAILED) {
		swb_why_errno(err, len, "mmap of the spinner page");
		return NULL;
	}
	sp->spins = 0;
	sp->stop = 0;
	*pid = fork();
	if (*pid < 0) {
		swb_why_errno(err, len, "fork of the spinner");
		munmap(sp, SWB_PAGE);
		return NULL;
	}
	if (*pid == 0)
		swb_spinner(sp);
	return sp;
}

/* What the spinner alone retires: all of a short sleep of this process.
 * Sets *instret and *spins. */
static void swb_spin_calibrate(struct swb_spin *sp, uint64_t *instret,
			       uint64_t *spins)
{
	uint64_t s0, t0;

	swb_align();
	s0 = sp->spins;
	t0 = swb_instret();
	swb_sleep_ms(SWB_SPIN_CAL_MS);
	*instret = swb_instret() - t0;
	*spins = sp->spins - s0;
}

/* Stop the spinner and free its page. */
static void swb_spin_stop(struct swb_spin *sp, pid_t pid)
{
	int status;

	sp->stop = 1;
	waitpid(pid, &status, 0);
	munmap(sp, SWB_PAGE);
}

/* Re-read the pages from swap with the spinner running; count it all. */
static void swb_maj_measure(struct swb_maj *r, uint64_t *x,
			    struct swb_spin *sp)
{
	uint64_t t0, n0, s0, m0, i0, o0;

	m0 = swb_vmstat0("pgmajfault");
	i0 = swb_vmstat0("pswpin");
	o0 = swb_vmstat0("pswpout");
	swb_align();
	s0 = sp->spins;
	n0 = swb_now_ns();
	t0 = swb_instret();
	r->bad += swb_check_pages(x, r->pages);
	r->instret = swb_instret() - t0;
	r->ns = swb_now_ns() - n0;
	r->spins = sp->spins - s0;
	r->majflt = swb_vmstat0("pgmajfault") - m0;
	r->pswpin = swb_vmstat0("pswpin") - i0;
	r->pswpout = swb_vmstat0("pswpout") - o0;
}

/*
 * After the push: let the page daemon finish (the hart idles meanwhile),
 * then bring back whatever of this process's own stack and code the timed
 * section uses, so its only major faults are on the pages measured.
 */
static void swb_settle(struct swb_maj *r)
{
	swb_sleep_ms(SWB_SETTLE_MS);
	r->bad += swb_check_pages(NULL, 0);
	r->ns = swb_now_ns();
	r->majflt = swb_vmstat0("pgmajfault");
}

/*
 * The child: write K pages, time re-reading them while resident, push
 * them to swap with RAM x 5/4 of other memory (then freed), start the
 * spinner, and time re-reading them again, now from swap, with free
 * memory at hand (no page-out in the path).
 */
static void swb_maj_child(void *arg, void *res)
{
	struct swb_maj *r = res;
	struct swb_spin *sp;
	uint64_t *x, i, t0;
	pid_t spin;

	r->pages = SWB_MAJ_PAGES;
	r->pushed = *(uint64_t *)arg;
	x = swb_map(r->pages);
	if (x == NULL) {
		swb_why_errno(r->error, sizeof(r->error), "mmap");
		return;
	}
	for (i = 0; i < r->pages; i++)
		*swb_word(x, i) = i ^ SWB_SALT;
	swb_align();
	t0 = swb_instret();
	r->bad = swb_check_pages(x, r->pages);
	r->resident_instret = swb_instret() - t0;
	if (swb_push(r) < 0)
		goto out;
	swb_settle(r);
	if ((sp = swb_spin_start(r->error, sizeof(r->error), &spin)) != NULL) {
		swb_spin_calibrate(sp, &r->cal_instret, &r->cal_spins);
		swb_maj_measure(r, x, sp);
		swb_spin_stop(sp, spin);
	}
out:
	munmap(x, r->pages * SWB_PAGE);
}

/*
 * filefault: a read fault on each page of a private mapping of a file no
 * one has read since boot, so every page comes from the file system disk
 * (page-in by the vnode pager): the same spinner method as majfault, on
 * a path every kernel has. Prints ops = pages, and pgpagein's delta.
 */
static void swb_filefault(const char *path)
{
	uint64_t t0, s0, p0, pages, cal_i, cal_s, instret, spins, sum = 0, i;
	char err[SWB_LINE] = "";
	struct swb_spin *sp;
	off_t size;
	char *p;
	pid_t spin;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || (size = lseek(fd, 0, SEEK_END)) <= 0) {
		swb_why_errno(err, sizeof(err), path);
		if (fd < 0 && errno == ENOENT)
			swb_skip("filefault", err);
		else
			swb_error("filefault", err);
		if (fd >= 0)
			close(fd);
		return;
	}
	pages = ((uint64_t)size + SWB_PAGE - 1) / SWB_PAGE;
	p = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED || (sp = swb_spin_start(err, sizeof(err),
						    &spin)) == NULL) {
		if (p == MAP_FAILED)
			swb_why_errno(err, sizeof(err), "mmap");
		swb_error("filefault", err);
		return;
	}
	swb_spin_calibrate(sp, &cal_i, &cal_s);
	p0 = swb_vmstat0("pgpagein");
	swb_align();
	s0 = sp->spins;
	t0 = swb_instret();
	for (i = 0; i < pages; i++)
		sum += ((volatile char *)p)[i * SWB_PAGE];
	instret = swb_instret() - t0;
	spins = sp->spins - s0;
	swb_spin_stop(sp, spin);
	munmap(p, (size_t)size);
	swb_print("BENCH name=filefault pages=%llu instret=%llu spins=%llu "
		  "cal_instret=%llu cal_spins=%llu pgpagein=%llu sum=%llu\n",
		  (unsigned long long)pages, (unsigned long long)instret,
		  (unsigned long long)spins, (unsigned long long)cal_i,
		  (unsigned long long)cal_s,
		  (unsigned long long)(swb_vmstat0("pgpagein") - p0),
		  (unsigned long long)(sum & 0xff));
}

/* Instructions and virtual ns of a nanosleep of ms milliseconds. */
static void swb_idle_sample(uint64_t ms, uint64_t *instret, uint64_t *ns)
{
	uint64_t t0, n0;

	swb_align();
	n0 = swb_now_ns();
	t0 = swb_instret();
	swb_sleep_ms(ms);
	*instret = swb_instret() - t0;
	*ns = swb_now_ns() - n0;
}

/*
 * idle_calib: what rdinstret says while the hart has nothing to run, over
 * a sleep, against the virtual clock; and over a busy loop. Under -icount
 * shift=0 both advance one per virtual ns: the counter is QEMU's virtual
 * clock, idle time included (docs/bench.md).
 */
static void swb_idle_calib(void)
{
	uint64_t si, sn, bi, bn, i;
	volatile uint64_t sink = 0;

	swb_idle_sample(SWB_IDLE_MS, &si, &sn);
	swb_align();
	bn = swb_now_ns();
	bi = swb_instret();
	for (i = 0; i < SWB_BUSY_LOOPS; i++)
		sink += i;
	bi = swb_instret() - bi;
	bn = swb_now_ns() - bn;
	swb_print("BENCH name=idle_calib sleep_ns=%llu sleep_instret=%llu "
		  "busy_ns=%llu busy_instret=%llu\n", (unsigned long long)sn,
		  (unsigned long long)si, (unsigned long long)bn,
		  (unsigned long long)bi);
}

/* The majfault run (meant for QEMU -icount with one hart); pushed pages
 * of other memory push the measured ones out (0: RAM x 5/4). */
static void swb_majfault(uint64_t pushed)
{
	static const char *const need[] = { "pgmajfault", "pswpin", "pswpout",
					    NULL };
	uint64_t ram_kb = 0;
	char why[SWB_LINE] = "";
	struct swb_maj r;
	int skipped;

	swb_idle_calib();
	memset(&r, 0, sizeof(r));
	if (swb_need_counters(need, why, sizeof(why)) < 0) {
		swb_skip("majfault", why);
		return;
	}
	swb_meminfo_kb("MemTotal:", &ram_kb);
	if (pushed == 0)
		pushed = ram_kb * 1024 / SWB_PAGE * SWB_PUSH_NUM / SWB_PUSH_DEN;
	if (swb_swapping_child(swb_maj_child, &pushed, &r, sizeof(r), why,
			       sizeof(why), &skipped) < 0 && skipped) {
		swb_skip("majfault", why);
		return;
	}
	if (why[0] != '\0' || r.error[0] != '\0' || r.bad != 0) {
		if (r.bad != 0)
			snprintf(why, sizeof(why), "%llu pages read back wrong",
				 (unsigned long long)r.bad);
		swb_error("majfault", r.error[0] != '\0' ? r.error : why);
		return;
	}
	swb_print("BENCH name=majfault pages=%llu instret=%llu ns=%llu "
		  "spins=%llu cal_instret=%llu cal_spins=%llu majflt=%llu "
		  "pswpin=%llu pswpout=%llu resident_instret=%llu pushed=%llu "
		  "pushed_pswpout=%llu\n",
		  (unsigned long long)r.pages, (unsigned long long)r.instret,
		  (unsigned long long)r.ns, (unsigned long long)r.spins,
		  (unsigned long long)r.cal_instret,
		  (unsigned long long)r.cal_spins, (unsigned long long)r.majflt,
		  (unsigned long long)r.pswpin, (unsigned long long)r.pswpout,
		  (unsigned long long)r.resident_instret,
		  (unsigned long long)r.pushed,
		  (unsigned long long)r.pushed_pswpout);
}

/* ------------------------------------------------------------ trace */

/* The trace's shape (tools/bench_opt.py rebuilds it from these). */
struct swb_trace {
	uint64_t cold, hot;             /* pages: cold loop, hot set */
	uint64_t per_cold;              /* hot references after each cold one */
	uint64_t passes;
	uint64_t refs, hash;            /* references made; FNV-1a of pages */
	uint64_t rss_base_kb, hwm_kb;   /* VmRSS before, VmHWM after */
	uint64_t memfree_kb;            /* MemFree before */
	uint64_t majflt, pswpin, pswpout, ns;
	char error[SWB_LINE];
};

static inline uint64_t swb_fnv(uint64_t h, uint64_t page)
{
	return (h ^ page) * SWB_FNV_PRIME;
}

/* Store one byte in page `page` of p (cold pages first, then hot). */
static inline void swb_ref(struct swb_trace *t, char *p, uint64_t page)
{
	((volatile char *)p)[page * SWB_PAGE] = (char)t->refs;
	t->refs++;
	t->hash = swb_fnv(t->hash, page);
}

/*
 * The reference trace: each pass walks the cold pages 0..cold-1 in order,
 * and after each cold page references per_cold pages of the hot set
 * (pages cold..cold+hot-1) round-robin, the hot cursor carrying over
 * between passes. Every reference is a one-byte store.
 */
static void swb_trace_run(struct swb_trace *t, char *p)
{
	uint64_t pass, c, k, h = 0;

	for (pass = 0; pass < t->passes; pass++)
		for (c = 0; c < t->cold; c++) {
			swb_ref(t, p, c);
			for (k = 0; k < t->per_cold; k++) {
				swb_ref(t, p, t->cold + h);
				h = (h + 1) % t->hot;
			}
		}
}

/* The trace child: map, run the trace, read the counters around it. */
static void swb_trace_child(void *arg, void *res)
{
	struct swb_trace *t = res;
	uint64_t m0, i0, o0, n0;
	char *p;

	*t = *(struct swb_trace *)arg;
	swb_proc_value("/proc/self/status", "VmRSS:", &t->rss_base_kb);
	swb_meminfo_kb("MemFree:", &t->memfree_kb);
	p = (char *)swb_map(t->cold + t->hot);
	if (p == NULL) {
		swb_why_errno(t->error, sizeof(t->error), "mmap");
		return;
	}
	m0 = swb_vmstat0("pgmajfault");
	i0 = swb_vmstat0("pswpin");
	o0 = swb_vmstat0("pswpout");
	n0 = swb_now_ns();
	swb_trace_run(t, p);
	t->ns = swb_now_ns() - n0;
	t->majflt = swb_vmstat0("pgmajfault") - m0;
	t->pswpin = swb_vmstat0("pswpin") - i0;
	t->pswpout = swb_vmstat0("pswpout") - o0;
	swb_proc_value("/proc/self/status", "VmHWM:", &t->hwm_kb);
	munmap(p, (t->cold + t->hot) * SWB_PAGE);
}

/* The trace run: RAM x 3/2 cold pages and a hot set of RAM / 4, for
 * ram_pages of RAM (0: MemTotal). */
static void swb_trace(uint64_t ram_pages)
{
	static const char *const need[] = { "pgmajfault", "pswpin", NULL };
	struct swb_trace shape, t;
	uint64_t ram_kb = 0;
	char why[SWB_LINE] = "";
	int skipped;

	if (swb_need_counters(need, why, sizeof(why)) < 0) {
		swb_skip("trace", why);
		return;
	}
	swb_meminfo_kb("MemTotal:", &ram_kb);
	if (ram_pages == 0)
		ram_pages = ram_kb * 1024 / SWB_PAGE;
	if (ram_pages < SWB_HOT_DEN) {
		swb_error("trace", "too few pages of RAM for the trace");
		return;
	}
	memset(&shape, 0, sizeof(shape));
	shape.cold = ram_pages * SWB_COLD_NUM / SWB_COLD_DEN;
	shape.hot = ram_pages / SWB_HOT_DEN;
	shape.per_cold = SWB_TRACE_PER_COLD;
	shape.passes = SWB_TRACE_PASSES;
	shape.hash = SWB_FNV_OFFSET;
	memset(&t, 0, sizeof(t));
	if (swb_swapping_child(swb_trace_child, &shape, &t, sizeof(t), why,
			       sizeof(why), &skipped) < 0 && skipped) {
		swb_skip("trace", why);
		return;
	}
	if (why[0] != '\0' || t.error[0] != '\0') {
		swb_error("trace", t.error[0] != '\0' ? t.error : why);
		return;
	}
	swb_print("BENCH name=trace cold=%llu hot=%llu per_cold=%llu "
		  "passes=%llu refs=%llu hash=%llu rss_base_kb=%llu "
		  "hwm_kb=%llu memfree_kb=%llu majflt=%llu pswpin=%llu "
		  "pswpout=%llu ns=%llu\n",
		  (unsigned long long)t.cold, (unsigned long long)t.hot,
		  (unsigned long long)t.per_cold, (unsigned long long)t.passes,
		  (unsigned long long)t.refs, (unsigned long long)t.hash,
		  (unsigned long long)t.rss_base_kb,
		  (unsigned long long)t.hwm_kb,
		  (unsigned long long)t.memfree_kb, (unsigned long long)t.majflt,
		  (unsigned long long)t.pswpin, (unsigned long long)t.pswpout,
		  (unsigned long long)t.ns);
}

/* ------------------------------------------------------------ main */

static int swb_usage(void)
{
	fprintf(stderr, "usage: swapbench throughput [MiB] | majfault [PAGES] | "
		"trace [PAGES] | filefault [FILE]\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return swb_usage();
	if (strcmp(argv[1], "throughput") == 0 && argc <= 3)
		swb_throughput(argc == 3 ? strtoull(argv[2], NULL, 10) : 0);
	else if (strcmp(argv[1], "majfault") == 0 && argc <= 3)
		swb_majfault(argc == 3 ? strtoull(argv[2], NULL, 10) : 0);
	else if (strcmp(argv[1], "trace") == 0 && argc <= 3)
		swb_trace(argc == 3 ? strtoull(argv[2], NULL, 10) : 0);
	else if (strcmp(argv[1], "filefault") == 0 && argc <= 3)
		swb_filefault(argc == 3 ? argv[2] : SWB_FAULT_FILE);
	else
		return swb_usage();
	return swb_failed ? 1 : 0;
}
