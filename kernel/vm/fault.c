/*
 * vm_fault: the one place a user page fault is resolved, for the trap
 * handler, copyin/copyout and mspace_write. Finds the VMA, checks the
 * access, finds or makes the page in the VMA's two layers (the amap of
 * anons above, the memory object below) and enters it into the pmap;
 * touches page tables only through pmap.h and objects through object.h.
 *
 *   vm_fault(ms, va, access)
 *    |
 *    +- no VMA holds va ----------------------> 6, else 8
 *    +- the VMA's protection forbids access --> 8
 *    +- write to a needs-copy VMA ------------> 5, then on
 *    +- the amap has an anon for va ----------> 1
 *    |     on swap, or busy in I/O -----------> 7, then 1 again
 *    |     write, anon refcnt > 1 ------------> 4 (copy the anon)
 *    +- the VMA has a memory object ----------> 2
 *    |     write to a private mapping --------> 4 (copy the object page)
 *    +- anonymous, never touched -------------> 3 (after 5 if needs-copy)
 *
 *   1. upper-layer hit: map the anon's page; while the anon is shared
 *      (refcnt > 1, or the amap is still needs-copy) only read-only, so a
 *      write comes back as case 4. An anon no longer shared is written in
 *      place (fault_upper).
 *   2. lower-layer hit: vm_object_get_page finds the object's page or reads
 *      it in through the pager. A shared mapping maps it with the VMA's
 *      protection (stores dirty it through the PTE D bit); a private one
 *      maps it read-only for a read (fault_lower). A read fault also maps,
 *      read-only, the neighbouring pages of the object already resident
 *      (fault-around, like Linux's fault_around_bytes: 64 KiB by default,
 *      boot option fault_around_bytes=, 0 turns it off), so a program
 *      reading a cached file or its own text takes one fault per window
 *      instead of one per page (fault_around_file).
 *   3. zero fill: anonymous memory never touched: a new anon with a zeroed
 *      page goes into the amap and is mapped (fault_zero_fill).
 *   4. copy-on-write: a write to a private mapping of an object page, or
 *      to an anon another amap shares since fork, copies exactly that page
 *      into a new anon in the VMA's own amap (fault_cow). An object page
 *      is copied busy (vm_object_page_busy), so a write() to it is not
 *      seen half done.
 *   5. needs-copy: the first write (or zero fill) in a VMA whose amap fork
 *      shared: amap_copy gives the VMA an amap of its own whose slots share
 *      the same anons, each gaining a reference; no page is copied here
 *      (fault_needs_copy).
 *   6. stack growth: no VMA holds the address, but it lies between the
 *      stack VMA and the stack limit: the stack VMA grows down to it
 *      (fault_stack_grow). After munmap inside the stack, each piece
 *      grows: the upper one into the hole.
 *   7. swap-in: the anon's page is on the swap device: a new page is
 *      made busy and read from the slot with no spinlock held (the slot
 *      stays: the page is swap cache until written), together with the
 *      next pages of the VMA whose slots follow (read-around, one
 *      request); a fault that finds the page busy (a swap-in or a
 *      page-out in flight) waits for it. Either way case 1 is tried
 *      again (fault_swapin).
 *   8. error: no VMA, or the VMA's protection forbids the access:
 *      -EFAULT (fault_check_access); the caller sends SIGSEGV or fails
 *      copyin. SIGBUS (as on Linux), with its cause: a page wholly past
 *      the end of a mapped file gives -ENXIO, a pager's read error -EIO,
 *      no backing store for a store (mkwrite) -ENOSPC, -EFBIG or -EIO.
 *      Out of memory anywhere gives -ENOMEM. Nothing is leaked on any
 *      error.
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
#include "kernel/vm/object.h"
#include "kernel/vm/pager.h"
#include "kernel/vm/vma.h"
#include "kernel/vm/mspace.h"
#include "kernel/vm/fault.h"
#include "kernel/vm/vmstat.h"
#include "kernel/vm/pageout.h"
#include "kernel/vm/aobj.h"
#include "kernel/lib/bootargs.h"

/* fault_upper's answer when the amap has no anon for the page. */
#define FAULT_MISS 1
/* Case 7's answer: the page was read in or waited for; look again. */
#define FAULT_RETRY 2

#define KB_PER_PAGE (PAGE_SIZE / 1024)

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
	vm_prot_t prot;                 /* the VMA's, as the pmap takes it */
	struct vm_page *page;           /* the page resolved */
	bool keep;                      /* the caller wants page held */
	struct vm_object *held;         /* page's object, if page is held */
	bool major;                     /* waited for a pager or swap read */
	struct anon *held_anon;         /* page's anon, if page is held */
};

static bool fault_is_write(const struct fault_ctx *fc)
{
	return fc->access == VM_ACCESS_WRITE;
}

