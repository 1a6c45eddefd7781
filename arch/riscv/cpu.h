/*
 * Per-hart state. In the kernel, tp holds this hart's struct cpu.
 */
#ifndef ARCH_RISCV_CPU_H
#define ARCH_RISCV_CPU_H

#include "kernel/types.h"

#define NCPU_MAX 8

/* Callee-saved registers for a kernel context switch (arch/riscv/switch.S). */
struct context {
	uint64_t ra, sp;
	uint64_t s[12];
};

struct proc;
struct pmap;

/*
 * Locking: (h) only this hart touches it, with interrupts off.
 * (c) set by the boot hart before any other hart starts.
 * (a) atomic: stored once with release by the hart itself, read with acquire.
 */
struct cpu {
	uint64_t hartid;        /* (c) */
	int index;              /* (c) 0..ncpu-1 */
	struct proc *proc;      /* (h) running process, or NULL */
	struct context sched_ctx; /* (h) the scheduler loop's context */
	int noff;               /* (h) push_off depth */
	bool intena;            /* (h) interrupts were on before push_off */
	struct pmap *pmap;      /* (h) pmap loaded in satp */
	uint64_t ticks;         /* (h) timer ticks on this hart */
	uint64_t icache_gen;    /* (h) pmap's icache generation at its last fence.i */
	bool started;           /* (a) acknowledged its start (cpu.c) */
};

extern struct cpu cpus[NCPU_MAX];
extern int ncpu;                /* harts found in the DTB (and started) */

static inline struct cpu *cpu_self(void)
{
	struct cpu *c;
	__asm__ volatile("mv %0, tp" : "=r"(c));
	return c;
}

#endif
