/*
 * Kernel VM counters for the memory suites (cow, mmap, execshare): free
 * pages, anons, amaps and memory objects in use, fault events, and the
 * other holders of pages (slab and kmalloc, page tables, cached object
 * pages, kernel stacks) with the slab object count, read from
 * /proc/vmstat ("name value") and /proc/meminfo. Every comparison of
 * free pages is exact: pages a check expects to stay in use are named
 * and counted by the caller (docs/testing.md, "Exact memory checks").
 * Static buffers only: a reading allocates no user memory.
 * Counter names the kernel may not have yet are looked up under several
 * spellings; a missing one reads as -1 and vmc_missing() explains it.
 */
#ifndef PAGODA_TESTS_VMCOUNTERS_H
#define PAGODA_TESTS_VMCOUNTERS_H

#include "meminfo.h"
#include "tap.h"

#include <time.h>

#define VMSTAT_PATH      "/proc/vmstat"
#define VMC_BUF          8192
#define VMC_SPELLINGS    6
#define VMC_SETTLE_TRIES 50              /* readings while frees settle */
#define VMC_SETTLE_NS    20000000L       /* 20 ms between them */

enum vmc_counter {
	VMC_FREE,               /* free pages */
	VMC_ANONS,              /* anons (anonymous pages) in use */
	VMC_AMAPS,              /* amaps in use */
	VMC_OBJECTS,            /* memory objects in use */
	VMC_COW_FAULTS,         /* copy-on-write faults since boot */
	VMC_ZERO_FAULTS,        /* zero-fill faults since boot */
	VMC_PAGEINS,            /* pages read in by a pager since boot */
	VMC_SLAB_PAGES,         /* pages of slabs and whole-page kmalloc */
	VMC_PT_PAGES,           /* page-table pages */
	VMC_OBJECT_PAGES,       /* resident memory-object pages (page cache) */
	VMC_KSTACK_PAGES,       /* kernel stack pages (meminfo KernelStack) */
	VMC_SLAB_OBJECTS,       /* slab objects and kmalloc blocks in use */
	VMC_NCOUNTERS
};

/* Spellings tried in order; the first present wins. */
static const char *const vmc_names[VMC_NCOUNTERS][VMC_SPELLINGS] = {
	[VMC_FREE]        = { "nr_free_pages" },
	[VMC_ANONS]       = { "nr_anon_pages", "nr_anons", "nr_anon" },
	[VMC_AMAPS]       = { "nr_amaps", "nr_amap" },
	[VMC_OBJECTS]     = { "nr_objects", "nr_vm_objects", "nr_mem_objects",
			      "nr_vmobjects", "nr_object" },
	[VMC_COW_FAULTS]  = { "pgfault_cow", "pgfault_copy", "pgcow", "cow_faults",
			      "pgfault_wp" },
	[VMC_ZERO_FAULTS] = { "pgfault_zero", "pgfault_zero_fill", "pgzero" },
	[VMC_PAGEINS]     = { "pgfault_pagein", "pgpagein", "pgpgin", "pagein",
			      "pgfault_lower", "pgmajfault" },
	[VMC_SLAB_PAGES]  = { "nr_slab_pages" },
	[VMC_PT_PAGES]    = { "nr_page_table_pages" },
	[VMC_OBJECT_PAGES] = { "nr_object_pages" },
	[VMC_KSTACK_PAGES] = { "KernelStack" },         /* kB, in /proc/meminfo */
	[VMC_SLAB_OBJECTS] = { "SlabObjects" },         /* in /proc/meminfo */
};

/*
 * The page counters that, with free pages and anons (one page each while
 * resident), account for every page the kernel hands out (page.c's
 * callers: slabs and kmalloc, page tables, object pages, kernel stacks,
 * anons; the virtio rings are allocated once at boot). A change in free
 * pages is therefore always the sum of their changes, and a failed check
 * prints that split (vmc_explain).
 */
static const int vmc_holders[] = { VMC_ANONS, VMC_SLAB_PAGES, VMC_PT_PAGES,
				   VMC_OBJECT_PAGES, VMC_KSTACK_PAGES };
static const char *const vmc_holder_names[] = { "anons", "slab and kmalloc",
						"page tables", "cached object pages",
						"kernel stacks" };

struct vmc {
	long v[VMC_NCOUNTERS];  /* -1: not reported */
};

static char vmc_text[VMC_BUF];

/* Read a whole small file into buf (NUL-terminated). Returns its length
 * or -1. */
static inline long vmc_slurp(const char *path, char *buf, long size)
{
	int fd = open(path, O_RDONLY);
	long n, got = 0;

	buf[0] = 0;
	if (fd < 0)
		return -1;
	while (got < size - 1 && (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = 0;
	return got;
}

/* The value of the line "name value" or "name: value" in text; -1 if
 * absent. */
static inline long vmc_field(const char *text, const char *name)
{
	size_t len = strlen(name);

	for (const char *line = text; line != NULL && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, name, len) != 0)
			continue;
		const char *p = line + len;
		if (*p == ':')
			p++;
		if (*p != ' ' && *p != '\t')
			continue;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p < '0' || *p > '9')
			return -1;
		long v = 0;
		while (*p >= '0' && *p <= '9')
			v = v * 10 + (*p++ - '0');
		return v;
	}
	return -1;
}

