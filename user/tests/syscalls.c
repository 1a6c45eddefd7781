/*
 * syscalls: the small system calls: process ids, uname, clocks, sleeping,
 * an unknown number (ENOSYS), bad descriptors and brk.
 * Prints TAP; run as /tests/syscalls (normally through leakcheck).
 */
#include "tap.h"

#include <fcntl.h>
#include <sys/utsname.h>
#include <time.h>

#define PLAN            48
#define NS_PER_SEC      1000000000L
#define SLEEP_NS        50000000L       /* 50 ms */
#define SLEEP_MAX_NS    (5 * NS_PER_SEC)
#define CLOCK_SAMPLES   1000
#define BAD_CLOCK_ID    12345
#define UNKNOWN_SYSCALL 299             /* below NSYSCALLS, not implemented */
#define HUGE_SYSCALL    (1L << 40)
#define BRK_GROW        (64 * 1024)     /* bytes */
#define BAD_FD          99
#define NO_SUCH_PID     999999

static long ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * NS_PER_SEC + ts->tv_nsec;
}

static void test_ids(void)
{
	pid_t me = getpid();
	int fds[2];
	int status;

	tap_ok(me > 0, "getpid returns a positive pid (%d)", (int)me);
	tap_is(getpid(), me, "getpid is stable");
	tap_is(tap_sys(SYS_getpid, 0, 0, 0), me, "raw getpid matches libc getpid");
	tap_ok(getppid() > 0 && getppid() != me, "getppid is a different positive pid");
	tap_is(tap_sys(SYS_gettid, 0, 0, 0), me, "gettid equals getpid (one thread)");
	tap_is(tap_sys(SYS_set_tid_address, 0, 0, 0), me, "set_tid_address returns the tid");
	if (pipe(fds) != 0) {
		tap_ok(0, "pipe for the child's pids");
		tap_ok(0, "child's getpid is fork's return value");
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		pid_t ids[2] = { getpid(), getppid() };
		_exit(write(fds[1], ids, sizeof(ids)) == sizeof(ids) ? 0 : 1);
	}
	pid_t ids[2] = { 0, 0 };
	close(fds[1]);
	int n = read(fds[0], ids, sizeof(ids));
	close(fds[0]);
	waitpid(pid, &status, 0);
	tap_ok(n == sizeof(ids) && ids[0] == pid && pid != me,
	       "child's getpid is fork's return value");
	tap_is(ids[1], me, "child's getppid is the parent");
}

static void test_uname(void)
{
	struct utsname u;

	memset(&u, 0x7f, sizeof(u));
	tap_is(uname(&u), 0, "uname succeeds");
	tap_ok(memchr(u.sysname, 0, sizeof(u.sysname)) && u.sysname[0],
	       "sysname is a non-empty string (%.20s)", u.sysname);
	tap_ok(memchr(u.release, 0, sizeof(u.release)) && u.release[0],
	       "release is a non-empty string");
	tap_ok(memchr(u.machine, 0, sizeof(u.machine)) && strstr(u.machine, "riscv64"),
	       "machine names riscv64 (%.20s)", u.machine);
	tap_ok(memchr(u.nodename, 0, sizeof(u.nodename)) != NULL, "nodename is terminated");
}

static void test_clocks(void)
{
	struct timespec a, b, r;
	int backwards = 0, badnsec = 0;

	tap_is(clock_gettime(CLOCK_MONOTONIC, &a), 0, "clock_gettime(MONOTONIC) succeeds");
	tap_ok(a.tv_nsec >= 0 && a.tv_nsec < NS_PER_SEC, "tv_nsec in [0, 1e9)");
	for (int i = 0; i < CLOCK_SAMPLES; i++) {
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (ts_ns(&b) < ts_ns(&a))
			backwards++;
		if (b.tv_nsec < 0 || b.tv_nsec >= NS_PER_SEC)
			badnsec++;
		a = b;
	}
	tap_is(backwards, 0, "the monotonic clock never goes backwards in %d reads", CLOCK_SAMPLES);
	tap_is(badnsec, 0, "every read has a normalized tv_nsec");
	tap_is(clock_gettime(CLOCK_REALTIME, &r), 0, "clock_gettime(REALTIME) succeeds");
	tap_ok(r.tv_nsec >= 0 && r.tv_nsec < NS_PER_SEC, "REALTIME tv_nsec in range");
	tap_is(tap_sys(SYS_clock_gettime, BAD_CLOCK_ID, &r, 0), -LX_EINVAL,
	       "an unknown clock id gives EINVAL");
}

