/*
 * devs: /dev. The standard character devices with their Linux numbers,
 * what each does when read and written, /dev/tty and /dev/console as the
 * console, the randomness of /dev/urandom, and mknod (mknodat, Linux
 * riscv64 number 33): nodes made, opened, refused, removed.
 * Regression test dev_nodes (issue 6: there was no /dev).
 */
#include "tap.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define PLAN            43
#define TCGETS          0x5401
#define RANDOM_BYTES    65536
#define BYTE_VALUES     256
/* Chi-square of RANDOM_BYTES bytes over 256 values has 255 degrees of
 * freedom: mean 255, standard deviation about 22.6. Uniform bytes pass
 * below 400 (more than 6 deviations) all but once in 10^9 runs; a stuck
 * or biased generator is far above. */
#define CHI2_LIMIT      400.0
#define NODE            "/dev/devs-test"
#define TTY_ARGBYTES    64

struct std_dev {
	const char *path;
	unsigned int major, minor;
};

static const struct std_dev std_devs[] = {
	{ "/dev/null", 1, 3 },
	{ "/dev/zero", 1, 5 },
	{ "/dev/random", 1, 8 },
	{ "/dev/urandom", 1, 9 },
	{ "/dev/tty", 5, 0 },
	{ "/dev/console", 5, 1 },
};
#define NSTD ((int)(sizeof(std_devs) / sizeof(std_devs[0])))

static unsigned char big[RANDOM_BYTES];

static void test_standard_nodes(void)
{
	struct stat st, sts[NSTD];
	int distinct = 1;

	tap_ok(stat("/dev", &st) == 0 && S_ISDIR(st.st_mode), "/dev is a directory");
	for (int i = 0; i < NSTD; i++) {
		const struct std_dev *d = &std_devs[i];
		int ok = stat(d->path, &sts[i]) == 0 && S_ISCHR(sts[i].st_mode) &&
			 major(sts[i].st_rdev) == d->major && minor(sts[i].st_rdev) == d->minor;
		if (!tap_ok(ok, "dev_nodes: %s is character device %u:%u", d->path,
			    d->major, d->minor))
			tap_diag("  mode %#o rdev %#lx", sts[i].st_mode, sts[i].st_rdev);
		for (int j = 0; j < i; j++)
			distinct &= sts[i].st_ino != sts[j].st_ino && sts[i].st_rdev != sts[j].st_rdev;
	}
	tap_ok(distinct, "each node has its own inode and device number");
	tap_ok(stat("/tests/devs", &st) == 0 && S_ISREG(st.st_mode) && st.st_rdev == 0,
	       "a regular file is no device (stat tells them apart)");
}

static void test_null_zero(void)
{
	char b[100];
	int fd = open("/dev/null", O_RDWR);

	tap_ok(fd >= 0 && read(fd, b, sizeof(b)) == 0, "/dev/null reads end of file");
	tap_ok(fd >= 0 && write(fd, "abc", 3) == 3, "/dev/null takes every byte written");
	if (fd >= 0)
		close(fd);

	fd = open("/dev/zero", O_RDWR);
	memset(big, 0xff, sizeof(big));
	long n = fd >= 0 ? read(fd, big, sizeof(big)) : -1;
	int zero = n == (long)sizeof(big);
	for (long i = 0; zero && i < n; i++)
		zero &= big[i] == 0;
	tap_ok(zero, "/dev/zero reads %ld zero bytes", (long)sizeof(big));
	tap_ok(fd >= 0 && write(fd, big, 10) == 10, "/dev/zero takes writes");
	if (fd >= 0)
		close(fd);
	tap_errno(open("/dev/null", O_RDONLY | O_DIRECTORY), ENOTDIR,
		  "/dev/null with O_DIRECTORY gives ENOTDIR");
}

/* Chi-square statistic of the byte values in big[0..n). */
static double chi_square(long n)
{
	long counts[BYTE_VALUES] = { 0 };
	double expect = (double)n / BYTE_VALUES, chi2 = 0;

	for (long i = 0; i < n; i++)
		counts[big[i]]++;
	for (int v = 0; v < BYTE_VALUES; v++)
		chi2 += (counts[v] - expect) * (counts[v] - expect) / expect;
	return chi2;
}

static void test_random(const char *path)
{
	unsigned char a[32], b[32];
	int fd = open(path, O_RDWR);
	long n = fd >= 0 ? read(fd, big, sizeof(big)) : -1;

	tap_is(n, (long)sizeof(big), "%s reads %ld bytes at once", path, (long)sizeof(big));
	double chi2 = n > 0 ? chi_square(n) : 1e9;
	if (!tap_ok(chi2 < CHI2_LIMIT, "%s: byte values look uniform", path))
		tap_diag("  chi-square %.1f over 255 degrees of freedom (limit %.0f)", chi2,
			 CHI2_LIMIT);
	int two = fd >= 0 && read(fd, a, sizeof(a)) == sizeof(a) &&
		  read(fd, b, sizeof(b)) == sizeof(b);
	tap_ok(two && memcmp(a, b, sizeof(a)) != 0, "%s: two reads differ", path);
	tap_ok(fd >= 0 && write(fd, "seed", 4) == 4, "%s takes writes (mixed in)", path);
	if (fd >= 0)
		close(fd);
}

