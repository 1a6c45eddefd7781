/*
 * Process system calls: fork (clone with SIGCHLD), the exec family with
 * PATH search, exit, wait, process groups and ids.  Each returns the
 * kernel's result or -1 with errno set.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pagoda.h"

#define PG_DEFAULT_PATH "/bin"
#define PG_PATH_MAX 4096
#define PG_EXECL_MAX_ARGS 256

extern char **environ;

pid_t fork(void)
{
	/* clone(flags, stack, parent_tid, tls, child_tid): a plain fork. */
	return (pid_t)pg_sysret(pg_syscall5(SYS_clone, SIGCHLD, 0, 0, 0, 0));
}

pid_t vfork(void)
{
	return fork();
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	return (int)pg_sysret(pg_syscall3(SYS_execve, path, argv, envp));
}

int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

/*
 * Try file in each directory of PATH (default "/bin"); a name with a '/'
 * is used as is.  Returns -1 with errno from the most telling failure.
 */
int execvpe(const char *file, char *const argv[], char *const envp[])
{
	const char *path = getenv("PATH");
	char buf[PG_PATH_MAX];
	int saved = ENOENT;

	if (file[0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	if (strchr(file, '/'))
		return execve(file, argv, envp);
	if (path == NULL)
		path = PG_DEFAULT_PATH;
	while (1) {
		const char *end = strchr(path, ':');
		size_t dlen = end ? (size_t)(end - path) : strlen(path);

		if (dlen + strlen(file) + 2 <= sizeof(buf)) {
			memcpy(buf, path, dlen);
			buf[dlen] = '/';
			strcpy(buf + dlen + (dlen ? 1 : 0), file);
			execve(buf, argv, envp);
			if (errno != ENOENT && errno != ENOTDIR)
				saved = errno;
		}
		if (end == NULL)
			break;
		path = end + 1;
	}
	errno = saved;
	return -1;
}

int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

/* Collect execl-style arguments (up to the NULL) into argv. */
static int execl_collect(char **argv, const char *arg0, va_list ap)
{
	int n = 0;

	argv[n++] = (char *)arg0;
	while (arg0 && n < PG_EXECL_MAX_ARGS) {
		argv[n] = va_arg(ap, char *);
		if (argv[n++] == NULL)
			return 0;
	}
	if (arg0 == NULL)
		return 0;
	errno = E2BIG;
	return -1;
}

int execl(const char *path, const char *arg0, ...)
{
	char *argv[PG_EXECL_MAX_ARGS];
	va_list ap;
	int r;

	va_start(ap, arg0);
	r = execl_collect(argv, arg0, ap);
	va_end(ap);
	return r < 0 ? r : execv(path, argv);
}

int execlp(const char *file, const char *arg0, ...)
{
	char *argv[PG_EXECL_MAX_ARGS];
	va_list ap;
	int r;

	va_start(ap, arg0);
	r = execl_collect(argv, arg0, ap);
	va_end(ap);
	return r < 0 ? r : execvp(file, argv);
}

void _exit(int status)
{
	for (;;)
		(void)pg_syscall1(SYS_exit_group, status);
}

pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
	return (pid_t)pg_sysret(pg_syscall4(SYS_wait4, pid, status, options, ru));
}

pid_t waitpid(pid_t pid, int *status, int options)
{
	return wait4(pid, status, options, NULL);
}

pid_t wait(int *status)
{
	return wait4(-1, status, 0, NULL);
}

int kill(pid_t pid, int sig)
{
	return (int)pg_sysret(pg_syscall2(SYS_kill, pid, sig));
}

int killpg(pid_t pgrp, int sig)
{
	if (pgrp <= 1) {
		errno = EINVAL;
		return -1;
	}
	return kill(-pgrp, sig);
}

pid_t getpid(void)
{
	return (pid_t)pg_syscall0(SYS_getpid);
}

pid_t getppid(void)
{
	return (pid_t)pg_syscall0(SYS_getppid);
}

pid_t gettid(void)
{
	return (pid_t)pg_syscall0(SYS_gettid);
}

pid_t getpgid(pid_t pid)
{
	return (pid_t)pg_sysret(pg_syscall1(SYS_getpgid, pid));
}

pid_t getpgrp(void)
{
	return getpgid(0);
}

int setpgid(pid_t pid, pid_t pgid)
{
	return (int)pg_sysret(pg_syscall2(SYS_setpgid, pid, pgid));
}

uid_t getuid(void)
{
	return (uid_t)pg_syscall0(SYS_getuid);
}

uid_t geteuid(void)
{
	return (uid_t)pg_syscall0(SYS_geteuid);
}

gid_t getgid(void)
{
	return (gid_t)pg_syscall0(SYS_getgid);
}

gid_t getegid(void)
{
	return (gid_t)pg_syscall0(SYS_getegid);
}

int sched_yield(void)
{
	return (int)pg_sysret(pg_syscall0(SYS_sched_yield));
}
