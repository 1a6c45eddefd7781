/*
 * System-call numbers of the Linux riscv64 (asm-generic) ABI that Pagoda
 * implements (include/uapi/asm-generic/unistd.h): ecall with the number in
 * a7, arguments in a0-a5, the result or -errno in a0. The one copy, for
 * the kernel (kernel/syscall.h) and for user space (<sys/syscall.h>,
 * installed in the sysroot): plain preprocessor numbers only.
 */
#ifndef PAGODA_ABI_SYSCALL_H
#define PAGODA_ABI_SYSCALL_H

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

#endif
