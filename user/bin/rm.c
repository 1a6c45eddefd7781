/*
 * rm [-r] [-f] path...: remove files; -r removes directories and their
 * contents, -f ignores missing files and never complains about them.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RM_PATH_MAX 4096

static int rm_recursive, rm_force;

static int rm_path(const char *path);

/* Remove everything inside dir, then dir itself. */
static int rm_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char child[RM_PATH_MAX];
	int status = 0;

	if (d == NULL) {
		fprintf(stderr, "rm: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
		status |= rm_path(child);
	}
	closedir(d);
	if (rmdir(path) < 0) {
		fprintf(stderr, "rm: %s: %s\n", path, strerror(errno));
		return 1;
	}
	return status;
}

static int rm_path(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (rm_force && errno == ENOENT)
			return 0;
		fprintf(stderr, "rm: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (S_ISDIR(st.st_mode)) {
		if (rm_recursive)
			return rm_dir(path);
		fprintf(stderr, "rm: %s: is a directory\n", path);
		return 1;
	}
	if (unlink(path) < 0) {
		fprintf(stderr, "rm: %s: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1, status = 0;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		for (const char *o = argv[i] + 1; *o; o++) {
			if (*o == 'r' || *o == 'R')
				rm_recursive = 1;
			else if (*o == 'f')
				rm_force = 1;
			else {
				fprintf(stderr, "usage: rm [-rf] path...\n");
				return 1;
			}
		}
	}
	if (i >= argc && !rm_force) {
		fprintf(stderr, "usage: rm [-rf] path...\n");
		return 1;
	}
	for (; i < argc; i++)
		status |= rm_path(argv[i]);
	return status;
}
