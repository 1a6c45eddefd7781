/*
 * Trap handling in C (RISC-V privileged spec 4.1.9 scause, 4.1.1 sstatus):
 * user traps (system calls, page faults, lazy FP, signals), kernel traps
 * (interrupts, faults inside copyin/copyout), and the return to user.
 * The vectors are in trapvec.S; policy (signals, scheduling) lives in
 * kernel/proc.
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/syscall.h"
#include "kernel/lib/bootargs.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/profile.h"
#include "kernel/lib/string.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/sched.h"
#include "kernel/proc/signal.h"
#include "kernel/vm/fault.h"
#include "kernel/vm/mspace.h"
#include "kernel/vm/page.h"
#include "kernel/vm/pmap.h"
#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/intr.h"
#include "arch/riscv/sbi.h"
#include "arch/riscv/timer.h"
#include "arch/riscv/trap.h"
#include "arch/riscv/uaccess_arch.h"

#define SCAUSE_CODE(c)  ((c) & ~SCAUSE_INTERRUPT)
#define SIP_SSIP        SIE_SSIE        /* same bit in sip and sie */

/* scause of a trapframe that no longer returns from a system call: no
 * cause the hardware writes (trap_forget_syscall). */
#define TRAP_CAUSE_NONE (~0UL)

/* The entries from trapvec.S. */
void trap_user(struct trapframe *tf) __noreturn;
void trap_syscall(struct trapframe *tf) __noreturn;
void trap_page_fault(struct trapframe *tf) __noreturn;
void trap_kernel(struct trapframe *f);

/* The vector trap_user_return installs (trapvec.S reads it).
 * (c) set by trap_init before any process runs. */
void (*trap_user_stvec)(void) = trap_user_vector_fast;

/* See trap.h. */
void trap_init(void)
{
	if (!bootarg_bool("syscall.fast", true)) {
		trap_user_stvec = trap_user_vector;
		printk("trap: syscall.fast=off: system calls take the "
		       "general path\n");
	}
}

/*
 * Whether a hart updates the PTE A and D bits itself. The privileged spec
 * (4.3.1, 4.3.2 step 7; the Svade and Svadu extensions name the two ways)
 * lets a hart either raise a page fault when an access finds A clear (or
 * D clear on a store), for the kernel to set the bit (pmap_fault_ad), or
 * set the bit itself atomically with the walk. On the second kind no page
 * fault is ever an A/D fault, so trap_resolve_fault skips pmap_fault_ad's
 * page-table walk (about 80 instructions of every fault). Each hart finds
 * out once, before it runs a process (trap_ad_probe): true only while
 * every hart probed so far sets the bits itself. (c) written by each
 * hart's probe before it runs user code, only ever from true to false.
 */
static bool trap_ad_in_hw = true;
/* (h) this hart is in trap_ad_probe: its fault has no process */
static bool trap_ad_probing[NCPU_MAX];

/* Load through a user mapping whose A bit is clear: if this hart sets A
 * itself, the load succeeds and A is set; otherwise it faults, and
 * trap_kernel_fault resumes at the copy's fixup. Anything missing (no
 * memory at boot, the lab pgtbl skeleton) leaves the hart counted as
 * faulting, which is always correct, only slower. */
static void trap_ad_probe(void)
{
	struct cpu *c = cpu_self();
	struct pmap *pm = pmap_create();
	struct vm_page *pg = vm_page_alloc1(VM_ALLOC_ZERO);
	bool hw = false;
	uint64_t word;

	if (pm != NULL && pg != NULL &&
	    pmap_enter(pm, USER_MIN, pg, VM_PROT_READ, PMAP_USER) == 0) {
		(void)pmap_clear_reference(pg);
		push_off();
		pmap_activate(pm);
		trap_ad_probing[c->index] = true;
		hw = uaccess_arch_copyin(&word, USER_MIN, sizeof(word)) == 0;
		trap_ad_probing[c->index] = false;
		pmap_activate(pmap_kernel());
		pop_off();
		/* A load that did not fault set A, or the spec was broken. */
		hw = hw && pmap_clear_reference(pg);
		pmap_remove(pm, USER_MIN, USER_MIN + PAGE_SIZE);
	}
	if (pm != NULL)
		pmap_destroy(pm);
	if (pg != NULL)
		vm_page_free(pg, 0);
	if (!hw)
		__atomic_store_n(&trap_ad_in_hw, false, __ATOMIC_RELAXED);
	if (c->index == 0)
		printk("trap: hart %lu %s the PTE A and D bits\n", c->hartid,
		       hw ? "sets" : "faults on");
	else if (!hw)
		printk("trap: hart %lu faults on the PTE A and D bits\n",
		       c->hartid);
}

