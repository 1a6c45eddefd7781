/*
 * uname [-a|-s|-n|-r|-v|-m]: print system information (default: -s).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

int main(int argc, char **argv)
{
	struct utsname u;
	const char *fields[5];
	int want[5] = { 0 }, n = 0, first = 1;

	if (uname(&u) < 0) {
		fprintf(stderr, "uname: %s\n", strerror(errno));
		return 1;
	}
	fields[0] = u.sysname;
	fields[1] = u.nodename;
	fields[2] = u.release;
	fields[3] = u.version;
	fields[4] = u.machine;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		if (o[0] != '-') {
			fprintf(stderr, "usage: uname [-asnrvm]\n");
			return 1;
		}
		for (o++; *o; o++, n++) {
			const char *p = strchr("snrvm", *o);
			if (*o == 'a')
				for (int k = 0; k < 5; k++)
					want[k] = 1;
			else if (p)
				want[p - "snrvm"] = 1;
			else {
				fprintf(stderr, "usage: uname [-asnrvm]\n");
				return 1;
			}
		}
	}
	if (n == 0)
		want[0] = 1;
	for (int k = 0; k < 5; k++) {
		if (!want[k])
			continue;
		printf("%s%s", first ? "" : " ", fields[k]);
		first = 0;
	}
	putchar('\n');
	return 0;
}
