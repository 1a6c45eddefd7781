/*
 * mkdir [-p] dir...: create directories; -p creates missing parents and
 * accepts existing directories.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define MKDIR_MODE 0755
#define MKDIR_PATH_MAX 4096

/* Create path and its missing parents; returns 0 or -1 with errno. */
static int mkdir_parents(const char *path)
{
	char buf[MKDIR_PATH_MAX];
	struct stat st;
	size_t len = strlen(path);

	if (len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(buf, MKDIR_MODE) < 0 &&
		    !(errno == EEXIST && stat(buf, &st) == 0 && S_ISDIR(st.st_mode)))
			return -1;
		*p = saved;
		if (saved == '\0')
			return 0;
	}
}

int main(int argc, char **argv)
{
	int parents = 0, status = 0, i = 1;

	if (i < argc && strcmp(argv[i], "-p") == 0) {
		parents = 1;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: mkdir [-p] dir...\n");
		return 1;
	}
	for (; i < argc; i++) {
		int r = parents ? mkdir_parents(argv[i]) : mkdir(argv[i], MKDIR_MODE);
		if (r < 0) {
			fprintf(stderr, "mkdir: %s: %s\n", argv[i], strerror(errno));
			status = 1;
		}
	}
	return status;
}
