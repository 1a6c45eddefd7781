/*
 * fuzz: a system-call fuzzer. Several worker processes make random calls
 * from Pagoda's system-call table with hostile arguments (NULL, kernel
 * addresses, unaligned and boundary-straddling buffers, huge lengths, bad
 * descriptors, negative values) and check after each one that every
 * register but a0 survived, that the result is a value or -errno, and that
 * no user pointer reached kernel memory. The parent SIGKILLs workers that
 * stop making progress and at the end, and each must be reaped in a bound.
 * File damage stays in /tmp/fuzz-PID (every path is relative to it, or a
 * read-only /proc path). Run through leakcheck; the runner runs e2fsck.
 *
 *   fuzz [-s SEED] [-n CALLS] [-p PROCS] [-t SECONDS] [-v]
 *
 * -n is the number of calls per worker slot (0: until -t runs out), -v
 * prints every call before it is made (use with -p 1 to reproduce). The
 * first line printed gives the command that replays the run: a worker's
 * calls depend only on the seed, its slot and its generation (how many
 * workers that slot had before), not on timing, except where a call uses a
 * value an earlier call returned (descriptors, child pids, mappings).
 * Left out: reboot, kill of anything but the worker and its children,
 * setpgid into another group; exit, exit_group and rt_sigreturn run in a
 * child of the worker (rt_sigreturn on a frame of random registers whose
 * pc exits, or at a random sp). Handlers installed are a function that
 * returns at once, or now and then a random address.
 */
#include "tap.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#define PLAN            8
#define PAGE            4096L
#define NS_PER_SEC      1000000000L
#define MAX_PROCS       16
#define DEFAULT_PROCS   4
#define DEFAULT_SECONDS 20
#define ARENA_PAGES     16              /* the last one stays PROT_NONE */
#define ARENA_USE       (ARENA_PAGES - 1)
#define FILE_MAP_PAGE   8               /* f0 mapped shared at pages 8..11 */
#define FILE_MAP_PAGES  4
#define FILE_MAP_BYTES  (PAGE + 100)    /* f0's size: pages 10, 11 past EOF */
#define RO_PAGE         12
#define NONE_PAGE       13
#define INBUF_BYTES     8192            /* inputs the kernel only reads */
#define PATH_BYTES      4200            /* longer than PATH_MAX */
#define MAX_FDS         8               /* descriptors remembered for reuse */
#define MAX_KIDS        8               /* child pids remembered */
#define MAX_MAPS        8               /* mappings remembered */
#define STALL_NS        (3 * NS_PER_SEC)        /* no progress: SIGKILL */
#define REAP_BOUND_NS   (10 * NS_PER_SEC)       /* SIGKILL to reaped */
#define POLL_NS         20000000L               /* parent's poll period */
#define LATE_REAP_NS    (120 * NS_PER_SEC)      /* then wait for stragglers */
#define MAX_ERRNO       4095
#define MAX_LINUX_ERRNO 133
#define LOG_FD          63              /* -v output (NOFILE - 1), kept out of the fuzz */
#define MSG_BYTES       240
#define MIN_CALLS       100             /* a run makes at least this many */
#define REAP_EVERY      16              /* calls between WNOHANG reaps */
#define EXIT_BAD        3               /* a worker saw a check fail */
#define KERNEL_DIRECT   0xffffffc000000000UL
#define KERNEL_TEXT     0xffffffff80200000UL
#define USER_UNMAPPED   0x0000002000000000UL
#define USER_END        0x0000004000000000UL
#define NR_CLONE        220             /* the asm below knows this number */
#define NR_EXIT_GROUP   94
#define NO_SUCH_PID     0x7fffffff

/* One call: number and six arguments, and what the generator knows. */
struct call {
	long nr;
	long a[6];
	int kbuf;       /* the data buffer argument is a kernel address */
	int enosys;     /* a number Pagoda does not implement */
};

/* Registers x0..x31 and f0..f31 around the ecall (index = register
 * number). x0's slot holds sp before the call, so out.x[0] == out.x[2]
 * checks sp. fuzz_ecall knows this layout (f at byte 256). */
struct regs {
	unsigned long x[32];
	unsigned long f[32];
};
_Static_assert(sizeof(struct regs) == 512, "fuzz_ecall's offsets");

/* Shared between the parent and its workers (MAP_SHARED). */
struct slot {
	volatile long calls;            /* calls made by all generations */
	volatile long progress;         /* changes with every call */
	volatile int generation;
	volatile int done;              /* made opt_calls calls */
	struct call last;               /* the call being made */
	volatile long last_ret;
};

struct shared {
	volatile int stop;
	volatile long reg_bad, ret_bad, kleak, enosys_bad;
	char msg[MSG_BYTES];            /* the first failure */
	volatile int msg_taken;
	struct slot slot[MAX_PROCS];
};

/* Options. */
static unsigned long opt_seed;
static long opt_calls;
static int opt_procs = DEFAULT_PROCS;
static long opt_seconds = DEFAULT_SECONDS;
static int opt_verbose;

static struct shared *sh;
static char scratch[64];

/* Worker state. */
static unsigned long rng;
static char *arena;
static char inbuf[INBUF_BYTES];
static char pathbuf[2][PATH_BYTES];
static int fds[MAX_FDS];
static int kids[MAX_KIDS];
static unsigned long maps[MAX_MAPS], map_len[MAX_MAPS];
static unsigned long brk0;
static volatile int in_grandchild;

/*
 * fuzz_ecall(in, out): load x1, x3..x31 and f0..f31 from *in (a0 last),
 * ecall, store x1..x31 and f0..f31 to *out and sp before the call to
 * out->x[0]. ra, gp, tp, s0-s11 and fs0-fs11 are the caller's again on
 * return. The child of a successful clone (a0 = 0 with a7 = 220, clone)
 * calls exit_group(0) before touching memory, whatever stack it was given.
 * Frame: 0-255 x stores, 256 ra, 264 gp, 272 tp, 280 out, 320-472 s regs
 * (256 + 8 * register number), 480-568 fs regs.
 */
