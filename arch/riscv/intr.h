/*
 * Interrupts: the PLIC, per-source handlers, and the hart's interrupt
 * enable bit.
 */
#ifndef ARCH_RISCV_INTR_H
#define ARCH_RISCV_INTR_H

#include "kernel/types.h"

typedef void (*intr_handler_t)(void *arg);

/* Route PLIC source irq to handler on every hart (priority 1). */
void intr_register(int irq, intr_handler_t handler, void *arg);
/* Called by the trap handler on a supervisor external interrupt. */
void intr_dispatch_external(void);
void plic_init(void);           /* boot hart, after the DTB */
void plic_init_hart(void);      /* every hart */

void intr_on(void);
void intr_off(void);
bool intr_get(void);

#endif
