/*
 * Processes: one thread each. The fields other subsystems use are listed
 * here; kernel/proc/proc.c owns the structure.
 */
#ifndef KERNEL_PROC_PROC_H
#define KERNEL_PROC_PROC_H

#include "kernel/types.h"
#include "kernel/lock.h"
#include "kernel/lib/list.h"
#include "arch/riscv/cpu.h"
#include "arch/riscv/trap.h"
#include "arch/riscv/vmparam.h"
#include "kernel/proc/signal.h"

#define NPROC_MAX   256
#define NOFILE      64          /* open files per process */
#define PROC_NAME_MAX 16

struct mspace;
struct file;
struct vnode;
struct trapframe;
struct sbuf;

enum proc_state {
	P_UNUSED, P_EMBRYO, P_RUNNABLE, P_RUNNING, P_SLEEPING, P_ZOMBIE
};

/*
 * Locking: (p) proc->lock, (t) proc_table_lock, (c) const after creation,
 * (s) only the process itself, (a) atomic (written by the process itself,
 * or by its parent at wait; read by /proc).
 */
struct proc {
	struct spinlock lock;
	enum proc_state state;          /* (p) */
	void *chan;                     /* (p) sleep channel */
	bool killed;                    /* (p) a signal is deliverable */
	int xstatus;                    /* (p) wait status when ZOMBIE */
	pid_t pid;                      /* (c) */
	pid_t pgid;                     /* (t) process group */
	struct proc *parent;            /* (t) */
	pid_t ppid;                     /* (t, a) parent->pid, 0 without a
	                                 * parent: written with parent, read
	                                 * with no lock (getppid) */
	struct list_node run_link;      /* (run-queue lock) */

	vaddr_t kstack;                 /* (c) base of kernel stack (kva) */
	struct trapframe *tf;           /* (s) user registers, top of kstack */
	struct context ctx;             /* (p) for sched switch */
	struct mspace *ms;              /* (s) address space */
	struct file *ofile[NOFILE];     /* (s) open files */
	uint64_t cloexec;               /* (s) FD_CLOEXEC bit per fd < 64 */
	struct vnode *cwd;              /* (s) current directory */
	char name[PROC_NAME_MAX];       /* (s) program name */
	struct sigstate sig;            /* signal.h has its legend */
	uint64_t start_ticks;           /* (c) */
	uint64_t utime, stime;          /* (p) ticks */
	uint64_t cutime, cstime;        /* (s) ticks of reaped children, theirs
	                                 * included (wait4's rusage) */
	uint64_t maxrss;                /* (s) most resident pages of the
	                                 * mspaces dropped so far (exec, exit) */
	uint64_t cmaxrss;               /* (s) largest maxrss of reaped children */
	uint64_t minflt, majflt;        /* (a) page faults resolved without /
	                                 * with a wait for a read (proc_count_fault) */
	uint64_t cminflt, cmajflt;      /* (a) those of reaped children, theirs
	                                 * included (added at wait) */

	bool sleep_intr;                /* (p) a signal may end this sleep */
	uint32_t work;                  /* (a) PROC_WORK_* bits: what the
	                                 * return to user must do first */
	struct fpstate fp;              /* (s) user FP registers when not live
	                                 * in the hart (trap.c, lazy) */
	void (*kthread)(void);          /* (c) a kernel thread's function (no
	                                 * mspace, never signalled), or NULL */
};

/*
 * Work the return to user must do before sret (struct proc work). Any hart
 * may set a bit (atomic OR); only the process itself clears them
 * (proc_user_work), so the return path tests one word for both checks.
 */
#define PROC_WORK_SIGNAL    (1U << 0)   /* a signal became deliverable
                                         * (signal_recalc) */
#define PROC_WORK_RESCHED   (1U << 1)   /* the time slice ended (sched_tick) */

/* The process table; kernel/proc only (the scheduler scans it). */
extern struct proc proc_table[NPROC_MAX];

