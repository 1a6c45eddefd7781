/*
 * vm_fault: the one place a user page fault is resolved, for the trap
 * handler, copyin/copyout and mspace_write. Finds the VMA, checks the
 * access, finds or makes the page and enters it into the pmap; touches
 * page tables only through pmap.h.
 *
 * The cases, in the order they are tried:
 *
 *   1. upper-layer hit: the VMA's amap has an anon for the page: map the
 *      anon's page (fault_upper).
 *   2. lower-layer hit: the memory object has the page resident, or its
 *      pager reads it in [next issue, with the page cache].
 *   3. zero fill: anonymous memory never touched: a new anon with a
 *      zeroed page goes into the amap and is mapped (fault_zero_fill).
 *   4. copy-on-write: a write to a private mapping of an object page or of
 *      an anon shared after fork copies the page into a new anon
 *      [next issue].
 *   5. needs-copy: a write to a VMA whose amap is still shared after fork
 *      copies the amap first [next issue].
 *   6. stack growth: no VMA holds the address, but it lies between the
 *      stack VMA and the stack limit: the stack VMA grows down to it
 *      (fault_stack_grow).
 *   7. swap-in: the anon's page is on the swap device: read it back
 *      [later issue].
 *   8. error: no VMA, or the VMA's protection forbids the access:
 *      -EFAULT (fault_check_access); the caller sends SIGSEGV or fails
 *      copyin. Out of memory anywhere gives -ENOMEM, nothing leaked.
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/lock.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/sbuf.h"
#include "kernel/vm/vm.h"
#include "kernel/vm/page.h"
#include "kernel/vm/pmap.h"
#include "kernel/vm/amap.h"
#include "kernel/vm/anon.h"
#include "kernel/vm/vma.h"
#include "kernel/vm/mspace.h"
#include "kernel/vm/fault.h"
#include "kernel/vm/vmstat.h"

/* fault_upper's answer when the amap has no anon for the page. */
#define FAULT_MISS 1

static struct vm_stats vm_stats;        /* atomic counters */

#define VM_STAT_INC(field) \
	__atomic_fetch_add(&vm_stats.field, 1, __ATOMIC_RELAXED)

/* One fault being resolved. */
struct fault_ctx {
	struct mspace *ms;
	vaddr_t va;                     /* page aligned */
	enum vm_access access;
	int flags;                      /* VM_FAULT_* */
	struct vma *vma;
	size_t slot;                    /* amap slot of va */
	vm_prot_t prot;                 /* for pmap_enter */
	struct vm_page *page;           /* the page resolved */
};

/* Enter the resolved page with the VMA's protection (a forced fault on a
 * PROT_NONE VMA only resolves the page). => amap lock held. */
static int fault_enter(struct fault_ctx *fc, struct vm_page *pg)
{
	fc->page = pg;
	if (fc->prot == VM_PROT_NONE)
		return 0;
	return pmap_enter(fc->ms->pmap, fc->va, pg, fc->prot, PMAP_USER);
}

/* Case 1: the amap holds an anon for the page: map its page.
 * Returns 0, FAULT_MISS, or -ENOMEM from pmap_enter. */
static int fault_upper(struct fault_ctx *fc)
{
	struct amap *am = fc->vma->amap;
	struct anon *anon;
	int err = FAULT_MISS;

	amap_lock(am);
	anon = _amap_lookup(am, fc->slot);
	if (anon != NULL) {
		KASSERT(anon->page != NULL, "anon %p has no page", (void *)anon);
		err = fault_enter(fc, anon->page);
	}
	amap_unlock(am);
	if (anon != NULL)
		VM_STAT_INC(fault_upper);
	return err;
}

/* Case 3: a new zero-filled anon at the slot, mapped. If another mspace
 * sharing the amap filled the slot meanwhile, map its anon instead.
 * Returns 0 or -ENOMEM (the new anon freed again). */
static int fault_zero_fill(struct fault_ctx *fc)
{
	struct amap *am = fc->vma->amap;
	struct anon *anon = anon_alloc_zero();
	int err;

	if (anon == NULL)
		return -ENOMEM;
	amap_lock(am);
	if (_amap_lookup(am, fc->slot) != NULL) {
		amap_unlock(am);
		anon_unref(anon);
		return fault_upper(fc);
	}
	err = _amap_add(am, fc->slot, anon);
	if (err == 0) {
		err = fault_enter(fc, anon->page);
		if (err)
			_amap_remove(am, fc->slot);
	}
	amap_unlock(am);
	if (err) {
		anon_unref(anon);
		return err;
	}
	VM_STAT_INC(fault_zero_fill);
	return 0;
}

/* Case 6: va lies in no VMA. If the next VMA up is the stack and va is
 * above the stack limit (with at least one unmapped page left below it),
 * grow the stack down to va's page. Returns 0 or -EFAULT. */
