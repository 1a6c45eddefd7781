/*
 * Reading the kernel's /proc/meminfo for the tests (leakcheck, oom).
 * Lines are "Name: value" or "Name: value kB". Uses only static buffers,
 * so a reading allocates no user memory (a leak check must not disturb
 * what it measures).
 */
#ifndef PAGODA_TESTS_MEMINFO_H
#define PAGODA_TESTS_MEMINFO_H

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MEMINFO_PATH    "/proc/meminfo"
#define MEMINFO_BUF     8192
#define MEMINFO_PAGE_KB 4

/* -1 in a field: the kernel did not report it. */
struct meminfo {
	long free_pages;        /* FreePages, or MemFree in kB / 4 */
	long total_pages;       /* TotalPages, or MemTotal in kB / 4 */
	long slab_objects;      /* SlabObjects */
	long swap_free_pages;   /* SwapFreePages, or SwapFree in kB / 4 */
	long swap_total_pages;  /* SwapTotalPages, or SwapTotal in kB / 4 */
	/* What paging moves pages and slots between (Pagoda only). */
	long anon_resident;     /* AnonResidentPages */
	long object_pages;      /* ObjectPages */
	long slab_pages;        /* Slab in kB / 4 */
	long swap_owned;        /* SwapOwnedPages: slots held by anons, objects */
	long paging_events;     /* /proc/vmstat pgsteal + pswpin */
};

/* The value of field `name` in text, in pages if the line says kB and
 * as_pages is set; -1 if absent. */
static inline long meminfo_field(const char *text, const char *name, int as_pages)
{
	size_t len = strlen(name);

	for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, name, len) != 0 || line[len] != ':')
			continue;
		const char *p = line + len + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p < '0' || *p > '9')
			return -1;
		long v = 0;
		while (*p >= '0' && *p <= '9')
			v = v * 10 + (*p++ - '0');
		while (*p == ' ' || *p == '\t')
			p++;
		if (as_pages && (p[0] == 'k' || p[0] == 'K') && (p[1] == 'B' || p[1] == 'b'))
			v /= MEMINFO_PAGE_KB;
		return v;
	}
	return -1;
}

/* The first of two names that is present (the second in kB). */
static inline long meminfo_pick(const char *text, const char *pages_name, const char *kb_name)
{
	long v = meminfo_field(text, pages_name, 0);

	return v >= 0 ? v : meminfo_field(text, kb_name, 1);
}

/* Read /proc/meminfo. Returns 0, or -1 if the file cannot be read. The
 * raw text stays in meminfo_text for diagnostics. */
static char meminfo_text[MEMINFO_BUF];

/* pgsteal + pswpin from /proc/vmstat ("name value" lines), or -1. Reads
 * into meminfo_text (before /proc/meminfo is read into it), so a reading
 * touches no other buffer. */
static inline long meminfo_vmstat_paging(void)
{
	int fd = open("/proc/vmstat", O_RDONLY);
	long n, got = 0, sum = 0, found = 0;

	if (fd < 0)
		return -1;
	while (got < MEMINFO_BUF - 1 &&
	       (n = read(fd, meminfo_text + got, MEMINFO_BUF - 1 - got)) > 0)
		got += n;
	close(fd);
	meminfo_text[got] = 0;
	for (const char *line = meminfo_text; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		static const char *const names[] = { "pgsteal ", "pswpin " };
		for (int k = 0; k < 2; k++)
			if (strncmp(line, names[k], strlen(names[k])) == 0) {
				sum += strtol(line + strlen(names[k]), NULL, 10);
				found++;
			}
	}
	return found ? sum : -1;
}

static inline int meminfo_read(struct meminfo *m)
{
	long paging = meminfo_vmstat_paging();

	int fd = open(MEMINFO_PATH, O_RDONLY);
	long n, got = 0;

	memset(m, 0xff, sizeof(*m));        /* every field -1 */
	meminfo_text[0] = 0;
	if (fd < 0)
		return -1;
	while (got < MEMINFO_BUF - 1 && (n = read(fd, meminfo_text + got, MEMINFO_BUF - 1 - got)) > 0)
		got += n;
	close(fd);
	meminfo_text[got] = 0;
	if (got == 0)
		return -1;
	m->free_pages = meminfo_pick(meminfo_text, "FreePages", "MemFree");
	m->total_pages = meminfo_pick(meminfo_text, "TotalPages", "MemTotal");
	m->slab_objects = meminfo_field(meminfo_text, "SlabObjects", 0);
	m->swap_free_pages = meminfo_pick(meminfo_text, "SwapFreePages", "SwapFree");
	m->swap_total_pages = meminfo_pick(meminfo_text, "SwapTotalPages", "SwapTotal");
	m->anon_resident = meminfo_field(meminfo_text, "AnonResidentPages", 0);
	m->object_pages = meminfo_field(meminfo_text, "ObjectPages", 0);
	m->slab_pages = meminfo_field(meminfo_text, "Slab", 1);
	m->swap_owned = meminfo_field(meminfo_text, "SwapOwnedPages", 0);
	m->paging_events = paging;
	return 0;
}

/*
 * Pages that paging cannot change: the page daemon moves a page from a
 * process (AnonResidentPages, ObjectPages) to FreePages, and a fault moves
 * it back; slab pages come and go with the pv entries of those mappings.
 * A leak check over a run during which pages were paged (paging_events
 * changed) compares this sum instead of FreePages alone. -1 if a field is
 * missing.
 */
static inline long meminfo_held_pages(const struct meminfo *m)
{
	if (m->free_pages < 0 || m->anon_resident < 0 || m->object_pages < 0 ||
	    m->slab_pages < 0)
		return -1;
	return m->free_pages + m->anon_resident + m->object_pages + m->slab_pages;
}

/* Swap slots in use that no anon or anonymous object holds: 0 unless a
 * slot leaked (or was freed twice: negative). */
static inline long meminfo_swap_unowned(const struct meminfo *m)
{
	if (m->swap_free_pages < 0 || m->swap_total_pages < 0 || m->swap_owned < 0)
		return 0;
	return m->swap_total_pages - m->swap_free_pages - m->swap_owned;
}

/*
 * Run once before a baseline reading: page in this program's whole text
 * and rodata (its file's page cache, which code first run after the
 * reading would otherwise grow), write the reading buffer, and write
 * MEMINFO_STACK_TOUCH bytes of stack, so the program's own footprint is
 * the same at every later reading.
 */
#define MEMINFO_STACK_TOUCH (16 * 1024)         /* more than a test's deepest call */
extern const char __ehdr_start[];              /* the first byte of the image (ld) */
extern const char _etext[];                     /* the end of text and rodata (user.ld) */

static void __attribute__((noinline, unused)) meminfo_touch_self(void)
{
	volatile char stack[MEMINFO_STACK_TOUCH];
	const volatile char *text = __ehdr_start;

	for (long off = 0; text + off < _etext; off += MEMINFO_PAGE_KB * 1024)
		(void)text[off];
	for (long i = 0; i < MEMINFO_STACK_TOUCH; i += MEMINFO_PAGE_KB * 1024)
		stack[i] = 0;
	(void)stack[0];
	memset(meminfo_text, 0, sizeof(meminfo_text));
}

#endif