__asm__(
	".text\n"
	".globl fuzz_ecall\n"
	".type fuzz_ecall, @function\n"
	".balign 4\n"
	"fuzz_ecall:\n"
	"	addi sp, sp, -640\n"
	"	sd ra, 256(sp)\n"
	"	.irp n, 8,9,18,19,20,21,22,23,24,25,26,27\n"
	"	sd x\\n, (256 + \\n * 8)(sp)\n"
	"	.endr\n"
	"	.irp i, 0,1,2,3,4,5,6,7,8,9,10,11\n"
	"	fsd fs\\i, (480 + \\i * 8)(sp)\n"
	"	.endr\n"
	"	sd gp, 264(sp)\n"
	"	sd tp, 272(sp)\n"
	"	sd a1, 280(sp)\n"
	"	sd sp, 0(sp)\n"
	"	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"	fld f\\n, (256 + \\n * 8)(a0)\n"
	"	.endr\n"
	"	.irp n, 1,3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"	ld x\\n, (\\n * 8)(a0)\n"
	"	.endr\n"
	"	ld a0, 80(a0)\n"
	"	ecall\n"
	"	bnez a0, 2f\n"
	"	addi a0, a7, -220\n"
	"	bnez a0, 1f\n"
	"	li a7, 94\n"
	"	ecall\n"
	"1:	li a0, 0\n"
	"2:\n"
	"	.irp n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"	sd x\\n, (\\n * 8)(sp)\n"
	"	.endr\n"
	"	ld t0, 280(sp)\n"
	"	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"	ld t1, (\\n * 8)(sp)\n"
	"	sd t1, (\\n * 8)(t0)\n"
	"	fsd f\\n, (256 + \\n * 8)(t0)\n"
	"	.endr\n"
	"	ld ra, 256(sp)\n"
	"	.irp n, 8,9,18,19,20,21,22,23,24,25,26,27\n"
	"	ld x\\n, (256 + \\n * 8)(sp)\n"
	"	.endr\n"
	"	.irp i, 0,1,2,3,4,5,6,7,8,9,10,11\n"
	"	fld fs\\i, (480 + \\i * 8)(sp)\n"
	"	.endr\n"
	"	ld gp, 264(sp)\n"
	"	ld tp, 272(sp)\n"
	"	addi sp, sp, 640\n"
	"	ret\n"
	".size fuzz_ecall, . - fuzz_ecall\n");
void fuzz_ecall(const struct regs *in, struct regs *out);

/* ---------------------------------------------------------------- random */

