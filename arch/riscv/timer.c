/*
 * The supervisor timer: TIMER_HZ ticks a second on every hart through the
 * Sstc stimecmp CSR (or SBI TIME where a hart lacks Sstc), and the `time`
 * CSR as the clock. The trap handler calls timer_interrupt; anyone may read
 * the clock.
 */
#include "arch/riscv/timer.h"
#include "arch/riscv/boot.h"
#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/sbi.h"
#include "kernel/dev/dev.h"
#include "kernel/dtb.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/profile.h"
#include "kernel/lib/string.h"

#define TIMER_DEFAULT_HZ        10000000UL      /* QEMU virt timebase */
#define NSEC_PER_SEC            1000000000UL
#define TIMER_SSTC_EXT          "sstc"          /* in riscv,isa */

/*
 * Locking: (c) set by timer_init on the boot hart before other harts start;
 * (h) this hart only, interrupts off.
 */
static struct {
	uint64_t freq;                  /* (c) Hz of the time CSR */
	uint64_t interval;              /* (c) time units per tick */
	uint64_t boot;                  /* (c) time at timer_init */
	bool sstc;                      /* (c) stimecmp is writable */
	uint64_t next[NCPU_MAX];        /* (h) deadline of the next tick */
	uint64_t sample_interval;       /* (c) time units per profile sample */
	uint64_t next_sample[NCPU_MAX]; /* (h) deadline of the next sample */
} timer;

uint64_t timer_now(void)
{
	return csr_read(time);
}

uint64_t timer_freq(void)
{
	return timer.freq;
}

/* Nanoseconds since timer_init, without overflowing the product. */
uint64_t timer_ns(void)
{
	uint64_t t, sec, rem;

	if (timer.freq == 0)
		return 0;
	t = timer_now() - timer.boot;
	sec = t / timer.freq;
	rem = t % timer.freq;
	return sec * NSEC_PER_SEC + rem * NSEC_PER_SEC / timer.freq;
}

/* True if the ISA string lists the extension ext ("rv64imac_zicsr_sstc"). */
static bool timer_isa_has(const char *isa, const char *ext)
{
	size_t n = strlen(ext);
	const char *p = isa;

	while ((p = strchr(p, '_')) != NULL) {
		p++;
		if (strncmp(p, ext, n) == 0 && (p[n] == '_' || p[n] == '\0'))
			return true;
	}
	return false;
}

/* The DTB node of the boot hart (cpus[0]), or -1. */
static int timer_boot_cpu_node(int cpus_node)
{
	int node;
	uint64_t hartid, size;

	for (node = dtb_first_child(cpus_node); node >= 0 && cpus_node >= 0;
	     node = dtb_next_sibling(node))
		if (dtb_reg(node, 0, &hartid, &size) && hartid == cpus[0].hartid)
			return node;
	return -1;
}

/* Timebase frequency from /cpus (or the boot hart's node), and whether
 * the boot hart has Sstc. */
static void timer_read_dtb(void)
{
	int cpus_node = dtb_find_path("/cpus");
	int cpu = timer_boot_cpu_node(cpus_node);
	const char *isa = dtb_prop(cpu, "riscv,isa", NULL);

	timer.freq = dtb_prop_u32(cpus_node, "timebase-frequency", 0);
	if (timer.freq == 0)
		timer.freq = dtb_prop_u32(cpu, "timebase-frequency", 0);
	if (timer.freq == 0) {
		printk("timer: no timebase-frequency, assuming %lu Hz\n",
		       TIMER_DEFAULT_HZ);
		timer.freq = TIMER_DEFAULT_HZ;
	}
	timer.sstc = isa == NULL || timer_isa_has(isa, TIMER_SSTC_EXT);
}

/* Program this hart's next timer interrupt at time value `when` (the
 * next tick), or at its next profile sample if that comes first. */
static void timer_arm(uint64_t when)
{
	int i = cpu_self()->index;

	timer.next[i] = when;
	if (timer.sample_interval != 0 && timer.next_sample[i] < when)
		when = timer.next_sample[i];
	if (timer.sstc)
		csr_write(CSR_STIMECMP, when);
	else
		sbi_set_timer(when);
}

/*
 * Read the timebase from the DTB, register DEV_TIMER and start ticking on
 * the boot hart. => boot hart, after dtb_init and dev_init.
 */
void timer_init(void)
{
	timer_read_dtb();
	timer.interval = timer.freq / TIMER_HZ;
	timer.sample_interval = profile_period_ns() * timer.freq / NSEC_PER_SEC;
	timer.boot = timer_now();
	dev_register(DEV_TIMER, "timer", 0, 0, 0);
	timer_init_hart();
}

/* Arm the first tick on this hart and enable sie.STIE. */
void timer_init_hart(void)
{
	timer.next_sample[cpu_self()->index] = timer_now() + timer.sample_interval;
	timer_arm(timer_now() + timer.interval);
	csr_set(sie, SIE_STIE);
}

/*
 * A supervisor timer interrupt: a profile sample if one is due (sample(arg)
 * takes it), then, if the tick is due, count it and arm the next one (a
 * fixed period from the last deadline, so ticks do not drift). Returns
 * true for a tick (the caller then lets the scheduler preempt), false if
 * only a sample was due. If another hart panicked, stop here instead.
 * => interrupts off (trap context).
 */
bool timer_interrupt(void (*sample)(void *arg), void *arg)
{
	struct cpu *c = cpu_self();
	uint64_t now = timer_now();
	uint64_t next = timer.next[c->index];

	if (panic_on_other_hart())
		cpu_halt();
	if (timer.sample_interval != 0 && now >= timer.next_sample[c->index]) {
		timer.next_sample[c->index] = now + timer.sample_interval;
		sample(arg);
	}
	if (now < next) {               /* only a sample was due */
		timer_arm(next);
		return false;
	}
	next += timer.interval;
	if (next <= now)
		next = now + timer.interval;
	timer_arm(next);
	c->ticks++;
	return true;
}
