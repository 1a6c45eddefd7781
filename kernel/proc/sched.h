/*
 * The scheduler: a round-robin run queue shared by all harts, sleep and
 * wakeup on channels.
 */
#ifndef KERNEL_PROC_SCHED_H
#define KERNEL_PROC_SCHED_H

#include "kernel/types.h"

struct spinlock;
struct proc;

/* Each hart's idle loop: pick a runnable process and switch to it; wfi when
 * there is none. Never returns. */
void sched_run(void) __noreturn;
/* Give up the hart (timer tick or sched_yield). */
void sched_yield(void);
/* Atomically release lk and sleep on chan; reacquire lk before returning.
 * => lk held (a spinlock). Returns 0, or -EINTR if the process was killed
 * or signalled (the caller should back out). */
int sched_sleep(void *chan, struct spinlock *lk);
/* Wake every process sleeping on chan. Any context, no locks needed. */
void sched_wakeup(void *chan);
/* Make p runnable (used by fork). */
void sched_make_runnable(struct proc *p);
/* Called on every timer tick on this hart: may preempt. */
void sched_tick(void);
/* Ticks since boot (the boot hart's count), TIMER_HZ per second. */
uint64_t sched_ticks(void);
/* Sleep for at least ns nanoseconds; -EINTR if a signal came. */
int sched_sleep_ns(uint64_t ns);

#endif
