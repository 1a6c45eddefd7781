/*
 * integrity: nothing a program does corrupts a file (issue 6). A write()
 * from a bad pointer leaves the inode as it was, on disk too
 * (badwrite_no_double_free); stores past the end of a file through a
 * shared mapping never become file data (shared_map_zero_past_eof); a
 * store into a hole of a shared mapping on a full disk is the store's
 * SIGBUS, not a lost write-back (full_disk_sigbus); a running program
 * cannot be opened for writing or truncated, and a file open for writing
 * cannot be run (etxtbsy). The runner's e2fsck -fn checks the disk after.
 * Children report through exit codes; only the parent prints TAP.
 */
#include "tap.h"

#include <fcntl.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define PLAN            31
#define PAGE            4096L
#define BLOCK_SECTORS   8               /* one 4 KiB ext2 block in st_blocks */
#define BAD_ROUNDS      40
#define EOF_SIZE        100             /* the test file ends inside page 0 */
#define STORE_BYTE      0xab
#define FILL_CHUNK      (256 * 1024)
#define FILL_FILE_MAX   (8L << 20)      /* bytes per filler file */
#define FILL_FILES_MAX  64
#define HOLE_SIZE       (64 * PAGE)
#define CHILD_OK        0
#define CHILD_EXIT      7
#define COPY_BUF        8192

static char dir[64];

static const char *path_of(const char *name)
{
	return tap_path(dir, name);
}

static long blocks_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_blocks : -1;
}

static long size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* ------------------------------------------- badwrite_no_double_free */

/* A failed write() into a new file: the inode stays empty on disk, so a
 * reload (after close) finds no block to free a second time. */
static void test_badwrite(void)
{
	int bad_size = 0, bad_blocks = 0, bad_ret = 0, reuse = 0;

	for (int i = 0; i < BAD_ROUNDS; i++) {
		const char *p = path_of("bad");
		void *ptr = tap_bad_addrs[i % TAP_BAD_ADDR_MAX];
		int fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, 0644);
		long r = tap_sys(SYS_write, fd, ptr, PAGE + 10);

		bad_ret += r != -LX_EFAULT;
		close(fd);
		/* The vnode is gone: stat reads the inode back. */
		bad_size += size_of(p) != 0;
		bad_blocks += blocks_of(p) != 0;
		fd = open(p, O_WRONLY);
		char data[EOF_SIZE];
		memset(data, i, sizeof(data));
		reuse += write(fd, data, sizeof(data)) != (ssize_t)sizeof(data);
		close(fd);
		unlink(p);
	}
	tap_is(bad_ret, 0, "badwrite_no_double_free: write() from a bad pointer is EFAULT");
	tap_is(bad_size, 0, "badwrite_no_double_free: the file stays empty");
	tap_is(bad_blocks, 0, "badwrite_no_double_free: no block stays in the inode on disk");
	tap_is(reuse, 0, "badwrite_no_double_free: the file is written after");
}

/* A buffer whose second page is unmapped: the write stops at the hole. */
static void test_badwrite_straddle(void)
{
	const char *p = path_of("straddle");
	char *buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = open(p, O_CREAT | O_TRUNC | O_RDWR, 0644);

	memset(buf, 'x', PAGE);
	munmap(buf + PAGE, PAGE);
	long r = tap_sys(SYS_write, fd, buf + PAGE - 100, 200);
	close(fd);
	long want_blocks = r > 0 ? BLOCK_SECTORS : 0;
	tap_ok(r == -LX_EFAULT || r == 100,
	       "badwrite_no_double_free: a write straddling a hole is short or EFAULT (%ld)", r);
	tap_is(size_of(p), r > 0 ? r : 0, "badwrite_no_double_free: the size is what was written");
	tap_is(blocks_of(p), want_blocks,
	       "badwrite_no_double_free: the blocks are what was written");
	munmap(buf, PAGE);
	unlink(p);
}

/* ------------------------------------------ shared_map_zero_past_eof */

/* A file of EOF_SIZE bytes mapped shared, STORE_BYTE stored over the rest
 * of its page. Returns the fd, the mapping in *map. */
static int eof_setup(const char *p, unsigned char **map)
{
	unsigned char data[EOF_SIZE];
	int fd = open(p, O_CREAT | O_TRUNC | O_RDWR, 0644);

	memset(data, 1, sizeof(data));
	if (fd < 0 || write(fd, data, sizeof(data)) != (ssize_t)sizeof(data))
		return -1;
	*map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (*map == MAP_FAILED)
		return -1;
	memset(*map + EOF_SIZE, STORE_BYTE, PAGE - EOF_SIZE);
	return fd;
}

