/*
 * The kernel virtual arena [KVA_ARENA_BASE, +KVA_ARENA_SIZE): fixed slots for
 * kernel stacks (each with an unmapped guard page below it) in the lower
 * half, device MMIO windows in the upper half. Mappings go through pmap_k*.
 */
#include "kernel/vm/kva.h"
#include "kernel/vm/page.h"
#include "kernel/vm/pmap.h"
#include "kernel/lock.h"
#include "kernel/lib/printk.h"

#define KVA_STACK_SLOTS   512   /* kernel stacks at once (NPROC_MAX and then some) */
#define KVA_SLOT_PAGES    (KERNEL_STACK_PAGES + 1)      /* guard page + stack */
#define KVA_SLOT_SIZE     (KVA_SLOT_PAGES * PAGE_SIZE)
#define KVA_STACK_BASE    KVA_ARENA_BASE
#define KVA_MMIO_BASE     (KVA_ARENA_BASE + KVA_ARENA_SIZE / 2)
#define KVA_MMIO_END      (KVA_ARENA_BASE + KVA_ARENA_SIZE)

_Static_assert(KVA_STACK_SLOTS * KVA_SLOT_SIZE <= KVA_ARENA_SIZE / 2,
	       "stack slots fit below the MMIO region");

/*
 * Slot i covers [KVA_STACK_BASE + i * KVA_SLOT_SIZE, + KVA_SLOT_SIZE): its
 * first page is the guard (never mapped), the rest is the stack.
 * Locking: (a) kva_lock; (s) the slot's owner once in_use is set.
 * Invariant: in_use == false => no page of the slot is mapped.
 */
struct kva_stack_slot {
	bool in_use;                                    /* (a) */
	struct vm_page *pages[KERNEL_STACK_PAGES];      /* (s) */
};

static struct spinlock kva_lock = SPINLOCK_INIT("kva");
static struct kva_stack_slot stack_slots[KVA_STACK_SLOTS];     /* (a) */
static vaddr_t mmio_next = KVA_MMIO_BASE;       /* (a) bump allocator */
static uint64_t stack_pages;                    /* (a) */
static uint64_t mmio_pages;                     /* (a) */

void kva_init(void)
{
	spin_init(&kva_lock, "kva");
	mmio_next = KVA_MMIO_BASE;
}

static vaddr_t slot_stack_base(int slot)
{
	return KVA_STACK_BASE + (vaddr_t)slot * KVA_SLOT_SIZE + PAGE_SIZE;
}

/* Claim a free stack slot; -1 if all are taken. */
static int slot_claim(void)
{
	int found = -1;

	spin_lock(&kva_lock);
	for (int i = 0; i < KVA_STACK_SLOTS; i++) {
		if (!stack_slots[i].in_use) {
			stack_slots[i].in_use = true;
			found = i;
			break;
		}
	}
	spin_unlock(&kva_lock);
	return found;
}

/* Unmap and free the first n stack pages of slot and release the slot. */
static void slot_release(int slot, int n)
{
	struct kva_stack_slot *s = &stack_slots[slot];

	if (n > 0)
		pmap_kremove(slot_stack_base(slot), (size_t)n * PAGE_SIZE);
	for (int i = 0; i < n; i++) {
		vm_page_free(s->pages[i], 0);
		s->pages[i] = NULL;
	}
	spin_lock(&kva_lock);
	s->in_use = false;
	stack_pages -= n;
	spin_unlock(&kva_lock);
}

/* A kernel stack of KERNEL_STACK_SIZE bytes above an unmapped guard page.
 * Returns its lowest address, or 0 on -ENOMEM (no slot or no pages). */
vaddr_t kva_alloc_stack(void)
{
	int slot = slot_claim();
	struct kva_stack_slot *s;
	vaddr_t base;

	if (slot < 0)
		return 0;
	s = &stack_slots[slot];
	base = slot_stack_base(slot);
	for (int i = 0; i < KERNEL_STACK_PAGES; i++) {
		struct vm_page *pg = vm_page_alloc(0, VM_ZONE_ANY, 0);

		if (pg == NULL || pmap_kenter(base + i * PAGE_SIZE, vm_page_to_pa(pg),
					      VM_PROT_READ | VM_PROT_WRITE) != 0) {
			if (pg != NULL)
				vm_page_free(pg, 0);
			slot_release(slot, i);
			return 0;
		}
		s->pages[i] = pg;
		spin_lock(&kva_lock);
		stack_pages++;
		spin_unlock(&kva_lock);
	}
	return base;
}

/* Free a stack from kva_alloc_stack. => nothing runs on it any more. */
void kva_free_stack(vaddr_t base)
{
	vaddr_t off = base - KVA_STACK_BASE - PAGE_SIZE;
	vaddr_t slot = off / KVA_SLOT_SIZE;

	KASSERT(base > KVA_STACK_BASE && off % KVA_SLOT_SIZE == 0 &&
		slot < KVA_STACK_SLOTS && stack_slots[slot].in_use,
		"%lx is not a kernel stack", (unsigned long)base);
	slot_release((int)slot, KERNEL_STACK_PAGES);
}

/* Map size bytes of device registers at physical pa (any alignment) into
 * the MMIO region. Returns the virtual address of pa, or 0 on -ENOMEM (the
 * region is full or a page table could not be allocated). Windows stay
 * mapped for the whole run. */
vaddr_t kva_map_mmio(paddr_t pa, size_t size)
{
	paddr_t first = PAGE_ROUNDDOWN(pa);
	size_t npages = (PAGE_ROUNDUP(pa + size) - first) >> PAGE_SHIFT;
	vaddr_t va;

	if (size == 0)
		return 0;
	spin_lock(&kva_lock);
	if (KVA_MMIO_END - mmio_next < npages * PAGE_SIZE) {
		spin_unlock(&kva_lock);
		return 0;
	}
	va = mmio_next;
	mmio_next += npages * PAGE_SIZE;
	spin_unlock(&kva_lock);
	for (size_t i = 0; i < npages; i++) {
		if (pmap_kenter_mmio(va + i * PAGE_SIZE, first + i * PAGE_SIZE) != 0) {
			pmap_kremove(va, i * PAGE_SIZE);
			return 0;
		}
	}
	spin_lock(&kva_lock);
	mmio_pages += npages;
	spin_unlock(&kva_lock);
	return va + (pa - first);
}

uint64_t kva_pages_mapped(void)
{
	uint64_t n;

	spin_lock(&kva_lock);
	n = stack_pages + mmio_pages;
	spin_unlock(&kva_lock);
	return n;
}

uint64_t kva_stack_pages(void)
{
	uint64_t n;

	spin_lock(&kva_lock);
	n = stack_pages;
	spin_unlock(&kva_lock);
	return n;
}