/* A child and its parent read different bytes after fork. */
static void test_random_fork(void)
{
	unsigned char mine[16], theirs[16];
	int p[2], status, fd = open("/dev/urandom", O_RDONLY);

	if (fd < 0 || pipe(p) < 0) {
		tap_ok(0, "fork: parent and child read different random bytes");
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		int ok = read(fd, theirs, sizeof(theirs)) == sizeof(theirs) &&
			 write(p[1], theirs, sizeof(theirs)) == sizeof(theirs);
		_exit(ok ? 0 : 1);
	}
	int ok = read(fd, mine, sizeof(mine)) == sizeof(mine) &&
		 read(p[0], theirs, sizeof(theirs)) == sizeof(theirs) &&
		 waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	tap_ok(ok && memcmp(mine, theirs, sizeof(mine)) != 0,
	       "fork: parent and child read different random bytes");
	close(p[0]);
	close(p[1]);
	close(fd);
}

static void test_tty(void)
{
	char termios[TTY_ARGBYTES];
	struct stat st;
	int fd = open("/dev/tty", O_RDWR);

	tap_ok(fd >= 0 && ioctl(fd, TCGETS, termios) == 0, "/dev/tty is a terminal (TCGETS)");
	tap_ok(fd >= 0 && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
	       st.st_rdev == makedev(5, 0), "fstat of open /dev/tty gives 5:0");
	tap_is(fd >= 0 ? tap_sys(SYS_lseek, fd, 0, SEEK_SET) : 0, -LX_ESPIPE,
	       "lseek on /dev/tty gives ESPIPE");
	if (fd >= 0)
		close(fd);
	fd = open("/dev/console", O_WRONLY);
	tap_ok(fd >= 0 && fstat(fd, &st) == 0 && st.st_rdev == makedev(5, 1),
	       "fstat of open /dev/console gives 5:1");
	if (fd >= 0)
		close(fd);
	/* The console the kernel opened for init is the same device. */
	if (ioctl(0, TCGETS, termios) == 0)
		tap_ok(fstat(0, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(5, 1),
		       "fd 0, the console, is character device 5:1");
	else
		tap_ok(fstat(0, &st) == 0 && st.st_rdev != makedev(5, 1),
		       "fd 0 is not the console, and says so");
}

static void test_mknod(void)
{
	struct stat st;
	char b[8];
	long r = tap_sys6(SYS_mknodat, AT_FDCWD, (long)NODE, S_IFCHR | 0644,
			  (long)makedev(1, 3), 0, 0);

	tap_is(r, 0, "mknodat (33) makes a character node in /dev");
	tap_ok(stat(NODE, &st) == 0 && S_ISCHR(st.st_mode) && (st.st_mode & 07777) == 0644 &&
	       st.st_rdev == makedev(1, 3), "the node has the type, mode and number given");
	int fd = open(NODE, O_RDWR);
	tap_ok(fd >= 0 && write(fd, "x", 1) == 1 && read(fd, b, sizeof(b)) == 0,
	       "opening it opens the driver (a second /dev/null)");
	if (fd >= 0)
		close(fd);
	tap_errno(mknod(NODE, S_IFCHR | 0644, makedev(1, 3)), EEXIST,
		  "mknod over an existing name gives EEXIST");
	ino_t first = st.st_ino;
	tap_is(unlink(NODE), 0, "unlink removes the node");
	tap_errno(stat(NODE, &st), ENOENT, "and it is gone");

	tap_is(mknod(NODE, S_IFCHR | 0600, makedev(250, 7)), 0,
	       "mknod of a number no driver serves");
	if (!tap_ok(stat(NODE, &st) == 0 && st.st_ino != first && major(st.st_rdev) == 250 &&
		    minor(st.st_rdev) == 7, "a new node gets a new inode number"))
		tap_diag("  inode %lu (the first was %lu), rdev %#lx", (unsigned long)st.st_ino,
			 (unsigned long)first, (unsigned long)st.st_rdev);
	tap_is(tap_sys(SYS_openat, AT_FDCWD, NODE, O_RDONLY), -LX_ENXIO,
	       "opening it gives ENXIO");
	unlink(NODE);

	tap_errno(mknod("/tmp/devs-node", S_IFCHR | 0644, makedev(1, 3)), EPERM,
		  "mknod on ext2 gives EPERM (device nodes live in /dev)");
	tap_errno(mknod(NODE, S_IFREG | 0644, 0), EPERM,
		  "mknod of a non-device in /dev gives EPERM");
	tap_is(tap_sys6(SYS_mknodat, AT_FDCWD, (long)TAP_KERNEL_ADDR, S_IFCHR | 0644, 0, 0, 0),
	       -LX_EFAULT, "mknodat with a kernel address gives EFAULT");
	tap_errno(mknod("/dev/no/such", S_IFCHR | 0644, makedev(1, 3)), ENOENT,
		  "mknod below a missing directory gives ENOENT");
}

/* The mknod program makes a node as its arguments say. */
static void test_mknod_program(void)
{
	char *const argv[] = { "mknod", NODE, "c", "1", "5", NULL };
	struct stat st;
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		execv("/bin/mknod", argv);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &status, 0) != pid)
		status = -1;
	tap_exited_with(status, 0, "/bin/mknod " NODE " c 1 5 exits 0");
	tap_ok(stat(NODE, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 5),
	       "and makes the node 1:5");
	unlink(NODE);
}

int main(void)
{
	tap_plan(PLAN);
	test_standard_nodes();
	test_null_zero();
	test_random("/dev/urandom");
	test_random("/dev/random");
	test_random_fork();
	test_tty();
	test_mknod();
	test_mknod_program();
	return tap_done();
}
