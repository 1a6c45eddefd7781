/*
 * dirseek: every directory type accepts every offset lseek allows.
 * For a procfs root, a /proc/<pid> directory, ext2 directories and /dev:
 * list the directory, then lseek to odd offsets (inside, between entries,
 * past the end, past 2^31 and 2^32) and call getdents64: no fault, no
 * panic, only names from the listing, end of directory past the end, and
 * each entry's d_off resumes the listing right after it.
 * Regression test procfs_readdir_odd_offset (issue 6: lseek(fd,
 * 0xffffff00) on /proc/<pid> then getdents64 panicked the kernel, and
 * 2^32 listed another table's names).
 */
#include "tap.h"

#include <fcntl.h>

#define BUF_BYTES       8192
#define MAX_NAMES       128
#define NAME_BYTES      64
#define DIRENT_HDR      19              /* d_ino, d_off, d_reclen, d_type */

struct linux_dirent64 {
	unsigned long d_ino;
	long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* The whole listing of one directory, in order. */
struct listing {
	int n;
	char names[MAX_NAMES][NAME_BYTES];
	long offs[MAX_NAMES];   /* d_off of each entry */
};

static const char *const dirs[] = { "/proc", "/proc/self", "/proc/1", "/", "/tests", "/dev" };
#define NDIRS ((int)(sizeof(dirs) / sizeof(dirs[0])))
#define PLAN  (NDIRS * 5)

/* Offsets inside or between entries: any result is fine if it names
 * entries of the listing. */
static const long odd_offsets[] = { 1, 3, 5, 7, 9, 11, 13, 100, 4095, 4096, 4097, 65535,
				    0x7fffffffL };
/* Offsets past the end of every directory here: end of directory. */
static const long far_offsets[] = { 0xffffff00L, 0xffffffffL, 0x100000000L,
				    0x100000002L, 0x100000009L, 0x10000000aL,
				    0x7fffffffffff0000L, 0x7fffffffffffffffL };

static char buf[BUF_BYTES] __attribute__((aligned(8)));
static struct listing full;

static long getdents(int fd)
{
	return tap_sys(SYS_getdents64, fd, buf, sizeof(buf));
}

static long seek(int fd, long off)
{
	return tap_sys(SYS_lseek, fd, off, SEEK_SET);
}

/* Call fn on each record of the n bytes in buf; stop if it returns 0.
 * Returns 0 if a record is malformed. */
static int each_record(long n, int (*fn)(const struct linux_dirent64 *, void *), void *arg)
{
	for (long pos = 0; pos < n;) {
		const struct linux_dirent64 *d = (const void *)(buf + pos);
		if (d->d_reclen < DIRENT_HDR + 1 || pos + d->d_reclen > n)
			return 0;
		if (!fn(d, arg))
			return 1;
		pos += d->d_reclen;
	}
	return 1;
}

static int add_name(const struct linux_dirent64 *d, void *arg)
{
	struct listing *l = arg;

	if (l->n < MAX_NAMES) {
		snprintf(l->names[l->n], NAME_BYTES, "%s", d->d_name);
		l->offs[l->n] = d->d_off;
		l->n++;
	}
	return 1;
}

/* Read the whole directory from offset 0. Returns 1 on success. */
static int list_all(int fd, struct listing *l)
{
	long n;

	l->n = 0;
	if (seek(fd, 0) != 0)
		return 0;
	while ((n = getdents(fd)) > 0)
		if (!each_record(n, add_name, l))
			return 0;
	return n == 0 && l->n >= 2;
}

static int in_listing(const char *name)
{
	for (int i = 0; i < full.n; i++)
		if (strcmp(full.names[i], name) == 0)
			return 1;
	return 0;
}

/* A record must name an entry of the full listing ("self" is there). */
static int check_known(const struct linux_dirent64 *d, void *arg)
{
	int *ok = arg;

	if (!in_listing(d->d_name)) {
		tap_diag("  unknown name \"%.40s\"", d->d_name);
		*ok = 0;
	}
	return 1;
}

static void test_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	int ok;

	if (!tap_ok(fd >= 0 && list_all(fd, &full), "%s: listed from offset 0", path)) {
		for (int i = 0; i < 4; i++)
			tap_ok(0, "%s: not listed", path);
		if (fd >= 0)
			close(fd);
		return;
	}

	ok = 1;
	for (unsigned i = 0; i < sizeof(odd_offsets) / sizeof(odd_offsets[0]); i++) {
		long n = seek(fd, odd_offsets[i]) == odd_offsets[i] ? getdents(fd) : -1;
		if (n < 0 || !each_record(n, check_known, &ok)) {
			tap_diag("  offset %#lx: getdents64 gave %ld", odd_offsets[i], n);
			ok = 0;
		}
	}
	tap_ok(ok, "procfs_readdir_odd_offset: %s at odd offsets lists only its own names", path);

	ok = 1;
	for (unsigned i = 0; i < sizeof(far_offsets) / sizeof(far_offsets[0]); i++) {
		long s = seek(fd, far_offsets[i]);
		long n = s == far_offsets[i] ? getdents(fd) : -1;
		if (n != 0) {
			tap_diag("  offset %#lx: lseek %ld, getdents64 %ld (expected 0)",
				 far_offsets[i], s, n);
			ok = 0;
		}
	}
	tap_ok(ok, "procfs_readdir_odd_offset: %s past 2^31 and 2^32 is the end", path);

	/* Resuming at each entry's d_off gives the next entry first. */
	ok = 1;
	for (int i = 0; i + 1 < full.n && ok; i++) {
		struct listing rest;
		long n = seek(fd, full.offs[i]) == full.offs[i] ? getdents(fd) : -1;
		rest.n = 0;
		if (n <= 0 || !each_record(n, add_name, &rest) || rest.n == 0 ||
		    strcmp(rest.names[0], full.names[i + 1]) != 0) {
			tap_diag("  d_off %#lx of \"%s\" does not resume at \"%s\"",
				 full.offs[i], full.names[i], full.names[i + 1]);
			ok = 0;
		}
	}
	tap_ok(ok, "%s: each d_off resumes right after its entry", path);

	long last = full.offs[full.n - 1];
	tap_ok(seek(fd, last) == last && getdents(fd) == 0,
	       "%s: the last entry's d_off is the end", path);
	close(fd);
}

int main(void)
{
	tap_plan(PLAN);
	for (int i = 0; i < NDIRS; i++)
		test_dir(dirs[i]);
	return tap_done();
}
