/*
 * Locks. A spinlock disables interrupts on this hart while held and must not
 * be held across a sleep. A mutex (sleep lock) may be held across a sleep and
 * must not be taken from interrupt context. Every lock joins the lock order
 * in kernel/vm/vm.h.
 */
#ifndef KERNEL_LOCK_H
#define KERNEL_LOCK_H

#include "kernel/types.h"

struct cpu;

struct spinlock {
	volatile uint32_t locked;
	const char *name;       /* for panic messages */
	struct cpu *owner;      /* hart holding it, for spin_holding */
};

#define SPINLOCK_INIT(n) { 0, (n), NULL }

void spin_init(struct spinlock *lk, const char *name);
void spin_lock(struct spinlock *lk);
void spin_unlock(struct spinlock *lk);
bool spin_holding(const struct spinlock *lk);
/* spin_lock and spin_unlock for a caller whose interrupts are already
 * off because it holds another spinlock: no push_off/pop_off pair, so a
 * lock taken for each of many items (pmap's pv locks under pmap->lock)
 * costs a few instructions. => interrupts off, kept off until after
 * spin_unlock_nested */
void spin_lock_nested(struct spinlock *lk);
void spin_unlock_nested(struct spinlock *lk);
/* Take lk if it is free, without spinning; true if taken (then as
 * spin_lock). For code that holds a lock ranking below lk (the page
 * daemon holds the page-queue lock and tries an owner's lock). */
bool spin_trylock(struct spinlock *lk);

/* Interrupt-disable nesting used by spinlocks: push_off disables, the
 * matching pop_off restores the state at the outermost push_off. */
void push_off(void);
void pop_off(void);
/* True if this hart holds any spinlock (or has interrupts pushed off):
 * code that may take process locks (sched_wakeup) checks it first. */
bool spin_any_held(void);

struct mutex {
	struct spinlock lk;     /* guards locked, owner and waiters */
	bool locked;
	int owner_pid;          /* also read without lk: mutex_holding */
	int waiters;            /* sleeping in mutex_lock: unlock wakes them */
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