/* splitmix64: a well-mixed 64-bit sequence from any state. */
static unsigned long next64(void)
{
	unsigned long z = (rng += 0x9e3779b97f4a7c15UL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
	return z ^ (z >> 31);
}

static unsigned long below(unsigned long n)
{
	return n ? next64() % n : 0;
}

/* 1 with probability 1/n. */
static int one_in(unsigned long n)
{
	return below(n) == 0;
}

#define PICK(table) ((table)[below(sizeof(table) / sizeof((table)[0]))])

/* ---------------------------------------------------------------- arguments */

/* An address the kernel may write to or read from: mostly in the arena
 * (whose pages the fuzz maps, unmaps and protects), sometimes hostile. */
static long gen_ptr(struct call *c)
{
	switch (below(16)) {
	case 0: return 0;
	case 1: c->kbuf = 1; return (long)(KERNEL_DIRECT + below(1UL << 27));
	case 2: c->kbuf = 1; return (long)(KERNEL_TEXT + below(1UL << 20));
	case 3: return (long)USER_UNMAPPED;
	case 4: return (long)(USER_END - 1 - below(16));       /* straddles the top */
	case 5: return (long)(1UL << 63);                      /* non-canonical */
	case 6: return (long)gen_ptr;                          /* read-only text */
	case 7: return (long)next64();
	case 8: case 9:                                        /* straddles a page */
		return (long)(arena + (1 + below(ARENA_USE)) * PAGE - 1 - below(64));
	default:
		return (long)(arena + below(ARENA_USE * PAGE));
	}
}

/* A pointer to a small input the kernel reads (timespec, iovec, ...):
 * usually inbuf at off, sometimes hostile. */
static long gen_in(struct call *c, long off)
{
	return one_in(4) ? gen_ptr(c) : (long)(inbuf + off);
}

static long gen_len(void)
{
	static const long lens[] = {
		0, 1, 2, 7, 8, 16, 100, PAGE - 1, PAGE, PAGE + 1, 3 * PAGE,
		65536, 1L << 20, 1L << 31, 1L << 32, -1L, 1L << 62, LONG_MAX,
		INT32_MAX, (long)0x80000000UL,
	};

	return one_in(4) ? (long)below(2 * PAGE) : PICK(lens);
}

static long gen_off(void)
{
	static const long offs[] = {
		0, 1, 2, 3, 511, 4095, 4096, 4097, 65536, 1L << 20, 0xffffff00L,
		1L << 32, (1L << 32) + 2, 1L << 40, 1L << 62, -1, -2, -4096,
		LONG_MAX, LONG_MIN,
	};

	return one_in(4) ? (long)below(1 << 16) : PICK(offs);
}

static long gen_int(void)
{
	static const long ints[] = {
		0, 1, 2, 3, -1, -2, 255, 256, 1024, 65535, INT32_MAX, INT32_MIN,
		(long)0x80000000UL, 1L << 32, LONG_MIN, LONG_MAX,
	};

	return one_in(3) ? (long)next64() : PICK(ints);
}

static void remember(int *tab, int n, int v)
{
	tab[below(n)] = v;
}

/* A descriptor: mostly one the worker holds, sometimes bad. Never LOG_FD. */
static long gen_fd(void)
{
	static const long bad[] = { -1, -100, INT32_MIN, 1024, 1 << 20, 4096, 63, 64, 255 };
	long fd;

	switch (below(8)) {
	case 0: fd = PICK(bad); break;
	case 1: case 2: fd = (long)below(16); break;
	case 3: fd = (long)next64(); break;
	default: fd = fds[below(MAX_FDS)]; break;
	}
	return (fd & 0xffffffffL) == LOG_FD ? -1 : fd;
}

/* A directory descriptor for the *at calls. */
static long gen_dirfd(void)
{
	return one_in(2) ? AT_FDCWD : gen_fd();
}

/* Paths: relative ones stay inside the scratch directory however cwd moves
 * (no leading "..", "X/.." only below X); absolute ones are /proc files,
 * used only by calls that do not change anything. */
static const char *const rel_paths[] = {
	"f0", "f1", "f2", "f3", "d0", "d1", "d0/f0", "d0/f1", "d0/d1",
	"d1/f2", "d0/d1/f3", "d0/..", "d0/../f1", "d1/../d0/f0", "", ".",
	"f0/", "d0/", "nonexist/f0", "./f2", "d0/./d1/", "f1/f2",
};
static const char *const proc_paths[] = {
	"/proc", "/proc/self", "/proc/self/maps", "/proc/self/status",
	"/proc/meminfo", "/proc/1", "/proc/1/maps", "/proc/zoneinfo",
};

/* Fill pathbuf[which] with a path; may_abs allows the /proc ones. */
static long gen_path(struct call *c, int which, int may_abs)
{
	char *p = pathbuf[which];

	switch (below(12)) {
	case 0: return gen_ptr(c);
	case 1:                                 /* a component too long */
		memset(p, 'a', 300);
		p[300] = 0;
		return (long)p;
	case 2:                                 /* a path too long */
		for (int i = 0; i + 2 < PATH_BYTES; i += 2) {
			p[i] = 'd';
			p[i + 1] = '/';
		}
		p[PATH_BYTES - 2] = 'x';
		p[PATH_BYTES - 1] = 0;
		return (long)p;
	case 3:                                 /* unterminated at a page end */
		if (may_abs)
			break;
		return (long)(arena + (1 + below(ARENA_USE)) * PAGE - 1 - below(4));
	case 4:
		if (!may_abs)
			break;
		strcpy(p, PICK(proc_paths));
		return (long)p;
	default:
		break;
	}
	strcpy(p, PICK(rel_paths));
	return (long)p;
}

static long gen_pid(void)
{
	long pid = getpid();

	switch (below(6)) {
	case 0: return pid;
	case 1: return -pid;
	case 2: return NO_SUCH_PID;
	case 3: return INT32_MIN;
	default: return kids[below(MAX_KIDS)] ? kids[below(MAX_KIDS)] : pid;
	}
}

static long gen_signal(void)
{
	static const long sigs[] = {
		0, 0, SIGCHLD, SIGCONT, SIGPIPE, SIGUSR1, SIGTERM, SIGKILL,
		SIGSTOP, 64, 65, -1, 1000, SIGHUP,
	};

	return PICK(sigs);
}

/* An iovec array in inbuf at off: bases and lengths from the generators. */
static long gen_iov(struct call *c, long off, long n)
{
	unsigned long *iov = (unsigned long *)(inbuf + off);

	for (long i = 0; i < n; i++) {
		iov[2 * i] = (unsigned long)gen_ptr(c);
		iov[2 * i + 1] = (unsigned long)gen_len();
	}
	return gen_in(c, off);
}

/* An address for the memory calls: in the arena (never its last page, so
 * the fuzz cannot map over the worker's own memory), or hostile enough to
 * be refused. *room is how many bytes may be given from there. */
static long gen_vaddr(unsigned long *room)
{
	long page;

	switch (below(8)) {
	case 0: *room = 0x10000; return 0;     /* below every program */
	case 1: *room = ~0UL; return (long)KERNEL_DIRECT;
	case 2: *room = ~0UL; return (long)USER_END;
	case 3: *room = PAGE; return (long)(arena + below(ARENA_USE * PAGE));
	case 4:
		page = (long)below(MAX_MAPS);
		if (maps[page]) {
			*room = map_len[page];
			return (long)maps[page];
		}
		/* fall through */
	default:
		page = (long)below(ARENA_USE);
		*room = (ARENA_USE - page) * PAGE;
		return (long)(arena + page * PAGE);
	}
}

/* A length for the memory calls, at most room unless room is unlimited,
 * where it may be anything (the address alone makes the call fail). */
static long gen_vlen(unsigned long room)
{
	unsigned long len;

	if (room == ~0UL)
		return gen_len();
	len = one_in(4) ? below(room + 1) : (1 + below(room / PAGE ? room / PAGE : 1)) * PAGE;
	return (long)(len > room ? room : len);
}

/* ---------------------------------------------------------------- calls */

static long open_flags(int abs)
{
	static const long bits[] = {
		O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_NONBLOCK,
		O_DIRECTORY, O_CLOEXEC, O_NOFOLLOW, O_PATH, O_SYNC,
	};
	long f = 0;

	for (int i = (int)below(4); i > 0; i--)
		f |= PICK(bits);
	if (one_in(16))
		f = (long)next64();
	if (abs)                /* never change anything outside scratch */
		f &= ~(long)(O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND);
	return f;
}

/* Arguments of the descriptor calls: I/O, seeks, fcntl, ioctl, pipes; 0 if c->nr is not one. */
static int gen_file_args(struct call *c)
{
	long *a = c->a;

	switch (c->nr) {
	case SYS_read: case SYS_write: case SYS_getdents64:
		a[0] = gen_fd(); a[1] = gen_ptr(c); a[2] = gen_len(); break;
	case SYS_pread64: case SYS_pwrite64:
		a[0] = gen_fd(); a[1] = gen_ptr(c); a[2] = gen_len(); a[3] = gen_off(); break;
	case SYS_readv: case SYS_writev:
		a[2] = (long)below(4);
		if (one_in(8))
			a[2] = gen_int();
		a[0] = gen_fd(); a[1] = gen_iov(c, 0, 4); break;
	case SYS_lseek:
		a[0] = gen_fd(); a[1] = gen_off(); a[2] = one_in(4) ? gen_int() : (long)below(5); break;
	case SYS_close: case SYS_fsync: case SYS_fchdir: case SYS_dup:
		a[0] = gen_fd(); break;
	case SYS_dup3:
		a[0] = gen_fd(); a[1] = gen_fd(); a[2] = one_in(2) ? 0 : (one_in(2) ? O_CLOEXEC : gen_int()); break;
	case SYS_fcntl:
		a[0] = gen_fd(); a[1] = one_in(4) ? gen_int() : (long)below(5);
		a[2] = one_in(2) ? (long)below(20) : gen_int(); break;
	case SYS_ioctl:
		a[0] = gen_fd();
		a[1] = one_in(3) ? gen_int() : 0x5401 + (long)below(0x20);
		a[2] = gen_ptr(c); break;
	case SYS_ftruncate:
		a[0] = gen_fd(); a[1] = gen_off(); break;
	case SYS_pipe2:
		a[0] = gen_ptr(c); a[1] = one_in(2) ? 0 : (one_in(2) ? O_NONBLOCK | O_CLOEXEC : gen_int()); break;
	case SYS_fstat:
		a[0] = gen_fd(); a[1] = gen_ptr(c); break;
	default:
		return 0;
	}
	return 1;
}

/* Arguments of the calls that take a path (or fill one in); 0 if c->nr is not one. */
static int gen_path_args(struct call *c)
{
	long *a = c->a;

	switch (c->nr) {
	case SYS_openat:
		a[0] = gen_dirfd(); a[1] = gen_path(c, 0, 1);
		a[2] = open_flags(a[1] == (long)pathbuf[0] && pathbuf[0][0] == '/');
		a[3] = one_in(4) ? gen_int() : 0644; break;
	case SYS_mkdirat:
		a[0] = gen_dirfd(); a[1] = gen_path(c, 0, 0); a[2] = one_in(4) ? gen_int() : 0755; break;
	case SYS_unlinkat:
		a[0] = gen_dirfd(); a[1] = gen_path(c, 0, 0);
		a[2] = one_in(2) ? 0 : (one_in(2) ? AT_REMOVEDIR : gen_int()); break;
	case SYS_linkat:
		a[0] = gen_dirfd(); a[1] = gen_path(c, 0, 0);
		a[2] = gen_dirfd(); a[3] = gen_path(c, 1, 0); a[4] = one_in(2) ? 0 : gen_int(); break;
	case SYS_renameat: case SYS_renameat2:
		a[0] = gen_dirfd(); a[1] = gen_path(c, 0, 0);
		a[2] = gen_dirfd(); a[3] = gen_path(c, 1, 0);
		a[4] = one_in(2) ? 0 : (one_in(2) ? (long)below(8) : gen_int()); break;
	case SYS_faccessat:
		a[0] = gen_dirfd(); a[1] = gen_path(c, 0, 1); a[2] = one_in(4) ? gen_int() : (long)below(8);
		a[3] = one_in(2) ? 0 : gen_int(); break;
	case SYS_chdir:
		a[0] = gen_path(c, 0, 1); break;
	case SYS_getcwd:
		a[0] = gen_ptr(c); a[1] = gen_len(); break;
	case SYS_newfstatat:
		a[0] = gen_dirfd(); a[1] = gen_path(c, 0, 1); a[2] = gen_ptr(c);
		a[3] = one_in(2) ? 0 : (one_in(2) ? AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW : gen_int()); break;
	case SYS_execve: {
		long *argv = (long *)(inbuf + 4096);

		for (int i = 0; i < 4; i++)
			argv[i] = one_in(2) ? (long)"x" : gen_ptr(c);
		argv[4] = one_in(4) ? gen_ptr(c) : 0;
		a[0] = gen_path(c, 0, 1);
		a[1] = one_in(4) ? 0 : gen_in(c, 4096); a[2] = one_in(4) ? 0 : gen_in(c, 4096); break;
	}
	default:
		return 0;
	}
	return 1;
}

/* Arguments of the memory calls: brk, mmap and the range calls; 0 if c->nr is not one. */
static int gen_mem_args(struct call *c)
{
	long *a = c->a;
	unsigned long room;

	switch (c->nr) {
	case SYS_brk:
		a[0] = PICK(((const long[]){ 0, (long)brk0, (long)brk0 + PAGE, (long)brk0 + (1 << 20),
					       (long)brk0 - PAGE, (long)brk0 + 1, (long)KERNEL_DIRECT, -1,
					       (long)USER_END, (long)brk0 + (1L << 36) })); break;
	case SYS_mmap:
		a[0] = gen_vaddr(&room); a[1] = gen_vlen(room);
		a[2] = one_in(4) ? gen_int() : (long)below(8);
		a[3] = (one_in(2) ? MAP_PRIVATE : MAP_SHARED) | (one_in(2) ? MAP_ANONYMOUS : 0) |
		       (one_in(2) ? MAP_FIXED : 0);
		if (one_in(8))
			a[3] = gen_int();
		if (!(a[3] & MAP_FIXED) && one_in(2))
			a[0] = 0;
		if ((a[3] & MAP_FIXED) && room == ~0UL && a[0] == 0)
			a[1] = PAGE;
		a[4] = gen_fd(); a[5] = one_in(2) ? 0 : gen_off(); break;
	case SYS_munmap: case SYS_mprotect: case SYS_madvise: case SYS_msync:
		a[0] = gen_vaddr(&room); a[1] = gen_vlen(room);
		a[2] = one_in(4) ? gen_int() : (long)below(8);
		if (c->nr == SYS_madvise && one_in(2))
			a[2] = PICK(((const long[]){ 0, 1, 2, 3, 4, 8, 9, 10, 100 }));
		break;
	default:
		return 0;
	}
	return 1;
}

/* The handler the fuzz installs: returns at once (the fuzz's registers
 * are random at a delivery, so it touches nothing). */
static void fuzz_on_signal(int sig)
{
	(void)sig;
}

/* Arguments of the process, signal and time calls; 0 if c->nr is not one. */
static int gen_proc_args(struct call *c)
{
	long *a = c->a;

	switch (c->nr) {
	case SYS_nanosleep: {
		long *ts = (long *)(inbuf + 1024);

		ts[0] = one_in(64) ? gen_int() : 0;
		ts[1] = one_in(8) ? gen_int() : (long)below(2000000);
		a[0] = gen_in(c, 1024); a[1] = one_in(2) ? 0 : gen_ptr(c); break;
	}
	case SYS_clock_gettime:
		a[0] = one_in(3) ? gen_int() : (long)below(16); a[1] = gen_ptr(c); break;
	case SYS_kill:
		a[0] = gen_pid(); a[1] = gen_signal();
		if (a[1] == SIGKILL || a[1] == SIGSTOP || a[1] == SIGTERM)
			if ((a[0] == getpid() || a[0] == -getpid()) && !one_in(8))
				a[1] = 0;
		break;
	case SYS_rt_sigaction: {
		long *act = (long *)(inbuf + 2048);

		act[0] = one_in(16) ? gen_int() :                      /* anywhere */
			 one_in(3) ? (long)fuzz_on_signal : (long)below(2); /* SIG_DFL, SIG_IGN */
		act[1] = gen_int(); act[2] = gen_int(); act[3] = gen_int();
		a[0] = one_in(3) ? gen_signal() : 1 + (long)below(64);
		a[1] = one_in(4) ? 0 : gen_in(c, 2048); a[2] = one_in(2) ? 0 : gen_ptr(c);
		a[3] = one_in(4) ? gen_int() : 8; break;
	}
	case SYS_rt_sigprocmask: {
		long *set = (long *)(inbuf + 3072);

		set[0] = (long)next64();
		a[0] = one_in(4) ? gen_int() : (long)below(3);
		a[1] = one_in(4) ? 0 : gen_in(c, 3072); a[2] = one_in(2) ? 0 : gen_ptr(c);
		a[3] = one_in(4) ? gen_int() : 8; break;
	}
	case SYS_sigaltstack: {
		static const long sizes[] = { 0, 2047, 2048, 8192, 65536 };
		long *ss = (long *)(inbuf + 3584);

		ss[0] = gen_ptr(c);
		ss[1] = one_in(4) ? gen_int() : PICK(((const long[]){ 0, 2 }));
		ss[2] = one_in(4) ? gen_len() : PICK(sizes);
		c->kbuf = 0;                    /* ss_sp is never dereferenced here */
		a[0] = one_in(3) ? 0 : gen_in(c, 3584); a[1] = one_in(2) ? 0 : gen_ptr(c);
		break;
	}
	case SYS_setpgid:
		a[0] = one_in(2) ? 0 : gen_pid();
		a[1] = one_in(2) ? 0 : (one_in(2) ? getpid() : gen_pid());
		if (a[1] < 0 || (a[1] != 0 && a[1] != getpid() && a[1] != NO_SUCH_PID))
			a[1] = NO_SUCH_PID;     /* never join another group */
		break;
	case SYS_getpgid:
		a[0] = one_in(2) ? 0 : gen_pid(); break;
	case SYS_uname: case SYS_set_tid_address:
		a[0] = gen_ptr(c); break;
	case SYS_wait4:
		a[0] = one_in(2) ? -1 : gen_pid(); a[1] = gen_ptr(c);
		a[2] = one_in(2) ? 1 /* WNOHANG */ : (one_in(2) ? 0 : gen_int());
		a[3] = one_in(2) ? 0 : gen_ptr(c); break;
	case SYS_clone:
		a[0] = one_in(2) ? SIGCHLD : gen_int();
		a[1] = one_in(2) ? 0 : gen_ptr(c); a[2] = gen_ptr(c);
		a[3] = gen_ptr(c); a[4] = gen_ptr(c); break;
	default:
		return 0;
	}
	return 1;
}

/* Fill c with the arguments of call number c->nr: anything for a call
 * that takes none, or a number nobody implements. */
static void gen_args(struct call *c)
{
	if (gen_file_args(c) || gen_path_args(c) || gen_mem_args(c) || gen_proc_args(c))
		return;
	for (int i = 0; i < 6; i++)
		c->a[i] = gen_int();
}

/* The calls the fuzz makes, each as often as it is listed. */
static const short fuzz_nrs[] = {
	SYS_read, SYS_read, SYS_write, SYS_write, SYS_write, SYS_pread64,
	SYS_pwrite64, SYS_pwrite64, SYS_readv, SYS_writev, SYS_lseek, SYS_lseek,
	SYS_openat, SYS_openat, SYS_openat, SYS_openat, SYS_close, SYS_close,
	SYS_dup, SYS_dup3, SYS_fcntl, SYS_ioctl, SYS_mkdirat, SYS_mkdirat,
	SYS_unlinkat, SYS_unlinkat, SYS_linkat, SYS_renameat, SYS_renameat2,
	SYS_ftruncate, SYS_ftruncate, SYS_faccessat, SYS_chdir, SYS_fchdir,
	SYS_getcwd, SYS_pipe2, SYS_getdents64, SYS_getdents64, SYS_newfstatat,
	SYS_fstat, SYS_sync, SYS_fsync, SYS_brk, SYS_mmap, SYS_mmap, SYS_munmap,
	SYS_mprotect, SYS_madvise, SYS_msync, SYS_nanosleep, SYS_clock_gettime,
	SYS_sched_yield, SYS_kill, SYS_rt_sigaction, SYS_rt_sigprocmask,
	SYS_sigaltstack,
	SYS_setpgid, SYS_getpgid, SYS_uname, SYS_getpid, SYS_getppid,
	SYS_getuid, SYS_geteuid, SYS_getgid, SYS_getegid, SYS_gettid,
	SYS_set_tid_address, SYS_wait4, SYS_clone, SYS_execve,
	SYS_symlinkat, SYS_truncate, SYS_readlinkat,
};

/* Numbers at or above this are outside the kernel's table (NSYSCALLS in
 * kernel/syscall.h) and must give -ENOSYS, however large. */
#define FIRST_UNUSED_NR 300

/* The next call: one from the list, a number nobody implements, or one
 * that ends the process (made by a child: see worker_child_call). */
static void gen_call(struct call *c)
{
	memset(c, 0, sizeof(*c));
	if (one_in(40)) {
		c->nr = one_in(2) ? gen_int() : FIRST_UNUSED_NR + (long)below(1024);
		if (c->nr >= 0 && c->nr < FIRST_UNUSED_NR)
			c->nr += FIRST_UNUSED_NR;
		c->enosys = 1;
	} else if (one_in(100)) {
		c->nr = PICK(((const short[]){ SYS_exit, SYS_exit_group, SYS_rt_sigreturn }));
	} else {
		c->nr = PICK(fuzz_nrs);
	}
	gen_args(c);
}

/* ---------------------------------------------------------------- worker */

static const char *nr_name(long nr)
{
	static const struct { short nr; const char *name; } names[] = {
		{ SYS_getcwd, "getcwd" }, { SYS_dup, "dup" }, { SYS_dup3, "dup3" },
		{ SYS_fcntl, "fcntl" }, { SYS_ioctl, "ioctl" }, { SYS_mkdirat, "mkdirat" },
		{ SYS_unlinkat, "unlinkat" }, { SYS_symlinkat, "symlinkat" },
		{ SYS_linkat, "linkat" }, { SYS_renameat, "renameat" },
		{ SYS_truncate, "truncate" }, { SYS_ftruncate, "ftruncate" },
		{ SYS_faccessat, "faccessat" }, { SYS_chdir, "chdir" }, { SYS_fchdir, "fchdir" },
		{ SYS_openat, "openat" }, { SYS_close, "close" }, { SYS_pipe2, "pipe2" },
		{ SYS_getdents64, "getdents64" }, { SYS_lseek, "lseek" }, { SYS_read, "read" },
		{ SYS_write, "write" }, { SYS_readv, "readv" }, { SYS_writev, "writev" },
		{ SYS_pread64, "pread64" }, { SYS_pwrite64, "pwrite64" },
		{ SYS_readlinkat, "readlinkat" }, { SYS_newfstatat, "newfstatat" },
		{ SYS_fstat, "fstat" }, { SYS_sync, "sync" }, { SYS_fsync, "fsync" },
		{ SYS_exit, "exit" }, { SYS_exit_group, "exit_group" },
		{ SYS_set_tid_address, "set_tid_address" }, { SYS_nanosleep, "nanosleep" },
		{ SYS_clock_gettime, "clock_gettime" }, { SYS_sched_yield, "sched_yield" },
		{ SYS_kill, "kill" }, { SYS_rt_sigaction, "rt_sigaction" },
		{ SYS_rt_sigprocmask, "rt_sigprocmask" }, { SYS_rt_sigreturn, "rt_sigreturn" },
		{ SYS_sigaltstack, "sigaltstack" },
		{ SYS_setpgid, "setpgid" }, { SYS_getpgid, "getpgid" }, { SYS_uname, "uname" },
		{ SYS_getpid, "getpid" }, { SYS_getppid, "getppid" }, { SYS_getuid, "getuid" },
		{ SYS_geteuid, "geteuid" }, { SYS_getgid, "getgid" }, { SYS_getegid, "getegid" },
		{ SYS_gettid, "gettid" }, { SYS_brk, "brk" }, { SYS_munmap, "munmap" },
		{ SYS_clone, "clone" }, { SYS_execve, "execve" }, { SYS_mmap, "mmap" },
		{ SYS_mprotect, "mprotect" }, { SYS_msync, "msync" }, { SYS_madvise, "madvise" },
		{ SYS_wait4, "wait4" }, { SYS_renameat2, "renameat2" },
	};

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].nr == nr)
			return names[i].name;
	return "unknown";
}

