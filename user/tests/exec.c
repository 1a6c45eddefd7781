/*
 * exec: execve of files that are not runnable programs: garbage, a
 * truncated ELF, ELFs for another machine, class or byte order, a
 * relocatable object, a segment in kernel space; a missing file, a
 * directory, a file without execute permission. Each fails with the right
 * errno and leaves the caller intact; a good copy still runs afterwards.
 * The copies are made from this program (argv[0]).
 */
#include "tap.h"

#include <fcntl.h>
#include <sys/stat.h>

#define PLAN            22
#define GOOD_EXIT       42              /* a copy that runs exits with this */
#define KILLED_BASE     1000
#define GARBAGE_LEN     4096
#define HEADER_ONLY     64              /* sizeof(Elf64_Ehdr) */
#define TRUNCATED_LEN   4096
#define MAX_SELF        (4 << 20)

/* ELF64 header and program header fields (ELF spec, "ELF Header"). */
#define EI_CLASS        4
#define EI_DATA         5
#define ELFCLASS32      1
#define ELFDATA2MSB     2
#define E_TYPE          16
#define E_MACHINE       18
#define E_PHOFF         32
#define E_PHENTSIZE     54
#define E_PHNUM         56
#define ET_REL          1
#define EM_X86_64       62
#define PT_LOAD         1
#define P_TYPE          0
#define P_VADDR         16
#define KERNEL_VADDR    0xffffffc000000000UL

static char dir[64];
static unsigned char *image;    /* this program's bytes */
static long image_len;

static const char *path_of(const char *name)
{
	static char buf[2][128];
	static int next;
	char *p = buf[next++ % 2];

	snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
	return p;
}

static int write_file(const char *name, const void *data, long len, int mode)
{
	int fd = open(path_of(name), O_CREAT | O_WRONLY | O_TRUNC, mode);

	if (fd < 0)
		return 0;
	int ok = write(fd, data, len) == len;
	close(fd);
	return ok;
}

static int read_self(const char *argv0)
{
	int fd = open(argv0, O_RDONLY);
	long n;

	image = malloc(MAX_SELF);
	if (fd < 0 || !image)
		return 0;
	while ((n = read(fd, image + image_len, MAX_SELF - image_len)) > 0)
		image_len += n;
	close(fd);
	return image_len > HEADER_ONLY && memcmp(image, "\177ELF", 4) == 0;
}

