/*
 * The scheduler: round robin over run queues shared by every hart (a woken
 * sleeper runs within a tick or so, see below), sleep and wakeup on channels, the deadline-ordered queue of timed sleeps, and each
 * hart's idle loop, which waits in wfi and is kicked by an IPI.
 * Process lifetimes belong to proc.c; this file only moves states.
 *
 * Lock order: proc->lock, then runq_lock. timerq_lock comes before
 * proc->lock (a timed sleeper holds it while going to sleep).
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/lock.h"
#include "kernel/lib/list.h"
#include "kernel/lib/printk.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/sched.h"
#include "kernel/vm/pageout.h"
#include "kernel/vm/pmap.h"
#include "arch/riscv/cpu.h"
#include "arch/riscv/intr.h"
#include "arch/riscv/timer.h"
#include "arch/riscv/trap.h"

/*
 * Round robin with a bounded wait for sleepers. Two FIFO queues: wakeq
 * holds processes just woken that still have budget, runq everything else
 * runnable; a hart takes from wakeq first. Every tick preempts the running
 * process if anything waits; a preempted, yielding or new process joins
 * the tail of runq with a full budget (one quantum, SCHED_SLICE_NS).
 *
 * A process's budget shrinks by the CPU time it uses and grows back by
 * the time it sleeps, up to one quantum. A woken process with budget left
 * joins wakeq: a process that sleeps at least as long as it runs (an
 * editor, a shell, a 10 ms sleeper) waits only for the processes ahead of
 * it in wakeq, each of which runs at most its budget, and for the next
 * tick on some hart, however many CPU-bound or forking processes fill
 * runq. One that runs more than it sleeps uses up its budget and waits its
 * turn in runq like any other, so wakeq cannot starve runq: each process
 * takes at most one quantum from wakeq per pass through runq, plus what it
 * earned sleeping.
 *
 * Locking: (r) runq_lock.
 */
static struct spinlock runq_lock = SPINLOCK_INIT("runq");
static struct list_node runq = LIST_HEAD_INIT(runq);   /* (r) RUNNABLE procs */
static struct list_node wakeq = LIST_HEAD_INIT(wakeq); /* (r) RUNNABLE, woken */
static bool cpu_idle[NCPU_MAX];                         /* (r) hart in wfi */

/* The quantum, and the most budget a process keeps. */
#define SCHED_SLICE_NS  SCHED_TICK_NS

/* Per process, indexed like proc_table. Locking: (p) proc->lock. */
struct sched_acct {
	int64_t budget;         /* (p) ns it may still run ahead of runq */
	uint64_t since;         /* (p) timer_ns() it went on or off a hart */
	bool boosted;           /* (p) queued on wakeq since its last wakeup */
};
static struct sched_acct sched_acct[NPROC_MAX];

static struct sched_acct *sched_acct_of(struct proc *p)
{
	KASSERT(p >= proc_table && p < proc_table + NPROC_MAX,
		"sched: process %p not in proc_table", (void *)p);
	return &sched_acct[p - proc_table];
}

/* A timed sleep (sched_sleep_ns), on the sleeper's kernel stack.
 * Locking: (q) timerq_lock. */
struct sched_timer {
	struct list_node link;  /* (q) in timerq, by deadline */
	uint64_t deadline;      /* (c) timer_ns() value to wake at */
	struct proc *proc;      /* (c) the sleeper */
	bool fired;             /* (q) deadline passed, sleeper woken */
};

static struct spinlock timerq_lock = SPINLOCK_INIT("timerq");
static struct list_node timerq = LIST_HEAD_INIT(timerq);   /* (q) */

/* Append p to q (runq or wakeq) and kick one idle hart (not this one).
 * => p->lock held, p->state == P_RUNNABLE. */
static void runq_push_on(struct list_node *q, struct proc *p)
{
	int self = cpu_self()->index;
	int kick = -1;

	spin_lock(&runq_lock);
	list_push_back(q, &p->run_link);
	for (int i = 0; i < NCPU_MAX; i++) {
		if (cpu_idle[i] && i != self) {
			cpu_idle[i] = false;
			kick = i;
			break;
		}
	}
	spin_unlock(&runq_lock);
	if (kick >= 0)
		trap_kick_cpu(kick);
}

/* p joins the tail of runq with a full budget (new, preempted, yielded).
 * => p->lock held, p->state == P_RUNNABLE. */
static void runq_push(struct proc *p)
{
	sched_acct_of(p)->budget = SCHED_SLICE_NS;
	sched_acct_of(p)->boosted = false;
	runq_push_on(&runq, p);
}

