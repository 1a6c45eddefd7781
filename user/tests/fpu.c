/*
 * fpu: the lazy FP state (sstatus.FS, arch/riscv/trap.c) keeps every
 * process's f0-f31 and fcsr its own. All 32 registers and fcsr are loaded
 * from a pattern in assembly, something happens, and they are stored and
 * compared: several processes at once on every hart, preempted by the
 * timer or yielding in a system call; a fork (the child starts with the
 * parent's registers); a signal whose handler uses FP and then clobbers
 * every FP register (the frame must bring them back, and its ucontext
 * must show them), sent by the process itself and by another process
 * while the first spins with its registers live.
 */
#include "tap.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>

#define PLAN            8
#define NFP             32              /* f0-f31 */
#define NSLOTS          (NFP + 1)       /* then fcsr */
#define FCSR_DEFINED    0xffU           /* frm and fflags */
#define NCHILD          8               /* more than the harts: they share */
#define ROUNDS          12
#define SPIN_LOOPS      400000L         /* a few timer ticks per round */
#define YIELDS          40
#define ASYNC_SIGNALS   3
#define WAIT_TRIES      2000            /* x 1 ms */

enum fp_mode { FP_SPIN, FP_YIELD, FP_FORK, FP_KILL, FP_WAIT };

/* Shared with the process that signals the spinner (FP_WAIT). */
struct fp_flags {
	volatile long loaded;           /* registers live, spinning */
	volatile long stop;             /* the spinner may go on */
	volatile long handled;          /* handler runs */
	volatile long handler_ok;       /* of which computed right */
};

/*
 * long fp_exercise(const uint64_t in[NSLOTS], uint64_t out[NSLOTS],
 *                  long mode, long arg):
 * load f0-f31 and fcsr from in, then by mode: spin arg loops; arg times
 * sched_yield; clone (fork) and return its result; kill(arg, SIGUSR1);
 * or set ((struct fp_flags *)arg)->loaded and spin until its stop.
 * Then store f0-f31 and fcsr into out. fs0-fs11 are saved around it
 * (the ABI's callee-saved FP registers).
 */
__asm__(
	"	.text\n"
	"	.globl fp_exercise\n"
	"	.balign 4\n"
	"fp_exercise:\n"
	"	addi sp, sp, -96\n"
	"	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11\n"
	"	fsd fs\\n, (\\n * 8)(sp)\n"
	"	.endr\n"
	"	mv t4, a1\n"
	"	mv t5, a2\n"
	"	mv t6, a3\n"
	"	li t3, 0\n"
	"	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"	fld f\\n, (\\n * 8)(a0)\n"
	"	.endr\n"
	"	ld t0, 256(a0)\n"
	"	fscsr t0\n"
	"	li t0, 1\n"
	"	beq t5, t0, 2f\n"
	"	li t0, 2\n"
	"	beq t5, t0, 3f\n"
	"	li t0, 3\n"
	"	beq t5, t0, 4f\n"
	"	li t0, 4\n"
	"	beq t5, t0, 5f\n"
	"1:	addi t6, t6, -1\n"             /* FP_SPIN */
	"	bgtz t6, 1b\n"
	"	j 9f\n"
	"2:	li a7, 124\n"                  /* FP_YIELD: sched_yield */
	"	ecall\n"
	"	addi t6, t6, -1\n"
	"	bgtz t6, 2b\n"
	"	j 9f\n"
	"3:	li a0, 17\n"                   /* FP_FORK: clone(SIGCHLD, 0, ...) */
	"	li a1, 0\n"
	"	li a2, 0\n"
	"	li a3, 0\n"
	"	li a4, 0\n"
	"	li a7, 220\n"
	"	ecall\n"
	"	mv t3, a0\n"
	"	j 9f\n"
	"4:	mv a0, t6\n"                   /* FP_KILL: kill(arg, SIGUSR1) */
	"	li a1, 10\n"
	"	li a7, 129\n"
	"	ecall\n"
	"	j 9f\n"
	"5:	li t0, 1\n"                    /* FP_WAIT */
	"	sd t0, 0(t6)\n"
	"6:	ld t0, 8(t6)\n"
	"	beqz t0, 6b\n"
	"9:	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"	fsd f\\n, (\\n * 8)(t4)\n"
	"	.endr\n"
	"	frcsr t0\n"
	"	sd t0, 256(t4)\n"
	"	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11\n"
	"	fld fs\\n, (\\n * 8)(sp)\n"
	"	.endr\n"
	"	addi sp, sp, 96\n"
	"	mv a0, t3\n"
	"	ret\n"
	/* void fp_clobber(void): every FP register and fcsr to garbage
	 * (a handler's last call: it breaks the ABI on purpose). */
	"	.globl fp_clobber\n"
	"	.balign 4\n"
	"fp_clobber:\n"
	"	li t0, -1\n"
	"	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"	fmv.d.x f\\n, t0\n"
	"	.endr\n"
	"	fscsr t0\n"
	"	ret\n");

