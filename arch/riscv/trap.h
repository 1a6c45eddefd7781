/*
 * Traps: the trapframe saved at the top of a process's kernel stack, the
 * user and kernel trap vectors (trapvec.S), FP state saved lazily through
 * sstatus.FS (fpu.S), and the context switch (switch.S).
 * Only kernel/proc and arch/riscv use this interface.
 */
#ifndef ARCH_RISCV_TRAP_H
#define ARCH_RISCV_TRAP_H

/*
 * Byte offsets into struct trapframe, shared with trapvec.S. Integer register
 * xN (N = 1..31) is saved at TF_X(N); register x0 needs no slot.
 */
#define TF_X(n)         (((n) - 1) * 8)
#define TF_SEPC         (31 * 8)
#define TF_SSTATUS      (32 * 8)
#define TF_STVAL        (33 * 8)
#define TF_SCAUSE       (34 * 8)
#define TF_KERNEL_TP    (35 * 8)
#define TF_ORIG_A0      (36 * 8)
#define TF_SIZE         (38 * 8)        /* a multiple of 16: sp alignment */

/* Byte offsets into struct fpstate, shared with fpu.S. */
#define FP_NREGS        32
#define FP_FCSR         (FP_NREGS * 8)

#ifndef __ASSEMBLY__
#include "kernel/types.h"

struct context;

/*
 * The registers of an interrupted context. For a user trap it sits at the
 * top of the process's kernel stack (proc->tf) and the kernel stack grows
 * down from just below it; kernel traps push one on the current stack.
 */
struct trapframe {
	uint64_t ra, sp, gp, tp;                /* x1 .. x4 */
	uint64_t t0, t1, t2;                    /* x5 .. x7 */
	uint64_t s0, s1;                        /* x8, x9 */
	uint64_t a0, a1, a2, a3, a4, a5, a6, a7; /* x10 .. x17 */
	uint64_t s2, s3, s4, s5, s6, s7, s8, s9, s10, s11; /* x18 .. x27 */
	uint64_t t3, t4, t5, t6;                /* x28 .. x31 */
	uint64_t sepc;          /* pc of the trapping instruction */
	uint64_t sstatus;       /* at the trap; FS is the user's FP state */
	uint64_t stval;         /* faulting address or instruction bits */
	uint64_t scause;
	uint64_t kernel_tp;     /* struct cpu * of the hart returning to user */
	uint64_t orig_a0;       /* a system call's first argument, kept for
	                         * a restart (a0 gets the result) */
	uint64_t pad;           /* TF_SIZE stays a multiple of 16 */
};

_Static_assert(sizeof(struct trapframe) == TF_SIZE, "trapframe layout");
_Static_assert(offsetof(struct trapframe, a0) == TF_X(10), "trapframe a0");
_Static_assert(offsetof(struct trapframe, t6) == TF_X(31), "trapframe t6");
_Static_assert(offsetof(struct trapframe, sepc) == TF_SEPC, "trapframe sepc");
_Static_assert(offsetof(struct trapframe, kernel_tp) == TF_KERNEL_TP,
	       "trapframe kernel_tp");
_Static_assert(TF_SIZE % 16 == 0, "trapframe keeps sp 16-byte aligned");
_Static_assert(offsetof(struct trapframe, orig_a0) == TF_ORIG_A0,
	       "trapframe orig_a0");

/* A process's saved floating-point registers (the D extension). */
struct fpstate {
	uint64_t f[FP_NREGS];
	uint32_t fcsr;
	uint32_t pad;
};

_Static_assert(offsetof(struct fpstate, fcsr) == FP_FCSR, "fpstate layout");

struct proc;

/* True if tf is on its way back from a system call (its trap was an
 * ecall from user mode and nothing has forgotten it since): a signal
 * handler may then restart the call (SA_RESTART). */
bool trap_in_syscall(const struct trapframe *tf);
/* tf no longer returns from a system call: a0 is not a result to restart
 * (a handler was entered, or rt_sigreturn loaded a whole context). */
void trap_forget_syscall(struct trapframe *tf);

/* Choose the user trap vector from the boot option syscall.fast (default
 * on): off sends every ecall through trap_user, the general path, instead
 * of trap_syscall (the reference, to compare or to rule the fast path out).
 * => boot hart, after bootargs_init, before the first process runs. */
void trap_init(void);

/* Point stvec at the kernel vector, clear sscratch, enable software
 * interrupts (scheduler kicks) and turn FP off for the kernel. Every hart,
 * before interrupts are first enabled; idempotent. */
void trap_init_hart(void);

/* Return to user mode in the current process: first its work, if its
 * work flag says it has any (deliver signals, yield when the time slice is
 * over: proc_user_work), then restore proc->tf and sret.
 * => no locks held; process context. */
void trap_return(void) __noreturn;

/* Sleep this hart until an interrupt is pending, with interrupts off on
 * entry and on exit (the scheduler's idle wait; wfi never spins). */
void trap_idle_wait(void);

/* Send a software interrupt to the hart of cpus[index] (wakes its wfi). */
void trap_kick_cpu(int index);

/* The FP state of p at context switch away: if p's user FP registers are
 * dirty, save them to p->fp; then turn p's FP off so its next FP instruction
 * traps and reloads them on whichever hart it runs. => p->lock held. */
void trap_fpu_switch_out(struct proc *p);
/* Save p's live FP registers (if dirty) before fork copies p->fp.
 * => p is the current process. */
void trap_fpu_flush(struct proc *p);

/* trapvec.S: the vectors and the final return to user (which records
 * the hart's tp in tf->kernel_tp for the next trap). */
void trap_user_vector(void);
void trap_user_vector_fast(void);
void trap_kernel_vector(void);
void trap_user_return(struct trapframe *tf) __noreturn;

/* switch.S: save the callee-saved registers in *old, load *new, return
 * into new's ra. */
void switch_context(struct context *old, const struct context *new);

/* fpu.S: move f0-f31 and fcsr; the caller has set sstatus.FS non-Off. */
void fpu_save(struct fpstate *fp);
void fpu_restore(const struct fpstate *fp);
#endif

#endif