/* Bytes in [EOF_SIZE, PAGE) of the file that are not zero (-1: no read). */
static long eof_nonzero(int fd)
{
	unsigned char buf[PAGE];
	long bad = 0;

	if (pread(fd, buf, PAGE, 0) != PAGE)
		return -1;
	for (long i = EOF_SIZE; i < PAGE; i++)
		bad += buf[i] != 0;
	return bad;
}

static void test_zero_past_eof(void)
{
	const char *p = path_of("eof");
	unsigned char *map = NULL;
	unsigned char one = 2;
	int fd;

	fd = eof_setup(p, &map);
	tap_ok(fd >= 0 && ftruncate(fd, PAGE) == 0 && eof_nonzero(fd) == 0,
	       "shared_map_zero_past_eof: ftruncate up reads zeroes past the old end");
	munmap(map, PAGE);
	close(fd);

	fd = eof_setup(p, &map);
	tap_ok(fd >= 0 && pwrite(fd, &one, 1, 2 * PAGE) == 1 && eof_nonzero(fd) == 0,
	       "shared_map_zero_past_eof: pwrite past the end reads zeroes past the old end");
	munmap(map, PAGE);
	close(fd);

	fd = eof_setup(p, &map);
	tap_ok(fd >= 0 && msync(map, PAGE, MS_SYNC) == 0,
	       "shared_map_zero_past_eof: msync of the page");
	munmap(map, PAGE);
	close(fd);
	/* The vnode and its pages are gone: the growth reads the disk block. */
	fd = open(p, O_RDWR);
	tap_ok(fd >= 0 && size_of(p) == EOF_SIZE && ftruncate(fd, PAGE) == 0 &&
	       eof_nonzero(fd) == 0,
	       "shared_map_zero_past_eof: msync wrote no byte past the end to disk");
	close(fd);
	unlink(p);
}

/* -------------------------------------------------- full_disk_sigbus */

/* Fill the disk with files of written data; returns how many. */
static int fill_disk(char *chunk)
{
	int nfiles = 0;
	bool full = false;

	memset(chunk, 'f', FILL_CHUNK);
	while (!full && nfiles < FILL_FILES_MAX) {
		char name[32];
		snprintf(name, sizeof(name), "fill-%d", nfiles++);
		int fd = open(path_of(name), O_CREAT | O_TRUNC | O_WRONLY, 0644);
		if (fd < 0)
			break;
		for (long done = 0; done < FILL_FILE_MAX; done += FILL_CHUNK) {
			if (write(fd, chunk, FILL_CHUNK) != FILL_CHUNK) {
				full = true;
				break;
			}
		}
		close(fd);
	}
	/* Whatever single blocks are left. */
	int fd = open(path_of("fill-last"), O_CREAT | O_TRUNC | O_WRONLY, 0644);
	while (fd >= 0 && write(fd, chunk, PAGE) == PAGE)
		;
	close(fd);
	return nfiles;
}

static void unfill_disk(int nfiles)
{
	char name[32];

	for (int i = 0; i < nfiles; i++) {
		snprintf(name, sizeof(name), "fill-%d", i);
		unlink(path_of(name));
	}
	unlink(path_of("fill-last"));
}

static unsigned char *hole_map;

/* A read of the hole, then a store into it: SIGBUS on a full disk. */
static void store_into_hole(void *arg)
{
	long page = (long)arg;
	volatile unsigned char *m = hole_map + page * PAGE;

	if (m[0] != 0)
		_exit(3);
	m[1] = STORE_BYTE;
	_exit(CHILD_OK);
}