static int describe(char *buf, size_t size, const struct call *c)
{
	return snprintf(buf, size, "%s(%ld)(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx)",
			nr_name(c->nr), c->nr, c->a[0], c->a[1], c->a[2], c->a[3],
			c->a[4], c->a[5]);
}

/* Record the first failure of the run in the shared page. */
static void report(volatile long *counter, const struct call *c, const char *fmt, long v)
{
	char what[96];
	int n;

	__atomic_add_fetch(counter, 1, __ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(&sh->msg_taken, 1, __ATOMIC_SEQ_CST))
		return;
	snprintf(what, sizeof(what), fmt, v);
	n = snprintf(sh->msg, MSG_BYTES, "%s after ", what);
	if (n > 0 && n < MSG_BYTES)
		describe(sh->msg + n, MSG_BYTES - n, c);
}

static void log_call(int slot, long index, const struct call *c)
{
	char line[256];
	int n;

	if (!opt_verbose)
		return;
	n = snprintf(line, sizeof(line), "# w%d.%d %ld: ", slot, sh->slot[slot].generation, index);
	n += describe(line + n, sizeof(line) - n - 1, c);
	if ((c->nr == SYS_readv || c->nr == SYS_writev) && c->a[1] == (long)inbuf) {
		const unsigned long *iov = (const unsigned long *)inbuf;

		for (int i = 0; i < 4 && n < (int)sizeof(line) - 40; i++)
			n += snprintf(line + n, sizeof(line) - n, " [%#lx %#lx]", iov[2 * i], iov[2 * i + 1]);
	}
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(LOG_FD, line, n) < 0)
		opt_verbose = 0;
}

