/*
 * Boot entry of every hart. Turns on Sv39 with the static boot page table,
 * jumps to the kernel's high addresses, takes a boot stack and tp = &cpus[i],
 * then calls main (boot hart) or main_secondary (the others).
 * Touches only its registers, boot_claimed, the bss (boot hart, before
 * anything else runs) and the hart's own boot stack.
 *
 * A secondary hart trusts only a0 (its hart id). The SBI spec (v1.0 9.1,
 * hart_start) promises start_addr and a1 = opaque, but OpenSBI 1.1 marks the
 * hart START_PENDING before it stores start_addr and opaque, so a secondary
 * that wakes early from its wait loop enters with the previous values: the
 * boot hart's _start and a1 = the DTB address. Hence: the first hart to
 * enter _start wins boot_claimed and is the boot hart; any later one goes
 * the secondary way, and a secondary finds its cpus[] index by its hart id.
 */
#include "arch/riscv/csr.h"
#include "arch/riscv/boot.h"

/* Sv39 PTE bits for the boot table only (privileged spec 4.4.1, 4.4.3);
 * the pmap owns the real page tables. */
#define BOOT_PTE_V              (1 << 0)
#define BOOT_PTE_R              (1 << 1)
#define BOOT_PTE_W              (1 << 2)
#define BOOT_PTE_X              (1 << 3)
#define BOOT_PTE_A              (1 << 6)
#define BOOT_PTE_D              (1 << 7)
#define BOOT_PTE_LEAF_RWX       (BOOT_PTE_V | BOOT_PTE_R | BOOT_PTE_W | \
				 BOOT_PTE_X | BOOT_PTE_A | BOOT_PTE_D)
#define BOOT_PAGE_SHIFT         12
#define BOOT_PTE_PPN_SHIFT      10
#define BOOT_GIGA_SHIFT         30
#define BOOT_PT_ENTRIES         512
#define BOOT_KERNEL_PHYS        0x80000000

/* A gigapage leaf PTE mapping physical pa (1 GiB aligned). */
#define BOOT_PTE_GIGA(pa) \
	((((pa) >> BOOT_PAGE_SHIFT) << BOOT_PTE_PPN_SHIFT) | BOOT_PTE_LEAF_RWX)

/*
 * Turn on the boot page table and continue at the same code's high address.
 * Before satp is written, lla gives the physical (PC-relative) address; the
 * high address is loaded absolutely (kernel addresses are sign-extended
 * 32-bit values). Clobbers t0, t1.
 */
	.macro boot_enable_paging
	lla	t0, boot_pagetable
	srli	t0, t0, BOOT_PAGE_SHIFT
	li	t1, SATP_MODE_SV39
	or	t0, t0, t1
	sfence.vma
	csrw	satp, t0
	sfence.vma
	lui	t0, %hi(1f)
	addi	t0, t0, %lo(1f)
	jr	t0
1:
	.endm

/*
 * Per-hart set-up for cpus[] index in register \idx: sp = top of the hart's
 * boot stack, tp = &cpus[\idx], the boot trap vector, FP state off, and
 * fp = 0 so backtraces stop here. Clobbers t0, t1.
 */
	.macro boot_setup_hart idx
	addi	t0, \idx, 1
	li	t1, BOOT_STACK_SIZE
	mul	t0, t0, t1
	lla	sp, boot_stacks
	add	sp, sp, t0
	lla	t0, cpu_struct_size
	ld	t0, 0(t0)
	mul	t0, t0, \idx
	lla	tp, cpus
	add	tp, tp, t0
	lla	t0, boot_trap_vector
	csrw	stvec, t0
	csrw	sscratch, zero
	li	t0, SSTATUS_FS
	csrc	sstatus, t0
	li	s0, 0
	.endm

	.section .text.entry, "ax", @progbits
	.globl _start
