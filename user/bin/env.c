/*
 * env [NAME=value...] [command [args...]]: print the environment, or run
 * command with the assignments added to it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	int i = 1;

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
