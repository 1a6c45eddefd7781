/*
 * popen/pclose and system (POSIX.1-2017 XSH popen, pclose, system): a
 * child runs "/bin/sh -c command".  popen keeps the child's pid beside the
 * stream so pclose can wait for it.  Processes have one thread, so no lock.
 */
#define _GNU_SOURCE	/* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG_SHELL "/bin/sh"

/* One stream opened by popen and the child at its other end. */
struct pg_popen {
	FILE *f;
	pid_t pid;
	struct pg_popen *next;
};

static struct pg_popen *pg_popen_list;

/* Child side of popen: put our end of the pipe on fd `target`, run sh. */
static void pg_popen_child(int fds[2], int target, const char *command)
{
	int mine = target == STDOUT_FILENO ? fds[1] : fds[0];
	int other = target == STDOUT_FILENO ? fds[0] : fds[1];

	/* POSIX: streams of earlier popen calls are closed in the child. */
	for (struct pg_popen *p = pg_popen_list; p; p = p->next)
		close(fileno(p->f));
	close(other);
	if (mine != target) {
		dup2(mine, target);	/* the copy is not close-on-exec */
		close(mine);
	} else {
		fcntl(mine, F_SETFD, 0);
	}
	execl(PG_SHELL, "sh", "-c", command, (char *)NULL);
	_exit(127);
}

/*
 * Start "sh -c command" with its stdout (mode "r") or stdin (mode "w") on a
 * pipe, and return the stream for our end.  Returns NULL with errno EINVAL
 * for a bad mode, or the errno of pipe/fork/malloc.
 */
FILE *popen(const char *command, const char *mode)
{
	int fds[2], target;
	struct pg_popen *p;
	pid_t pid;

	if (mode == NULL || (mode[0] != 'r' && mode[0] != 'w') ||
	    (mode[1] != '\0' && mode[1] != 'e')) {
		errno = EINVAL;
		return NULL;
	}
	target = mode[0] == 'r' ? STDOUT_FILENO : STDIN_FILENO;
	p = malloc(sizeof(*p));
	if (p == NULL)
		return NULL;
	if (pipe2(fds, O_CLOEXEC) < 0)
		goto fail_free;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		goto fail_close;
	if (pid == 0)
		pg_popen_child(fds, target, command);
	/* Parent: keep the end the child does not use. */
	close(target == STDOUT_FILENO ? fds[1] : fds[0]);
	p->f = fdopen(target == STDOUT_FILENO ? fds[0] : fds[1], mode[0] == 'r' ? "r" : "w");
	if (p->f == NULL) {
		int saved = errno;
		close(target == STDOUT_FILENO ? fds[0] : fds[1]);
		waitpid(pid, NULL, 0);
		errno = saved;
		free(p);
		return NULL;
	}
	p->pid = pid;
	p->next = pg_popen_list;
	pg_popen_list = p;
	return p->f;
fail_close:
	close(fds[0]);
	close(fds[1]);
fail_free:
	free(p);
	return NULL;
}

/*
 * Close a stream from popen and wait for its command.  Returns the
 * command's wait status, or -1 with errno ECHILD if f did not come from
 * popen (or its child was already reaped).
 */
int pclose(FILE *f)
{
	struct pg_popen **pp, *p;
	int status;
	pid_t r;

	for (pp = &pg_popen_list; *pp && (*pp)->f != f; pp = &(*pp)->next)
		;
	p = *pp;
	if (p == NULL) {
		errno = ECHILD;
		return -1;
	}
	*pp = p->next;
	fclose(f);
	do {
		r = waitpid(p->pid, &status, 0);
	} while (r < 0 && errno == EINTR);
	free(p);
	return r < 0 ? -1 : status;
}

/*
 * Run "sh -c command" and wait for it, ignoring SIGINT and SIGQUIT and
 * blocking SIGCHLD meanwhile.  Returns its wait status; 127 << 8 if the
 * shell could not run; -1 with errno if fork failed.  system(NULL) says
 * whether a shell exists (non-zero if so).
 */
int system(const char *command)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	sigset_t block, old_mask;
	int status;
	pid_t pid, r;

	if (command == NULL)
		return access(PG_SHELL, X_OK) == 0;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		execl(PG_SHELL, "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	status = -1;
	if (pid > 0) {
		do {
			r = waitpid(pid, &status, 0);
		} while (r < 0 && errno == EINTR);
		if (r < 0)
			status = -1;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	return status;
}
