/*
 * vmstat [secs [count]]: one line of memory, swap and process figures,
 * in procps vmstat's layout; with secs, one line every secs seconds
 * (count lines, or until killed). The first line covers the time since
 * boot, as procps': si/so/bi are averages since boot, the later lines
 * rates over the last interval.
 *
 * Sources: /proc/vmstat (pswpin, pswpout, pgpagein), /proc/meminfo
 * (MemFree, Buffers, Cached, SwapTotal, SwapFree, kB), /proc/<pid>/stat
 * (state R or D counts in r or b), /proc/stat (cpu, intr, ctxt) if the
 * kernel has it, else those columns are 0. Pagoda counts no block
 * writes, so bo is 0; bi is the pages its pagers read (pgpagein).
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PAGE_KB         4               /* kB in a page */
#define CPU_STATES      8               /* user nice system idle iowait irq softirq steal */

/* One reading of everything a line shows. Counters since boot. */
struct vm_sample {
	unsigned long running, blocked;         /* processes */
	unsigned long swpd, free, buff, cache;  /* kB */
	unsigned long pswpin, pswpout, pgpagein;        /* pages */
	unsigned long intr, ctxt;
	unsigned long cpu[CPU_STATES];          /* ticks */
	double secs;                            /* since boot */
};

/* The number after "name " in a "name value" line, or 0 if line is
 * another. */
static int vm_line_value(const char *line, const char *name, unsigned long *v)
{
	size_t n = strlen(name);

	if (strncmp(line, name, n) != 0 || (line[n] != ' ' && line[n] != ':'))
		return 0;
	*v = strtoul(line + n + 1, NULL, 10);
	return 1;
}

static void vm_read_vmstat(struct vm_sample *s)
{
	char line[128];
	FILE *f = fopen("/proc/vmstat", "r");

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		vm_line_value(line, "pswpin", &s->pswpin);
		vm_line_value(line, "pswpout", &s->pswpout);
		vm_line_value(line, "pgpagein", &s->pgpagein);
	}
	fclose(f);
}

static void vm_read_meminfo(struct vm_sample *s)
{
	unsigned long swap_total = 0, swap_free = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		vm_line_value(line, "MemFree", &s->free);
		vm_line_value(line, "Buffers", &s->buff);
		vm_line_value(line, "Cached", &s->cache);
		vm_line_value(line, "SwapTotal", &swap_total);
		vm_line_value(line, "SwapFree", &swap_free);
	}
	fclose(f);
	s->swpd = swap_total - swap_free;
}

/* /proc/stat (Linux proc(5)): "cpu" then ticks per state, "intr" total
 * first, "ctxt". Absent in a kernel without it: everything stays 0. */
static void vm_read_stat(struct vm_sample *s)
{
	char line[512];
	FILE *f = fopen("/proc/stat", "r");

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "cpu ", 4) == 0) {
			char *p = line + 4;
			for (int i = 0; i < CPU_STATES; i++)
				s->cpu[i] = strtoul(p, &p, 10);
		}
		vm_line_value(line, "intr", &s->intr);
		vm_line_value(line, "ctxt", &s->ctxt);
	}
	fclose(f);
}

/* Count processes running or runnable (R) and in uninterruptible sleep
 * (D) from the state letter of each /proc/<pid>/stat. */
static void vm_read_procs(struct vm_sample *s)
{
	char path[64], line[256];
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", strtol(de->d_name, NULL, 10));
		FILE *f = fopen(path, "r");
		if (f == NULL)
			continue;               /* ended meanwhile */
		char *state = NULL;
		if (fgets(line, sizeof(line), f) != NULL && (state = strrchr(line, ')')))
			state += 2;             /* ") S ..." */
		if (state != NULL && *state == 'R')
			s->running++;
		else if (state != NULL && *state == 'D')
			s->blocked++;
		fclose(f);
	}
	closedir(d);
}

static void vm_sample(struct vm_sample *s)
{
	struct timespec now;

	memset(s, 0, sizeof(*s));
	vm_read_vmstat(s);
	vm_read_meminfo(s);
	vm_read_stat(s);
	vm_read_procs(s);
	clock_gettime(CLOCK_MONOTONIC, &now);
	s->secs = now.tv_sec + now.tv_nsec / 1e9;
}

/* A counter's rate per second over secs (at least 1 ms: no division by
 * zero right after boot). */
static unsigned long vm_rate(unsigned long now, unsigned long before, double secs)
{
	if (secs < 0.001)
		secs = 0.001;
	return (unsigned long)((now - before) / secs + 0.5);
}

static void vm_header(void)
{
	printf("procs -----------memory---------- ---swap-- -----io---- "
	       "-system-- ------cpu-----\n");
	printf(" r  b   swpd   free   buff  cache   si   so    bi    bo"
	       "   in   cs us sy id wa st\n");
}

/* One line: now's state, and rates between before and now. */
static void vm_line(const struct vm_sample *now, const struct vm_sample *before)
{
	double secs = now->secs - before->secs;
	unsigned long cpu[CPU_STATES], total = 0;
	unsigned long us, sy, id, wa, st;

	for (int i = 0; i < CPU_STATES; i++) {
		cpu[i] = now->cpu[i] - before->cpu[i];
		total += cpu[i];
	}
	if (total == 0)
		total = 1;              /* no /proc/stat: all 0 */
	us = (cpu[0] + cpu[1]) * 100 / total;
	sy = (cpu[2] + cpu[5] + cpu[6]) * 100 / total;
	id = cpu[3] * 100 / total;
	wa = cpu[4] * 100 / total;
	st = cpu[7] * 100 / total;
	printf("%2lu %2lu %6lu %6lu %6lu %6lu %4lu %4lu %5lu %5lu %4lu %4lu "
	       "%2lu %2lu %2lu %2lu %2lu\n",
	       now->running, now->blocked, now->swpd, now->free, now->buff,
	       now->cache,
	       vm_rate(now->pswpin * PAGE_KB, before->pswpin * PAGE_KB, secs),
	       vm_rate(now->pswpout * PAGE_KB, before->pswpout * PAGE_KB, secs),
	       vm_rate(now->pgpagein * PAGE_KB, before->pgpagein * PAGE_KB, secs),
	       0UL, vm_rate(now->intr, before->intr, secs),
	       vm_rate(now->ctxt, before->ctxt, secs), us, sy, id, wa, st);
	fflush(stdout);
}

static int vm_usage(void)
{
	fprintf(stderr, "usage: vmstat [secs [count]]\n");
	return 2;
}

/* A positive decimal, or -1. */
static long vm_arg(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return (*s == '\0' || *end != '\0' || v <= 0) ? -1 : v;
}

int main(int argc, char **argv)
{
	struct vm_sample boot = { 0 }, prev, now;
	long secs = 0, count = 1;

	if (argc > 3)
		return vm_usage();
	if (argc >= 2 && (secs = vm_arg(argv[1])) < 0)
		return vm_usage();
	if (argc == 3 && (count = vm_arg(argv[2])) < 0)
		return vm_usage();
	if (argc == 2)
		count = -1;             /* until killed */
	vm_header();
	vm_sample(&now);
	vm_line(&now, &boot);           /* boot: every counter 0 at time 0 */
	for (long n = 1; count < 0 || n < count; n++) {
		prev = now;
		sleep((unsigned)secs);
		vm_sample(&now);
		vm_line(&now, &prev);
	}
	return 0;
}