/* See trap.h. */
void trap_init_hart(void)
{
	csr_write(stvec, (uint64_t)trap_kernel_vector);
	csr_write(sscratch, 0);
	csr_clear(sstatus, SSTATUS_FS | SSTATUS_SUM);
	csr_set(sie, SIE_SSIE);
	trap_ad_probe();
}

/* The name of the user access behind a fault cause. */
static const char *trap_access_name(uint64_t code)
{
	if (code == EXC_INST_PAGE_FAULT)
		return "exec";
	if (code == EXC_STORE_PAGE_FAULT)
		return "store";
	return "load";
}

static enum vm_access trap_fault_access(uint64_t code)
{
	if (code == EXC_INST_PAGE_FAULT)
		return VM_ACCESS_EXEC;
	if (code == EXC_STORE_PAGE_FAULT)
		return VM_ACCESS_WRITE;
	return VM_ACCESS_READ;
}

/* The interrupted context, for a profile sample. */
struct trap_sample_ctx {
	const struct trapframe *tf;
	bool user;
};

/* Is [fp - 16, fp) a frame record between sp and the stack's top? */
static bool trap_frame_ok(uint64_t fp, uint64_t sp, uint64_t top)
{
	return (fp & 7) == 0 && fp >= sp + 16 && fp <= top;
}

/*
 * One profile sample (kernel/lib/profile.h): the interrupted pc, then, in
 * the kernel (built with frame pointers: the caller's fp at fp - 16, the
 * return address at fp - 8), the return addresses up the chain; in user
 * mode the pc and ra (a guess for the caller: ra is only the caller while
 * a function has not called another). Timer interrupt context.
 */
static void trap_profile_sample(void *arg)
{
	const struct trap_sample_ctx *ctx = arg;
	const struct trapframe *tf = ctx->tf;
	struct proc *p = proc_current();
	uint64_t pcs[PROFILE_DEPTH];
	int n = 0;

	pcs[n++] = tf->sepc;
	if (ctx->user) {
		pcs[n++] = tf->ra;
	} else {
		uint64_t fp = tf->s0, sp = tf->sp, top = 0;

		/* Only a process's kernel stack is walked (not the
		 * scheduler's): its bounds are known. A frame record is the
		 * caller's fp at fp - 16 and the return address at fp - 8. */
		if (p != NULL && sp >= p->kstack && sp < proc_kstack_top(p))
			top = proc_kstack_top(p);
		/* The interrupted function may be a leaf, which saves only
		 * the caller's fp (at fp - 8) and keeps ra in its register. */
		if (trap_frame_ok(fp, sp, top)) {
			uint64_t saved = ((const uint64_t *)fp)[-1];

			if (saved >= sp && saved <= top) {
				pcs[n++] = tf->ra;
				sp = fp;
				fp = saved;
			}
		}
		while (n < PROFILE_DEPTH && trap_frame_ok(fp, sp, top)) {
			uint64_t ra = ((const uint64_t *)fp)[-1];

			if (ra == 0)
				break;
			pcs[n++] = ra;
			sp = fp;
			fp = ((const uint64_t *)fp)[-2];
		}
	}
	profile_record(cpu_self()->index, p != NULL ? p->pid : 0,
		       p != NULL ? p->name : "-", ctx->user, pcs, n);
}

/*
 * Interrupts, from user or kernel mode (scause has the interrupt bit).
 * tf is the interrupted context; user tells whether it was user mode (for
 * the time accounting of the current process and the profiler).
 */
