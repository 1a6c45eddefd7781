/*
 * Signals of one process: actions (rt_sigaction), the blocked mask
 * (rt_sigprocmask), the alternate stack (sigaltstack), posting and
 * delivery on the way back to user mode, and rt_sigreturn. The frame
 * itself is laid out by arch/riscv/sigframe.c; who may signal whom
 * (kill, process groups) is in proc.c.
 *
 * A synchronous fault (SIGSEGV, SIGBUS, ...) is delivered first, before
 * any other pending signal, so its handler sees the faulting pc; if the
 * process does not catch it, or the frame cannot be written, it dies as it
 * did before handlers existed (Linux's force_sig_fault and force_sigsegv).
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/lock.h"
#include "kernel/syscall.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/sched.h"
#include "kernel/proc/signal.h"
#include "kernel/proc/wait.h"
#include "arch/riscv/trap.h"

#define SIG_MASKABLE    (~SIG_UNCATCHABLE)

static bool signal_valid(int sig)
{
	return sig >= 1 && sig <= NSIG;
}

static bool signal_is_handler(unsigned long handler)
{
	return handler != SIG_DFL && handler != SIG_IGN;
}

/* Keep proc->killed ("a signal will be acted on at the return to user,
 * and ends an interruptible sleep") in step with pending and mask; a
 * deliverable signal also sets PROC_WORK_SIGNAL, the one flag the return
 * to user tests. => p->lock held. */
static void signal_recalc(struct proc *p)
{
	p->killed = (p->sig.pending & ~p->sig.mask) != 0;
	if (p->killed)
		proc_work_set(p, PROC_WORK_SIGNAL);
}

/* See signal.h. */
void signal_init(struct sigstate *s)
{
	memset(s, 0, sizeof(*s));
	s->altstack.ss_flags = SS_DISABLE;
}

/* See signal.h. */
void signal_fork(const struct sigstate *parent, struct sigstate *child)
{
	signal_init(child);
	memcpy(child->action, parent->action, sizeof(child->action));
	child->mask = parent->mask;
	child->altstack = parent->altstack;
}

/* See signal.h. */
void signal_exec(struct proc *p)
{
	spin_lock(&p->lock);
	for (int i = 0; i < NSIG; i++) {
		struct k_sigaction *a = &p->sig.action[i];

		if (a->handler != SIG_IGN)
			a->handler = SIG_DFL;
		a->flags = 0;
		a->mask = 0;
	}
	spin_unlock(&p->lock);
	p->sig.altstack = (struct k_sigaltstack){ .ss_flags = SS_DISABLE };
}

/* True if sig, arriving at p now, is dropped: its action ignores it and
 * it is not blocked (a blocked one waits: the action may change before it
 * is unblocked). SIGKILL is never dropped. => p->lock held. */
static bool signal_dropped(const struct proc *p, int sig)
{
	unsigned long handler = p->sig.action[sig - 1].handler;

	if (SIG_BIT(sig) & SIG_UNCATCHABLE & ~SIG_DEFAULT_IGNORE)
		return false;
	if (p->sig.mask & SIG_BIT(sig))
		return false;
	return handler == SIG_IGN ||
	       (handler == SIG_DFL && (SIG_BIT(sig) & SIG_DEFAULT_IGNORE));
}

/* See signal.h. */
void signal_post(struct proc *p, int sig, pid_t sender)
{
	KASSERT(spin_holding(&p->lock), "signal_post: proc lock not held");
	if (signal_dropped(p, sig))
		return;
	p->sig.pending |= SIG_BIT(sig);
	p->sig.sender[sig - 1] = sender;
	signal_recalc(p);
	if (p->killed)
		sched_signal_wake(p);
}

/* See signal.h. */
bool signal_catches(int sig)
{
	struct proc *p = proc_current();
	bool caught;

	spin_lock(&p->lock);
	caught = signal_is_handler(p->sig.action[sig - 1].handler) &&
		 !(p->sig.mask & SIG_BIT(sig));
	spin_unlock(&p->lock);
	return caught;
}

/* See signal.h. */
void signal_force_fault(int sig, int code, vaddr_t addr)
{
	struct proc *p = proc_current();
	struct k_sigaction *a = &p->sig.action[sig - 1];

	spin_lock(&p->lock);
	if (!signal_is_handler(a->handler) || (p->sig.mask & SIG_BIT(sig))) {
		a->handler = SIG_DFL;           /* it kills */
		p->sig.mask &= ~SIG_BIT(sig);
	}
	p->sig.pending |= SIG_BIT(sig);
	p->sig.sender[sig - 1] = 0;
	p->sig.fault_sig = sig;
	p->sig.fault = (struct ksiginfo){ .code = code, .addr = addr };
	signal_recalc(p);
	spin_unlock(&p->lock);
}

