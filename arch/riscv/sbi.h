/*
 * Calls into the SBI firmware (RISC-V SBI specification v1.0: chapter 3
 * "Binary Encoding", legacy console putchar, TIME, IPI, RFENCE, HSM, SRST).
 */
#ifndef ARCH_RISCV_SBI_H
#define ARCH_RISCV_SBI_H

#include "kernel/types.h"

struct sbiret {
	long error;             /* SBI_SUCCESS (0) or a negative SBI error */
	long value;
};

/* Legacy console putchar (extension 0x01): early boot only. */
void sbi_console_putchar(int c);
/* HSM hart_start: start hart at physical address start_pa with a1 = opaque. */
long sbi_hart_start(uint64_t hartid, paddr_t start_pa, uint64_t opaque);
/* HSM hart_get_status: 0 started, 1 stopped, ... or a negative error. */
long sbi_hart_get_status(uint64_t hartid);
/* RFENCE remote_sfence_vma_asid on the harts in hart_mask (bit i is hart
 * hart_mask_base + i), for [start, start+size) in the given ASID.
 * size = (uint64_t)-1 flushes the whole ASID. */
long sbi_remote_sfence_vma_asid(uint64_t hart_mask, uint64_t hart_mask_base,
				vaddr_t start, uint64_t size, uint64_t asid);
long sbi_remote_sfence_vma(uint64_t hart_mask, uint64_t hart_mask_base,
			   vaddr_t start, uint64_t size);
/* RFENCE remote_fence_i (SBI v1.0 section 8.1): FENCE.I on the harts in
 * hart_mask. */
long sbi_remote_fence_i(uint64_t hart_mask, uint64_t hart_mask_base);
/* IPI send_ipi to the harts in the mask. */
long sbi_send_ipi(uint64_t hart_mask, uint64_t hart_mask_base);
/* TIME set_timer: the next timer interrupt at `time` value stime_value
 * (used only when the hart lacks Sstc). */
long sbi_set_timer(uint64_t stime_value);
/* Base probe_extension: true if the firmware implements extension eid. */
bool sbi_probe_extension(long eid);
/* SRST system reset: shutdown (QEMU then exits with status 0). */
void sbi_shutdown(void) __noreturn;
void sbi_reboot(void) __noreturn;

#endif
