/* pagoda-test: EXPECT_CONSOLE=^pagoda: signals\[[0-9]+\] pid [0-9]+: segmentation fault at 0x[0-9a-f]+ \(signal 10 frame, bad stack\)$ */
/*
 * signals: handlers, masks, the alternate stack and rt_sigreturn, as a
 * program uses them to catch its own faults (Appel and Li's user-level
 * virtual memory): a SIGSEGV handler sees si_addr and si_code
 * (SEGV_MAPERR, SEGV_ACCERR), maps or unprotects the page and returns, and
 * the faulting instruction runs again; a write barrier counts the first
 * write to each page; a stack overflow is caught on the sigaltstack;
 * sigprocmask defers a kill until unblocked; a handler moves the pc in its
 * ucontext; the FP registers survive a handler. Whatever cannot be
 * delivered kills only the process: a frame on a bad stack (the console
 * line the pagoda-test line expects), a blocked fault, a forged frame
 * whose pc is in the kernel, a frame at an unmapped sp.
 * The frame is Linux riscv64's (struct rt_sigframe, ucontext_t).
 */
#include "tap.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <ucontext.h>

#define PAGE            4096L
#define BARRIER_PAGES   16
#define ALTSTACK_BYTES  (64 * 1024)
#define LANDING_STACK   (16 * 1024)
#define FRAME_MAGIC     0x5167a1L
#define FP_42           0x4045000000000000UL    /* 42.0 */
#define FP_100          0x4059000000000000UL    /* 100.0 */
#define FCSR_FORGED     0xffffffffU
#define FCSR_DEFINED    0xffU
#define REG_A4          14
#define REG_A5          15
#define WAIT_TRIES      400                     /* x 5 ms */

/* What the last handler saw. */
static volatile int seen_count;
static volatile int seen_signo;
static volatile int seen_code;
static volatile int seen_pid;
static void *volatile seen_addr;
static volatile int handled;

/* ---------------------------------------------------------------- helpers */

static int set_handler(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	return sigaction(sig, &sa, NULL);
}

static void set_default(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(sig, &sa, NULL);
}

static void record(int sig, const siginfo_t *si)
{
	seen_count++;
	seen_signo = sig == si->si_signo ? sig : -1;
	seen_code = si->si_code;
	seen_addr = si->si_addr;
}

