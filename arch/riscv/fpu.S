/*
 * Save and restore a process's floating-point registers (D extension:
 * f0-f31 and fcsr) for the lazy FP switch in trap.c. The kernel itself is
 * rv64imac and never uses FP; the caller sets sstatus.FS non-Off first.
 */
#include "arch/riscv/trap.h"

	.section .text
	.option push
	.option arch, +d

/* void fpu_save(struct fpstate *fp (a0)) */
	.globl fpu_save
	.balign 4
fpu_save:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	fsd f\n, (\n * 8)(a0)
	.endr
	frcsr t0
	sw t0, FP_FCSR(a0)
	ret

/* void fpu_restore(const struct fpstate *fp (a0)) */
	.globl fpu_restore
	.balign 4
fpu_restore:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	fld f\n, (\n * 8)(a0)
	.endr
	lw t0, FP_FCSR(a0)
	fscsr t0
	ret

	.option pop
