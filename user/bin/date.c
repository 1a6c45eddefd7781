/*
 * date: print the time of day in UTC, as `date -u` does
 * ("Wed Dec  2 09:55:12 UTC 2026"). The kernel reads it from the RTC at
 * boot (kernel/dev/rtc.c); Pagoda has no time zones.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	char buf[64];
	struct timespec ts;

	if (argc > 1 && strcmp(argv[1], "-u") != 0) {
		fprintf(stderr, "usage: date [-u]\n");
		return 1;
	}
	if (clock_gettime(CLOCK_REALTIME, &ts) < 0) {
		fprintf(stderr, "date: %s\n", strerror(errno));
		return 1;
	}
	strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S UTC %Y", gmtime(&ts.tv_sec));
	puts(buf);
	return 0;
}
