/*
 * swapctl: swapon(2), swapoff(2) and the raw swap disk /dev/vdb (issue 7,
 * point 1). With nothing swapped: swapoff empties /proc/swaps and the
 * Swap lines of /proc/meminfo, swapon brings them back; the errors
 * (EBUSY, ENOTBLK, EINVAL, ENOENT, EFAULT); the raw node refuses writers
 * while it is the swap device and the root disk /dev/vda is read-only.
 * With swap off, the last MiB of /dev/vdb is written and read back in
 * multi-page (scatter-gather: a segment per page) and unaligned
 * (read-modify-write) transfers and then restored, the header never
 * touched (regression test raw_vdb_sg_integrity); a disk whose
 * SWAPSPACE2 signature is cleared is refused (EINVAL) and then put back;
 * swapon works after.
 */
#include "tap.h"
#include "meminfo.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/swap.h>

#define PLAN            53
#define SWAP_DEV        "/dev/vdb"
#define ROOT_DEV        "/dev/vda"
#define SWAPS_PATH      "/proc/swaps"
#define NOT_BLOCK_FILE  "/tests/swapctl"
#define CHAR_DEV        "/dev/null"
#define MISSING_PATH    "/dev/no-such-disk"
#define LX_ENOTBLK      15
#define LX_EBUSY        16
#define LX_ENOSPC       28
#define TEXT_MAX        2048
#define KB              1024L
#define PAGE            4096L
#define SECTOR          512L
#define HDR_MAGIC       "SWAPSPACE2"
#define HDR_MAGIC_OFF   4086
#define HDR_MAGIC_LEN   10
#define NOT_MAGIC       "NOTSWAP..."
#define EXT2_MAGIC_OFF  (1024 + 56)     /* s_magic in the superblock */
#define EXT2_MAGIC      0xef53
#define TAIL_BYTES      (1L << 20)      /* the region written: the last MiB */
#define BAD_FLAGS       0x80000         /* no SWAP_FLAG_* has this bit */
#define ODD_OFF         (PAGE + SECTOR + 3)     /* crosses segment edges */
#define ODD_LEN         (200 * KB + 77)
#define RMW_OFF         (4 * KB - 96)   /* a small write across a page */
#define RMW_LEN         1000L
#define SEED_A          0x5a
#define SEED_B          0xc3

static char swaps_text[TEXT_MAX];
static uint8_t saved[TAIL_BYTES];       /* the region before the test */
static uint8_t pattern[TAIL_BYTES];
static uint8_t readback[TAIL_BYTES];

