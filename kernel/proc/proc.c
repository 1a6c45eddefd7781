/*
 * Processes: the process table, pids, kernel stacks, fork, exit, wait,
 * who may signal whom (kill, process groups; each process's signal state
 * is signal.c), process groups, the first process, and the text of
 * /proc/<pid>/{status,maps}.
 * Scheduling is in sched.c, execve in exec.c, traps in arch/riscv/trap.c.
 *
 * Lock order: proc_table_lock, then proc->lock, then the run queue.
 * No VM lock is taken with proc->lock held (see kernel/vm/vm.h).
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/lock.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/sbuf.h"
#include "kernel/lib/string.h"
#include "kernel/dev/console.h"
#include "kernel/fs/file.h"
#include "kernel/fs/vfs.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/sched.h"
#include "kernel/proc/signal.h"
#include "kernel/proc/wait.h"
#include "kernel/vm/kva.h"
#include "kernel/vm/mspace.h"
#include "kernel/vm/vma.h"
#include "kernel/vm/swap.h"
#include "kernel/vm/pageout.h"
#include "kernel/vm/pmap.h"
#include "arch/riscv/cpu.h"
#include "arch/riscv/intr.h"
#include "arch/riscv/trap.h"

#define INIT_PID 1

/*
 * Locking: (t) proc_table_lock guards every proc's parent and pgid, the
 * choice of a free slot and next_pid. A slot's other fields follow the
 * legend of struct proc.
 */
struct proc proc_table[NPROC_MAX];
static struct spinlock proc_table_lock = SPINLOCK_INIT("proc_table");
static pid_t next_pid = INIT_PID;       /* (t) */
static struct proc *initproc;           /* (c) after proc_start_init */

static const char *const init_paths[] = { "/bin/init", "/bin/sh" };
static const char *const init_envp[] = { "HOME=/", "PATH=/bin", "TERM=vt100",
					 NULL };

/* See proc.h. */
void proc_init(void)
{
	trap_init();            /* the user trap vector, before any process */
	for (int i = 0; i < NPROC_MAX; i++) {
		struct proc *p = &proc_table[i];

		spin_init(&p->lock, "proc");
		p->state = P_UNUSED;
		list_init(&p->run_link);
	}
}

/* See proc.h (why no interrupt toggling is needed). Out of line so that
 * the host tests can supply their own. */
/* Make parent (or NULL) p's parent; ppid follows it for getppid.
 * => proc_table_lock held. */
static void proc_set_parent(struct proc *p, struct proc *parent)
{
	p->parent = parent;
	__atomic_store_n(&p->ppid, parent != NULL ? parent->pid : 0,
			 __ATOMIC_RELAXED);
}

/* The live process with this pid, or NULL. => proc_table_lock held. */
static struct proc *proc_find(pid_t pid)
{
	for (int i = 0; i < NPROC_MAX; i++) {
		struct proc *p = &proc_table[i];

		if (p->state != P_UNUSED && p->pid == pid)
			return p;
	}
	return NULL;
}

/* Clear every per-process field of a fresh slot and place its trapframe
 * at the top of its kernel stack. => p is EMBRYO, owned by the caller. */
static void proc_reset(struct proc *p, vaddr_t kstack)
{
	p->chan = NULL;
	p->killed = false;
	signal_init(&p->sig);
	p->xstatus = 0;
	p->kstack = kstack;
	p->tf = (struct trapframe *)(proc_kstack_top(p) -
				     sizeof(struct trapframe));
	memset(p->tf, 0, sizeof(*p->tf));
	memset(&p->ctx, 0, sizeof(p->ctx));
	p->ctx.sp = (uint64_t)p->tf;
	p->ms = NULL;
	memset(p->ofile, 0, sizeof(p->ofile));
	p->cloexec = 0;
	p->cwd = NULL;
	p->name[0] = '\0';
	p->start_ticks = sched_ticks();
	p->utime = p->stime = 0;
	p->cutime = p->cstime = 0;
	p->maxrss = p->cmaxrss = 0;
	p->minflt = p->majflt = 0;
	p->cminflt = p->cmajflt = 0;
	p->sleep_intr = false;
	p->work = 0;
	memset(&p->fp, 0, sizeof(p->fp));
	p->kthread = NULL;
}

/* Take a free slot with a new pid and kernel stack; its context will
 * start at entry. Returns 0 and *out (EMBRYO), -EAGAIN or -ENOMEM. */
