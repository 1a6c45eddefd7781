/*
 * System call numbers and handlers. Numbers follow the Linux riscv64
 * (asm-generic, include/uapi/asm-generic/unistd.h) ABI: ecall with the number
 * in a7, arguments in a0-a5, result or -errno in a0.
 * Each handler takes the six argument registers and returns the value for a0.
 */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include "kernel/types.h"

#define SYS_getcwd          17
#define SYS_dup             23
#define SYS_dup3            24
#define SYS_fcntl           25
#define SYS_ioctl           29
#define SYS_mknodat         33
#define SYS_mkdirat         34
#define SYS_unlinkat        35
#define SYS_symlinkat       36
#define SYS_linkat          37
#define SYS_renameat        38
#define SYS_truncate        45
#define SYS_ftruncate       46
#define SYS_faccessat       48
#define SYS_chdir           49
#define SYS_fchdir          50
#define SYS_openat          56
#define SYS_close           57
#define SYS_pipe2           59
#define SYS_getdents64      61
#define SYS_lseek           62
#define SYS_read            63
#define SYS_write           64
#define SYS_readv           65
#define SYS_writev          66
#define SYS_pread64         67
#define SYS_pwrite64        68
#define SYS_readlinkat      78
#define SYS_newfstatat      79
#define SYS_fstat           80
#define SYS_sync            81
#define SYS_fsync           82
#define SYS_exit            93
#define SYS_exit_group      94
#define SYS_set_tid_address 96
#define SYS_nanosleep       101
#define SYS_clock_gettime   113
#define SYS_sched_yield     124
#define SYS_kill            129
#define SYS_sigaltstack     132
#define SYS_rt_sigaction    134
#define SYS_rt_sigprocmask  135
#define SYS_rt_sigreturn    139
#define SYS_reboot          142
#define SYS_setpgid         154
#define SYS_getpgid         155
#define SYS_uname           160
#define SYS_getpid          172
#define SYS_getppid         173
#define SYS_getuid          174
#define SYS_geteuid         175
#define SYS_getgid          176
#define SYS_getegid         177
#define SYS_gettid          178
#define SYS_brk             214
#define SYS_munmap          215
#define SYS_mremap          216
#define SYS_clone           220
#define SYS_execve          221
#define SYS_mmap            222
#define SYS_swapon          224
#define SYS_swapoff         225
#define SYS_mprotect        226
#define SYS_msync           227
#define SYS_madvise         233
#define SYS_wait4           260
#define SYS_renameat2       276
#define NSYSCALLS           300

struct syscall_args {
	long a[6];
};

typedef long (*syscall_fn_t)(const struct syscall_args *args);

/* Dispatch the system call in the current process's trapframe. */
void syscall_dispatch(void);
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
