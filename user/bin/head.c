/*
 * head [-n N | -N] [file...]: print the first N lines (default 10).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEAD_DEFAULT 10

static void head_stream(FILE *f, long n)
{
	int c;

	while (n > 0 && (c = getc(f)) != EOF) {
		putchar(c);
		if (c == '\n')
			n--;
	}
}

int main(int argc, char **argv)
{
	long n = HEAD_DEFAULT;
	int i = 1, status = 0;

	if (i < argc && strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
		n = atol(argv[i + 1]);
		i += 2;
	} else if (i < argc && argv[i][0] == '-' && argv[i][1] >= '0' && argv[i][1] <= '9') {
		n = atol(argv[i] + 1);
		i++;
	}
	if (i >= argc) {
		head_stream(stdin, n);
		return 0;
	}
	for (int first = i; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");
		if (f == NULL) {
			fprintf(stderr, "head: %s: %s\n", argv[i], strerror(errno));
			status = 1;
			continue;
		}
		if (argc - first > 1)
			printf("%s==> %s <==\n", i > first ? "\n" : "", argv[i]);
		head_stream(f, n);
		fclose(f);
	}
	return status;
}
