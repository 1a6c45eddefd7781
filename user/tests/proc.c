/*
 * proc: fork, exit statuses, wait for any or a given child, WNOHANG,
 * orphans, kill of running, blocked and sleeping children, many children,
 * copy-on-write after fork, and execve's argv, envp, auxv and FD_CLOEXEC.
 * Runs itself again (argv[0]) in --exec-child and --count-args modes.
 */
#include "tap.h"

#include <fcntl.h>
#include <time.h>

#define PLAN            51
#define NCHILDREN       64
#define CHAIN_DEPTH     16
#define COW_BYTES       (1 << 20)
#define PAGE            4096
#define MANY_ARGS       200
#define ARG_LEN         50
#define REPORT_FD       20
#define CLOEXEC_FD      21
#define PLAIN_FD        22
#define AUXV_MAX        64
#define AT_NULL         0
#define AT_PAGESZ       6
#define AT_ENTRY        9
#define MS              1000000L
#define BAD_WAIT_OPTIONS 0x12345678

extern char _start[];

struct exec_report {
	int argc_ok, argv_ok, envp_ok, pagesz_ok, entry_ok;
	int cloexec_closed, plain_open;
	int pid, ppid;
};

static int global_value = 1;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * MS };

	nanosleep(&ts, NULL);
}

static double elapsed_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- modes run through execve ---- */

static const char *const exec_args[] = { "--exec-child", "alpha", "", "with space", "last" };
#define NEXEC_ARGS ((int)(sizeof(exec_args) / sizeof(exec_args[0])))

static int exec_child_main(int argc, char **argv, char **envp)
{
	struct exec_report r;
	char **e = envp;
	unsigned long *auxv;

	memset(&r, 0, sizeof(r));
	r.argc_ok = argc == NEXEC_ARGS + 1 && argv[argc] == NULL;
	r.argv_ok = 1;
	for (int i = 0; i < NEXEC_ARGS && i + 1 < argc; i++)
		r.argv_ok &= strcmp(argv[i + 1], exec_args[i]) == 0;
	while (*e)
		e++;
	r.envp_ok = e - envp == 2 && strcmp(envp[0], "PAGODA_TEST=yes") == 0 &&
		    strcmp(envp[1], "EMPTY=") == 0;
	auxv = (unsigned long *)(e + 1);
	for (int i = 0; i < AUXV_MAX && auxv[2 * i] != AT_NULL; i++) {
		if (auxv[2 * i] == AT_PAGESZ)
			r.pagesz_ok = auxv[2 * i + 1] == PAGE;
		if (auxv[2 * i] == AT_ENTRY)
			r.entry_ok = auxv[2 * i + 1] == (unsigned long)_start;
	}
	r.cloexec_closed = fcntl(CLOEXEC_FD, F_GETFD) == -1 && errno == EBADF;
	r.plain_open = fcntl(PLAIN_FD, F_GETFD) == 0;
	r.pid = getpid();
	r.ppid = getppid();
	return write(REPORT_FD, &r, sizeof(r)) == sizeof(r) ? 0 : 1;
}

static void make_arg(char *buf, int i)
{
	for (int k = 0; k < ARG_LEN; k++)
		buf[k] = 'a' + (i + k) % 26;
	buf[ARG_LEN] = 0;
}

static int count_args_main(int argc, char **argv)
{
	char want[ARG_LEN + 1];

	if (argc != MANY_ARGS + 2)
		return 1;
	for (int i = 0; i < MANY_ARGS; i++) {
		make_arg(want, i);
		if (strcmp(argv[i + 2], want) != 0)
			return 2;
	}
	return 0;
}

/* ---- tests ---- */

static void test_exit_codes(void)
{
	static const int codes[] = { 0, 1, 42, 255 };
	int status;

	for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(codes[i]);
		tap_ok(pid > 0 && waitpid(pid, &status, 0) == pid &&
		       WIFEXITED(status) && WEXITSTATUS(status) == codes[i],
		       "_exit(%d) is seen by waitpid", codes[i]);
	}
	pid_t pid = fork();
	if (pid == 0)
		exit(256 + 7);
	waitpid(pid, &status, 0);
	tap_exited_with(status, 7, "exit(263) keeps the low 8 bits (7)");
	pid = fork();
	if (pid == 0)
		_exit(global_value = 5);
	waitpid(pid, &status, 0);
	tap_is(global_value, 1, "a child's write to a global does not reach the parent");
	tap_is(tap_sys6(SYS_wait4, -1, (long)&status, BAD_WAIT_OPTIONS, 0, 0, 0), -LX_EINVAL,
	       "wait4 with unknown options gives EINVAL");
}

