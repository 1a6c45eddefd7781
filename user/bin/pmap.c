/*
 * pmap [pid]: the mappings of a process (default: pmap itself) from
 * /proc/<pid>/maps ("start-end perms offset dev inode path"), with the
 * size of each and the total.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PMAP_PATH_MAX 64
#define PMAP_LINE 512
#define KIB 1024

int main(int argc, char **argv)
{
	char path[PMAP_PATH_MAX], line[PMAP_LINE];
	unsigned long total = 0;
	FILE *f;

	if (argc > 1)
		snprintf(path, sizeof(path), "/proc/%s/maps", argv[1]);
	else
		snprintf(path, sizeof(path), "/proc/%d/maps", getpid());
	f = fopen(path, "r");
	if (f == NULL) {
		perror(path);
		return 1;
	}
	printf("%-16s %8s %-5s %s\n", "Address", "Kbytes", "Mode", "Mapping");
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end;
		char perms[8] = "", name[PMAP_LINE] = "";
		int fields = sscanf(line, "%lx-%lx %7s %*s %*s %*s %511[^\n]",
				    &start, &end, perms, name);
		if (fields < 3)
			continue;
		printf("%016lx %8luK %-5s %s\n", start, (end - start) / KIB, perms,
		       name[0] ? name : "[ anon ]");
		total += end - start;
	}
	fclose(f);
	printf("total %25luK\n", total / KIB);
	return 0;
}
