/*
 * Moving data between the kernel and the current process's user memory.
 * The kernel touches user memory only here, with sstatus.SUM set for the
 * copy; a fault inside is resolved by vm_fault, and one it cannot resolve
 * returns -EFAULT through the exception-fixup table (arch/riscv/uaccess.S).
 */
#ifndef KERNEL_VM_UACCESS_H
#define KERNEL_VM_UACCESS_H

#include "kernel/types.h"

/* Copy len bytes from user address usrc to kernel kdst. 0 or -EFAULT. */
int copyin(void *kdst, vaddr_t usrc, size_t len);
/* Copy len bytes from kernel ksrc to user address udst. 0 or -EFAULT. */
int copyout(vaddr_t udst, const void *ksrc, size_t len);
/* Copy a NUL-terminated string of at most max bytes (with the NUL).
 * Returns its length without the NUL, -EFAULT, or -ENAMETOOLONG. */
long copyinstr(char *kdst, vaddr_t usrc, size_t max);
/* True if [uaddr, uaddr+len) lies inside the user half. */
bool uaccess_range_ok(vaddr_t uaddr, size_t len);

#endif
