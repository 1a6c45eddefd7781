/*
 * files: the file system through system calls: create, read, write, seek,
 * stat, truncate, links, rename, directories (a big one read with
 * getdents64), a large file through the indirect blocks, O_APPEND, O_EXCL,
 * dup/dup2/dup3, getcwd/chdir. Works in its own directory under /tmp.
 */
#include "tap.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#define PLAN            118
#define SMALL_LEN       100
#define HOLE_OFFSET     8192
#define BLOCK           4096
#define BIG_BLOCKS      1536            /* 6 MiB: direct, indirect, double */
#define SPARSE_OFFSET   (40L << 20)
#define NDIRENT         300             /* spans several directory blocks */
#define DENT_BUF        512             /* small: forces many getdents64 calls */
#define DUP2_TARGET     10
#define LONG_NAME       300
#define BAD_FD_FOR_DUP  77

static char top[64];                    /* this run's directory */
static char pathbuf[4][512];

/* top/name, in one of four rotating buffers. */
static const char *P(const char *name)
{
	static int next;
	char *buf = pathbuf[next++ % 4];

	snprintf(buf, sizeof(pathbuf[0]), "%s/%s", top, name);
	return buf;
}

static void fill(unsigned char *buf, long len, long seed)
{
	for (long i = 0; i < len; i++)
		buf[i] = (unsigned char)(seed * 31 + i * 7 + (i >> 8));
}

static void test_basic_io(void)
{
	unsigned char out[SMALL_LEN], in[SMALL_LEN + 10];
	struct stat st, st2;
	int fd = open(P("a"), O_CREAT | O_RDWR | O_TRUNC, 0644);

	tap_ok(fd >= 0, "open(O_CREAT) creates a file");
	fill(out, SMALL_LEN, 1);
	tap_is(write(fd, out, SMALL_LEN), SMALL_LEN, "write 100 bytes");
	tap_is(lseek(fd, 0, SEEK_CUR), SMALL_LEN, "the offset moved to 100");
	tap_is(lseek(fd, 0, SEEK_SET), 0, "lseek(SEEK_SET 0)");
	tap_is(read(fd, in, sizeof(in)), SMALL_LEN, "read returns the 100 bytes");
	tap_ok(memcmp(in, out, SMALL_LEN) == 0, "the bytes read are the bytes written");
	tap_is(read(fd, in, sizeof(in)), 0, "read at end of file returns 0");
	tap_is(lseek(fd, 0, SEEK_END), SMALL_LEN, "lseek(SEEK_END) gives the size");
	tap_errno(lseek(fd, -1, SEEK_SET), EINVAL, "lseek to a negative offset gives EINVAL");
	tap_errno(lseek(fd, 0, 42), EINVAL, "lseek with a bad whence gives EINVAL");
	tap_is(lseek(fd, HOLE_OFFSET, SEEK_SET), HOLE_OFFSET, "lseek past the end");
	tap_is(write(fd, "z", 1), 1, "write after a hole");
	memset(in, 0xff, sizeof(in));
	tap_is(pread(fd, in, SMALL_LEN, HOLE_OFFSET - SMALL_LEN), SMALL_LEN, "pread in the hole");
	int zero = 1;
	for (int i = 0; i < SMALL_LEN; i++)
		zero &= in[i] == 0;
	tap_ok(zero, "a hole reads as zeroes");
	tap_is(pwrite(fd, "PQ", 2, 10), 2, "pwrite at offset 10");
	tap_is(lseek(fd, 0, SEEK_CUR), HOLE_OFFSET + 1, "pwrite does not move the offset");
	tap_ok(pread(fd, in, 3, 9) == 3 && in[0] == out[9] && in[1] == 'P' && in[2] == 'Q',
	       "pread sees the pwrite");
	tap_is(fstat(fd, &st), 0, "fstat succeeds");
	tap_is(st.st_size, HOLE_OFFSET + 1, "st_size counts the hole");
	tap_ok(S_ISREG(st.st_mode), "st_mode says regular file");
	tap_is(st.st_nlink, 1, "st_nlink is 1");
	tap_is(stat(P("a"), &st2), 0, "stat by path succeeds");
	tap_ok(st2.st_ino == st.st_ino && st2.st_size == st.st_size, "stat and fstat agree");
	tap_is(ftruncate(fd, 10), 0, "ftruncate to 10 bytes");
	fstat(fd, &st);
	tap_is(st.st_size, 10, "st_size is 10 after ftruncate");
	tap_is(pread(fd, in, sizeof(in), 0), 10, "read after ftruncate stops at 10");
	tap_is(ftruncate(fd, 2 * BLOCK), 0, "ftruncate grows the file");
	memset(in, 0xff, sizeof(in));
	pread(fd, in, SMALL_LEN, 10);
	zero = 1;
	for (int i = 0; i < SMALL_LEN; i++)
		zero &= in[i] == 0;
	tap_ok(zero, "bytes past the old end read as zero after growing");
	tap_errno(ftruncate(fd, -1), EINVAL, "ftruncate to a negative size gives EINVAL");
	tap_is(close(fd), 0, "close succeeds");
	tap_errno(close(fd), EBADF, "a second close gives EBADF");
}