static void test_wait_specific(void)
{
	pid_t pids[3];
	int status;

	for (int i = 0; i < 3; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			sleep_ms(i == 1 ? 200 : 10);
			_exit(10 + i);
		}
	}
	tap_ok(waitpid(pids[1], &status, 0) == pids[1] && WEXITSTATUS(status) == 11,
	       "waitpid(pid) waits for that child, though others exit first");
	tap_ok(waitpid(pids[2], &status, 0) == pids[2] && WEXITSTATUS(status) == 12,
	       "waitpid(pid) for an already dead child");
	tap_ok(wait(&status) == pids[0] && WEXITSTATUS(status) == 10, "wait() takes the last one");
	tap_errno(wait(&status), ECHILD, "wait with no children gives ECHILD");
	tap_errno(waitpid(getppid(), &status, 0), ECHILD, "waitpid on a non-child gives ECHILD");

	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(300);
		_exit(3);
	}
	tap_is(waitpid(pid, &status, WNOHANG), 0, "WNOHANG on a running child returns 0");
	tap_ok(waitpid(pid, &status, 0) == pid && WEXITSTATUS(status) == 3,
	       "then a blocking waitpid reaps it");
	pid = fork();
	if (pid == 0)
		_exit(0);
	tap_is(tap_sys6(SYS_wait4, pid, 0, 0, 0, 0, 0), pid, "wait4 with a NULL status pointer");
}

static void test_orphan(void)
{
	int p[2];
	char verdict = 0;
	int status;

	pipe(p);
	pid_t child = fork();
	if (child == 0) {
		pid_t me = getpid();
		if (fork() == 0) {
			close(p[0]);
			sleep_ms(200);   /* the parent is gone by now */
			char v = getppid() != me ? 'Y' : 'N';
			write(p[1], &v, 1);
			_exit(0);
		}
		_exit(0);
	}
	close(p[1]);
	tap_ok(waitpid(child, &status, 0) == child && WIFEXITED(status),
	       "a parent of a live grandchild exits");
	tap_is(read(p[0], &verdict, 1), 1, "the orphan goes on running");
	tap_is(verdict, 'Y', "the orphan was given a new parent");
	tap_is(read(p[0], &verdict, 1), 0, "the orphan exits");
	close(p[0]);
	tap_errno(wait(&status), ECHILD, "the orphan is not our child");
	sleep_ms(100);          /* let init reap it before the leak check */
}

static void test_kill(void)
{
	int status, p[2];
	struct timespec t0;

	pid_t pid = fork();
	if (pid == 0)
		for (;;)
			;
	sleep_ms(50);
	tap_is(kill(pid, SIGKILL), 0, "kill(SIGKILL) a busy child");
	waitpid(pid, &status, 0);
	tap_killed_by(status, SIGKILL, "the busy child dies of SIGKILL");

	pipe(p);
	pid = fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		read(p[0], &c, 1);
		_exit(0);
	}
	sleep_ms(50);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	tap_killed_by(status, SIGKILL, "a child blocked in read dies of SIGKILL");
	close(p[0]);
	close(p[1]);

	pid = fork();
	if (pid == 0) {
		sleep_ms(20000);
		_exit(0);
	}
	sleep_ms(50);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	tap_killed_by(status, SIGKILL, "a child in nanosleep dies of SIGKILL");
	tap_ok(elapsed_since(&t0) < 5.0, "without sleeping out its 20 s");

	pid = fork();
	if (pid == 0)
		for (;;)
			;
	kill(pid, SIGINT);
	waitpid(pid, &status, 0);
	tap_killed_by(status, SIGINT, "SIGINT's default action ends a child");
	tap_errno(kill(pid, SIGKILL), ESRCH, "kill of a reaped pid gives ESRCH");
	tap_errno(kill(getpid(), 12345), EINVAL, "kill with a bad signal number gives EINVAL");
}

static void test_many_children(void)
{
	pid_t pids[NCHILDREN];
	int forked = 0, unique = 1, reaped = 0, codes_ok = 1, status;

	for (int i = 0; i < NCHILDREN; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			sleep_ms(i % 5);
			_exit(i);
		}
		forked += pids[i] > 0;
	}
	tap_is(forked, NCHILDREN, "forked 64 children at once");
	for (int i = 0; i < NCHILDREN; i++)
		for (int j = 0; j < i; j++)
			unique &= pids[i] != pids[j];
	tap_ok(unique, "all 64 pids differ");
	for (;;) {
		pid_t pid = wait(&status);
		if (pid < 0)
			break;
		reaped++;
		int idx = -1;
		for (int i = 0; i < NCHILDREN; i++)
			if (pids[i] == pid)
				idx = i;
		codes_ok &= idx >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == idx;
	}
	tap_is(reaped, NCHILDREN, "wait reaped all 64");
	tap_ok(codes_ok, "each status carries that child's exit code");
}

