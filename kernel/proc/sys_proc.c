/*
 * Process system calls (Linux riscv64 semantics): exit, identity, time,
 * sleeping, signals, process groups, uname, reboot, clone and wait4.
 * Each handler checks and copies its user arguments, then calls proc.c or
 * sched.c; execve is in exec.c.
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/syscall.h"
#include "kernel/dev/console.h"
#include "kernel/dev/rtc.h"
#include "kernel/lib/string.h"
#include "kernel/fs/vfs.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/sched.h"
#include "kernel/proc/signal.h"
#include "kernel/proc/wait.h"
#include "kernel/vm/uaccess.h"
#include "arch/riscv/sbi.h"
#include "arch/riscv/timer.h"

#define NSEC_PER_SEC 1000000000L
#define NSEC_PER_USEC 1000L

/* Clock ids of clock_gettime (include/uapi/linux/time.h). */
#define CLOCK_REALTIME          0
#define CLOCK_MONOTONIC         1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW     4
#define CLOCK_REALTIME_COARSE   5
#define CLOCK_MONOTONIC_COARSE  6
#define CLOCK_BOOTTIME          7

/* reboot(2) magic numbers and commands (include/uapi/linux/reboot.h). */
#define REBOOT_MAGIC1           0xfee1deadUL
#define REBOOT_MAGIC2           672274793UL
#define REBOOT_MAGIC2A          85072278UL
#define REBOOT_MAGIC2B          369367448UL
#define REBOOT_MAGIC2C          537993216UL
#define REBOOT_CMD_RESTART      0x01234567UL
#define REBOOT_CMD_HALT         0xcdef0123UL
#define REBOOT_CMD_POWER_OFF    0x4321fedcUL

struct timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};

struct timeval {
	int64_t tv_sec;
	int64_t tv_usec;
};

/* struct rusage (Linux asm-generic layout): two timevals, then 14 longs. */
struct rusage {
	struct timeval ru_utime;
	struct timeval ru_stime;
	int64_t ru_maxrss;              /* kB */
	int64_t ru_ixrss, ru_idrss, ru_isrss;   /* not counted */
	int64_t ru_minflt;              /* page faults without a read */
	int64_t ru_majflt;              /* page faults that waited for a read */
	int64_t ru_other[8];            /* nswap .. nivcsw: not counted */
};
_Static_assert(sizeof(struct rusage) == RUSAGE_SIZE, "struct rusage layout");

#define UTS_LEN 65
struct utsname {
	char sysname[UTS_LEN];
	char nodename[UTS_LEN];
	char release[UTS_LEN];
	char version[UTS_LEN];
	char machine[UTS_LEN];
	char domainname[UTS_LEN];
};

/* The clone flags Pagoda accepts (include/uapi/linux/sched.h): vfork's
 * CLONE_VM | CLONE_VFORK is served by a plain fork. */
#define CSIGNAL         0x000000ffUL
#define CLONE_VM        0x00000100UL
#define CLONE_VFORK     0x00004000UL

/* exit(status): terminate with exit code status & 0xff. */
long sys_exit(const struct syscall_args *args)
{
	proc_exit(W_EXITCODE((int)args->a[0]));
}

/* exit_group(status): one thread per process, so the same as exit. */
long sys_exit_group(const struct syscall_args *args)
{
	proc_exit(W_EXITCODE((int)args->a[0]));
}

/* set_tid_address(tidptr): no threads to clear it for; returns the tid. */
long sys_set_tid_address(const struct syscall_args *args)
{
	(void)args;
	return proc_current()->pid;
}

long sys_getpid(const struct syscall_args *args)
{
	(void)args;
	return proc_current()->pid;
}

long sys_gettid(const struct syscall_args *args)
{
	(void)args;
	return proc_current()->pid;
}

long sys_getppid(const struct syscall_args *args)
{
	(void)args;
	return proc_getppid(proc_current());
}

/* Pagoda has one user, root: every id is 0. */
long sys_getuid(const struct syscall_args *args)
{
	(void)args;
	return 0;
}

long sys_geteuid(const struct syscall_args *args)
{
	(void)args;
	return 0;
}

long sys_getgid(const struct syscall_args *args)
{
	(void)args;
	return 0;
}

long sys_getegid(const struct syscall_args *args)
{
	(void)args;
	return 0;
}

/* Copy a timespec from user memory and check it: 0, -EFAULT, -EINVAL. */
static int timespec_copyin(vaddr_t uts, struct timespec *ts)
{
	if (copyin(ts, uts, sizeof(*ts)) < 0)
		return -EFAULT;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NSEC_PER_SEC)
		return -EINVAL;
	return 0;
}

static uint64_t timespec_to_ns(const struct timespec *ts)
{
	if ((uint64_t)ts->tv_sec >= UINT64_MAX / NSEC_PER_SEC)
		return UINT64_MAX;
	return (uint64_t)ts->tv_sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
}