static int proc_alloc(void (*entry)(void), struct proc **out)
{
	struct proc *p = NULL;
	vaddr_t kstack = kva_alloc_stack();

	if (kstack == 0)
		return -ENOMEM;
	spin_lock(&proc_table_lock);
	for (int i = 0; i < NPROC_MAX && p == NULL; i++) {
		if (proc_table[i].state == P_UNUSED)
			p = &proc_table[i];
	}
	if (p == NULL) {
		spin_unlock(&proc_table_lock);
		kva_free_stack(kstack);
		return -EAGAIN;
	}
	p->state = P_EMBRYO;
	proc_reset(p, kstack);
	p->pid = next_pid++;
	proc_set_parent(p, NULL);
	p->pgid = p->pid;
	spin_unlock(&proc_table_lock);
	p->ctx.ra = (uint64_t)entry;
	*out = p;
	return 0;
}

/* Return a slot to the table. Returns its kernel stack, which the caller
 * frees once it has dropped its spinlocks (VM locks rank above them).
 * => proc_table_lock and p->lock held; p is EMBRYO or ZOMBIE and off
 * every hart. */
static vaddr_t proc_free(struct proc *p)
{
	vaddr_t kstack = p->kstack;

	p->kstack = 0;
	p->tf = NULL;
	p->pid = 0;
	proc_set_parent(p, NULL);
	p->pgid = 0;
	p->name[0] = '\0';
	p->state = P_UNUSED;
	return kstack;
}

/* Undo proc_alloc for a process that never ran. */
static void proc_abort(struct proc *p)
{
	vaddr_t kstack;

	spin_lock(&proc_table_lock);
	spin_lock(&p->lock);
	kstack = proc_free(p);
	spin_unlock(&p->lock);
	spin_unlock(&proc_table_lock);
	kva_free_stack(kstack);
}

/* See proc.h. */
void proc_activate_mspace(struct proc *p)
{
	if (p->ms != NULL)
		mspace_activate(p->ms);
	else
		pmap_activate(pmap_kernel());
}

/* Raise p->maxrss to the peak resident pages of ms, an mspace p is about to
 * drop. => p is the current process; no locks held. */
static void proc_note_maxrss(struct proc *p, struct mspace *ms)
{
	struct mspace_stats st;

	mspace_get_stats(ms, &st);
	if (st.resident_peak > p->maxrss)
		p->maxrss = st.resident_peak;
}

/* Detach p's mspace under p->lock (so /proc readers see it or NULL, never a
 * freed one), switch this hart to the kernel page table, and drop it.
 * => p is the current process; no locks held. */
static void proc_release_mspace(struct proc *p)
{
	struct mspace *ms;

	spin_lock(&p->lock);
	ms = p->ms;
	p->ms = NULL;
	proc_activate_mspace(p);
	spin_unlock(&p->lock);
	if (ms != NULL) {
		proc_note_maxrss(p, ms);
		mspace_destroy(ms);
	}
}

/* The mspace of the current process becomes ms (exec); the old one is
 * dropped. => no locks held. */
void proc_replace_mspace(struct mspace *ms)
{
	struct proc *p = proc_current();
	struct mspace *old;

	spin_lock(&p->lock);
	old = p->ms;
	p->ms = ms;
	proc_activate_mspace(p);
	spin_unlock(&p->lock);
	if (old != NULL) {
		proc_note_maxrss(p, old);
		mspace_destroy(old);
	}
}

/* A child's first instructions: the scheduler still holds its lock. */
static void proc_fork_return(void)
{
	spin_unlock(&proc_current()->lock);
	trap_return();
}

#define FORK_MEMORY_TRIES 3     /* waits for memory before fork says ENOMEM */