/* Each level forks the next and exits with its child's code + 1. */
static int chain(int depth)
{
	int status;

	if (depth == 0)
		return 0;
	pid_t pid = fork();
	if (pid < 0)
		return 100;
	if (pid == 0)
		_exit(chain(depth - 1));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 100;
	return WEXITSTATUS(status) + 1;
}

static void test_cow(void)
{
	unsigned char *buf = malloc(COW_BYTES);
	int status, intact = 1;

	if (!tap_ok(buf != NULL, "malloc 1 MiB")) {
		tap_ok(0, "child sees the parent's data");
		tap_ok(0, "parent's data intact after the child wrote every page");
		return;
	}
	for (int i = 0; i < COW_BYTES; i++)
		buf[i] = (unsigned char)(i / PAGE);
	pid_t pid = fork();
	if (pid == 0) {
		int same = 1;
		for (int i = 0; i < COW_BYTES; i++)
			same &= buf[i] == (unsigned char)(i / PAGE);
		for (int i = 0; i < COW_BYTES; i += PAGE)
			buf[i] = 0xee;
		_exit(same ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	tap_exited_with(status, 0, "child sees the parent's data");
	for (int i = 0; i < COW_BYTES; i++)
		intact &= buf[i] == (unsigned char)(i / PAGE);
	tap_ok(intact, "parent's data intact after the child wrote every page");
	free(buf);
}

static void test_exec(const char *self)
{
	int p[2], status;
	struct exec_report r;
	char *argv[NEXEC_ARGS + 2];
	char *envp[] = { "PAGODA_TEST=yes", "EMPTY=", NULL };

	argv[0] = (char *)self;
	for (int i = 0; i < NEXEC_ARGS; i++)
		argv[i + 1] = (char *)exec_args[i];
	argv[NEXEC_ARGS + 1] = NULL;
	pipe(p);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], REPORT_FD);
		tap_sys(SYS_dup3, p[1], CLOEXEC_FD, O_CLOEXEC);
		dup2(p[1], PLAIN_FD);
		close(p[0]);
		close(p[1]);
		execve(self, argv, envp);
		_exit(127);
	}
	close(p[1]);
	memset(&r, 0, sizeof(r));
	tap_is(read(p[0], &r, sizeof(r)), sizeof(r), "the exec'd program reports back");
	close(p[0]);
	waitpid(pid, &status, 0);
	tap_exited_with(status, 0, "the exec'd program exits 0");
	tap_ok(r.argc_ok, "argc is right and argv[argc] is NULL");
	tap_ok(r.argv_ok, "argv strings arrive intact (including empty and spaced)");
	tap_ok(r.envp_ok, "envp arrives intact");
	tap_ok(r.pagesz_ok, "auxv has AT_PAGESZ = 4096");
	tap_ok(r.entry_ok, "auxv has AT_ENTRY = _start");
	tap_ok(r.cloexec_closed, "an FD_CLOEXEC descriptor is closed by execve");
	tap_ok(r.plain_open, "other descriptors stay open across execve");
	tap_is(r.pid, pid, "execve keeps the pid");
	tap_is(r.ppid, getpid(), "and the parent");
}

static void test_exec_args(const char *self)
{
	char *envp[] = { "PAGODA_TEST=yes", "EMPTY=", NULL };
	int status;
	pid_t pid;
	char *many[MANY_ARGS + 3];
	static char bufs[MANY_ARGS][ARG_LEN + 1];
	many[0] = (char *)self;
	many[1] = "--count-args";
	for (int i = 0; i < MANY_ARGS; i++) {
		make_arg(bufs[i], i);
		many[i + 2] = bufs[i];
	}
	many[MANY_ARGS + 2] = NULL;
	pid = fork();
	if (pid == 0) {
		execve(self, many, envp);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	tap_exited_with(status, 0, "200 arguments of 50 bytes survive execve");
	pid = fork();
	if (pid == 0) {
		char *none[] = { NULL };
		execve("/tests/no-such-program", none, none);
		_exit(errno == ENOENT ? 42 : 43);
	}
	waitpid(pid, &status, 0);
	tap_exited_with(status, 42, "a failed execve returns ENOENT to the caller");
}

int main(int argc, char **argv, char **envp)
{
	if (argc > 1 && strcmp(argv[1], "--exec-child") == 0)
		return exec_child_main(argc, argv, envp);
	if (argc > 1 && strcmp(argv[1], "--count-args") == 0)
		return count_args_main(argc, argv);
	tap_plan(PLAN);
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	tap_ok(pid > 0, "fork returns the child's pid in the parent");
	tap_ok(waitpid(pid, NULL, 0) == pid, "and the child exits");
	test_exit_codes();
	test_wait_specific();
	test_orphan();
	test_kill();
	test_many_children();
	tap_is(chain(CHAIN_DEPTH), CHAIN_DEPTH, "a chain of 16 nested forks unwinds");
	test_cow();
	test_exec(argv[0]);
	test_exec_args(argv[0]);
	return tap_done();
}