/* Enter pg at the fault address with prot (a forced fault on a PROT_NONE
 * VMA only resolves the page), dirty at once for a write (Svade). Returns 0 or -ENOMEM from pmap_enter. */
static int fault_enter(struct fault_ctx *fc, struct vm_page *pg, vm_prot_t prot)
{
	fc->page = pg;
	if (prot == VM_PROT_NONE)
		return 0;
	return pmap_enter(fc->ms->pmap, fc->va, pg, prot, PMAP_USER |
			  (fault_is_write(fc) ? PMAP_MODIFIED : 0));
}

/* A new anon's page is mapped: put it on the page queues, held first if
 * the caller asked to keep the page. Until now no one else could find it
 * (anon_alloc_zero), so no lock is needed for the hold. */
static void fault_anon_done(struct fault_ctx *fc, struct anon *anon)
{
	if (fc->keep) {
		anon->page->wire_count++;
		fc->held_anon = anon;
	}
	anon_page_enqueue(anon);
}

/* Put the new anon (on no page queue, as anon_alloc_zero and
 * anon_copy_page make it) into the empty slot of fc->va in the VMA's
 * amap and map its page with the VMA's protection (cases 3 and 4). => ms->lock held, the VMA has its
 * own amap. Returns 0, or -ENOMEM with the anon freed and nothing changed. */
static int fault_anon_install(struct fault_ctx *fc, struct anon *anon)
{
	struct vma *v = fc->vma;
	size_t slot = mspace_vma_slot(v, fc->va);
	int err;

	amap_lock(v->amap);
	err = _amap_add(v->amap, slot, anon);
	KASSERT(err != -EEXIST, "new anon for a full slot %lu",
		(unsigned long)slot);
	if (err == 0 && (err = fault_enter(fc, anon->page, fc->prot)) != 0)
		_amap_remove(v->amap, slot);
	amap_unlock(v->amap);
	if (err) {
		anon_unref(anon);
		return err;
	}
	fault_anon_done(fc, anon);
	return 0;
}

/* Case 4, an object's page: a private write fault on a page of the VMA's
 * memory object (a file or an exec'd program's data). Copy src (held and
 * busy, by the caller) into a new anon at the fault's slot of the VMA's
 * own amap, and map it with the VMA's protection.
 * => the VMA is not needs-copy (case 5 done).
 * Returns 0 or -ENOMEM (nothing changed). */
static int fault_cow_object(struct fault_ctx *fc, struct vm_page *src)
{
	struct vma *v = fc->vma;
	struct anon *anon;
	int err;

	err = mspace_vma_amap(fc->ms, v);
	if (err)
		return err;
	KASSERT(amap_refs(v->amap) == 1, "copy-on-write into a shared amap");
	anon = anon_copy_page(src);
	if (anon == NULL)
		return -ENOMEM;
	err = fault_anon_install(fc, anon);
	if (err == 0)
		VM_STAT_INC(fault_cow);
	return err;
}

/* Case 4, an anon: a write fault on old, an anon still shared with
 * another amap (after fork), whose page src the caller holds. Copy src
 * into a new anon that takes old's slot in the VMA's own amap, map it
 * with the VMA's protection, and drop the amap's reference to old once
 * the new page is mapped. The hold on src is dropped here, either way
 * (after the copy is mapped, together with old's reference).
 * => the VMA is not needs-copy (case 5 done).
 * Returns 0 or -ENOMEM (nothing changed: old back in its slot). */
static int fault_cow_anon(struct fault_ctx *fc, struct anon *old,
			  struct vm_page *src)
{
/* LAB cow: begin */
	struct vma *v = fc->vma;
	struct anon *anon = NULL;
	size_t slot;
	int err;

	err = mspace_vma_amap(fc->ms, v);
	if (err == 0) {
		KASSERT(amap_refs(v->amap) == 1, "copy-on-write into a shared amap");
		anon = anon_copy_page(src);
		if (anon == NULL)
			err = -ENOMEM;
	}
	if (err) {
		anon_page_release(old, src);
		return err;
	}
	slot = mspace_vma_slot(v, fc->va);
	amap_lock(v->amap);
	_amap_replace(v->amap, slot, anon);     /* old's reference: ours */
	err = fault_enter(fc, anon->page, fc->prot);
	if (err != 0)
		_amap_replace(v->amap, slot, old);
	amap_unlock(v->amap);
	if (err) {
		anon_page_release(old, src);
		anon_unref(anon);
		return err;
	}
	fault_anon_done(fc, anon);
	/* The hold on src and the slot's reference to old, under one lock. */
	anon_page_release_unref(old, src);
	VM_STAT_INC(fault_cow);
	return 0;
/* LAB cow: end */
/* LAB cow: stub
	// lab cow: not implemented. The skeleton's fork copies every page
	// (vma_fork_cow fails), so no anon is ever shared and this is not
	// reached; a write to a shared anon would get SIGSEGV.
	(void)fc;
	anon_page_release(old, src);
	return -EFAULT;
*/
}