/* See proc.h. */
long proc_fork(vaddr_t newsp)
{
	struct proc *p = proc_current(), *np;
	pid_t pid;
	int err;

	/* Out of memory: wait for the page daemon a few times, as a page
	 * fault does (a refusal by commit accounting stays ENOMEM). */
	for (int tries = 0;; tries++) {
		err = proc_alloc(proc_fork_return, &np);
		if (err == 0) {
			err = mspace_fork(p->ms, &np->ms);
			if (err < 0)
				proc_abort(np);
		}
		if (err != -ENOMEM || tries == FORK_MEMORY_TRIES ||
		    vm_wait_for_memory() != 0)
			break;
	}
	if (err < 0)
		return err;
	trap_fpu_flush(p);
	*np->tf = *p->tf;
	np->tf->a0 = 0;
	if (newsp != 0)
		np->tf->sp = newsp;
	np->fp = p->fp;
	np->cloexec = p->cloexec;
	signal_fork(&p->sig, &np->sig);
	strlcpy(np->name, p->name, sizeof(np->name));
	fd_fork(p, np);

	spin_lock(&proc_table_lock);
	proc_set_parent(np, p);
	np->pgid = p->pgid;
	pid = np->pid;
	spin_unlock(&proc_table_lock);
	sched_make_runnable(np);
	return pid;
}

/* Give p's children to init, waking init if one is already a zombie.
 * => proc_table_lock held. */
static void proc_reparent(struct proc *p)
{
	bool zombie = false;

	for (int i = 0; i < NPROC_MAX; i++) {
		struct proc *c = &proc_table[i];

		if (c->parent != p)
			continue;
		proc_set_parent(c, initproc);
		if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == P_ZOMBIE)
			zombie = true;
	}
	if (zombie)
		sched_wakeup(initproc);
}

/* See proc.h. */
void proc_exit(int status)
{
	struct proc *p = proc_current();

	if (p == initproc)
		panic("proc_exit: init exited (wait status 0x%x)", status);
	fd_close_all();
	if (p->cwd != NULL) {
		vnode_put(p->cwd);
		p->cwd = NULL;
	}
	proc_release_mspace(p);

	spin_lock(&proc_table_lock);
	proc_reparent(p);
	sched_wakeup(p->parent);
	spin_lock(&p->lock);
	p->xstatus = status;
	p->state = P_ZOMBIE;
	spin_unlock(&proc_table_lock);
	sched_switch();
	panic("proc_exit: zombie pid %d ran again", p->pid);
}

/* Does child c match wait4's pid argument for parent p? => table lock. */
static bool proc_wait_match(const struct proc *p, const struct proc *c,
			    pid_t pid)
{
	if (c->parent != p)
		return false;
	if (pid > 0)
		return c->pid == pid;
	if (pid == -1)
		return true;
	if (pid == 0)
		return c->pgid == p->pgid;
	return c->pgid == -pid;
}

/* What c used with its reaped descendants. => c->lock held. */
static void proc_usage_of(const struct proc *c, struct proc_usage *u)
{
	u->utime_ns = (c->utime + c->cutime) * SCHED_TICK_NS;
	u->stime_ns = (c->stime + c->cstime) * SCHED_TICK_NS;
	u->maxrss_pages = c->maxrss > c->cmaxrss ? c->maxrss : c->cmaxrss;
	u->minflt = __atomic_load_n(&c->minflt, __ATOMIC_RELAXED) +
		    __atomic_load_n(&c->cminflt, __ATOMIC_RELAXED);
	u->majflt = __atomic_load_n(&c->majflt, __ATOMIC_RELAXED) +
		    __atomic_load_n(&c->cmajflt, __ATOMIC_RELAXED);
}

/* Reap a zombie child c of the current process p: its pid, its wait status
 * in *status, its usage in *u (also added to p's children totals), and its
 * kernel stack in *kstack for the caller to free after unlocking.
 * => proc_table_lock and c->lock held. */
static pid_t proc_reap(struct proc *p, struct proc *c, int *status,
		       struct proc_usage *u, vaddr_t *kstack)
{
	pid_t pid = c->pid;

	*status = c->xstatus;
	proc_usage_of(c, u);
	p->cutime += c->utime + c->cutime;
	p->cstime += c->stime + c->cstime;
	if (u->maxrss_pages > p->cmaxrss)
		p->cmaxrss = u->maxrss_pages;
	__atomic_fetch_add(&p->cminflt, u->minflt, __ATOMIC_RELAXED);
	__atomic_fetch_add(&p->cmajflt, u->majflt, __ATOMIC_RELAXED);
	*kstack = proc_free(c);
	return pid;
}

