/* pwd: print the current directory. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PWD_PATH_MAX 4096

int main(void)
{
	char buf[PWD_PATH_MAX];

	if (getcwd(buf, sizeof(buf)) == NULL) {
		fprintf(stderr, "pwd: %s\n", strerror(errno));
		return 1;
	}
	puts(buf);
	return 0;
}