/*
 * Read-around at a swap-in fault: the anons of the next pages of the VMA
 * whose slots follow the faulting one's (written in one batch, so likely
 * wanted together), up to a window per VMA. The window adapts as Linux's
 * swap readahead does: it doubles (to SWAP_RUN_MAX) while at least half
 * of the pages read ahead last time were mapped by a fault before the next
 * swap-in (a sequential reader: one request of 32 pages costs about what
 * one of 8 does), and halves (to 1) while fewer were (random access: the
 * extra pages only push others out).
 */
#define FAULT_SWAPIN_CLUSTER 8          /* the first window, pages */
/* From this window on the reader counts as sequential and the next window
 * is read ahead asynchronously while it works through this one: mapping a
 * page marked VM_PAGE_RA_ASYNC (the second of a synchronous window, the
 * first of an asynchronous one) starts it. */
#define FAULT_SWAPIN_ASYNC   16

/* v's read-around window now, pages. => ms->lock held. */
static size_t fault_swapin_window_now(const struct vma *v)
{
	return v->swap_ra != 0 ? v->swap_ra : FAULT_SWAPIN_CLUSTER;
}

/* The read-around window of v for this swap-in, from its last one's hits.
 * => ms->lock held. */
static size_t fault_swapin_window(struct vma *v)
{
	size_t w = fault_swapin_window_now(v);

	if (v->swap_ra_read != 0) {
		if (v->swap_ra_hits * 2 >= v->swap_ra_read)
			w = MIN(w * 2, SWAP_RUN_MAX);
		else
			w = MAX(w / 2, 1);
	}
	v->swap_ra = (uint8_t)w;
	v->swap_ra_hits = 0;
	v->swap_ra_read = 0;
	return w;
}

/* Case 7: the anon's page is on swap (swapped), or busy in another
 * fault's swap-in or the page daemon's page-out. Read it in, with the
 * anons[1..n-1] read around it, or wait for the I/O in flight; either
 * way the fault is then tried again, since the anon may have changed
 * meanwhile. => no spinlocks held; amap slots keep the anons alive.
 * Returns FAULT_RETRY, -ENOMEM, or -EIO (SIGBUS). */
static int fault_swapin(struct fault_ctx *fc, struct anon *const *anons,
			size_t n, bool swapped)
{
	size_t read;
	int err;

	if (!swapped) {
		anon_wait_busy(anons[0]);
		return FAULT_RETRY;
	}
	err = anon_swapin_cluster(anons, n,
				  fc->vma->swap_ra >= FAULT_SWAPIN_ASYNC, &read);
	if (err)
		return err;
	if (read > 1)
		fc->vma->swap_ra_read = (uint8_t)(read - 1);
	fc->major = true;
	VM_STAT_INC(fault_swapin);
	return FAULT_RETRY;
}

/* Fill anons[1..window-1] with the anons of the pages after slot in v's
 * amap whose slots follow first's, on swap only; anons[0] is given.
 * Returns how many anons (at least 1). => am->lock held. */
static size_t fault_swapin_around(struct vma *v, struct amap *am, size_t slot,
				  swap_slot_t first, struct anon **anons,
				  size_t window)
{
	size_t n = 1, last = mspace_vma_slot(v, v->end - PAGE_SIZE);

	while (n < window && slot + n <= last &&
	       slot + n < am->nslots) {
		struct anon *next = _amap_lookup(am, slot + n);
		bool fits;

		if (next == NULL)
			break;
		spin_lock(&next->lock);
		fits = next->page == NULL && next->slot == first + n;
		spin_unlock(&next->lock);
		if (!fits)
			break;
		anons[n++] = next;
	}
	return n;
}

/* The next read-ahead window after slot (whose page was just mapped): the
 * first page within v's window after it that is on swap only, and the
 * anons after that one whose slots follow, into anons. Returns how many
 * (0: none). => am->lock held. */
static size_t fault_readahead_next(struct vma *v, struct amap *am,
				   size_t slot, struct anon **anons)
{
	size_t last = mspace_vma_slot(v, v->end - PAGE_SIZE);
	size_t window = fault_swapin_window_now(v);

	for (size_t i = slot + 1; i <= slot + window && i <= last &&
	     i < am->nslots; i++) {
		struct anon *a = _amap_lookup(am, i);
		swap_slot_t first;

		if (a == NULL)
			return 0;
		first = anon_swap_slot(a);
		if (first != SWAP_SLOT_NONE) {
			anons[0] = a;
			return fault_swapin_around(v, am, i, first, anons,
						   window);
		}
	}
	return 0;
}

