/*
 * profile: the sampling profiler (kernel/lib/profile.h), booted with
 * profile=200 (a sample every 200 us of each hart's timer). A process that
 * spins in one function finds its own samples in /proc/profile, user ones
 * with the pc inside that function, kernel ones (from a system-call loop)
 * with kernel addresses and a frame-pointer chain; the header's count
 * agrees with the lines; reads take the samples out of the buffers.
 */
/* pagoda-test: APPEND=profile=200 CPUS=2 */
#include "tap.h"

#include <fcntl.h>
#include <stdlib.h>

#define PLAN            9
#define SPIN_NS         (200 * 1000 * 1000L)    /* 0.2 s of spinning */
#define KERNEL_BASE     0xffffffc000000000UL    /* Sv39's upper half */

struct counts {
	long header_samples;    /* the header's "samples N" (-1: none) */
	long period_us;
	long lines, ours, user_in_spin, user_other, kernel, kernel_chain;
	long bad_kernel_pc;
};

static char *text;
static size_t text_len;

#define MAX_READS       64      /* a read takes at most 4096 samples */

/* /proc/profile read again and again (each read takes up to 4096
 * samples) until its header says none are left, all into text (grown
 * with realloc). Returns the reads made, or -1. */
static int read_profile(void)
{
	size_t cap = 1 << 16;
	int reads = 0;

	free(text);
	text = malloc(cap);
	text_len = 0;
	while (text != NULL && reads < MAX_READS) {
		int fd = open("/proc/profile", O_RDONLY);
		size_t start = text_len;
		ssize_t n;

		if (fd < 0)
			return -1;
		reads++;
		while ((n = read(fd, text + text_len,
				 cap - text_len - 1)) > 0) {
			text_len += (size_t)n;
			if (cap - text_len < 4096) {
				char *t = realloc(text, cap * 2);
				if (t == NULL) {
					close(fd);
					return -1;
				}
				text = t;
				cap *= 2;
			}
		}
		close(fd);
		text[text_len] = '\0';
		char *left = strstr(text + start, " left ");
		if (left == NULL || strtol(left + 6, NULL, 10) == 0)
			break;
	}
	return text != NULL ? reads : -1;
}

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

#define SPIN_BYTES      512     /* spin()'s code lies within this of it */

/* The function the samples must land in. */
static volatile unsigned long spin_sink;

__attribute__((noinline, aligned(64))) static void spin(long ns)
{
	long end = now_ns() + ns;

	while (now_ns() < end)
		for (int i = 0; i < 200000; i++)
			spin_sink += (unsigned long)i;
}

static void count(struct counts *c, pid_t me)
{
	unsigned long lo = (unsigned long)&spin, hi = lo + SPIN_BYTES;
	char *line = text, *next;

	memset(c, 0, sizeof(*c));
	c->header_samples = 0;
	for (; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (line[0] == '#') {
			char *p = strstr(line, "samples ");
			char *q = strstr(line, "period_us ");

			if (p != NULL)
				c->header_samples += strtol(p + 8, NULL, 10);
			if (q != NULL)
				c->period_us = strtol(q + 10, NULL, 10);
			continue;
		}
		int hart, pid, used = 0;
		char comm[32], mode;
		unsigned long pc;

		if (sscanf(line, "%d %d %31s %c %lx%n", &hart, &pid, comm,
			   &mode, &pc, &used) != 5)
			continue;
		c->lines++;
		if (pid != me)
			continue;
		c->ours++;
		if (mode == 'u') {
			if (pc >= lo && pc < hi)
				c->user_in_spin++;
			else
				c->user_other++;
		} else {
			c->kernel++;
			c->bad_kernel_pc += pc < KERNEL_BASE;
			c->kernel_chain += strchr(line + used, ' ') != NULL;
		}
	}
}

int main(void)
{
	struct counts c;
	pid_t me = getpid();

	tap_plan(PLAN);
	/* Empty the buffers: the boot's and the shell's samples go. */
	tap_ok(read_profile() > 0, "/proc/profile can be read");
	spin(SPIN_NS);
	for (long end = now_ns() + SPIN_NS; now_ns() < end;)
		(void)getppid();                /* time in the kernel too */
	int reads = read_profile();

	tap_ok(reads > 0, "read again after spinning (%d reads)", reads);
	count(&c, me);
	tap_ok(c.period_us == 200, "the header names the period (%ld us)",
	       c.period_us);
	tap_ok(c.header_samples == c.lines, "the headers' counts (%ld) add up "
	       "to the sample lines (%ld)", c.header_samples, c.lines);
	tap_ok(c.ours >= 100, "%ld samples of this process (pid %d), of %ld",
	       c.ours, (int)me, c.lines);
	/* Elsewhere: main's getppid loop and libc's wrappers. */
	tap_ok(c.user_in_spin > c.user_other,
	       "most user samples in spin(): %ld, elsewhere: %ld",
	       c.user_in_spin, c.user_other);
	tap_ok(c.kernel > 0 && c.bad_kernel_pc == 0,
	       "%ld kernel samples, every pc a kernel address", c.kernel);
	tap_ok(c.kernel_chain * 2 > c.kernel,
	       "%ld of %ld kernel samples carry callers (frame-pointer chain)",
	       c.kernel_chain, c.kernel);
	/* Reads take the samples out: right after, few are new. */
	long before = c.ours;

	read_profile();
	count(&c, me);
	tap_ok(c.ours * 4 < before, "a read right after finds %ld new samples "
	       "of this process (of %ld before)", c.ours, before);
	free(text);
	return tap_done();
}