static void test_open_flags(void)
{
	char buf[16];
	struct stat st;
	int fd;

	tap_errno(open(P("missing"), O_RDONLY), ENOENT, "open of a missing file gives ENOENT");
	tap_errno(open(P("a"), O_CREAT | O_EXCL | O_RDWR, 0644), EEXIST,
		  "O_CREAT|O_EXCL on an existing file gives EEXIST");
	fd = open(P("b"), O_CREAT | O_EXCL | O_RDWR, 0600);
	tap_ok(fd >= 0, "O_CREAT|O_EXCL on a new name creates it");
	close(fd);
	fd = open(P("b"), O_WRONLY | O_APPEND);
	write(fd, "0123", 4);
	lseek(fd, 0, SEEK_SET);
	write(fd, "45", 2);
	close(fd);
	stat(P("b"), &st);
	fd = open(P("b"), O_RDONLY);
	tap_ok(st.st_size == 6 && read(fd, buf, 6) == 6 && memcmp(buf, "012345", 6) == 0,
	       "O_APPEND writes go to the end whatever the offset");
	tap_errno(write(fd, "x", 1), EBADF, "write to an O_RDONLY fd gives EBADF");
	close(fd);
	fd = open(P("b"), O_WRONLY);
	tap_errno(read(fd, buf, 1), EBADF, "read from an O_WRONLY fd gives EBADF");
	close(fd);
	fd = open(P("b"), O_RDWR | O_TRUNC);
	fstat(fd, &st);
	tap_is(st.st_size, 0, "O_TRUNC empties the file");
	close(fd);
	tap_errno(open(top, O_WRONLY), EISDIR, "opening a directory for writing gives EISDIR");
	tap_errno(open(P("b/x"), O_RDONLY), ENOTDIR, "a file used as a directory gives ENOTDIR");
	char longname[LONG_NAME + 1];
	memset(longname, 'n', LONG_NAME);
	longname[LONG_NAME] = 0;
	tap_errno(open(P(longname), O_CREAT | O_RDWR, 0644), ENAMETOOLONG,
		  "a 300-byte name gives ENAMETOOLONG");
}

static void test_links(void)
{
	struct stat sa, sb;
	char buf[8];
	int fd;

	fd = open(P("l1"), O_CREAT | O_RDWR, 0644);
	write(fd, "link", 4);
	close(fd);
	tap_is(link(P("l1"), P("l2")), 0, "link makes a second name");
	stat(P("l1"), &sa);
	stat(P("l2"), &sb);
	tap_ok(sa.st_ino == sb.st_ino, "both names have the same inode");
	tap_is(sb.st_nlink, 2, "st_nlink is 2");
	tap_errno(link(P("l1"), P("l2")), EEXIST, "link onto an existing name gives EEXIST");
	tap_is(unlink(P("l1")), 0, "unlink the first name");
	tap_errno(stat(P("l1"), &sa), ENOENT, "the unlinked name is gone");
	fd = open(P("l2"), O_RDONLY);
	tap_ok(read(fd, buf, 4) == 4 && memcmp(buf, "link", 4) == 0, "data survives under the second name");
	close(fd);
	stat(P("l2"), &sb);
	tap_is(sb.st_nlink, 1, "st_nlink is back to 1");
	tap_is(rename(P("l2"), P("r1")), 0, "rename succeeds");
	tap_errno(stat(P("l2"), &sa), ENOENT, "the old name is gone after rename");
	stat(P("r1"), &sa);
	tap_ok(sa.st_ino == sb.st_ino, "the new name has the same inode");
	fd = open(P("r2"), O_CREAT | O_RDWR, 0644);
	close(fd);
	tap_is(rename(P("r1"), P("r2")), 0, "rename over an existing file");
	stat(P("r2"), &sb);
	tap_ok(sb.st_ino == sa.st_ino, "the target now is the renamed file");
	tap_errno(unlink(P("r1")), ENOENT, "unlink of a missing name gives ENOENT");
	/* A file unlinked while open stays readable until closed. */
	fd = open(P("r2"), O_RDONLY);
	tap_is(unlink(P("r2")), 0, "unlink an open file");
	tap_ok(read(fd, buf, 4) == 4 && memcmp(buf, "link", 4) == 0,
	       "an unlinked file stays readable through its fd");
	close(fd);
}

