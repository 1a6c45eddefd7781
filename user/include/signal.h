/*
 * <signal.h> for Pagoda: Linux riscv64 signal numbers and the kernel's
 * struct sigaction layout (handler, flags, mask: riscv has no sa_restorer),
 * so sigaction() passes it to rt_sigaction unchanged, the numbers and flags
 * from <abi/signal.h> (the kernel's own copy); siginfo_t, stack_t
 * and (through <sys/ucontext.h>) ucontext_t as a handler gets them from the
 * kernel, in the Linux riscv64 layout, under glibc's and musl's names.
 * Replaces picolibc's newlib numbering (SIGCHLD 20, SIGUSR1 30, ...), which
 * the kernel does not use.
 */
#ifndef _PAGODA_SIGNAL_H
#define _PAGODA_SIGNAL_H

#include <sys/cdefs.h>
#include <sys/types.h>
#include <sys/_sigset.h>
#include <sys/_timespec.h>

#ifndef _SIGSET_T_DECLARED
#define _SIGSET_T_DECLARED
typedef __sigset_t sigset_t;	/* one bit per signal, bit (sig - 1) */
#endif
typedef int sig_atomic_t;
typedef void (*_sig_func_ptr)(int);
typedef _sig_func_ptr sighandler_t;

#include <abi/signal.h>

#define NSIG      65
#define _NSIG     NSIG

#define SIG_DFL ((_sig_func_ptr)0)
#define SIG_IGN ((_sig_func_ptr)1)
#define SIG_ERR ((_sig_func_ptr)-1)

typedef struct sigaltstack {
	void *ss_sp;            /* lowest address */
	int ss_flags;
	size_t ss_size;         /* bytes */
} stack_t;

union sigval {
	int sival_int;
	void *sival_ptr;
};

struct sigevent {
	union sigval sigev_value;
	int sigev_signo;
	int sigev_notify;
	void (*sigev_notify_function)(union sigval);
	void *sigev_notify_attributes;
};
#define SIGEV_SIGNAL 0
#define SIGEV_NONE   1
#define SIGEV_THREAD 2

/* 128 bytes, si_addr at byte 16 (Linux's siginfo_t on 64-bit). */
typedef struct {
	int si_signo;
	int si_errno;
	int si_code;
	int __pad0;
	union {
		struct { pid_t si_pid; unsigned int si_uid; int si_status; } __chld;
		void *si_addr;
		long __pad[14];
	} __u;
} siginfo_t;
#define si_pid    __u.__chld.si_pid
#define si_uid    __u.__chld.si_uid
#define si_status __u.__chld.si_status
#define si_addr   __u.si_addr

/* Same layout as the riscv kernel's struct sigaction. */
struct sigaction {
	union {
		_sig_func_ptr sa_handler;
		void (*sa_sigaction)(int, siginfo_t *, void *);
	} __sa;
	unsigned long sa_flags;
	sigset_t sa_mask;
};
#define sa_handler   __sa.sa_handler
#define sa_sigaction __sa.sa_sigaction

#include <sys/ucontext.h>

__BEGIN_DECLS
_sig_func_ptr signal(int sig, _sig_func_ptr handler);
int raise(int sig);
int kill(pid_t pid, int sig);
int killpg(pid_t pgrp, int sig);
int sigaction(int sig, const struct sigaction *__restrict act,
	      struct sigaction *__restrict old);
int sigprocmask(int how, const sigset_t *__restrict set, sigset_t *__restrict old);
int sigaltstack(const stack_t *__restrict ss, stack_t *__restrict old);
int sigemptyset(sigset_t *set);
int sigfillset(sigset_t *set);
int sigaddset(sigset_t *set, int sig);
int sigdelset(sigset_t *set, int sig);
int sigismember(const sigset_t *set, int sig);
void psignal(int sig, const char *msg);
__END_DECLS

#endif
