/*
 * The Goldfish RTC (QEMU virt, DTB compatible "google,goldfish-rtc"): a
 * 64-bit count of nanoseconds since the Unix epoch in two 32-bit registers.
 * Read once at boot; afterwards the time of day is that reading plus the
 * `time` CSR ticks since, so no MMIO happens after boot and any hart may
 * ask.
 */
#include "kernel/dev/rtc.h"
#include "kernel/dev/dev.h"
#include "kernel/dtb.h"
#include "kernel/lib/printk.h"
#include "kernel/vm/kva.h"
#include "arch/riscv/timer.h"
#include "arch/riscv/vmparam.h"

/* Registers (QEMU hw/rtc/goldfish_rtc.c, Android goldfish RTC spec). */
#define GOLDFISH_RTC_TIME_LOW   0x00    /* reading it latches TIME_HIGH */
#define GOLDFISH_RTC_TIME_HIGH  0x04

#define RTC_NSEC_PER_SEC 1000000000UL

/* Written once by rtc_init on the boot hart, before other harts start. */
static uint64_t rtc_epoch_ns;   /* RTC reading, ns since the epoch */
static uint64_t rtc_epoch_tick; /* `time` CSR at that reading */

static uint32_t rtc_read32(vaddr_t regs, uint32_t off)
{
	return *(volatile uint32_t *)(regs + off);
}

/* The 64-bit time: TIME_LOW first, which latches the high half. */
static uint64_t rtc_read_ns(vaddr_t regs)
{
	uint64_t lo = rtc_read32(regs, GOLDFISH_RTC_TIME_LOW);
	uint64_t hi = rtc_read32(regs, GOLDFISH_RTC_TIME_HIGH);

	return hi << 32 | lo;
}

/* See rtc.h. */
void rtc_init(void)
{
	int node = dtb_find_compatible(-1, "google,goldfish-rtc");
	uint64_t pa, size, now, secs;
	vaddr_t va;

	if (node < 0 || !dtb_status_okay(node) || !dtb_reg(node, 0, &pa, &size)) {
		printk("rtc: no goldfish RTC, time of day starts at 0\n");
		return;
	}
	va = kva_map_mmio(PAGE_ROUNDDOWN(pa),
			  PAGE_ROUNDUP(pa + size) - PAGE_ROUNDDOWN(pa));
	if (va == 0) {
		printk("rtc: cannot map the RTC, time of day starts at 0\n");
		return;
	}
	now = rtc_read_ns(va + (pa & PAGE_MASK));
	rtc_epoch_tick = timer_now();
	rtc_epoch_ns = now;
	secs = now / RTC_NSEC_PER_SEC;
	printk("rtc: goldfish at 0x%lx, %lu s since the epoch\n",
	       (unsigned long)pa, (unsigned long)secs);
	dev_register(DEV_TIMER, "goldfish-rtc", pa, size,
		     (int)dtb_prop_u32(node, "interrupts", 0));
}

/* See rtc.h. The tick count splits into seconds and a remainder so the
 * product never overflows. */
uint64_t rtc_realtime_ns(void)
{
	uint64_t freq = timer_freq(), t;

	if (freq == 0)
		return rtc_epoch_ns;
	t = timer_now() - rtc_epoch_tick;
	return rtc_epoch_ns + t / freq * RTC_NSEC_PER_SEC +
	       t % freq * RTC_NSEC_PER_SEC / freq;
}
