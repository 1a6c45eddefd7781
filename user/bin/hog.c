/*
 * hog: take memory and check it. `hog MiB [passes]` maps MiB of anonymous
 * memory, writes every page with a pattern that names the page, then reads
 * it all back `passes` times (default 1), in a different page order each
 * time, and rewrites a few pages between passes. More than RAM makes the
 * page daemon swap; more than RAM plus swap brings the OOM killer.
 * Exits 0 if every byte was right, 1 on a wrong byte, 2 on bad arguments
 * or a refused mapping.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define PAGE 4096UL

static uint64_t word(size_t page, size_t i, uint64_t gen)
{
	uint64_t x = (page + 1) * 0x9e3779b97f4a7c15ULL ^ (i + 1) * 0xbf58476d1ce4e5b9ULL;
	return x ^ gen;
}

static void fill(uint64_t *p, size_t page, uint64_t gen)
{
	for (size_t i = 0; i < PAGE / 8; i++)
		p[i] = word(page, i, gen);
}

static int check(const uint64_t *p, size_t page, uint64_t gen)
{
	for (size_t i = 0; i < PAGE / 8; i++)
		if (p[i] != word(page, i, gen)) {
			printf("hog: page %lu word %lu: %llx, expected %llx\n",
			       (unsigned long)page, (unsigned long)i,
			       (unsigned long long)p[i],
			       (unsigned long long)word(page, i, gen));
			return 1;
		}
	return 0;
}

int main(int argc, char **argv)
{
	size_t mib, pages, passes = 1, stride;
	uint64_t *gen;
	char *mem;

	if (argc < 2 || (mib = strtoul(argv[1], NULL, 0)) == 0) {
		fprintf(stderr, "usage: hog MiB [passes]\n");
		return 2;
	}
	if (argc > 2)
		passes = strtoul(argv[2], NULL, 0);
	pages = mib * (1024 * 1024 / PAGE);
	mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	gen = calloc(pages, sizeof(*gen));
	if (mem == MAP_FAILED || gen == NULL) {
		perror("hog: mmap");
		return 2;
	}
	for (size_t pg = 0; pg < pages; pg++)
		fill((uint64_t *)(mem + pg * PAGE), pg, 0);
	/* An odd stride visits every page once, in a new order each pass. */
	for (size_t pass = 0; pass < passes; pass++) {
		stride = (pass * 2 + 1) * 7919 % pages;
		if (stride % 2 == 0 || stride == 0)
			stride++;
		while (pages % stride == 0 && stride > 1)
			stride += 2;
		for (size_t k = 0, pg = 0; k < pages; k++, pg = (pg + stride) % pages)
			if (check((uint64_t *)(mem + pg * PAGE), pg, gen[pg]))
				return 1;
		for (size_t pg = pass; pg < pages; pg += 97) {
			gen[pg] = pass + 1;
			fill((uint64_t *)(mem + pg * PAGE), pg, gen[pg]);
		}
	}
	printf("hog: %lu MiB ok, %lu passes\n", (unsigned long)mib,
	       (unsigned long)passes);
	return 0;
}