/*
 * Fault-around for pages read ahead from swap: after a fault maps an anon
 * page, map the VMA's next pages that a read-ahead brought in and no
 * fault has mapped yet (resident, VM_PAGE_READAHEAD, not busy, not
 * shared), up to SWAP_RUN_MAX of them, read-only: a sequential reader then
 * takes one fault per read-ahead window instead of one per page, as
 * Linux's fault_around_bytes does for file pages. A store to one still
 * faults, to make its anon writable (its slot goes). Each counts as a
 * read-ahead hit. Stops at the first page that does not qualify.
 * Returns the slot of a page mapped that carried VM_PAGE_RA_ASYNC (the
 * caller starts the next read-ahead from there), or 0 if none did.
 * => am->lock held, not the anons' locks; ms->lock held.
 */
static size_t fault_around_swapin(struct fault_ctx *fc, struct amap *am,
				  size_t slot)
{
	struct vma *v = fc->vma;
	size_t last = mspace_vma_slot(v, v->end - PAGE_SIZE), marker = 0;
	vm_prot_t prot = fc->prot & ~VM_PROT_WRITE;

	if ((v->flags & VMA_NEEDS_COPY) || prot == VM_PROT_NONE)
		return 0;
	for (size_t i = 1; i < SWAP_RUN_MAX && slot + i <= last &&
	     slot + i < am->nslots; i++) {
		struct anon *a = _amap_lookup(am, slot + i);
		struct vm_page *pg;
		bool ok;

		if (a == NULL)
			break;
		spin_lock(&a->lock);
		pg = a->page;
		ok = pg != NULL && a->refcnt == 1 &&
		     (pg->flags & (VM_PAGE_READAHEAD | VM_PAGE_BUSY)) ==
		     VM_PAGE_READAHEAD &&
		     pmap_enter(fc->ms->pmap, fc->va + i * PAGE_SIZE, pg, prot,
				PMAP_USER) == 0;
		if (ok) {
			if (pg->flags & VM_PAGE_RA_ASYNC)
				marker = slot + i;
			pg->flags &= ~(VM_PAGE_READAHEAD | VM_PAGE_RA_ASYNC);
			if (v->swap_ra_hits < UINT8_MAX)
				v->swap_ra_hits++;
		}
		spin_unlock(&a->lock);
		if (!ok)
			break;
	}
	return marker;
}

/* Case 1: the amap holds an anon for the page. On swap or busy: case 7.
 * A write to an anon shared with another amap is case 4; otherwise map
 * the anon's page, read-only while it may be shared or while it is still
 * in the swap cache and this is a read (a write frees the slot first, so
 * a page with a slot always equals it). The page is mapped under the anon
 * lock, so the page daemon cannot be taking it meanwhile.
 * Returns 0, FAULT_MISS, FAULT_RETRY, -ENOMEM or -EIO. */
static int fault_upper(struct fault_ctx *fc)
{
	struct vma *v = fc->vma;
	struct amap *am = v->amap;
	size_t slot = am ? mspace_vma_slot(v, fc->va) : 0;
	struct anon *anon = NULL;
	struct vm_page *pg;
	vm_prot_t prot;
	bool shared, ra_async;
	int err;

	if (am == NULL)
		return FAULT_MISS;
	amap_lock(am);
	if (slot < am->nslots)
		anon = _amap_lookup(am, slot);
	if (anon == NULL) {
		amap_unlock(am);
		return FAULT_MISS;
	}
	spin_lock(&anon->lock);
	pg = anon->page;
	if (pg == NULL || (pg->flags & VM_PAGE_BUSY)) {
		struct anon *anons[SWAP_RUN_MAX] = { anon };
		swap_slot_t first = anon->slot;
		size_t n = 1;

		spin_unlock(&anon->lock);
		if (pg == NULL)
			n = fault_swapin_around(v, am, slot, first, anons,
						fault_swapin_window(v));
		amap_unlock(am);
		return fault_swapin(fc, anons, n, pg == NULL);
	}
	shared = (v->flags & VMA_NEEDS_COPY) || anon->refcnt > 1;
	if (shared && fault_is_write(fc)) {
		/* Held for the copy; our private amap keeps the anon. */
		pg->wire_count++;
		spin_unlock(&anon->lock);
		amap_unlock(am);
		return fault_cow_anon(fc, anon, pg);
	}
	/* A read-ahead hit, or the retry of this fault's own swap-in: its
	 * neighbours may wait to be mapped too (fault_around_swapin). */
	bool around = fc->major || (pg->flags & VM_PAGE_READAHEAD);

	if ((pg->flags & VM_PAGE_READAHEAD) && v->swap_ra_hits < UINT8_MAX)
		v->swap_ra_hits++;
	pg->flags &= ~VM_PAGE_READAHEAD;
	ra_async = (pg->flags & VM_PAGE_RA_ASYNC) != 0;
	pg->flags &= ~VM_PAGE_RA_ASYNC;
	prot = shared ? fc->prot & ~VM_PROT_WRITE : fc->prot;
	if (fault_is_write(fc))
		anon_make_writable(anon);
	else if (anon->slot != SWAP_SLOT_NONE)
		prot &= ~VM_PROT_WRITE;
	err = fault_enter(fc, pg, prot);
	if (err == 0 && fc->keep) {
		pg->wire_count++;
		fc->held_anon = anon;
	}
	spin_unlock(&anon->lock);
	size_t marker = err == 0 && !shared && around ?
			fault_around_swapin(fc, am, slot) : 0;
	if ((ra_async || marker != 0) && err == 0) {
		struct anon *next[SWAP_RUN_MAX];
		size_t n = fault_readahead_next(v, am, marker != 0 ? marker : slot,
						next);

		amap_unlock(am);
		/* Best effort: with no memory now, the fault will read. */
		if (n > 0)
			(void)anon_swapin_async(next, n, true);
	} else {
		amap_unlock(am);
	}
	VM_STAT_INC(fault_upper);
	return err;
}