static void test_dirs(void)
{
	struct stat st, parent_before, parent_after;
	int fd;

	stat(top, &parent_before);
	tap_is(mkdir(P("d"), 0755), 0, "mkdir succeeds");
	tap_errno(mkdir(P("d"), 0755), EEXIST, "mkdir of an existing name gives EEXIST");
	tap_errno(mkdir(P("nope/d"), 0755), ENOENT, "mkdir under a missing parent gives ENOENT");
	stat(P("d"), &st);
	tap_ok(S_ISDIR(st.st_mode), "the new directory is a directory");
	tap_is(st.st_nlink, 2, "a new directory has 2 links");
	stat(top, &parent_after);
	tap_is(parent_after.st_nlink, parent_before.st_nlink + 1, "the parent gained a link (..)");
	fd = open(P("d/f"), O_CREAT | O_RDWR, 0644);
	close(fd);
	tap_errno(rmdir(P("d")), ENOTEMPTY, "rmdir of a non-empty directory gives ENOTEMPTY");
	tap_errno(unlink(P("d")), EISDIR, "unlink of a directory gives EISDIR");
	tap_errno(rmdir(P("d/f")), ENOTDIR, "rmdir of a file gives ENOTDIR");
	tap_errno(rename(P("d"), P("d/sub")), EINVAL,
		  "renaming a directory into itself gives EINVAL");
	unlink(P("d/f"));
	tap_is(rmdir(P("d")), 0, "rmdir of the emptied directory");
	stat(top, &parent_after);
	tap_is(parent_after.st_nlink, parent_before.st_nlink, "the parent lost the link again");
}

/* Read the whole directory at path with getdents64; count names. */
static int scan_dir(const char *path, unsigned char *seen, int *dots, int *bad)
{
	char buf[DENT_BUF];
	int fd = open(path, O_RDONLY | O_DIRECTORY), total = 0;
	long n;

	*dots = *bad = 0;
	if (fd < 0)
		return -1;
	while ((n = tap_sys(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct dirent *d = (struct dirent *)(buf + off);
			int i;
			if (d->d_reclen == 0 || off + d->d_reclen > n) {
				(*bad)++;
				break;
			}
			off += d->d_reclen;
			total++;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, "..")) {
				(*dots)++;
				continue;
			}
			if (sscanf(d->d_name, "entry-%d-padding", &i) != 1 || i < 0 ||
			    i >= NDIRENT || d->d_type != DT_REG || d->d_ino == 0)
				(*bad)++;
			else
				seen[i]++;
		}
	}
	if (n < 0)
		(*bad)++;
	close(fd);
	return total;
}

