/*
 * Boot order. entry.S calls main on the boot hart and main_secondary on the
 * others; each brings up its layer in turn and ends in the scheduler.
 * Only entry.S calls these; they never return.
 */
#include "kernel/types.h"
#include "kernel/dtb.h"
#include "kernel/dev/console.h"
#include "kernel/dev/dev.h"
#include "kernel/lib/bootargs.h"
#include "kernel/lib/profile.h"
#include "kernel/vm/commit.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/sched.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/kva.h"
#include "kernel/vm/page.h"
#include "kernel/vm/pmap.h"
#include "arch/riscv/boot.h"
#include "arch/riscv/cpu.h"
#include "arch/riscv/intr.h"
#include "arch/riscv/timer.h"
#include "arch/riscv/vmparam.h"

#define BOOT_MAX_RAM            8       /* RAM ranges taken from the DTB */
#define BOOT_MAX_RESERVED       16      /* reserved ranges */
#define MIB                     (1UL << 20)

/* Physical memory as found at boot; handed to vm_page_init and pmap.
 * Written only by the boot hart in main, before other harts start. */
static struct {
	struct mem_range ram[BOOT_MAX_RAM];
	int nram;
	struct mem_range reserved[BOOT_MAX_RESERVED];
	int nreserved;
} bootmem;

/* Append [start, end) to a range list, widened (reserved) or narrowed (RAM)
 * to whole pages. */
static void boot_add_range(struct mem_range *list, int *n, int max,
			   paddr_t start, paddr_t end, bool widen)
{
	paddr_t s = widen ? PAGE_ROUNDDOWN(start) : PAGE_ROUNDUP(start);
	paddr_t e = widen ? PAGE_ROUNDUP(end) : PAGE_ROUNDDOWN(end);

	if (e <= s)
		return;
	if (*n >= max) {
		printk("boot: too many memory ranges, ignoring [0x%lx, 0x%lx)\n",
		       s, e);
		return;
	}
	list[*n].start = s;
	list[*n].end = e;
	(*n)++;
}

static void boot_add_ram(paddr_t start, uint64_t size)
{
	boot_add_range(bootmem.ram, &bootmem.nram, BOOT_MAX_RAM,
		       start, start + size, false);
}

static void boot_add_reserved(paddr_t start, uint64_t size)
{
	boot_add_range(bootmem.reserved, &bootmem.nreserved, BOOT_MAX_RESERVED,
		       start, start + size, true);
}

/* Every reg entry of every node with device_type "memory". */
static void boot_find_ram(void)
{
	int node = -1, i;
	uint64_t addr, size;

	while ((node = dtb_next_node(node, NULL)) >= 0) {
		const char *type = dtb_prop(node, "device_type", NULL);

		if (type == NULL || strcmp(type, "memory") != 0 ||
		    !dtb_status_okay(node))
			continue;
		for (i = 0; dtb_reg(node, i, &addr, &size); i++)
			boot_add_ram(addr, size);
	}
}

/*
 * Drop RAM the direct map cannot reach: the page allocator hands frames out
 * by their direct-map address, and vm_page_init writes the page arrays
 * through the boot page table, which maps the same DIRECT_MAP_SIZE bytes.
 */
static void boot_clamp_ram(void)
{
	uint64_t dropped = vm_page_clamp_ranges(bootmem.ram, &bootmem.nram,
						DIRECT_MAP_SIZE);

	if (dropped > 0)
		printk("boot: %lu MiB of RAM above %lu GiB (the direct map) "
		       "left unused\n", dropped / MIB, DIRECT_MAP_SIZE >> 30);
	if (bootmem.nram == 0)
		panic("main: no RAM below %lu GiB", DIRECT_MAP_SIZE >> 30);
}

/*
 * Memory the page allocator must never hand out: /reserved-memory children
 * (OpenSBI's firmware region), the DTB's reservation block, the kernel image
 * and the firmware's copy of the DTB.
 */
static void boot_find_reserved(void)
{
	int parent = dtb_find_path("/reserved-memory"), node, i;
	uint64_t addr, size;

	for (node = dtb_first_child(parent); node >= 0 && parent >= 0;
	     node = dtb_next_sibling(node))
		for (i = 0; dtb_reg(node, i, &addr, &size); i++)
			boot_add_reserved(addr, size);
	for (i = 0; dtb_mem_reserve(i, &addr, &size); i++)
		boot_add_reserved(addr, size);
	boot_add_reserved(KIMG_TO_PA(_kernel_start),
			  (uint64_t)(_kernel_end - _kernel_start));
	boot_add_reserved(dtb_phys(), dtb_size());
}

