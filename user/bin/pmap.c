/*
 * pmap [pid]: the mappings of a process (default: pmap itself). From
 * /proc/<pid>/smaps it prints each VMA's size and its resident, shared
 * and private kilobytes ("Rss:", "Shared:", "Private:" lines, or Linux's
 * Shared_Clean/Shared_Dirty and Private_Clean/Private_Dirty pairs), with
 * totals; without smaps it falls back to /proc/<pid>/maps and sizes only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PMAP_PATH_MAX 64
#define PMAP_LINE 512
#define KIB 1024

/* One VMA as smaps describes it; -1 in a count: not reported. */
struct pmap_vma {
	unsigned long start, end;
	char perms[8];
	char name[PMAP_LINE];
	long rss_kb, shared_kb, private_kb;
};

struct pmap_total {
	unsigned long size_kb;
	long rss_kb, shared_kb, private_kb;
};

/* Parse a maps/smaps header line ("start-end perms offset dev inode
 * [path]") into v. Returns 1 if line is one. */
static int pmap_parse_header(const char *line, struct pmap_vma *v)
{
	char end_char;

	v->name[0] = 0;
	if (sscanf(line, "%lx-%lx%c", &v->start, &v->end, &end_char) < 3 || end_char != ' ')
		return 0;
	if (sscanf(line, "%*s %7s %*s %*s %*s %511[^\n]", v->perms, v->name) < 1)
		return 0;
	v->rss_kb = v->shared_kb = v->private_kb = -1;
	return 1;
}

/* The kB value of "key: N kB" if line has that key, else -1. */
static long pmap_value(const char *line, const char *key)
{
	size_t n = strlen(key);

	if (strncmp(line, key, n) != 0 || line[n] != ':')
		return -1;
	return strtol(line + n + 1, NULL, 10);
}

static void pmap_add(long *sum, long v)
{
	if (v >= 0)
		*sum = (*sum < 0 ? 0 : *sum) + v;
}

/* Fold one smaps detail line into v. */
static void pmap_detail(struct pmap_vma *v, const char *line)
{
	long x;

	if ((x = pmap_value(line, "Rss")) >= 0)
		v->rss_kb = x;
	if ((x = pmap_value(line, "Shared")) >= 0)
		v->shared_kb = x;
	pmap_add(&v->shared_kb, pmap_value(line, "Shared_Clean"));
	pmap_add(&v->shared_kb, pmap_value(line, "Shared_Dirty"));
	if ((x = pmap_value(line, "Private")) >= 0)
		v->private_kb = x;
	pmap_add(&v->private_kb, pmap_value(line, "Private_Clean"));
	pmap_add(&v->private_kb, pmap_value(line, "Private_Dirty"));
}

static void pmap_count(char *out, size_t size, long kb)
{
	if (kb < 0)
		snprintf(out, size, "%7s", "-");
	else
		snprintf(out, size, "%7ld", kb);
}

/* Print one VMA and add it to the totals. */
static void pmap_print_vma(const struct pmap_vma *v, struct pmap_total *t)
{
	char rss[24], shared[24], priv[24];

	pmap_count(rss, sizeof(rss), v->rss_kb);
	pmap_count(shared, sizeof(shared), v->shared_kb);
	pmap_count(priv, sizeof(priv), v->private_kb);
	printf("%016lx %8lu %s %s %s %-5s %s\n", v->start, (v->end - v->start) / KIB,
	       rss, shared, priv, v->perms, v->name[0] ? v->name : "[ anon ]");
	t->size_kb += (v->end - v->start) / KIB;
	pmap_add(&t->rss_kb, v->rss_kb);
	pmap_add(&t->shared_kb, v->shared_kb);
	pmap_add(&t->private_kb, v->private_kb);
}

static void pmap_smaps(FILE *f)
{
	char line[PMAP_LINE], rss[24], shared[24], priv[24];
	struct pmap_total t = { 0, -1, -1, -1 };
	struct pmap_vma v, next;
	int have = 0;

	printf("%-16s %8s %7s %7s %7s %-5s %s\n", "Address", "Kbytes", "RSS", "Shared",
	       "Private", "Mode", "Mapping");
	while (fgets(line, sizeof(line), f)) {
		if (pmap_parse_header(line, &next)) {
			if (have)
				pmap_print_vma(&v, &t);
			v = next;
			have = 1;
		} else if (have) {
			pmap_detail(&v, line);
		}
	}
	if (have)
		pmap_print_vma(&v, &t);
	pmap_count(rss, sizeof(rss), t.rss_kb);
	pmap_count(shared, sizeof(shared), t.shared_kb);
	pmap_count(priv, sizeof(priv), t.private_kb);
	printf("%-16s %8lu %s %s %s\n", "total kB", t.size_kb, rss, shared, priv);
}

static void pmap_maps(FILE *f)
{
	char line[PMAP_LINE];
	unsigned long total = 0;
	struct pmap_vma v;

	printf("%-16s %8s %-5s %s\n", "Address", "Kbytes", "Mode", "Mapping");
	while (fgets(line, sizeof(line), f)) {
		if (!pmap_parse_header(line, &v))
			continue;
		printf("%016lx %8luK %-5s %s\n", v.start, (v.end - v.start) / KIB, v.perms,
		       v.name[0] ? v.name : "[ anon ]");
		total += v.end - v.start;
	}
	printf("total %25luK\n", total / KIB);
}

int main(int argc, char **argv)
{
	char path[PMAP_PATH_MAX];
	char pid[24];
	FILE *f;

	if (argc > 1)
		snprintf(pid, sizeof(pid), "%s", argv[1]);
	else
		snprintf(pid, sizeof(pid), "%d", getpid());
	snprintf(path, sizeof(path), "/proc/%s/smaps", pid);
	f = fopen(path, "r");
	if (f != NULL) {
		pmap_smaps(f);
		fclose(f);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/%s/maps", pid);
	f = fopen(path, "r");
	if (f == NULL) {
		perror(path);
		return 1;
	}
	pmap_maps(f);
	fclose(f);
	return 0;
}
