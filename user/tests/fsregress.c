/*
 * fsregress: file-system regressions of issue 6's follow-ups, each named
 * after its bug. A SIGKILL stops a long write() or writev() to an ext2
 * file at once, and the file keeps whole pages of what was written
 * (killable_long_write; the runner's e2fsck -fn checks the disk after);
 * readv/writev lengths past SSIZE_MAX and bad counts are EINVAL before
 * anything moves (writev_einval_overflow); /dev/zero maps as anonymous
 * memory, private or shared, and /dev/null not at all (mmap_dev_zero);
 * ls -l and stat show a device's numbers (ls_stat_device_numbers); the
 * console's stat is a character device with Linux's numbers
 * (console_stat_rdev). Only the parent prints TAP.
 */
#include "tap.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#define PLAN            28
#define PAGE            4096L
#define LONG_WRITE      (1L << 30)      /* bytes: longer than the disk */
#define KILL_AFTER_MS   50              /* the child is writing by then;
					 * after 300, in one CI run, the
					 * writev had filled the disk
					 * (about 29 MiB free), returned,
					 * and the writer had exited */
#define REAP_LIMIT_MS   1000            /* a write that is not stopped runs
					 * until the disk is full */
#define BLOCK           4096L           /* ext2 block of the test image */
#define PTRS_PER_BLOCK  (BLOCK / 4)     /* block numbers in an indirect block */
#define WRITEV_CHUNK    (1L << 20)      /* bytes per iovec of the long writev */
#define WRITEV_COUNT    1024            /* IOV_MAX */
#define SHARED_VALUE    0x5a5a1234L
#define OUT_MAX         4096            /* bytes of a program's output kept */

struct iovec_raw {                      /* struct iovec of the Linux ABI */
	void *iov_base;
	size_t iov_len;
};

static char dir[64];

static const char *path_of(const char *name)
{
	return tap_path(dir, name);
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&t, NULL);
}

/* ----------------------------------------------- killable_long_write */

/* The child: one write() (or writev()) of LONG_WRITE bytes of a
 * demand-zero mapping into path, after a byte to ready (a pipe) says it
 * starts; it never returns in time. */
static void long_writer(const char *path, bool vectored, int ready)
{
	char *m = mmap(NULL, LONG_WRITE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (m == MAP_FAILED || fd < 0 || write(ready, "g", 1) != 1)
		_exit(2);
	if (vectored) {
		static struct iovec_raw iov[WRITEV_COUNT];
		for (int i = 0; i < WRITEV_COUNT; i++)
			iov[i] = (struct iovec_raw){ m + i * WRITEV_CHUNK, WRITEV_CHUNK };
		tap_sys(SYS_writev, fd, iov, WRITEV_COUNT);
	} else {
		tap_sys(SYS_write, fd, m, LONG_WRITE);
	}
	_exit(3);
}

/* Kill a long writer after KILL_AFTER_MS and time its reaping; then the
 * file must hold whole pages of zeroes, with blocks for just those. The
 * parent holds the file open, so the writer's exit does not write back
 * its pages (that is the close's work, not the stop's). */
static void test_killable(const char *what, bool vectored)
{
	const char *p = path_of(vectored ? "longv" : "long");
	int status = -1, ready[2];
	char go;

	if (pipe(ready) < 0)
		ready[0] = ready[1] = -1;
	pid_t pid = fork();
	if (pid == 0)
		long_writer(p, vectored, ready[1]);
	close(ready[1]);
	if (read(ready[0], &go, 1) != 1)
		tap_diag("the writer did not start");
	close(ready[0]);
	int fd = open(p, O_RDONLY);
	sleep_ms(KILL_AFTER_MS);
	long t0 = now_ms();
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	long took = now_ms() - t0;
	tap_ok(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
	       took < REAP_LIMIT_MS,
	       "killable_long_write: a %s of 1 GiB dies of SIGKILL within %d ms (%ld ms)",
	       what, REAP_LIMIT_MS, took);

	struct stat st;
	bool ok = stat(p, &st) == 0;
	long size = ok ? (long)st.st_size : -1;
	long bytes = ok ? (long)st.st_blocks * 512 : -1;
	long data_blocks = size / BLOCK;
	long most = (data_blocks + data_blocks / PTRS_PER_BLOCK + 3) * BLOCK;
	tap_ok(size > 0 && size % PAGE == 0 && bytes >= size && bytes <= most,
	       "killable_long_write: %s: whole pages written (%ld bytes), blocks for "
	       "them alone (%ld bytes)", what, size, bytes);

	/* Every byte is the source's zero: no stale block, no torn page. */
	static char buf[64 * 1024];
	long nonzero = 0, total = 0, n;
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
		for (long i = 0; i < n; i++)
			nonzero += buf[i] != 0;
		total += n;
	}
	close(fd);
	tap_ok(fd >= 0 && total == size && nonzero == 0,
	       "killable_long_write: %s: reads back %ld zero bytes (%ld not zero)",
	       what, total, nonzero);
	unlink(p);
}

