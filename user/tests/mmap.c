/*
 * mmap: file and anonymous mappings by POSIX/Linux rules. MAP_SHARED
 * stores reach the file and read() sees them at once (one page cache);
 * MAP_PRIVATE copies on write and never reaches the file; MAP_FIXED and
 * MAP_FIXED_NOREPLACE; offsets; a file that ends inside a page (the tail
 * reads zero, pages past EOF give SIGBUS); mappings that outlive close()
 * and unlink(); msync; madvise(MADV_DONTNEED); ftruncate under a mapping;
 * every error; the intent of the Pintos mmap-* tests; fork with shared and
 * private mappings; two processes sharing one file; data that persists;
 * /proc/self/maps names a mapped file by its path.
 * Children report through exit codes; only the parent prints TAP.
 */
#include "vmcounters.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define PLAN            145
#define PAGE            4096L
#define FILE_SIZE       (3 * PAGE + 100)        /* ends inside its 4th page */
#define FILE_PAGES      4                       /* pages FILE_SIZE touches */
#define USER_TOP        0x4000000000UL          /* no user mapping at or above */
#define HUGE_LEN        (1UL << 40)             /* more than the user space */
#define BAD_FD          1000                    /* never open here */
#define SHUFFLE_SIZE    (16 * PAGE)
#define SHUFFLE_SWAPS   20000
#define PING_ROUNDS     200
#define WAIT_SECONDS    20
#define PERSIST_SIZE    (5 * PAGE + 1234)
#define REGION_PAGES    8
#define OBJ_SLACK       0
#define MSG_OFF         50                      /* where mmap-write stores */
#define MS_UNKNOWN      0x100                   /* no msync flag */
#define MADV_UNKNOWN    12345                   /* no advice */
#define SHUFFLE_SEED    12345
#define LCG_MUL         6364136223846793005UL   /* Knuth's MMIX LCG */
#define LCG_ADD         1442695040888963407UL
#define MAPS_BUF        8192

static char dir[] = "/tmp";

/* ---------------------------------------------------------------- helpers */

/* The byte at offset off of every test file. */
static unsigned char fbyte(long off)
{
	return (unsigned char)(off * 7 + off / PAGE * 13 + 1);
}

static const char *path_of(const char *name)
{
	static char buf[4][96];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/mmap-%s", dir, name);
	return p;
}

