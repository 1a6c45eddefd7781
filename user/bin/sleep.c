/*
 * sleep seconds: pause; seconds may have a fraction ("0.5").
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NSEC_PER_SEC 1000000000L

int main(int argc, char **argv)
{
	struct timespec ts;
	char *end;
	double secs;

	if (argc != 2 || (secs = strtod(argv[1], &end)) < 0 || *end) {
		fprintf(stderr, "usage: sleep seconds\n");
		return 1;
	}
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * NSEC_PER_SEC);
	while (nanosleep(&ts, &ts) < 0)
		;
	return 0;
}