/* See proc.h. */
long proc_wait(pid_t pid, int *status, int options, struct proc_usage *usage)
{
	struct proc *p = proc_current();
	struct proc_usage u;
	vaddr_t kstack = 0;
	bool children;
	pid_t found;

	spin_lock(&proc_table_lock);
	for (;;) {
		children = false;
		found = 0;
		for (int i = 0; i < NPROC_MAX && found == 0; i++) {
			struct proc *c = &proc_table[i];

			if (!proc_wait_match(p, c, pid))
				continue;
			children = true;
			spin_lock(&c->lock);
			if (c->state == P_ZOMBIE)
				found = proc_reap(p, c, status, &u, &kstack);
			spin_unlock(&c->lock);
		}
		if (found != 0 || !children || (options & WNOHANG))
			break;
		if (sched_sleep(p, &proc_table_lock) == -EINTR) {
			spin_unlock(&proc_table_lock);
			return -EINTR;
		}
	}
	spin_unlock(&proc_table_lock);
	if (found != 0) {
		kva_free_stack(kstack);
		if (usage != NULL)
			*usage = u;
		return found;
	}
	return children ? 0 : -ECHILD;
}

/* See proc.h. No lock: ppid is one word, written with parent under
 * proc_table_lock; a reparenting at the same time gives the old parent or
 * init, either of which was the parent at some instant of the call. */
pid_t proc_getppid(struct proc *p)
{
	return __atomic_load_n(&p->ppid, __ATOMIC_RELAXED);
}

/* Post sig (1..NSIG, or 0 to probe) to p from process sender (0: the
 * kernel): signal_post. init gets no signal at all (it has no handlers;
 * Linux sends init only those it catches). */
static void proc_signal(struct proc *p, int sig, pid_t sender)
{
	spin_lock(&p->lock);
	if (sig != 0 && p->state != P_ZOMBIE && p->state != P_UNUSED &&
	    p->kthread == NULL && p->pid != INIT_PID)
		signal_post(p, sig, sender);
	spin_unlock(&p->lock);
}

/* Signal every process of group pgid except `except` (may be NULL).
 * Returns how many there were. => proc_table_lock held. */
static int proc_signal_group_locked(pid_t pgid, int sig,
				    const struct proc *except, pid_t sender)
{
	int n = 0;

	for (int i = 0; i < NPROC_MAX; i++) {
		struct proc *p = &proc_table[i];

		if (p->state == P_UNUSED || p == except ||
		    (pgid != 0 && p->pgid != pgid))
			continue;
		if (pgid == 0 && p->pid == INIT_PID)
			continue;
		proc_signal(p, sig, sender);
		n++;
	}
	return n;
}

/* See proc.h. */
int proc_signal_pgrp(pid_t pgid, int sig)
{
	int n;

	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	if (pgid <= 0)
		return -ESRCH;
	spin_lock(&proc_table_lock);
	n = proc_signal_group_locked(pgid, sig, NULL, 0);
	spin_unlock(&proc_table_lock);
	return n > 0 ? 0 : -ESRCH;
}

/* See proc.h. pid 0 is the caller's group; pid -1 every process but init
 * and the caller (kill(2)). */
int proc_kill(pid_t pid, int sig)
{
	struct proc *cur = proc_current(), *p;
	pid_t sender = cur != NULL ? cur->pid : 0;
	int n = 0;

	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	spin_lock(&proc_table_lock);
	if (pid > 0) {
		p = proc_find(pid);
		if (p != NULL) {
			proc_signal(p, sig, sender);
			n = 1;
		}
	} else if (pid == -1) {
		n = proc_signal_group_locked(0, sig, cur, sender);
	} else {
		pid_t pgid = (pid == 0) ? (cur != NULL ? cur->pgid : 0) : -pid;
		if (pgid > 0)
			n = proc_signal_group_locked(pgid, sig, NULL, sender);
	}
	spin_unlock(&proc_table_lock);
	return n > 0 ? 0 : -ESRCH;
}

/* See proc.h. */
void proc_kill_self(int sig)
{
	signal_force_kill(sig);
}

/* See proc.h. */
bool proc_signal_pending(const struct proc *p)
{
	return p->killed;
}

/* See proc.h. */
void proc_user_work(void)
{
	struct proc *p = proc_current();
	uint32_t work = __atomic_exchange_n(&p->work, 0, __ATOMIC_ACQUIRE);

	if (work & PROC_WORK_SIGNAL)
		signal_deliver();
	if (work & PROC_WORK_RESCHED)
		sched_yield();
}

