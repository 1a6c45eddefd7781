/*
 * The scheduler: a round-robin run queue shared by all harts, sleep and
 * wakeup on channels.
 */
#ifndef KERNEL_PROC_SCHED_H
#define KERNEL_PROC_SCHED_H

#include "kernel/types.h"
#include "arch/riscv/timer.h"

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
/* Called on every timer tick on this hart (interrupt context): the running
 * process gets PROC_WORK_RESCHED, so it yields at its return to user if
 * another process waits; timed sleepers whose deadline passed wake. */
void sched_tick(void);
/* Ticks since boot (the boot hart's count), TIMER_HZ per second. */
uint64_t sched_ticks(void);
/* Sleep for at least ns nanoseconds; -EINTR if a signal came. */
int sched_sleep_ns(uint64_t ns);

/* Like sched_sleep, but signals do not end the sleep: for waits that must
 * finish (a mutex, a disk request in flight). => lk held (a spinlock). */
void sched_sleep_noint(void *chan, struct spinlock *lk);
/* End p's sleep if it is interruptible (a signal arrived).
 * => p->lock held. */
void sched_signal_wake(struct proc *p);
/* Switch from the current process (state already changed from RUNNING)
 * to this hart's scheduler. => p->lock held and no other spinlock. */
void sched_switch(void);
/* Nanoseconds per scheduler tick. */
#define SCHED_TICK_NS (1000000000UL / TIMER_HZ)

#endif