/* Case 2, shared: a pager with a mkwrite op reserves backing store for
 * the page (pg, held) on a write fault, so a full disk is this store's
 * SIGBUS and never a lost write-back; a read fault then maps the page
 * without write access (*prot), so the first store comes back here.
 * Returns 0 or mkwrite's -ENOSPC, -EFBIG, -EIO. */
static int fault_shared_mkwrite(struct fault_ctx *fc, struct vm_object *obj,
				struct vm_page *pg, vm_prot_t *prot)
{
	if (obj->pager == NULL || obj->pager->mkwrite == NULL)
		return 0;
	if (!fault_is_write(fc)) {
		*prot &= ~VM_PROT_WRITE;
		return 0;
	}
	int err = obj->pager->mkwrite(obj, pg->offset);
	return err == -ENOSPC || err == -EFBIG ? err : (err < 0 ? -EIO : 0);
}

/* Fault-around's window in pages (a power of two, at most
 * VM_OBJECT_AROUND_MAX): the boot option fault_around_bytes, read once. */
static size_t fault_around_pages(void)
{
	static int pages = -1;          /* atomic: -1 until read */
	int n = __atomic_load_n(&pages, __ATOMIC_RELAXED);

	if (n < 0) {
		long bytes = bootarg_int("fault_around_bytes", 64 * 1024, 0,
					 VM_OBJECT_AROUND_MAX * PAGE_SIZE);

		for (n = 1; (size_t)(n * 2) * PAGE_SIZE <= (size_t)bytes; n *= 2)
			;
		if ((size_t)bytes < PAGE_SIZE)
			n = 0;
		__atomic_store_n(&pages, n, __ATOMIC_RELAXED);
	}
	return (size_t)n;
}

/*
 * Fault-around (case 2, a read fault): map the object's pages around
 * fc->va that are resident already, read-only, with no I/O and no wait:
 * the aligned window of fault_around_pages() pages, clipped to the VMA.
 * A page is left alone where the PTE is valid already or the amap has an
 * anon for it (the upper layer wins); a store to a page mapped here faults
 * again and takes case 2's write path (copy, or mkwrite and dirty). Best
 * effort: out of memory it simply maps fewer. => ms->lock held; the
 * faulting page is mapped already.
 */
static void fault_around_file(struct fault_ctx *fc)
{
	struct vma *v = fc->vma;
	struct vm_page *pgs[VM_OBJECT_AROUND_MAX];
	size_t window = fault_around_pages(), n, mapped = 0;
	vaddr_t start, end;

	if (window <= 1 || fc->keep || fc->prot == VM_PROT_NONE)
		return;
	start = fc->va & ~((vaddr_t)window * PAGE_SIZE - 1);
	end = start + window * PAGE_SIZE;
	start = MAX(start, v->start);
	end = MIN(end, v->end);
	n = (end - start) >> PAGE_SHIFT;
	if (n <= 1 || vm_object_hold_resident(v->obj, v->obj_off + (start - v->start),
					      n, pgs) == 0)
		return;
	if (v->amap != NULL)
		amap_lock(v->amap);
	for (size_t i = 0; i < n; i++) {
		vaddr_t va = start + (i << PAGE_SHIFT);
		paddr_t pa;

		if (pgs[i] == NULL || va == fc->va)
			continue;
		if (v->amap != NULL) {
			size_t slot = mspace_vma_slot(v, va);

			if (slot < v->amap->nslots && _amap_lookup(v->amap, slot))
				continue;
		}
		if (pmap_extract(fc->ms->pmap, va, &pa))
			continue;
		if (pmap_enter(fc->ms->pmap, va, pgs[i], fc->prot & ~VM_PROT_WRITE,
			       PMAP_USER) != 0)
			break;
		mapped++;
	}
	if (v->amap != NULL)
		amap_unlock(v->amap);
	vm_object_release_pages(v->obj, pgs, n);
	if (mapped > 0)
		__atomic_fetch_add(&vm_stats.fault_around, mapped, __ATOMIC_RELAXED);
}