/* See proc.h. */
int proc_setpgid(pid_t pid, pid_t pgid)
{
	struct proc *cur = proc_current(), *p;
	int err = 0;

	if (pid == 0)
		pid = cur->pid;
	if (pgid == 0)
		pgid = pid;
	if (pid < 0 || pgid < 0)
		return -EINVAL;
	spin_lock(&proc_table_lock);
	p = proc_find(pid);
	if (p == NULL || (p != cur && p->parent != cur)) {
		err = -ESRCH;
	} else if (pgid != pid) {
		err = -EPERM;
		for (int i = 0; i < NPROC_MAX && err != 0; i++) {
			if (proc_table[i].state != P_UNUSED &&
			    proc_table[i].pgid == pgid)
				err = 0;
		}
	}
	if (err == 0)
		p->pgid = pgid;
	spin_unlock(&proc_table_lock);
	return err;
}

/* See proc.h. */
long proc_getpgid(pid_t pid)
{
	struct proc *p;
	long pgid = -ESRCH;

	spin_lock(&proc_table_lock);
	p = (pid == 0) ? proc_current() : proc_find(pid);
	if (p != NULL)
		pgid = p->pgid;
	spin_unlock(&proc_table_lock);
	return pgid;
}

/* See proc.h. */
void proc_account_tick(struct proc *p, bool user)
{
	spin_lock(&p->lock);
	if (user)
		p->utime++;
	else
		p->stime++;
	spin_unlock(&p->lock);
}

/* See proc.h. */
uint64_t proc_cpu_ns(void)
{
	struct proc *p = proc_current();
	uint64_t ticks;

	spin_lock(&p->lock);
	ticks = p->utime + p->stime;
	spin_unlock(&p->lock);
	return ticks * SCHED_TICK_NS;
}

/* See proc.h. */
pid_t proc_next_pid(pid_t after)
{
	pid_t best = -1;

	spin_lock(&proc_table_lock);
	for (int i = 0; i < NPROC_MAX; i++) {
		struct proc *p = &proc_table[i];

		if (p->state != P_UNUSED && p->pid > after &&
		    (best < 0 || p->pid < best))
			best = p->pid;
	}
	spin_unlock(&proc_table_lock);
	return best;
}

/* Find pid and take a reference on its mspace (NULL if it has none).
 * Returns 0 or -ESRCH; *snap gets a copy of the fields /proc shows. */
static int proc_snapshot(pid_t pid, struct proc *snap, pid_t *ppid,
			 struct mspace **ms)
{
	struct proc *p;

	spin_lock(&proc_table_lock);
	p = proc_find(pid);
	if (p == NULL) {
		spin_unlock(&proc_table_lock);
		return -ESRCH;
	}
	*ppid = (p->parent != NULL) ? p->parent->pid : 0;
	spin_lock(&p->lock);
	snap->state = p->state;
	snap->pid = p->pid;
	snap->pgid = p->pgid;
	snap->utime = p->utime;
	snap->stime = p->stime;
	snap->cutime = p->cutime;
	snap->cstime = p->cstime;
	snap->start_ticks = p->start_ticks;
	snap->minflt = __atomic_load_n(&p->minflt, __ATOMIC_RELAXED);
	snap->majflt = __atomic_load_n(&p->majflt, __ATOMIC_RELAXED);
	snap->cminflt = __atomic_load_n(&p->cminflt, __ATOMIC_RELAXED);
	snap->cmajflt = __atomic_load_n(&p->cmajflt, __ATOMIC_RELAXED);
	memcpy(snap->name, p->name, sizeof(snap->name));
	*ms = p->ms;
	if (*ms != NULL)
		mspace_ref(*ms);
	spin_unlock(&p->lock);
	spin_unlock(&proc_table_lock);
	return 0;
}

/* See proc.h. */
struct mspace *proc_get_mspace(pid_t pid, char name[PROC_NAME_MAX])
{
	struct proc snap;
	struct mspace *ms;
	pid_t ppid;

	if (proc_snapshot(pid, &snap, &ppid, &ms) < 0)
		return NULL;
	if (ms != NULL && snap.state == P_ZOMBIE) {
		mspace_destroy(ms);
		return NULL;
	}
	memcpy(name, snap.name, PROC_NAME_MAX);
	return ms;
}

