/*
 * The signal frame on the user stack, in the Linux riscv64 layout
 * (arch/riscv/include/uapi/asm/{sigcontext,ucontext,ptrace}.h and the
 * generic siginfo_t): struct rt_sigframe { siginfo_t info; ucontext_t uc; }
 * 16-byte aligned, so a program built for Linux reads the same fields.
 * Called by kernel/proc/signal.c, which decides what to deliver; this
 * file only moves registers between the trapframe and the frame.
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/lib/string.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/signal.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/uaccess.h"
#include "arch/riscv/trap.h"
#include "arch/riscv/vmparam.h"

#define SIGINFO_BYTES   128     /* sizeof(siginfo_t) */
#define UC_SIGMASK_PAD  120     /* __unused[1024 / 8 - sizeof(sigset_t)] */
#define SC_NREGS        32      /* pc, then x1..x31 */
#define FP_Q_BYTES      528     /* union __riscv_fp_state: the Q state */
#define FP_STATE_ALIGN  16
#define FCSR_MASK       0xffU   /* frm and fflags: the defined bits */

/* siginfo_t: three ints, padding, then the union at byte 16. */
struct sig_siginfo {
	int32_t si_signo;
	int32_t si_errno;
	int32_t si_code;
	int32_t pad;
	union {
		struct {
			int32_t pid;
			uint32_t uid;
		} kill;                 /* SI_USER */
		uint64_t addr;          /* SIGSEGV, SIGBUS, SIGILL, ... */
		uint8_t bytes[SIGINFO_BYTES - 16];
	} u;
};

/* union __riscv_fp_state: Pagoda saves the D state (f0-f31, fcsr); the
 * union is as large and as aligned as the Q state. */
union sig_fpstate {
	struct {
		uint64_t f[FP_NREGS];
		uint32_t fcsr;
	} d;
	uint8_t q[FP_Q_BYTES];
} __attribute__((aligned(FP_STATE_ALIGN)));

/* struct sigcontext (mcontext_t): user_regs_struct, then the FP state. */
struct sig_mcontext {
	uint64_t regs[SC_NREGS];        /* regs[0] = pc, regs[n] = xn */
	union sig_fpstate fp;
};

struct sig_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct k_sigaltstack uc_stack;
	uint64_t uc_sigmask;
	uint8_t unused[UC_SIGMASK_PAD];
	struct sig_mcontext uc_mcontext;
};

struct sig_frame {
	struct sig_siginfo info;
	struct sig_ucontext uc;
};

_Static_assert(sizeof(struct sig_siginfo) == SIGINFO_BYTES, "siginfo_t size");
_Static_assert(offsetof(struct sig_siginfo, u.addr) == 16, "si_addr offset");
_Static_assert(sizeof(union sig_fpstate) == FP_Q_BYTES, "fp state size");
_Static_assert(sizeof(struct k_sigaltstack) == 24, "stack_t size");
_Static_assert(offsetof(struct sig_ucontext, uc_sigmask) == 40, "uc_sigmask");
_Static_assert(offsetof(struct sig_ucontext, uc_mcontext) == 176,
	       "uc_mcontext offset");
_Static_assert(sizeof(struct sig_ucontext) == 960, "ucontext_t size");
_Static_assert(sizeof(struct sig_frame) == 1088, "rt_sigframe size");
_Static_assert(sizeof(struct sig_frame) % 16 == 0, "frame keeps sp aligned");
/* The trapframe starts with x1..x31 in order, as sc_regs does after pc. */
_Static_assert(offsetof(struct trapframe, t6) == (SC_NREGS - 2) * 8,
	       "trapframe holds x1..x31 first");

/* The user registers of tf into regs (pc first) and back. */
static void sigframe_save_regs(const struct trapframe *tf, uint64_t *regs)
{
	regs[0] = tf->sepc;
	memcpy(&regs[1], tf, (SC_NREGS - 1) * sizeof(uint64_t));
}

static void sigframe_load_regs(struct trapframe *tf, const uint64_t *regs)
{
	memcpy(tf, &regs[1], (SC_NREGS - 1) * sizeof(uint64_t));
	tf->sepc = regs[0];
}

/*
 * See signal.h. Lays out the frame below top (16-byte aligned), writes it
 * with copyout (faults resolved as for any user access: the stack may
 * grow), then points the trapframe at the handler: pc = handler, a0 = sig,
 * a1 = &info, a2 = &uc, sp = the frame, ra = USER_SIGRETURN_VA.
 */
int sigframe_push(struct proc *p, const struct sigframe_args *a)
{
	struct trapframe *tf = p->tf;
	struct sig_frame *f;
	vaddr_t va = (a->top - sizeof(*f)) & ~(vaddr_t)(FP_STATE_ALIGN - 1);
	int err;

	if (va >= a->top)
		return -EFAULT;
	f = kzalloc(sizeof(*f));
	if (f == NULL)
		return -ENOMEM;
	f->info.si_signo = a->sig;
	f->info.si_code = a->info.code;
	if (a->info.code == SI_USER)
		f->info.u.kill.pid = a->info.pid;
	else
		f->info.u.addr = a->info.addr;
	f->uc.uc_stack = a->stack;
	f->uc.uc_sigmask = a->oldmask;
	sigframe_save_regs(tf, f->uc.uc_mcontext.regs);
	trap_fpu_flush(p);              /* live FP registers into p->fp */
	memcpy(f->uc.uc_mcontext.fp.d.f, p->fp.f, sizeof(p->fp.f));
	f->uc.uc_mcontext.fp.d.fcsr = p->fp.fcsr;
	err = copyout(va, f, sizeof(*f));
	kfree(f);
	if (err < 0)
		return -EFAULT;
	tf->sepc = a->handler;
	tf->ra = USER_SIGRETURN_VA;
	tf->sp = va;
	tf->a0 = (uint64_t)a->sig;
	tf->a1 = va + offsetof(struct sig_frame, info);
	tf->a2 = va + offsetof(struct sig_frame, uc);
	return 0;
}

/*
 * See signal.h. Only the general registers, pc and the FP registers (fcsr's
 * defined bits) come from the frame: sstatus stays the kernel's, and
 * trap_return sends the process to user mode whatever pc says (a pc in
 * the kernel half faults there as any user fetch would).
 */
int sigframe_pop(struct proc *p, uint64_t *mask, struct k_sigaltstack *stack)
{
	struct trapframe *tf = p->tf;
	struct sig_frame *f = kzalloc(sizeof(*f));

	if (f == NULL)
		return -ENOMEM;
	if (copyin(f, tf->sp, sizeof(*f)) < 0) {
		kfree(f);
		return -EFAULT;
	}
	sigframe_load_regs(tf, f->uc.uc_mcontext.regs);
	trap_fpu_flush(p);              /* the live registers are dropped */
	memcpy(p->fp.f, f->uc.uc_mcontext.fp.d.f, sizeof(p->fp.f));
	p->fp.fcsr = f->uc.uc_mcontext.fp.d.fcsr & FCSR_MASK;
	*mask = f->uc.uc_sigmask;
	*stack = f->uc.uc_stack;
	kfree(f);
	return 0;
}