/* Make call c with random values in every other register; check them. */
static long make_call(const struct call *c)
{
	struct regs in, out;

	for (int i = 1; i < 32; i++)
		in.x[i] = next64();
	for (int i = 0; i < 32; i++)
		in.f[i] = next64();
	in.x[17] = (unsigned long)c->nr;
	for (int i = 0; i < 6; i++)
		in.x[10 + i] = (unsigned long)c->a[i];
	fuzz_ecall(&in, &out);
	if (in_grandchild)
		_exit(0);
	for (int i = 1; i < 32; i++) {
		if (i == 2 || i == 10 || out.x[i] == in.x[i])
			continue;
		report(&sh->reg_bad, c, "register x%ld changed", i);
		break;
	}
	for (int i = 0; i < 32; i++) {
		if (out.f[i] == in.f[i])
			continue;
		report(&sh->reg_bad, c, "register f%ld changed", i);
		break;
	}
	if (out.x[2] != out.x[0])
		report(&sh->reg_bad, c, "sp changed by %ld", (long)(out.x[2] - out.x[0]));
	return (long)out.x[10];
}

/* exit, exit_group and rt_sigreturn end (or derail) the caller: make
 * them in a child, which exits in any case. */
/* Linux riscv64's struct rt_sigframe: siginfo_t, then ucontext_t. */
#define SIGFRAME_BYTES  1088
#define SIGFRAME_PC     (128 + 176)             /* uc_mcontext.sc_regs.pc */
#define SIGFRAME_REGS   32
#define LANDING_BYTES   4096

