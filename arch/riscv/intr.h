/*
 * Interrupts: the PLIC, per-source handlers, and the hart's interrupt
 * enable bit.
 */
#ifndef ARCH_RISCV_INTR_H
#define ARCH_RISCV_INTR_H

#include "kernel/types.h"
#include "arch/riscv/csr.h"

typedef void (*intr_handler_t)(void *arg);

/* Route PLIC source irq to handler on every hart (priority 1). */
void intr_register(int irq, intr_handler_t handler, void *arg);
/* Called by the trap handler on a supervisor external interrupt. */
void intr_dispatch_external(void);
void plic_init(void);           /* boot hart, after the DTB */
void plic_init_hart(void);      /* every hart */

/*
 * The hart's global supervisor interrupt enable, sstatus.SIE (privileged
 * spec 4.1.1). Inline: every spinlock uses them through push_off/pop_off
 * (kernel/lock.c), and other code should use those rather than these.
 */
static inline void intr_on(void)
{
	csr_set(sstatus, SSTATUS_SIE);
}

static inline void intr_off(void)
{
	csr_clear(sstatus, SSTATUS_SIE);
}

static inline bool intr_get(void)
{
	return (csr_read(sstatus) & SSTATUS_SIE) != 0;
}

/* Turn interrupts off and say whether they were on, in one csrrc. */
static inline bool intr_save_off(void)
{
	uint64_t old;

	__asm__ volatile("csrrc %0, sstatus, %1"
			 : "=r"(old) : "rK"(SSTATUS_SIE) : "memory");
	return (old & SSTATUS_SIE) != 0;
}

#endif
