/*
 * The hart's global supervisor interrupt enable, sstatus.SIE (privileged
 * spec 4.1.1). Spinlocks nest these through push_off/pop_off (kernel/lock.c);
 * other code should use those rather than calling intr_on directly.
 */
#include "arch/riscv/intr.h"
#include "arch/riscv/csr.h"

void intr_on(void)
{
	csr_set(sstatus, SSTATUS_SIE);
}

void intr_off(void)
{
	csr_clear(sstatus, SSTATUS_SIE);
}

bool intr_get(void)
{
	return (csr_read(sstatus) & SSTATUS_SIE) != 0;
}