static void trap_interrupt(uint64_t code, const struct trapframe *tf,
			   bool user)
{
	struct proc *p = proc_current();
	struct trap_sample_ctx ctx = { tf, user };

	switch (code) {
	case IRQ_S_TIMER:
		if (!timer_interrupt(trap_profile_sample, &ctx))
			break;
		if (p != NULL)
			proc_account_tick(p, user);
		sched_tick();
		break;
	case IRQ_S_EXT:
		intr_dispatch_external();
		break;
	case IRQ_S_SOFT:
		/* A scheduler kick (trap_kick_cpu): waking from wfi is all. */
		csr_clear(sip, SIP_SSIP);
		break;
	default:
		panic("trap_interrupt: unexpected interrupt %lu", code);
	}
}

/* The cause of a SIGBUS as vm_fault gives it (kernel/vm/fault.h). */
static const char *trap_bus_cause(int err)
{
	switch (err) {
	case -ENXIO:
		return "past the end of a mapped file";
	case -ENOSPC:
		return "no space on the disk for a store to a mapped file";
	case -EFBIG:
		return "a store past the largest file size";
	default:
		return "I/O error on a mapped file";
	}
}

/*
 * Resolve a fault of p at user va: an A/D-bit-only fault (Svade hardware)
 * in the pmap, any other by vm_fault_ex. A resolved fault counts in p's
 * minflt or majflt (an A/D fix is minor, as Linux counts it). Returns
 * vm_fault's errors; -EFAULT if p has no mspace.
 */
static inline int trap_resolve_fault(struct proc *p, vaddr_t va,
				     enum vm_access access)
{
	bool major = false;
	int err;

	if (p->ms == NULL)
		return -EFAULT;
	if (!__atomic_load_n(&trap_ad_in_hw, __ATOMIC_RELAXED) &&
	    pmap_fault_ad(p->ms->pmap, va, access))
		err = 0;
	else
		err = vm_fault_ex(p->ms, va, access, &major);
	if (err == 0)
		proc_count_fault(p, major);
	return err;
}

/*
 * A page fault in user mode at tf->stval that trap_resolve_fault did not
 * resolve (err): a signal. SIGSEGV for an access no VMA allows (si_code
 * SEGV_MAPERR with no VMA there, SEGV_ACCERR against its protection),
 * SIGBUS (BUS_ADRERR) for a mapped file's page (past its end, full disk,
 * I/O error), SIGKILL when memory ran out. A caught SIGSEGV or SIGBUS goes
 * to the handler (si_addr = va); otherwise the process dies, after one
 * console line naming process, address, cause.
 */
static __noinline void trap_fault_signal(struct proc *p, uint64_t code,
					 vaddr_t va, int err)
{
	if (err == -ENOMEM && proc_fatal_signal_pending(p))
		return;         /* the OOM killer chose us: it said so */
	if (err == -ENOMEM) {
		printk("pagoda: %s[%d] pid %d: killed at 0x%lx "
		       "(%s, out of memory)\n",
		       p->name, p->pid, p->pid, va, trap_access_name(code));
		proc_kill_self(SIGKILL);
		return;
	}
	if (err != -EFAULT) {
		if (!signal_catches(SIGBUS))
			printk("pagoda: %s[%d] pid %d: bus error at 0x%lx "
			       "(%s, %s)\n", p->name, p->pid, p->pid, va,
			       trap_access_name(code), trap_bus_cause(err));
		signal_force_fault(SIGBUS, BUS_ADRERR, va);
		return;
	}
	if (!signal_catches(SIGSEGV))
		printk("pagoda: %s[%d] pid %d: segmentation fault at 0x%lx "
		       "(%s, %s)\n", p->name, p->pid, p->pid, va,
		       trap_access_name(code), proc_fault_cause(p, va));
	signal_force_fault(SIGSEGV, proc_fault_code(p, va), va);
}

/* A page fault in user mode (scause code) at tf->stval: resolved by
 * trap_resolve_fault, or else a signal (trap_fault_signal). */
