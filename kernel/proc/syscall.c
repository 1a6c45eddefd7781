/*
 * The system call table, indexed by Linux riscv64 (asm-generic) number,
 * and the dispatcher the trap handler calls for an ecall from user mode.
 * Handlers live in their modules (kernel/syscall.h says which).
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/syscall.h"
#include "kernel/proc/proc.h"
#include "arch/riscv/trap.h"

#define RISCV_ECALL_BYTES 4     /* ecall is never compressed */

static const syscall_fn_t syscall_table[NSYSCALLS] = {
	/* kernel/fs/sys_file.c */
	[SYS_getcwd] = sys_getcwd,
	[SYS_dup] = sys_dup,
	[SYS_dup3] = sys_dup3,
	[SYS_fcntl] = sys_fcntl,
	[SYS_ioctl] = sys_ioctl,
	[SYS_mknodat] = sys_mknodat,
	[SYS_mkdirat] = sys_mkdirat,
	[SYS_unlinkat] = sys_unlinkat,
	[SYS_linkat] = sys_linkat,
	[SYS_renameat] = sys_renameat,
	[SYS_renameat2] = sys_renameat2,
	[SYS_truncate] = sys_truncate,
	[SYS_ftruncate] = sys_ftruncate,
	[SYS_faccessat] = sys_faccessat,
	[SYS_chdir] = sys_chdir,
	[SYS_fchdir] = sys_fchdir,
	[SYS_openat] = sys_openat,
	[SYS_close] = sys_close,
	[SYS_pipe2] = sys_pipe2,
	[SYS_getdents64] = sys_getdents64,
	[SYS_lseek] = sys_lseek,
	[SYS_read] = sys_read,
	[SYS_write] = sys_write,
	[SYS_readv] = sys_readv,
	[SYS_writev] = sys_writev,
	[SYS_pread64] = sys_pread64,
	[SYS_pwrite64] = sys_pwrite64,
	[SYS_newfstatat] = sys_newfstatat,
	[SYS_fstat] = sys_fstat,
	[SYS_sync] = sys_sync,
	[SYS_fsync] = sys_fsync,
	/* kernel/vm/sys_mm.c */
	[SYS_brk] = sys_brk,
	[SYS_mmap] = sys_mmap,
	[SYS_munmap] = sys_munmap,
	[SYS_mremap] = sys_mremap,
	[SYS_mprotect] = sys_mprotect,
	[SYS_madvise] = sys_madvise,
	[SYS_msync] = sys_msync,
	/* kernel/vm/sys_swap.c */
	[SYS_swapon] = sys_swapon,
	[SYS_swapoff] = sys_swapoff,
	/* kernel/proc/sys_proc.c */
	[SYS_exit] = sys_exit,
	[SYS_exit_group] = sys_exit_group,
	[SYS_set_tid_address] = sys_set_tid_address,
	[SYS_nanosleep] = sys_nanosleep,
	[SYS_clock_gettime] = sys_clock_gettime,
	[SYS_sched_yield] = sys_sched_yield,
	[SYS_kill] = sys_kill,
	[SYS_rt_sigaction] = sys_rt_sigaction,
	[SYS_rt_sigprocmask] = sys_rt_sigprocmask,
	[SYS_rt_sigreturn] = sys_rt_sigreturn,
	[SYS_sigaltstack] = sys_sigaltstack,
	[SYS_reboot] = sys_reboot,
	[SYS_setpgid] = sys_setpgid,
	[SYS_getpgid] = sys_getpgid,
	[SYS_uname] = sys_uname,
	[SYS_getpid] = sys_getpid,
	[SYS_getppid] = sys_getppid,
	[SYS_getuid] = sys_getuid,
	[SYS_geteuid] = sys_geteuid,
	[SYS_getgid] = sys_getgid,
	[SYS_getegid] = sys_getegid,
	[SYS_gettid] = sys_gettid,
	[SYS_clone] = sys_clone,
	[SYS_execve] = sys_execve,
	[SYS_wait4] = sys_wait4,
};

/* See kernel/syscall.h. The number is in a7, arguments in a0-a5, the
 * result (or -errno) goes back in a0; sepc moves past the ecall first so
 * that execve can set a new pc, and the first argument stays in
 * tf->orig_a0 for a restart (SA_RESTART, signal.c). Unknown numbers
 * return -ENOSYS. The arguments are copied: a handler may rewrite the
 * trapframe (execve, rt_sigreturn) and still read them. */
void syscall_dispatch(struct trapframe *tf)
{
	uint64_t num = tf->a7;
	struct syscall_args args = {
		{ tf->a0, tf->a1, tf->a2, tf->a3, tf->a4, tf->a5 }
	};
	syscall_fn_t fn = (num < NSYSCALLS) ? syscall_table[num] : NULL;

	tf->sepc += RISCV_ECALL_BYTES;
	tf->orig_a0 = tf->a0;
	tf->a0 = (fn != NULL) ? (uint64_t)fn(&args) : (uint64_t)-ENOSYS;
}

/* See kernel/syscall.h. a7 still holds the number. */
void syscall_restart(uint64_t a0)
{
	struct trapframe *tf = proc_current()->tf;

	tf->a0 = a0;
	tf->sepc -= RISCV_ECALL_BYTES;
}