/* Case 2: the VMA's memory object holds the page, resident or read in by
 * its pager. A shared VMA maps it with the VMA's protection (a write fault
 * also marks it dirty, for stores through mspace_write that set no D bit);
 * a private VMA maps it read-only for a read and copies it (case 4) for a
 * write. Returns 0, -ENXIO (the page lies wholly past the end of the
 * file), -EIO (the pager failed), mkwrite's -ENOSPC, -EFBIG, or -ENOMEM. */
static int fault_lower(struct fault_ctx *fc)
{
	struct vma *v = fc->vma;
	struct vm_object *obj = v->obj;
	struct vm_page *pg;
	int err;

	err = vm_object_get_page_io(obj, v->obj_off + (fc->va - v->start), &pg,
				    &fc->major);
	if (err == -EFAULT)
		return -ENXIO;          /* past the end of the file: SIGBUS */
	if (err)
		return err;
	if (v->flags & VMA_SHARED) {
		vm_prot_t prot = fc->prot;
		err = fault_shared_mkwrite(fc, obj, pg, &prot);
		if (err == 0)
			err = fault_enter(fc, pg, prot);
		if (err == 0 && fault_is_write(fc))
			vm_object_page_dirty(obj, pg);
	} else if (fault_is_write(fc)) {
		/* Busy: no write() changes the page halfway through the copy. */
		vm_object_page_busy(obj, pg);
		err = fault_cow_object(fc, pg);
		vm_object_page_unbusy(obj, pg);
	} else {
		err = fault_enter(fc, pg, fc->prot & ~VM_PROT_WRITE);
	}
	if (err == 0 && fc->keep && fc->page == pg)
		fc->held = obj;         /* the caller's: vm_fault_release */
	else
		vm_object_release_page(obj, pg);
	if (err == 0)
		VM_STAT_INC(fault_lower);
	if (err == 0 && !fault_is_write(fc))
		fault_around_file(fc);
	return err;
}

/* Case 5, for a fault: see vm_fault_needs_copy. */
static int fault_needs_copy(struct fault_ctx *fc)
{
	return vm_fault_needs_copy(fc->ms, fc->vma);
}

int vm_fault_needs_copy(struct mspace *ms, struct vma *v)
{
	struct amap *copy;
	size_t pad;
	int err;

	KASSERT(mutex_holding(&ms->lock), "mspace lock not held");
	KASSERT(v->flags & VMA_PRIVATE, "needs-copy of a shared VMA");
/* LAB cow: begin */
	if (v->amap != NULL && amap_refs(v->amap) > 1) {
		/* A stack keeps its room to grow below amap_off. */
		pad = (v->flags & VMA_STACK) ? v->amap_off : 0;
		err = amap_copy(v->amap, v->amap_off, vma_pages(v), pad, &copy);
		if (err)
			return err;
		amap_unref(v->amap);
		v->amap = copy;
		v->amap_off = pad;
		VM_STAT_INC(fault_needs_copy);
	}
	v->flags &= ~VMA_NEEDS_COPY;
	return 0;
/* LAB cow: end */
/* LAB cow: stub
	// lab cow: not implemented (the skeleton's fork never sets
	// VMA_NEEDS_COPY, so only a forged flag gets here)
	(void)copy; (void)pad; (void)err;
	return -ENOSYS;
*/
}

/* Case 3: a new zero-filled anon at the slot, mapped. A needs-copy amap is
 * copied first (case 5): the anon must not appear in the other mspace.
 * Returns 0 or -ENOMEM (the new anon freed again). */
static int fault_zero_fill(struct fault_ctx *fc)
{
/* LAB lazy: begin */
	struct vma *v = fc->vma;
	struct anon *anon;
	int err;

	if (v->flags & VMA_NEEDS_COPY) {
		err = fault_needs_copy(fc);
		if (err)
			return err;
	}
	err = mspace_vma_amap(fc->ms, v);
	if (err)
		return err;
	anon = anon_alloc_zero();
	if (anon == NULL)
		return -ENOMEM;
	err = fault_anon_install(fc, anon);
	if (err == 0)
		VM_STAT_INC(fault_zero_fill);
	return err;
/* LAB lazy: end */
/* LAB lazy: stub
	// lab lazy: not implemented. Every first touch of a page of heap,
	// stack or bss lands here: /bin/init dies of SIGSEGV at once.
	(void)fc;
	return -EFAULT;
*/
}

