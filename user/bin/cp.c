/*
 * cp src dst | cp src... dir: copy regular files (into dir, keeping their
 * names, when the last argument is a directory).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CP_BUF 8192
#define CP_PATH_MAX 4096

/* Write all n bytes; returns 0 or -1. */
static int cp_write_all(int fd, const char *buf, ssize_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, (size_t)n);
		if (w <= 0)
			return -1;
		buf += w;
		n -= w;
	}
	return 0;
}

static int cp_file(const char *src, const char *dst)
{
	char buf[CP_BUF];
	struct stat st;
	ssize_t n = 0;
	int in, out;

	in = open(src, O_RDONLY);
	if (in < 0 || fstat(in, &st) < 0) {
		fprintf(stderr, "cp: %s: %s\n", src, strerror(errno));
		return 1;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, st.st_mode & 0777);
	if (out < 0) {
		fprintf(stderr, "cp: %s: %s\n", dst, strerror(errno));
		close(in);
		return 1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (cp_write_all(out, buf, n) < 0)
			break;
	if (n != 0)
		fprintf(stderr, "cp: %s: %s\n", n < 0 ? src : dst, strerror(errno));
	close(in);
	if (close(out) < 0 && n == 0) {
		fprintf(stderr, "cp: %s: %s\n", dst, strerror(errno));
		n = -1;
	}
	return n != 0;
}

int main(int argc, char **argv)
{
	struct stat st;
	char path[CP_PATH_MAX];
	int status = 0, todir;

	if (argc < 3) {
		fprintf(stderr, "usage: cp src dst | cp src... dir\n");
		return 1;
	}
	todir = stat(argv[argc - 1], &st) == 0 && S_ISDIR(st.st_mode);
	if (argc > 3 && !todir) {
		fprintf(stderr, "cp: %s: not a directory\n", argv[argc - 1]);
		return 1;
	}
	for (int i = 1; i < argc - 1; i++) {
		const char *dst = argv[argc - 1];
		if (todir) {
			char tmp[CP_PATH_MAX];
			snprintf(tmp, sizeof(tmp), "%s", argv[i]);
			snprintf(path, sizeof(path), "%s/%s", dst, basename(tmp));
			dst = path;
		}
		status |= cp_file(argv[i], dst);
	}
	return status;
}
