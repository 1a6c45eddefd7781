/*
 * Harts: the cpus[] array, the boot stacks entry.S runs on, discovery of the
 * harts in the DTB and their start through SBI HSM, and halting a hart.
 * Called from main() on the boot hart; cpu_halt from panic on any hart.
 */
#include "arch/riscv/boot.h"
#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/intr.h"
#include "arch/riscv/sbi.h"
#include "arch/riscv/timer.h"
#include "arch/riscv/vmparam.h"
#include "kernel/dtb.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"

struct cpu cpus[NCPU_MAX];
int ncpu;

/* entry.S computes tp = cpus + index * cpu_struct_size. */
const uint64_t cpu_struct_size = sizeof(struct cpu);

/* One boot stack per hart; sp starts at the top of boot_stacks[index]. */
uint8_t boot_stacks[NCPU_MAX][BOOT_STACK_SIZE] __aligned(PAGE_SIZE);

/* entry.S finds a secondary's index by comparing the first field. */
_Static_assert(__builtin_offsetof(struct cpu, hartid) == 0,
	       "entry.S reads cpus[i].hartid at offset 0");
/* How long the boot hart waits for one secondary's acknowledgement. */
#define CPU_START_WAIT_SECONDS  10

_Static_assert(BOOT_STACK_SIZE == KERNEL_STACK_SIZE,
	       "entry.S boot stacks must match KERNEL_STACK_SIZE");
/* Sv39 root index of a virtual address: bits 38..30. */
#define ROOT_INDEX(va)  (((va) / GIGAPAGE_SIZE) % (PAGE_SIZE / sizeof(uint64_t)))
_Static_assert(BOOT_PT_DMAP_FIRST == ROOT_INDEX(DIRECT_MAP_BASE),
	       "boot page table direct-map index");
_Static_assert(BOOT_PT_DMAP_COUNT * GIGAPAGE_SIZE == DIRECT_MAP_SIZE,
	       "the boot page table maps the whole direct map");
_Static_assert(BOOT_PT_DMAP_FIRST + BOOT_PT_DMAP_COUNT <=
	       ROOT_INDEX(KVA_ARENA_BASE), "boot direct map below the arena");
_Static_assert(BOOT_PT_KERNEL == ROOT_INDEX(KERNEL_BASE),
	       "boot page table kernel index");
_Static_assert(BOOT_PT_IDENT_FIRST == ROOT_INDEX(KERNEL_PHYS),
	       "boot page table identity index");

/* Add hart `hartid` as the next cpus[] entry; false if cpus[] is full. */
static bool cpu_add(uint64_t hartid)
{
	struct cpu *c;

	if (ncpu >= NCPU_MAX)
		return false;
	c = &cpus[ncpu];
	c->hartid = hartid;
	c->index = ncpu;
	ncpu++;
	return true;
}

/*
 * Fill cpus[]: the boot hart is index 0, then every other /cpus/cpu@N whose
 * status is "okay", in DTB order. Harts beyond NCPU_MAX stay stopped.
 * => boot hart, after dtb_init, before any other hart runs.
 */
void cpu_discover(uint64_t boot_hartid)
{
	int cpus_node = dtb_find_path("/cpus");
	int node;
	uint64_t hartid, size;
	int skipped = 0;

	ncpu = 0;
	cpu_add(boot_hartid);
	cpus[0].started = true;
	if (cpus_node < 0)
		return;
	for (node = dtb_first_child(cpus_node); node >= 0;
	     node = dtb_next_sibling(node)) {
		const char *type = dtb_prop(node, "device_type", NULL);

		if (type == NULL || strcmp(type, "cpu") != 0 ||
		    !dtb_status_okay(node) || !dtb_reg(node, 0, &hartid, &size))
			continue;
		if (hartid == boot_hartid)
			continue;
		if (!cpu_add(hartid))
			skipped++;
	}
	if (skipped > 0)
		printk("cpu: %d harts beyond NCPU_MAX=%d left stopped\n",
		       skipped, NCPU_MAX);
}

/* See boot.h. Release: what the hart set up is visible to whoever sees
 * started. */
void cpu_mark_started(struct cpu *c)
{
	__atomic_store_n(&c->started, true, __ATOMIC_RELEASE);
}

/* Wait until cpus[i] acknowledged its start; false after
 * CPU_START_WAIT_SECONDS (the hart may still come up later). */
static bool cpu_wait_started(int i)
{
	uint64_t deadline = timer_now() + CPU_START_WAIT_SECONDS * timer_freq();

	while (!__atomic_load_n(&cpus[i].started, __ATOMIC_ACQUIRE)) {
		if (timer_now() > deadline)
			return false;
		__asm__ volatile("nop");
	}
	return true;
}

/*
 * Start cpus[1..ncpu) at _start_secondary (physical address) with
 * opaque = its index (SBI v1.0 section 9.1, HSM hart_start), one at a time:
 * hart_start may return before the hart runs (9.1), so each start is
 * acknowledged through cpus[i].started before the next. Until then the hart
 * may assume only what entry.S needs: cpus[].hartid, ncpu, its boot stack and
 * the boot page table (all written before the first hart_start). A hart that
 * fails to start is reported; it never runs, so it holds no state.
 * => boot hart, after the kernel page table, PLIC and timer are set up.
 */
void cpu_start_others(void)
{
	paddr_t entry = KIMG_TO_PA(_start_secondary);
	int i;
	long err;

	/* Make cpus[] and ncpu visible before any hart can run (9.1). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (i = 1; i < ncpu; i++) {
		err = sbi_hart_start(cpus[i].hartid, entry, (uint64_t)i);
		if (err != 0) {
			printk("cpu: hart %lu did not start (SBI error %ld)\n",
			       cpus[i].hartid, err);
			continue;
		}
		if (!cpu_wait_started(i))
			printk("cpu: hart %lu not up after %d s, going on\n",
			       cpus[i].hartid, CPU_START_WAIT_SECONDS);
	}
}

/*
 * Stop this hart for good (after a panic): no interrupt source is left
 * enabled, so wfi sleeps instead of spinning on a pending timer.
 */
void cpu_halt(void)
{
	intr_off();
	csr_write(sie, 0);
	for (;;)
		wfi();
}
