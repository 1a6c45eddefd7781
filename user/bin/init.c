/*
 * init: process 1.  Runs an interactive /bin/sh on the console (fds 0-2,
 * opened by the kernel) and starts a new one whenever it exits, after
 * saying how it ended on one line of its own:
 *
 *     init: shell exited with status 3
 *     init: shell killed by signal 9
 *
 * (tests/run.py reads that line: `make run CMD='exit 3'` ends with 3).
 * Meanwhile it reaps every orphan that is re-parented to it.  It prints
 * /etc/motd once at boot.  If stdin is not open there is no console to run
 * a shell on, so it only reaps.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define INIT_SHELL "/bin/sh"
#define INIT_MOTD "/etc/motd"
#define INIT_RETRY_SECONDS 1

#define INIT_HOME "/home/student"

/* The shell starts in the student's home, where the motd says README is. */
static char *const init_env[] = { "PATH=/bin", "HOME=" INIT_HOME, "TERM=vt100", NULL };

static pid_t init_start_shell(void)
{
	char *const argv[] = { "sh", "-i", NULL };
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGTSTP, SIG_DFL);
		setpgid(0, 0);
		if (chdir(INIT_HOME) < 0)
			chdir("/");
		execve(INIT_SHELL, argv, init_env);
		fprintf(stderr, "init: %s: %s\n", INIT_SHELL, strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		fprintf(stderr, "init: fork: %s\n", strerror(errno));
	return pid;
}

/* Say on the console how the shell ended, as one write. */
static void init_report_shell(int status)
{
	char line[64];
	int n;

	if (WIFSIGNALED(status))
		n = snprintf(line, sizeof(line), "init: shell killed by signal %d\n",
			     WTERMSIG(status));
	else
		n = snprintf(line, sizeof(line), "init: shell exited with status %d\n",
			     WEXITSTATUS(status));
	if (n > 0 && n < (int)sizeof(line))
		write(STDOUT_FILENO, line, (size_t)n);
}

/* Copy the message of the day to the console, once, before the first shell. */
static void init_print_motd(void)
{
	char buf[512];
	ssize_t n;
	int fd = open(INIT_MOTD, O_RDONLY);

	if (fd < 0)
		return;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		write(STDOUT_FILENO, buf, (size_t)n);
	close(fd);
}

int main(void)
{
	int have_console = fcntl(STDIN_FILENO, F_GETFD) >= 0;
	pid_t shell = -1;

	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGTSTP, SIG_IGN);
	if (have_console)
		init_print_motd();
	for (;;) {
		int status;
		pid_t pid;

		if (have_console && shell < 0) {
			shell = init_start_shell();
			if (shell < 0)
				sleep(INIT_RETRY_SECONDS);
			continue;
		}
		pid = wait(&status);
		if (pid < 0) {
			/* No children at all: nothing to reap until one appears. */
			sleep(INIT_RETRY_SECONDS);
			continue;
		}
		if (pid == shell) {
			shell = -1;
			init_report_shell(status);
			if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
				sleep(INIT_RETRY_SECONDS);	/* no shell to run */
		}
	}
}