/* p, still runnable, leaves the hart (a tick or sched_yield): charge the
 * time it ran; a woken process with budget left goes back on wakeq, any
 * other to the tail of runq. => p->lock held, p->state == P_RUNNABLE. */
static void runq_push_preempted(struct proc *p)
{
	struct sched_acct *a = sched_acct_of(p);
	uint64_t now = timer_ns();

	a->budget -= (int64_t)(now - a->since);
	a->since = now;
	if (a->boosted && a->budget > 0)
		runq_push_on(&wakeq, p);
	else
		runq_push(p);
}

/* p, asleep since sched_acct.since, woke: credit the time slept (up to a
 * quantum) and put it on wakeq if it has budget left, else on runq.
 * => p->lock held, p->state == P_RUNNABLE. */
static void runq_push_woken(struct proc *p)
{
	struct sched_acct *a = sched_acct_of(p);
	uint64_t slept = timer_ns() - a->since;

	a->budget = (int64_t)MIN((uint64_t)SCHED_SLICE_NS,
				 (uint64_t)MAX(a->budget, 0) + slept);
	if (a->budget > 0) {
		a->boosted = true;
		runq_push_on(&wakeq, p);
	} else {
		runq_push(p);
	}
}

/* Take the first woken process, else the first runnable one, or mark this
 * hart idle and return NULL. */
static struct proc *runq_pop(struct cpu *c)
{
	struct list_node *n;

	spin_lock(&runq_lock);
	n = list_pop_front(&wakeq);
	if (n == NULL)
		n = list_pop_front(&runq);
	cpu_idle[c->index] = (n == NULL);
	spin_unlock(&runq_lock);
	return n != NULL ? list_entry(n, struct proc, run_link) : NULL;
}

static bool runq_waiting(void)
{
	/* A hint: read without the lock. */
	return !list_empty(&wakeq) || !list_empty(&runq);
}

/* p left the hart: a sleeper's (or zombie's) budget loses the time it
 * ran, and its sleep starts now. A process still runnable was charged
 * when it was queued again (runq_push_preempted). => p->lock held. */
static void sched_charge(struct proc *p)
{
	struct sched_acct *a = sched_acct_of(p);
	uint64_t now = timer_ns();

	if (p->state == P_SLEEPING || p->state == P_ZOMBIE)
		a->budget -= (int64_t)(now - a->since);
	a->since = now;
}

/* Run p on this hart until it gives the hart back.
 * => interrupts off, no locks held. */
static void sched_run_proc(struct cpu *c, struct proc *p)
{
	spin_lock(&p->lock);
	KASSERT(p->state == P_RUNNABLE, "pid %d in state %d on the run queue",
		p->pid, p->state);
	p->state = P_RUNNING;
	c->proc = p;
	sched_acct_of(p)->since = timer_ns();
	proc_activate_mspace(p);
	switch_context(&c->sched_ctx, &p->ctx);
	/* Leave p's page table: it may be destroyed while this hart idles. */
	pmap_activate(pmap_kernel());
	c->proc = NULL;
	sched_charge(p);
	spin_unlock(&p->lock);
}

/* See sched.h. */
void sched_run(void)
{
	struct cpu *c = cpu_self();
	struct proc *p;

	trap_init_hart();
	c->proc = NULL;
	intr_off();
	for (;;) {
		p = runq_pop(c);
		if (p != NULL)
			sched_run_proc(c, p);
		else
			trap_idle_wait();
	}
}

/* See sched.h. */
void sched_switch(void)
{
	struct proc *p = proc_current();
	struct cpu *c = cpu_self();
	bool intena;

	KASSERT(spin_holding(&p->lock), "pid %d: proc lock not held", p->pid);
	KASSERT(c->noff == 1, "pid %d: %d locks held", p->pid, c->noff);
	KASSERT(p->state != P_RUNNING, "pid %d still running", p->pid);
	KASSERT(!intr_get(), "interrupts on");
	trap_fpu_switch_out(p);
	intena = c->intena;
	switch_context(&p->ctx, &c->sched_ctx);
	cpu_self()->intena = intena;    /* maybe another hart now */
}

/* See sched.h. */
void sched_yield(void)
{
	struct proc *p = proc_current();

	if (p == NULL || !runq_waiting())
		return;
	spin_lock(&p->lock);
	p->state = P_RUNNABLE;
	runq_push_preempted(p);
	sched_switch();
	spin_unlock(&p->lock);
}

/* See sched.h. */
void sched_make_runnable(struct proc *p)
{
	spin_lock(&p->lock);
	p->state = P_RUNNABLE;
	runq_push(p);
	spin_unlock(&p->lock);
}