static unsigned char sigframe[SIGFRAME_BYTES] __attribute__((aligned(16)));
static unsigned char landing_stack[LANDING_BYTES] __attribute__((aligned(16)));

/* Where a forged frame resumes: exit_group(0) with nothing else trusted. */
void fuzz_sigreturn_landing(void);
__asm__(".text\n"
	".globl fuzz_sigreturn_landing\n"
	"fuzz_sigreturn_landing:\n"
	"	li a0, 0\n"
	"	li a7, 94\n"                   /* NR_EXIT_GROUP */
	"	ecall\n");

/* rt_sigreturn in the worker's child: a frame of random words (from the
 * call's arguments) whose pc is fuzz_sigreturn_landing and sp a small
 * stack, at a valid sp, or (one time in four) a random sp. */
static void __attribute__((noreturn)) fuzz_sigreturn(const struct call *c)
{
	unsigned long x = (unsigned long)c->a[2] | 1, *w = (unsigned long *)sigframe;
	unsigned long *regs = (unsigned long *)(sigframe + SIGFRAME_PC);
	void *sp = ((c->a[0] & 3) == 0) ? (void *)c->a[1] : sigframe;

	for (unsigned i = 0; i < SIGFRAME_BYTES / sizeof(*w); i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;        /* xorshift */
		w[i] = x;
	}
	regs[0] = (unsigned long)fuzz_sigreturn_landing;
	regs[2] = (unsigned long)(landing_stack + LANDING_BYTES);
	__asm__ volatile("mv sp, %0\n\tli a7, %1\n\tecall"
			 : : "r"(sp), "i"(SYS_rt_sigreturn) : "memory");
	__builtin_unreachable();
}