/* See proc.h. */
bool proc_fatal_signal_pending(const struct proc *p)
{
	return (__atomic_load_n(&p->sig.pending, __ATOMIC_RELAXED) &
		SIG_BIT(SIGKILL)) != 0;
}

static const char *proc_state_name(enum proc_state s)
{
	switch (s) {
	case P_RUNNING:
	case P_RUNNABLE:
		return "R (running)";
	case P_SLEEPING:
		return "S (sleeping)";
	case P_ZOMBIE:
		return "Z (zombie)";
	default:
		return "D (disk sleep)";
	}
}

/* See proc.h. Linux's field names; sizes in kB. */
int proc_status(pid_t pid, struct sbuf *sb)
{
	struct proc snap;
	struct mspace_stats st;
	struct mspace *ms;
	uint64_t swap;
	pid_t ppid;
	int err;

	err = proc_snapshot(pid, &snap, &ppid, &ms);
	if (err < 0)
		return err;
	sbuf_printf(sb, "Name:\t%s\nState:\t%s\nTgid:\t%d\nPid:\t%d\n"
		    "PPid:\t%d\nPgid:\t%d\n"
		    "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n",
		    snap.name, proc_state_name(snap.state), snap.pid, snap.pid,
		    ppid, snap.pgid);
	if (ms != NULL) {
		mspace_get_stats(ms, &st);
		swap = mspace_swap_pages(ms);
		mspace_destroy(ms);
		sbuf_printf(sb, "VmPeak:\t%8lu kB\nVmSize:\t%8lu kB\n"
			    "VmHWM:\t%8lu kB\nVmRSS:\t%8lu kB\n"
			    "VmSwap:\t%8lu kB\n",
			    st.virt_peak * (PAGE_SIZE / 1024),
			    st.virt * (PAGE_SIZE / 1024),
			    st.resident_peak * (PAGE_SIZE / 1024),
			    st.resident * (PAGE_SIZE / 1024),
			    swap * (PAGE_SIZE / 1024));
	}
	sbuf_printf(sb, "Threads:\t1\nUtime:\t%lu\nStime:\t%lu\n",
		    snap.utime, snap.stime);
	return sbuf_error(sb);
}

/* /proc/<pid>/stat (proc(5)): fields counted from 1. */
#define STAT_NFIELDS            52
#define STAT_FIELD_RSSLIM       25
#define STAT_FIELD_EXIT_SIGNAL  38
#define STAT_RLIM_INFINITY      (~0UL)  /* rsslim: no limit */

/* The one-letter state of /proc/<pid>/stat (proc(5) field 3). */
static char proc_state_letter(enum proc_state s)
{
	return proc_state_name(s)[0];
}

/*
 * See proc.h. proc(5)'s fields in order: pid (comm) state ppid pgrp
 * session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
 * cutime cstime priority nice num_threads itrealvalue starttime vsize rss
 * rsslim, then 28 fields Pagoda does not keep (addresses, signals, exit
 * signal, processor...), shown as 0 but exit_signal (17, SIGCHLD). Times
 * in clock ticks (TIMER_HZ = 100 = Linux's USER_HZ), vsize in bytes, rss
 * in pages.
 */
int proc_stat(pid_t pid, struct sbuf *sb)
{
	struct mspace_stats st = { 0 };
	struct proc snap;
	struct mspace *ms;
	pid_t ppid;
	int err;

	err = proc_snapshot(pid, &snap, &ppid, &ms);
	if (err < 0)
		return err;
	if (ms != NULL) {
		mspace_get_stats(ms, &st);
		mspace_destroy(ms);
	}
	sbuf_printf(sb, "%d (%s) %c %d %d %d 0 -1 0 %lu %lu %lu %lu "
		    "%lu %lu %lu %lu 20 0 1 0 %lu %lu %lu %lu",
		    snap.pid, snap.name, proc_state_letter(snap.state), ppid,
		    snap.pgid, snap.pgid, snap.minflt, snap.cminflt,
		    snap.majflt, snap.cmajflt, snap.utime, snap.stime,
		    snap.cutime, snap.cstime, snap.start_ticks,
		    st.virt * PAGE_SIZE, st.resident, STAT_RLIM_INFINITY);
	for (int f = STAT_FIELD_RSSLIM + 1; f <= STAT_NFIELDS; f++)
		sbuf_printf(sb, " %d", f == STAT_FIELD_EXIT_SIGNAL ? SIGCHLD : 0);
	sbuf_printf(sb, "\n");
	return sbuf_error(sb);
}

