/*
 * /proc text of the page allocator, slabs, kernel stacks and page tables
 * (zoneinfo, buddyinfo, meminfo, vmstat) in the Linux layouts. Called by
 * procfs.c; reads only the counters those modules export, and takes no
 * lock of its own (vm_zone_get_info takes the zone's).
 */
#include "kernel/fs/procfs_vm.h"
#include "kernel/lib/sbuf.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/kva.h"
#include "kernel/vm/page.h"
#include "kernel/vm/pmap.h"

#define KB_PER_PAGE     (PAGE_SIZE / 1024)

/* See procfs_vm.h. */
int procfs_vm_zoneinfo(struct sbuf *sb)
{
	struct vm_zone_info zi;

	for (int z = 0; z < VM_NZONES; z++) {
		vm_zone_get_info(z, &zi);
		sbuf_printf(sb, "Node 0, zone %8s\n", zi.name);
		sbuf_printf(sb, "  pages free     %lu\n", (unsigned long)zi.free);
		sbuf_printf(sb, "        min      %lu\n", (unsigned long)zi.wmark_min);
		sbuf_printf(sb, "        low      %lu\n", (unsigned long)zi.wmark_low);
		sbuf_printf(sb, "        high     %lu\n", (unsigned long)zi.wmark_high);
		sbuf_printf(sb, "        present  %lu\n", (unsigned long)zi.present);
		sbuf_printf(sb, "        managed  %lu\n", (unsigned long)zi.managed);
	}
	return sbuf_error(sb);
}

/* See procfs_vm.h. */
int procfs_vm_buddyinfo(struct sbuf *sb)
{
	struct vm_zone_info zi;

	for (int z = 0; z < VM_NZONES; z++) {
		vm_zone_get_info(z, &zi);
		if (zi.managed == 0)
			continue;
		sbuf_printf(sb, "Node 0, zone %8s ", zi.name);
		for (int k = 0; k < VM_PAGE_NORDERS; k++)
			sbuf_printf(sb, "%6lu ", (unsigned long)zi.nfree[k]);
		sbuf_printf(sb, "\n");
	}
	return sbuf_error(sb);
}

static void meminfo_kb(struct sbuf *sb, const char *name, uint64_t pages)
{
	sbuf_printf(sb, "%-16s%8lu kB\n", name,
		    (unsigned long)(pages * KB_PER_PAGE));
}

static void meminfo_count(struct sbuf *sb, const char *name, uint64_t n)
{
	sbuf_printf(sb, "%-16s%8lu\n", name, (unsigned long)n);
}

/* See procfs_vm.h. FreePages and SlabObjects are what leak checks
 * compare. */
int procfs_vm_meminfo(struct sbuf *sb)
{
	uint64_t free = vm_page_free_count();

	meminfo_kb(sb, "MemTotal:", vm_page_total_count());
	meminfo_kb(sb, "MemFree:", free);
	meminfo_kb(sb, "MemAvailable:", free);
	meminfo_kb(sb, "Active:", vm_page_queue_count(PQ_ACTIVE));
	meminfo_kb(sb, "Inactive:", vm_page_queue_count(PQ_INACTIVE));
	meminfo_kb(sb, "Slab:", kmem_pages());
	meminfo_kb(sb, "KernelStack:", kva_stack_pages());
	meminfo_kb(sb, "PageTables:", pmap_ptp_count());
	meminfo_count(sb, "FreePages:", free);
	meminfo_count(sb, "SlabObjects:", kmem_objects_inuse());
	return sbuf_error(sb);
}

/* See procfs_vm.h. */
int procfs_vm_vmstat(struct sbuf *sb)
{
	uint64_t low = 0, wakeups = 0, fail = 0, freed = 0;
	struct vm_zone_info zi;

	sbuf_printf(sb, "nr_free_pages %lu\n", (unsigned long)vm_page_free_count());
	sbuf_printf(sb, "nr_active %lu\n", (unsigned long)vm_page_queue_count(PQ_ACTIVE));
	sbuf_printf(sb, "nr_inactive %lu\n",
		    (unsigned long)vm_page_queue_count(PQ_INACTIVE));
	sbuf_printf(sb, "nr_slab_pages %lu\n", (unsigned long)kmem_pages());
	sbuf_printf(sb, "nr_page_table_pages %lu\n", (unsigned long)pmap_ptp_count());
	for (int z = 0; z < VM_NZONES; z++) {
		vm_zone_get_info(z, &zi);
		sbuf_printf(sb, "pgalloc_%s %lu\n", z == ZONE_DMA32 ? "dma32" : "normal",
			    (unsigned long)zi.pgalloc);
		freed += zi.pgfree;
		low += zi.low_events;
		fail += zi.alloc_fail;
		wakeups += zi.wakeups;
	}
	sbuf_printf(sb, "pgfree %lu\n", (unsigned long)freed);
	sbuf_printf(sb, "low_wmark_events %lu\n", (unsigned long)low);
	sbuf_printf(sb, "pageout_wakeups %lu\n", (unsigned long)wakeups);
	sbuf_printf(sb, "zone_alloc_refused %lu\n", (unsigned long)fail);
	return sbuf_error(sb);
}
