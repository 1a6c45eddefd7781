/*
 * mknod name c major minor: make a character device node (Pagoda makes
 * them in /dev only; see docs/README.md for the devices there).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define MKNOD_MODE 0666

/* A decimal number into *out; 0 if s is one. */
static int mknod_number(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v > 0xfffffUL)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int ma, mi;

	if (argc != 5 || strcmp(argv[2], "c") != 0 ||
	    mknod_number(argv[3], &ma) < 0 || mknod_number(argv[4], &mi) < 0) {
		fprintf(stderr, "usage: mknod name c major minor\n");
		return 1;
	}
	if (mknod(argv[1], S_IFCHR | MKNOD_MODE, makedev(ma, mi)) < 0) {
		fprintf(stderr, "mknod: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	return 0;
}