/*
 * The process running on this hart (NULL in the idle loop): one load
 * through tp, with no interrupt toggling. Safe against migration: a
 * process changes hart only inside switch_context, which the scheduler
 * calls when the process sleeps, yields or exits, never from an interrupt
 * (the kernel is not preemptive: a tick only sets PROC_WORK_RESCHED, acted
 * on at the return to user). So between reading tp and loading
 * cpu->proc the caller cannot move, and cpu->proc of its hart is itself;
 * an interrupt in between runs on this hart and leaves cpu->proc alone.
 * The answer stays right after a later sleep too: a process is the same
 * struct proc on every hart (only cpu_self() may change).
 */
static inline struct proc *proc_current(void)
{
	return cpu_self()->proc;
}

/* Ask p to do work before its next return to user (bits PROC_WORK_*).
 * Any context, any hart; no locks needed. */
static inline void proc_work_set(struct proc *p, uint32_t bits)
{
	__atomic_fetch_or(&p->work, bits, __ATOMIC_RELEASE);
}

/* True if p has work to do before returning to user. Relaxed: what the
 * work is about (pending signals) is read under p->lock by whoever acts
 * on it. => p is the current process, interrupts off for the final test
 * before sret. */
static inline bool proc_work_pending(const struct proc *p)
{
	return __atomic_load_n(&p->work, __ATOMIC_RELAXED) != 0;
}

/* Deliver signal sig to process pid (or, if pid < 0, to process group -pid).
 * Returns 0, -ESRCH or -EINVAL. */
int proc_kill(pid_t pid, int sig);
/* Send sig to every member of process group pgid; used by the console for
 * Ctrl-C. Returns 0 or -ESRCH. */
int proc_signal_pgrp(pid_t pgid, int sig);
/* Text of /proc/<pid>/status (Linux's names, sizes in kB, VmSwap
 * included); -ESRCH if no such process. */
int proc_status(pid_t pid, struct sbuf *sb);
/* Text of /proc/<pid>/maps; -ESRCH if no such process. */
int proc_maps(pid_t pid, struct sbuf *sb);
/* Text of /proc/<pid>/smaps (each mapping with its resident, shared,
 * private and swapped sizes); -ESRCH if no such process. */
int proc_smaps(pid_t pid, struct sbuf *sb);
/* Iterate live pids for /proc and ps: returns the next pid > after, or -1. */
pid_t proc_next_pid(pid_t after);
/* Terminate the current process with a wait status (never returns). */
void proc_exit(int status) __noreturn;

void proc_init(void);
/* Create the first user process running /bin/init (or /bin/sh). */
void proc_start_init(void);
/* Start a kernel thread named name running fn (which never returns) in
 * supervisor mode on its own kernel stack, with no mspace; signals never
 * reach it and no one waits for it. Its pid goes in *pidp (if not NULL).
 * Returns 0 or -ENOMEM / -EAGAIN (no kernel stack, table full). */
int kthread_create(const char *name, void (*fn)(void), pid_t *pidp);
/* The mspace of process pid with a reference (drop it with
 * mspace_destroy) and its name, or NULL for no such process, a zombie, or
 * a kernel thread. Takes proc_table_lock and the process's lock. */
struct mspace *proc_get_mspace(pid_t pid, char name[PROC_NAME_MAX]);
/* True if p has SIGKILL pending (it dies at its next return to user). */
bool proc_fatal_signal_pending(const struct proc *p);

/* ---- The work behind the process system calls (sys_proc.c). ---- */

/* Fork the current process; the child returns 0 from the system call, on
 * the user stack newsp if non-zero. Short of pages, it waits for the page
 * daemon (vm_wait_for_memory) up to three times first. Returns the
 * child's pid, -EAGAIN (no free slot) or -ENOMEM (commit accounting
 * refused, or still no memory). => no locks held; may sleep. */
long proc_fork(vaddr_t newsp);
/* What a reaped child used, for wait4's struct rusage: its own and its
 * reaped descendants' CPU time (ns) and its largest resident set (pages). */
struct proc_usage {
	uint64_t utime_ns;
	uint64_t stime_ns;
	uint64_t maxrss_pages;
	uint64_t minflt, majflt;        /* page faults (proc_count_fault) */
};