/* Case 6: va lies in no VMA. If the next VMA up is the stack (or a piece
 * of it left by munmap) and va is above the stack limit, grow that VMA
 * down to va's page: below another mapping at least one unmapped guard
 * page must stay, below another piece of the stack none need (the hole
 * fills up). Returns 0 or -EFAULT. */
static int fault_stack_grow(struct fault_ctx *fc)
{
/* LAB lazy: begin */
	struct mspace *ms = fc->ms;
	struct vma *stack = vma_tree_find_from(&ms->vmas, fc->va);
	struct vma *below;
	size_t grow, gap;

	if (stack == NULL || !(stack->flags & VMA_STACK) ||
	    fc->va < ms->stack_limit)
		return -EFAULT;
	below = vma_tree_prev(stack);
	gap = (below != NULL && (below->flags & VMA_STACK)) ? 0 : PAGE_SIZE;
	if (below != NULL && below->end + gap > fc->va)
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
/* LAB lazy: end */
/* LAB lazy: stub
	// lab lazy: not implemented: the stack never grows
	(void)fc;
	return -EFAULT;
*/
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

/* Find the page for an allowed access, trying the cases in the order the
 * header draws them. Returns 0, -ENOMEM, -EFAULT, or a SIGBUS cause
 * (-ENXIO, -EIO, -ENOSPC, -EFBIG). */
static int fault_resolve(struct fault_ctx *fc)
{
	struct vma *v = fc->vma;
	int err;

	if (fault_is_write(fc) && (v->flags & VMA_NEEDS_COPY)) {
		err = fault_needs_copy(fc);
		if (err)
			return err;
	}
	while ((err = fault_upper(fc)) == FAULT_RETRY)
		;
	if (err != FAULT_MISS)
		return err;
	if (v->obj != NULL)
		return fault_lower(fc);
	return fault_zero_fill(fc);
}

/* vm_fault_locked, also saying in *major (if not NULL) whether the fault
 * waited for a read from a pager or swap (a major fault). Its two callers
 * hold ms->lock: vm_fault_locked asserts it of its caller, vm_fault_ex has
 * just taken it. */
static int fault_run(struct mspace *ms, vaddr_t va, enum vm_access access,
		     int flags, struct vm_fault_hold *hold, bool *major)
{
	struct fault_ctx fc = {
		.ms = ms, .va = PAGE_ROUNDDOWN(va), .access = access,
		.flags = flags, .keep = hold != NULL,
	};
	int err = 0;

	VM_STAT_INC(faults);
	fc.vma = vma_tree_lookup(&ms->vmas, fc.va);
	if (fc.vma == NULL)
		err = fault_stack_grow(&fc);
	if (err == 0)
		err = fault_check_access(&fc);
	if (err == 0)
		err = fault_resolve(&fc);
	if (err == -ENOMEM)
		VM_STAT_INC(fault_nomem);
	else if (err != 0)
		VM_STAT_INC(fault_errors);
	if (err == 0 && hold != NULL) {
		hold->page = fc.page;
		hold->obj = fc.held;
		hold->anon = fc.held_anon;
	}
	if (major != NULL)
		*major = fc.major;
	if (fc.major)
		vm_event_add(VM_EV_PGMAJFAULT, 1);
	return err;
}

int vm_fault_locked(struct mspace *ms, vaddr_t va, enum vm_access access,
		    int flags, struct vm_fault_hold *hold)
{
	KASSERT(mutex_holding(&ms->lock), "mspace lock not held");
	return fault_run(ms, va, access, flags, hold, NULL);
}

void vm_fault_release(struct vm_fault_hold *hold)
{
	if (hold->obj != NULL)
		vm_object_release_page(hold->obj, hold->page);
	else if (hold->anon != NULL)
		anon_page_release(hold->anon, hold->page);
	hold->page = NULL;
	hold->obj = NULL;
	hold->anon = NULL;
}

int vm_fault(struct mspace *ms, vaddr_t va, enum vm_access access)
{
	return vm_fault_ex(ms, va, access, NULL);
}

int vm_fault_ex(struct mspace *ms, vaddr_t va, enum vm_access access,
		bool *major)
{
	int err;

	if (major != NULL)
		*major = false;

	if (va < ms->min || va >= ms->max) {
		VM_STAT_INC(faults);
		VM_STAT_INC(fault_errors);
		return -EFAULT;
	}
	/* Out of memory: wait for the page daemon without the mspace lock
	 * (the OOM killer may want to look at us), then try again. */
	for (;;) {
		bool waited_io = false;

		mutex_lock(&ms->lock);
		err = fault_run(ms, va, access, 0, NULL, &waited_io);
		mutex_unlock(&ms->lock);
		if (major != NULL)
			*major |= waited_io;
		if (err != -ENOMEM || vm_wait_for_memory() != 0)
			return err;
	}
}

/* ------------------------------------------------------------ counters */

static uint64_t vm_events[VM_NEVENTS];  /* atomic */

void vm_event_add(enum vm_event ev, uint64_t n)
{
	KASSERT(ev < VM_NEVENTS, "vm event %d", ev);
	__atomic_fetch_add(&vm_events[ev], n, __ATOMIC_RELAXED);
}

uint64_t vm_event_get(enum vm_event ev)
{
	KASSERT(ev < VM_NEVENTS, "vm event %d", ev);
	return __atomic_load_n(&vm_events[ev], __ATOMIC_RELAXED);
}

#define VM_STAT_LOAD(field) __atomic_load_n(&vm_stats.field, __ATOMIC_RELAXED)

void vm_stats_get(struct vm_stats *out)
{
	out->faults = VM_STAT_LOAD(faults);
	out->fault_upper = VM_STAT_LOAD(fault_upper);
	out->fault_lower = VM_STAT_LOAD(fault_lower);
	out->fault_zero_fill = VM_STAT_LOAD(fault_zero_fill);
	out->fault_cow = VM_STAT_LOAD(fault_cow);
	out->fault_needs_copy = VM_STAT_LOAD(fault_needs_copy);
	out->fault_stack_grow = VM_STAT_LOAD(fault_stack_grow);
	out->fault_swapin = VM_STAT_LOAD(fault_swapin);
	out->fault_around = VM_STAT_LOAD(fault_around);
	out->fault_errors = VM_STAT_LOAD(fault_errors);
	out->fault_nomem = VM_STAT_LOAD(fault_nomem);
	out->amaps = amap_count();
	out->anons = anon_count();
	out->shared_anons = anon_shared_count();
	out->objects = vm_object_count();
	out->object_pages = vm_object_resident_pages();
	out->pageins = vm_object_pageins();
}

int vm_stats_display(struct sbuf *sb)
{
	struct vm_stats st;

	vm_stats_get(&st);
	const struct {
		const char *name;
		uint64_t value;
	} line[] = {
		{ "pgfault", st.faults },
		{ "pgfault_upper", st.fault_upper },
		{ "pgfault_lower", st.fault_lower },
		{ "pgfault_zero", st.fault_zero_fill },
		{ "pgfault_cow", st.fault_cow },
		{ "pgfault_needs_copy", st.fault_needs_copy },
		{ "pgpagein", st.pageins },
		{ "pgfault_stack", st.fault_stack_grow },
		{ "pgfault_swapin", st.fault_swapin },
		{ "pgfault_around", st.fault_around },
		{ "pgfault_error", st.fault_errors },
		{ "pgfault_nomem", st.fault_nomem },
		{ "nr_amaps", st.amaps },
		{ "nr_anon_pages", st.anons },
		{ "nr_shared_anon_pages", st.shared_anons },
		{ "nr_vm_objects", st.objects },
		{ "nr_object_pages", st.object_pages },
	};

	for (size_t i = 0; i < ARRAY_SIZE(line); i++)
		sbuf_printf(sb, "%s %lu\n", line[i].name,
			    (unsigned long)line[i].value);
	return sbuf_error(sb);
}

int vm_stats_display_meminfo(struct sbuf *sb)
{
	struct vm_stats st;

	vm_stats_get(&st);
	const struct {
		const char *name;
		uint64_t value;
		bool pages;             /* shown in kB */
	} line[] = {
		{ "AnonPages:", anon_resident_count(), true },
		{ "CowShared:", st.shared_anons, true },
		{ "Cached:", st.object_pages, true },
		{ "ZeroFillFaults:", st.fault_zero_fill, false },
		{ "CowFaults:", st.fault_cow, false },
		{ "PageIns:", st.pageins, false },
		{ "SharedPages:", st.shared_anons, false },
		{ "VmObjects:", st.objects, false },
		{ "Amaps:", st.amaps, false },
		{ "Anons:", st.anons, false },
		/* Paging moves pages between these and FreePages, and slots
		 * between SwapFreePages and SwapOwnedPages: the leak check's
		 * sums (docs/testing.md). */
		{ "AnonResidentPages:", anon_resident_count(), false },
		{ "ObjectPages:", st.object_pages, false },
		{ "SwapOwnedPages:", anon_swapped_count() + aobj_swapped_count(), false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(line); i++) {
		if (line[i].pages)
			sbuf_printf(sb, "%-16s%8lu kB\n", line[i].name,
				    (unsigned long)(line[i].value * KB_PER_PAGE));
		else
			sbuf_printf(sb, "%-16s%8lu\n", line[i].name,
				    (unsigned long)line[i].value);
	}
	return sbuf_error(sb);
}