static void call_in_child(const struct call *c)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		in_grandchild = 1;
		if (c->nr == SYS_rt_sigreturn)
			fuzz_sigreturn(c);
		make_call(c);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
}

/* Check a result; remember descriptors, children and mappings it gives. */
static void check_result(const struct call *c, long ret)
{
	int is_err = ret < 0 && ret >= -MAX_ERRNO;

	if (c->enosys && ret != -LX_ENOSYS)
		report(&sh->enosys_bad, c, "unimplemented call returned %ld", ret);
	if (is_err && -ret > MAX_LINUX_ERRNO)
		report(&sh->ret_bad, c, "result %ld is no errno", ret);
	if (c->kbuf && ret > 0 && (c->nr == SYS_read || c->nr == SYS_write ||
				   c->nr == SYS_pread64 || c->nr == SYS_pwrite64))
		report(&sh->kleak, c, "%ld bytes moved through a kernel address", ret);
	if (is_err)
		return;
	switch (c->nr) {
	case SYS_openat: case SYS_dup: case SYS_dup3:
		if (ret != LOG_FD)
			remember(fds, MAX_FDS, (int)ret);
		break;
	case SYS_fcntl:
		if (c->a[1] == 0 || c->a[1] == 1030)
			remember(fds, MAX_FDS, (int)ret);
		break;
	case SYS_clone:
		remember(kids, MAX_KIDS, (int)ret);
		break;
	case SYS_mmap:
		if ((unsigned long)ret < USER_END && !(c->a[3] & MAP_FIXED)) {
			long i = (long)below(MAX_MAPS);

			if (maps[i])
				munmap((void *)maps[i], map_len[i]);
			maps[i] = (unsigned long)ret;
			map_len[i] = (unsigned long)c->a[1];
		}
		break;
	default:
		break;
	}
}

/* Open map<slot> (shared-mapped past its end), d0, a pipe, /proc files;
 * lay out the arena. Returns 0 or -1. */
static int worker_setup(int slot)
{
	int fd, p[2];

	setpgid(0, 0);
	brk0 = (unsigned long)tap_sys(SYS_brk, 0, 0, 0);
	arena = mmap(NULL, ARENA_PAGES * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED)
		return -1;
	memset(arena, 0x5a, ARENA_PAGES * PAGE);
	char name[16];

	mkdir("d0", 0755);
	/* map<slot> and out<slot> are names the fuzz's paths never use. */
	snprintf(name, sizeof(name), "map%d", slot);
	fd = open(name, O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, FILE_MAP_BYTES) < 0)
		return -1;
	if (mmap(arena + FILE_MAP_PAGE * PAGE, FILE_MAP_PAGES * PAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)
		return -1;
	mprotect(arena + RO_PAGE * PAGE, PAGE, PROT_READ);
	mprotect(arena + NONE_PAGE * PAGE, PAGE, PROT_NONE);
	mprotect(arena + ARENA_USE * PAGE, PAGE, PROT_NONE);
	if (opt_verbose)
		dup2(1, LOG_FD);
	/* fds 0-2 become scratch files: the fuzz must not reach the console. */
	snprintf(name, sizeof(name), "out%d", slot);
	int out = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (out < 0)
		return -1;
	dup2(out, 0);
	dup2(out, 1);
	dup2(out, 2);
	fds[0] = fd;
	fds[1] = out;
	fds[2] = open("d0", O_RDONLY | O_DIRECTORY);
	fds[3] = open("/proc/self", O_RDONLY | O_DIRECTORY);
	if (pipe(p) == 0) {
		fds[4] = p[0];
		fds[5] = p[1];
	}
	fds[6] = open("/proc/self/maps", O_RDONLY);
	fds[7] = open(".", O_RDONLY | O_DIRECTORY);
	return 0;
}

static void reap_kids(void)
{
	while (tap_sys6(SYS_wait4, -1, 0, 1 /* WNOHANG */, 0, 0, 0) > 0)
		;
}

/* One worker: calls until the slot has made opt_calls or the parent stops it. */
static void worker(int slot)
{
	struct slot *s = &sh->slot[slot];
	struct call c;

	rng = opt_seed ^ (0x100000001b3UL * (unsigned long)(slot + 1)) ^
	      ((unsigned long)s->generation << 40);
	next64();
	if (worker_setup(slot) < 0)
		_exit(2);
	while (!sh->stop && (opt_calls == 0 || s->calls < opt_calls)) {
		gen_call(&c);
		s->last = c;
		log_call(slot, s->calls, &c);
		if (c.nr == SYS_exit || c.nr == SYS_exit_group || c.nr == SYS_rt_sigreturn) {
			call_in_child(&c);
		} else {
			long ret = make_call(&c);

			s->last_ret = ret;
			check_result(&c, ret);
		}
		s->calls++;
		s->progress++;
		if (s->calls % REAP_EVERY == 0)
			reap_kids();
	}
	if (opt_calls && s->calls >= opt_calls)
		s->done = 1;
	_exit(0);
}

/* ---------------------------------------------------------------- parent */

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static void sleep_ns(long ns)
{
	struct timespec ts = { ns / NS_PER_SEC, ns % NS_PER_SEC };

	nanosleep(&ts, NULL);
}

struct runner {
	pid_t pid;              /* 0: no worker in this slot */
	long seen;              /* progress at the last look */
	long seen_at;           /* when it last changed (ns) */
	long killed_at;         /* when we sent SIGKILL, 0 if not */
	int unkillable;         /* outlived REAP_BOUND_NS after SIGKILL */
};

static struct runner run[MAX_PROCS];
static long deaths, stalls, unkillable, workers;
static char unkillable_msg[MSG_BYTES];

static void spawn(int i)
{
	pid_t pid = fork();

	if (pid == 0)
		worker(i);
	if (pid < 0)
		return;
	workers++;
	run[i] = (struct runner){ pid, sh->slot[i].progress, now_ns(), 0, 0 };
}

static void kill_worker(int i)
{
	/* The worker leads its own group unless a setpgid failed. */
	kill(-run[i].pid, SIGKILL);
	kill(run[i].pid, SIGKILL);
	run[i].killed_at = now_ns();
}

