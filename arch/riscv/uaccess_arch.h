/*
 * The machine side of user access: the copy loops of uaccess.S and the
 * exception-fixup table that lets a fault inside them return -EFAULT.
 * Callers outside arch/riscv use kernel/vm/uaccess.h; trap.c uses
 * uaccess_fixup_lookup.
 */
#ifndef ARCH_RISCV_UACCESS_ARCH_H
#define ARCH_RISCV_UACCESS_ARCH_H

#include "kernel/types.h"

/*
 * One entry of the __ex_table section: a load or store of uaccess.S that
 * touches user memory (insn) and where to resume if it faults and vm_fault
 * cannot resolve the fault (fixup). Emitted as `.dword insn, fixup`.
 */
struct uaccess_extable_entry {
	vaddr_t insn;
	vaddr_t fixup;
};

_Static_assert(sizeof(struct uaccess_extable_entry) == 16,
	       "__ex_table entries are two .dword");

/* Bounds of the table (arch/riscv/kernel.ld). */
extern const struct uaccess_extable_entry __ex_table_start[], __ex_table_end[];

/*
 * The fix-up address for a kernel fault at pc, or 0 if pc is not a user
 * access of uaccess.S (then the fault is a kernel bug).
 * Called by the kernel trap handler with interrupts off; takes no locks.
 */
vaddr_t uaccess_fixup_lookup(vaddr_t pc);

/*
 * The copy loops (uaccess.S). They set sstatus.SUM for the copy and clear
 * it on every way out. They do not check addresses: the wrappers in
 * usercopy.c have checked the range with uaccess_range_ok.
 *   uaccess_arch_copyin:   len bytes user -> kernel; 0 or -EFAULT.
 *   uaccess_arch_copyout:  len bytes kernel -> user; 0 or -EFAULT.
 *   uaccess_arch_copyinstr: a NUL-terminated string of at most max bytes
 *     (with the NUL); its length without the NUL, -ENAMETOOLONG if no NUL
 *     within max bytes (kdst then holds max bytes, unterminated), or -EFAULT.
 */
int uaccess_arch_copyin(void *kdst, vaddr_t usrc, size_t len);
int uaccess_arch_copyout(vaddr_t udst, const void *ksrc, size_t len);
long uaccess_arch_copyinstr(char *kdst, vaddr_t usrc, size_t max);

#endif