/* See signal.h. */
void signal_force_kill(int sig)
{
	struct proc *p = proc_current();

	spin_lock(&p->lock);
	p->sig.action[sig - 1].handler = SIG_DFL;
	p->sig.mask &= ~SIG_BIT(sig);
	p->sig.pending |= SIG_BIT(sig);
	p->sig.sender[sig - 1] = 0;
	signal_recalc(p);
	spin_unlock(&p->lock);
}

/* The next signal to act on among deliverable (non-empty): a pending
 * fault first, then SIGKILL, then the lowest number. Its siginfo goes in
 * *info. => p->lock held. */
static int signal_pick(struct proc *p, uint64_t deliverable,
		       struct ksiginfo *info)
{
	int sig = p->sig.fault_sig;

	if (sig != 0 && (deliverable & SIG_BIT(sig))) {
		*info = p->sig.fault;
		p->sig.fault_sig = 0;
		return sig;
	}
	if (deliverable & SIG_BIT(SIGKILL))
		sig = SIGKILL;
	else
		sig = __builtin_ctzl(deliverable) + 1;  /* the lowest */
	info->pid = p->sig.sender[sig - 1];
	info->code = info->pid != 0 ? SI_USER : SI_KERNEL;
	info->addr = 0;
	return sig;
}

/* True if user stack pointer sp is inside p's alternate stack. */
static bool signal_on_altstack(const struct proc *p, vaddr_t sp)
{
	const struct k_sigaltstack *ss = &p->sig.altstack;

	return !(ss->ss_flags & SS_DISABLE) && sp > ss->ss_sp &&
	       sp - ss->ss_sp <= ss->ss_size;
}

/* The alternate stack as uc_stack and sigaltstack report it at sp. */
static struct k_sigaltstack signal_altstack_at(const struct proc *p,
					       vaddr_t sp)
{
	struct k_sigaltstack ss = p->sig.altstack;

	if (!(ss.ss_flags & SS_DISABLE))
		ss.ss_flags = signal_on_altstack(p, sp) ? SS_ONSTACK : 0;
	return ss;
}

/*
 * Enter act's handler for sig: restart the interrupted system call first
 * if act says SA_RESTART, choose the stack (the alternate one with
 * SA_ONSTACK unless already on it), push the frame. A frame that cannot
 * be written kills the process with SIGSEGV and a console line.
 * => no locks held.
 */
static void signal_run_handler(struct proc *p, int sig,
			       const struct ksiginfo *info,
			       const struct k_sigaction *act, uint64_t oldmask)
{
	struct trapframe *tf = p->tf;
	struct sigframe_args a = {
		.sig = sig, .info = *info, .handler = act->handler,
		.top = tf->sp, .oldmask = oldmask,
		.stack = signal_altstack_at(p, tf->sp),
	};
	int err;

	if (trap_in_syscall(tf) && tf->a0 == (uint64_t)-EINTR &&
	    (act->flags & SA_RESTART) && tf->a7 != SYS_nanosleep)
		syscall_restart(tf->orig_a0);
	trap_forget_syscall(tf);
	if ((act->flags & SA_ONSTACK) && !(a.stack.ss_flags & SS_DISABLE) &&
	    !signal_on_altstack(p, tf->sp))
		a.top = p->sig.altstack.ss_sp + p->sig.altstack.ss_size;
	err = sigframe_push(p, &a);
	if (err == 0)
		return;
	printk("pagoda: %s[%d] pid %d: segmentation fault at 0x%lx "
	       "(signal %d frame, %s)\n", p->name, p->pid, p->pid, a.top, sig,
	       err == -ENOMEM ? "out of memory" : "bad stack");
	proc_exit(W_SIGNALED(SIGSEGV));
}

