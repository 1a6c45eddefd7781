/*
 * ln [-s] target linkname: make a hard link (or, with -s, a symbolic link).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int sym = 0, i = 1, r;

	if (i < argc && strcmp(argv[i], "-s") == 0) {
		sym = 1;
		i++;
	}
	if (argc - i != 2) {
		fprintf(stderr, "usage: ln [-s] target linkname\n");
		return 1;
	}
	r = sym ? symlink(argv[i], argv[i + 1]) : link(argv[i], argv[i + 1]);
	if (r < 0) {
		fprintf(stderr, "ln: %s: %s\n", argv[i + 1], strerror(errno));
		return 1;
	}
	return 0;
}