/* Read every counter. Returns 0, or -1 if /proc/vmstat is unreadable. */
static inline int vmc_read(struct vmc *c)
{
	struct meminfo m;
	int ok = vmc_slurp(VMSTAT_PATH, vmc_text, VMC_BUF) > 0;

	for (int k = 0; k < VMC_NCOUNTERS; k++) {
		c->v[k] = -1;
		for (int s = 0; ok && s < VMC_SPELLINGS && vmc_names[k][s]; s++) {
			c->v[k] = vmc_field(vmc_text, vmc_names[k][s]);
			if (c->v[k] >= 0)
				break;
		}
	}
	if (meminfo_read(&m) == 0) {
		if (c->v[VMC_FREE] < 0)
			c->v[VMC_FREE] = m.free_pages;
		c->v[VMC_KSTACK_PAGES] = meminfo_field(meminfo_text, "KernelStack", 1);
		c->v[VMC_SLAB_OBJECTS] = m.slab_objects;
	}
	return ok ? 0 : -1;
}

/* One counter now (-1 if not reported). */
static inline long vmc_get(int k)
{
	struct vmc c;

	vmc_read(&c);
	return c.v[k];
}

/* Print why counter k is missing: the spellings looked for. */
static inline void vmc_missing(int k)
{
	char names[160] = "";

	for (int s = 0; s < VMC_SPELLINGS && vmc_names[k][s]; s++) {
		size_t n = strlen(names);
		snprintf(names + n, sizeof(names) - n, "%s%s", s ? ", " : "",
			 vmc_names[k][s]);
	}
	tap_diag("  /proc/vmstat reports none of: %s", names);
}

/* Free pages now (from /proc/vmstat or /proc/meminfo), -1 if unknown. */
static inline long vmc_free_pages(void)
{
	return vmc_get(VMC_FREE);
}

static inline void vmc_nap(long ns)
{
	struct timespec t = { 0, ns };

	nanosleep(&t, NULL);
}

/* Take a baseline: read until two readings VMC_SETTLE_NS apart agree on
 * free pages and every holder and in-use count (frees of processes that
 * ended just before, e.g. the image an exec replaced, may still be
 * running on another hart), at most VMC_SETTLE_TRIES times. */
