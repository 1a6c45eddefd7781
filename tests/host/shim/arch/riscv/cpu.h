/*
 * Host shim for arch/riscv/cpu.h: the kernel's struct cpu, but cpu_self()
 * is cpus[0] instead of a read of tp (the host test of the pmap defines
 * cpus and ncpu).
 */
#ifndef HOST_SHIM_ARCH_RISCV_CPU_H
#define HOST_SHIM_ARCH_RISCV_CPU_H

#define cpu_self host_shim_unused_cpu_self
#include "../../../../../arch/riscv/cpu.h"
#undef cpu_self

/* Weak: a test that runs no per-hart code (page.c's page caches stay off
 * on the host) need not define cpus; the pmap's test does. */
extern struct cpu cpus[NCPU_MAX] __attribute__((weak));

static inline struct cpu *cpu_self(void)
{
	return &cpus[0];
}

#endif
