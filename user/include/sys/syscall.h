/*
 * Linux riscv64 (asm-generic) system-call numbers (SYS_*, from the one
 * copy the kernel uses too, <abi/syscall.h>) and the raw syscall() entry.
 */
#ifndef _PAGODA_SYS_SYSCALL_H
#define _PAGODA_SYS_SYSCALL_H

#include <abi/syscall.h>

#ifndef __ASSEMBLER__
/* Raw system call: returns the result, or -1 with errno set. */
long syscall(long number, ...);
#endif

#endif
