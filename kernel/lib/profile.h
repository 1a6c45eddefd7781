/*
 * The sampling profiler. Booted with `profile=N` on the kernel command line
 * (QEMU -append), every hart takes a sample each N microseconds of its
 * timer (under -icount shift=0 the timer counts instructions, so N us is
 * about N x 1000 instructions): the interrupted pc and, in the kernel, the
 * return addresses of the frame-pointer chain. Samples collect in a buffer
 * per hart; reading /proc/profile takes them out (at most 4096 a read,
 * the newest, an equal share from each hart; "left" says how many wait for the next read),
 * one line each:
 *
 *     hart pid comm u|k pc [caller ...]        (addresses in hex)
 *
 * after a header line "# profile period_us N samples M left L dropped D"
 * (dropped: lost to a full buffer since the last read).
 *
 * A sample is taken by the timer interrupt, so while a hart runs with
 * interrupts off (under a spinlock, in the trap path before interrupts
 * are enabled, in the scheduler) a sample waits and lands where they come
 * on again: intr_on, pop_off, spin_unlock. tools/profile.py charges such
 * samples to the function that turned interrupts on.
 * tools/profile.py symbolizes them (`make profile`).
 */
#ifndef KERNEL_LIB_PROFILE_H
#define KERNEL_LIB_PROFILE_H

#include "kernel/types.h"

struct sbuf;

#define PROFILE_DEPTH   16      /* pc and up to 15 callers a sample */

/* Read `profile=` and allocate each hart's buffer. Boot hart, after
 * kmem is up and before the timer starts. */
void profile_init(int ncpus);

/* Sample period in nanoseconds, or 0 when the profiler is off. */
uint64_t profile_period_ns(void);

/*
 * Record one sample on hart `hart`: pcs[0] the interrupted pc, pcs[1..n-1]
 * its callers (innermost first); user: the pc was in user mode; pid and
 * comm the running process (0 and "-" for none). Interrupt context, this
 * hart's timer interrupt; takes the profiler's spinlock. A full buffer
 * counts the sample as dropped.
 */
void profile_record(int hart, pid_t pid, const char *comm, bool user,
		    const uint64_t *pcs, int n);

/* The text of /proc/profile, moving up to 4096 samples out of the
 * buffers. Returns 0, or -ENOMEM (no memory for the copy: the samples
 * stay; for the text: those taken are lost). => no locks held. */
int profile_display(struct sbuf *sb);

#endif