/* Reap what has ended; returns how many slots still have a worker. */
static int reap(void)
{
	int status, alive = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < opt_procs; i++) {
			if (run[i].pid != pid)
				continue;
			if (WIFSIGNALED(status) && !run[i].killed_at)
				deaths++;
			run[i].pid = 0;
			sh->slot[i].generation++;
		}
	}
	for (int i = 0; i < opt_procs; i++)
		alive += run[i].pid != 0;
	return alive;
}

/* A worker that makes no progress is killed; one that outlives SIGKILL
 * by REAP_BOUND_NS is unkillable. */
static void watch(int i, long t)
{
	struct runner *r = &run[i];
	struct slot *s = &sh->slot[i];

	if (!r->pid)
		return;
	if (r->killed_at) {
		if (t - r->killed_at > REAP_BOUND_NS && !r->unkillable) {
			r->unkillable = 1;
			unkillable++;
			describe(unkillable_msg, sizeof(unkillable_msg), &s->last);
			tap_diag("worker %d (pid %d) not reaped %ld s after SIGKILL, in %s",
				 i, (int)r->pid, REAP_BOUND_NS / NS_PER_SEC, unkillable_msg);
		}
		return;
	}
	if (s->progress != r->seen) {
		r->seen = s->progress;
		r->seen_at = t;
	} else if (t - r->seen_at > STALL_NS) {
		stalls++;
		kill_worker(i);
	}
}

/* Run the workers until every slot is done or the time is up, then kill
 * them; returns when all are reaped or have outlived the bound. */
static void run_workers(void)
{
	long start = now_ns(), end = start + opt_seconds * NS_PER_SEC;
	int stopping = 0;

	for (;;) {
		long t = now_ns();
		int alive = reap();

		if (!stopping && t >= end) {
			stopping = 1;
			sh->stop = 1;
			for (int i = 0; i < opt_procs; i++)
				if (run[i].pid && !run[i].killed_at)
					kill_worker(i);
		}
		if (!stopping)
			for (int i = 0; i < opt_procs; i++)
				if (!run[i].pid && !sh->slot[i].done)
					spawn(i);
		if (stopping && alive == 0)
			return;
		int all_done = 1;
		for (int i = 0; i < opt_procs; i++) {
			watch(i, t);
			all_done &= sh->slot[i].done && !run[i].pid;
			if (run[i].pid && run[i].killed_at && t - run[i].killed_at > REAP_BOUND_NS)
				alive--;
		}
		if (all_done || (stopping && alive <= 0))
			return;
		sleep_ns(POLL_NS);
	}
}

/* Give workers that outlived the bound until LATE_REAP_NS to end, so the
 * scratch directory can go and the leak check sees the end state. */
static void reap_late(void)
{
	long end = now_ns() + LATE_REAP_NS;

	while (reap() > 0 && now_ns() < end)
		sleep_ns(POLL_NS);
}

/* Remove dir and everything below it; returns 0 or -1. */
static int remove_tree(const char *dir, int depth)
{
	char path[PATH_BYTES];
	struct dirent *e;
	struct stat st;
	DIR *d;
	int rc = 0;

	if (depth > 32 || !(d = opendir(dir)))
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			rc |= remove_tree(path, depth + 1);
		else
			rc |= unlink(path);
	}
	closedir(d);
	return rmdir(dir) | rc;
}

static void usage(void)
{
	tap_diag("usage: fuzz [-s SEED] [-n CALLS] [-p PROCS(1-%d)] [-t SECONDS] [-v]", MAX_PROCS);
	exit(2);
}

static void parse_options(int argc, char **argv)
{
	int seeded = 0;

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];

		if (!strcmp(o, "-v")) {
			opt_verbose = 1;
			continue;
		}
		if (i + 1 >= argc || o[0] != '-' || o[2])
			usage();
		const char *v = argv[++i];
		switch (o[1]) {
		case 's': opt_seed = strtoul(v, NULL, 0); seeded = 1; break;
		case 'n': opt_calls = atol(v); break;
		case 'p': opt_procs = atoi(v); break;
		case 't': opt_seconds = atol(v); break;
		default: usage();
		}
	}
	if (opt_procs < 1 || opt_procs > MAX_PROCS || opt_calls < 0 || opt_seconds < 1)
		usage();
	if (!seeded)
		opt_seed = (unsigned long)now_ns() ^ ((unsigned long)getpid() << 32);
}

int main(int argc, char **argv)
{
	long total = 0;

	parse_options(argc, argv);
	tap_plan(PLAN);
	tap_diag("replay: /tests/fuzz -s %#lx -n %ld -p %d -t %ld", opt_seed, opt_calls,
		 opt_procs, opt_seconds);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	snprintf(scratch, sizeof(scratch), "/tmp/fuzz-%d", (int)getpid());
	int ok = sh != MAP_FAILED && mkdir(scratch, 0755) == 0 && chdir(scratch) == 0;
	if (!tap_ok(ok, "scratch directory %s", scratch))
		return tap_done();
	memset(sh, 0, sizeof(*sh));

	run_workers();
	for (int i = 0; i < opt_procs; i++)
		total += sh->slot[i].calls;
	tap_diag("%ld calls by %ld workers in %d slots; %ld died of a signal, %ld stalled and were killed",
		 total, workers, opt_procs, deaths, stalls);
	if (sh->msg_taken)
		tap_diag("first failure: %s", sh->msg);
	tap_ok(total >= (opt_calls && opt_calls * opt_procs < MIN_CALLS ? opt_calls * opt_procs : MIN_CALLS),
	       "the workers made calls (%ld)", total);
	tap_is(sh->reg_bad, 0, "every register but a0 (x and f) survives every call");
	tap_is(sh->ret_bad, 0, "every result is a value or -errno (1..%d)", MAX_LINUX_ERRNO);
	tap_is(sh->kleak, 0, "no read or write moved bytes through a kernel address");
	tap_is(sh->enosys_bad, 0, "unimplemented numbers return -ENOSYS");
	tap_is(unkillable, 0, "every worker is reaped within %ld s of SIGKILL",
	       REAP_BOUND_NS / NS_PER_SEC);
	reap_late();
	if (chdir("/") < 0)
		tap_diag("chdir / failed");
	tap_ok(remove_tree(scratch, 0) == 0, "scratch directory removed");
	return tap_done();
}
