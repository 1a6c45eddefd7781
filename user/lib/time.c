/*
 * Time: clock_gettime (Linux clock ids, see our <time.h>),
 * gettimeofday, times, nanosleep, sleep, usleep.
 */
#include <errno.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>
#include "pagoda.h"

#define NSEC_PER_SEC 1000000000L
#define NSEC_PER_USEC 1000L
#define USEC_PER_SEC 1000000L

/* Our <time.h> uses the Linux clock ids, so they pass straight through. */
int clock_gettime(clockid_t id, struct timespec *ts)
{
	return (int)pg_sysret(pg_syscall2(SYS_clock_gettime, id, ts));
}

int gettimeofday(struct timeval *tv, void *tz)
{
	struct timespec ts;

	(void)tz;
	if (pg_sysret(pg_syscall2(SYS_clock_gettime, CLOCK_REALTIME, &ts)) < 0)
		return -1;
	if (tv) {
		tv->tv_sec = ts.tv_sec;
		tv->tv_usec = ts.tv_nsec / NSEC_PER_USEC;
	}
	return 0;
}

/* times(): CPU time from the process clock, in CLOCKS_PER_SEC ticks. */
clock_t times(struct tms *t)
{
	struct timespec cpu, now;

	if (pg_sysret(pg_syscall2(SYS_clock_gettime, CLOCK_MONOTONIC, &now)) < 0)
		return (clock_t)-1;
	if (pg_syscall2(SYS_clock_gettime, CLOCK_PROCESS_CPUTIME_ID, &cpu) < 0)
		cpu = now;
	if (t) {
		t->tms_utime = (clock_t)(cpu.tv_sec * CLOCKS_PER_SEC +
			cpu.tv_nsec / (NSEC_PER_SEC / CLOCKS_PER_SEC));
		t->tms_stime = 0;
		t->tms_cutime = 0;
		t->tms_cstime = 0;
	}
	return (clock_t)(now.tv_sec * CLOCKS_PER_SEC +
			 now.tv_nsec / (NSEC_PER_SEC / CLOCKS_PER_SEC));
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	return (int)pg_sysret(pg_syscall2(SYS_nanosleep, req, rem));
}

unsigned sleep(unsigned seconds)
{
	struct timespec req = { .tv_sec = seconds, .tv_nsec = 0 }, rem;

	if (nanosleep(&req, &rem) < 0)
		return (unsigned)rem.tv_sec + (rem.tv_nsec > 0);
	return 0;
}

int usleep(useconds_t usec)
{
	struct timespec req = {
		.tv_sec = (time_t)(usec / USEC_PER_SEC),
		.tv_nsec = (long)(usec % USEC_PER_SEC) * NSEC_PER_USEC,
	};

	return nanosleep(&req, NULL);
}
