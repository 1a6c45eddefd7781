/*
 * Kernel context switch: save the callee-saved registers of the running
 * kernel context and load another's (struct context, arch/riscv/cpu.h).
 * Called only by the scheduler (kernel/proc/sched.c) with interrupts off.
 */
#define CTX_RA  0
#define CTX_SP  8
#define CTX_S(n) (16 + (n) * 8)

	.section .text

/* void switch_context(struct context *old (a0), const struct context *new (a1)) */
	.globl switch_context
	.balign 4
switch_context:
	sd ra, CTX_RA(a0)
	sd sp, CTX_SP(a0)
	sd s0, CTX_S(0)(a0)
	sd s1, CTX_S(1)(a0)
	.irp n, 2,3,4,5,6,7,8,9,10,11
	sd s\n, CTX_S(\n)(a0)
	.endr
	ld ra, CTX_RA(a1)
	ld sp, CTX_SP(a1)
	ld s0, CTX_S(0)(a1)
	ld s1, CTX_S(1)(a1)
	.irp n, 2,3,4,5,6,7,8,9,10,11
	ld s\n, CTX_S(\n)(a1)
	.endr
	ret