static void test_getdents(void)
{
	unsigned char seen[NDIRENT];
	char name[64];
	int made = 0, dots, bad, total, ok;

	mkdir(P("big"), 0755);
	for (int i = 0; i < NDIRENT; i++) {
		snprintf(name, sizeof(name), "big/entry-%d-padding", i);
		int fd = open(P(name), O_CREAT | O_WRONLY, 0644);
		made += fd >= 0;
		close(fd);
	}
	tap_is(made, NDIRENT, "created 300 files in one directory");
	memset(seen, 0, sizeof(seen));
	total = scan_dir(P("big"), seen, &dots, &bad);
	tap_is(total, NDIRENT + 2, "getdents64 returns 300 entries plus . and ..");
	tap_ok(dots == 2 && bad == 0, "records are well formed (dots %d, bad %d)", dots, bad);
	ok = 1;
	for (int i = 0; i < NDIRENT; i++)
		ok &= seen[i] == 1;
	tap_ok(ok, "every name appears exactly once");
	for (int i = 1; i < NDIRENT; i += 2) {
		snprintf(name, sizeof(name), "big/entry-%d-padding", i);
		unlink(P(name));
	}
	memset(seen, 0, sizeof(seen));
	total = scan_dir(P("big"), seen, &dots, &bad);
	ok = bad == 0;
	for (int i = 0; i < NDIRENT; i++)
		ok &= seen[i] == (i % 2 == 0);
	tap_is(total, NDIRENT / 2 + 2, "after unlinking half, 150 entries plus . and ..");
	tap_ok(ok, "exactly the remaining names are listed");
	int fd = open(P("big"), O_RDONLY | O_DIRECTORY);
	char tiny[8];
	tap_is(tap_sys(SYS_getdents64, fd, tiny, sizeof(tiny)), -LX_EINVAL,
	       "getdents64 with a buffer too small for one record gives EINVAL");
	close(fd);
	fd = open(P("a"), O_RDONLY);
	tap_is(tap_sys(SYS_getdents64, fd, name, sizeof(name)), -LX_ENOTDIR,
	       "getdents64 on a regular file gives ENOTDIR");
	close(fd);
	for (int i = 0; i < NDIRENT; i += 2) {
		snprintf(name, sizeof(name), "big/entry-%d-padding", i);
		unlink(P(name));
	}
	tap_is(rmdir(P("big")), 0, "the emptied big directory can be removed");
}

static void test_large_file(void)
{
	static unsigned char block[BLOCK], back[BLOCK];
	struct stat st;
	int fd = open(P("large"), O_CREAT | O_RDWR | O_TRUNC, 0644), wrote = 0, good = 0;

	for (int b = 0; b < BIG_BLOCKS; b++) {
		fill(block, BLOCK, b);
		wrote += write(fd, block, BLOCK) == BLOCK;
	}
	tap_is(wrote, BIG_BLOCKS, "wrote 6 MiB block by block");
	fstat(fd, &st);
	tap_is(st.st_size, (long)BIG_BLOCKS * BLOCK, "st_size is 6 MiB");
	tap_ok(st.st_blocks >= (long)BIG_BLOCKS * BLOCK / 512, "st_blocks covers the data");
	lseek(fd, 0, SEEK_SET);
	for (int b = 0; b < BIG_BLOCKS; b++) {
		fill(block, BLOCK, b);
		good += read(fd, back, BLOCK) == BLOCK && memcmp(block, back, BLOCK) == 0;
	}
	tap_is(good, BIG_BLOCKS, "every block reads back (direct, indirect, double indirect)");
	fill(block, BLOCK, 7);
	pread(fd, back, BLOCK, 7L * BLOCK);
	tap_ok(memcmp(block, back, BLOCK) == 0, "random access to block 7");
	fill(block, BLOCK, BIG_BLOCKS - 3);
	pread(fd, back, BLOCK, (long)(BIG_BLOCKS - 3) * BLOCK);
	tap_ok(memcmp(block, back, BLOCK) == 0, "random access to a double-indirect block");
	close(fd);
	tap_is(unlink(P("large")), 0, "unlink the large file");
	fd = open(P("sparse"), O_CREAT | O_RDWR | O_TRUNC, 0644);
	lseek(fd, SPARSE_OFFSET, SEEK_SET);
	write(fd, "s", 1);
	fstat(fd, &st);
	tap_is(st.st_size, SPARSE_OFFSET + 1, "a sparse file has the size of its last byte");
	tap_ok(st.st_blocks < 64 * (BLOCK / 512), "a sparse file allocates few blocks (%ld)",
	       (long)st.st_blocks);
	memset(back, 0xff, BLOCK);
	pread(fd, back, BLOCK, SPARSE_OFFSET / 2);
	tap_ok(back[0] == 0 && back[BLOCK - 1] == 0, "the middle of a sparse file reads as zero");
	close(fd);
	unlink(P("sparse"));
}