static void test_full_disk(void)
{
	char p[96];
	strlcpy(p, path_of("hole"), sizeof(p));
	char *chunk = malloc(FILL_CHUNK);
	int fd = open(p, O_CREAT | O_TRUNC | O_RDWR, 0644);

	tap_ok(fd >= 0 && chunk != NULL && ftruncate(fd, HOLE_SIZE) == 0,
	       "full_disk_sigbus: a sparse file");
	hole_map = mmap(NULL, HOLE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	tap_ok(hole_map != MAP_FAILED, "full_disk_sigbus: mapped shared");
	int nfiles = fill_disk(chunk);
	unsigned char c = 1;
	long r = tap_sys6(SYS_pwrite64, fd, (long)&c, 1, 5 * PAGE, 0, 0);
	tap_is(r, -28, "full_disk_sigbus: the disk is full (pwrite into a hole: ENOSPC)");
	int st = tap_in_child(store_into_hole, (void *)2L);
	tap_killed_by(st, SIGBUS, "full_disk_sigbus: a store into a hole gets SIGBUS");
	tap_ok(msync(hole_map, HOLE_SIZE, MS_SYNC) == 0 && fsync(fd) == 0,
	       "full_disk_sigbus: msync and fsync lose nothing");
	unfill_disk(nfiles);
	st = tap_in_child(store_into_hole, (void *)2L);
	tap_exited_with(st, CHILD_OK, "full_disk_sigbus: with room again the store works");
	tap_ok(msync(hole_map, HOLE_SIZE, MS_SYNC) == 0 && hole_map[2 * PAGE + 1] == STORE_BYTE &&
	       blocks_of(p) == BLOCK_SECTORS,
	       "full_disk_sigbus: the stored page has its block (%ld sectors)", blocks_of(p));
	munmap(hole_map, HOLE_SIZE);
	close(fd);
	unlink(p);
	free(chunk);
}

/* ------------------------------------------------------------ etxtbsy */

/* Copy the running program to dst (mode 0755). 0 or -1. */
static int copy_file(const char *src, const char *dst)
{
	char buf[COPY_BUF];
	int in = open(src, O_RDONLY), out = open(dst, O_CREAT | O_TRUNC | O_WRONLY, 0755);
	ssize_t n = 0;

	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			n = -1;
	close(in);
	close(out);
	return in >= 0 && out >= 0 && n == 0 ? 0 : -1;
}

static const char *child_prog;

static void exec_child(void *arg)
{
	char *argv[] = { (char *)child_prog, arg, NULL };
	char *envp[] = { NULL };

	execve(child_prog, argv, envp);
	_exit(errno == ETXTBSY ? 100 + ETXTBSY : 99);
}

static void test_etxtbsy(const char *self)
{
	long size = size_of(self);

	tap_errno(open(self, O_WRONLY), ETXTBSY, "etxtbsy: open of the running program for writing");
	tap_errno(open(self, O_RDWR | O_TRUNC), ETXTBSY, "etxtbsy: O_RDWR|O_TRUNC of it");
	tap_errno(truncate(self, 0), ETXTBSY, "etxtbsy: truncate() of it");
	tap_ok(size > 0 && size_of(self) == size, "etxtbsy: its size is unchanged (%ld)", size);
	int fd = open(self, O_RDONLY);
	tap_ok(fd >= 0, "etxtbsy: open for reading works");
	close(fd);

	static char copy[96];
	strlcpy(copy, path_of("prog"), sizeof(copy));
	child_prog = copy;
	tap_ok(copy_file(self, copy) == 0, "etxtbsy: a copy of the program");
	fd = open(copy, O_WRONLY);
	int st = tap_in_child(exec_child, "--exit");
	tap_exited_with(st, 100 + ETXTBSY, "etxtbsy: execve of a file open for writing");
	close(fd);
	st = tap_in_child(exec_child, "--exit");
	tap_exited_with(st, CHILD_EXIT, "etxtbsy: after close it runs");
	tap_ok((fd = open(copy, O_WRONLY)) >= 0, "etxtbsy: and its end allows writes again");
	close(fd);

	int pfd[2];
	pipe(pfd);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		exec_child("--sleep");
	}
	close(pfd[1]);
	char c = 0;
	tap_ok(read(pfd[0], &c, 1) == 1 && c == 'r', "etxtbsy: a child runs the copy");
	tap_errno(open(copy, O_WRONLY | O_TRUNC), ETXTBSY, "etxtbsy: open of the copy it runs");
	tap_errno(truncate(copy, 0), ETXTBSY, "etxtbsy: truncate of the copy it runs");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	close(pfd[0]);
	tap_ok((fd = open(copy, O_WRONLY | O_TRUNC)) >= 0 && size_of(copy) == 0,
	       "etxtbsy: once it is reaped the file can be truncated");
	close(fd);
	unlink(copy);
}

/* The roles the program plays when it runs its own copy. */
static int child_role(const char *role)
{
	if (strcmp(role, "--exit") == 0)
		return CHILD_EXIT;
	if (strcmp(role, "--sleep") == 0) {
		if (write(1, "r", 1) != 1)
			return 1;
		for (;;)
			sleep(1);
	}
	return 1;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return child_role(argv[1]);
	snprintf(dir, sizeof(dir), "/tmp/integrity-%d", (int)getpid());
	mkdir(dir, 0755);
	tap_plan(PLAN);
	test_badwrite();
	test_badwrite_straddle();
	test_zero_past_eof();
	test_etxtbsy(argv[0]);
	test_full_disk();
	rmdir(dir);
	return tap_done();
}