/* A 1 GiB write() into a pipe a reader drains: SIGKILL ends it at once. */
static void test_killable_pipe(void)
{
	int fds[2];
	int status = -1;

	if (pipe(fds) < 0) {
		tap_ok(0, "killable_long_write: pipe");
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		/* A reader that drains the pipe as fast as it can. */
		pid_t reader = fork();
		if (reader == 0) {
			static char sink[PAGE];
			close(fds[1]);
			while (read(fds[0], sink, sizeof(sink)) > 0)
				;
			_exit(0);
		}
		close(fds[0]);
		char *m = mmap(NULL, LONG_WRITE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		tap_sys(SYS_write, fds[1], m, LONG_WRITE);
		_exit(3);
	}
	close(fds[0]);
	close(fds[1]);
	sleep_ms(KILL_AFTER_MS);
	long t0 = now_ms();
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	long took = now_ms() - t0;
	/* The reader sees end of file once the writer is gone. */
	while (wait(NULL) > 0)
		;
	tap_ok(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
	       took < REAP_LIMIT_MS,
	       "killable_long_write: a 1 GiB write() into a busy pipe dies of SIGKILL "
	       "within %d ms (%ld ms)", REAP_LIMIT_MS, took);
}

/* -------------------------------------------- writev_einval_overflow */

static void test_rwv_overflow(void)
{
	const char *p = path_of("iov");
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	char buf[64] = "0123456789";
	struct iovec_raw huge[1] = { { buf, (size_t)-1 } };
	struct iovec_raw sum[2] = { { buf, 10 }, { buf, (size_t)INT64_MAX } };
	static struct iovec_raw many[WRITEV_COUNT + 1];

	tap_is(tap_sys(SYS_writev, fd, huge, 1), -LX_EINVAL,
	       "writev_einval_overflow: writev with iov_len (size_t)-1 is EINVAL");
	tap_is(tap_sys(SYS_writev, fd, sum, 2), -LX_EINVAL,
	       "writev_einval_overflow: writev with lengths summing past SSIZE_MAX is EINVAL");
	struct stat st;
	tap_ok(fstat(fd, &st) == 0 && st.st_size == 0 && lseek(fd, 0, SEEK_CUR) == 0,
	       "writev_einval_overflow: nothing was written (size %ld)", (long)st.st_size);

	if (write(fd, "abcdefghij", 10) != 10 || lseek(fd, 0, SEEK_SET) != 0)
		tap_diag("setting up the file failed");
	tap_is(tap_sys(SYS_readv, fd, sum, 2), -LX_EINVAL,
	       "writev_einval_overflow: readv with lengths summing past SSIZE_MAX is EINVAL");
	tap_ok(memcmp(buf, "0123456789", 10) == 0 && lseek(fd, 0, SEEK_CUR) == 0,
	       "writev_einval_overflow: readv moved nothing and left the offset");

	for (int i = 0; i <= WRITEV_COUNT; i++)
		many[i] = (struct iovec_raw){ buf, 1 };
	tap_is(tap_sys(SYS_writev, fd, many, -1), -LX_EINVAL,
	       "writev_einval_overflow: iovcnt -1 is EINVAL");
	tap_is(tap_sys(SYS_writev, fd, many, WRITEV_COUNT + 1), -LX_EINVAL,
	       "writev_einval_overflow: iovcnt IOV_MAX + 1 is EINVAL");
	tap_is(tap_sys(SYS_writev, fd, many, WRITEV_COUNT), WRITEV_COUNT,
	       "writev_einval_overflow: iovcnt IOV_MAX moves every iovec");
	tap_is(tap_sys(SYS_writev, fd, many, 0), 0, "writev_einval_overflow: iovcnt 0 is 0");
	tap_is(tap_sys(SYS_writev, 999, many, 1), -LX_EBADF,
	       "writev_einval_overflow: a bad fd is EBADF");
	close(fd);
	unlink(p);
}

/* ----------------------------------------------------- mmap_dev_zero */

static long raw_mmap(size_t len, int prot, int flags, int fd, long off)
{
	return tap_sys6(SYS_mmap, 0, (long)len, prot, flags, fd, off);
}

static void test_mmap_dev_zero(void)
{
	int fd = open("/dev/zero", O_RDWR);
	long a = raw_mmap(2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	long b = raw_mmap(2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, PAGE);
	bool mapped = a > 0 && b > 0;
	tap_ok(mapped, "mmap_dev_zero: MAP_PRIVATE of /dev/zero maps (%ld, %ld)", a, b);
	if (mapped) {
		long *pa = (long *)a, *pb = (long *)b;
		bool zero = pa[0] == 0 && pa[PAGE / 8 + 7] == 0 && pb[3] == 0;
		pa[0] = 42;
		pa[PAGE / 8] = 43;
		tap_ok(zero && pa[0] == 42 && pa[PAGE / 8] == 43 && pb[0] == 0,
		       "mmap_dev_zero: private pages read zero, take stores, share nothing");
		munmap(pa, 2 * PAGE);
		munmap(pb, 2 * PAGE);
	} else {
		tap_ok(0, "mmap_dev_zero: private pages (not mapped)");
	}

	long s = raw_mmap(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int status = -1;
	if (s > 0) {
		pid_t pid = fork();
		if (pid == 0) {
			*(volatile long *)s = SHARED_VALUE;
			_exit(0);
		}
		if (waitpid(pid, &status, 0) != pid)
			status = -1;
	}
	tap_ok(s > 0 && status == 0 && *(volatile long *)s == SHARED_VALUE,
	       "mmap_dev_zero: MAP_SHARED of /dev/zero is memory a child shares");
	if (s > 0)
		munmap((void *)s, PAGE);
	close(fd);

	fd = open("/dev/zero", O_RDONLY);
	tap_is(raw_mmap(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), -LX_EACCES,
	       "mmap_dev_zero: writable MAP_SHARED of a read-only /dev/zero is EACCES");
	close(fd);
	fd = open("/dev/null", O_RDWR);
	tap_is(raw_mmap(PAGE, PROT_READ, MAP_PRIVATE, fd, 0), -LX_ENODEV,
	       "mmap_dev_zero: mmap of /dev/null is ENODEV");
	close(fd);
}

/* -------------------------------------------- ls_stat_device_numbers */

/* Run argv with stdout into out (NUL-terminated); returns the exit status
 * or -1. */
static int run_capture(char *const argv[], char *out, size_t size)
{
	int fds[2], status = -1;
	size_t len = 0;
	ssize_t n;

	if (pipe(fds) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execve(argv[0], argv, NULL);
		_exit(127);
	}
	close(fds[1]);
	while (len + 1 < size && (n = read(fds[0], out + len, size - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static void test_device_numbers(void)
{
	static char out[OUT_MAX];
	char want[64];
	struct stat st;
	bool have = stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode);

	tap_ok(have && major(st.st_rdev) != 0,
	       "ls_stat_device_numbers: /dev/null is a character device");
	snprintf(want, sizeof(want), " %u, %3u ", major(st.st_rdev), minor(st.st_rdev));
	char *ls[] = { "/bin/ls", "-l", "/dev/null", NULL };
	int r = run_capture(ls, out, sizeof(out));
	tap_ok(r == 0 && out[0] == 'c' && strstr(out, want) != NULL,
	       "ls_stat_device_numbers: ls -l shows \"major, minor\" for /dev/null");
	if (strstr(out, want) == NULL)
		tap_diag("  ls said: %s", out);

	char *stat_argv[] = { "/bin/stat", "/dev/null", NULL };
	r = run_capture(stat_argv, out, sizeof(out));
	snprintf(want, sizeof(want), "Device type: %u,%u", major(st.st_rdev),
		 minor(st.st_rdev));
	tap_ok(r == 0 && strstr(out, "character special file") != NULL &&
	       strstr(out, want) != NULL && strstr(out, "crw-rw-rw-") != NULL,
	       "ls_stat_device_numbers: stat names the type and the device numbers");
	if (strstr(out, want) == NULL)
		tap_diag("  stat said: %s", out);
	char *plain = (char *)path_of("plain");
	int fd = open(plain, O_CREAT | O_WRONLY, 0644);
	close(fd);
	char *stat_plain[] = { "/bin/stat", plain, NULL };
	r = run_capture(stat_plain, out, sizeof(out));
	tap_ok(r == 0 && strstr(out, "regular empty file") != NULL &&
	       strstr(out, "Device type") == NULL && strstr(out, "-rw-r--r--") != NULL,
	       "ls_stat_device_numbers: an empty regular file, no device type");
	unlink(plain);
}

/* ------------------------------------------------- console_stat_rdev */

static void test_console_stat(void)
{
	struct stat st;
	int r = fstat(0, &st);

	tap_ok(r == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 5 &&
	       minor(st.st_rdev) == 1,
	       "console_stat_rdev: the console (fd 0) is character device 5,1 (%u,%u)",
	       major(st.st_rdev), minor(st.st_rdev));
	tap_is(tap_sys(SYS_lseek, 0, 0, SEEK_CUR), -LX_ESPIPE,
	       "console_stat_rdev: the console cannot seek");
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/fsregress-%d", (int)getpid());
	mkdir(dir, 0755);
	tap_plan(PLAN);
	test_killable("write()", false);
	test_killable("writev()", true);
	test_killable_pipe();
	test_rwv_overflow();
	test_mmap_dev_zero();
	test_device_numbers();
	test_console_stat();
	rmdir(dir);
	return tap_done();
}