static inline void trap_user_fault(struct proc *p, struct trapframe *tf,
				   uint64_t code)
{
	vaddr_t va = tf->stval;
	int err = trap_resolve_fault(p, va, trap_fault_access(code));

	if (unlikely(err != 0))
		trap_fault_signal(p, code, va, err);
}

/* Signal the current process for an exception other than a page fault:
 * to its handler (si_code code, si_addr addr) if it catches sig, else it
 * dies after a console line. */
static void trap_user_signal(struct proc *p, struct trapframe *tf, int sig,
			     int code, vaddr_t addr, const char *what)
{
	if (!signal_catches(sig))
		printk("pagoda: %s[%d] pid %d: %s at pc 0x%lx (stval 0x%lx)\n",
		       p->name, p->pid, p->pid, what, tf->sepc, tf->stval);
	signal_force_fault(sig, code, addr);
}

/*
 * An illegal instruction in user mode. With the process's FP off this is
 * (probably) its first FP instruction since it last ran here: load its FP
 * registers, turn FP on (Clean) and retry. If it traps again with FP on,
 * the instruction really is illegal: SIGILL.
 */
static void trap_user_illegal(struct proc *p, struct trapframe *tf)
{
	if ((tf->sstatus & SSTATUS_FS) != SSTATUS_FS_OFF) {
		trap_user_signal(p, tf, SIGILL, ILL_ILLOPC, tf->sepc,
				 "illegal instruction");
		return;
	}
	intr_off();
	csr_set(sstatus, SSTATUS_FS_CLEAN);
	fpu_restore(&p->fp);
	csr_clear(sstatus, SSTATUS_FS);
	intr_on();
	tf->sstatus = (tf->sstatus & ~SSTATUS_FS) | SSTATUS_FS_CLEAN;
}

/* An exception (not an interrupt) from user mode. Interrupts are on. */
static void trap_user_exception(struct proc *p, struct trapframe *tf,
				uint64_t code)
{
	switch (code) {
	case EXC_ECALL_U:
		syscall_dispatch(tf);
		break;
	case EXC_INST_PAGE_FAULT:
		if (tf->sepc == USER_SIGRETURN_VA) {
			(void)signal_return();  /* a handler returned */
			break;
		}
		trap_user_fault(p, tf, code);
		break;
	case EXC_LOAD_PAGE_FAULT:
	case EXC_STORE_PAGE_FAULT:
		trap_user_fault(p, tf, code);
		break;
	case EXC_ILLEGAL_INST:
		trap_user_illegal(p, tf);
		break;
	case EXC_INST_MISALIGNED:
	case EXC_LOAD_MISALIGNED:
	case EXC_STORE_MISALIGNED:
		trap_user_signal(p, tf, SIGBUS, BUS_ADRALN, tf->stval,
				 "misaligned access");
		break;
	case EXC_INST_ACCESS:
	case EXC_LOAD_ACCESS:
	case EXC_STORE_ACCESS:
		trap_user_signal(p, tf, SIGSEGV, SEGV_ACCERR, tf->stval,
				 "access fault");
		break;
	case EXC_BREAKPOINT:
		trap_user_signal(p, tf, SIGTRAP, TRAP_BRKPT, tf->sepc,
				 "breakpoint");
		break;
	default:
		trap_user_signal(p, tf, SIGILL, ILL_ILLOPC, tf->sepc,
				 "unexpected exception");
		break;
	}
}

/*
 * Entry from the user vectors for every trap but an ecall (trap_syscall
 * takes those), and for ecalls too with syscall.fast=off: tf is the
 * current process's trapframe, the hart runs on its kernel stack with
 * interrupts off and stvec at the kernel vector. This is the general
 * path, and the reference for the fast one.
 */
void trap_user(struct trapframe *tf)
{
	struct proc *p = proc_current();
	uint64_t cause = tf->scause;

	KASSERT(p != NULL && tf == p->tf, "trap from user without a process");
	KASSERT((csr_read(sstatus) & SSTATUS_SPP) == 0, "SPP set on user trap");

	if (cause & SCAUSE_INTERRUPT) {
		trap_interrupt(SCAUSE_CODE(cause), tf, true);
	} else {
		intr_on();
		trap_user_exception(p, tf, cause);
	}
	trap_return();
}

