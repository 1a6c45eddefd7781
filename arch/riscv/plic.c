/*
 * The platform-level interrupt controller (RISC-V PLIC specification v1.0.0):
 * found in the DTB, one handler per interrupt source, every source routed to
 * the S-mode context of every hart. Drivers call intr_register; the trap
 * handler calls intr_dispatch_external. Nothing else touches PLIC registers.
 */
#include "arch/riscv/intr.h"
#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "kernel/dev/dev.h"
#include "kernel/dtb.h"
#include "kernel/lib/printk.h"
#include "kernel/lock.h"
#include "kernel/vm/kva.h"

/* Register map (PLIC spec chapter 3 "Memory Map"). */
#define PLIC_PRIORITY(irq)      (4 * (irq))
#define PLIC_ENABLE(ctx, word)  (0x2000 + 0x80 * (ctx) + 4 * (word))
#define PLIC_THRESHOLD(ctx)     (0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx)         (0x200004 + 0x1000 * (ctx))
#define PLIC_MAX_SOURCES        1024    /* sources 1..1023; 0 means none */
#define PLIC_BITS_PER_WORD      32
#define PLIC_PRIORITY_ON        1       /* every source the same priority */
#define PLIC_THRESHOLD_ALL      0       /* a hart takes any priority > 0 */
/* QEMU virt's layout when the DTB does not say: M-mode context 2h,
 * S-mode context 2h + 1 for hart h. */
#define PLIC_VIRT_S_CONTEXT(h)  (2 * (h) + 1)

struct intr_source {
	intr_handler_t handler;
	void *arg;
};

/*
 * Locking: (l) plic.lock, (c) set by plic_init on the boot hart before the
 * other harts start.
 */
static struct {
	struct spinlock lock;
	vaddr_t base;                   /* (c) registers, 0 until plic_init */
	int ndev;                       /* (c) highest source number */
	int context[NCPU_MAX];          /* (c) S-mode context of cpus[i] */
	struct intr_source src[PLIC_MAX_SOURCES]; /* (l) */
} plic = { .lock = SPINLOCK_INIT("plic"), .ndev = PLIC_MAX_SOURCES - 1 };

static inline volatile uint32_t *plic_reg(uint64_t off)
{
	return (volatile uint32_t *)(plic.base + off);
}

/* Set or clear source irq in the enable bits of context ctx.
 * => plic.lock held, plic.base set. */
static void _plic_enable(int ctx, int irq, bool on)
{
	volatile uint32_t *word = plic_reg(PLIC_ENABLE(ctx, irq / PLIC_BITS_PER_WORD));
	uint32_t bit = 1u << (irq % PLIC_BITS_PER_WORD);

	if (on)
		*word |= bit;
	else
		*word &= ~bit;
}

/* Give source irq its priority and enable it on every hart's context.
 * => plic.lock held, plic.base set. */
static void _plic_route(int irq)
{
	int i;

	*plic_reg(PLIC_PRIORITY(irq)) = PLIC_PRIORITY_ON;
	for (i = 0; i < ncpu; i++)
		_plic_enable(plic.context[i], irq, true);
}

/*
 * Route PLIC source irq to handler(arg) on every hart. May be called before
 * plic_init (the source is routed then). A second registration of the same
 * source replaces the first.
 */
void intr_register(int irq, intr_handler_t handler, void *arg)
{
	KASSERT(irq > 0 && irq < PLIC_MAX_SOURCES, "bad irq %d", irq);
	spin_lock(&plic.lock);
	plic.src[irq].handler = handler;
	plic.src[irq].arg = arg;
	if (plic.base != 0 && irq <= plic.ndev)
		_plic_route(irq);
	spin_unlock(&plic.lock);
}

/*
 * The PLIC context that delivers supervisor external interrupts (cause 9) to
 * hart `hartid`: the index of that hart's entry in the PLIC node's
 * interrupts-extended list. Falls back to QEMU virt's 2 * hartid + 1.
 */
