/*
 * Control and status registers (RISC-V privileged spec v1.12, chapter 4
 * "Supervisor-Level ISA"): accessors and the bit fields Pagoda uses.
 * Only arch/riscv includes this file.
 */
#ifndef ARCH_RISCV_CSR_H
#define ARCH_RISCV_CSR_H

/* Constants below are usable from assembly (entry.S) as well as C. */
#ifdef __ASSEMBLY__
#define _UL(x)  (x)
#else
#define _UL(x)  (x##UL)
#endif

/* sstatus (4.1.1) */
#define SSTATUS_SIE     (_UL(1) << 1)
#define SSTATUS_SPIE    (_UL(1) << 5)
#define SSTATUS_SPP     (_UL(1) << 8)
#define SSTATUS_FS_SHIFT 13
#define SSTATUS_FS      (_UL(3) << SSTATUS_FS_SHIFT)
#define SSTATUS_FS_OFF     (_UL(0) << SSTATUS_FS_SHIFT)
#define SSTATUS_FS_INITIAL (_UL(1) << SSTATUS_FS_SHIFT)
#define SSTATUS_FS_CLEAN   (_UL(2) << SSTATUS_FS_SHIFT)
#define SSTATUS_FS_DIRTY   (_UL(3) << SSTATUS_FS_SHIFT)
#define SSTATUS_SUM     (_UL(1) << 18)
#define SSTATUS_MXR     (_UL(1) << 19)

/* sie / sip (4.1.3) */
#define SIE_SSIE        (_UL(1) << 1)
#define SIE_STIE        (_UL(1) << 5)
#define SIE_SEIE        (_UL(1) << 9)

/* scause (4.1.9) */
#define SCAUSE_INTERRUPT        (_UL(1) << 63)
#define IRQ_S_SOFT              1
#define IRQ_S_TIMER             5
#define IRQ_S_EXT               9
#define EXC_INST_MISALIGNED     0
#define EXC_INST_ACCESS         1
#define EXC_ILLEGAL_INST        2
#define EXC_BREAKPOINT          3
#define EXC_LOAD_MISALIGNED     4
#define EXC_LOAD_ACCESS         5
#define EXC_STORE_MISALIGNED    6
#define EXC_STORE_ACCESS        7
#define EXC_ECALL_U             8
#define EXC_ECALL_S             9
#define EXC_INST_PAGE_FAULT     12
#define EXC_LOAD_PAGE_FAULT     13
#define EXC_STORE_PAGE_FAULT    15

/* satp (4.1.11) */
#define SATP_MODE_SV39  (_UL(8) << 60)
#define SATP_ASID_SHIFT 44
#define SATP_ASID_MASK  _UL(0xffff)
#define SATP_PPN_MASK   ((_UL(1) << 44) - 1)

#ifndef __ASSEMBLY__
#include "kernel/types.h"

/* csr may be a name (sstatus) or a macro for a number (CSR_STIMECMP). */
#define __csr_str(csr)  #csr
#define __csr_name(csr) __csr_str(csr)

#define csr_read(csr) ({                                              \
	uint64_t __v;                                                 \
	__asm__ volatile("csrr %0, " __csr_name(csr) : "=r"(__v) :: "memory");   \
	__v; })
#define csr_write(csr, val) ({                                        \
	uint64_t __v = (uint64_t)(val);                               \
	__asm__ volatile("csrw " __csr_name(csr) ", %0" :: "rK"(__v) : "memory"); })
#define csr_set(csr, val) ({                                          \
	uint64_t __v = (uint64_t)(val);                               \
	__asm__ volatile("csrs " __csr_name(csr) ", %0" :: "rK"(__v) : "memory"); })
#define csr_clear(csr, val) ({                                        \
	uint64_t __v = (uint64_t)(val);                               \
	__asm__ volatile("csrc " __csr_name(csr) ", %0" :: "rK"(__v) : "memory"); })
#define csr_swap(csr, val) ({                                         \
	uint64_t __v = (uint64_t)(val);                               \
	__asm__ volatile("csrrw %0, " __csr_name(csr) ", %1"                     \
			 : "=r"(__v) : "rK"(__v) : "memory");         \
	__v; })

/* stimecmp is CSR 0x14d (Sstc); older assemblers do not know its name. */
#define CSR_STIMECMP 0x14d

static inline void wfi(void)
{
	__asm__ volatile("wfi");
}
#endif

#endif
