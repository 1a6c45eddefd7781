/*
 * ls [-l] [-a] [path...]: list directories (sorted, one name a line) and
 * files; -a shows names starting with '.', -l the long format (mode, links,
 * owner, group, size or, for a device, "major, minor", modification time,
 * name), as coreutils prints it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <pagoda/modestr.h>

#define LS_PATH_MAX 4096

static int ls_long, ls_all;

/* Print one entry; path is used for lstat/readlink, name is shown. */
static void ls_entry(const char *path, const char *name)
{
	struct stat st;
	char mode[11], when[32], target[LS_PATH_MAX];
	time_t mtime;
	ssize_t n;

	if (!ls_long) {
		puts(name);
		return;
	}
	if (lstat(path, &st) < 0) {
		fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
		return;
	}
	pg_mode_string(st.st_mode, mode);
	mtime = st.st_mtim.tv_sec;
	strftime(when, sizeof(when), "%b %e %H:%M", gmtime(&mtime));
	printf("%s %3u %4u %4u ", mode, st.st_nlink, st.st_uid, st.st_gid);
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		printf("%3u, %3u", major(st.st_rdev), minor(st.st_rdev));
	else
		printf("%8ld", st.st_size);
	printf(" %s %s", when, name);
	if (S_ISLNK(st.st_mode) && (n = readlink(path, target, sizeof(target) - 1)) >= 0) {
		target[n] = '\0';
		printf(" -> %s", target);
	}
	putchar('\n');
}

static int ls_visible(const struct dirent *e)
{
	return ls_all || e->d_name[0] != '.';
}

static int ls_dir(const char *path)
{
	struct dirent **list;
	char child[LS_PATH_MAX];
	int n = scandir(path, &list, ls_visible, alphasort);

	if (n < 0) {
		fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		snprintf(child, sizeof(child), "%s/%s", path, list[i]->d_name);
		ls_entry(child, list[i]->d_name);
		free(list[i]);
	}
	free(list);
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1, status = 0, nargs;
	struct stat st;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++)
		for (const char *o = argv[i] + 1; *o; o++) {
			if (*o == 'l') ls_long = 1;
			else if (*o == 'a') ls_all = 1;
			else {
				fprintf(stderr, "usage: ls [-la] [path...]\n");
				return 2;
			}
		}
	nargs = argc - i;
	if (nargs == 0)
		return ls_dir(".");
	/* Files first, then each directory under a heading if there are several. */
	for (int k = i; k < argc; k++) {
		if (stat(argv[k], &st) < 0) {
			fprintf(stderr, "ls: %s: %s\n", argv[k], strerror(errno));
			status = 1;
		} else if (!S_ISDIR(st.st_mode)) {
			ls_entry(argv[k], argv[k]);
		}
	}
	for (int k = i, shown = 0; k < argc; k++) {
		if (stat(argv[k], &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (nargs > 1)
			printf("%s%s:\n", shown++ ? "\n" : "", argv[k]);
		status |= ls_dir(argv[k]);
	}
	return status;
}