/* The sstatus to sret with (privileged spec 4.1.1): SPP = 0 (to user mode),
 * SPIE = 1 (interrupts on after sret), SIE and SUM off, FS the process's
 * FP state as its trapframe has it; other fields as they are. */
static uint64_t trap_user_sstatus(const struct trapframe *tf)
{
	uint64_t s = csr_read(sstatus);

	s &= ~(SSTATUS_SPP | SSTATUS_SUM | SSTATUS_FS | SSTATUS_SIE);
	return s | SSTATUS_SPIE | (tf->sstatus & SSTATUS_FS);
}

/* The last step of every return to user, once no work is left: install
 * tf's sstatus, fence.i if this hart's instruction cache may be stale
 * (pmap_icache_sync), restore tf and sret. => interrupts off. */
static void __noreturn trap_user_exit(struct trapframe *tf)
{
	tf->sstatus = trap_user_sstatus(tf);
	pmap_icache_sync();
	trap_user_return(tf);
}

/* See trap.h. The work flag is tested with interrupts off, so nothing set
 * on this hart (a tick) is missed before sret; a bit another hart sets
 * after the test waits for the next trap, as a signal posted to a process
 * running in user mode always has. */
void trap_return(void)
{
	struct proc *p = proc_current();

	intr_off();
	while (proc_work_pending(p)) {
		intr_on();
		proc_user_work();
		intr_off();
	}
	trap_user_exit(p->tf);
}

/*
 * The fast system-call path: entry from trap_user_vector_fast for an
 * ecall from user mode (scause EXC_ECALL_U), interrupts off, tf the
 * current process's trapframe. It does what trap_user, syscall_dispatch
 * and trap_return do for an ecall (trap_user_vector, syscall.fast=off,
 * still goes that way: the reference), and skips what a system call does
 * not need:
 * - the cause switch (the vector tested it) and trap_user's assertions;
 * - the return work (signal delivery, the reschedule check) unless the
 *   process's work flag is set: then it takes trap_return, the general way;
 * - every interrupt toggle but the two a system call needs (on for the
 *   handler, which may sleep; off for the flag test and sret).
 * FP state is not touched: the kernel never uses the FP registers, so the
 * user's stay live in the hart across the call (trap_fpu_switch_out saves
 * them only if the process sleeps and they are dirty).
 */
void __noreturn trap_syscall(struct trapframe *tf)
{
	struct proc *p = proc_current();

	csr_set(sstatus, SSTATUS_SIE);
	syscall_dispatch(tf);
	csr_clear(sstatus, SSTATUS_SIE);
	if (unlikely(proc_work_pending(p)))
		trap_return();
	trap_user_exit(tf);
}

/*
 * The fast page-fault path: entry from trap_user_vector_fast for a load or
 * store page fault from user mode (scause EXC_LOAD_PAGE_FAULT or
 * EXC_STORE_PAGE_FAULT), interrupts off, tf the current process's
 * trapframe. It does what trap_user, trap_user_exception and trap_return
 * do for those two causes (trap_user_vector, syscall.fast=off, still goes
 * that way: the reference), and skips what trap_syscall skips: the cause
 * switch and trap_user's assertions, and the return work unless the
 * process's work flag is set (a signal for a fault that was not resolved
 * sets it). An instruction page fault keeps the general way: the return
 * of a signal handler through the trampoline page is one.
 */
void __noreturn trap_page_fault(struct trapframe *tf)
{
	struct proc *p = proc_current();

	csr_set(sstatus, SSTATUS_SIE);
	trap_user_fault(p, tf, tf->scause);
	csr_clear(sstatus, SSTATUS_SIE);
	if (unlikely(proc_work_pending(p)))
		trap_return();
	trap_user_exit(tf);
}

