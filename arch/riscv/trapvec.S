/*
 * Trap vectors (RISC-V privileged spec 4.1: stvec, sscratch, sepc, sret).
 * While a hart runs user code, stvec is a user vector (trap_user_vector_fast,
 * or trap_user_vector with syscall.fast=off) and sscratch holds
 * the process's trapframe (the top of its kernel stack); in the kernel,
 * stvec is trap_kernel_vector and sscratch is 0. The C side is trap.c.
 */
#include "arch/riscv/csr.h"
#include "arch/riscv/trap.h"

	.section .text
	.option norvc

/*
 * Trap from user mode: save every user register in the trapframe, switch
 * to the kernel stack (just below the trapframe) and this hart's tp, and
 * leave a0 = the trapframe, t0 = scause. The two vectors below differ
 * only in where they go next.
 */
	.macro user_trap_save
	csrrw sp, sscratch, sp          /* sp = trapframe, sscratch = user sp */
	.irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	sd x\n, TF_X(\n)(sp)
	.endr
	csrr t0, sscratch
	sd t0, TF_X(2)(sp)
	csrw sscratch, zero
	csrr t0, sepc
	sd t0, TF_SEPC(sp)
	csrr t0, sstatus
	sd t0, TF_SSTATUS(sp)
	csrr t0, stval
	sd t0, TF_STVAL(sp)
	csrr t0, scause
	sd t0, TF_SCAUSE(sp)
	ld tp, TF_KERNEL_TP(sp)
	la t1, trap_kernel_vector
	csrw stvec, t1
	mv s0, zero                     /* end of the frame-pointer chain */
	mv a0, sp
	.endm

/* The usual user vector: an ecall goes to trap_syscall (the fast
 * system-call path), a load or store page fault to trap_page_fault (the
 * fast fault path), anything else to trap_user; none returns. */
	.globl trap_user_vector_fast
	.balign 4
trap_user_vector_fast:
	user_trap_save
	li t1, EXC_ECALL_U
	beq t0, t1, 2f
	li t1, EXC_STORE_PAGE_FAULT
	beq t0, t1, 3f
	li t1, EXC_LOAD_PAGE_FAULT
	beq t0, t1, 3f
	call trap_user
1:	j 1b
2:	call trap_syscall
	j 1b
3:	call trap_page_fault
	j 1b

/* The reference vector (boot option syscall.fast=off): every trap,
 * ecalls included, goes the general way through trap_user. */
	.globl trap_user_vector
	.balign 4
trap_user_vector:
	user_trap_save
	call trap_user
1:	j 1b

/*
 * Return to user mode with the registers of tf (a0).
 * => interrupts off; tf->sstatus has SPP = 0 and the SPIE/FS to install.
 */
	.globl trap_user_return
	.balign 4
trap_user_return:
	sd tp, TF_KERNEL_TP(a0)         /* this hart, for the next trap */
	ld t0, trap_user_stvec          /* the vector trap_init chose */
	csrw stvec, t0
	csrw sscratch, a0
	ld t0, TF_SEPC(a0)
	csrw sepc, t0
	ld t0, TF_SSTATUS(a0)
	csrw sstatus, t0
	.irp n, 1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ld x\n, TF_X(\n)(a0)
	.endr
	ld a0, TF_X(10)(a0)
	sret

/*
 * Trap from supervisor mode: push a trapframe on the current kernel stack,
 * call trap_kernel(frame), restore and sret. tp is not restored: after a
 * sleep inside trap_kernel the process may continue on another hart.
 */
	.globl trap_kernel_vector
	.balign 4
trap_kernel_vector:
	addi sp, sp, -TF_SIZE
	.irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	sd x\n, TF_X(\n)(sp)
	.endr
	addi t0, sp, TF_SIZE
	sd t0, TF_X(2)(sp)
	csrr t0, sepc
	sd t0, TF_SEPC(sp)
	csrr t0, sstatus
	sd t0, TF_SSTATUS(sp)
	csrr t0, stval
	sd t0, TF_STVAL(sp)
	csrr t0, scause
	sd t0, TF_SCAUSE(sp)
	mv a0, sp
	call trap_kernel
	ld t0, TF_SEPC(sp)
	csrw sepc, t0
	ld t0, TF_SSTATUS(sp)
	csrw sstatus, t0
	.irp n, 1,3,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ld x\n, TF_X(\n)(sp)
	.endr
	addi sp, sp, TF_SIZE
	sret
