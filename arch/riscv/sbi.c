/*
 * Calls into the SBI firmware (OpenSBI) with the SBI v1.0 calling convention
 * (chapter 3): extension id in a7, function id in a6, arguments in a0-a5,
 * error in a0 and value in a1. Any kernel code may call these.
 */
#include "arch/riscv/sbi.h"
#include "arch/riscv/csr.h"

/* Extension ids (SBI v1.0 chapters 4-10). */
#define SBI_EXT_LEGACY_PUTCHAR  0x01
#define SBI_EXT_LEGACY_SHUTDOWN 0x08
#define SBI_EXT_BASE            0x10
#define SBI_EXT_TIME            0x54494D45      /* "TIME" */
#define SBI_EXT_IPI             0x735049        /* "sPI" */
#define SBI_EXT_RFENCE          0x52464E43      /* "RFNC" */
#define SBI_EXT_HSM             0x48534D        /* "HSM" */
#define SBI_EXT_SRST            0x53525354      /* "SRST" */

/* Function ids. */
#define SBI_BASE_PROBE_EXTENSION        3
#define SBI_TIME_SET_TIMER              0
#define SBI_IPI_SEND_IPI                0
#define SBI_RFENCE_FENCE_I              0
#define SBI_RFENCE_SFENCE_VMA           1
#define SBI_RFENCE_SFENCE_VMA_ASID      2
#define SBI_HSM_HART_START              0
#define SBI_HSM_HART_GET_STATUS         2
#define SBI_SRST_SYSTEM_RESET           0

/* SRST reset types and reason (SBI v1.0 table 10.1). */
#define SBI_SRST_TYPE_SHUTDOWN          0
#define SBI_SRST_TYPE_COLD_REBOOT       1
#define SBI_SRST_REASON_NONE            0

/* One ecall: extension eid, function fid, six arguments. */
static struct sbiret sbi_call(long eid, long fid, uint64_t arg0,
			      uint64_t arg1, uint64_t arg2, uint64_t arg3,
			      uint64_t arg4, uint64_t arg5)
{
	register uint64_t a0 __asm__("a0") = arg0;
	register uint64_t a1 __asm__("a1") = arg1;
	register uint64_t a2 __asm__("a2") = arg2;
	register uint64_t a3 __asm__("a3") = arg3;
	register uint64_t a4 __asm__("a4") = arg4;
	register uint64_t a5 __asm__("a5") = arg5;
	register uint64_t a6 __asm__("a6") = (uint64_t)fid;
	register uint64_t a7 __asm__("a7") = (uint64_t)eid;
	struct sbiret ret;

	__asm__ volatile("ecall"
			 : "+r"(a0), "+r"(a1)
			 : "r"(a2), "r"(a3), "r"(a4), "r"(a5), "r"(a6), "r"(a7)
			 : "memory");
	ret.error = (long)a0;
	ret.value = (long)a1;
	return ret;
}

void sbi_console_putchar(int c)
{
	sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, (uint64_t)c, 0, 0, 0, 0, 0);
}

long sbi_hart_start(uint64_t hartid, paddr_t start_pa, uint64_t opaque)
{
	return sbi_call(SBI_EXT_HSM, SBI_HSM_HART_START, hartid, start_pa,
			opaque, 0, 0, 0).error;
}

long sbi_hart_get_status(uint64_t hartid)
{
	struct sbiret r = sbi_call(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS,
				   hartid, 0, 0, 0, 0, 0);

	return r.error != 0 ? r.error : r.value;
}

long sbi_remote_sfence_vma_asid(uint64_t hart_mask, uint64_t hart_mask_base,
				vaddr_t start, uint64_t size, uint64_t asid)
{
	return sbi_call(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA_ASID, hart_mask,
			hart_mask_base, start, size, asid, 0).error;
}

long sbi_remote_fence_i(uint64_t hart_mask, uint64_t hart_mask_base)
{
	return sbi_call(SBI_EXT_RFENCE, SBI_RFENCE_FENCE_I, hart_mask,
			hart_mask_base, 0, 0, 0, 0).error;
}

long sbi_remote_sfence_vma(uint64_t hart_mask, uint64_t hart_mask_base,
			   vaddr_t start, uint64_t size)
{
	return sbi_call(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, hart_mask,
			hart_mask_base, start, size, 0, 0).error;
}

long sbi_send_ipi(uint64_t hart_mask, uint64_t hart_mask_base)
{
	return sbi_call(SBI_EXT_IPI, SBI_IPI_SEND_IPI, hart_mask,
			hart_mask_base, 0, 0, 0, 0).error;
}

long sbi_set_timer(uint64_t stime_value)
{
	return sbi_call(SBI_EXT_TIME, SBI_TIME_SET_TIMER, stime_value,
			0, 0, 0, 0, 0).error;
}

bool sbi_probe_extension(long eid)
{
	struct sbiret r = sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION,
				   (uint64_t)eid, 0, 0, 0, 0, 0);

	return r.error == 0 && r.value != 0;
}

/* SRST system_reset of the given type; returns only if the firmware
 * refused, then the hart parks. */
static void __noreturn sbi_system_reset(uint64_t type)
{
	sbi_call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, type,
		 SBI_SRST_REASON_NONE, 0, 0, 0, 0);
	sbi_call(SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0, 0, 0, 0, 0);
	for (;;)
		wfi();
}

void sbi_shutdown(void)
{
	sbi_system_reset(SBI_SRST_TYPE_SHUTDOWN);
}

void sbi_reboot(void)
{
	sbi_system_reset(SBI_SRST_TYPE_COLD_REBOOT);
}