/* See trap.h. */
bool trap_in_syscall(const struct trapframe *tf)
{
	return tf->scause == EXC_ECALL_U;
}

/* See trap.h. Linux's forget_syscall does the same with its cause field. */
void trap_forget_syscall(struct trapframe *tf)
{
	tf->scause = TRAP_CAUSE_NONE;
}

/* Panic for a trap the kernel cannot handle. */
static void trap_kernel_panic(const struct trapframe *f, const char *why)
{
	struct proc *p = proc_current();

	panic("trap_kernel: %s: scause 0x%lx sepc 0x%lx stval 0x%lx "
	      "sstatus 0x%lx ra 0x%lx sp 0x%lx (hart %lu, pid %d)",
	      why, f->scause, f->sepc, f->stval, f->sstatus, f->ra, f->sp,
	      cpu_self()->hartid, p != NULL ? p->pid : -1);
}

/*
 * A page fault in supervisor mode. Only copyin/copyout/copyinstr touch
 * user memory (with sstatus.SUM set): resolve through trap_resolve_fault
 * on the current mspace (counted in the process's fault counts), else resume at the exception-fixup address, which makes
 * the copy return -EFAULT. Anything else is a kernel bug.
 */
static void trap_kernel_fault(struct trapframe *f, uint64_t code)
{
	struct proc *p = proc_current();
	vaddr_t fixup;
	int err = -EFAULT;

	if (!(f->sstatus & SSTATUS_SUM) || f->stval >= USER_MAX ||
	    (p == NULL && !trap_ad_probing[cpu_self()->index]))
		trap_kernel_panic(f, "page fault");
	if (p != NULL && p->ms != NULL) {
		if (f->sstatus & SSTATUS_SPIE)
			intr_on();
		err = trap_resolve_fault(p, f->stval, trap_fault_access(code));
		intr_off();
	}
	if (err == 0)
		return;
	fixup = uaccess_fixup_lookup(f->sepc);
	if (fixup == 0)
		trap_kernel_panic(f, "user access fault outside uaccess");
	f->sepc = fixup;
}

/* Entry from trap_kernel_vector; f is on the interrupted kernel stack. */
void trap_kernel(struct trapframe *f)
{
	uint64_t cause = f->scause;
	uint64_t code = SCAUSE_CODE(cause);

	/* Not even a fault handler may use the interrupted copy's SUM. */
	csr_clear(sstatus, SSTATUS_SUM);
	if (!(f->sstatus & SSTATUS_SPP))
		trap_kernel_panic(f, "kernel vector entered from user mode");
	if (cause & SCAUSE_INTERRUPT) {
		trap_interrupt(code, f, false);
		return;
	}
	switch (code) {
	case EXC_LOAD_PAGE_FAULT:
	case EXC_STORE_PAGE_FAULT:
		trap_kernel_fault(f, code);
		return;
	default:
		trap_kernel_panic(f, "unexpected exception");
	}
}

/* See trap.h. */
void trap_idle_wait(void)
{
	/* wfi returns when an enabled interrupt is pending even with SIE
	 * clear; turning SIE on takes it, so no wake-up is lost. */
	wfi();
	intr_on();
	intr_off();
}

/* See trap.h. */
void trap_kick_cpu(int index)
{
	uint64_t hartid = cpus[index].hartid;

	sbi_send_ipi(1UL << (hartid % 64), hartid - hartid % 64);
}

/* See trap.h. */
void trap_fpu_switch_out(struct proc *p)
{
	struct trapframe *tf = p->tf;
	uint64_t fs = tf->sstatus & SSTATUS_FS;

	if (fs == SSTATUS_FS_OFF)
		return;
	if (fs == SSTATUS_FS_DIRTY) {
		csr_set(sstatus, SSTATUS_FS_CLEAN);
		fpu_save(&p->fp);
		csr_clear(sstatus, SSTATUS_FS);
	}
	tf->sstatus &= ~SSTATUS_FS;
}

/* See trap.h. */
void trap_fpu_flush(struct proc *p)
{
	push_off();
	trap_fpu_switch_out(p);
	pop_off();
}