/* Wait for a child to end: pid > 0 that child, -1 any child, 0 any child in
 * the caller's process group, < -1 any child in group -pid. options may
 * hold WNOHANG. Reaps it, stores its wait status in *status and its usage in
 * *usage (if not NULL), and returns its pid; 0 with WNOHANG if none has
 * ended; -ECHILD if no child matches; -EINTR if a signal came.
 * => process context. */
long proc_wait(pid_t pid, int *status, int options, struct proc_usage *usage);
/* CPU time of the current process in ns: user + system, counted in timer
 * ticks (SCHED_TICK_NS each). */
uint64_t proc_cpu_ns(void);
/* Parent's pid of p (0 for init). */
pid_t proc_getppid(struct proc *p);
/* setpgid(pid, pgid) (0 means the caller / pid itself): the caller or one
 * of its children. Returns 0, -ESRCH, -EINVAL or -EPERM (no such group). */
int proc_setpgid(pid_t pid, pid_t pgid);
/* Process group of pid (0: the caller), or -ESRCH. */
long proc_getpgid(pid_t pid);

/* ---- Used by the trap handler and the scheduler (kernel/proc, arch). ---- */

/* Terminate the current process by signal sig at its return to user,
 * whatever its action for sig (signal_force_kill). */
void proc_kill_self(int sig);
/* Do the current process's work before it returns to user: take its
 * PROC_WORK_* bits, deliver its signals (signal_deliver: run handlers, or
 * end it here, never returning then) and give up the hart if its slice
 * ended and others wait. The caller tests proc_work_pending again after
 * (a bit may be set meanwhile). => no locks held, interrupts on. */
void proc_user_work(void);
/* True if p has a pending, unblocked signal: it ends an interruptible
 * sleep. => p->lock held. */
bool proc_signal_pending(const struct proc *p);
/* Load p's page table (its mspace's pmap, or the kernel's) on this hart.
 * => p->lock held, interrupts off. */
void proc_activate_mspace(struct proc *p);
/* exec's point of no return: the current process's mspace becomes ms and
 * the old one is dropped. => no locks held. */
void proc_replace_mspace(struct mspace *ms);
/* Count one page fault of p resolved (vm_fault_ex returned 0, or only an
 * A/D bit was set): major if it waited for a read from a pager or swap
 * (/proc/<pid>/stat majflt), minor otherwise (minflt). Faults inside
 * copyin/copyout count for p too. Any context, no locks. */
static inline void proc_count_fault(struct proc *p, bool major)
{
	__atomic_fetch_add(major ? &p->majflt : &p->minflt, 1, __ATOMIC_RELAXED);
}
/* Text of /proc/<pid>/stat (proc(5): 52 fields on one line);
 * -ESRCH if no such process. */
int proc_stat(pid_t pid, struct sbuf *sb);
/* Charge one timer tick to p, as user or system time. */
void proc_account_tick(struct proc *p, bool user);
/* Why a user access at va in p faulted, for the console line:
 * "no mapping" or "protection". */
const char *proc_fault_cause(struct proc *p, vaddr_t va);
/* The same as a SIGSEGV si_code: SEGV_MAPERR or SEGV_ACCERR. */
int proc_fault_code(struct proc *p, vaddr_t va);
/* Top of p's kernel stack: its trapframe lies just below. */
static inline vaddr_t proc_kstack_top(const struct proc *p)
{
	return p->kstack + KERNEL_STACK_SIZE;
}

/* ---- kernel/proc/exec.c ---- */

/* Replace the current process's image by the ELF program at path with
 * argument and environment strings in kernel memory (NULL-terminated
 * arrays). Returns 0 (the trapframe is set to start the program) or
 * -ENOENT, -ENOTDIR, -EACCES, -ENOEXEC, -E2BIG, -ENOMEM, -EIO; on error the
 * old image is untouched. => process context, no locks held. */
int exec_kernel(const char *path, const char *const argv[],
		const char *const envp[]);

#endif
