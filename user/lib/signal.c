/*
 * Signals over rt_sigaction/rt_sigprocmask with Linux numbering, plus the
 * signal-set helpers and the names used by strsignal/psignal (replacing
 * picolibc's, which use newlib numbers).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "pagoda.h"

/* The kernel's sigset_t is one 64-bit word. */
#define PG_SIGSET_BYTES sizeof(sigset_t)

_Static_assert(sizeof(siginfo_t) == 128, "siginfo_t as the kernel writes it");
_Static_assert(__builtin_offsetof(siginfo_t, si_addr) == 16, "si_addr");
_Static_assert(sizeof(stack_t) == 24, "stack_t as the kernel reads it");

static int sig_valid(int sig)
{
	return sig > 0 && sig < NSIG;
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	/* Our struct sigaction is the kernel's layout: pass it through. */
	return (int)pg_sysret(pg_syscall4(SYS_rt_sigaction, sig, act, old,
					  PG_SIGSET_BYTES));
}

_sig_func_ptr signal(int sig, _sig_func_ptr handler)
{
	struct sigaction act, old;

	memset(&act, 0, sizeof(act));
	act.sa_handler = handler;
	act.sa_flags = SA_RESTART;
	if (sigaction(sig, &act, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}

int raise(int sig)
{
	return kill(getpid(), sig);
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	return (int)pg_sysret(pg_syscall4(SYS_rt_sigprocmask, how, set, old,
					  PG_SIGSET_BYTES));
}

int sigaltstack(const stack_t *ss, stack_t *old)
{
	return (int)pg_sysret(pg_syscall2(SYS_sigaltstack, ss, old));
}

int sigemptyset(sigset_t *set)
{
	*set = 0;
	return 0;
}

int sigfillset(sigset_t *set)
{
	*set = ~(sigset_t)0;
	return 0;
}

int sigaddset(sigset_t *set, int sig)
{
	if (!sig_valid(sig)) {
		errno = EINVAL;
		return -1;
	}
	*set |= (sigset_t)1 << (sig - 1);
	return 0;
}

int sigdelset(sigset_t *set, int sig)
{
	if (!sig_valid(sig)) {
		errno = EINVAL;
		return -1;
	}
	*set &= ~((sigset_t)1 << (sig - 1));
	return 0;
}

int sigismember(const sigset_t *set, int sig)
{
	if (!sig_valid(sig)) {
		errno = EINVAL;
		return -1;
	}
	return (*set >> (sig - 1)) & 1;
}

/* Descriptions as the shells print them, indexed by Linux number. */
static const char *const sig_desc[] = {
	[SIGHUP] = "Hangup",		[SIGINT] = "Interrupt",
	[SIGQUIT] = "Quit",		[SIGILL] = "Illegal instruction",
	[SIGTRAP] = "Trace/breakpoint trap", [SIGABRT] = "Aborted",
	[SIGBUS] = "Bus error",		[SIGFPE] = "Floating point exception",
	[SIGKILL] = "Killed",		[SIGUSR1] = "User defined signal 1",
	[SIGSEGV] = "Segmentation fault", [SIGUSR2] = "User defined signal 2",
	[SIGPIPE] = "Broken pipe",	[SIGALRM] = "Alarm clock",
	[SIGTERM] = "Terminated",	[SIGSTKFLT] = "Stack fault",
	[SIGCHLD] = "Child exited",	[SIGCONT] = "Continued",
	[SIGSTOP] = "Stopped (signal)",	[SIGTSTP] = "Stopped",
	[SIGTTIN] = "Stopped (tty input)", [SIGTTOU] = "Stopped (tty output)",
	[SIGURG] = "Urgent I/O condition", [SIGXCPU] = "CPU time limit exceeded",
	[SIGXFSZ] = "File size limit exceeded", [SIGVTALRM] = "Virtual timer expired",
	[SIGPROF] = "Profiling timer expired", [SIGWINCH] = "Window changed",
	[SIGIO] = "I/O possible",	[SIGPWR] = "Power failure",
	[SIGSYS] = "Bad system call",
};

char *strsignal(int sig)
{
	static char unknown[32];

	if (sig > 0 && (unsigned)sig < sizeof(sig_desc) / sizeof(sig_desc[0]) &&
	    sig_desc[sig])
		return (char *)sig_desc[sig];
	snprintf(unknown, sizeof(unknown), "Unknown signal %d", sig);
	return unknown;
}

void psignal(int sig, const char *msg)
{
	if (msg && *msg)
		fprintf(stderr, "%s: %s\n", msg, strsignal(sig));
	else
		fprintf(stderr, "%s\n", strsignal(sig));
}
