/*
 * <sys/ucontext.h>: the context a handler installed with SA_SIGINFO gets
 * as its third argument, in the Linux riscv64 layout (struct ucontext,
 * struct sigcontext), with the names glibc and musl give it, so the same
 * handler source builds for Linux: uc->uc_mcontext.__gregs[REG_PC] is the
 * interrupted pc, __gregs[n] is register xn, __fpregs.__d the F/D state.
 * A handler may change them; rt_sigreturn loads them back.
 */
#ifndef _PAGODA_SYS_UCONTEXT_H
#define _PAGODA_SYS_UCONTEXT_H

#include <signal.h>

#define NGREG   32              /* pc, then x1..x31 */
#define REG_PC  0
#define REG_RA  1
#define REG_SP  2
#define REG_TP  4
#define REG_S0  8
#define REG_S1  9
#define REG_A0  10
#define REG_S2  18
#define REG_NARGS 8

typedef unsigned long __riscv_mc_gp_state[NGREG];
typedef __riscv_mc_gp_state gregset_t;

struct __riscv_mc_f_ext_state {
	unsigned int __f[32];
	unsigned int __fcsr;
};

struct __riscv_mc_d_ext_state {
	unsigned long long __f[32];
	unsigned int __fcsr;
};

struct __riscv_mc_q_ext_state {
	unsigned long long __f[64] __attribute__((aligned(16)));
	unsigned int __fcsr;
	unsigned int __reserved[3];
};

/* The kernel fills the D state (Pagoda has no Q extension). */
union __riscv_mc_fp_state {
	struct __riscv_mc_f_ext_state __f;
	struct __riscv_mc_d_ext_state __d;
	struct __riscv_mc_q_ext_state __q;
};

typedef struct mcontext_t {
	__riscv_mc_gp_state __gregs;
	union __riscv_mc_fp_state __fpregs;
} mcontext_t;

typedef struct ucontext_t {
	unsigned long uc_flags;
	struct ucontext_t *uc_link;
	stack_t uc_stack;
	sigset_t uc_sigmask;
	/* Linux leaves room for a 1024-bit sigset_t. */
	unsigned char __uc_pad[1024 / 8 - sizeof(sigset_t)];
	mcontext_t uc_mcontext;
} ucontext_t;

_Static_assert(sizeof(sigset_t) == 8, "the kernel's sigset_t is 8 bytes");
_Static_assert(__builtin_offsetof(ucontext_t, uc_mcontext) == 176,
	       "uc_mcontext at byte 176 as on Linux riscv64");
_Static_assert(sizeof(ucontext_t) == 960, "ucontext_t size as on Linux");

#endif
