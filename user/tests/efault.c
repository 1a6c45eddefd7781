/*
 * efault: every pointer-taking system call given a bad pointer (NULL, a
 * kernel address, an unmapped address; a read-only or PROT_NONE page; a
 * buffer running off the end of a mapping) returns -EFAULT and the process
 * and kernel go on. Raw ecalls, so no libc wrapper touches the pointer first.
 */
#include "tap.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

#define PLAN            95
#define PAGE            4096L
#define DATA_LEN        100
#define IO_LEN          16
#define SIGSET_BYTES    8
#define DENT_LEN        4096
#define CWD_LEN         128
#define KILLED_BASE     1000            /* "result" of a child killed by a signal */
#define TOP_OF_USER     0x3ffffffff8UL  /* 8 bytes below the top of user space */

struct iovec_raw {
	void *base;
	unsigned long len;
};

static int data_fd = -1;        /* a file holding DATA_LEN bytes */
static int dir_fd = -1;         /* an open directory */
static char work[64];           /* this run's scratch directory */
static char self[128];          /* this program, for execve */
static char good_buf[DENT_LEN];

/* ---- one function per call: use `bad` in one pointer argument ---- */

static long c_read(void *bad)       { lseek(data_fd, 0, SEEK_SET); return tap_sys(SYS_read, data_fd, bad, IO_LEN); }
static long c_write(void *bad)      { return tap_sys(SYS_write, data_fd, bad, IO_LEN); }
static long c_pread(void *bad)      { return tap_sys6(SYS_pread64, data_fd, (long)bad, IO_LEN, 0, 0, 0); }
static long c_pwrite(void *bad)     { return tap_sys6(SYS_pwrite64, data_fd, (long)bad, IO_LEN, 0, 0, 0); }
static long c_openat(void *bad)     { return tap_sys6(SYS_openat, AT_FDCWD, (long)bad, O_RDONLY, 0, 0, 0); }
static long c_getcwd(void *bad)     { return tap_sys(SYS_getcwd, bad, CWD_LEN, 0); }
static long c_fstat(void *bad)      { return tap_sys(SYS_fstat, data_fd, bad, 0); }
static long c_statpath(void *bad)   { return tap_sys6(SYS_newfstatat, AT_FDCWD, (long)bad, (long)good_buf, 0, 0, 0); }
static long c_statbuf(void *bad)    { return tap_sys6(SYS_newfstatat, AT_FDCWD, (long)"/", (long)bad, 0, 0, 0); }
static long c_pipe2(void *bad)      { return tap_sys(SYS_pipe2, bad, 0, 0); }
static long c_clock(void *bad)      { return tap_sys(SYS_clock_gettime, CLOCK_MONOTONIC, bad, 0); }
static long c_nanosleep(void *bad)  { return tap_sys(SYS_nanosleep, bad, 0, 0); }
static long c_uname(void *bad)      { return tap_sys(SYS_uname, bad, 0, 0); }
static long c_getdents(void *bad)   { lseek(dir_fd, 0, SEEK_SET); return tap_sys(SYS_getdents64, dir_fd, bad, DENT_LEN); }
static long c_mkdirat(void *bad)    { return tap_sys(SYS_mkdirat, AT_FDCWD, bad, 0755); }
static long c_unlinkat(void *bad)   { return tap_sys(SYS_unlinkat, AT_FDCWD, bad, 0); }
static long c_chdir(void *bad)      { return tap_sys(SYS_chdir, bad, 0, 0); }
static long c_faccessat(void *bad)  { return tap_sys6(SYS_faccessat, AT_FDCWD, (long)bad, 0, 0, 0, 0); }

static long c_linkat(void *bad)
{
	char target[96];

	snprintf(target, sizeof(target), "%s/link", work);
	return tap_sys6(SYS_linkat, AT_FDCWD, (long)bad, AT_FDCWD, (long)target, 0, 0);
}