static int fault_stack_grow(struct fault_ctx *fc)
{
	struct mspace *ms = fc->ms;
	struct vma *stack = vma_tree_find_from(&ms->vmas, fc->va);
	struct vma *below;
	size_t grow;

	if (stack == NULL || !(stack->flags & VMA_STACK) ||
	    fc->va < ms->stack_limit)
		return -EFAULT;
	below = vma_tree_prev(stack);
	if (below != NULL && below->end + PAGE_SIZE > fc->va)
		return -EFAULT;
	grow = (stack->start - fc->va) >> PAGE_SHIFT;
	if (stack->amap != NULL && stack->amap_off < grow)
		return -EFAULT;
	mspace_vma_resize(ms, stack, fc->va, stack->end);
	if (stack->amap != NULL)
		stack->amap_off -= grow;
	fc->vma = stack;
	VM_STAT_INC(fault_stack_grow);
	return 0;
}

/* Case 8 unless the VMA allows the access (or the fault is forced).
 * Returns 0 or -EFAULT. */
static int fault_check_access(struct fault_ctx *fc)
{
	fc->prot = mspace_pmap_prot(fc->vma->prot);
	if (fc->flags & VM_FAULT_FORCE)
		return 0;
	if (((vm_prot_t)fc->access & fc->prot) != (vm_prot_t)fc->access)
		return -EFAULT;
	return 0;
}

/* Find the page for an allowed access: cases 1 and 3 (2, 4, 5 and 7 come
 * with objects, copy-on-write and swap). Returns 0 or -ENOMEM. */
static int fault_resolve(struct fault_ctx *fc)
{
	struct vma *v = fc->vma;
	int err;

	KASSERT(v->obj == NULL, "memory objects come with the page cache");
	err = mspace_vma_amap(fc->ms, v);
	if (err)
		return err;
	fc->slot = v->amap_off + ((fc->va - v->start) >> PAGE_SHIFT);
	err = fault_upper(fc);
	if (err != FAULT_MISS)
		return err;
	return fault_zero_fill(fc);
}

int vm_fault_locked(struct mspace *ms, vaddr_t va, enum vm_access access,
		    int flags, struct vm_page **pgp)
{
	struct fault_ctx fc = {
		.ms = ms, .va = PAGE_ROUNDDOWN(va), .access = access,
		.flags = flags,
	};
	int err = 0;

	KASSERT(mutex_holding(&ms->lock), "mspace lock not held");
	VM_STAT_INC(faults);
	fc.vma = vma_tree_lookup(&ms->vmas, fc.va);
	if (fc.vma == NULL)
		err = fault_stack_grow(&fc);
	if (err == 0)
		err = fault_check_access(&fc);
	if (err == 0)
		err = fault_resolve(&fc);
	if (err == -EFAULT)
		VM_STAT_INC(fault_errors);
	else if (err == -ENOMEM)
		VM_STAT_INC(fault_nomem);
	if (err == 0 && pgp != NULL)
		*pgp = fc.page;
	return err;
}

int vm_fault(struct mspace *ms, vaddr_t va, enum vm_access access)
{
	int err;

	if (va < ms->min || va >= ms->max) {
		VM_STAT_INC(faults);
		VM_STAT_INC(fault_errors);
		return -EFAULT;
	}
	mutex_lock(&ms->lock);
	err = vm_fault_locked(ms, va, access, 0, NULL);
	mutex_unlock(&ms->lock);
	return err;
}

/* ------------------------------------------------------------ counters */

void vm_stats_get(struct vm_stats *out)
{
	out->faults = __atomic_load_n(&vm_stats.faults, __ATOMIC_RELAXED);
	out->fault_upper = __atomic_load_n(&vm_stats.fault_upper,
					   __ATOMIC_RELAXED);
	out->fault_zero_fill = __atomic_load_n(&vm_stats.fault_zero_fill,
					       __ATOMIC_RELAXED);
	out->fault_stack_grow = __atomic_load_n(&vm_stats.fault_stack_grow,
						__ATOMIC_RELAXED);
	out->fault_errors = __atomic_load_n(&vm_stats.fault_errors,
					    __ATOMIC_RELAXED);
	out->fault_nomem = __atomic_load_n(&vm_stats.fault_nomem,
					   __ATOMIC_RELAXED);
	out->amaps = amap_count();
	out->anons = anon_count();
}

int vm_stats_display(struct sbuf *sb)
{
	struct vm_stats st;

	vm_stats_get(&st);
	sbuf_printf(sb, "pgfault %lu\n", (unsigned long)st.faults);
	sbuf_printf(sb, "pgfault_upper %lu\n", (unsigned long)st.fault_upper);
	sbuf_printf(sb, "pgfault_zero %lu\n", (unsigned long)st.fault_zero_fill);
	sbuf_printf(sb, "pgfault_stack %lu\n",
		    (unsigned long)st.fault_stack_grow);
	sbuf_printf(sb, "pgfault_error %lu\n", (unsigned long)st.fault_errors);
	sbuf_printf(sb, "pgfault_nomem %lu\n", (unsigned long)st.fault_nomem);
	sbuf_printf(sb, "nr_amaps %lu\n", (unsigned long)st.amaps);
	sbuf_printf(sb, "nr_anon_pages %lu\n", (unsigned long)st.anons);
	return sbuf_error(sb);
}