static void *map_pages(long n, int prot)
{
	void *p = mmap(NULL, n * PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* The state letter of process pid in /proc/pid/stat, or 0. */
static char proc_state(pid_t pid)
{
	char path[32], buf[256], *p;
	int fd, n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return (p != NULL && p[1] == ' ') ? p[2] : 0;
}

/* Wait until pid sleeps; 0 if it never did. */
static int wait_sleeping(pid_t pid)
{
	for (int i = 0; i < WAIT_TRIES; i++) {
		if (proc_state(pid) == 'S')
			return 1;
		sleep_ms(5);
	}
	return 0;
}

/* ------------------------------------------------------ rt_sigaction */

static void on_usr(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	record(sig, si);
	seen_pid = si->si_pid;
	handled++;
}

static void test_sigaction_calls(void)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_usr;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaddset(&sa.sa_mask, SIGKILL);
	tap_ok(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction installs a handler");
	memset(&old, 0, sizeof(old));
	sigaction(SIGUSR1, NULL, &old);
	tap_ok(old.sa_sigaction == on_usr &&
	       old.sa_flags == (SA_SIGINFO | SA_RESTART) &&
	       sigismember(&old.sa_mask, SIGUSR2) == 1 &&
	       sigismember(&old.sa_mask, SIGKILL) == 0,
	       "sigaction reads back handler, flags and mask (SIGKILL dropped)");
	tap_errno(sigaction(SIGKILL, &sa, NULL), EINVAL,
		  "a handler for SIGKILL is refused with EINVAL");
	tap_is(tap_sys6(SYS_rt_sigaction, 65, (long)&sa, 0, 8, 0, 0), -LX_EINVAL,
	       "rt_sigaction of signal 65 gives EINVAL");
	set_default(SIGUSR1);
}

/* ---------------------------------------------- SIGSEGV: MAPERR, ACCERR */

static char *volatile pager_page;       /* the page the pager maps on demand */

/* A user-level pager: map the missing page, fill it, retry. */
static void on_segv_pager(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	record(sig, si);
	if (mmap(pager_page, PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		_exit(3);
	pager_page[123] = 'P';
}

static void test_maperr(void)
{
	volatile char *p;
	char c;

	pager_page = map_pages(1, PROT_READ | PROT_WRITE);
	munmap(pager_page, PAGE);
	seen_count = 0;
	set_handler(SIGSEGV, on_segv_pager, 0);
	p = pager_page + 123;
	c = *p;                                 /* faults: nothing mapped */
	set_default(SIGSEGV);
	tap_is(seen_count, 1, "SIGSEGV handler ran once for a load from an unmapped page");
	tap_ok(seen_signo == SIGSEGV && seen_code == SEGV_MAPERR,
	       "si_signo SIGSEGV, si_code SEGV_MAPERR (code %d)", seen_code);
	tap_ok(seen_addr == (void *)(pager_page + 123),
	       "si_addr is the faulting byte (%p, expected %p)", seen_addr,
	       (void *)(pager_page + 123));
	tap_is(c, 'P', "the load ran again after the handler mapped the page");
	munmap(pager_page, PAGE);
}

static char *volatile guarded;

/* Unprotect the page written and return: the store runs again. */
static void on_segv_unprotect(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	record(sig, si);
	mprotect((void *)((uintptr_t)si->si_addr & ~(uintptr_t)(PAGE - 1)),
		 PAGE, PROT_READ | PROT_WRITE);
}

static void test_accerr(void)
{
	volatile char *p;

	guarded = map_pages(1, PROT_READ);
	seen_count = 0;
	set_handler(SIGSEGV, on_segv_unprotect, 0);
	p = guarded + 777;
	*p = 'W';                               /* faults: read-only */
	set_default(SIGSEGV);
	tap_ok(seen_count == 1 && seen_signo == SIGSEGV && seen_code == SEGV_ACCERR,
	       "a store to a read-only page: one SIGSEGV, SEGV_ACCERR (code %d)", seen_code);
	tap_ok(seen_addr == (void *)(guarded + 777), "si_addr %p is the byte stored to",
	       seen_addr);
	tap_is(guarded[777], 'W', "the store ran again after mprotect in the handler");
	munmap(guarded, PAGE);
}

/* ------------------------------------------------------- write barrier */

static char *volatile barrier;
static volatile int barrier_hits[BARRIER_PAGES];
static volatile int barrier_bad;

static void on_segv_barrier(int sig, siginfo_t *si, void *uc)
{
	long i = ((char *)si->si_addr - barrier) / PAGE;

	(void)uc;
	if (sig != SIGSEGV || si->si_code != SEGV_ACCERR || i < 0 ||
	    i >= BARRIER_PAGES) {
		barrier_bad++;
		_exit(4);
	}
	barrier_hits[i]++;
	mprotect(barrier + i * PAGE, PAGE, PROT_READ | PROT_WRITE);
}

/* A concurrent collector's write barrier: protect the heap, count the
 * first write to each page, then let writes run at full speed. */
static void test_write_barrier(void)
{
	int first_ok = 1, data_ok = 1, total = 0, want = 0;

	barrier = map_pages(BARRIER_PAGES, PROT_READ | PROT_WRITE);
	memset(barrier, 1, BARRIER_PAGES * PAGE);
	mprotect(barrier, BARRIER_PAGES * PAGE, PROT_READ);
	set_handler(SIGSEGV, on_segv_barrier, 0);
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < BARRIER_PAGES; i++)
			if (i % 3 != 0)
				barrier[i * PAGE + round * 100] = (char)(i + round);
	set_default(SIGSEGV);
	for (int i = 0; i < BARRIER_PAGES; i++) {
		int expect = i % 3 != 0;

		want += expect;
		total += barrier_hits[i];
		if (barrier_hits[i] != expect)
			first_ok = 0;
		for (int round = 0; round < 3 && expect; round++)
			if (barrier[i * PAGE + round * 100] != (char)(i + round))
				data_ok = 0;
		if (!expect && barrier[i * PAGE] != 1)
			data_ok = 0;
	}
	tap_ok(first_ok && barrier_bad == 0,
	       "write barrier: exactly the first write to each written page faulted "
	       "(%d faults, %d pages written)", total, want);
	tap_ok(data_ok, "write barrier: every write landed, untouched pages intact");
	munmap(barrier, BARRIER_PAGES * PAGE);
}

/* -------------------------------------------------- stack overflow */

static char *volatile altstack;

static int recurse(int depth)
{
	volatile char buf[1024];

	buf[0] = (char)depth;
	if (depth > 1000000)
		return 0;
	return recurse(depth + 1) + buf[0];
}

/* On the alternate stack: exit 0 if everything is as it should be,
 * else a bit for each thing wrong. */
static void on_overflow(int sig, siginfo_t *si, void *uc)
{
	char here;
	stack_t cur;
	int bad = 0;

	(void)uc;
	if (&here < altstack || &here >= altstack + ALTSTACK_BYTES)
		bad |= 1;
	if (sigaltstack(NULL, &cur) != 0 || cur.ss_flags != SS_ONSTACK)
		bad |= 2;
	if (sig != SIGSEGV || si->si_code != SEGV_MAPERR)
		bad |= 4;
	_exit(bad);
}

static void child_overflow(void *onstack)
{
	stack_t ss = { .ss_sp = altstack, .ss_flags = 0, .ss_size = ALTSTACK_BYTES };

	if (onstack != NULL && sigaltstack(&ss, NULL) != 0)
		_exit(20);
	set_handler(SIGSEGV, on_overflow, onstack != NULL ? SA_ONSTACK : 0);
	recurse(0);
	_exit(21);
}

static void test_altstack(void)
{
	stack_t ss, old;
	int status;

	altstack = malloc(ALTSTACK_BYTES);
	ss.ss_sp = altstack;
	ss.ss_size = MINSIGSTKSZ - 1;
	ss.ss_flags = 0;
	tap_errno(sigaltstack(&ss, NULL), ENOMEM,
		  "sigaltstack below MINSIGSTKSZ gives ENOMEM");
	ss.ss_size = ALTSTACK_BYTES;
	ss.ss_flags = 4;
	tap_errno(sigaltstack(&ss, NULL), EINVAL, "sigaltstack with bad flags gives EINVAL");
	ss.ss_flags = 0;
	memset(&old, 0, sizeof(old));
	tap_ok(sigaltstack(&ss, NULL) == 0 && sigaltstack(NULL, &old) == 0 &&
	       old.ss_sp == altstack && old.ss_size == ALTSTACK_BYTES &&
	       old.ss_flags == 0, "sigaltstack sets and reads back the stack");
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	sigaltstack(NULL, &old);
	tap_is(old.ss_flags, SS_DISABLE, "SS_DISABLE turns it off");

	status = tap_in_child(child_overflow, (void *)1);
	tap_exited_with(status, 0, "a stack overflow is caught on the sigaltstack "
			"(handler on it, SS_ONSTACK, SEGV_MAPERR)");
	status = tap_in_child(child_overflow, NULL);
	tap_killed_by(status, SIGSEGV, "a stack overflow without sigaltstack: the "
		      "frame does not fit, the process dies of SIGSEGV");
	free(altstack);
}

/* ------------------------------------------------------ sigprocmask */

static volatile sigset_t mask_in_handler;

static void on_usr_mask(int sig, siginfo_t *si, void *uc)
{
	sigset_t cur;

	on_usr(sig, si, uc);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	mask_in_handler = cur;
}

static void test_sigprocmask(void)
{
	sigset_t set, cur;
	int during;

	handled = 0;
	set_handler(SIGUSR1, on_usr_mask, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGKILL);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	tap_ok(sigismember(&cur, SIGUSR1) == 1 && sigismember(&cur, SIGKILL) == 0,
	       "SIG_BLOCK blocks SIGUSR1; SIGKILL cannot be blocked");
	kill(getpid(), SIGUSR1);
	during = handled;
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	tap_ok(during == 0 && handled == 1,
	       "a blocked kill() waits, and runs the handler once at SIG_UNBLOCK "
	       "(%d before, %d after)", during, handled);
	tap_ok(seen_code == SI_USER && seen_pid == getpid(),
	       "si_code SI_USER and si_pid of the sender (code %d, pid %d)",
	       seen_code, seen_pid);
	tap_ok(sigismember((sigset_t *)&mask_in_handler, SIGUSR1) == 1,
	       "the signal is blocked while its handler runs");
	sigprocmask(SIG_BLOCK, NULL, &cur);
	tap_is(sigismember(&cur, SIGUSR1), 0, "rt_sigreturn restores the mask");
	tap_is(tap_sys6(SYS_rt_sigprocmask, 7, (long)&set, 0, 8, 0, 0), -LX_EINVAL,
	       "rt_sigprocmask with a bad how gives EINVAL");
	set_default(SIGUSR1);
}

/* SA_NODEFER leaves the signal unblocked; SA_RESETHAND runs it once. */
static void test_flags(void)
{
	struct sigaction old;

	handled = 0;
	set_handler(SIGUSR2, on_usr_mask, SA_NODEFER | SA_RESETHAND);
	kill(getpid(), SIGUSR2);
	tap_ok(handled == 1 && sigismember((sigset_t *)&mask_in_handler, SIGUSR2) == 0,
	       "SA_NODEFER: the handler runs with its signal unblocked");
	sigaction(SIGUSR2, NULL, &old);
	tap_ok(old.sa_handler == SIG_DFL, "SA_RESETHAND: the action is SIG_DFL after one delivery");
	set_default(SIGUSR2);
}

/* -------------------------------------------------------- SA_RESTART */

static volatile int *shared_flag;

static void on_usr_flag(int sig)
{
	(void)sig;
	*shared_flag = 1;
}

/* A read on an empty pipe, interrupted by SIGUSR1: with SA_RESTART it goes
 * on and gets the byte written after the handler ran, without it fails
 * with EINTR. Returns what the child reported. */
static int restart_case(int flags)
{
	struct sigaction sa;
	int fds[2], status;
	pid_t pid;

	*shared_flag = 0;
	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char c;
		long r;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_usr_flag;
		sa.sa_flags = flags;
		sigaction(SIGUSR1, &sa, NULL);
		close(fds[1]);
		r = read(fds[0], &c, 1);
		if (r == 1 && c == 'x')
			_exit(10);
		_exit(r == -1 && errno == EINTR ? 11 : 12);
	}
	close(fds[0]);
	if (wait_sleeping(pid))
		kill(pid, SIGUSR1);
	for (int i = 0; i < WAIT_TRIES && *shared_flag == 0; i++)
		sleep_ms(5);
	if (flags & SA_RESTART) {
		wait_sleeping(pid);
		if (write(fds[1], "x", 1) != 1)
			tap_diag("pipe write failed");
	}
	close(fds[1]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_restart(void)
{
	shared_flag = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	tap_is(restart_case(SA_RESTART), 10,
	       "SA_RESTART: a read interrupted by a handler starts again");
	tap_is(restart_case(0), 11, "without SA_RESTART the read fails with EINTR");
	munmap((void *)shared_flag, PAGE);
}

/* -------------------------------------------------- ucontext: pc, regs */

/* ld a5, 0(a4) as one 4-byte instruction; returns a5. */
static long load_a5(volatile long *p)
{
	register long v __asm__("a5") = 7;
	register volatile long *addr __asm__("a4") = p;

	__asm__ volatile(".option push\n\t.option norvc\n\t"
			 "ld a5, 0(a4)\n\t.option pop"
			 : "+r"(v) : "r"(addr) : "memory");
	return v;
}

static volatile unsigned long seen_pc, seen_a4;

static void on_segv_skip(int sig, siginfo_t *si, void *ucp)
{
	ucontext_t *uc = ucp;

	record(sig, si);
	seen_pc = uc->uc_mcontext.__gregs[REG_PC];
	seen_a4 = uc->uc_mcontext.__gregs[REG_A4];
	uc->uc_mcontext.__gregs[REG_PC] += 4;   /* past the ld */
	uc->uc_mcontext.__gregs[REG_A5] = 1234;
}

static void test_skip(void)
{
	long v;

	seen_count = 0;
	set_handler(SIGSEGV, on_segv_skip, 0);
	v = load_a5((volatile long *)TAP_UNMAPPED_ADDR);
	set_default(SIGSEGV);
	tap_ok(seen_count == 1 && seen_a4 == (unsigned long)TAP_UNMAPPED_ADDR &&
	       seen_addr == TAP_UNMAPPED_ADDR,
	       "the ucontext holds the registers at the fault (a4 = si_addr)");
	tap_is(v, 1234, "a handler that moves pc past the load and sets a5 "
	       "resumes there with a5 changed (pc was %#lx)", seen_pc);
}

/* ------------------------------------------------------------ FP state */

static volatile unsigned long fp_in_frame;
static volatile int fp_rewrite;

static void on_usr_fp(int sig, siginfo_t *si, void *ucp)
{
	ucontext_t *uc = ucp;

	(void)sig;
	(void)si;
	fp_in_frame = uc->uc_mcontext.__fpregs.__d.__f[8];     /* fs0 */
	/* Clobber fs0 behind the compiler's back: only the frame can
	 * give it back. */
	__asm__ volatile("fmv.d.x fs0, zero");
	if (fp_rewrite)
		uc->uc_mcontext.__fpregs.__d.__f[8] = FP_100;
}

static unsigned long fp_round(int rewrite)
{
	unsigned long after;

	fp_rewrite = rewrite;
	__asm__ volatile("fmv.d.x fs0, %0" : : "r"(FP_42) : "fs0");
	kill(getpid(), SIGUSR1);
	__asm__ volatile("fmv.x.d %0, fs0" : "=r"(after));
	return after;
}

static void test_fp(void)
{
	unsigned long after;

	set_handler(SIGUSR1, on_usr_fp, 0);
	after = fp_round(0);
	tap_ok(fp_in_frame == FP_42 && after == FP_42,
	       "FP registers are saved in the frame and restored after the handler "
	       "(frame %#lx, after %#lx)", fp_in_frame, after);
	after = fp_round(1);
	tap_is(after, FP_100, "a handler's change to the frame's fs0 is loaded back");
	set_default(SIGUSR1);
}

/* -------------------------------------------- deaths that stay local */

static void child_bad_altstack(void *arg)
{
	char *p = map_pages(ALTSTACK_BYTES / PAGE, PROT_READ | PROT_WRITE);
	stack_t ss = { .ss_sp = p, .ss_flags = 0, .ss_size = ALTSTACK_BYTES };

	(void)arg;
	munmap(p, ALTSTACK_BYTES);
	if (sigaltstack(&ss, NULL) != 0)
		_exit(20);
	set_handler(SIGUSR1, on_usr, SA_ONSTACK);
	kill(getpid(), SIGUSR1);
	_exit(21);
}

static void child_blocked_fault(void *arg)
{
	sigset_t set;

	(void)arg;
	set_handler(SIGSEGV, on_segv_unprotect, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGSEGV);
	sigprocmask(SIG_BLOCK, &set, NULL);
	*(volatile char *)TAP_UNMAPPED_ADDR = 1;
	_exit(21);
}

/* Linux riscv64's struct rt_sigframe. */
struct frame {
	siginfo_t info;
	ucontext_t uc;
} __attribute__((aligned(16)));

static struct frame forged;
static char landing_stack[LANDING_STACK] __attribute__((aligned(16)));

/* Where the forged frame resumes: exit 0 if a0, fcsr and the mask are
 * what the frame says (with fcsr and the mask cut to what is allowed). */
static void landing(long a0)
{
	sigset_t cur;
	unsigned int fcsr;
	int bad = 0;

	if (a0 != FRAME_MAGIC)
		bad |= 1;
	__asm__ volatile("frcsr %0" : "=r"(fcsr));
	if (fcsr != (FCSR_FORGED & FCSR_DEFINED))
		bad |= 2;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	if (sigismember(&cur, SIGKILL) != 0 || sigismember(&cur, SIGUSR1) != 1)
		bad |= 4;
	_exit(bad);
}

static void __attribute__((noreturn)) sigreturn_at(void *sp)
{
	__asm__ volatile("mv sp, %0\n\tli a7, %1\n\tecall"
			 : : "r"(sp), "i"(SYS_rt_sigreturn) : "memory");
	__builtin_unreachable();
}

static void forge(unsigned long pc)
{
	unsigned long gp, tp;

	__asm__ volatile("mv %0, gp\n\tmv %1, tp" : "=r"(gp), "=r"(tp));
	memset(&forged, 0, sizeof(forged));
	forged.uc.uc_mcontext.__gregs[REG_PC] = pc;
	forged.uc.uc_mcontext.__gregs[REG_SP] =
		(unsigned long)(landing_stack + LANDING_STACK);
	forged.uc.uc_mcontext.__gregs[3] = gp;
	forged.uc.uc_mcontext.__gregs[REG_TP] = tp;
	forged.uc.uc_mcontext.__gregs[REG_A0] = FRAME_MAGIC;
	forged.uc.uc_mcontext.__fpregs.__d.__fcsr = FCSR_FORGED;
	forged.uc.uc_sigmask = ~(sigset_t)0;
	forged.uc.uc_stack.ss_flags = SS_DISABLE;
}

static void child_forged(void *arg)
{
	forge((unsigned long)arg);
	sigreturn_at(&forged);
}

static void child_sigreturn_unmapped(void *arg)
{
	(void)arg;
	sigreturn_at(TAP_UNMAPPED_ADDR);
}

static void test_deaths(void)
{
	tap_killed_by(tap_in_child(child_bad_altstack, NULL), SIGSEGV,
		      "a handler frame on an unmapped sigaltstack kills the "
		      "process with SIGSEGV (console line)");
	tap_killed_by(tap_in_child(child_blocked_fault, NULL), SIGSEGV,
		      "a fault with SIGSEGV blocked kills despite the handler");
	tap_exited_with(tap_in_child(child_forged, (void *)(uintptr_t)landing), 0,
			"a forged frame resumes where it says, fcsr cut to its "
			"defined bits, SIGKILL never blocked");
	tap_killed_by(tap_in_child(child_forged, TAP_KERNEL_TEXT), SIGSEGV,
		      "a forged frame with a kernel pc only faults in user mode");
	tap_killed_by(tap_in_child(child_sigreturn_unmapped, NULL), SIGSEGV,
		      "rt_sigreturn with sp at an unmapped page kills with SIGSEGV");
}

/* --------------------------------------------------------- SIGBUS */

static char *volatile bus_addr;

static void on_bus(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	_exit((sig == SIGBUS ? 0 : 1) | (si->si_code == BUS_ADRERR ? 0 : 2) |
	      (si->si_addr == bus_addr ? 0 : 4));
}

static void child_sigbus(void *arg)
{
	const char *path = arg;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	char *p;

	if (fd < 0 || write(fd, "abc", 3) != 3)
		_exit(20);
	p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		_exit(21);
	set_handler(SIGBUS, on_bus, 0);
	bus_addr = p + PAGE + 5;
	(void)*(volatile char *)bus_addr;       /* wholly past the end */
	_exit(22);
}

static void test_sigbus(void)
{
	const char *path = "/tmp/signals-bus";

	tap_exited_with(tap_in_child(child_sigbus, (void *)path), 0,
			"a load past a mapped file's end: SIGBUS, BUS_ADRERR, si_addr");
	unlink(path);
}

int main(void)
{
	tap_plan(39);
	signal(SIGPIPE, SIG_IGN);
	test_sigaction_calls();         /* 4 */
	test_maperr();                  /* 4 */
	test_accerr();                  /* 3 */
	test_write_barrier();           /* 2 */
	test_altstack();                /* 6 */
	test_sigprocmask();             /* 6 */
	test_flags();                   /* 2 */
	test_restart();                 /* 2 */
	test_skip();                    /* 2 */
	test_fp();                      /* 2 */
	test_deaths();                  /* 5 */
	test_sigbus();                  /* 1 */
	return tap_done();
}
