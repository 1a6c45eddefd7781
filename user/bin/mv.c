/*
 * mv src dst | mv src... dir: rename files and directories (into dir,
 * keeping their names, when the last argument is a directory).
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define MV_PATH_MAX 4096

int main(int argc, char **argv)
{
	struct stat st;
	char path[MV_PATH_MAX], tmp[MV_PATH_MAX];
	int status = 0, todir;

	if (argc < 3) {
		fprintf(stderr, "usage: mv src dst | mv src... dir\n");
		return 1;
	}
	todir = stat(argv[argc - 1], &st) == 0 && S_ISDIR(st.st_mode);
	if (argc > 3 && !todir) {
		fprintf(stderr, "mv: %s: not a directory\n", argv[argc - 1]);
		return 1;
	}
	for (int i = 1; i < argc - 1; i++) {
		const char *dst = argv[argc - 1];
		if (todir) {
			snprintf(tmp, sizeof(tmp), "%s", argv[i]);
			snprintf(path, sizeof(path), "%s/%s", dst, basename(tmp));
			dst = path;
		}
		if (rename(argv[i], dst) < 0) {
			fprintf(stderr, "mv: %s -> %s: %s\n", argv[i], dst, strerror(errno));
			status = 1;
		}
	}
	return status;
}