/* Create name with size bytes of the pattern; returns an O_RDWR fd or -1. */
static int make_file(const char *name, long size)
{
	static unsigned char chunk[PAGE];
	int fd = open(path_of(name), O_CREAT | O_RDWR | O_TRUNC, 0644);

	if (fd < 0)
		return -1;
	for (long off = 0; off < size; off += PAGE) {
		long n = size - off < PAGE ? size - off : PAGE;
		for (long i = 0; i < n; i++)
			chunk[i] = fbyte(off + i);
		if (write(fd, chunk, n) != n) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* The bytes [from, to) of p hold the pattern of file offset base + i. */
static int is_pattern(const unsigned char *p, long base, long from, long to)
{
	for (long i = from; i < to; i++)
		if (p[i] != fbyte(base + i))
			return 0;
	return 1;
}

static int all_bytes(const unsigned char *p, long n, unsigned char v)
{
	for (long i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

/* The byte at off of fd through pread(), or -1. */
static int file_byte(int fd, long off)
{
	unsigned char c;

	return pread(fd, &c, 1, off) == 1 ? c : -1;
}

/* A failed mapping is replaced by anonymous memory so that the rest of a
 * test can run (and fail) without crashing. */
static unsigned char *or_anon(void *p, long len)
{
	if (p != MAP_FAILED)
		return p;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		tap_diag("out of memory for a stand-in mapping");
		tap_done();
	}
	return p;
}

static unsigned char *map_file(long len, int prot, int flags, int fd, long off)
{
	return mmap(NULL, len, prot, flags, fd, off);
}

static int mapped(void *p, const char *what)
{
	if (tap_ok(p != MAP_FAILED, "%s", what))
		return 1;
	tap_diag("  mmap failed: errno %d (%s)", errno, strerror(errno));
	return 0;
}

/* The line of /proc/self/maps for the VMA holding p ends in " path". */
static int maps_names(void *p, const char *path)
{
	static char text[MAPS_BUF];
	unsigned long addr = (unsigned long)p, s, e;
	size_t plen = strlen(path);

	if (vmc_slurp("/proc/self/maps", text, sizeof(text)) <= 0)
		return 0;
	for (char *line = text; line != NULL && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (sscanf(line, "%lx-%lx", &s, &e) != 2 || addr < s || addr >= e)
			continue;
		char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		if (n > plen && line[n - plen - 1] == ' ' && strncmp(line + n - plen, path, plen) == 0)
			return 1;
		tap_diag("  maps: %.*s", (int)n, line);
		return 0;
	}
	tap_diag("  no line of /proc/self/maps holds %p", p);
	return 0;
}

/* mmap failed with err. */
static int map_fails(void *p, int err, const char *errname, const char *what)
{
	int ok = p == MAP_FAILED && errno == err;

	if (tap_ok(ok, "%s", what))
		return 1;
	if (p != MAP_FAILED)
		tap_diag("  mmap succeeded at %p, expected -1 errno %s (%d)", p, errname, err);
	else
		tap_diag("  errno %d (%s), expected %s (%d)", errno, strerror(errno), errname, err);
	if (p != MAP_FAILED && p != NULL)
		munmap(p, PAGE);
	return 0;
}
#define MAP_FAILS(p, err, what) map_fails((p), (err), #err, (what))

/* ---- children that must die ---- */

static void read_at(void *p)  { (void)*(volatile unsigned char *)p; }
static void write_at(void *p) { *(volatile unsigned char *)p = 1; }

static void expect_sig(void (*fn)(void *), void *arg, int sig, const char *what)
{
	tap_killed_by(tap_in_child(fn, arg), sig, what);
}

static int wait_status(pid_t pid)
{
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* ------------------------------------------------- MAP_SHARED reaches file */

static void test_shared(void)
{
	int fd = make_file("shared", FILE_SIZE);
	struct stat st;
	char buf[16];

	tap_ok(fd >= 0, "create a file of 3 pages + 100 bytes");
	unsigned char *p = map_file(FILE_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	mapped(p, "mmap it MAP_SHARED, read-write");
	p = or_anon(p, FILE_PAGES * PAGE);
	tap_ok(maps_names(p, path_of("shared")), "/proc/self/maps shows the mapped file's path");
	tap_ok(is_pattern(p, 0, 0, FILE_SIZE), "read: the mapping shows the file's bytes");
	tap_ok(all_bytes(p + FILE_SIZE, FILE_PAGES * PAGE - FILE_SIZE, 0),
	       "the rest of the last page reads as zero");
	p[10] = 'a';
	p[2 * PAGE + 5] = 'b';
	p[FILE_SIZE - 1] = 'c';
	tap_ok(file_byte(fd, 10) == 'a' && file_byte(fd, 2 * PAGE + 5) == 'b' &&
	       file_byte(fd, FILE_SIZE - 1) == 'c', "stores through the mapping show in read() at once");
	pwrite(fd, "W", 1, PAGE + 7);
	tap_is(p[PAGE + 7], 'W', "a write() shows in the mapping at once");
	p[FILE_SIZE + 10] = 't';
	tap_ok(fstat(fd, &st) == 0 && st.st_size == FILE_SIZE,
	       "a store past EOF in the last page does not grow the file");
	tap_is(pread(fd, buf, sizeof(buf), FILE_SIZE), 0, "and read() at EOF still reads nothing");
	unsigned char *q = or_anon(map_file(FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
				   FILE_SIZE);
	q[20] = 'q';
	tap_ok(q[10] == 'a' && p[20] == 'q', "two shared mappings of one file see each other's stores");
	tap_ok(munmap(p, FILE_PAGES * PAGE) == 0 && munmap(q, FILE_SIZE) == 0, "munmap both");
	tap_ok(file_byte(fd, 10) == 'a' && file_byte(fd, 20) == 'q' && file_byte(fd, 2 * PAGE + 5) == 'b',
	       "the stores stay in the file after munmap");
	close(fd);
}

/* ----------------------------------------------------- MAP_PRIVATE copies */

static void test_private(void)
{
	int fd = make_file("private", FILE_SIZE);
	int p2[2];

	unsigned char *pm = map_file(FILE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	mapped(pm, "mmap a file MAP_PRIVATE, read-write");
	pm = or_anon(pm, FILE_SIZE);
	tap_ok(is_pattern(pm, 0, 0, FILE_SIZE), "the private mapping shows the file");
	unsigned char *sm = or_anon(map_file(FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0), FILE_SIZE);
	pm[5] = 'X';
	tap_is(file_byte(fd, 5), fbyte(5), "a private store does not reach the file");
	tap_is(sm[5], fbyte(5), "nor a shared mapping of the file");
	tap_is(pm[5], 'X', "the private mapping keeps its store");
	pwrite(fd, "Y", 1, 2 * PAGE + 1);
	tap_is(pm[2 * PAGE + 1], 'Y', "a write() shows in a page the private mapping has not copied");
	pwrite(fd, "Z", 1, 6);
	tap_is(pm[6], fbyte(6), "but not in the page it copied");
	if (pipe(p2) == 0) {
		write(p2[1], "pipe", 4);
		tap_ok(read(p2[0], pm + PAGE + 10, 4) == 4 && memcmp(pm + PAGE + 10, "pipe", 4) == 0 &&
		       file_byte(fd, PAGE + 10) == fbyte(PAGE + 10),
		       "read() into a private file page copies it and leaves the file alone");
		close(p2[0]);
		close(p2[1]);
	} else {
		tap_ok(0, "read() into a private file page: pipe failed");
	}
	munmap(pm, FILE_SIZE);
	munmap(sm, FILE_SIZE);
	close(fd);
	fd = open(path_of("private"), O_RDONLY);
	tap_ok(file_byte(fd, 5) == fbyte(5) && file_byte(fd, PAGE + 10) == fbyte(PAGE + 10),
	       "after munmap the file has none of the private stores");
	pm = map_file(PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	mapped(pm, "a writable private mapping of a read-only fd is allowed");
	pm = or_anon(pm, PAGE);
	pm[0] = 'w';
	tap_ok(pm[0] == 'w' && file_byte(fd, 0) == fbyte(0), "and its stores stay private");
	munmap(pm, PAGE);
	close(fd);
}

/* --------------------------------------------------- MAP_FIXED and offsets */

static void test_fixed(void)
{
	int fd = make_file("fixed", FILE_SIZE);
	unsigned char *r = mmap(NULL, REGION_PAGES * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *f, *x;

	r = or_anon(r, REGION_PAGES * PAGE);
	f = mmap(r + 2 * PAGE, 2 * PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, fd, PAGE);
	tap_ok(f == r + 2 * PAGE, "MAP_FIXED maps at exactly the address given");
	f = or_anon(f, 2 * PAGE);
	tap_ok(is_pattern(f, PAGE, 0, 2 * PAGE), "with the file's bytes from the offset given");
	expect_sig(read_at, r + PAGE, SIGSEGV, "the PROT_NONE page before it is still there");
	expect_sig(read_at, r + 4 * PAGE, SIGSEGV, "and the one after it");
	x = mmap(f, PAGE, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
	MAP_FAILS(x, EEXIST, "MAP_FIXED_NOREPLACE over the mapping gives EEXIST");
	x = mmap(r + 3 * PAGE, 2 * PAGE, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
	MAP_FAILS(x, EEXIST, "MAP_FIXED_NOREPLACE overlapping its end gives EEXIST");
	tap_ok(is_pattern(f, PAGE, 0, 2 * PAGE), "and the mapping is unchanged");
	munmap(r + 6 * PAGE, PAGE);
	x = mmap(r + 6 * PAGE, PAGE, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 2 * PAGE);
	tap_ok(x == r + 6 * PAGE && is_pattern(x, 2 * PAGE, 0, PAGE),
	       "MAP_FIXED_NOREPLACE into a hole maps exactly there");
	x = mmap(r + 3 * PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	tap_ok(x == r + 3 * PAGE && all_bytes(x, PAGE, 0) && is_pattern(f, PAGE, 0, PAGE),
	       "MAP_FIXED over half of a file mapping replaces only that half");
	munmap(r, REGION_PAGES * PAGE);
	close(fd);
}

static void test_offsets(void)
{
	int fd = make_file("offsets", FILE_SIZE);

	for (long pg = 1; pg < FILE_PAGES; pg++) {
		unsigned char *p = or_anon(map_file(PAGE, PROT_READ, MAP_PRIVATE, fd, pg * PAGE), PAGE);
		long valid = FILE_SIZE - pg * PAGE < PAGE ? FILE_SIZE - pg * PAGE : PAGE;
		tap_ok(is_pattern(p, pg * PAGE, 0, valid) && all_bytes(p + valid, PAGE - valid, 0),
		       "a one-page mapping at offset %ld pages shows that page", pg);
		munmap(p, PAGE);
	}
	unsigned char *p = map_file(PAGE, PROT_READ, MAP_SHARED, fd, FILE_PAGES * PAGE);
	mapped(p, "a mapping wholly past EOF is allowed");
	if (p != MAP_FAILED) {
		expect_sig(read_at, p, SIGBUS, "but reading it gives SIGBUS");
		munmap(p, PAGE);
	} else {
		tap_ok(0, "but reading it gives SIGBUS (no mapping)");
	}
	MAP_FAILS(map_file(PAGE, PROT_READ, MAP_SHARED, fd, 100), EINVAL,
		  "an offset that is not page aligned gives EINVAL");
	close(fd);
}

/* ------------------------------------------------------- lengths and EOF */

static void test_lengths(void)
{
	int fd = make_file("lengths", FILE_SIZE);
	struct stat st;

	unsigned char *p = or_anon(map_file(100, PROT_READ, MAP_SHARED, fd, 0), PAGE);
	tap_ok(is_pattern(p, 0, 0, PAGE), "a 100-byte mapping covers its whole page");
	tap_is(munmap(p, 100), 0, "munmap of 100 bytes");
	expect_sig(read_at, p + PAGE - 1, SIGSEGV, "removes the whole page");
	unsigned char *q = map_file(FILE_PAGES * PAGE + PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	mapped(q, "a mapping one page longer than the file is allowed");
	q = or_anon(q, FILE_PAGES * PAGE + PAGE);
	tap_ok(is_pattern(q, 0, 0, FILE_SIZE) && all_bytes(q + FILE_SIZE, FILE_PAGES * PAGE - FILE_SIZE, 0),
	       "it shows the file, then zeroes to the end of the last page");
	expect_sig(read_at, q + FILE_PAGES * PAGE, SIGBUS, "the page past EOF gives SIGBUS on read");
	expect_sig(write_at, q + FILE_PAGES * PAGE + 5, SIGBUS, "and on write");
	q[FILE_SIZE] = 'T';
	tap_ok(fstat(fd, &st) == 0 && st.st_size == FILE_SIZE, "a store into the tail leaves the size alone");
	munmap(q, FILE_PAGES * PAGE + PAGE);
	tap_ok(fstat(fd, &st) == 0 && st.st_size == FILE_SIZE, "also after munmap");
	close(fd);

	fd = make_file("empty", 0);
	p = map_file(PAGE, PROT_READ, MAP_SHARED, fd, 0);
	mapped(p, "zero: mmap of an empty file is allowed");
	if (p != MAP_FAILED) {
		expect_sig(read_at, p, SIGBUS, "zero: but touching it gives SIGBUS");
		munmap(p, PAGE);
	} else {
		tap_ok(0, "zero: but touching it gives SIGBUS (no mapping)");
	}
	close(fd);
	unlink(path_of("empty"));
}

/* ---------------------------------------- mappings outlive close and unlink */

static void outlive_child(unsigned char *p)
{
	int ok = p[1] == 'k' && is_pattern(p, 0, 2, FILE_SIZE);

	p[3] = 'm';
	_exit(ok ? 0 : 1);
}

static void test_outlive(void)
{
	struct vmc base, now;
	struct stat st;
	int fd = make_file("outlive", FILE_SIZE);

	close(fd);
	unlink(path_of("outlive"));             /* warm the directory's caches */
	vmc_read(&base);
	fd = make_file("outlive", FILE_SIZE);
	unsigned char *p = or_anon(map_file(FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
				   FILE_SIZE);
	tap_is(close(fd), 0, "close the fd of a shared mapping");
	tap_ok(is_pattern(p, 0, 0, FILE_SIZE), "the mapping still reads the file");
	p[1] = 'k';
	fd = open(path_of("outlive"), O_RDONLY);
	tap_is(file_byte(fd, 1), 'k', "and stores through it reach the file");
	close(fd);
	tap_is(unlink(path_of("outlive")), 0, "remove: unlink the file");
	tap_ok(stat(path_of("outlive"), &st) == -1 && errno == ENOENT, "its name is gone");
	tap_ok(p[1] == 'k' && is_pattern(p, 0, 2, FILE_SIZE), "remove: the mapping still holds its data");
	pid_t pid = fork();
	if (pid == 0)
		outlive_child(p);
	tap_exited_with(wait_status(pid), 0, "a child inherits the mapping of the removed file");
	tap_is(p[3], 'm', "and shares it with the parent");
	tap_is(munmap(p, FILE_SIZE), 0, "munmap the removed file");
	vmc_settle(&base, OBJ_SLACK, &now);
	vmc_is_back(&base, &now, VMC_OBJECTS, 0, "the removed file's memory object is freed with its mapping");
}

/* -------------------------------------------------------------- msync */

static void test_msync(void)
{
	int fd = make_file("msync", FILE_SIZE);
	unsigned char *p = or_anon(map_file(FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
				   FILE_SIZE);
	unsigned char *a = or_anon(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
				   PAGE);

	p[PAGE] = 's';
	tap_is(msync(p, FILE_SIZE, MS_SYNC), 0, "msync(MS_SYNC) of a shared file mapping");
	tap_is(file_byte(fd, PAGE), 's', "the store is in the file");
	p[PAGE + 1] = 'y';
	tap_is(msync(p, FILE_SIZE, MS_ASYNC), 0, "msync(MS_ASYNC)");
	tap_is(msync(p + PAGE, PAGE, MS_SYNC | MS_INVALIDATE), 0, "msync of one page with MS_INVALIDATE");
	tap_ok(p[PAGE] == 's' && p[PAGE + 1] == 'y' && file_byte(fd, PAGE + 1) == 'y',
	       "the mapping and the file agree");
	tap_is(msync(p, 0, MS_SYNC), 0, "msync of length 0 succeeds");
	tap_is(msync(a, PAGE, MS_SYNC), 0, "msync of anonymous memory succeeds");
	tap_errno(msync(p + 1, PAGE, MS_SYNC), EINVAL, "msync of an unaligned address gives EINVAL");
	tap_errno(msync(p, PAGE, MS_SYNC | MS_ASYNC), EINVAL, "msync with MS_SYNC|MS_ASYNC gives EINVAL");
	tap_errno(msync(p, PAGE, MS_UNKNOWN), EINVAL, "msync with an unknown flag gives EINVAL");
	munmap(a, PAGE);
	tap_errno(msync(a, PAGE, MS_SYNC), ENOMEM, "msync of an unmapped range gives ENOMEM");
	munmap(p, FILE_SIZE);
	close(fd);
}

/* ------------------------------------------------- madvise(MADV_DONTNEED) */

static void dontneed_child(unsigned char *a)
{
	int ok = madvise(a, PAGE, MADV_DONTNEED) == 0 && all_bytes(a, PAGE, 0);

	_exit(ok ? 0 : 1);
}

static void test_madvise(void)
{
	int fd = make_file("madvise", FILE_SIZE);
	unsigned char *a = or_anon(mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), 2 * PAGE);
	unsigned char *sa = or_anon(mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_ANONYMOUS, -1, 0), PAGE);
	unsigned char *s = or_anon(map_file(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), PAGE);
	unsigned char *pm = or_anon(map_file(PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, PAGE), PAGE);

	memset(a, 'a', 2 * PAGE);
	tap_is(madvise(a, PAGE, MADV_DONTNEED), 0, "madvise(MADV_DONTNEED) of a private anonymous page");
	tap_ok(all_bytes(a, PAGE, 0) && all_bytes(a + PAGE, PAGE, 'a'),
	       "it reads zero again, its neighbour keeps its data");
	memset(a, 'b', PAGE);
	pid_t pid = fork();
	if (pid == 0)
		dontneed_child(a);
	tap_exited_with(wait_status(pid), 0, "a child's DONTNEED of a copy-on-write page reads zero");
	tap_ok(all_bytes(a, PAGE, 'b'), "while the parent keeps the page");
	s[0] = 'S';
	tap_is(madvise(s, PAGE, MADV_DONTNEED), 0, "DONTNEED of a shared file page");
	tap_ok(s[0] == 'S' && file_byte(fd, 0) == 'S' && is_pattern(s, 0, 1, PAGE),
	       "it keeps its content");
	pm[0] = 'P';
	tap_is(madvise(pm, PAGE, MADV_DONTNEED), 0, "DONTNEED of a private file page that was written");
	tap_ok(is_pattern(pm, PAGE, 0, PAGE), "it shows the file again");
	sa[0] = 'h';
	tap_ok(madvise(sa, PAGE, MADV_DONTNEED) == 0 && sa[0] == 'h',
	       "DONTNEED of shared anonymous memory keeps its content");
	tap_errno(madvise(a + 1, PAGE, MADV_DONTNEED), EINVAL, "madvise of an unaligned address gives EINVAL");
	tap_errno(madvise(a, PAGE, MADV_UNKNOWN), EINVAL, "madvise with unknown advice gives EINVAL");
	munmap(a, 2 * PAGE);
	tap_errno(madvise(a, 2 * PAGE, MADV_DONTNEED), ENOMEM, "madvise of an unmapped range gives ENOMEM");
	munmap(sa, PAGE);
	munmap(s, PAGE);
	munmap(pm, PAGE);
	close(fd);
}

/* ------------------------------------------------- ftruncate and mprotect */

static void test_truncate_protect(void)
{
	int fd = make_file("truncate", FILE_SIZE);
	unsigned char *p = or_anon(map_file(3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), 3 * PAGE);

	tap_ok(p[2 * PAGE] == fbyte(2 * PAGE), "map three pages of the file");
	tap_is(ftruncate(fd, PAGE), 0, "ftruncate the file to one page");
	expect_sig(read_at, p + 2 * PAGE, SIGBUS, "a mapped page past the new EOF gives SIGBUS");
	tap_ok(is_pattern(p, 0, 0, PAGE), "the page before EOF keeps its data");
	tap_is(ftruncate(fd, 3 * PAGE), 0, "extend the file again");
	tap_ok(all_bytes(p + PAGE, 2 * PAGE, 0), "the extended pages read zero through the mapping");
	tap_is(mprotect(p, 3 * PAGE, PROT_READ), 0, "mprotect the mapping read-only");
	expect_sig(write_at, p, SIGSEGV, "a store then kills the child");
	tap_is(mprotect(p, 3 * PAGE, PROT_READ | PROT_WRITE), 0, "mprotect read-write again");
	p[PAGE + 1] = 'r';
	tap_is(file_byte(fd, PAGE + 1), 'r', "stores reach the file again");
	munmap(p, 3 * PAGE);
	close(fd);
}

/* ------------------------------------------------------------- errors */

/* Arguments: EINVAL, EACCES. */
static void errors_args(int fd, int ro, int wo)
{
	MAP_FAILS(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL,
		  "zero: anonymous mmap of length 0 gives EINVAL");
	MAP_FAILS(map_file(0, PROT_READ, MAP_SHARED, fd, 0), EINVAL, "zero: file mmap of length 0 gives EINVAL");
	MAP_FAILS(mmap((void *)(USER_TOP / 2 + MSG_OFF), PAGE, PROT_READ,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
		  EINVAL, "misalign: an unaligned MAP_FIXED address gives EINVAL");
	MAP_FAILS(map_file(PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE / 2), EINVAL,
		  "an unaligned offset gives EINVAL");
	MAP_FAILS(map_file(PAGE, PROT_READ, 0, fd, 0), EINVAL,
		  "neither MAP_SHARED nor MAP_PRIVATE gives EINVAL");
	MAP_FAILS(map_file(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), EACCES,
		  "a writable shared mapping of a read-only fd gives EACCES");
	MAP_FAILS(map_file(PAGE, PROT_READ, MAP_SHARED, wo, 0), EACCES,
		  "a shared mapping of a write-only fd gives EACCES");
	MAP_FAILS(map_file(PAGE, PROT_READ, MAP_PRIVATE, wo, 0), EACCES,
		  "a private mapping of a write-only fd gives EACCES");
	unsigned char *p = map_file(PAGE, PROT_READ, MAP_SHARED, ro, 0);
	mapped(p, "a read-only shared mapping of a read-only fd works");
	if (p != MAP_FAILED) {
		tap_errno(mprotect(p, PAGE, PROT_READ | PROT_WRITE), EACCES,
			  "mprotect of it to writable gives EACCES");
		munmap(p, PAGE);
	} else {
		tap_ok(0, "mprotect of it to writable gives EACCES (no mapping)");
	}
}

/* File descriptors and ranges: EBADF, ENODEV, ENOMEM. */
static void errors_fds_ranges(int fd)
{
	int p2[2] = { -1, -1 };

	pipe(p2);
	int closed = dup(fd);                   /* a number no fd has */
	close(closed);
	MAP_FAILS(map_file(PAGE, PROT_READ, MAP_PRIVATE, -1, 0), EBADF, "bad-fd: fd -1 without MAP_ANONYMOUS gives EBADF");
	MAP_FAILS(map_file(PAGE, PROT_READ, MAP_PRIVATE, closed, 0), EBADF, "bad-fd: a closed fd gives EBADF");
	MAP_FAILS(map_file(PAGE, PROT_READ, MAP_PRIVATE, BAD_FD, 0), EBADF, "bad-fd: fd 1000 gives EBADF");
	MAP_FAILS(map_file(PAGE, PROT_READ, MAP_PRIVATE, p2[0], 0), ENODEV, "a pipe gives ENODEV");
	int d = open(dir, O_RDONLY);
	MAP_FAILS(map_file(PAGE, PROT_READ, MAP_PRIVATE, d, 0), ENODEV, "a directory gives ENODEV");
	close(d);
	close(p2[0]);
	close(p2[1]);
	MAP_FAILS(mmap((void *)USER_TOP, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0), ENOMEM,
		  "MAP_FIXED at the end of user space gives ENOMEM");
	MAP_FAILS(mmap((void *)(USER_TOP - PAGE), 2 * PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0), ENOMEM,
		  "MAP_FIXED across the end of user space gives ENOMEM");
	MAP_FAILS(mmap(NULL, HUGE_LEN, PROT_READ, MAP_SHARED, fd, 0), ENOMEM,
		  "a file mapping larger than user space gives ENOMEM");
	MAP_FAILS(mmap(TAP_KERNEL_ADDR, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0), ENOMEM,
		  "MAP_FIXED at a kernel address gives ENOMEM");
}

static void test_errors(void)
{
	int fd = make_file("errors", FILE_SIZE);
	int ro = open(path_of("errors"), O_RDONLY);
	int wo = open(path_of("errors"), O_WRONLY);

	errors_args(fd, ro, wo);
	errors_fds_ranges(fd);
	close(fd);
	close(ro);
	close(wo);
}

/* -------------------------------------------- the Pintos mmap-* cases */

static int victim(int x) __attribute__((noipa, aligned(4096)));
static int victim(int x)
{
	return x * 3 + 1;
}

static void over_code_child(void *arg)
{
	(void)arg;
	void *page = (void *)((unsigned long)&victim & ~(PAGE - 1));
	mmap(page, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	_exit(victim(2) == 7 ? 10 : 11);
}

static unsigned char data_area[2 * PAGE] __attribute__((aligned(4096))) = { 'd', 'a', 't', 'a' };

static void over_data_child(void *arg)
{
	int fd = *(int *)arg;
	void *p = mmap(data_area, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0);

	_exit(p == data_area && is_pattern(data_area, 0, 0, 2 * PAGE) ? 0 : 1);
}

static void test_pintos_over(void)
{
	int fd = make_file("over", FILE_SIZE);
	int local = 0;
	void *text = (void *)((unsigned long)&victim & ~(PAGE - 1));
	void *stk = (void *)((unsigned long)&local & ~(PAGE - 1));

	MAP_FAILS(mmap(text, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0), EEXIST,
		  "over-code: MAP_FIXED_NOREPLACE over the program's text gives EEXIST");
	expect_sig(over_code_child, NULL, SIGSEGV,
		   "over-code: MAP_FIXED over the text kills the child when it runs there");
	tap_is(victim(2), 7, "over-code: the parent's text is intact");
	MAP_FAILS(mmap(data_area, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0), EEXIST,
		  "over-data: MAP_FIXED_NOREPLACE over .data gives EEXIST");
	tap_exited_with(tap_in_child(over_data_child, &fd), 0,
			"over-data: MAP_FIXED over .data in a child shows the file there");
	tap_ok(memcmp(data_area, "data", 4) == 0, "over-data: the parent's .data is intact");
	MAP_FAILS(mmap(stk, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0), EEXIST,
		  "over-stk: MAP_FIXED_NOREPLACE over the stack gives EEXIST");
	void *z = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
	if (!tap_ok(z == MAP_FAILED, "null: MAP_FIXED at address 0 fails"))
		munmap(z, PAGE);
	z = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0);
	if (!tap_ok(z == MAP_FAILED, "null: MAP_FIXED_NOREPLACE at address 0 fails"))
		munmap(z, PAGE);
	z = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	tap_ok(z != MAP_FAILED && z != NULL, "null: a NULL hint maps somewhere else than 0");
	if (z != MAP_FAILED)
		munmap(z, PAGE);
	close(fd);
}

static const char child_msg[] = "written by a child";
static const char write_msg[] = "mmap-write: through the mapping";

static void exit_child(void)
{
	int fd = open(path_of("exit"), O_RDWR);
	unsigned char *p = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		_exit(1);
	close(fd);
	memcpy(p + PAGE, child_msg, sizeof(child_msg));
	_exit(0);                       /* no munmap: exit unmaps */
}

/* mmap-write, mmap-close, mmap-unmap. */
static void pintos_write(void)
{
	char buf[sizeof(write_msg)];
	int fd = make_file("basic", FILE_SIZE);
	unsigned char *p = or_anon(map_file(FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), FILE_SIZE);

	close(fd);
	memcpy(p + MSG_OFF, write_msg, sizeof(write_msg));
	tap_is(munmap(p, FILE_SIZE), 0, "write: store a message and munmap");
	fd = open(path_of("basic"), O_RDONLY);
	tap_ok(pread(fd, buf, sizeof(buf), MSG_OFF) == (long)sizeof(buf) &&
	       memcmp(buf, write_msg, sizeof(buf)) == 0,
	       "write/close: read() finds the message after the fd was closed and the mapping removed");
	expect_sig(read_at, p, SIGSEGV, "unmap: the unmapped pages are gone");
	close(fd);
}

/* mmap-twice, mmap-overlap. */
static void pintos_twice(void)
{
	int fd = open(path_of("basic"), O_RDWR), fd2 = open(path_of("basic"), O_RDWR);
	unsigned char *a = or_anon(map_file(FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), FILE_SIZE);
	unsigned char *b = or_anon(map_file(FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0), FILE_SIZE);

	tap_ok(a != b && memcmp(a + MSG_OFF, write_msg, sizeof(write_msg)) == 0 &&
	       memcmp(b + MSG_OFF, write_msg, sizeof(write_msg)) == 0,
	       "twice: one file mapped twice through two fds shows in both");
	b[PAGE] = '2';
	tap_is(a[PAGE], '2', "twice: a store through one shows in the other");
	void *x = mmap(a + PAGE, PAGE, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
	MAP_FAILS(x, EEXIST, "overlap: mapping over an existing mapping (NOREPLACE) gives EEXIST");
	munmap(a, FILE_SIZE);
	munmap(b, FILE_SIZE);
	close(fd);
	close(fd2);
}

/* mmap-clean: an unmodified mapping writes nothing back. */
static void pintos_clean(void)
{
	static const char clean[] = "clean";
	char buf[sizeof(clean)];
	int fd = open(path_of("basic"), O_RDWR);
	unsigned char *a = or_anon(map_file(FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0), FILE_SIZE);
	int seen = a[2 * PAGE] == fbyte(2 * PAGE);

	pwrite(fd, clean, sizeof(clean), 2 * PAGE);
	munmap(a, FILE_SIZE);
	close(fd);
	fd = open(path_of("basic"), O_RDONLY);
	tap_ok(seen && pread(fd, buf, sizeof(buf), 2 * PAGE) == (long)sizeof(buf) &&
	       memcmp(buf, clean, sizeof(buf)) == 0,
	       "clean: munmap of a read-only mapping does not undo a write()");
	close(fd);
	unlink(path_of("basic"));
}

/* mmap-exit. */
static void pintos_exit(void)
{
	char buf[sizeof(child_msg)];
	int fd = make_file("exit", FILE_SIZE);
	pid_t pid = fork();

	if (pid == 0)
		exit_child();
	tap_exited_with(wait_status(pid), 0, "exit: a child stores through a mapping and exits");
	tap_ok(pread(fd, buf, sizeof(buf), PAGE) == (long)sizeof(buf) &&
	       memcmp(buf, child_msg, sizeof(buf)) == 0, "exit: the parent reads the child's store");
	close(fd);
	unlink(path_of("exit"));
}

static void test_pintos_basic(void)
{
	pintos_write();
	pintos_twice();
	pintos_clean();
	pintos_exit();
}

/* mmap-shuffle: permute a mapped file with many swaps; compare a shadow. */
static void test_pintos_shuffle(void)
{
	static unsigned char shadow[SHUFFLE_SIZE], back[SHUFFLE_SIZE];
	int fd = make_file("shuffle", SHUFFLE_SIZE);
	unsigned char *p = or_anon(map_file(SHUFFLE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
				   SHUFFLE_SIZE);
	unsigned long seed = SHUFFLE_SEED, sum0 = 0, sum1 = 0;

	for (long i = 0; i < SHUFFLE_SIZE; i++) {
		shadow[i] = fbyte(i);
		sum0 += p[i];
	}
	for (int k = 0; k < SHUFFLE_SWAPS; k++) {
		seed = seed * LCG_MUL + LCG_ADD;
		long i = (seed >> 33) % SHUFFLE_SIZE, j = (seed >> 13) % SHUFFLE_SIZE;
		unsigned char t = p[i];
		p[i] = p[j];
		p[j] = t;
		t = shadow[i];
		shadow[i] = shadow[j];
		shadow[j] = t;
	}
	for (long i = 0; i < SHUFFLE_SIZE; i++)
		sum1 += p[i];
	tap_ok(sum0 == sum1 && memcmp(p, shadow, SHUFFLE_SIZE) == 0,
	       "shuffle: 20000 swaps in a mapped file match a shadow copy");
	munmap(p, SHUFFLE_SIZE);
	tap_ok(pread(fd, back, SHUFFLE_SIZE, 0) == SHUFFLE_SIZE && memcmp(back, shadow, SHUFFLE_SIZE) == 0,
	       "shuffle: and the file holds the shuffled bytes");
	close(fd);
	unlink(path_of("shuffle"));
}

/* ---------------------------------------------------- fork and mappings */

struct four {                           /* the four kinds of mapping */
	unsigned char *fs, *fp, *as, *ap;
};

/* Child: check the inherited contents, store, wait, check the parent's. */
static void fork_child(struct four m, int ready, int go)
{
	char c;
	int bad = 0;

	if (m.fs[0] != 'F' || m.fp[0] != 'f' || m.as[0] != 'A' || m.ap[0] != 'a')
		bad |= 1;
	m.fs[1] = m.fp[1] = m.as[1] = m.ap[1] = 'c';
	write(ready, "r", 1);
	if (read(go, &c, 1) != 1)
		_exit(0x40);
	if (m.fs[2] != 'p' || m.as[2] != 'p')
		bad |= 2;               /* the parent's shared stores */
	if (m.fp[2] == 'p' || m.ap[2] == 'p' || m.fp[1] != 'c' || m.ap[1] != 'c')
		bad |= 4;               /* the parent's private stores */
	_exit(bad);
}

static void test_fork_mappings(void)
{
	int fd = make_file("fork", FILE_SIZE), ready[2], go[2];
	struct four m;
	char c;

	m.fs = or_anon(map_file(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), PAGE);
	m.fp = or_anon(map_file(PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, PAGE), PAGE);
	m.as = or_anon(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0), PAGE);
	m.ap = or_anon(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), PAGE);
	m.fs[0] = 'F';
	m.fp[0] = 'f';
	m.as[0] = 'A';
	m.ap[0] = 'a';
	pipe(ready);
	pipe(go);
	pid_t pid = fork();
	if (pid == 0)
		fork_child(m, ready[1], go[0]);
	close(ready[1]);
	close(go[0]);
	tap_ok(pid > 0 && read(ready[0], &c, 1) == 1, "inherit: fork a child with four kinds of mapping");
	tap_ok(m.fs[1] == 'c' && m.as[1] == 'c', "inherit: the child's stores to shared mappings show in the parent");
	tap_ok(m.fp[1] != 'c' && m.ap[1] != 'c', "its stores to private mappings do not");
	tap_is(file_byte(fd, 1), 'c', "the shared file store reached the file");
	tap_is(file_byte(fd, PAGE + 1), fbyte(PAGE + 1), "the private file store did not");
	m.fs[2] = m.fp[2] = m.as[2] = m.ap[2] = 'p';
	write(go[1], "g", 1);
	int status = wait_status(pid);
	tap_exited_with(status, 0, "the child saw the parent's shared stores and not its private ones");
	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status))
		tap_diag("  child's failure bits %#x", WEXITSTATUS(status));
	munmap(m.fs, PAGE);
	munmap(m.fp, PAGE);
	munmap(m.as, PAGE);
	munmap(m.ap, PAGE);
	close(ready[0]);
	close(go[1]);
	close(fd);
}

/* --------------------------------- two processes, one file, separate mmaps */

static int spin_until(volatile long *w, long want)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (__atomic_load_n(w, __ATOMIC_ACQUIRE) != want) {
		tap_sys(SYS_sched_yield, 0, 0, 0);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > WAIT_SECONDS)
			return 0;
	}
	return 1;
}

/* The file's first words: [0] turn, [1] the parent's value, [2] the child's. */
static long *ping_map(void)
{
	int fd = open(path_of("ping"), O_RDWR);
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

static void ping_child(void)
{
	volatile long *w = ping_map();

	if (w == NULL)
		_exit(1);
	for (long k = 0; k < PING_ROUNDS; k++) {
		if (!spin_until(&w[0], 2 * k + 1))
			_exit(2);
		if (w[1] != k * 3)
			_exit(3);
		w[2] = k * 5;
		__atomic_store_n(&w[0], 2 * k + 2, __ATOMIC_RELEASE);
	}
	_exit(0);
}

static void test_two_processes(void)
{
	int fd = make_file("ping", PAGE);
	long seen = 0, zero[3] = { 0, 0, 0 };

	pwrite(fd, zero, sizeof(zero), 0);

	pid_t pid = fork();
	if (pid == 0)
		ping_child();
	volatile long *w = ping_map();
	if (!tap_ok(w != NULL, "two processes map one file MAP_SHARED on their own")) {
		kill(pid, SIGKILL);
		wait_status(pid);
		tap_ok(0, "skipped: no mapping");
		tap_ok(0, "skipped: no mapping");
		tap_ok(0, "skipped: no mapping");
		close(fd);
		return;
	}
	w[2] = -1;
	for (long k = 0; k < PING_ROUNDS; k++) {
		w[1] = k * 3;
		__atomic_store_n(&w[0], 2 * k + 1, __ATOMIC_RELEASE);
		if (!spin_until(&w[0], 2 * k + 2))
			break;
		seen += w[2] == k * 5;
	}
	tap_is(seen, PING_ROUNDS, "the parent saw each of the child's 200 stores at once");
	tap_exited_with(wait_status(pid), 0, "the child saw each of the parent's stores at once");
	long last[3] = { 0, 0, 0 };
	tap_ok(pread(fd, last, sizeof(last), 0) == sizeof(last) && last[0] == 2 * PING_ROUNDS &&
	       last[1] == (PING_ROUNDS - 1) * 3 && last[2] == (PING_ROUNDS - 1) * 5, "and read() sees the last stores of both");
	munmap((void *)w, PAGE);
	close(fd);
	unlink(path_of("ping"));
}

/* ------------------------------------------------------------ persistence */

static unsigned char persist_byte(long off)
{
	return (unsigned char)(off * 31 + (off >> 12) * 17 + 5);
}

static void persist_child(void)
{
	int fd = open(path_of("persist"), O_RDWR);
	unsigned char *p = mmap(NULL, PERSIST_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		_exit(1);
	close(fd);
	for (long i = 0; i < PERSIST_SIZE; i++)
		p[i] = persist_byte(i);
	_exit(munmap(p, PERSIST_SIZE) == 0 ? 0 : 2);
}

/* fd holds the whole persist pattern, each byte xor x. */
static int persist_ok(int fd, unsigned char x)
{
	static unsigned char buf[PERSIST_SIZE + 1];
	long got = pread(fd, buf, sizeof(buf), 0);

	if (got != PERSIST_SIZE)
		return 0;
	for (long i = 0; i < PERSIST_SIZE; i++)
		if (buf[i] != (persist_byte(i) ^ x))
			return 0;
	return 1;
}

static void test_persist(void)
{
	int fd = make_file("persist", PERSIST_SIZE);
	unsigned char *p = or_anon(map_file(PERSIST_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
				   PERSIST_SIZE);

	for (long i = 0; i < PERSIST_SIZE; i++)
		p[i] = persist_byte(i) ^ 0xff;
	munmap(p, PERSIST_SIZE);
	close(fd);
	fd = open(path_of("persist"), O_RDONLY);
	tap_ok(persist_ok(fd, 0xff), "a pattern stored through MAP_SHARED reads back with read() after munmap");
	close(fd);
	pid_t pid = fork();
	if (pid == 0)
		persist_child();
	tap_exited_with(wait_status(pid), 0, "a child stores a pattern through MAP_SHARED, unmaps, exits");
	fd = open(path_of("persist"), O_RDONLY);
	tap_ok(persist_ok(fd, 0), "after the writer exited, read() returns all of its pattern");
	close(fd);
	unlink(path_of("persist"));
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	tap_plan(PLAN);
	test_shared();
	test_private();
	test_fixed();
	test_offsets();
	test_lengths();
	test_outlive();
	test_msync();
	test_madvise();
	test_truncate_protect();
	test_errors();
	test_pintos_over();
	test_pintos_basic();
	test_pintos_shuffle();
	test_fork_mappings();
	test_two_processes();
	test_persist();
	for (const char *const *n = (const char *const[]){ "shared", "private", "fixed", "offsets",
			"lengths", "msync", "madvise", "truncate", "errors", "over", "fork", "basic", "exit", NULL };
	     *n; n++)
		unlink(path_of(*n));
	return tap_done();
}