long fp_exercise(const uint64_t *in, uint64_t *out, long mode, long arg);
void fp_clobber(void);

static struct fp_flags *flags;          /* MAP_SHARED */
static uint64_t frame_fp[NSLOTS];       /* what the handler's ucontext held */

/* A pattern no two (who, round) pairs share: a double per register and a
 * rounding mode and flags in fcsr. */
static void fp_pattern(uint64_t *in, int who, int round)
{
	for (int i = 0; i < NFP; i++)
		in[i] = 0x4000000000000000UL ^ ((uint64_t)who << 40) ^
			((uint64_t)round << 20) ^ ((uint64_t)i * 0x9e3779b1U);
	in[NFP] = (uint64_t)((who + round) % 5) << 5 | (uint64_t)(round & 0x1f);
}

/* The first slot where out differs from in (fcsr: its defined bits), or
 * -1 if none. */
static int fp_diff(const uint64_t *in, const uint64_t *out)
{
	for (int i = 0; i < NFP; i++)
		if (in[i] != out[i])
			return i;
	if ((in[NFP] & FCSR_DEFINED) != (out[NFP] & FCSR_DEFINED))
		return NFP;
	return -1;
}

/* The SIGUSR1 handler: FP arithmetic of its own (checked), the
 * interrupted FP registers as its ucontext shows them, then every FP
 * register clobbered. */
static void on_usr1(int sig, siginfo_t *si, void *ucp)
{
	ucontext_t *uc = ucp;
	volatile double x = 1.5;
	double y = x * 2.0 + 0.25;

	(void)sig;
	(void)si;
	for (int i = 0; i < NFP; i++)
		frame_fp[i] = uc->uc_mcontext.__fpregs.__d.__f[i];
	frame_fp[NFP] = uc->uc_mcontext.__fpregs.__d.__fcsr;
	if (flags != NULL) {
		if (y == 3.25)
			flags->handler_ok++;
		flags->handled++;
	}
	fp_clobber();
}

static void set_usr1(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
}

/* A child's rounds: mode (FP_SPIN or FP_YIELD) with its own pattern per
 * round. Exits 0 if every round kept every register, else 10 + round. */
static void child_rounds(int who, enum fp_mode mode, long arg)
{
	uint64_t in[NSLOTS], out[NSLOTS];

	for (int r = 0; r < ROUNDS; r++) {
		fp_pattern(in, who, r);
		fp_exercise(in, out, mode, arg);
		if (fp_diff(in, out) >= 0)
			_exit(10 + r);
	}
	_exit(0);
}

/* NCHILD children at once doing child_rounds; true if all exit 0. */
static bool run_children(enum fp_mode mode, long arg)
{
	pid_t pids[NCHILD];
	bool ok = true;
	int status;

	for (int c = 0; c < NCHILD; c++) {
		pids[c] = fork();
		if (pids[c] == 0)
			child_rounds(c + 1, mode, arg);
	}
	for (int c = 0; c < NCHILD; c++) {
		if (pids[c] < 0 || waitpid(pids[c], &status, 0) != pids[c] ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			tap_diag("child %d: status %#x", c + 1, status);
			ok = false;
		}
	}
	return ok;
}

static void test_concurrent(void)
{
	tap_ok(run_children(FP_SPIN, SPIN_LOOPS),
	       "%d processes spinning at once (timer preemption) keep "
	       "f0-f31 and fcsr", NCHILD);
	tap_ok(run_children(FP_YIELD, YIELDS),
	       "%d processes yielding in sched_yield keep f0-f31 and fcsr",
	       NCHILD);
}

