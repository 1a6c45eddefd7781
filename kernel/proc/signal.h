/*
 * Signals: the per-process signal state and the calls that post, block
 * and deliver signals (signal.c). Numbers, flags and si_code values are
 * the Linux riscv64 ABI's, in include/abi/signal.h, shared with user
 * space.
 * The frame a handler runs on is built in arch/riscv/sigframe.c.
 */
#ifndef KERNEL_PROC_SIGNAL_H
#define KERNEL_PROC_SIGNAL_H

#include "kernel/types.h"

#include "include/abi/signal.h"

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
/* Signals that cannot be caught, ignored or blocked. */
#define SIG_UNCATCHABLE (SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP))

/* struct sigaction as the riscv64 kernel sees it (no sa_restorer). */
struct k_sigaction {
	unsigned long handler;
	unsigned long flags;
	uint64_t mask;
};

#define SIGSET_SIZE 8           /* bytes of the kernel sigset_t */

/* stack_t (sigaltstack): 24 bytes, ss_flags padded to 8. */
struct k_sigaltstack {
	uint64_t ss_sp;                 /* lowest byte (user va) */
	int32_t ss_flags;               /* SS_DISABLE or 0 */
	int32_t pad;
	uint64_t ss_size;               /* bytes */
};

/* One signal as its handler's siginfo_t describes it: si_code, and the
 * sender (SI_USER) or the faulting address (faults). */
struct ksiginfo {
	int32_t code;
	int32_t pid;                    /* SI_USER: the sender's pid */
	uint64_t addr;                  /* faults: the user virtual address */
};

/*
 * Signal state of one process (inside struct proc).
 * Locking: (p) proc->lock, (s) only the process itself; the actions are
 * written under proc->lock too, as a sender reads them (signal_post).
 * Invariants: mask & SIG_UNCATCHABLE == 0; fault.code != 0 only while
 * fault_sig's bit is pending; proc->killed == ((pending & ~mask) != 0)
 * whenever proc->lock is free; each time proc->killed is found true,
 * PROC_WORK_SIGNAL is set in proc->work (signal_recalc).
 */
struct sigstate {
	struct k_sigaction action[NSIG]; /* (s, p) by signal number - 1 */
	uint64_t pending;               /* (p) bit SIG_BIT(n) for signal n */
	uint64_t mask;                  /* (p) blocked signals */
	int32_t sender[NSIG];           /* (p) pid that sent each pending
	                                 * signal (SI_USER), 0: the kernel */
	int fault_sig;                  /* (s) a synchronous fault's signal
	                                 * to deliver first, or 0 */
	struct ksiginfo fault;          /* (s) its si_code and si_addr */
	struct k_sigaltstack altstack;  /* (s) sigaltstack */
};

struct proc;

/* Reset s to a fresh process's state: every action SIG_DFL, nothing
 * pending or blocked, no alternate stack. */
void signal_init(struct sigstate *s);
/* fork: the child gets the parent's actions, mask and alternate stack,
 * nothing pending. => parent is the current process. */
void signal_fork(const struct sigstate *parent, struct sigstate *child);
/* exec: caught signals go back to SIG_DFL (ignored ones stay ignored),
 * the alternate stack is dropped; mask and pending stay (POSIX execve).
 * => p is the current process. */
void signal_exec(struct proc *p);

/* Post sig (1..NSIG) to p from process sender (0: the kernel) unless p
 * ignores it and does not block it. A deliverable one ends an
 * interruptible sleep. => p->lock held. */
void signal_post(struct proc *p, int sig, pid_t sender);
/* True if the current process would run a handler for sig now (caught
 * and not blocked): a fault then goes to the handler, not to the kill. */
bool signal_catches(int sig);
/* A synchronous fault of the current process: deliver sig with si_code
 * code and si_addr addr (user va) before anything else at its return to
 * user; forced, as Linux's force_sig_fault: if sig is blocked or ignored
 * the process dies of it. */
void signal_force_fault(int sig, int code, vaddr_t addr);
/* Kill the current process with sig at its return to user, whatever its
 * action and mask say (the action becomes SIG_DFL). */
void signal_force_kill(int sig);
/* Deliver the current process's pending, unblocked signals before it
 * returns to user: run a handler (build its frame), ignore, or terminate
 * (never returns then). => no locks held, process context. */
void signal_deliver(void);

/* rt_sigaction for the current process: sig's action into *old (if not
 * NULL), then act (if not NULL). Returns 0 or -EINVAL (SIGKILL/SIGSTOP,
 * a bad signal number). */
int signal_action(int sig, const struct k_sigaction *act,
		  struct k_sigaction *old);
/* rt_sigprocmask: the old mask into *old (if not NULL), then set (if not
 * NULL) by how. Returns 0 or -EINVAL (bad how). */
int signal_procmask(int how, const uint64_t *set, uint64_t *old);
/* sigaltstack: the current stack into *old (if not NULL), then ss (if not
 * NULL). sp is the user stack pointer. Returns 0, -EINVAL (bad flags),
 * -ENOMEM (ss_size below MINSIGSTKSZ), -EPERM (running on it). */
int signal_altstack(const struct k_sigaltstack *ss, struct k_sigaltstack *old,
		    vaddr_t sp);
/* rt_sigreturn: restore the context the handler's frame saved (arch) and
 * its signal mask. Returns the restored a0; a bad frame kills the process
 * with SIGSEGV. */
long signal_return(void);

/* ---- The frame on the user stack (arch/riscv/sigframe.c). ---- */

/* What one handler invocation needs. */
struct sigframe_args {
	int sig;
	struct ksiginfo info;           /* for the siginfo_t */
	vaddr_t handler;                /* user va of the handler */
	vaddr_t top;                    /* the frame goes below this user va */
	uint64_t oldmask;               /* the mask to restore (uc_sigmask) */
	struct k_sigaltstack stack;     /* uc_stack */
};

/* Write a Linux riscv64 struct rt_sigframe (siginfo_t, ucontext_t with
 * the user registers and FP state of p->tf and p->fp) below a->top and
 * set p's trapframe to enter the handler with it.
 * => p is the current process, no locks held. Returns 0, -EFAULT (the
 * frame cannot be written there) or -ENOMEM. */
int sigframe_push(struct proc *p, const struct sigframe_args *a);
/* rt_sigreturn: load p's registers and FP state from the frame at its
 * user sp; the saved mask into *mask, uc_stack into *stack.
 * => p is the current process, no locks held. Returns 0, -EFAULT (no
 * readable frame) or -ENOMEM; p->tf is untouched on an error. */
int sigframe_pop(struct proc *p, uint64_t *mask, struct k_sigaltstack *stack);

#endif