static long read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	long n, got = 0;

	buf[0] = 0;
	if (fd < 0)
		return -1;
	while (got < (long)size - 1 && (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = 0;
	return got;
}

/* The Size column of /proc/swaps' line for name, or -1 without one. */
static long swaps_size(const char *name)
{
	char dev[64], type[32];
	long size, used, prio;
	const char *line;

	if (read_text(SWAPS_PATH, swaps_text, sizeof(swaps_text)) <= 0)
		return -1;
	for (line = strchr(swaps_text, '\n'); line && line[1]; line = strchr(line + 1, '\n'))
		if (sscanf(line + 1, "%63s %31s %ld %ld %ld", dev, type, &size, &used, &prio) == 5 &&
		    strcmp(dev, name) == 0 && strcmp(type, "partition") == 0)
			return size;
	return -1;
}

/* Device lines of /proc/swaps (all but the header). */
static int swaps_lines(void)
{
	int n = 0;

	if (read_text(SWAPS_PATH, swaps_text, sizeof(swaps_text)) <= 0)
		return -1;
	for (const char *p = strchr(swaps_text, '\n'); p && p[1]; p = strchr(p + 1, '\n'))
		n++;
	return n;
}

static long swap_total_kb(void)
{
	struct meminfo m;

	if (meminfo_read(&m) < 0)
		return -1;
	return meminfo_field(meminfo_text, "SwapTotal", 0);
}

static long swap_free_kb(void)
{
	struct meminfo m;

	if (meminfo_read(&m) < 0)
		return -1;
	return meminfo_field(meminfo_text, "SwapFree", 0);
}

static long sys_swapon(const void *path, long flags)
{
	return tap_sys(SYS_swapon, path, flags, 0);
}

static long sys_swapoff(const void *path)
{
	return tap_sys(SYS_swapoff, path, 0, 0);
}

/* -errno of open(path, flags), or 0 after closing the fd it gave. */
static int open_err(const char *path, int flags)
{
	int fd = open(path, flags);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* The byte the pattern with seed puts at disk offset off. */
static uint8_t pattern_byte(uint64_t off, unsigned seed)
{
	uint32_t x = (uint32_t)off ^ (uint32_t)(off >> 32) ^ (seed * 0x9e3779b9u);

	x *= 0x85ebca6bu;
	x ^= x >> 13;
	x *= 0xc2b2ae35u;
	return (uint8_t)(x >> 24);
}

/* The first offset in [0, len) where a and b differ, or -1. */
static long first_diff(const uint8_t *a, const uint8_t *b, long len)
{
	for (long i = 0; i < len; i++)
		if (a[i] != b[i])
			return i;
	return -1;
}

/* pread/pwrite the whole of len bytes (several calls if short). */
static long full_pio(int fd, void *buf, long len, off_t off, int write_it)
{
	long done = 0;

	while (done < len) {
		long n = write_it ? pwrite(fd, (char *)buf + done, len - done, off + done)
				  : pread(fd, (char *)buf + done, len - done, off + done);
		if (n <= 0)
			return done > 0 ? done : n;
		done += n;
	}
	return done;
}

/* Run prog with one argument; its exit status, or -1. */
static int run_prog(const char *prog, const char *arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		char *argv[] = { (char *)prog, (char *)arg, NULL };
		char *envp[] = { NULL };
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 2);
		execve(prog, argv, envp);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Swap on: the raw node reads, refuses writers; the errors of swapon and
 * swapoff. Returns the swap size in kB (-1 if swap was not on). */
static long test_swap_on_errors(void)
{
	long size = swaps_size(SWAP_DEV), total = swap_total_kb();
	char hdr[PAGE];
	uint16_t magic = 0;
	int fd;

	tap_ok(size > 0 && total == size, "swap on at start: %s in /proc/swaps, %ld kB = SwapTotal %ld",
	       SWAP_DEV, size, total);
	fd = open(SWAP_DEV, O_RDONLY);
	tap_ok(fd >= 0 && pread(fd, hdr, sizeof(hdr), 0) == PAGE &&
	       memcmp(hdr + HDR_MAGIC_OFF, HDR_MAGIC, HDR_MAGIC_LEN) == 0,
	       "%s opens read-only while swap is on; page 0 ends in SWAPSPACE2", SWAP_DEV);
	if (fd >= 0)
		close(fd);
	tap_is(open_err(SWAP_DEV, O_RDWR), -LX_EBUSY, "open(%s, O_RDWR) while it is swap: EBUSY", SWAP_DEV);
	tap_is(open_err(SWAP_DEV, O_WRONLY), -LX_EBUSY, "open(%s, O_WRONLY) while it is swap: EBUSY", SWAP_DEV);
	fd = open(ROOT_DEV, O_RDONLY);
	tap_ok(fd >= 0 && pread(fd, &magic, sizeof(magic), EXT2_MAGIC_OFF) == sizeof(magic) &&
	       magic == EXT2_MAGIC, "%s (the root disk) reads: ext2 magic 0x%x", ROOT_DEV, magic);
	if (fd >= 0)
		close(fd);
	tap_is(open_err(ROOT_DEV, O_RDWR), -LX_EBUSY, "open(%s, O_RDWR) of the mounted root disk: EBUSY",
	       ROOT_DEV);
	tap_is(sys_swapon(SWAP_DEV, 0), -LX_EBUSY, "swapon(%s) while it is on: EBUSY", SWAP_DEV);
	tap_is(sys_swapon(NOT_BLOCK_FILE, 0), -LX_ENOTBLK, "swapon(a regular file): ENOTBLK");
	tap_is(sys_swapon(CHAR_DEV, 0), -LX_ENOTBLK, "swapon(%s, a character device): ENOTBLK", CHAR_DEV);
	tap_is(sys_swapon(MISSING_PATH, 0), -LX_ENOENT, "swapon(a missing path): ENOENT");
	tap_is(sys_swapon(SWAP_DEV, BAD_FLAGS), -LX_EINVAL, "swapon with an unknown flag: EINVAL");
	tap_is(sys_swapoff(NOT_BLOCK_FILE), -LX_EINVAL, "swapoff(a regular file): EINVAL");
	tap_is(sys_swapoff(ROOT_DEV), -LX_EINVAL, "swapoff(%s, not the swap device): EINVAL", ROOT_DEV);
	tap_is(sys_swapoff(MISSING_PATH), -LX_ENOENT, "swapoff(a missing path): ENOENT");
	for (int i = 0; i < TAP_BAD_ADDR_MAX; i++) {
		long on = sys_swapon(tap_bad_addrs[i], 0), off = sys_swapoff(tap_bad_addrs[i]);

		tap_ok(on == -LX_EFAULT && off == -LX_EFAULT, "swapon/swapoff(%s): EFAULT (%ld, %ld)",
		       tap_bad_names[i], on, off);
	}
	tap_ok(swaps_size(SWAP_DEV) == size && swap_total_kb() == total,
	       "after the refusals swap is still on, unchanged");
	return size;
}

/* Swap off: /proc/swaps and meminfo say so; the root disk cannot become
 * swap; a writer of the raw node keeps swapon out. */
static void test_swap_off_state(void)
{
	int fd;

	tap_is(sys_swapoff(SWAP_DEV), 0, "swapoff(%s) with nothing swapped: 0", SWAP_DEV);
	tap_ok(swaps_lines() == 0 && strncmp(swaps_text, "Filename", 8) == 0,
	       "/proc/swaps: the header line alone");
	tap_ok(swap_total_kb() == 0 && swap_free_kb() == 0, "SwapTotal and SwapFree 0 kB");
	tap_is(sys_swapoff(SWAP_DEV), -LX_EINVAL, "swapoff again: EINVAL (not a swap device now)");
	tap_is(sys_swapon(ROOT_DEV, 0), -LX_EBUSY, "swapon(%s, the mounted root disk): EBUSY", ROOT_DEV);
	fd = open(SWAP_DEV, O_RDWR);
	tap_ok(fd >= 0, "with swap off %s opens for writing", SWAP_DEV);
	tap_is(sys_swapon(SWAP_DEV, 0), -LX_EBUSY, "swapon while %s is open for writing: EBUSY", SWAP_DEV);
	if (fd >= 0)
		close(fd);
	tap_ok(swap_total_kb() == 0, "the refused swapon left swap off");
}

/* Write pattern seed over len bytes at disk offset base of fd in one
 * write(), read it back in one read() and compare. */
static void check_big_rw(int fd, off_t base, long len, unsigned seed)
{
	long d;

	for (long i = 0; i < len; i++)
		pattern[i] = pattern_byte((uint64_t)(base + i), seed);
	tap_ok(lseek(fd, base, SEEK_SET) == base && write(fd, pattern, len) == len,
	       "one write() of %ld KiB at the last MiB (a segment per page)", len / KB);
	memset(readback, 0, len);
	tap_ok(lseek(fd, base, SEEK_SET) == base && read(fd, readback, len) == len,
	       "one read() of it back");
	d = first_diff(pattern, readback, len);
	if (!tap_ok(d < 0, "raw_vdb_sg_integrity: every byte as written"))
		tap_diag("first difference at +%ld: wrote 0x%02x read 0x%02x", d, pattern[d], readback[d]);
}

/* Reads at offsets and lengths that do not match the write's pages, one
 * sector at a time, and a small unaligned write (read-modify-write). */
static void check_odd_transfers(int fd, off_t base)
{
	long d, bad = 0;
	uint8_t sector[SECTOR];

	memset(readback, 0, ODD_LEN);
	tap_is(full_pio(fd, readback, ODD_LEN, base + ODD_OFF, 0), ODD_LEN,
	       "pread of %ld bytes at +%ld (unaligned)", ODD_LEN, ODD_OFF);
	d = first_diff(pattern + ODD_OFF, readback, ODD_LEN);
	if (!tap_ok(d < 0, "unaligned read matches the pattern across segment edges"))
		tap_diag("first difference at +%ld", ODD_OFF + d);
	for (long off = 0; off < 64 * KB; off += SECTOR)
		if (pread(fd, sector, SECTOR, base + off) != SECTOR ||
		    first_diff(pattern + off, sector, SECTOR) >= 0)
			bad++;
	tap_is(bad, 0, "128 one-sector preads (one segment each) match");

	for (long i = 0; i < RMW_LEN; i++)
		pattern[RMW_OFF + i] = pattern_byte((uint64_t)(base + RMW_OFF + i), SEED_B);
	tap_is(pwrite(fd, pattern + RMW_OFF, RMW_LEN, base + RMW_OFF), RMW_LEN,
	       "pwrite of %ld bytes at +%ld (inside sectors: read-modify-write)", RMW_LEN, RMW_OFF);
	memset(readback, 0, 16 * KB);
	tap_ok(full_pio(fd, readback, 16 * KB, base, 0) == 16 * KB &&
	       first_diff(pattern, readback, 16 * KB) < 0,
	       "the 16 KiB around it: new bytes inside, old bytes on both sides");
}

/* The end of the disk: short read, EOF, ENOSPC. */
static void check_disk_end(int fd, off_t size)
{
	char buf[PAGE];

	tap_is(pread(fd, buf, PAGE, size - SECTOR), SECTOR, "pread across the end: the last sector only");
	tap_is(pread(fd, buf, PAGE, size), 0, "pread at the end: 0");
	errno = 0;
	tap_ok(pwrite(fd, buf, SECTOR, size) == -1 && errno == LX_ENOSPC,
	       "pwrite at the end: ENOSPC");
}

/* With swap off: the last MiB of the raw disk, then put it back. */
static void test_raw_disk(long swap_kb)
{
	off_t size = (off_t)(swap_kb + PAGE / KB) * KB;     /* the header page too */
	off_t base = size - TAIL_BYTES;
	int fd = open(SWAP_DEV, O_RDWR);

	tap_ok(fd >= 0 && lseek(fd, 0, SEEK_END) == size,
	       "lseek(SEEK_END) of %s: %ld bytes (swap size + the header page)", SWAP_DEV, (long)size);
	if (fd < 0)
		return;
	tap_ok(full_pio(fd, saved, TAIL_BYTES, base, 0) == TAIL_BYTES, "save the last MiB");
	check_big_rw(fd, base, TAIL_BYTES, SEED_A);
	check_odd_transfers(fd, base);
	check_disk_end(fd, size);
	tap_ok(full_pio(fd, saved, TAIL_BYTES, base, 1) == TAIL_BYTES &&
	       full_pio(fd, readback, TAIL_BYTES, base, 0) == TAIL_BYTES &&
	       first_diff(saved, readback, TAIL_BYTES) < 0, "the last MiB restored");
	close(fd);
}

/* A disk without the mkswap signature is no swap area: EINVAL, nothing
 * claimed. The signature is written back only if it was read intact. */
static void test_bad_header(void)
{
	char magic[HDR_MAGIC_LEN];
	int fd = open(SWAP_DEV, O_RDWR);
	int cleared = fd >= 0 && pread(fd, magic, HDR_MAGIC_LEN, HDR_MAGIC_OFF) == HDR_MAGIC_LEN &&
		      memcmp(magic, HDR_MAGIC, HDR_MAGIC_LEN) == 0 &&
		      pwrite(fd, NOT_MAGIC, HDR_MAGIC_LEN, HDR_MAGIC_OFF) == HDR_MAGIC_LEN;

	if (fd >= 0)
		close(fd);
	tap_ok(cleared, "clear the SWAPSPACE2 signature (10 bytes inside a sector)");
	tap_is(sys_swapon(SWAP_DEV, 0), -LX_EINVAL, "swapon of a disk without the signature: EINVAL");
	tap_ok(swap_total_kb() == 0 && open_err(SWAP_DEV, O_WRONLY) == 0,
	       "swap stays off and the disk is not left claimed");
	fd = cleared ? open(SWAP_DEV, O_RDWR) : -1;
	tap_ok(fd >= 0 && pwrite(fd, HDR_MAGIC, HDR_MAGIC_LEN, HDR_MAGIC_OFF) == HDR_MAGIC_LEN,
	       "the signature written back");
	if (fd >= 0)
		close(fd);
}

/* Swap back on, by the system call and by the programs. */
static void test_swap_back(long size)
{
	tap_is(sys_swapon(SWAP_DEV, 0), 0, "swapon(%s) after the raw writes: 0 (the header is intact)",
	       SWAP_DEV);
	tap_ok(swaps_size(SWAP_DEV) == size && swap_total_kb() == size && swap_free_kb() == size,
	       "/proc/swaps, SwapTotal and SwapFree back to %ld kB", size);
	tap_is(open_err(SWAP_DEV, O_WRONLY), -LX_EBUSY, "the raw node refuses writers again");
	tap_is(run_prog("/bin/swapoff", SWAP_DEV), 0, "swapoff %s (the program) exits 0", SWAP_DEV);
	tap_ok(swaps_lines() == 0 && swap_total_kb() == 0, "and swap is off");
	tap_is(run_prog("/bin/swapon", SWAP_DEV), 0, "swapon %s (the program) exits 0", SWAP_DEV);
	tap_ok(swaps_size(SWAP_DEV) == size && swap_total_kb() == size, "and swap is on");
	tap_is(run_prog("/bin/swapon", SWAP_DEV), 1, "swapon %s again exits 1 (EBUSY)", SWAP_DEV);
	tap_is(run_prog("/bin/swapon", "-s"), 0, "swapon -s exits 0");
}

int main(void)
{
	long size;

	tap_plan(PLAN);
	size = test_swap_on_errors();
	if (size <= 0) {
		tap_diag("swap is not on: nothing more to test");
		return 1;
	}
	test_swap_off_state();
	test_raw_disk(size);
	test_bad_header();
	test_swap_back(size);
	return tap_done();
}
