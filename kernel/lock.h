/*
 * Locks. A spinlock disables interrupts on this hart while held and must not
 * be held across a sleep. A mutex (sleep lock) may be held across a sleep and
 * must not be taken from interrupt context. Every lock joins the lock order
 * in kernel/vm/vm.h.
 */
#ifndef KERNEL_LOCK_H
#define KERNEL_LOCK_H

#include "kernel/types.h"
#include "arch/riscv/cpu.h"
#include "arch/riscv/intr.h"

struct spinlock {
	volatile uint32_t locked;
	const char *name;       /* for panic messages */
	struct cpu *owner;      /* hart holding it, for spin_holding */
};

#define SPINLOCK_INIT(n) { 0, (n), NULL }

/* Make lk a free lock named name (which must outlive it). Inline: every
 * new anon (each zero-fill and copy-on-write fault) has a lock to set up. */
static inline void spin_init(struct spinlock *lk, const char *name)
{
	lk->locked = 0;
	lk->name = name;
	lk->owner = NULL;
}
bool spin_holding(const struct spinlock *lk);
/* spin_lock and spin_unlock for a caller whose interrupts are already
 * off because it holds another spinlock: no push_off/pop_off pair, so a
 * lock taken for each of many items (pmap's pv locks under pmap->lock)
 * costs a few instructions. => interrupts off, kept off until after
 * spin_unlock_nested */
static inline void spin_lock_nested(struct spinlock *lk);
static inline void spin_unlock_nested(struct spinlock *lk);
/* Take lk if it is free, without spinning; true if taken (then as
 * spin_lock). For code that holds a lock ranking below lk (the page
 * daemon holds the page-queue lock and tries an owner's lock). */
bool spin_trylock(struct spinlock *lk);

/* The slow paths of the inline functions below, in lock.c: lk is held
 * by another hart (spin until it is free) or by this one (panic); a
 * release of a lock this hart does not hold, or a pop_off with
 * interrupts on or nothing pushed (panic). */
void spin_lock_contended(struct spinlock *lk);
void spin_lock_nested_slow(struct spinlock *lk);
void spin_unlock_unheld(const struct spinlock *lk) __noreturn;
void pop_off_unbalanced(void) __noreturn;

/*
 * The lock fast paths are inline: every fault takes about ten spinlocks,
 * and a call with its frame cost as much as the lock itself. What stays
 * out of line is what an uncontended, correct caller never runs.
 */

/* Interrupt-disable nesting used by spinlocks: push_off disables, the
 * matching pop_off restores the state at the outermost push_off
 * (sstatus.SIE, privileged spec 4.1.1). */
static inline void push_off(void)
{
	bool was_on = intr_save_off();
	struct cpu *c = cpu_self();

	if (c->noff == 0)
		c->intena = was_on;
	c->noff++;
}

/* Undo one push_off. => interrupts off, push_off depth > 0 */
static inline void pop_off(void)
{
	struct cpu *c = cpu_self();

	if (intr_get() || c->noff < 1)
		pop_off_unbalanced();
	if (--c->noff == 0 && c->intena)
		intr_on();
}

/*
 * Take lk, spinning until it is free. Interrupts stay off on this hart
 * until the matching spin_unlock. Panics if this hart already holds lk
 * (found on the slow path: the amoswap fails, and owner is this hart).
 * The amoswap has acquire ordering (RISC-V unprivileged spec, A
 * extension, "aq" bit).
 */
static inline void spin_lock(struct spinlock *lk)
{
	push_off();
	if (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE) != 0)
		spin_lock_contended(lk);
	lk->owner = cpu_self();
}

/* Release lk with release ordering (a fence rw,w before the store).
 * => lk held by this hart */
static inline void spin_unlock(struct spinlock *lk)
{
	if (lk->locked == 0 || lk->owner != cpu_self())
		spin_unlock_unheld(lk);
	lk->owner = NULL;
	__atomic_store_n(&lk->locked, 0, __ATOMIC_RELEASE);
	pop_off();
}
/* See above: spin_lock without push_off. Interrupts on, the lock held by
 * another hart, or held by this one (a panic): spin_lock_nested_slow. */
static inline void spin_lock_nested(struct spinlock *lk)
{
	if (intr_get() || __atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE) != 0)
		spin_lock_nested_slow(lk);
	lk->owner = cpu_self();
}

/* See above: spin_unlock without pop_off. => lk held by this hart */
static inline void spin_unlock_nested(struct spinlock *lk)
{
	if (lk->locked == 0 || lk->owner != cpu_self())
		spin_unlock_unheld(lk);
	lk->owner = NULL;
	__atomic_store_n(&lk->locked, 0, __ATOMIC_RELEASE);
}

/* True if this hart holds any spinlock (or has interrupts pushed off):
 * code that may take process locks (sched_wakeup) checks it first. */
bool spin_any_held(void);

/*
 * A mutex is taken by one compare-and-swap of locked from 0 to 1 when it
 * is free, and released by a store of 0, with no other lock. A caller
 * that finds it taken counts itself in waiters and sleeps under lk; the
 * release, after its store, reads waiters (a full fence between) and
 * takes lk to wake them only if there are any. Either the release sees
 * the waiter, or the waiter's swap, made after it counted itself, sees
 * the release: no wakeup is lost.
 */
struct mutex {
	struct spinlock lk;     /* serializes the sleep and the wakeup */
	uint32_t locked;        /* (atomic) 1 while held */
	int owner_pid;          /* (atomic) the holder's; read by mutex_holding */
	uint32_t waiters;       /* (atomic) callers asleep in mutex_lock, or about to be */
	const char *name;
};

void mutex_init(struct mutex *m, const char *name);
void mutex_lock(struct mutex *m);       /* may sleep */
void mutex_unlock(struct mutex *m);
bool mutex_holding(struct mutex *m);
/* Take m if no one holds it, never sleeping; true if taken. May be called
 * with spinlocks held (the page daemon, out of lock order). */
bool mutex_trylock(struct mutex *m);

#endif
