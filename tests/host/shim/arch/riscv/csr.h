/*
 * Host shim for arch/riscv/csr.h: the kernel's CSR fields, but csr_read
 * and csr_write of a CSR are a host variable host_csr_NAME that the test
 * defines (the pmap's host test defines host_csr_satp, which keeps every
 * bit written, so all 16 ASID bits read back).
 */
#ifndef HOST_SHIM_ARCH_RISCV_CSR_H
#define HOST_SHIM_ARCH_RISCV_CSR_H

#include "../../../../../arch/riscv/csr.h"

#undef csr_read
#undef csr_write
#undef csr_set
#undef csr_clear
#undef csr_swap
#define csr_read(csr)           (host_csr_##csr)
#define csr_write(csr, val)     ((void)(host_csr_##csr = (uint64_t)(val)))

extern uint64_t host_csr_satp;

#endif
