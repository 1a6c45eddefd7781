/*
 * kill [-9 | -N | -NAME | -s NAME] pid...: send a signal (default TERM);
 * kill -l lists the signal names.  A negative pid names a process group.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const kill_names[] = {
	[SIGHUP] = "HUP", [SIGINT] = "INT", [SIGQUIT] = "QUIT", [SIGILL] = "ILL",
	[SIGTRAP] = "TRAP", [SIGABRT] = "ABRT", [SIGBUS] = "BUS", [SIGFPE] = "FPE",
	[SIGKILL] = "KILL", [SIGUSR1] = "USR1", [SIGSEGV] = "SEGV", [SIGUSR2] = "USR2",
	[SIGPIPE] = "PIPE", [SIGALRM] = "ALRM", [SIGTERM] = "TERM", [SIGSTKFLT] = "STKFLT",
	[SIGCHLD] = "CHLD", [SIGCONT] = "CONT", [SIGSTOP] = "STOP", [SIGTSTP] = "TSTP",
	[SIGTTIN] = "TTIN", [SIGTTOU] = "TTOU", [SIGURG] = "URG", [SIGXCPU] = "XCPU",
	[SIGXFSZ] = "XFSZ", [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF", [SIGWINCH] = "WINCH",
	[SIGIO] = "IO", [SIGPWR] = "PWR", [SIGSYS] = "SYS",
};
#define KILL_NNAMES ((int)(sizeof(kill_names) / sizeof(kill_names[0])))

/* Signal number for "9", "KILL" or "SIGKILL"; -1 if unknown. */
static int kill_parse(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s && *end == '\0')
		return n >= 0 && n < NSIG ? (int)n : -1;	/* 0: only check the pid */
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (int i = 1; i < KILL_NNAMES; i++)
		if (kill_names[i] && strcasecmp(s, kill_names[i]) == 0)
			return i;
	return -1;
}

int main(int argc, char **argv)
{
	int sig = SIGTERM, i = 1, status = 0;

	if (argc == 2 && strcmp(argv[1], "-l") == 0) {
		for (int s = 1; s < KILL_NNAMES; s++)
			printf("%2d %s\n", s, kill_names[s]);
		return 0;
	}
	if (i < argc && strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
		sig = kill_parse(argv[i + 1]);
		i += 2;
	} else if (i < argc && argv[i][0] == '-' && argv[i][1] && argv[i][1] != '-') {
		sig = kill_parse(argv[i] + 1);
		i++;
	}
	if (sig < 0 || i >= argc) {
		fprintf(stderr, "usage: kill [-s NAME | -N] pid...\n");
		return 1;
	}
	for (; i < argc; i++) {
		char *end;
		long pid = strtol(argv[i], &end, 10);
		if (*end || end == argv[i]) {
			fprintf(stderr, "kill: %s: bad pid\n", argv[i]);
			status = 1;
		} else if (kill((pid_t)pid, sig) < 0) {
			fprintf(stderr, "kill: %ld: %s\n", pid, strerror(errno));
			status = 1;
		}
	}
	return status;
}
