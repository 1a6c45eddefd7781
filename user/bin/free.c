/*
 * free: memory and swap use in KiB, from /proc/meminfo (MemTotal,
 * MemFree, MemAvailable, Buffers, Cached, SwapTotal, SwapFree).
 */
#include <stdio.h>
#include <string.h>

struct free_mem {
	long total, free, available, buffers, cached, swap_total, swap_free;
};

static void free_parse(const char *line, struct free_mem *m)
{
	static const struct { const char *key; size_t off; } keys[] = {
		{ "MemTotal:", offsetof(struct free_mem, total) },
		{ "MemFree:", offsetof(struct free_mem, free) },
		{ "MemAvailable:", offsetof(struct free_mem, available) },
		{ "Buffers:", offsetof(struct free_mem, buffers) },
		{ "Cached:", offsetof(struct free_mem, cached) },
		{ "SwapTotal:", offsetof(struct free_mem, swap_total) },
		{ "SwapFree:", offsetof(struct free_mem, swap_free) },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t k = strlen(keys[i].key);
		if (strncmp(line, keys[i].key, k) == 0)
			sscanf(line + k, "%ld", (long *)((char *)m + keys[i].off));
	}
}

int main(void)
{
	struct free_mem m = { 0, 0, -1, 0, 0, 0, 0 };
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");

	if (f == NULL) {
		perror("free: /proc/meminfo");
		return 1;
	}
	while (fgets(line, sizeof(line), f))
		free_parse(line, &m);
	fclose(f);
	if (m.available < 0)
		m.available = m.free + m.cached;
	printf("%15s %11s %11s %11s %11s\n", "total", "used", "free", "buff/cache", "available");
	printf("Mem:  %10ld %11ld %11ld %11ld %11ld\n", m.total,
	       m.total - m.free - m.buffers - m.cached, m.free,
	       m.buffers + m.cached, m.available);
	printf("Swap: %10ld %11ld %11ld\n", m.swap_total, m.swap_total - m.swap_free,
	       m.swap_free);
	return 0;
}