static void test_dup(void)
{
	char buf[8];
	int fd = open(P("dup"), O_CREAT | O_RDWR | O_TRUNC, 0644);
	int fd2 = dup(fd);

	tap_ok(fd2 >= 0 && fd2 != fd, "dup gives a new descriptor");
	write(fd, "abc", 3);
	tap_is(lseek(fd2, 0, SEEK_CUR), 3, "dup'd descriptors share the offset");
	tap_is(dup2(fd, DUP2_TARGET), DUP2_TARGET, "dup2 to fd 10");
	write(DUP2_TARGET, "d", 1);
	tap_ok(pread(fd, buf, 4, 0) == 4 && memcmp(buf, "abcd", 4) == 0, "writes through fd 10 land in the file");
	tap_is(dup2(fd, fd), fd, "dup2(fd, fd) returns fd");
	tap_errno(dup2(BAD_FD_FOR_DUP, DUP2_TARGET), EBADF, "dup2 from a closed fd gives EBADF");
	tap_is(tap_sys(SYS_dup3, fd, fd, 0), -LX_EINVAL, "dup3(fd, fd) gives EINVAL");
	tap_is(tap_sys(SYS_dup3, fd, DUP2_TARGET, O_CLOEXEC), DUP2_TARGET, "dup3 with O_CLOEXEC");
	tap_is(fcntl(DUP2_TARGET, F_GETFD), FD_CLOEXEC, "fd 10 now has FD_CLOEXEC");
	tap_is(fcntl(fd, F_GETFD), 0, "the original fd has no FD_CLOEXEC");
	close(fd);
	tap_is(read(DUP2_TARGET, buf, 1), 0, "the duplicate works after the original is closed");
	close(fd2);
	close(DUP2_TARGET);
	unlink(P("dup"));
}

static void test_cwd(void)
{
	char cwd[128], small[4];
	struct stat st;

	tap_is(chdir(top), 0, "chdir to the test directory");
	tap_ok(getcwd(cwd, sizeof(cwd)) != NULL && strcmp(cwd, top) == 0,
	       "getcwd returns it (%s)", cwd);
	int fd = open("rel", O_CREAT | O_RDWR, 0644);
	close(fd);
	tap_is(stat(P("rel"), &st), 0, "a relative open creates the file in the cwd");
	tap_is(chdir(".."), 0, "chdir(..)");
	tap_ok(getcwd(cwd, sizeof(cwd)) != NULL && strcmp(cwd, "/tmp") == 0,
	       "getcwd after chdir(..) is /tmp (%s)", cwd);
	tap_errno(chdir(P("rel")), ENOTDIR, "chdir to a file gives ENOTDIR");
	tap_errno(chdir(P("nowhere")), ENOENT, "chdir to a missing path gives ENOENT");
	errno = 0;
	tap_ok(getcwd(small, sizeof(small)) == NULL && errno == ERANGE,
	       "getcwd into a too small buffer gives ERANGE");
	tap_is(chdir("/"), 0, "chdir(/)");
	tap_ok(getcwd(cwd, sizeof(cwd)) != NULL && strcmp(cwd, "/") == 0, "getcwd is /");
	unlink(P("rel"));
}

static void test_at_calls(void)
{
	struct stat st;
	int dfd = open(top, O_RDONLY | O_DIRECTORY);

	tap_ok(dfd >= 0, "open a directory with O_DIRECTORY");
	int fd = openat(dfd, "at", O_CREAT | O_RDWR, 0644);
	tap_ok(fd >= 0 && stat(P("at"), &st) == 0, "openat creates relative to dirfd");
	close(fd);
	tap_is(tap_sys(SYS_mkdirat, dfd, "atdir", 0755), 0, "mkdirat relative to dirfd");
	tap_is(tap_sys(SYS_unlinkat, dfd, "atdir", AT_REMOVEDIR), 0, "unlinkat(AT_REMOVEDIR)");
	tap_is(tap_sys(SYS_unlinkat, dfd, "at", 0), 0, "unlinkat of a file");
	tap_errno(open(P("at"), O_RDONLY), ENOENT, "the file is gone");
	tap_errno(open(P("a"), O_RDONLY | O_DIRECTORY), ENOTDIR, "O_DIRECTORY on a file gives ENOTDIR");
	close(dfd);
}

static void cleanup(void)
{
	static const char *const names[] = { "a", "b", "l1", "l2", "r1", "r2", "dup", "at" };

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(P(names[i]));
}

int main(void)
{
	snprintf(top, sizeof(top), "/tmp/files-%d", (int)getpid());
	tap_plan(PLAN);
	tap_is(mkdir(top, 0755), 0, "make the test directory %s", top);
	test_basic_io();
	test_open_flags();
	test_links();
	test_dirs();
	test_getdents();
	test_large_file();
	test_dup();
	test_cwd();
	test_at_calls();
	cleanup();
	tap_is(rmdir(top), 0, "the test directory is empty at the end");
	return tap_done();
}