static struct timespec timespec_from_ns(uint64_t ns)
{
	struct timespec ts = { (int64_t)(ns / NSEC_PER_SEC),
			       (int64_t)(ns % NSEC_PER_SEC) };
	return ts;
}

/* nanosleep(req, rem): sleep at least *req. On a signal, -EINTR and the
 * time left in *rem (if rem is not NULL). -EINVAL, -EFAULT. */
long sys_nanosleep(const struct syscall_args *args)
{
	struct timespec ts;
	uint64_t ns, start;
	vaddr_t urem = args->a[1];
	int err;

	err = timespec_copyin(args->a[0], &ts);
	if (err < 0)
		return err;
	ns = timespec_to_ns(&ts);
	start = timer_ns();
	err = sched_sleep_ns(ns);
	if (err == -EINTR && urem != 0) {
		uint64_t slept = timer_ns() - start;
		ts = timespec_from_ns(slept < ns ? ns - slept : 0);
		if (copyout(urem, &ts, sizeof(ts)) < 0)
			return -EFAULT;
	}
	return err;
}

/* clock_gettime(clk, tp): the realtime clocks count from the epoch (the
 * RTC read at boot), the monotonic ones from boot, the CPU-time clocks the
 * calling process's user + system time (one thread: both the same, at
 * timer-tick resolution). -EINVAL for an unknown clock, -EFAULT. */
long sys_clock_gettime(const struct syscall_args *args)
{
	struct timespec ts;
	uint64_t ns;

	switch (args->a[0]) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		ns = rtc_realtime_ns();
		break;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		ns = timer_ns();
		break;
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
		ns = proc_cpu_ns();
		break;
	default:
		return -EINVAL;
	}
	ts = timespec_from_ns(ns);
	return copyout(args->a[1], &ts, sizeof(ts)) < 0 ? -EFAULT : 0;
}

long sys_sched_yield(const struct syscall_args *args)
{
	(void)args;
	sched_yield();
	return 0;
}

/* kill(pid, sig): see proc_kill. */
long sys_kill(const struct syscall_args *args)
{
	return proc_kill((pid_t)args->a[0], (int)args->a[1]);
}

/* rt_sigaction(sig, act, oact, sigsetsize): see signal_action. The
 * struct is riscv64's: handler, flags, mask (no sa_restorer: a handler
 * returns to USER_SIGRETURN_VA). -EINVAL, -EFAULT. */
long sys_rt_sigaction(const struct syscall_args *args)
{
	vaddr_t uact = args->a[1], uoact = args->a[2];
	struct k_sigaction act, old;
	int err;

	if (args->a[3] != SIGSET_SIZE)
		return -EINVAL;
	if (uact != 0 && copyin(&act, uact, sizeof(act)) < 0)
		return -EFAULT;
	err = signal_action((int)args->a[0], uact != 0 ? &act : NULL, &old);
	if (err < 0)
		return err;
	if (uoact != 0 && copyout(uoact, &old, sizeof(old)) < 0)
		return -EFAULT;
	return 0;
}

/* rt_sigprocmask(how, set, oldset, sigsetsize): see signal_procmask.
 * -EINVAL, -EFAULT. */
long sys_rt_sigprocmask(const struct syscall_args *args)
{
	uint64_t set, old;
	int err;

	if (args->a[3] != SIGSET_SIZE)
		return -EINVAL;
	if (args->a[1] != 0 && copyin(&set, args->a[1], sizeof(set)) < 0)
		return -EFAULT;
	err = signal_procmask((int)args->a[0], args->a[1] != 0 ? &set : NULL,
			      &old);
	if (err < 0)
		return err;
	if (args->a[2] != 0 && copyout(args->a[2], &old, sizeof(old)) < 0)
		return -EFAULT;
	return 0;
}

/* sigaltstack(ss, old_ss): see signal_altstack. -EINVAL, -ENOMEM, -EPERM,
 * -EFAULT. */
long sys_sigaltstack(const struct syscall_args *args)
{
	struct k_sigaltstack ss, old;
	int err;

	if (args->a[0] != 0 && copyin(&ss, args->a[0], sizeof(ss)) < 0)
		return -EFAULT;
	err = signal_altstack(args->a[0] != 0 ? &ss : NULL, &old,
			      proc_current()->tf->sp);
	if (err < 0)
		return err;
	if (args->a[1] != 0 && copyout(args->a[1], &old, sizeof(old)) < 0)
		return -EFAULT;
	return 0;
}

/* rt_sigreturn(): return from a handler to the context its frame (at the
 * user sp) saved; a0 gets the saved a0. A bad frame kills with SIGSEGV. */
