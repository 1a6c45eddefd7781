/*
 * Boot: the static boot page table and per-hart boot stacks of entry.S, the
 * C entry points it calls, hart discovery and start, and the linker-script
 * symbols. Only main.c, cpu.c and arch code that needs the symbols include it.
 */
#ifndef ARCH_RISCV_BOOT_H
#define ARCH_RISCV_BOOT_H

/* Boot stack of each hart: the scheduler loop keeps running on it. */
#define BOOT_STACK_SIZE         16384

/* Root-table indices of the boot page table (Sv39 gigapages, 1 GiB each). */
#define BOOT_PT_IDENT_FIRST     2       /* identity map from PA 0x80000000 */
#define BOOT_PT_IDENT_COUNT     4       /* ... for 4 GiB */
#define BOOT_PT_DMAP_FIRST      256     /* DIRECT_MAP_BASE */
#define BOOT_PT_DMAP_COUNT      128     /* PA 0 .. 128 GiB: DIRECT_MAP_SIZE */
#define BOOT_PT_KERNEL          510     /* KERNEL_BASE -> KERNEL_PHYS */

/* How a secondary hart entered, passed to main_secondary. */
#define BOOT_ENTRY_NORMAL       0       /* _start_secondary with a1 = index */
#define BOOT_ENTRY_STALE_START  1       /* sent to _start: stale start_addr */
#define BOOT_ENTRY_STALE_OPAQUE 2       /* _start_secondary, a1 != index */

#ifndef __ASSEMBLY__
#include "kernel/types.h"

struct cpu;

/* Linker-script symbols (arch/riscv/kernel.ld): high virtual addresses,
 * page aligned between sections. */
extern char _kernel_start[], _kernel_end[];
extern char _text_start[], _text_end[];
extern char _rodata_start[], _rodata_end[];
extern char _data_start[], _data_end[];
extern char _bss_start[], _bss_end[];

/* entry.S: the first instruction of the boot hart and of the others. */
extern char _start[], _start_secondary[];
/* The boot page table (a root of 512 PTEs), live until pmap_bootstrap. */
extern uint64_t boot_pagetable[];

/* Called by entry.S on the boot hart with a0 = hart id, a1 = DTB address. */
void main(uint64_t hartid, paddr_t dtb_pa) __noreturn;
/* Called by entry.S on every other hart with its cpus[] index (found from
 * its hart id) and how it entered (BOOT_ENTRY_*). */
void main_secondary(int cpu, int entry) __noreturn;
/* The trap vector of entry.S, used until the trap code installs its own:
 * reports the trap and panics. */
void boot_trap(uint64_t scause, uint64_t sepc, uint64_t stval) __noreturn;

/* Fill cpus[] from the DTB's /cpus (status "okay"), boot hart first as
 * index 0; sets ncpu (at most NCPU_MAX). Boot hart, after dtb_init. */
void cpu_discover(uint64_t boot_hartid);
/* Start every other hart of cpus[] at _start_secondary through SBI HSM,
 * one at a time, each acknowledged (cpu_mark_started) before the next. */
void cpu_start_others(void);
/* A secondary hart, in main_secondary once it runs on the kernel page table
 * with its trap vector, timer and PLIC set up: acknowledge its start. */
void cpu_mark_started(struct cpu *c);
/* Stop this hart for good: interrupts off, timer off, wfi forever. */
void cpu_halt(void) __noreturn;
#endif

#endif
