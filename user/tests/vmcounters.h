/*
 * Kernel VM counters for the memory suites (cow, mmap, execshare): free
 * pages, anons, amaps and memory objects in use, and fault events, read
 * from /proc/vmstat ("name value") with /proc/meminfo as a fallback for
 * free pages. Static buffers only: a reading allocates no user memory.
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
};

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
	if (c->v[VMC_FREE] < 0 && meminfo_read(&m) == 0)
		c->v[VMC_FREE] = m.free_pages;
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

/*
 * Wait until the in-use counts (anons, amaps, objects) equal those in
 * base and free pages are at least base's minus page_slack; counters base
 * does not report are ignored. Exits and frees of other harts may lag
 * behind waitpid, hence the retries. Returns 1 if they settled; *now
 * holds the last reading either way.
 */
static inline int vmc_settle(const struct vmc *base, long page_slack, struct vmc *now)
{
	static const int in_use[] = { VMC_ANONS, VMC_AMAPS, VMC_OBJECTS };

	for (int t = 0; t < VMC_SETTLE_TRIES; t++) {
		int ok = vmc_read(now) == 0;
		for (unsigned i = 0; i < sizeof(in_use) / sizeof(in_use[0]); i++)
			if (base->v[in_use[i]] >= 0)
				ok &= now->v[in_use[i]] == base->v[in_use[i]];
		if (base->v[VMC_FREE] >= 0)
			ok &= now->v[VMC_FREE] >= base->v[VMC_FREE] - page_slack;
		if (ok)
			return 1;
		vmc_nap(VMC_SETTLE_NS);
	}
	return 0;
}

/* Assert that counter k of now equals base's (exactly, or for VMC_FREE
 * within page_slack below); fails with a diagnostic if the kernel does
 * not report the counter. */
static inline int vmc_is_back(const struct vmc *base, const struct vmc *now, int k,
			      long page_slack, const char *what)
{
	if (base->v[k] < 0 || now->v[k] < 0) {
		tap_ok(0, "%s", what);
		vmc_missing(k);
		return 0;
	}
	int ok = k == VMC_FREE ? now->v[k] >= base->v[k] - page_slack : now->v[k] == base->v[k];
	if (!tap_ok(ok, "%s", what))
		tap_diag("  before %ld, after %ld%s", base->v[k], now->v[k],
			 k == VMC_FREE ? " (free pages)" : "");
	return ok;
}

#endif