static void boot_print_banner(uint64_t hartid)
{
	uint64_t total = 0;
	int i;

	printk("Pagoda: RISC-V Sv39 kernel, boot hart %lu, %d hart%s\n",
	       hartid, ncpu, ncpu == 1 ? "" : "s");
	for (i = 0; i < bootmem.nram; i++) {
		struct mem_range *r = &bootmem.ram[i];

		printk("  RAM       [0x%09lx, 0x%09lx) %lu MiB\n", r->start,
		       r->end, (r->end - r->start) / MIB);
		total += r->end - r->start;
	}
	for (i = 0; i < bootmem.nreserved; i++)
		printk("  reserved  [0x%09lx, 0x%09lx)\n",
		       bootmem.reserved[i].start, bootmem.reserved[i].end);
	printk("  kernel    [0x%lx, 0x%lx), %lu MiB RAM in all\n",
	       (uint64_t)_kernel_start, (uint64_t)_kernel_end, total / MIB);
}

static void boot_print_zones(void)
{
	struct vm_zone_info z;
	int i, n = vm_zone_count();

	for (i = 0; i < n; i++) {
		vm_zone_get_info(i, &z);
		if (z.present == 0)
			continue;
		printk("  zone %-6s [0x%09lx, 0x%09lx) %lu pages, %lu free\n",
		       z.name, z.start, z.end, z.present, z.free);
	}
}

/*
 * The boot hart, from entry.S with the boot page table live, interrupts
 * off and tp = &cpus[0]. Brings the kernel up layer by layer (the boot order
 * of the team brief), starts the other harts and becomes a scheduler.
 */
void main(uint64_t hartid, paddr_t dtb_pa)
{
	printk("\nPagoda booting\n");
	if (dtb_init(dtb_pa) < 0)
		panic("main: no usable device tree at 0x%lx", dtb_pa);
	bootargs_init();
	cpu_discover(hartid);
	boot_find_ram();
	boot_find_reserved();
	if (bootmem.nram == 0)
		panic("main: no memory node in the device tree");
	boot_clamp_ram();
	boot_print_banner(hartid);

	vm_page_init(bootmem.ram, bootmem.nram, bootmem.reserved,
		     bootmem.nreserved);
	boot_print_zones();
	if (bootarg_bool("vm.pcp", true))
		vm_page_pcp_enable();
	kmem_init();
	vm_commit_init();
	pmap_bootstrap(bootmem.ram, bootmem.nram);
	pmap_selftest();
	kva_init();
	dev_init();
	plic_init();
	profile_init(ncpu);
	timer_init();
	console_init();
	proc_init();
	proc_start_init();

	cpu_start_others();
	sched_run();
}

/* What main_secondary prints about how a hart entered (BOOT_ENTRY_*). */
static const char *boot_entry_note(int entry)
{
	if (entry == BOOT_ENTRY_STALE_START)
		return " (firmware sent it to _start: stale start address)";
	if (entry == BOOT_ENTRY_STALE_OPAQUE)
		return " (firmware passed a stale a1)";
	return "";
}

/*
 * Every other hart, from entry.S on the boot page table with tp and sp set
 * for cpus[cpu], which entry.S found from the hart id: join the kernel page
 * table, take interrupts and ticks, acknowledge the start, and schedule.
 */
void main_secondary(int cpu, int entry)
{
	struct cpu *c = cpu_self();

	KASSERT(c->index == cpu && c != &cpus[0],
		"main_secondary: tp names cpu %d, entry found %d", c->index, cpu);
	pmap_init_hart();
	plic_init_hart();
	timer_init_hart();
	printk("hart %lu up as cpu %d%s\n", c->hartid, cpu,
	       boot_entry_note(entry));
	cpu_mark_started(c);
	sched_run();
}

/* A trap before the trap code installed its vector (see entry.S). */
void boot_trap(uint64_t scause, uint64_t sepc, uint64_t stval)
{
	uint64_t off = 0;
	const char *fn = ksym_name(sepc, &off);

	panic("boot_trap: unexpected trap, scause 0x%lx stval 0x%lx at 0x%lx (%s+0x%lx)",
	      scause, stval, sepc, fn != NULL ? fn : "?", off);
}
