/*
 * persist: data stored through a MAP_SHARED mapping reaches the disk. Two
 * modes, for a check across a reboot (tests/run.py runs `write`, reboots,
 * then runs `check`):
 *   persist write FILE   create FILE, map it shared, store a pattern,
 *                        munmap, exit (no msync, no fsync)
 *   persist check FILE   read FILE with read() and verify size and pattern
 * Both print TAP. FILE is left in place (remove it after `check`).
 */
#include "tap.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define PLAN_WRITE      4
#define PLAN_CHECK      4
#define PAGE            4096L
#define PERSIST_BYTES   (9 * PAGE + 777)        /* ends inside a page */
#define EXIT_USAGE      2

/* The byte at offset off of the file. */
static unsigned char persist_byte(long off)
{
	return (unsigned char)((off * 131 + (off >> 12) * 29 + 0x5d) ^ (off >> 8));
}

static int do_write(const char *path)
{
	static const unsigned char zero[PAGE];
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	int ok = fd >= 0;

	tap_plan(PLAN_WRITE);
	for (long off = 0; ok && off < PERSIST_BYTES; off += PAGE) {
		long n = PERSIST_BYTES - off < PAGE ? PERSIST_BYTES - off : PAGE;
		ok = write(fd, zero, n) == n;
	}
	tap_ok(ok, "create %s with %ld zero bytes", path, PERSIST_BYTES);
	unsigned char *p = mmap(NULL, PERSIST_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!tap_ok(p != MAP_FAILED, "map it MAP_SHARED")) {
		tap_ok(0, "store the pattern (no mapping)");
		tap_ok(0, "munmap (no mapping)");
		return tap_done();
	}
	close(fd);
	for (long i = 0; i < PERSIST_BYTES; i++)
		p[i] = persist_byte(i);
	int same = 1;
	for (long i = 0; i < PERSIST_BYTES; i++)
		same &= p[i] == persist_byte(i);
	tap_ok(same, "store the pattern through the mapping");
	tap_is(munmap(p, PERSIST_BYTES), 0, "munmap, then exit without msync or fsync");
	return tap_done();
}

static int do_check(const char *path)
{
	static unsigned char buf[PERSIST_BYTES + PAGE];
	struct stat st;
	long got = 0, n, bad = -1;
	int fd = open(path, O_RDONLY);

	tap_plan(PLAN_CHECK);
	tap_ok(fd >= 0, "open %s", path);
	tap_ok(fd >= 0 && fstat(fd, &st) == 0 && st.st_size == PERSIST_BYTES,
	       "its size is %ld bytes", PERSIST_BYTES);
	while (fd >= 0 && got < (long)sizeof(buf) && (n = read(fd, buf + got, sizeof(buf) - got)) > 0)
		got += n;
	tap_is(got, PERSIST_BYTES, "read() returns the whole file");
	for (long i = 0; i < PERSIST_BYTES && bad < 0; i++)
		if (buf[i] != persist_byte(i))
			bad = i;
	if (!tap_ok(got == PERSIST_BYTES && bad < 0, "it holds the pattern stored through the mapping") &&
	    bad >= 0)
		tap_diag("  first wrong byte at offset %ld: %#x, expected %#x", bad,
			 bad >= 0 ? buf[bad] : 0, bad >= 0 ? persist_byte(bad) : 0);
	if (fd >= 0)
		close(fd);
	return tap_done();
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "write") == 0)
		return do_write(argv[2]);
	if (argc == 3 && strcmp(argv[1], "check") == 0)
		return do_check(argv[2]);
	tap_printf("usage: persist write|check FILE");
	return EXIT_USAGE;
}