static inline void vmc_quiet(struct vmc *c)
{
	static const int watched[] = { VMC_FREE, VMC_ANONS, VMC_AMAPS, VMC_OBJECTS,
				       VMC_SLAB_PAGES, VMC_SLAB_OBJECTS, VMC_PT_PAGES,
				       VMC_OBJECT_PAGES, VMC_KSTACK_PAGES };
	struct vmc prev;

	vmc_read(&prev);
	for (int t = 0; t < VMC_SETTLE_TRIES; t++) {
		int same = 1;
		vmc_nap(VMC_SETTLE_NS);
		vmc_read(c);
		for (unsigned i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
			same &= c->v[watched[i]] == prev.v[watched[i]];
		if (same)
			return;
		prev = *c;
	}
}

/*
 * Print where the difference in free pages between base and now went:
 * the change of each page holder (vmc_holders) and what none explains.
 */
static inline void vmc_explain(const struct vmc *base, const struct vmc *now)
{
	char text[256];
	long gone = base->v[VMC_FREE] - now->v[VMC_FREE], held = 0;
	int n = snprintf(text, sizeof(text), "  %ld free pages fewer:", gone);

	for (unsigned i = 0; i < sizeof(vmc_holders) / sizeof(vmc_holders[0]); i++) {
		int k = vmc_holders[i];
		if (base->v[k] < 0 || now->v[k] < 0)
			continue;
		held += now->v[k] - base->v[k];
		if (now->v[k] != base->v[k] && n < (int)sizeof(text))
			n += snprintf(text + n, sizeof(text) - n, " %s %+ld,",
				      vmc_holder_names[i], now->v[k] - base->v[k]);
	}
	if (n < (int)sizeof(text))
		snprintf(text + n, sizeof(text) - n, " unexplained %ld", gone - held);
	tap_diag("%s", text);
	if (base->v[VMC_SLAB_OBJECTS] != now->v[VMC_SLAB_OBJECTS])
		tap_diag("  slab objects before %ld, after %ld", base->v[VMC_SLAB_OBJECTS],
			 now->v[VMC_SLAB_OBJECTS]);
}

/*
 * Wait until the in-use counts (anons, amaps, objects) equal those in
 * base and free pages are exactly base's minus kept (pages the caller
 * expects to stay in use, each for a stated reason, e.g. the page tables
 * of a region a live process unmapped); counters base does not report
 * are ignored. Exits and frees of other harts may lag behind waitpid,
 * hence the retries. Returns 1 if they settled; *now holds the last
 * reading either way.
 */
static inline int vmc_settle(const struct vmc *base, long kept, struct vmc *now)
{
	static const int in_use[] = { VMC_ANONS, VMC_AMAPS, VMC_OBJECTS };

	for (int t = 0; t < VMC_SETTLE_TRIES; t++) {
		int ok = vmc_read(now) == 0;
		for (unsigned i = 0; i < sizeof(in_use) / sizeof(in_use[0]); i++)
			if (base->v[in_use[i]] >= 0)
				ok &= now->v[in_use[i]] == base->v[in_use[i]];
		if (base->v[VMC_FREE] >= 0)
			ok &= now->v[VMC_FREE] == base->v[VMC_FREE] - kept;
		if (ok)
			return 1;
		vmc_nap(VMC_SETTLE_NS);
	}
	return 0;
}

/* Assert that counter k of now equals base's exactly, or for VMC_FREE
 * equals base's minus kept (see vmc_settle); fails with a diagnostic if
 * the kernel does not report the counter, and on a difference in free
 * pages prints where they went. */
static inline int vmc_is_back(const struct vmc *base, const struct vmc *now, int k,
			      long kept, const char *what)
{
	if (base->v[k] < 0 || now->v[k] < 0) {
		tap_ok(0, "%s", what);
		vmc_missing(k);
		return 0;
	}
	int ok = now->v[k] == base->v[k] - (k == VMC_FREE ? kept : 0);
	if (!tap_ok(ok, "%s", what)) {
		tap_diag("  before %ld, after %ld%s", base->v[k], now->v[k],
			 k == VMC_FREE ? " (free pages)" : "");
		if (k == VMC_FREE) {
			tap_diag("  expected %ld pages kept", kept);
			vmc_explain(base, now);
		}
	}
	return ok;
}

/* Whether now is back to base but for pt_kept page-table pages and up
 * to moved_max slab pages (see vmc_pages_back). */
static inline int vmc_back_but(const struct vmc *base, const struct vmc *now, long pt_kept,
			       long moved_max)
{
	static const int in_use[] = { VMC_ANONS, VMC_AMAPS, VMC_OBJECTS, VMC_SLAB_OBJECTS,
				      VMC_OBJECT_PAGES, VMC_KSTACK_PAGES };
	int ok = 1;

	for (unsigned i = 0; i < sizeof(in_use) / sizeof(in_use[0]); i++)
		ok &= base->v[in_use[i]] >= 0 && now->v[in_use[i]] == base->v[in_use[i]];
	long moved = now->v[VMC_SLAB_PAGES] - base->v[VMC_SLAB_PAGES];
	ok &= base->v[VMC_SLAB_PAGES] >= 0 && moved >= 0 && moved <= moved_max;
	ok &= base->v[VMC_PT_PAGES] >= 0 && now->v[VMC_PT_PAGES] == base->v[VMC_PT_PAGES] + pt_kept;
	ok &= base->v[VMC_FREE] >= 0 && now->v[VMC_FREE] == base->v[VMC_FREE] - pt_kept - moved;
	return ok;
}

/*
 * Assert that every page is back as in base, but for two named kinds of
 * page a live process may keep: pt_kept page-table pages (tables of a
 * region it unmapped: the pmap frees them only when the process exits),
 * and up to moved_max slab pages that hold no extra object (slab
 * objects, anons, amaps, memory objects, cached pages and kernel stacks
 * all equal base's: objects allocated while a big region's objects
 * filled every slab of a cache sit in a late slab, which stays when the
 * region's objects go). Free pages must then be exactly base's minus
 * those two. Waits for frees on other harts like vmc_settle. *now holds
 * the last reading. Returns 1 if it passed.
 */
/* Read until vmc_back_but holds (frees of other harts may lag behind
 * waitpid) or VMC_SETTLE_TRIES readings; returns its last result. */
static inline int vmc_settle_but(const struct vmc *base, long pt_kept, long moved_max,
				 struct vmc *now)
{
	for (int t = 0; t < VMC_SETTLE_TRIES; t++) {
		vmc_read(now);
		if (vmc_back_but(base, now, pt_kept, moved_max))
			return 1;
		vmc_nap(VMC_SETTLE_NS);
	}
	return 0;
}

static inline int vmc_pages_back(const struct vmc *base, long pt_kept, long moved_max,
				 struct vmc *now, const char *what)
{
	int ok = vmc_settle_but(base, pt_kept, moved_max, now);
	if (tap_ok(ok, "%s", what)) {
		tap_diag("  kept %ld page tables and %ld slab pages of moved objects", pt_kept,
			 now->v[VMC_SLAB_PAGES] - base->v[VMC_SLAB_PAGES]);
	} else {
		tap_diag("  free pages before %ld, after %ld; expected %ld page tables kept "
			 "and at most %ld slab pages of moved objects", base->v[VMC_FREE],
			 now->v[VMC_FREE], pt_kept, moved_max);
		vmc_explain(base, now);
	}
	return ok;
}

/* Run once before the first reading: meminfo_touch_self, and write the
 * vmstat buffer too. */
static inline void vmc_touch_self(void)
{
	meminfo_touch_self();
	memset(vmc_text, 0, sizeof(vmc_text));
}

#endif
