/*
 * Spinlocks (an amoswap with acquire/release ordering, interrupts off while
 * held) and mutexes (sleep locks built on a spinlock and sched_sleep).
 * Any kernel code may use spinlocks; mutexes only in process context.
 */
#include "kernel/lock.h"
#include "kernel/lib/printk.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/sched.h"
#include "arch/riscv/boot.h"
#include "arch/riscv/cpu.h"
#include "arch/riscv/intr.h"

/* See lock.h. The amoswap failed: if this hart is the owner, that is a
 * deadlock; otherwise wait, reading only (no bus-locking swaps while the
 * holder works), and swap again once lk looks free. Owner is cleared
 * before the release, so it names this hart only while this hart holds
 * lk. => interrupts off (spin_lock's push_off) */
void spin_lock_contended(struct spinlock *lk)
{
	if (lk->owner == cpu_self())
		panic("spin_lock: %s already held by this hart", lk->name);
	do {
		while (lk->locked != 0)
			if (panic_on_other_hart())
				cpu_halt();     /* the holder may have stopped */
	} while (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE) != 0);
}

void spin_unlock_unheld(const struct spinlock *lk)
{
	panic("spin_unlock: %s not held by this hart", lk->name);
}

void pop_off_unbalanced(void)
{
	panic(intr_get() ? "pop_off: interrupts on" : "pop_off: not pushed");
}

/* See lock.h: spin_lock_nested found interrupts on (a bug), or lk taken:
 * by this hart (a bug) or by another (spin until it is free, then take
 * it). => interrupts off */
void spin_lock_nested_slow(struct spinlock *lk)
{
	if (intr_get())
		panic("spin_lock_nested: %s: interrupts on", lk->name);
	while (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE) != 0) {
		if (lk->owner == cpu_self())
			panic("spin_lock_nested: %s already held by this hart",
			      lk->name);
		while (lk->locked != 0)
			if (panic_on_other_hart())
				cpu_halt();
	}
}

bool spin_trylock(struct spinlock *lk)
{
	push_off();
	if (spin_holding(lk))
		panic("spin_trylock: %s already held by this hart", lk->name);
	if (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE) != 0) {
		pop_off();
		return false;
	}
	lk->owner = cpu_self();
	return true;
}

/* True if this hart holds lk. => interrupts off (else the answer may be
 * stale by the time it is used). */
bool spin_holding(const struct spinlock *lk)
{
	return lk->locked != 0 && lk->owner == cpu_self();
}

bool spin_any_held(void)
{
	bool held;

	push_off();
	held = cpu_self()->noff > 1;    /* ours is the one */
	pop_off();
	return held;
}


void mutex_init(struct mutex *m, const char *name)
{
	spin_init(&m->lk, name);
	m->locked = 0;
	m->owner_pid = 0;
	m->waiters = 0;
	m->name = name;
}

/* The pid that owns a mutex taken by the current context (0 at boot, before
 * any process runs). */
static int mutex_owner_id(void)
{
	struct proc *p = proc_current();

	return p != NULL ? p->pid : 0;
}

/* Swap m->locked from 0 to 1 (acquire, and a full fence: see struct
 * mutex). True if taken. */
static bool mutex_try_swap(struct mutex *m)
{
	uint32_t free = 0;

	return __atomic_compare_exchange_n(&m->locked, &free, 1, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/* mutex_lock when the swap failed: count ourselves a waiter, then swap
 * again and sleep until it succeeds. => m->lk not held */
static void mutex_lock_contended(struct mutex *m)
{
	spin_lock(&m->lk);
	__atomic_fetch_add(&m->waiters, 1, __ATOMIC_SEQ_CST);
	while (!mutex_try_swap(m)) {
		if (proc_current() == NULL)
			panic("mutex_lock: %s contended outside a process", m->name);
		if (__atomic_load_n(&m->owner_pid, __ATOMIC_RELAXED) == mutex_owner_id())
			panic("mutex_lock: %s already held by pid %d", m->name,
			      m->owner_pid);
		sched_sleep_noint(m, &m->lk);
	}
	__atomic_fetch_sub(&m->waiters, 1, __ATOMIC_RELAXED);
	spin_unlock(&m->lk);
}

/*
 * Take m, sleeping (not interruptible by signals) while another process
 * holds it. => process context (or boot, uncontended), no spinlocks held.
 */
void mutex_lock(struct mutex *m)
{
	if (!mutex_try_swap(m))
		mutex_lock_contended(m);
	__atomic_store_n(&m->owner_pid, mutex_owner_id(), __ATOMIC_RELAXED);
}

bool mutex_trylock(struct mutex *m)
{
	if (!mutex_try_swap(m))
		return false;
	__atomic_store_n(&m->owner_pid, mutex_owner_id(), __ATOMIC_RELAXED);
	return true;
}

/* Release m and wake its waiters, if any: sched_wakeup looks at every
 * process, and most releases have no one to wake (the fault path takes and
 * releases the mspace lock once per fault). => m held by the caller. */
void mutex_unlock(struct mutex *m)
{
	if (!__atomic_load_n(&m->locked, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&m->owner_pid, __ATOMIC_RELAXED) != mutex_owner_id())
		panic("mutex_unlock: %s not held by pid %d", m->name,
		      mutex_owner_id());
	__atomic_store_n(&m->owner_pid, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&m->locked, 0, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);        /* the store before the read */
	if (__atomic_load_n(&m->waiters, __ATOMIC_RELAXED) == 0)
		return;
	spin_lock(&m->lk);
	sched_wakeup(m);
	spin_unlock(&m->lk);
}

/* Only the owner sets locked and owner_pid to its own pid, and clears
 * them, so the owner reads its own pid here with no lock and any other
 * caller reads some other value: an assertion's answer needs no lock. */
bool mutex_holding(struct mutex *m)
{
	return __atomic_load_n(&m->locked, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&m->owner_pid, __ATOMIC_RELAXED) == mutex_owner_id();
}