/* Write the text of one of pid's address-space files (display is
 * mspace_display or mspace_display_smaps) into sb. 0, -ESRCH or -ENOMEM. */
static int proc_display_mspace(pid_t pid, struct sbuf *sb,
			       int (*display)(struct mspace *, struct sbuf *))
{
	struct proc snap;
	struct mspace *ms;
	pid_t ppid;
	int err;

	err = proc_snapshot(pid, &snap, &ppid, &ms);
	if (err < 0 || ms == NULL)
		return err;
	err = display(ms, sb);
	mspace_destroy(ms);
	return err;
}

/* See proc.h. */
int proc_maps(pid_t pid, struct sbuf *sb)
{
	return proc_display_mspace(pid, sb, mspace_display);
}

/* See proc.h. */
int proc_smaps(pid_t pid, struct sbuf *sb)
{
	return proc_display_mspace(pid, sb, mspace_display_smaps);
}

/* See proc.h. => p is the current process, no locks held. */
int proc_fault_code(struct proc *p, vaddr_t va)
{
	struct mspace *ms = p->ms;
	struct vma *v;
	bool mapped;

	if (ms == NULL)
		return SEGV_MAPERR;
	mutex_lock(&ms->lock);
	v = mspace_search_vma(ms, va);
	mapped = (v != NULL && !(v->flags & VMA_GUARD));
	mutex_unlock(&ms->lock);
	return mapped ? SEGV_ACCERR : SEGV_MAPERR;
}

/* See proc.h. => p is the current process, no locks held. */
const char *proc_fault_cause(struct proc *p, vaddr_t va)
{
	return proc_fault_code(p, va) == SEGV_ACCERR ? "protection"
						     : "no mapping";
}

/* Open the console on fds 0, 1 and 2 of the current process. */
static void proc_open_console(void)
{
	struct file *f = file_alloc(&console_fops, O_RDWR);

	if (f == NULL)
		panic("proc_open_console: out of memory");
	if (fd_install(f, 0) != 0 || fd_install(file_dup(f), 1) != 1 ||
	    fd_install(file_dup(f), 2) != 2)
		panic("proc_open_console: descriptors 0-2 not free");
}

/* The first process's first run, in kernel mode on its own stack: mount
 * the file systems and find the swap disk (both may sleep on the disk),
 * then exec init. */
static void proc_init_main(void)
{
	struct proc *p = proc_current();
	int err = -ENOENT;

	spin_unlock(&p->lock);  /* held by the scheduler */
	intr_on();
	vfs_init();
	swap_init();
	vm_pageout_init();
	if (vfs_lookup("/", &p->cwd) < 0)
		panic("proc_init_main: no root directory");
	proc_open_console();
	for (size_t i = 0; i < ARRAY_SIZE(init_paths); i++) {
		const char *argv[] = { init_paths[i], NULL };

		err = exec_kernel(init_paths[i], argv, init_envp);
		if (err == 0)
			break;
		printk("pagoda: exec %s failed (%d)\n", init_paths[i], err);
	}
	if (err < 0)
		panic("proc_init_main: no init program");
	trap_return();
}

/* A kernel thread's first run: leave the scheduler's lock, then run its
 * function, which never returns. */
static void kthread_main(void)
{
	struct proc *p = proc_current();

	spin_unlock(&p->lock);  /* held by the scheduler */
	intr_on();
	p->kthread();
	panic("kernel thread %s returned", p->name);
}

/* See proc.h. */
int kthread_create(const char *name, void (*fn)(void), pid_t *pidp)
{
	struct proc *p;
	int err;

	err = proc_alloc(kthread_main, &p);
	if (err < 0)
		return err;
	strlcpy(p->name, name, sizeof(p->name));
	p->kthread = fn;
	if (pidp != NULL)
		*pidp = p->pid;
	sched_make_runnable(p);
	return 0;
}

/* See proc.h. */
void proc_start_init(void)
{
	struct proc *p;
	int err;

	err = proc_alloc(proc_init_main, &p);
	if (err < 0)
		panic("proc_start_init: cannot create init (%d)", err);
	KASSERT(p->pid == INIT_PID, "init has pid %d", p->pid);
	strlcpy(p->name, "init", sizeof(p->name));
	initproc = p;
	sched_make_runnable(p);
}