static long c_renameat2(void *bad)
{
	char target[96];

	snprintf(target, sizeof(target), "%s/renamed", work);
	return tap_sys6(SYS_renameat2, AT_FDCWD, (long)bad, AT_FDCWD, (long)target, 0, 0);
}

static long c_readv_iov(void *bad)  { lseek(data_fd, 0, SEEK_SET); return tap_sys(SYS_readv, data_fd, bad, 1); }
static long c_writev_iov(void *bad) { return tap_sys(SYS_writev, data_fd, bad, 1); }

static long c_readv_base(void *bad)
{
	struct iovec_raw iov = { bad, IO_LEN };

	lseek(data_fd, 0, SEEK_SET);
	return tap_sys(SYS_readv, data_fd, &iov, 1);
}

static long c_sigaction(void *bad)  { return tap_sys6(SYS_rt_sigaction, SIGINT, (long)bad, 0, SIGSET_BYTES, 0, 0); }
static long c_sigprocmask(void *bad) { return tap_sys6(SYS_rt_sigprocmask, SIG_BLOCK, (long)bad, 0, SIGSET_BYTES, 0, 0); }

static long c_wait4(void *bad)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	long r = tap_sys6(SYS_wait4, pid, (long)bad, 0, 0, 0, 0);
	waitpid(pid, NULL, 0);  /* reap it if the failed wait4 did not */
	return r;
}

/* Run execve in a child with the given arguments; return the child's
 * -errno (from its exit code), or KILLED_BASE + signal. */
static long exec_in_child(const char *path, char *const *argv, char *const *envp)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		long r = tap_sys(SYS_execve, path, argv, envp);
		_exit((int)(-r) & 0xff);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return KILLED_BASE;
	if (WIFSIGNALED(status))
		return -(KILLED_BASE + WTERMSIG(status));
	return -WEXITSTATUS(status);
}

/* An execve that wrongly succeeds runs this program with "--exit" or with
 * EFAULT_CHILD set, and it exits 77 at once instead of testing again. */
static char *exit_argv[] = { self, "--exit", NULL };
static char *empty_envp[] = { "EFAULT_CHILD=1", NULL };

static long c_exec_path(void *bad)  { return exec_in_child(bad, exit_argv, empty_envp); }
static long c_exec_argv(void *bad)  { return exec_in_child(self, bad, empty_envp); }
static long c_exec_envp(void *bad)  { return exec_in_child(self, exit_argv, bad); }

static long c_exec_arg(void *bad)
{
	char *argv[] = { self, bad, NULL };

	return exec_in_child(self, argv, empty_envp);
}

struct efault_case {
	const char *name;
	long (*call)(void *bad);
	int null_is_valid;      /* NULL means "absent" for this argument */
};

static const struct efault_case cases[] = {
	{ "read buffer", c_read, 0 },
	{ "write buffer", c_write, 0 },
	{ "pread64 buffer", c_pread, 0 },
	{ "pwrite64 buffer", c_pwrite, 0 },
	{ "openat path", c_openat, 0 },
	{ "getcwd buffer", c_getcwd, 0 },
	{ "fstat statbuf", c_fstat, 0 },
	{ "newfstatat path", c_statpath, 0 },
	{ "newfstatat statbuf", c_statbuf, 0 },
	{ "pipe2 fds", c_pipe2, 0 },
	{ "clock_gettime tp", c_clock, 0 },
	{ "nanosleep req", c_nanosleep, 0 },
	{ "uname buf", c_uname, 0 },
	{ "getdents64 buffer", c_getdents, 0 },
	{ "mkdirat path", c_mkdirat, 0 },
	{ "unlinkat path", c_unlinkat, 0 },
	{ "linkat oldpath", c_linkat, 0 },
	{ "renameat2 oldpath", c_renameat2, 0 },
	{ "chdir path", c_chdir, 0 },
	{ "faccessat path", c_faccessat, 0 },
	{ "readv iov", c_readv_iov, 0 },
	{ "writev iov", c_writev_iov, 0 },
	{ "readv iov_base", c_readv_base, 0 },
	{ "execve path", c_exec_path, 0 },
	{ "execve argv[1]", c_exec_arg, 1 },
	{ "wait4 status", c_wait4, 1 },
	{ "execve argv", c_exec_argv, 1 },
	{ "execve envp", c_exec_envp, 1 },
	{ "rt_sigaction act", c_sigaction, 1 },
	{ "rt_sigprocmask set", c_sigprocmask, 1 },
};