/* Boot hart: a0 = hart id, a1 = DTB physical address, satp = 0. */
_start:
	csrw	sie, zero
	csrci	sstatus, SSTATUS_SIE
	/* Only the first hart here is the boot hart (see the file comment). */
	lla	t0, boot_claimed
	li	t1, 1
	amoswap.w.aqrl t1, t1, (t0)
	li	s2, BOOT_ENTRY_STALE_START
	bnez	t1, boot_secondary
	boot_enable_paging
	/* Clear the bss: nothing else runs yet (the other harts are stopped). */
	lla	t0, _bss_start
	lla	t1, _bss_end
2:	bgeu	t0, t1, 3f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	2b
3:	li	s1, 0
	boot_setup_hart s1
	call	main
	j	boot_park

	.globl _start_secondary
/* Other harts (SBI HSM hart_start): a0 = hart id, a1 = cpus[] index as
 * the opaque value; a1 is only compared, never used (see the file comment). */
_start_secondary:
	csrw	sie, zero
	csrci	sstatus, SSTATUS_SIE
	li	s2, BOOT_ENTRY_NORMAL
/* A secondary hart: s2 = how it entered, a0 = hart id, a1 = opaque. */
boot_secondary:
	mv	s3, a0
	mv	s4, a1
	boot_enable_paging
	/* The boot hart wrote cpus[] and ncpu, then fenced, before its
	 * first hart_start: order our loads after the firmware's handshake. */
	fence	rw, rw
	/* s1 = the index i >= 1 with cpus[i].hartid == a0 (hartid is the
	 * first field of struct cpu); a hart not in cpus[] parks. */
	lla	t0, ncpu
	lw	t2, 0(t0)
	lla	t0, cpu_struct_size
	ld	t3, 0(t0)
	lla	t0, cpus
	li	s1, 1
4:	bge	s1, t2, boot_park
	mul	t1, s1, t3
	add	t1, t1, t0
	ld	t1, 0(t1)
	beq	t1, s3, 5f
	addi	s1, s1, 1
	j	4b
5:	beq	s1, s4, 6f
	bnez	s2, 6f
	li	s2, BOOT_ENTRY_STALE_OPAQUE
6:	boot_setup_hart s1
	mv	a0, s1
	mv	a1, s2
	call	main_secondary
	j	boot_park

/* main and main_secondary never return; park the hart if one did. */
boot_park:
	wfi
	j	boot_park

/* Trap vector until the trap code installs its own: report and panic. */
	.balign 4
boot_trap_vector:
	csrr	a0, scause
	csrr	a1, sepc
	csrr	a2, stval
	call	boot_trap
	j	boot_park

/* Nonzero once a hart has taken the boot path of _start. In .data, not
 * .bss: the boot hart clears the bss after claiming. */
	.section .data
	.balign 4
	.globl boot_claimed
boot_claimed:
	.word	0

/*
 * The boot page table (Sv39 root, all gigapage leaves): identity map of
 * 4 GiB from PA 0x80000000 for the instructions around the satp write, the
 * kernel image at KERNEL_BASE, and the direct map of PA 0 .. 128 GiB
 * (DIRECT_MAP_SIZE, all RAM main lets the page allocator use) at
 * DIRECT_MAP_BASE. pmap_bootstrap replaces it with the real kernel table.
 */
	.section .data
	.balign 4096
	.globl boot_pagetable
boot_pagetable:
	.set	bpt_i, 0
	.rept	BOOT_PT_ENTRIES
	.if (bpt_i >= BOOT_PT_IDENT_FIRST) && (bpt_i < BOOT_PT_IDENT_FIRST + BOOT_PT_IDENT_COUNT)
	.quad	BOOT_PTE_GIGA(bpt_i << BOOT_GIGA_SHIFT)
	.elseif (bpt_i >= BOOT_PT_DMAP_FIRST) && (bpt_i < BOOT_PT_DMAP_FIRST + BOOT_PT_DMAP_COUNT)
	.quad	BOOT_PTE_GIGA((bpt_i - BOOT_PT_DMAP_FIRST) << BOOT_GIGA_SHIFT)
	.elseif bpt_i == BOOT_PT_KERNEL
	.quad	BOOT_PTE_GIGA(BOOT_KERNEL_PHYS)
	.else
	.quad	0
	.endif
	.set	bpt_i, bpt_i + 1
	.endr