/* See signal.h. */
void signal_deliver(void)
{
	struct proc *p = proc_current();
	struct k_sigaction act;
	struct ksiginfo info;
	uint64_t deliverable, oldmask;
	int sig;

	for (;;) {
		spin_lock(&p->lock);
		deliverable = p->sig.pending & ~p->sig.mask;
		if (deliverable == 0) {
			signal_recalc(p);
			spin_unlock(&p->lock);
			break;
		}
		sig = signal_pick(p, deliverable, &info);
		p->sig.pending &= ~SIG_BIT(sig);
		act = p->sig.action[sig - 1];
		oldmask = p->sig.mask;
		if (signal_is_handler(act.handler)) {
			if (act.flags & SA_RESETHAND)
				p->sig.action[sig - 1].handler = SIG_DFL;
			p->sig.mask |= act.mask;
			if (!(act.flags & SA_NODEFER))
				p->sig.mask |= SIG_BIT(sig);
			p->sig.mask &= SIG_MASKABLE;
		}
		signal_recalc(p);
		spin_unlock(&p->lock);

		if (signal_is_handler(act.handler))
			signal_run_handler(p, sig, &info, &act, oldmask);
		else if (act.handler == SIG_DFL &&
			 !(SIG_BIT(sig) & SIG_DEFAULT_IGNORE))
			proc_exit(W_SIGNALED(sig));
	}
	trap_forget_syscall(p->tf);
}

/* See signal.h. */
int signal_action(int sig, const struct k_sigaction *act,
		  struct k_sigaction *old)
{
	struct proc *p = proc_current();
	struct k_sigaction *a;

	if (!signal_valid(sig))
		return -EINVAL;
	if (act != NULL && (SIG_BIT(sig) & SIG_UNCATCHABLE))
		return -EINVAL;
	a = &p->sig.action[sig - 1];
	spin_lock(&p->lock);
	if (old != NULL)
		*old = *a;
	if (act != NULL) {
		*a = *act;
		a->mask &= SIG_MASKABLE;
		/* Ignoring a signal discards it if pending (POSIX). */
		if (act->handler == SIG_IGN || (act->handler == SIG_DFL &&
		    (SIG_BIT(sig) & SIG_DEFAULT_IGNORE)))
			p->sig.pending &= ~SIG_BIT(sig);
		signal_recalc(p);
	}
	spin_unlock(&p->lock);
	return 0;
}

/* See signal.h. */
int signal_procmask(int how, const uint64_t *set, uint64_t *old)
{
	struct proc *p = proc_current();

	if (set != NULL && how != SIG_BLOCK && how != SIG_UNBLOCK &&
	    how != SIG_SETMASK)
		return -EINVAL;
	spin_lock(&p->lock);
	if (old != NULL)
		*old = p->sig.mask;
	if (set != NULL) {
		if (how == SIG_BLOCK)
			p->sig.mask |= *set;
		else if (how == SIG_UNBLOCK)
			p->sig.mask &= ~*set;
		else
			p->sig.mask = *set;
		p->sig.mask &= SIG_MASKABLE;
		signal_recalc(p);
	}
	spin_unlock(&p->lock);
	return 0;
}

/* See signal.h. */
int signal_altstack(const struct k_sigaltstack *ss, struct k_sigaltstack *old,
		    vaddr_t sp)
{
	struct proc *p = proc_current();
	struct k_sigaltstack cur = signal_altstack_at(p, sp);

	if (ss != NULL) {
		if (cur.ss_flags == SS_ONSTACK)
			return -EPERM;
		if (ss->ss_flags & ~(SS_DISABLE | SS_ONSTACK))
			return -EINVAL;
		if (ss->ss_flags & SS_DISABLE) {
			p->sig.altstack = (struct k_sigaltstack){
				.ss_flags = SS_DISABLE };
		} else {
			if (ss->ss_size < MINSIGSTKSZ)
				return -ENOMEM;
			p->sig.altstack = (struct k_sigaltstack){
				.ss_sp = ss->ss_sp, .ss_size = ss->ss_size };
		}
	}
	if (old != NULL)
		*old = cur;
	return 0;
}

/* See signal.h. */
long signal_return(void)
{
	struct proc *p = proc_current();
	struct k_sigaltstack stack;
	vaddr_t sp = p->tf->sp;
	uint64_t mask;
	int err;

	trap_forget_syscall(p->tf);     /* a0 is the context's, not a result */
	err = sigframe_pop(p, &mask, &stack);
	if (err < 0) {
		printk("pagoda: %s[%d] pid %d: segmentation fault at 0x%lx "
		       "(rt_sigreturn, %s)\n", p->name, p->pid, p->pid, sp,
		       err == -ENOMEM ? "out of memory" : "bad frame");
		signal_force_kill(SIGSEGV);
		return (long)p->tf->a0;
	}
	spin_lock(&p->lock);
	p->sig.mask = mask & SIG_MASKABLE;
	signal_recalc(p);
	spin_unlock(&p->lock);
	/* As Linux: the stack the frame names is set again, quietly. */
	(void)signal_altstack(&stack, NULL, p->tf->sp);
	return (long)p->tf->a0;
}
