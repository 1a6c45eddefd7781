/*
 * Signal numbers and rt_sigaction constants (Linux asm-generic values,
 * include/uapi/asm-generic/signal.h). Pagoda supports SIG_DFL and SIG_IGN
 * only; the default action of every signal but SIGCHLD is to terminate.
 */
#ifndef KERNEL_PROC_SIGNAL_H
#define KERNEL_PROC_SIGNAL_H

#include "kernel/types.h"

#define SIGHUP   1
#define SIGINT   2
#define SIGQUIT  3
#define SIGILL   4
#define SIGTRAP  5
#define SIGABRT  6
#define SIGBUS   7
#define SIGFPE   8
#define SIGKILL  9
#define SIGUSR1  10
#define SIGSEGV  11
#define SIGUSR2  12
#define SIGPIPE  13
#define SIGALRM  14
#define SIGTERM  15
#define SIGCHLD  17
#define SIGCONT  18
#define SIGSTOP  19
#define SIGTSTP  20
#define SIGTTIN  21
#define SIGTTOU  22
#define SIGURG   23
#define SIGWINCH 28
#define NSIG     64             /* signals 1..NSIG */

#define SIG_DFL  0UL            /* sa_handler values */
#define SIG_IGN  1UL

#define SIG_BIT(sig)    (1UL << ((sig) - 1))
/* Signals whose default action is to ignore them; the job-control stops
 * are ignored too, as Pagoda has no stopped state. */
#define SIG_DEFAULT_IGNORE (SIG_BIT(SIGCHLD) | SIG_BIT(SIGURG) |        \
			    SIG_BIT(SIGWINCH) | SIG_BIT(SIGCONT) |      \
			    SIG_BIT(SIGSTOP) | SIG_BIT(SIGTSTP) |       \
			    SIG_BIT(SIGTTIN) | SIG_BIT(SIGTTOU))
/* Signals that cannot be ignored. */
#define SIG_UNCATCHABLE (SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP))

/* struct sigaction as the riscv64 kernel sees it (no sa_restorer). */
struct k_sigaction {
	unsigned long handler;
	unsigned long flags;
	uint64_t mask;
};

#define SIGSET_SIZE 8           /* bytes of the kernel sigset_t */

#endif