static void test_nanosleep(void)
{
	struct timespec req = { 0, SLEEP_NS }, rem, t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	tap_is(nanosleep(&req, &rem), 0, "nanosleep(50 ms) returns 0");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long slept = ts_ns(&t1) - ts_ns(&t0);
	tap_ok(slept >= SLEEP_NS, "nanosleep slept at least 50 ms (%ld ns)", slept);
	tap_ok(slept < SLEEP_MAX_NS, "nanosleep woke up within 5 s");
	req.tv_nsec = 0;
	tap_is(nanosleep(&req, NULL), 0, "nanosleep(0) returns 0");
	req.tv_nsec = NS_PER_SEC;
	tap_is(tap_sys(SYS_nanosleep, &req, 0, 0), -LX_EINVAL, "tv_nsec = 1e9 gives EINVAL");
	req.tv_sec = -1;
	req.tv_nsec = 0;
	tap_is(tap_sys(SYS_nanosleep, &req, 0, 0), -LX_EINVAL, "negative tv_sec gives EINVAL");
}

static void test_unknown(void)
{
	tap_is(tap_sys(UNKNOWN_SYSCALL, 0, 0, 0), -LX_ENOSYS, "syscall 299 gives -ENOSYS");
	tap_is(tap_sys(HUGE_SYSCALL, 0, 0, 0), -LX_ENOSYS, "syscall 2^40 gives -ENOSYS");
	tap_is(tap_sys(-1L, 0, 0, 0), -LX_ENOSYS, "syscall -1 gives -ENOSYS");
	errno = 0;
	tap_errno(syscall(UNKNOWN_SYSCALL), ENOSYS, "libc syscall(299) fails with ENOSYS");
	tap_is(getpid() > 0, 1, "the process goes on after unknown syscalls");
}

static void test_bad_fds(void)
{
	char c = 'x';

	tap_errno(write(BAD_FD, &c, 1), EBADF, "write to an unopened fd gives EBADF");
	tap_errno(read(BAD_FD, &c, 1), EBADF, "read from an unopened fd gives EBADF");
	tap_errno(close(BAD_FD), EBADF, "close of an unopened fd gives EBADF");
	tap_errno(write(-1, &c, 1), EBADF, "write to fd -1 gives EBADF");
	tap_is(tap_sys(SYS_sched_yield, 0, 0, 0), 0, "sched_yield returns 0");
	tap_is(kill(getpid(), 0), 0, "kill(self, 0) succeeds");
	tap_errno(kill(NO_SUCH_PID, 0), ESRCH, "kill of a missing pid gives ESRCH");
}

static int all_zero(const unsigned char *p, long n)
{
	for (long i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static void test_brk(void)
{
	long cur = tap_sys(SYS_brk, 0, 0, 0);
	unsigned char *heap = (unsigned char *)cur;

	tap_ok(cur > 0, "brk(0) returns the break (%#lx)", cur);
	tap_is(tap_sys(SYS_brk, cur + BRK_GROW, 0, 0), cur + BRK_GROW, "brk grows by 64 KiB");
	tap_ok(all_zero(heap, BRK_GROW), "new heap memory reads as zero");
	memset(heap, 0xa5, BRK_GROW);
	tap_ok(heap[0] == 0xa5 && heap[BRK_GROW - 1] == 0xa5, "new heap memory is writable");
	tap_is(tap_sys(SYS_brk, cur, 0, 0), cur, "brk shrinks back");
	tap_is(tap_sys(SYS_brk, cur + BRK_GROW, 0, 0), cur + BRK_GROW, "brk grows again");
	tap_ok(all_zero(heap, BRK_GROW), "memory freed by shrinking comes back zeroed");
	tap_is(tap_sys(SYS_brk, 0xffffffc000000000UL, 0, 0), cur + BRK_GROW,
	       "brk into kernel space fails (break unchanged)");
	tap_is(tap_sys(SYS_brk, 0x1000, 0, 0), cur + BRK_GROW,
	       "brk below the data segment fails (break unchanged)");
	tap_is(tap_sys(SYS_brk, cur, 0, 0), cur, "brk restores the original break");
}

int main(void)
{
	tap_plan(PLAN);
	test_brk();
	test_ids();
	test_uname();
	test_clocks();
	test_nanosleep();
	test_unknown();
	test_bad_fds();
	return tap_done();
}
