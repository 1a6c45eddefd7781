/*
 * System call numbers and handlers. The numbers are the Linux riscv64
 * (asm-generic) ABI's, in include/abi/syscall.h, shared with user space:
 * ecall with the number in a7, arguments in a0-a5, result or -errno in a0.
 * Each handler takes the six argument registers and returns the value for a0.
 */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include "kernel/types.h"

#include "include/abi/syscall.h"

#define NSYSCALLS           300

struct syscall_args {
	long a[6];
};

typedef long (*syscall_fn_t)(const struct syscall_args *args);

struct trapframe;

/* Dispatch the system call in tf, the current process's trapframe. */
void syscall_dispatch(struct trapframe *tf);
/* Make the current process run its last ecall again when it returns to
 * user, with a0 (its first argument) put back (SA_RESTART). */
void syscall_restart(uint64_t a0);

/* Handlers, by the module that implements them. */
/* kernel/fs/sys_file.c */
long sys_getcwd(const struct syscall_args *);
long sys_dup(const struct syscall_args *);
long sys_dup3(const struct syscall_args *);
long sys_fcntl(const struct syscall_args *);
long sys_ioctl(const struct syscall_args *);
long sys_mknodat(const struct syscall_args *);
long sys_mkdirat(const struct syscall_args *);
long sys_unlinkat(const struct syscall_args *);
long sys_linkat(const struct syscall_args *);
long sys_renameat(const struct syscall_args *);
long sys_renameat2(const struct syscall_args *);
long sys_truncate(const struct syscall_args *);
long sys_ftruncate(const struct syscall_args *);
long sys_faccessat(const struct syscall_args *);
long sys_chdir(const struct syscall_args *);
long sys_fchdir(const struct syscall_args *);
long sys_openat(const struct syscall_args *);
long sys_close(const struct syscall_args *);
long sys_pipe2(const struct syscall_args *);
long sys_getdents64(const struct syscall_args *);
long sys_lseek(const struct syscall_args *);
long sys_read(const struct syscall_args *);
long sys_write(const struct syscall_args *);
long sys_readv(const struct syscall_args *);
long sys_writev(const struct syscall_args *);
long sys_pread64(const struct syscall_args *);
long sys_pwrite64(const struct syscall_args *);
long sys_newfstatat(const struct syscall_args *);
long sys_fstat(const struct syscall_args *);
long sys_sync(const struct syscall_args *);
long sys_fsync(const struct syscall_args *);
/* kernel/vm/sys_mm.c */
long sys_brk(const struct syscall_args *);
long sys_mmap(const struct syscall_args *);
long sys_munmap(const struct syscall_args *);
long sys_mremap(const struct syscall_args *);
long sys_mprotect(const struct syscall_args *);
long sys_madvise(const struct syscall_args *);
long sys_msync(const struct syscall_args *);
/* kernel/vm/sys_swap.c */
long sys_swapon(const struct syscall_args *);
long sys_swapoff(const struct syscall_args *);
/* kernel/proc/sys_proc.c */
long sys_exit(const struct syscall_args *);
long sys_exit_group(const struct syscall_args *);
long sys_set_tid_address(const struct syscall_args *);
long sys_nanosleep(const struct syscall_args *);
long sys_clock_gettime(const struct syscall_args *);
long sys_sched_yield(const struct syscall_args *);
long sys_kill(const struct syscall_args *);
long sys_rt_sigaction(const struct syscall_args *);
long sys_rt_sigprocmask(const struct syscall_args *);
long sys_rt_sigreturn(const struct syscall_args *);
long sys_sigaltstack(const struct syscall_args *);
long sys_reboot(const struct syscall_args *);
long sys_setpgid(const struct syscall_args *);
long sys_getpgid(const struct syscall_args *);
long sys_uname(const struct syscall_args *);
long sys_getpid(const struct syscall_args *);
long sys_getppid(const struct syscall_args *);
long sys_getuid(const struct syscall_args *);
long sys_geteuid(const struct syscall_args *);
long sys_getgid(const struct syscall_args *);
long sys_getegid(const struct syscall_args *);
long sys_gettid(const struct syscall_args *);
long sys_clone(const struct syscall_args *);
long sys_wait4(const struct syscall_args *);
/* kernel/proc/exec.c */
long sys_execve(const struct syscall_args *);

#endif
