/*
 * The only kernel code that loads or stores user memory: the copy loops
 * behind copyin, copyout and copyinstr (kernel/vm/uaccess.h). Called only
 * through arch/riscv/usercopy.c, which checks the user range first. Nothing
 * here sleeps or takes a lock; the fault handler may do both.
 *
 * How a fault in here is handled (RISC-V privileged spec 4.1.1 sstatus.SUM,
 * 4.1.9 scause, 4.3.1: a supervisor access to a U page faults unless SUM=1):
 *
 *  1. A copy routine sets sstatus.SUM, so its loads/stores may touch U
 *     pages, and clears it again on every way out (normal return, the
 *     -ENAMETOOLONG return, and the fix-up).
 *  2. Every instruction that touches user memory has a label listed in the
 *     __ex_table section as `.dword insn, fixup` (uaccess_extable below).
 *  3. A load/store page fault at a user address (stval < USER_MAX) taken in
 *     supervisor mode with SUM set goes to trap_kernel_fault (trap.c), which
 *     calls vm_fault(proc_current()->ms, stval, access). When that returns
 *     0 the trap returns and the same instruction runs again.
 *  4. When vm_fault fails, trap.c asks uaccess_fixup_lookup(sepc) (usercopy.c)
 *     and sets sepc to the fix-up: the copy returns -EFAULT. A kernel fault
 *     at a pc not in the table is a kernel bug and panics.
 *  5. vm_fault may sleep and the process may move to another hart, so the
 *     trap path saves sstatus (SUM included) in the trap frame and restores
 *     it on sret; trap_kernel clears SUM while it runs the handler.
 *  6. The process's own pmap must be in satp (it is whenever the process runs
 *     in the kernel); usercopy.c checks that the hart is not on the kernel pmap.
 */
#include "kernel/errno.h"
#include "arch/riscv/csr.h"

/* List the user access at label \insn, resuming at \fixup if it faults. */
	.macro uaccess_extable insn, fixup
	.pushsection __ex_table, "a"
	.balign 8
	.dword	\insn, \fixup
	.popsection
	.endm

/* Allow (set) or forbid (clear) supervisor access to U pages. Clobbers t6. */
	.macro uaccess_sum_on
	li	t6, SSTATUS_SUM
	csrs	sstatus, t6
	.endm
	.macro uaccess_sum_off
	li	t6, SSTATUS_SUM
	csrc	sstatus, t6
	.endm

#define WORD_BYTES      8
#define WORD_ALIGN_MASK (WORD_BYTES - 1)

/*
 * Copy a2 bytes from a1 to a0, one 8-byte word at a time while both
 * addresses are word aligned, then byte by byte. \wlabel and \blabel name
 * the word and the byte instruction that touch user memory: the loads
 * (\user = load, copyin) or the stores (\user = store, copyout).
 * Clobbers t0-t2.
 */
	.macro uaccess_copy_loop user, wlabel, blabel
	or	t0, a0, a1
	andi	t0, t0, WORD_ALIGN_MASK
	bnez	t0, 2f
	li	t1, WORD_BYTES
1:	bltu	a2, t1, 2f
	.ifc \user, load
\wlabel: ld	t2, 0(a1)
	sd	t2, 0(a0)
	.else
	ld	t2, 0(a1)
\wlabel: sd	t2, 0(a0)
	.endif
	addi	a0, a0, WORD_BYTES
	addi	a1, a1, WORD_BYTES
	addi	a2, a2, -WORD_BYTES
	j	1b
2:	beqz	a2, 3f
	.ifc \user, load
\blabel: lbu	t2, 0(a1)
	sb	t2, 0(a0)
	.else
	lbu	t2, 0(a1)
\blabel: sb	t2, 0(a0)
	.endif
	addi	a0, a0, 1
	addi	a1, a1, 1
	addi	a2, a2, -1
	j	2b
3:
	.endm

/* The routines live in their own section with no relaxable instruction, so
 * the label offsets recorded in __ex_table cannot move at link time. */
	.section .text.uaccess, "ax", @progbits

/* int uaccess_arch_copyin(void *kdst a0, vaddr_t usrc a1, size_t len a2) */
	.globl	uaccess_arch_copyin
	.type	uaccess_arch_copyin, @function
uaccess_arch_copyin:
	uaccess_sum_on
	uaccess_copy_loop load, uaccess_copyin_word, uaccess_copyin_byte
	uaccess_sum_off
	li	a0, 0
	ret
	.size	uaccess_arch_copyin, . - uaccess_arch_copyin
	uaccess_extable uaccess_copyin_word, uaccess_fault
	uaccess_extable uaccess_copyin_byte, uaccess_fault

/* int uaccess_arch_copyout(vaddr_t udst a0, const void *ksrc a1, size_t len a2) */
	.globl	uaccess_arch_copyout
	.type	uaccess_arch_copyout, @function
uaccess_arch_copyout:
	uaccess_sum_on
	uaccess_copy_loop store, uaccess_copyout_word, uaccess_copyout_byte
	uaccess_sum_off
	li	a0, 0
	ret
	.size	uaccess_arch_copyout, . - uaccess_arch_copyout
	uaccess_extable uaccess_copyout_word, uaccess_fault
	uaccess_extable uaccess_copyout_byte, uaccess_fault

/*
 * long uaccess_arch_copyinstr(char *kdst a0, vaddr_t usrc a1, size_t max a2)
 * Byte by byte until the NUL (copied too) or max bytes. t3 counts bytes.
 */
	.globl	uaccess_arch_copyinstr
	.type	uaccess_arch_copyinstr, @function
uaccess_arch_copyinstr:
	uaccess_sum_on
	li	t3, 0
1:	beq	t3, a2, 2f
uaccess_copyinstr_byte:
	lbu	t2, 0(a1)
	add	t0, a0, t3
	sb	t2, 0(t0)
	beqz	t2, 3f
	addi	a1, a1, 1
	addi	t3, t3, 1
	j	1b
2:	uaccess_sum_off
	li	a0, -ENAMETOOLONG
	ret
3:	uaccess_sum_off
	mv	a0, t3
	ret
	.size	uaccess_arch_copyinstr, . - uaccess_arch_copyinstr
	uaccess_extable uaccess_copyinstr_byte, uaccess_fault

/*
 * The fix-up of every user access above: the trap handler resumes here
 * (registers as at the fault, sstatus restored with SUM set). Forbid user
 * access again and make the interrupted routine return -EFAULT.
 */
	.type	uaccess_fault, @function
uaccess_fault:
	uaccess_sum_off
	li	a0, -EFAULT
	ret
	.size	uaccess_fault, . - uaccess_fault
