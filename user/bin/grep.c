/*
 * grep [-v] [-n] [-c] [-i] [-F] pattern [file...]: print lines matching a
 * basic regular expression (or, with -F, a fixed string).  Exit status 0
 * if a line matched, 1 if none, 2 on error.
 */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct grep_opts {
	int invert, number, count, icase, fixed;
	const char *pattern;
	regex_t re;
};

/* Case-insensitive substring search for -F -i. */
static int grep_fixed_icase(const char *line, const char *pat)
{
	size_t n = strlen(pat);

	for (; *line; line++)
		if (strncasecmp(line, pat, n) == 0)
			return 1;
	return n == 0;
}

static int grep_match(struct grep_opts *o, const char *line)
{
	int m;

	if (o->fixed)
		m = o->icase ? grep_fixed_icase(line, o->pattern) : strstr(line, o->pattern) != NULL;
	else
		m = regexec(&o->re, line, 0, NULL, 0) == 0;
	return m != o->invert;
}

/* Scan one stream; returns the number of selected lines. */
static long grep_stream(struct grep_opts *o, FILE *f, const char *name)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0, hits = 0;

	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (!grep_match(o, line))
			continue;
		hits++;
		if (o->count)
			continue;
		if (name)
			printf("%s:", name);
		if (o->number)
			printf("%ld:", lineno);
		puts(line);
	}
	free(line);
	if (o->count)
		printf(name ? "%s:%ld\n" : "%s%ld\n", name ? name : "", hits);
	return hits;
}

/* Parse options; returns the index of the pattern, or -1. */
static int grep_options(struct grep_opts *o, int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++)
		for (const char *c = argv[i] + 1; *c; c++) {
			switch (*c) {
			case 'v': o->invert = 1; break;
			case 'n': o->number = 1; break;
			case 'c': o->count = 1; break;
			case 'i': o->icase = 1; break;
			case 'F': o->fixed = 1; break;
			default: return -1;
			}
		}
	return i < argc ? i : -1;
}

int main(int argc, char **argv)
{
	struct grep_opts o;
	long hits = 0;
	int i, nfiles, error = 0;

	memset(&o, 0, sizeof(o));
	i = grep_options(&o, argc, argv);
	if (i < 0) {
		fprintf(stderr, "usage: grep [-vnciF] pattern [file...]\n");
		return 2;
	}
	o.pattern = argv[i++];
	if (!o.fixed && regcomp(&o.re, o.pattern, REG_NOSUB | (o.icase ? REG_ICASE : 0))) {
		fprintf(stderr, "grep: bad pattern: %s\n", o.pattern);
		return 2;
	}
	nfiles = argc - i;
	if (nfiles == 0)
		hits = grep_stream(&o, stdin, NULL);
	for (; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");
		if (f == NULL) {
			fprintf(stderr, "grep: %s: %s\n", argv[i], strerror(errno));
			error = 1;
			continue;
		}
		hits += grep_stream(&o, f, nfiles > 1 ? argv[i] : NULL);
		fclose(f);
	}
	if (!o.fixed)
		regfree(&o.re);
	return error ? 2 : hits ? 0 : 1;
}