/* Sleep on chan; interruptible says whether a signal ends the sleep.
 * => lk held (a spinlock other than p->lock), or NULL. */
static int sched_sleep_common(void *chan, struct spinlock *lk,
			      bool interruptible)
{
	struct proc *p = proc_current();
	int err = 0;

	KASSERT(p != NULL, "sleep without a process");
	KASSERT(lk != &p->lock, "sleeping on the proc lock");
	spin_lock(&p->lock);
	if (interruptible && proc_signal_pending(p)) {
		spin_unlock(&p->lock);
		return -EINTR;
	}
	/* Become SLEEPING before lk is dropped: a waker that takes lk next
	 * is sure to see it (no lost wakeup). */
	p->chan = chan;
	p->sleep_intr = interruptible;
	__atomic_store_n(&p->state, P_SLEEPING, __ATOMIC_RELEASE);
	if (lk != NULL)
		spin_unlock(lk);
	sched_switch();
	p->chan = NULL;
	if (interruptible && proc_signal_pending(p))
		err = -EINTR;
	spin_unlock(&p->lock);
	if (lk != NULL)
		spin_lock(lk);
	return err;
}

/* See sched.h. */
int sched_sleep(void *chan, struct spinlock *lk)
{
	return sched_sleep_common(chan, lk, true);
}

/* See sched.h. */
void sched_sleep_noint(void *chan, struct spinlock *lk)
{
	(void)sched_sleep_common(chan, lk, false);
}

/* Make p runnable if it sleeps on chan. => p->lock held. */
static void sched_wake_locked(struct proc *p, void *chan)
{
	if (p->state == P_SLEEPING && p->chan == chan) {
		p->state = P_RUNNABLE;
		runq_push_woken(p);
	}
}

/* See sched.h. */
void sched_wakeup(void *chan)
{
	for (int i = 0; i < NPROC_MAX; i++) {
		struct proc *p = &proc_table[i];

		/* Only sleepers matter; one that is going to sleep on chan
		 * already reads SLEEPING here (see sched_sleep_common). */
		if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != P_SLEEPING)
			continue;
		spin_lock(&p->lock);
		sched_wake_locked(p, chan);
		spin_unlock(&p->lock);
	}
}

/* See sched.h. */
void sched_signal_wake(struct proc *p)
{
	KASSERT(spin_holding(&p->lock), "proc lock not held");
	if (p->state == P_SLEEPING && p->sleep_intr) {
		p->state = P_RUNNABLE;
		runq_push_woken(p);
	}
}

/* Wake the timed sleepers whose deadline has passed. Interrupt context. */
static void sched_timer_expire(void)
{
	uint64_t now = timer_ns();
	struct sched_timer *t;

	if (list_empty(&timerq))        /* a hint: read without the lock */
		return;
	spin_lock(&timerq_lock);
	while (!list_empty(&timerq)) {
		t = list_entry(timerq.next, struct sched_timer, link);
		if (t->deadline > now)
			break;
		list_remove(&t->link);
		t->fired = true;
		spin_lock(&t->proc->lock);
		sched_wake_locked(t->proc, t);
		spin_unlock(&t->proc->lock);
	}
	spin_unlock(&timerq_lock);
}

/* See sched.h. */
void sched_tick(void)
{
	struct proc *p = cpu_self()->proc;

	if (p != NULL)
		proc_work_set(p, PROC_WORK_RESCHED);
	sched_timer_expire();
	vm_pageout_tick();
}

/* See sched.h. */
uint64_t sched_ticks(void)
{
	return timer_ns() / SCHED_TICK_NS;
}

/* Insert t into timerq in deadline order. => timerq_lock held. */
static void sched_timer_insert(struct sched_timer *t)
{
	struct list_node *pos;

	list_for_each(pos, &timerq) {
		struct sched_timer *o;

		o = list_entry(pos, struct sched_timer, link);
		if (o->deadline > t->deadline)
			break;
	}
	list_insert_after(pos->prev, &t->link);
}

/* See sched.h. */
int sched_sleep_ns(uint64_t ns)
{
	struct sched_timer t;
	uint64_t now = timer_ns();
	int err = 0;

	if (ns == 0)
		return 0;
	t.deadline = (ns > UINT64_MAX - now) ? UINT64_MAX : now + ns;
	t.proc = proc_current();
	t.fired = false;
	spin_lock(&timerq_lock);
	sched_timer_insert(&t);
	while (!t.fired) {
		if (sched_sleep(&t, &timerq_lock) == -EINTR && !t.fired) {
			list_remove(&t.link);
			err = -EINTR;
			break;
		}
	}
	spin_unlock(&timerq_lock);
	return err;
}
