/*
 * Control and status registers (RISC-V privileged spec v1.12, chapter 4
 * "Supervisor-Level ISA"): accessors and the bit fields Pagoda uses.
 * Only arch/riscv includes this file.
 */
#ifndef ARCH_RISCV_CSR_H
#define ARCH_RISCV_CSR_H

/* sstatus (4.1.1) */
#define SSTATUS_SIE     (1UL << 1)
#define SSTATUS_SPIE    (1UL << 5)
#define SSTATUS_SPP     (1UL << 8)
#define SSTATUS_FS_SHIFT 13
#define SSTATUS_FS      (3UL << SSTATUS_FS_SHIFT)
#define SSTATUS_FS_OFF     (0UL << SSTATUS_FS_SHIFT)
#define SSTATUS_FS_INITIAL (1UL << SSTATUS_FS_SHIFT)
#define SSTATUS_FS_CLEAN   (2UL << SSTATUS_FS_SHIFT)
#define SSTATUS_FS_DIRTY   (3UL << SSTATUS_FS_SHIFT)
#define SSTATUS_SUM     (1UL << 18)
#define SSTATUS_MXR     (1UL << 19)

/* sie / sip (4.1.3) */
#define SIE_SSIE        (1UL << 1)
#define SIE_STIE        (1UL << 5)
#define SIE_SEIE        (1UL << 9)

/* scause (4.1.9) */
#define SCAUSE_INTERRUPT        (1UL << 63)
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
#define SATP_MODE_SV39  (8UL << 60)
#define SATP_ASID_SHIFT 44
#define SATP_ASID_MASK  0xffffUL
#define SATP_PPN_MASK   ((1UL << 44) - 1)

#ifndef __ASSEMBLY__
#include "kernel/types.h"

#define csr_read(csr) ({                                              \
	uint64_t __v;                                                 \
	__asm__ volatile("csrr %0, " #csr : "=r"(__v) :: "memory");   \
	__v; })
#define csr_write(csr, val) ({                                        \
	uint64_t __v = (uint64_t)(val);                               \
	__asm__ volatile("csrw " #csr ", %0" :: "rK"(__v) : "memory"); })
#define csr_set(csr, val) ({                                          \
	uint64_t __v = (uint64_t)(val);                               \
	__asm__ volatile("csrs " #csr ", %0" :: "rK"(__v) : "memory"); })
#define csr_clear(csr, val) ({                                        \
	uint64_t __v = (uint64_t)(val);                               \
	__asm__ volatile("csrc " #csr ", %0" :: "rK"(__v) : "memory"); })
#define csr_swap(csr, val) ({                                         \
	uint64_t __v = (uint64_t)(val);                               \
	__asm__ volatile("csrrw %0, " #csr ", %1"                     \
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