static void run_cases(void)
{
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int a = 0; a < TAP_BAD_ADDR_MAX; a++) {
			if (tap_bad_addrs[a] == NULL && cases[i].null_is_valid)
				continue;
			tap_is(cases[i].call(tap_bad_addrs[a]), -LX_EFAULT, "%s = %s gives EFAULT",
			       cases[i].name, tap_bad_names[a]);
		}
	}
}

static void run_page_cases(void)
{
	unsigned char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *ro = p, *none = p + PAGE;

	mprotect(ro, PAGE, PROT_READ);
	mprotect(none, PAGE, PROT_NONE);
	tap_is(c_read(ro), -LX_EFAULT, "read into a read-only page gives EFAULT");
	tap_is(c_clock(ro), -LX_EFAULT, "clock_gettime into a read-only page gives EFAULT");
	tap_is(c_fstat(ro), -LX_EFAULT, "fstat into a read-only page gives EFAULT");
	tap_is(c_write(none), -LX_EFAULT, "write from a PROT_NONE page gives EFAULT");
	tap_is(c_read(none), -LX_EFAULT, "read into a PROT_NONE page gives EFAULT");
	tap_is(c_write((void *)TOP_OF_USER), -LX_EFAULT,
	       "write from a buffer running past the top of user space gives EFAULT");
	/* A struct utsname starting in a mapped page and running into an
	 * unmapped one. */
	mprotect(p, 2 * PAGE, PROT_READ | PROT_WRITE);
	munmap(p + PAGE, PAGE);
	void *edge = p + PAGE - sizeof(struct utsname) / 2;
	tap_is(c_uname(edge), -LX_EFAULT, "uname into a buffer that runs off its mapping gives EFAULT");
	long r = c_write(p + PAGE - IO_LEN / 2);
	tap_ok(r == -LX_EFAULT || r == IO_LEN / 2,
	       "write from a buffer that runs off its mapping: EFAULT or the bytes before the hole (%ld)", r);
	munmap(p, PAGE);
}

static int setup(const char *argv0)
{
	char data[DATA_LEN];
	char path[96];

	snprintf(self, sizeof(self), "%s", argv0);
	snprintf(work, sizeof(work), "/tmp/efault-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s/data", work);
	memset(data, 'd', sizeof(data));
	mkdir(work, 0755);
	data_fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	dir_fd = open(work, O_RDONLY | O_DIRECTORY);
	return data_fd >= 0 && dir_fd >= 0 && write(data_fd, data, DATA_LEN) == DATA_LEN;
}

static void cleanup(void)
{
	char path[96];

	close(data_fd);
	close(dir_fd);
	snprintf(path, sizeof(path), "%s/data", work);
	unlink(path);
	rmdir(work);
}

int main(int argc, char **argv)
{
	struct utsname u;

	if (argc < 1 || getenv("EFAULT_CHILD") || (argc > 1 && strcmp(argv[1], "--exit") == 0))
		return 77;      /* an execve that should have failed did not */
	tap_plan(PLAN);
	tap_ok(setup(argv[0]), "set up a data file and a directory");
	run_cases();
	run_page_cases();
	tap_ok(uname(&u) == 0 && getpid() > 0, "the process goes on after all those faults");
	struct stat st;
	tap_ok(fstat(data_fd, &st) == 0 && st.st_size == DATA_LEN,
	       "the failed writes did not change the data file's size");
	cleanup();
	return tap_done();
}
