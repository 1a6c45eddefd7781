/*
 * Signal numbers and the constants of rt_sigaction, rt_sigprocmask,
 * sigaltstack and siginfo_t's si_code in the Linux riscv64 ABI
 * (include/uapi/asm-generic/signal.h, signal-defs.h, siginfo.h). The one
 * copy, for the kernel (kernel/proc/signal.h) and for user space
 * (<signal.h>): plain preprocessor numbers only. Each side keeps its own
 * NSIG (the kernel counts signals 1..64, libc one past the last) and its
 * own typed SIG_DFL/SIG_IGN.
 */
#ifndef PAGODA_ABI_SIGNAL_H
#define PAGODA_ABI_SIGNAL_H

#define SIGHUP    1
#define SIGINT    2
#define SIGQUIT   3
#define SIGILL    4
#define SIGTRAP   5
#define SIGABRT   6
#define SIGIOT    SIGABRT
#define SIGBUS    7
#define SIGFPE    8
#define SIGKILL   9
#define SIGUSR1   10
#define SIGSEGV   11
#define SIGUSR2   12
#define SIGPIPE   13
#define SIGALRM   14
#define SIGTERM   15
#define SIGSTKFLT 16
#define SIGCHLD   17
#define SIGCLD    SIGCHLD
#define SIGCONT   18
#define SIGSTOP   19
#define SIGTSTP   20
#define SIGTTIN   21
#define SIGTTOU   22
#define SIGURG    23
#define SIGXCPU   24
#define SIGXFSZ   25
#define SIGVTALRM 26
#define SIGPROF   27
#define SIGWINCH  28
#define SIGIO     29
#define SIGPOLL   SIGIO
#define SIGPWR    30
#define SIGSYS    31
#define SIGRTMIN  32
#define SIGRTMAX  64

/* rt_sigprocmask how. */
#define SIG_BLOCK   0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

/* sa_flags. Pagoda acts on SA_SIGINFO (handler(sig, siginfo_t *,
 * ucontext_t *)), SA_ONSTACK (run on the sigaltstack), SA_RESTART
 * (restart a system call that got EINTR), SA_NODEFER (do not block the
 * signal in its handler) and SA_RESETHAND (back to SIG_DFL once
 * delivered); the others are kept and read back. riscv64 has no
 * SA_RESTORER: a handler returns through the kernel's sigreturn address. */
#define SA_NOCLDSTOP 0x00000001
#define SA_NOCLDWAIT 0x00000002
#define SA_SIGINFO   0x00000004
#define SA_ONSTACK   0x08000000
#define SA_RESTART   0x10000000
#define SA_NODEFER   0x40000000
#define SA_RESETHAND 0x80000000
#define SA_NOMASK    SA_NODEFER
#define SA_ONESHOT   SA_RESETHAND

/* si_code. */
#define SI_USER      0          /* kill() */
#define SI_KERNEL    0x80       /* the kernel (e.g. Ctrl-C) */
#define SEGV_MAPERR  1          /* no mapping at si_addr */
#define SEGV_ACCERR  2          /* the mapping forbids the access */
#define BUS_ADRALN   1          /* misaligned address */
#define BUS_ADRERR   2          /* no page behind the address (file end) */
#define BUS_OBJERR   3          /* object error */
#define ILL_ILLOPC   1          /* illegal opcode */
#define TRAP_BRKPT   1          /* ebreak */

/* sigaltstack ss_flags and sizes (bytes; riscv64's). */
#define SS_ONSTACK   1          /* (read back) running on it */
#define SS_DISABLE   2          /* no alternate stack */
#define MINSIGSTKSZ  2048       /* smallest ss_size accepted */
#define SIGSTKSZ     8192

#endif
