/*
 * The sampling profiler's buffers and its /proc file; see profile.h. The
 * samples are taken by the timer interrupt (arch/riscv/timer.c, trap.c).
 */
#include "kernel/lib/profile.h"
#include "kernel/errno.h"
#include "kernel/lib/bootargs.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/sbuf.h"
#include "kernel/lib/string.h"
#include "kernel/lock.h"
#include "kernel/proc/proc.h"
#include "kernel/vm/kmem.h"
#include "arch/riscv/cpu.h"

#define PROFILE_SAMPLES         8192    /* per hart */
#define PROFILE_READ_MAX        4096    /* samples one read takes out */
#define PROFILE_MIN_US          10

struct profile_sample {
	uint64_t pc[PROFILE_DEPTH];
	int32_t pid;
	uint8_t n;                      /* entries of pc[] */
	bool user;
	char comm[PROC_NAME_MAX];
};

struct profile_buf {
	struct profile_sample *s;       /* (p) PROFILE_SAMPLES of them */
	size_t n;                       /* (p) in use */
	uint64_t dropped;               /* (p) samples lost to a full buffer */
};

/* Locking: (c) set at boot; (p) profile_lock (taken in interrupts). */
static struct spinlock profile_lock = SPINLOCK_INIT("profile");
static uint64_t period_us;              /* (c) 0: off */
static int nbufs;                       /* (c) */
static struct profile_buf bufs[NCPU_MAX];

void profile_init(int ncpus)
{
	const char *arg = bootarg_get("profile");
	uint64_t us = 0;

	if (arg == NULL)
		return;
	for (; *arg >= '0' && *arg <= '9'; arg++)
		us = us * 10 + (uint64_t)(*arg - '0');
	if (us < PROFILE_MIN_US) {
		printk("profile: period %lu us too short, at least %d\n",
		       (unsigned long)us, PROFILE_MIN_US);
		return;
	}
	for (int i = 0; i < ncpus && i < NCPU_MAX; i++) {
		bufs[i].s = kmalloc(PROFILE_SAMPLES * sizeof(*bufs[i].s));
		if (bufs[i].s == NULL) {
			printk("profile: no memory for hart %d's samples\n", i);
			return;
		}
		nbufs = i + 1;
	}
	period_us = us;
	printk("profile: a sample every %lu us on %d harts\n",
	       (unsigned long)us, nbufs);
}

uint64_t profile_period_ns(void)
{
	return period_us * 1000;
}

void profile_record(int hart, pid_t pid, const char *comm, bool user,
		    const uint64_t *pcs, int n)
{
	struct profile_buf *b = &bufs[hart];

	if (hart < 0 || hart >= nbufs || n <= 0)
		return;
	spin_lock(&profile_lock);
	if (b->n == PROFILE_SAMPLES) {
		b->dropped++;
	} else {
		struct profile_sample *s = &b->s[b->n++];

		s->n = (uint8_t)MIN(n, PROFILE_DEPTH);
		memcpy(s->pc, pcs, s->n * sizeof(pcs[0]));
		s->pid = pid;
		s->user = user;
		strlcpy(s->comm, comm, sizeof(s->comm));
	}
	spin_unlock(&profile_lock);
}

/* Print hart h's samples [0, n) of copy. */
static void profile_print(struct sbuf *sb, int h,
			  const struct profile_sample *copy, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct profile_sample *s = &copy[i];

		sbuf_printf(sb, "%d %d %s %c", h, (int)s->pid,
			    s->comm[0] != '\0' ? s->comm : "-",
			    s->user ? 'u' : 'k');
		for (int j = 0; j < s->n; j++)
			sbuf_printf(sb, " %lx", (unsigned long)s->pc[j]);
		sbuf_printf(sb, "\n");
	}
}

int profile_display(struct sbuf *sb)
{
	struct profile_sample *copy;
	uint64_t total = 0, left = 0, dropped = 0;
	size_t n[NCPU_MAX] = { 0 }, at[NCPU_MAX] = { 0 }, used = 0;

	if (period_us == 0) {
		sbuf_printf(sb, "# profile off (boot with profile=<us>)\n");
		return sbuf_error(sb);
	}
	copy = kmalloc(PROFILE_READ_MAX * sizeof(*copy));
	if (copy == NULL)
		return -ENOMEM;
	/* Take the newest samples of each hart, an equal share of
	 * PROFILE_READ_MAX each: the rest wait for the next read. */
	spin_lock(&profile_lock);
	for (int h = 0; h < nbufs; h++) {
		struct profile_buf *b = &bufs[h];

		n[h] = MIN(b->n, PROFILE_READ_MAX / (size_t)nbufs);
		at[h] = used;
		b->n -= n[h];
		memcpy(&copy[at[h]], &b->s[b->n], n[h] * sizeof(*copy));
		used += n[h];
		total += n[h];
		left += b->n;
		dropped += b->dropped;
		b->dropped = 0;
	}
	spin_unlock(&profile_lock);
	sbuf_printf(sb, "# profile period_us %lu samples %lu left %lu "
		    "dropped %lu\n", (unsigned long)period_us,
		    (unsigned long)total, (unsigned long)left,
		    (unsigned long)dropped);
	for (int h = 0; h < nbufs; h++)
		profile_print(sb, h, &copy[at[h]], n[h]);
	kfree(copy);
	return sbuf_error(sb);
}