static void test_fork(void)
{
	uint64_t in[NSLOTS], out[NSLOTS];
	int status = -1;
	long pid;

	fp_pattern(in, 42, 7);
	pid = fp_exercise(in, out, FP_FORK, 0);
	if (pid == 0) {
		uint64_t mine[NSLOTS], back[NSLOTS];
		int same = fp_diff(in, out) < 0;

		/* The child's own registers must not leak to the parent. */
		fp_pattern(mine, 43, 8);
		fp_exercise(mine, back, FP_SPIN, SPIN_LOOPS);
		_exit(same && fp_diff(mine, back) < 0 ? 0 : 1);
	}
	if (pid > 0)
		waitpid((pid_t)pid, &status, 0);
	tap_ok(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "a forked child starts with the parent's f0-f31 and fcsr "
	       "(status %#x)", status);
	fp_exercise(in, out, FP_SPIN, SPIN_LOOPS);
	tap_is(fp_diff(in, out), -1, "the parent's registers are its own "
	       "while and after the child runs (first bad slot)");
}

static void test_signal_self(void)
{
	uint64_t in[NSLOTS], out[NSLOTS];
	long before = flags->handled;

	fp_pattern(in, 7, 3);
	memset(frame_fp, 0, sizeof(frame_fp));
	fp_exercise(in, out, FP_KILL, getpid());
	tap_ok(flags->handled == before + 1 &&
	       flags->handler_ok == flags->handled,
	       "the SIGUSR1 handler ran once and its own FP arithmetic was "
	       "right");
	tap_is(fp_diff(in, frame_fp), -1, "the handler's ucontext holds the "
	       "interrupted f0-f31 and fcsr (first bad slot)");
	tap_is(fp_diff(in, out), -1, "after a handler that clobbers every FP "
	       "register, f0-f31 and fcsr are back (first bad slot)");
}

/* Wait up to WAIT_TRIES ms for *v to reach want. */
static bool wait_for(volatile long *v, long want)
{
	struct timespec ms = { 0, 1000000 };

	for (int i = 0; i < WAIT_TRIES && *v < want; i++)
		nanosleep(&ms, NULL);
	return *v >= want;
}

/* A spinner with its FP registers live takes ASYNC_SIGNALS signals from
 * the parent while another process uses FP at the same time. */
static void test_signal_async(void)
{
	uint64_t in[NSLOTS], out[NSLOTS];
	pid_t spinner, others;
	int status = -1, ostatus = -1;
	bool sent = true;

	flags->loaded = flags->stop = 0;
	flags->handled = flags->handler_ok = 0;
	others = fork();
	if (others == 0)
		child_rounds(9, FP_SPIN, SPIN_LOOPS);
	spinner = fork();
	if (spinner == 0) {
		fp_pattern(in, 5, 5);
		fp_exercise(in, out, FP_WAIT, (long)flags);
		_exit(fp_diff(in, out) < 0 ? 0 : 1);
	}
	if (!wait_for(&flags->loaded, 1))
		sent = false;
	for (int i = 1; sent && i <= ASYNC_SIGNALS; i++) {
		kill(spinner, SIGUSR1);
		sent = wait_for(&flags->handled, i);
	}
	flags->stop = 1;
	waitpid(spinner, &status, 0);
	waitpid(others, &ostatus, 0);
	tap_ok(sent && flags->handler_ok == ASYNC_SIGNALS &&
	       WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	       WIFEXITED(ostatus) && WEXITSTATUS(ostatus) == 0,
	       "a spinner signalled %d times by another process (handler "
	       "uses and clobbers FP) keeps its registers, and so does a "
	       "process running beside it (handled %ld, status %#x, %#x)",
	       ASYNC_SIGNALS, flags->handled, status, ostatus);
}

int main(void)
{
	tap_plan(PLAN);
	flags = mmap(NULL, sizeof(*flags), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (flags == MAP_FAILED) {
		tap_diag("mmap of the shared flags failed");
		return 1;
	}
	set_usr1();
	test_concurrent();
	test_fork();
	test_signal_self();
	test_signal_async();
	munmap(flags, sizeof(*flags));
	return tap_done();
}