long sys_rt_sigreturn(const struct syscall_args *args)
{
	(void)args;
	return signal_return();
}

/* reboot(magic1, magic2, cmd, arg): power off (or halt) and restart after
 * writing every dirty block. -EINVAL for bad magic or another command. */
long sys_reboot(const struct syscall_args *args)
{
	unsigned long m2 = (unsigned long)args->a[1];
	unsigned long cmd = (unsigned int)args->a[2];

	if ((unsigned int)args->a[0] != REBOOT_MAGIC1)
		return -EINVAL;
	if (m2 != REBOOT_MAGIC2 && m2 != REBOOT_MAGIC2A &&
	    m2 != REBOOT_MAGIC2B && m2 != REBOOT_MAGIC2C)
		return -EINVAL;
	switch (cmd) {
	case REBOOT_CMD_POWER_OFF:
	case REBOOT_CMD_HALT:
		vfs_sync();
		console_flush();
		sbi_shutdown();
	case REBOOT_CMD_RESTART:
		vfs_sync();
		console_flush();
		sbi_reboot();
	default:
		return -EINVAL;
	}
}

long sys_setpgid(const struct syscall_args *args)
{
	return proc_setpgid((pid_t)args->a[0], (pid_t)args->a[1]);
}

long sys_getpgid(const struct syscall_args *args)
{
	return proc_getpgid((pid_t)args->a[0]);
}

/* uname(buf): the six 65-byte fields of struct utsname. -EFAULT. */
long sys_uname(const struct syscall_args *args)
{
	static const struct utsname uts = {
		.sysname = "Pagoda",
		.nodename = "pagoda",
		.release = "0.1",
		.version = "#1 SMP",
		.machine = "riscv64",
		.domainname = "(none)",
	};

	return copyout(args->a[0], &uts, sizeof(uts)) < 0 ? -EFAULT : 0;
}

/* clone(flags, newsp, ptid, tls, ctid): fork only. The low byte of flags is
 * the exit signal (SIGCHLD or 0); CLONE_VM | CLONE_VFORK (vfork) is served
 * by a copy. newsp, if non-zero, is the child's stack pointer.
 * Returns the child's pid, -EINVAL for other flags, -EAGAIN, -ENOMEM. */
long sys_clone(const struct syscall_args *args)
{
	unsigned long flags = (unsigned long)args->a[0];
	unsigned long sig = flags & CSIGNAL;

	if ((flags & ~(CSIGNAL | CLONE_VM | CLONE_VFORK)) != 0)
		return -EINVAL;
	if ((flags & CLONE_VM) && !(flags & CLONE_VFORK))
		return -EINVAL;         /* threads are not supported */
	if (sig != 0 && sig != SIGCHLD)
		return -EINVAL;
	return proc_fork((vaddr_t)args->a[1]);
}

/* A struct rusage from what proc_wait reports: user and system time,
 * ru_maxrss in kB, ru_minflt and ru_majflt; the other counters stay 0. */
static void rusage_fill(struct rusage *ru, const struct proc_usage *u)
{
	memset(ru, 0, sizeof(*ru));
	ru->ru_utime.tv_sec = (int64_t)(u->utime_ns / NSEC_PER_SEC);
	ru->ru_utime.tv_usec = (int64_t)(u->utime_ns % NSEC_PER_SEC / NSEC_PER_USEC);
	ru->ru_stime.tv_sec = (int64_t)(u->stime_ns / NSEC_PER_SEC);
	ru->ru_stime.tv_usec = (int64_t)(u->stime_ns % NSEC_PER_SEC / NSEC_PER_USEC);
	ru->ru_maxrss = (int64_t)(u->maxrss_pages * (PAGE_SIZE / 1024));
	ru->ru_minflt = (int64_t)u->minflt;
	ru->ru_majflt = (int64_t)u->majflt;
}

/* wait4(pid, wstatus, options, rusage): see proc_wait. The rusage, if
 * asked for, gets the child's CPU times, ru_maxrss and page faults
 * (rusage_fill).
 * -EFAULT for bad pointers. */
long sys_wait4(const struct syscall_args *args)
{
	vaddr_t ustatus = args->a[1], urusage = args->a[3];
	struct proc_usage usage;
	struct rusage ru;
	int status = 0;
	long pid;

	if (args->a[2] & ~(long)(WNOHANG | WUNTRACED))
		return -EINVAL;
	pid = proc_wait((pid_t)args->a[0], &status, (int)args->a[2], &usage);
	if (pid <= 0)
		return pid;
	if (ustatus != 0 && copyout(ustatus, &status, sizeof(status)) < 0)
		return -EFAULT;
	rusage_fill(&ru, &usage);
	if (urusage != 0 && copyout(urusage, &ru, sizeof(ru)) < 0)
		return -EFAULT;
	return pid;
}
