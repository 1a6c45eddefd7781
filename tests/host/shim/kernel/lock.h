/*
 * Host shim for kernel/lock.h: the same names, no atomics or interrupts.
 * Host unit tests are single-threaded, so a lock only checks that it is not
 * taken twice or released unheld (a deadlock or a bug in the kernel).
 */
#ifndef KERNEL_LOCK_H
#define KERNEL_LOCK_H

#include <stdio.h>
#include <stdlib.h>
#include "kernel/types.h"

struct cpu;

struct spinlock {
	volatile uint32_t locked;
	const char *name;
	struct cpu *owner;
};

#define SPINLOCK_INIT(n) { 0, (n), NULL }

static inline void host_lock_fail(const char *what, const char *name)
{
	fprintf(stderr, "panic: %s: lock %s\n", what, name ? name : "?");
	fflush(stdout);
	abort();
}

static inline void spin_init(struct spinlock *lk, const char *name)
{
	lk->locked = 0;
	lk->name = name;
	lk->owner = NULL;
}

static inline void spin_lock(struct spinlock *lk)
{
	if (lk->locked)
		host_lock_fail("spin_lock: already held", lk->name);
	lk->locked = 1;
}

static inline void spin_unlock(struct spinlock *lk)
{
	if (!lk->locked)
		host_lock_fail("spin_unlock: not held", lk->name);
	lk->locked = 0;
}

static inline void spin_lock_nested(struct spinlock *lk)
{
	spin_lock(lk);
}

static inline void spin_unlock_nested(struct spinlock *lk)
{
	spin_unlock(lk);
}

static inline bool spin_holding(const struct spinlock *lk)
{
	return lk->locked != 0;
}

static inline bool spin_trylock(struct spinlock *lk)
{
	if (lk->locked)
		return false;
	lk->locked = 1;
	return true;
}

static inline void push_off(void) {}
static inline bool spin_any_held(void) { return false; }
static inline void pop_off(void) {}

struct mutex {
	struct spinlock lk;
	bool locked;
	int owner_pid;
	const char *name;
};

static inline void mutex_init(struct mutex *m, const char *name)
{
	spin_init(&m->lk, name);
	m->locked = false;
	m->owner_pid = 0;
	m->name = name;
}

static inline void mutex_lock(struct mutex *m)
{
	if (m->locked)
		host_lock_fail("mutex_lock: already held", m->name);
	m->locked = true;
}

static inline void mutex_unlock(struct mutex *m)
{
	if (!m->locked)
		host_lock_fail("mutex_unlock: not held", m->name);
	m->locked = false;
}

static inline bool mutex_holding(struct mutex *m)
{
	return m->locked;
}

static inline bool mutex_trylock(struct mutex *m)
{
	if (m->locked)
		return false;
	m->locked = true;
	return true;
}

#endif