static int plic_context_of(int node, uint64_t hartid)
{
	int len, off = 0, ctx = 0;
	const void *ie = dtb_prop(node, "interrupts-extended", &len);
	uint64_t h, size;

	while (ie != NULL && (off + 2) * 4 <= len) {
		int intc = dtb_find_phandle(dtb_cell(ie, off));
		int ncells = intc >= 0 ? (int)dtb_prop_u32(intc, "#interrupt-cells", 1) : 1;
		uint32_t cause = dtb_cell(ie, off + 1);

		if (intc >= 0 && cause == IRQ_S_EXT &&
		    dtb_reg(dtb_parent(intc), 0, &h, &size) && h == hartid)
			return ctx;
		off += 1 + ncells;
		ctx++;
	}
	return (int)PLIC_VIRT_S_CONTEXT(hartid);
}

/* The PLIC's DTB node, or -1. */
static int plic_find_node(void)
{
	int node = dtb_find_compatible(-1, "riscv,plic0");

	if (node < 0)
		node = dtb_find_compatible(-1, "sifive,plic-1.0.0");
	return node;
}

/*
 * Find the PLIC in the DTB, map it, route the sources registered so far and
 * set up this (the boot) hart. Registers the PLIC as DEV_INTC.
 * => boot hart, after kva_init and cpu_discover, before other harts start.
 */
void plic_init(void)
{
	int node = plic_find_node(), i;
	uint64_t pa, size;

	if (node < 0 || !dtb_reg(node, 0, &pa, &size))
		panic("plic_init: no PLIC in the device tree");
	plic.ndev = (int)dtb_prop_u32(node, "riscv,ndev", PLIC_MAX_SOURCES - 1);
	if (plic.ndev >= PLIC_MAX_SOURCES)
		plic.ndev = PLIC_MAX_SOURCES - 1;
	for (i = 0; i < ncpu; i++)
		plic.context[i] = plic_context_of(node, cpus[i].hartid);

	spin_lock(&plic.lock);
	plic.base = kva_map_mmio(pa, size);
	if (plic.base == 0)
		panic("plic_init: cannot map %lu bytes at 0x%lx", size, pa);
	for (i = 1; i <= plic.ndev; i++)
		if (plic.src[i].handler != NULL)
			_plic_route(i);
	spin_unlock(&plic.lock);

	dev_register(DEV_INTC, "plic", pa, size, 0);
	plic_init_hart();
}

/*
 * Let this hart take PLIC interrupts: enable the registered sources on its
 * context, threshold 0, and sie.SEIE. sstatus.SIE stays as it is.
 */
void plic_init_hart(void)
{
	int ctx = plic.context[cpu_self()->index], i;

	if (plic.base == 0)
		return;
	spin_lock(&plic.lock);
	for (i = 1; i <= plic.ndev; i++)
		_plic_enable(ctx, i, plic.src[i].handler != NULL);
	*plic_reg(PLIC_THRESHOLD(ctx)) = PLIC_THRESHOLD_ALL;
	spin_unlock(&plic.lock);
	csr_set(sie, SIE_SEIE);
}

/*
 * A supervisor external interrupt: claim sources from this hart's context
 * until none is pending, run each one's handler, and complete it
 * (PLIC spec chapter 8 "Interrupt Claim Process").
 * => interrupts off (trap context).
 */
void intr_dispatch_external(void)
{
	int ctx = plic.context[cpu_self()->index];
	uint32_t irq;
	struct intr_source src;

	if (plic.base == 0)
		return;
	while ((irq = *plic_reg(PLIC_CLAIM(ctx))) != 0) {
		spin_lock(&plic.lock);
		src = plic.src[irq < PLIC_MAX_SOURCES ? irq : 0];
		spin_unlock(&plic.lock);
		if (src.handler != NULL)
			src.handler(src.arg);
		else
			printk("intr: spurious PLIC source %u\n", irq);
		*plic_reg(PLIC_CLAIM(ctx)) = irq;
	}
}
