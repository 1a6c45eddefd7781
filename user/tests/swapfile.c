/* pagoda-test: MEM=24M TIMEOUT=600 */
/*
 * swapfile (issue 7): a file larger than RAM, written with write(), read
 * back with read(), then mapped MAP_SHARED and checked in random order;
 * stores to every eighth page through the mapping reach the file (read()
 * after munmap sees them, the other pages unchanged); then unlinked. The
 * page cache cannot hold the file, so clean pages must be dropped and
 * dirty ones written back under pressure. MEM=24M (a 27 MiB file) because
 * the root file system (mkfs/mkimage.sh FS_SIZE 64M) has about 33 MiB
 * free now; at MEM=32M the 35 MiB file filled the disk (ENOSPC).
 *
 *   swapfile [-r MIB]    size by MIB of RAM instead of MemTotal
 */
#include "swaputil.h"

#include <fcntl.h>
#include <sys/stat.h>

#define PLAN            7
#define EXTRA_MIB       4               /* the file: RAM + 4 MiB */
#define CHUNK_PAGES     16              /* pages a read() or write() */
#define MAP_ONE_IN      8               /* pages stored through the map */
#define SEED_FILE       0x46494c45ULL   /* "FILE" */
#define SEED_MAP        0x4d415050ULL   /* "MAPP" */

enum { WROTE, READ_BACK, MAPPED, STORED };

static char chunk[CHUNK_PAGES * SWPT_PAGE];
static char path[64];

static uint64_t seed_after(long i)
{
	return i % MAP_ONE_IN == 0 ? SEED_MAP : SEED_FILE;
}

/* read() the file against seed_of(page) and send the result as `what`. */
static void read_check(int out, int fd, long npages, int what, uint64_t (*seed_of)(long))
{
	struct swpt_rec r = { .what = what };

	for (long i = 0; i < npages; i += CHUNK_PAGES) {
		long k = npages - i < CHUNK_PAGES ? npages - i : CHUNK_PAGES;
		if (pread(fd, chunk, k * SWPT_PAGE, i * SWPT_PAGE) != k * SWPT_PAGE) {
			swpt_send_error(out, 0, what);
			_exit(2);
		}
		for (long j = 0; j < k; j++)
			swpt_note(&r, chunk + j * SWPT_PAGE, i + j, seed_of(i + j));
	}
	swpt_send(out, &r);
}

static uint64_t seed_file(long i)
{
	(void)i;
	return SEED_FILE;
}

static void __attribute__((noreturn)) worker(int out, long npages)
{
	struct swpt_rec r = { .what = WROTE };
	struct swpt_walk wk;
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
	long i;

	if (fd < 0) {
		swpt_send_error(out, 0, WROTE);
		_exit(2);
	}
	for (i = 0; i < npages; i += CHUNK_PAGES) {
		long k = npages - i < CHUNK_PAGES ? npages - i : CHUNK_PAGES;
		for (long j = 0; j < k; j++)
			swpt_fill(chunk + j * SWPT_PAGE, i + j, SEED_FILE);
		if (write(fd, chunk, k * SWPT_PAGE) != k * SWPT_PAGE) {
			swpt_send_error(out, 0, WROTE);
			_exit(2);
		}
		r.pages += k;
	}
	swpt_send(out, &r);
	read_check(out, fd, npages, READ_BACK, seed_file);

	char *base = mmap(NULL, npages * SWPT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		swpt_send_error(out, 0, MAPPED);
		_exit(2);
	}
	r = (struct swpt_rec){ .what = MAPPED };
	swpt_walk_init(&wk, npages, SEED_FILE);
	while ((i = swpt_walk_next(&wk)) >= 0)
		swpt_note(&r, SWPT_AT(base, i), i, SEED_FILE);
	swpt_send(out, &r);
	for (i = 0; i < npages; i += MAP_ONE_IN)
		swpt_fill(SWPT_AT(base, i), i, SEED_MAP);
	if (munmap(base, npages * SWPT_PAGE) != 0) {
		swpt_send_error(out, 0, STORED);
		_exit(2);
	}
	read_check(out, fd, npages, STORED, seed_after);
	close(fd);
	_exit(0);
}

int main(int argc, char **argv)
{
	static struct swpt_rec recs[SWPT_MAX_RECS];
	struct stat st;
	int p[2], status = -1, n;

	tap_plan(PLAN);
	long ram = swpt_ram_pages(argc, argv);
	long mib = (ram + SWPT_MIB_PAGES - 1) / SWPT_MIB_PAGES + EXTRA_MIB;
	long npages = mib * SWPT_MIB_PAGES;
	snprintf(path, sizeof(path), "/tmp/swapfile-%d", (int)getpid());
	tap_ok(ram > 0 && npages > ram, "a file of %ld MiB, RAM %ld MiB", mib,
	       ram / SWPT_MIB_PAGES);

	if (pipe(p) != 0)
		return tap_done();
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		worker(p[1], npages);
	}
	close(p[1]);
	n = swpt_collect(p[0], recs, SWPT_MAX_RECS);
	close(p[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		status = -1;
	if (!tap_ok(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "the worker ran to its end"))
		swpt_describe("the worker", status);
	swpt_ok(recs, n, 0, WROTE, npages, "wrote the file with write()");
	swpt_ok(recs, n, 0, READ_BACK, npages, "read() gives every page back intact");
	swpt_ok(recs, n, 0, MAPPED, npages, "mapped MAP_SHARED: every page intact in random order");
	swpt_ok(recs, n, 0, STORED, npages,
		"stores to every 8th page through the map reach the file, the rest unchanged");
	int gone = unlink(path) == 0 && stat(path, &st) != 0 && errno == ENOENT;
	tap_ok(gone, "unlinked: %s is gone", path);
	swpt_drain();
	return tap_done();
}