static void put16(unsigned char *p, unsigned v) { p[0] = v & 0xff; p[1] = v >> 8; }
static void put64(unsigned char *p, unsigned long v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}
static unsigned long get64(const unsigned char *p)
{
	unsigned long v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Write a copy of this program with one change made by patch(). */
static int write_patched(const char *name, void (*patch)(unsigned char *))
{
	unsigned char *copy = malloc(image_len);

	if (!copy)
		return 0;
	memcpy(copy, image, image_len);
	patch(copy);
	int ok = write_file(name, copy, image_len, 0755);
	free(copy);
	return ok;
}

static void patch_machine(unsigned char *e) { put16(e + E_MACHINE, EM_X86_64); }
static void patch_class(unsigned char *e)   { e[EI_CLASS] = ELFCLASS32; }
static void patch_endian(unsigned char *e)  { e[EI_DATA] = ELFDATA2MSB; }
static void patch_type(unsigned char *e)    { put16(e + E_TYPE, ET_REL); }
static void patch_phentsize(unsigned char *e) { put16(e + E_PHENTSIZE, 10); }

static void patch_kernel_segment(unsigned char *e)
{
	unsigned long phoff = get64(e + E_PHOFF);
	unsigned phentsize = e[E_PHENTSIZE] | e[E_PHENTSIZE + 1] << 8;
	unsigned phnum = e[E_PHNUM] | e[E_PHNUM + 1] << 8;

	for (unsigned i = 0; i < phnum; i++) {
		unsigned char *ph = e + phoff + i * phentsize;
		if ((ph[P_TYPE] | ph[P_TYPE + 1] << 8) == PT_LOAD) {
			put64(ph + P_VADDR, KERNEL_VADDR);
			return;
		}
	}
}

/* execve path in a child: the child's -errno (Linux value), or
 * -(KILLED_BASE + signal), or the exit code of a program that ran. */
static long try_exec(const char *path)
{
	char *argv[] = { (char *)path, "--exit", NULL };
	char *envp[] = { "EXEC_CHILD=1", NULL };
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		volatile int canary = 0x5a5a;
		long r = tap_sys(SYS_execve, path, argv, envp);
		/* The failed execve must leave this process as it was. */
		_exit(canary == 0x5a5a ? (int)(-r) & 0x7f : 0x7f);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -KILLED_BASE;
	if (WIFSIGNALED(status))
		return -(KILLED_BASE + WTERMSIG(status));
	return WEXITSTATUS(status) == GOOD_EXIT ? GOOD_EXIT : -WEXITSTATUS(status);
}

static void expect_exec(const char *name, long want, const char *what)
{
	tap_is(try_exec(path_of(name)), want, "%s", what);
}

/* Files that are not runnable programs: ENOEXEC, and never run. */
static void test_bad_files(void)
{
	static unsigned char garbage[GARBAGE_LEN];

	for (int i = 0; i < GARBAGE_LEN; i++)
		garbage[i] = (unsigned char)(i * 151 + 7);
	write_file("garbage", garbage, GARBAGE_LEN, 0755);
	expect_exec("garbage", -LX_ENOEXEC, "a file of garbage gives ENOEXEC");
	write_file("empty", garbage, 0, 0755);
	expect_exec("empty", -LX_ENOEXEC, "an empty file gives ENOEXEC");
	write_file("header-only", image, HEADER_ONLY, 0755);
	expect_exec("header-only", -LX_ENOEXEC, "an ELF header without program headers gives ENOEXEC");
	write_file("truncated", image, TRUNCATED_LEN, 0755);
	expect_exec("truncated", -LX_ENOEXEC, "an ELF truncated inside its segments gives ENOEXEC");
	write_patched("x86", patch_machine);
	expect_exec("x86", -LX_ENOEXEC, "an x86-64 ELF gives ENOEXEC");
	write_patched("class32", patch_class);
	expect_exec("class32", -LX_ENOEXEC, "a 32-bit ELF gives ENOEXEC");
	write_patched("bigendian", patch_endian);
	expect_exec("bigendian", -LX_ENOEXEC, "a big-endian ELF gives ENOEXEC");
	write_patched("relocatable", patch_type);
	expect_exec("relocatable", -LX_ENOEXEC, "a relocatable object (ET_REL) gives ENOEXEC");
	write_patched("phentsize", patch_phentsize);
	expect_exec("phentsize", -LX_ENOEXEC, "a wrong e_phentsize gives ENOEXEC");
	write_patched("kernel-segment", patch_kernel_segment);
	long r = try_exec(path_of("kernel-segment"));
	tap_ok(r < 0 && r != -0x7f, "a segment at a kernel address never runs (%ld)", r);
}

/* Paths that name no runnable file. */
static void test_bad_paths(void)
{
	expect_exec("no-such-file", -LX_ENOENT, "a missing file gives ENOENT");
	expect_exec("good/sub", -LX_ENOTDIR, "a file used as a directory gives ENOTDIR");
	mkdir(path_of("a-directory"), 0755);
	expect_exec("a-directory", -LX_EACCES, "a directory gives EACCES");
	write_file("no-x-bit", image, image_len, 0644);
	expect_exec("no-x-bit", -LX_EACCES, "a file without execute permission gives EACCES");
	expect_exec("good", GOOD_EXIT, "the good copy still runs after all that");
}

int main(int argc, char **argv)
{
	if (argc < 1 || getenv("EXEC_CHILD"))
		return GOOD_EXIT;
	tap_plan(PLAN);
	snprintf(dir, sizeof(dir), "/tmp/exec-%d", (int)getpid());
	mkdir(dir, 0755);
	tap_ok(read_self(argv[0]), "read this program's ELF image (%ld bytes)", image_len);
	tap_ok(write_file("good", image, image_len, 0755), "write a good copy");
	expect_exec("good", GOOD_EXIT, "the good copy runs");

	test_bad_files();
	test_bad_paths();

	static const char *const names[] = {
		"good", "garbage", "empty", "header-only", "truncated", "x86", "class32",
		"bigendian", "relocatable", "phentsize", "kernel-segment", "no-x-bit",
	};
	int removed = 0;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		removed += unlink(path_of(names[i])) == 0;
	tap_is(removed, sizeof(names) / sizeof(names[0]), "remove the copies");
	tap_is(rmdir(path_of("a-directory")), 0, "remove the directory");
	tap_is(rmdir(dir), 0, "remove the scratch directory");
	tap_errno(wait(NULL), ECHILD, "no children left");
	free(image);
	return tap_done();
}
