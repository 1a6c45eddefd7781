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

#define NPROC_MAX   256
#define NOFILE      64          /* open files per process */
#define PROC_NAME_MAX 16

struct mspace;
struct file;
struct vnode;
struct trapframe;
struct sbuf;

enum proc_state { P_UNUSED, P_EMBRYO, P_RUNNABLE, P_RUNNING, P_SLEEPING, P_ZOMBIE };

/*
 * Locking: (p) proc->lock, (t) proc_table_lock, (c) const after creation,
 * (s) only the process itself.
 */
struct proc {
	struct spinlock lock;
	enum proc_state state;          /* (p) */
	void *chan;                     /* (p) sleep channel */
	bool killed;                    /* (p) */
	uint64_t sigpending;            /* (p) bit n-1 for signal n */
	int xstatus;                    /* (p) wait status when ZOMBIE */
	pid_t pid;                      /* (c) */
	pid_t pgid;                     /* (t) process group */
	struct proc *parent;            /* (t) */
	struct list_node run_link;      /* (run-queue lock) */

	vaddr_t kstack;                 /* (c) base of kernel stack (kva) */
	struct trapframe *tf;           /* (s) user registers, top of kstack */
	struct context ctx;             /* (p) for sched switch */
	struct mspace *ms;              /* (s) address space */
	struct file *ofile[NOFILE];     /* (s) open files */
	uint64_t cloexec;               /* (s) FD_CLOEXEC bit per fd < 64 */
	struct vnode *cwd;              /* (s) current directory */
	char name[PROC_NAME_MAX];       /* (s) program name */
	uint64_t sigignore;             /* (s) signals set to SIG_IGN */
	uint64_t start_ticks;           /* (c) */
	uint64_t utime, stime;          /* (p) ticks */
};

/* The process running on this hart (NULL in the idle loop). */
struct proc *proc_current(void);

/* Deliver signal sig to process pid (or, if pid < 0, to process group -pid).
 * Returns 0, -ESRCH or -EINVAL. */
int proc_kill(pid_t pid, int sig);
/* Send sig to every member of process group pgid; used by the console for
 * Ctrl-C. Returns 0 or -ESRCH. */
int proc_signal_pgrp(pid_t pgid, int sig);
/* Text of /proc/<pid>/status; -ESRCH if no such process. */
int proc_status(pid_t pid, struct sbuf *sb);
/* Text of /proc/<pid>/maps; -ESRCH if no such process. */
int proc_maps(pid_t pid, struct sbuf *sb);
/* Iterate live pids for /proc and ps: returns the next pid > after, or -1. */
pid_t proc_next_pid(pid_t after);
/* Terminate the current process with a wait status (never returns). */
void proc_exit(int status) __noreturn;

void proc_init(void);
/* Create the first user process running /bin/init (or /bin/sh). */
void proc_start_init(void);

#endif
