/*
 * wc [-l] [-w] [-c] [file...]: count lines, words and bytes (all three
 * when no option is given), with a total line for several files.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define WC_BUF 4096

struct wc_counts {
	long lines, words, bytes;
};

static int wc_lines, wc_words, wc_bytes;

static int wc_fd(int fd, struct wc_counts *c)
{
	char buf[WC_BUF];
	ssize_t n;
	int inword = 0;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		c->bytes += n;
		for (ssize_t i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)buf[i];
			if (ch == '\n')
				c->lines++;
			if (isspace(ch)) {
				inword = 0;
			} else if (!inword) {
				inword = 1;
				c->words++;
			}
		}
	}
	return n < 0 ? -1 : 0;
}

static void wc_print(const struct wc_counts *c, const char *name)
{
	const long v[3] = { c->lines, c->words, c->bytes };
	const int on[3] = { wc_lines, wc_words, wc_bytes };
	int fields = wc_lines + wc_words + wc_bytes, first = 1;

	for (int k = 0; k < 3; k++) {
		if (!on[k])
			continue;
		/* A lone count for stdin prints bare, like other wc's. */
		printf(fields == 1 && !name ? "%s%ld" : "%s%7ld", first ? "" : " ", v[k]);
		first = 0;
	}
	printf(name ? " %s\n" : "\n", name);
}

int main(int argc, char **argv)
{
	struct wc_counts total = { 0, 0, 0 };
	int i = 1, status = 0, files;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++)
		for (const char *o = argv[i] + 1; *o; o++) {
			if (*o == 'l') wc_lines = 1;
			else if (*o == 'w') wc_words = 1;
			else if (*o == 'c') wc_bytes = 1;
			else {
				fprintf(stderr, "usage: wc [-lwc] [file...]\n");
				return 1;
			}
		}
	if (!wc_lines && !wc_words && !wc_bytes)
		wc_lines = wc_words = wc_bytes = 1;
	files = argc - i;
	if (files == 0) {
		struct wc_counts c = { 0, 0, 0 };
		status = wc_fd(STDIN_FILENO, &c) < 0;
		wc_print(&c, NULL);
		return status;
	}
	for (; i < argc; i++) {
		struct wc_counts c = { 0, 0, 0 };
		int fd = open(argv[i], O_RDONLY);
		if (fd < 0 || wc_fd(fd, &c) < 0) {
			fprintf(stderr, "wc: %s: %s\n", argv[i], strerror(errno));
			status = 1;
		} else {
			wc_print(&c, argv[i]);
		}
		if (fd >= 0)
			close(fd);
		total.lines += c.lines;
		total.words += c.words;
		total.bytes += c.bytes;
	}
	if (files > 1)
		wc_print(&total, "total");
	return status;
}
