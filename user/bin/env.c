/*
 * env [-i] [-u NAME]... [NAME=value...] [command [args...]]: print the
 * environment, or run command with it (POSIX env; -u as in GNU env).
 * -i (or a lone -) starts from an empty environment.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	static char *empty_env[1];
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-i") == 0 || strcmp(argv[i], "-") == 0) {
			environ = empty_env;
		} else if (strcmp(argv[i], "-u") == 0 && i + 1 < argc) {
			unsetenv(argv[++i]);
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			fprintf(stderr, "usage: env [-i] [-u name] [name=value]... "
				"[command [arg]...]\n");
			return 125;
		}
	}
	for (; i < argc && strchr(argv[i], '='); i++) {
		char *eq = strchr(argv[i], '=');
		*eq = '\0';
		setenv(argv[i], eq + 1, 1);
	}
	if (i == argc) {
		for (char **e = environ; *e; e++)
			puts(*e);
		return 0;
	}
	execvp(argv[i], argv + i);
	fprintf(stderr, "env: %s: %s\n", argv[i], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
