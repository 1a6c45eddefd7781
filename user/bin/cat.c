/*
 * cat [file...]: copy each file (or stdin, also for "-") to stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CAT_BUF 4096

/* Copy fd to stdout; returns 0 or -1 (message printed). */
static int cat_fd(int fd, const char *name)
{
	char buf[CAT_BUF];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(STDOUT_FILENO, buf + off, (size_t)(n - off));
			if (w <= 0) {
				fprintf(stderr, "cat: write: %s\n", strerror(errno));
				return -1;
			}
			off += w;
		}
	}
	if (n < 0) {
		fprintf(stderr, "cat: %s: %s\n", name, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int status = 0;

	if (argc < 2)
		return cat_fd(STDIN_FILENO, "stdin") < 0;
	for (int i = 1; i < argc; i++) {
		int fd = strcmp(argv[i], "-") == 0 ? STDIN_FILENO : open(argv[i], O_RDONLY);
		if (fd < 0) {
			fprintf(stderr, "cat: %s: %s\n", argv[i], strerror(errno));
			status = 1;
			continue;
		}
		if (cat_fd(fd, argv[i]) < 0)
			status = 1;
		if (fd != STDIN_FILENO)
			close(fd);
	}
	return status;
}
