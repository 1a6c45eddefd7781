/*
 * leakself: the leak check itself can fail. Runs /tests/leakcheck on this
 * program in "hold" mode, which leaves one process holding one touched
 * page behind (the leak of one fork), and in "clean" mode, which forks,
 * touches a page and reaps; reads leakcheck's verdict through a pipe.
 * Regression test leakcheck_one_page_leak (issue 6: a slack of 128 pages
 * let a leak of a page per fork pass).
 *
 *   leakself                     the suite
 *   leakself hold RELEASE GONE   internal: leave a child behind
 *   leakself clean               internal: fork, touch, reap
 */
#include "tap.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#define PLAN            9
#define PAGE            4096L
#define SELF            "/tests/leakself"
#define LEAKCHECK       "/tests/leakcheck"
#define OUT_MAX         4096
#define GONE_TRIES      200             /* 10 s for init to reap the holder */
#define GONE_NS         50000000L       /* 50 ms */
#define EXIT_LEAK       1               /* leakcheck's status on a leak */

static char output[OUT_MAX];

/* Touch one fresh anonymous page; 0 on success. */
static int touch_page(void)
{
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	p[0] = 1;
	return 0;
}

/* hold: fork a child that keeps one touched page until RELEASE reads end
 * of file, and keeps GONE open until it exits; write its pid to GONE once
 * the page is touched, then exit without waiting for it. */
static int hold(int release_fd, int gone_fd)
{
	int ready[2];
	pid_t pid;

	if (pipe(ready) < 0)
		return 2;
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		char c;
		pid_t me = getpid();

		close(ready[0]);
		close(STDOUT_FILENO);
		close(STDERR_FILENO);
		if (touch_page() == 0)
			write(ready[1], &me, sizeof(me));
		close(ready[1]);
		while (read(release_fd, &c, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	if (read(ready[0], &pid, sizeof(pid)) != sizeof(pid))
		return 2;
	return write(gone_fd, &pid, sizeof(pid)) == sizeof(pid) ? 0 : 2;
}

/* clean: the same work, but the child exits and is reaped. */
static int clean(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 2;
	if (pid == 0)
		_exit(touch_page() == 0 ? 0 : 2);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 2;
	return WEXITSTATUS(status);
}

/* Run leakcheck on argv (NULL-terminated, after the program name) with
 * its output into output[]; fd keep stays open in it, every other extra
 * descriptor given in close_fds (-1 ends) is closed. Returns its wait
 * status or -1. */
static int run_leakcheck(char *const argv[], const int close_fds[])
{
	int out[2], status;
	long got = 0, n;
	pid_t pid;

	output[0] = '\0';
	if (pipe(out) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		close(out[0]);
		close(out[1]);
		for (int i = 0; close_fds[i] >= 0; i++)
			close(close_fds[i]);
		execv(LEAKCHECK, argv);
		_exit(127);
	}
	close(out[1]);
	while (got < OUT_MAX - 1 && (n = read(out[0], output + got, OUT_MAX - 1 - got)) > 0)
		got += n;
	output[got] = '\0';
	close(out[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* Wait until process pid is gone from /proc (reaped by init). */
static int wait_gone(pid_t pid)
{
	char path[32];
	struct stat st;
	struct timespec nap = { 0, GONE_NS };

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	for (int t = 0; t < GONE_TRIES; t++) {
		if (stat(path, &st) < 0)
			return 1;
		nanosleep(&nap, NULL);
	}
	return 0;
}

static void diag_output(void)
{
	for (char *line = output; line != NULL && *line != '\0';) {
		char *nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		tap_diag("  leakcheck: %s", line);
		line = nl != NULL ? nl + 1 : NULL;
	}
}

static void test_one_page_leak(void)
{
	int release[2], gone[2];
	char rel_arg[16], gone_arg[16];
	pid_t holder = -1;

	if (pipe(release) < 0 || pipe(gone) < 0) {
		for (int i = 0; i < 6; i++)
			tap_ok(0, "leakcheck_one_page_leak: pipes");
		return;
	}
	snprintf(rel_arg, sizeof(rel_arg), "%d", release[0]);
	snprintf(gone_arg, sizeof(gone_arg), "%d", gone[1]);
	char *const argv[] = { "leakcheck", SELF, "hold", rel_arg, gone_arg, NULL };
	const int close_fds[] = { release[1], gone[0], -1 };
	int status = run_leakcheck(argv, close_fds);

	close(release[0]);
	close(gone[1]);
	int have_pid = read(gone[0], &holder, sizeof(holder)) == sizeof(holder);
	tap_ok(have_pid && holder > 0, "leakcheck_one_page_leak: the held child started");
	tap_exited_with(status, EXIT_LEAK, "leakcheck_one_page_leak: leakcheck exits 1");
	int said = tap_ok(strstr(output, "not ok - leak in " SELF) != NULL,
			  "leakcheck_one_page_leak: the one page left behind is reported");
	said &= tap_ok(strstr(output, "free pages missing (slack 0)") != NULL,
		       "leakcheck_one_page_leak: as free pages missing, with no slack");
	if (!said)
		diag_output();
	close(release[1]);              /* the held child may exit now */
	char c;
	while (read(gone[0], &c, 1) > 0)
		;
	close(gone[0]);
	tap_ok(have_pid && wait_gone(holder), "leakcheck_one_page_leak: the held child is gone");
	tap_ok(strstr(output, "# leakcheck: free pages before") != NULL,
	       "leakcheck_one_page_leak: the counts are printed");
}

static void test_no_leak(void)
{
	char *const argv[] = { "leakcheck", SELF, "clean", NULL };
	const int close_fds[] = { -1 };
	int status = run_leakcheck(argv, close_fds);

	tap_exited_with(status, 0, "leakcheck_exact: a program that frees all exits 0");
	int ok = tap_ok(strstr(output, "ok - no leak in " SELF) != NULL &&
			strstr(output, "not ok") == NULL,
			"leakcheck_exact: and is reported as no leak");
	ok &= tap_ok(strstr(output, "# leakcheck: free pages before") != NULL,
		     "leakcheck_exact: with its counts");
	if (!ok)
		diag_output();
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "hold") == 0)
		return hold(atoi(argv[2]), atoi(argv[3]));
	if (argc == 2 && strcmp(argv[1], "clean") == 0)
		return clean();
	tap_plan(PLAN);
	test_one_page_leak();
	test_no_leak();
	return tap_done();
}
