/* The Sstc timer: stimecmp per hart, timebase from the DTB. */
#ifndef ARCH_RISCV_TIMER_H
#define ARCH_RISCV_TIMER_H

#include "kernel/types.h"

#define TIMER_HZ 100            /* scheduler ticks per second */

void timer_init(void);          /* boot hart: read timebase-frequency */
void timer_init_hart(void);     /* every hart: arm the first tick */
/* Trap handler: a profile sample through sample(arg) if due, then the
 * tick if due (rearm; returns true: the caller calls sched_tick). */
bool timer_interrupt(void (*sample)(void *arg), void *arg);
uint64_t timer_now(void);       /* ticks of the `time` CSR */
uint64_t timer_freq(void);      /* Hz of the `time` CSR */
uint64_t timer_ns(void);        /* nanoseconds since boot */

#endif
