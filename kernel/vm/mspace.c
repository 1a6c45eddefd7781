/*
 * Address spaces: creating, forking (copy-on-write) and destroying mspaces,
 * mapping anonymous memory and memory objects, unmapping and protecting
 * ranges (splitting VMAs), moving and resizing them (mremap), msync, brk,
 * the stack, and /proc/<pid>/maps and smaps. Called by exec, fork, exit, the memory system calls and procfs;
 * reaches page tables only through pmap.h, objects through object.h and
 * pages through fault.c.
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/lock.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "kernel/lib/sbuf.h"
#include "kernel/vm/vm.h"
#include "kernel/vm/page.h"
#include "kernel/vm/pmap.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/amap.h"
#include "kernel/vm/anon.h"
#include "kernel/vm/object.h"
#include "kernel/vm/fault.h"
#include "kernel/vm/vma.h"
#include "kernel/vm/mspace.h"
#include "kernel/vm/aobj.h"
#include "kernel/vm/commit.h"
#include "kernel/lib/bootargs.h"

/* Column where /proc/<pid>/maps puts the name, as Linux does on 64-bit:
 * the header is padded to 25 + 6 * sizeof(void *) - 1 bytes, then a space. */
#define MAPS_NAME_PAD   ((int)(25 + 6 * sizeof(void *) - 1))
#define KB_PER_PAGE     (PAGE_SIZE / 1024)
/* dev_t is DEV_ID(kind, unit): kind << 8 | unit, shown as major:minor. */
#define MAPS_DEV_SHIFT  8
#define MAPS_DEV_MINOR  0xffUL

static struct kmem_cache *mspace_cache;
static struct kmem_cache *vma_cache;

/* The caches are made by the first mspace_create that gets to; no fault
 * or amap can come before the first mspace. A failed attempt leaves the
 * state NONE, so the next caller (or one that waited) tries again. */
enum { CACHES_NONE, CACHES_MAKING, CACHES_READY };
static int mspace_caches_state;         /* atomic */

/* Make whichever caches are missing. 0 or -ENOMEM (some may be left
 * made; a retry makes the rest). => this caller set CACHES_MAKING. */
static int mspace_caches_make(void)
{
	int err = 0;

	if (mspace_cache == NULL)
		mspace_cache = kmem_cache_create("mspace", sizeof(struct mspace), 0);
	if (vma_cache == NULL)
		vma_cache = kmem_cache_create("vma", sizeof(struct vma), 0);
	if (mspace_cache == NULL || vma_cache == NULL || amap_init() != 0 ||
	    anon_init() != 0)
		err = -ENOMEM;
	__atomic_store_n(&mspace_caches_state, err ? CACHES_NONE : CACHES_READY,
			 __ATOMIC_RELEASE);
	return err;
}

/* Returns 0 once the caches exist, or -ENOMEM if this caller's attempt to
 * make them failed. A caller that finds another making them spins (the
 * maker only allocates) and then looks again. */
static int mspace_caches_init(void)
{
	int state;

	for (;;) {
		state = __atomic_load_n(&mspace_caches_state, __ATOMIC_ACQUIRE);
		if (state == CACHES_READY)
			return 0;
		if (state == CACHES_NONE &&
		    __atomic_compare_exchange_n(&mspace_caches_state, &state,
						CACHES_MAKING, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return mspace_caches_make();
	}
}

/* ------------------------------------------------------------ names */

struct vma_file *vma_file_create(dev_t dev, ino_t ino, const char *path)
{
	size_t len = path ? strlen(path) : 0;
	struct vma_file *f = kmalloc(sizeof(*f) + len + 1);

	if (f == NULL)
		return NULL;
	f->refcnt = 1;
	f->dev = dev;
	f->ino = ino;
	f->release = NULL;
	f->release_arg = NULL;
	memcpy(f->path, path ? path : "", len + 1);
	return f;
}

static void vma_file_ref(struct vma_file *f)
{
	__atomic_fetch_add(&f->refcnt, 1, __ATOMIC_RELAXED);
}

void vma_file_unref(struct vma_file *f)
{
	if (__atomic_sub_fetch(&f->refcnt, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (f->release != NULL)
		f->release(f->release_arg);
	kfree(f);
}

/* ------------------------------------------------------------ VMAs */

/* Take the references a VMA holds on its layers and name (a new VMA, or a
 * copy of one: split, fork). The amap is the caller's business. */
static void vma_hold(struct vma *v)
{
	if (v->obj != NULL)
		vm_object_ref(v->obj);
	if (v->file != NULL)
		vma_file_ref(v->file);
}

/*
 * A new VMA [start, end) with no tree links yet, over obj from byte off
 * (NULL: anonymous). A shared VMA without an object gets a new anonymous
 * object (no pager), so fork can share it. NULL on -ENOMEM.
 */
static struct vma *vma_new(vaddr_t start, vaddr_t end, vm_prot_t prot,
			   vm_prot_t maxprot, uint32_t flags,
			   struct vm_object *obj, uint64_t off,
			   struct vma_file *file)
{
	struct vma *v = kmem_cache_zalloc_user(vma_cache);

	if (v == NULL)
		return NULL;
	v->start = start;
	v->end = end;
	v->prot = prot;
	v->maxprot = maxprot;
	v->flags = flags;
	v->obj = obj;
	v->obj_off = obj ? off : 0;
	v->file = file;
	vma_hold(v);
	if ((flags & VMA_SHARED) && obj == NULL) {
		v->obj = aobj_create(end - start);
		if (v->obj == NULL) {
			if (file != NULL)
				vma_file_unref(file);
			kmem_cache_free(vma_cache, v);
			return NULL;
		}
	}
	if (v->obj == NULL)
		v->flags |= VMA_ANON;
	return v;
}

/* Free a VMA that is in no tree, dropping its amap, object and name. */
static void vma_free(struct vma *v)
{
	if (v->amap != NULL)
		amap_unref(v->amap);
	if (v->obj != NULL)
		vm_object_unref(v->obj);
	if (v->file != NULL)
		vma_file_unref(v->file);
	kmem_cache_free(vma_cache, v);
}

/* Write the dirty pages of a shared file mapping back (msync, munmap,
 * exit). Returns 0 or -EIO. => ms->lock held; may sleep. */
static int vma_sync(struct vma *v, vaddr_t start, vaddr_t end)
{
	if (!(v->flags & VMA_SHARED) || v->obj == NULL ||
	    v->obj->pager == NULL)
		return 0;
	return vm_object_sync(v->obj, v->obj_off + (start - v->start),
			      end - start);
}

/* Add or take away v's pages in ms's counters (sign +1 or -1). */
static void mspace_count(struct mspace *ms, const struct vma *v, int sign)
{
	uint64_t n = vma_pages(v) * (uint64_t)sign;
	int64_t c = (int64_t)mspace_vma_commit(v) * sign;

	ms->commit_pages += (uint64_t)c;
	vm_commit_add(c);
	ms->virt_pages += n;
	if (ms->virt_pages > ms->virt_peak)
		ms->virt_peak = ms->virt_pages;
	if (v->flags & VMA_SHARED)
		ms->shared_pages += n;
	else
		ms->private_pages += n;
}

/* Whether ms may get one more VMA (vm.max_map_count). => ms->lock held. */
static bool mspace_room_for_vma(struct mspace *ms)
{
	return ms->vmas.count <
	       (size_t)__atomic_load_n(&vm_max_map_count, __ATOMIC_RELAXED);
}

/* Insert v into ms's tree. => ms->lock held. 0, -EEXIST, -EINVAL, or
 * -ENOMEM (ms has vm.max_map_count VMAs). */
static int mspace_link(struct mspace *ms, struct vma *v)
{
	int err;

	if (!mspace_room_for_vma(ms))
		return -ENOMEM;
	err = vma_tree_insert(&ms->vmas, v);

	if (err == 0)
		mspace_count(ms, v, 1);
	return err;
}

/* Raise resident_peak to the pages now in the pmap; called before pages
 * leave it. => ms->lock held (or the last reference). */
static void mspace_note_resident(struct mspace *ms)
{
	uint64_t r = pmap_resident_count(ms->pmap);

	if (r > ms->resident_peak)
		ms->resident_peak = r;
}

/* Take v, whose pages are unmapped and flushed from every TLB, out of ms:
 * write a shared file mapping's dirty pages back, remove it from the tree,
 * free it (and with it the pages only it held). => ms->lock held. */
static void mspace_forget_vma(struct mspace *ms, struct vma *v)
{
	vma_sync(v, v->start, v->end);  /* an I/O error loses the stores */
	vma_tree_remove(&ms->vmas, v);
	mspace_count(ms, v, -1);
	vma_free(v);
}

/* Take v out of ms: unmap its pages (one shootdown), then as
 * mspace_forget_vma. => ms->lock held. */
static void mspace_drop_vma(struct mspace *ms, struct vma *v)
{
	mspace_note_resident(ms);
	pmap_remove(ms->pmap, v->start, v->end);
	mspace_forget_vma(ms, v);
}

/* Unmap every VMA of ms that meets [start, end) (whole VMAs: the caller
 * split the edges) with one TLB shootdown for all, then forget them: no
 * page is freed before every hart has dropped its old PTEs.
 * => ms->lock held. */
static void mspace_drop_range(struct mspace *ms, vaddr_t start, vaddr_t end)
{
	struct pmap_tlb_batch b;
	struct vma *v, *next;

	mspace_note_resident(ms);
	pmap_tlb_batch_init(&b, ms->pmap);
	for (v = vma_tree_find_from(&ms->vmas, start); v && v->start < end;
	     v = vma_tree_next(v))
		pmap_remove_batch(&b, v->start, v->end);
	pmap_tlb_batch_flush(&b);
	for (v = vma_tree_find_from(&ms->vmas, start); v && v->start < end;
	     v = next) {
		next = vma_tree_next(v);
		mspace_forget_vma(ms, v);
	}
}

void mspace_vma_resize(struct mspace *ms, struct vma *v, vaddr_t start,
		       vaddr_t end)
{
	mspace_count(ms, v, -1);
	vma_tree_resize(&ms->vmas, v, start, end);
	mspace_count(ms, v, 1);
}

int mspace_vma_amap_slow(struct mspace *ms, struct vma *v)
{
	vaddr_t lo = v->start;

	if (v->amap != NULL)
		return amap_extend(v->amap, v->amap_off + vma_pages(v));
	/* A stack gets slots down to its limit, so growing down only lowers
	 * amap_off. */
	if ((v->flags & VMA_STACK) && ms->stack_limit != 0 &&
	    ms->stack_limit < v->start)
		lo = ms->stack_limit;
	v->amap = amap_create((v->end - lo) >> PAGE_SHIFT);
	if (v->amap == NULL)
		return -ENOMEM;
	v->amap_off = (v->start - lo) >> PAGE_SHIFT;
	return 0;
}

/* The upper layer of a split at page `lower` of v: give nv (a copy of v
 * that will hold the upper half) its amap. A shared (needs-copy) amap is
 * copied first, so each half owns its slots and an unmap of one half drops
 * exactly its pages. A stack's upper half keeps the slot numbers of the
 * whole (empty slots below it, down to the stack limit), so it can grow
 * down into a hole left between the halves. 0 or -ENOMEM (v's contents
 * unchanged).
 * => ms->lock held. */
static int vma_split_amap(struct mspace *ms, struct vma *v, struct vma *nv,
			  size_t lower)
{
	size_t at;
	int err;

	if (amap_refs(v->amap) > 1) {
		err = vm_fault_needs_copy(ms, v);
		if (err)
			return err;
	}
	at = v->amap_off + lower;
	nv->amap_off = (v->flags & VMA_STACK) ? at : 0;
	if (at >= v->amap->nslots) {
		/* The amap does not reach the upper half yet: no pages there;
		 * its first fault makes an amap (mspace_vma_amap). */
		nv->amap = NULL;
		nv->amap_off = 0;
		return 0;
	}
	return amap_split(v->amap, at, nv->amap_off, &nv->amap);
}

/*
 * VMA split: cut v at va (page aligned, strictly inside v) into v = [start,
 * va) and a new VMA [va, end) with the same protection and flags, inserted
 * into the tree. The upper layer follows: the amap is split so each half
 * owns its pages. The lower layer is shared, its offset moved by
 * va - start.
 * => ms->lock held. Returns 0, or -ENOMEM (out of memory, or ms has
 * vm.max_map_count VMAs; v unchanged).
 */
static int vma_split(struct mspace *ms, struct vma *v, vaddr_t va)
{
	/* LAB vma: begin */
	size_t lower = (va - v->start) >> PAGE_SHIFT;
	struct vma *nv;
	int err;

	KASSERT(v->start < va && va < v->end && PAGE_ALIGNED(va),
		"split of %lx-%lx at %lx", (unsigned long)v->start,
		(unsigned long)v->end, (unsigned long)va);
	if (!mspace_room_for_vma(ms))
		return -ENOMEM;
	nv = kmem_cache_alloc_user(vma_cache);
	if (nv == NULL)
		return -ENOMEM;
	*nv = *v;
	nv->start = va;
	nv->obj_off = v->obj_off + (va - v->start);
	if (v->amap != NULL && (err = vma_split_amap(ms, v, nv, lower)) != 0) {
		kmem_cache_free(vma_cache, nv);
		return err;
	}
	nv->flags = v->flags;           /* needs-copy may be resolved now */
	vma_hold(nv);
	vma_tree_resize(&ms->vmas, v, v->start, va);
	err = vma_tree_insert(&ms->vmas, nv);
	KASSERT(err == 0, "split half does not fit: %d", err);
	return 0;
	/* LAB vma: end */
	/* LAB vma: stub
	(void)ms;
	(void)v;
	(void)va;
	(void)vma_split_amap;
	return -ENOSYS;
	*/
}

/* Split the VMAs that straddle start or end, so that every VMA meeting
 * [start, end) lies inside it. => ms->lock held. 0 or -ENOMEM. */
static int mspace_split_edges(struct mspace *ms, vaddr_t start, vaddr_t end)
{
	struct vma *v = vma_tree_lookup(&ms->vmas, start);
	int err;

	if (v != NULL && v->start < start) {
		err = vma_split(ms, v, start);
		if (err)
			return err;
	}
	v = vma_tree_lookup(&ms->vmas, end - 1);
	if (v != NULL && v->end > end)
		return vma_split(ms, v, end);
	return 0;
}

/* Unmap [start, end). => ms->lock held. 0 or -ENOMEM (nothing unmapped). */
static int _mspace_unmap(struct mspace *ms, vaddr_t start, vaddr_t end)
{
	int err = mspace_split_edges(ms, start, end);

	if (err)
		return err;
	mspace_drop_range(ms, start, end);
	return 0;
}

/* ------------------------------------------------------------ lifetime */

struct mspace *mspace_create(void)
{
	struct mspace *ms;

	if (mspace_caches_init() != 0)
		return NULL;
	ms = kmem_cache_zalloc_user(mspace_cache);
	if (ms == NULL)
		return NULL;
	ms->pmap = pmap_create();
	if (ms->pmap == NULL) {
		kmem_cache_free(mspace_cache, ms);
		return NULL;
	}
	mutex_init(&ms->lock, "mspace");
	ms->refcnt = 1;
	ms->min = USER_MIN;
	ms->max = USER_MAX;
	vma_tree_init(&ms->vmas, ms->min, ms->max);
	return ms;
}

void mspace_ref(struct mspace *ms)
{
	__atomic_fetch_add(&ms->refcnt, 1, __ATOMIC_RELAXED);
}

void mspace_destroy(struct mspace *ms)
{
	struct vma *v;

	if (__atomic_sub_fetch(&ms->refcnt, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	mspace_drop_range(ms, ms->min, ms->max);
	v = vma_tree_first(&ms->vmas);
	KASSERT(v == NULL, "mspace_destroy: VMA %lx-%lx left", v->start, v->end);
	pmap_destroy(ms->pmap);
	kmem_cache_free(mspace_cache, ms);
}

/* Share v's amap with the child's copy nv, copy-on-write: both become
 * needs-copy, and the parent's PTEs lose write permission so its next
 * write faults too; the shootdown is gathered in b, which mspace_fork
 * flushes once before the child can run. => the parent's lock held.
 * Returns 0, or -ENOSYS (the cow lab's skeleton: the caller then copies
 * every page now, amap_copy_eager). */
static int vma_fork_cow(struct pmap_tlb_batch *b, struct vma *v,
			struct vma *nv)
{
/* LAB cow: begin */
	amap_ref(v->amap);
	v->flags |= VMA_NEEDS_COPY;
	nv->flags |= VMA_NEEDS_COPY;
	if (v->prot & VM_PROT_WRITE)
		pmap_protect_batch(b, v->start, v->end,
				   mspace_pmap_prot(v->prot) & ~VM_PROT_WRITE);
	return 0;
/* LAB cow: end */
/* LAB cow: stub
	// lab cow: not implemented; fork copies every page instead
	(void)b; (void)v; (void)nv;
	return -ENOSYS;
*/
}

/* A copy of parent VMA v for a child mspace: the same range, flags, object
 * and name; private anonymous pages shared copy-on-write (cow, the
 * parent's write-protect gathered in b) or copied now. NULL on -ENOMEM.
 * => the parent's lock held. */
static struct vma *vma_fork(struct pmap_tlb_batch *b, struct vma *v, bool cow)
{
	struct vma *nv = kmem_cache_alloc_user(vma_cache);
	size_t pad;

	if (nv == NULL)
		return NULL;
	*nv = *v;
	if (v->amap != NULL) {
		KASSERT(v->flags & VMA_PRIVATE, "shared VMA with an amap");
		if (!cow || vma_fork_cow(b, v, nv) != 0) {
			/* A stack keeps its room to grow below amap_off. */
			pad = (v->flags & VMA_STACK) ? v->amap_off : 0;
			if (amap_copy_eager(v->amap, v->amap_off, vma_pages(v),
					    pad, &nv->amap) != 0) {
				kmem_cache_free(vma_cache, nv);
				return NULL;
			}
			nv->amap_off = pad;
			nv->flags &= ~VMA_NEEDS_COPY;
		}
	}
	vma_hold(nv);
	return nv;
}

int mspace_fork(struct mspace *parent, struct mspace **childp)
{
	struct mspace *child = mspace_create();
	bool cow = bootarg_bool("cow", true);
	struct pmap_tlb_batch b;
	struct vma *v, *nv;
	int err = 0;

	if (child == NULL)
		return -ENOMEM;
	mutex_lock(&parent->lock);
	pmap_tlb_batch_init(&b, parent->pmap);
	for (v = vma_tree_first(&parent->vmas); v; v = vma_tree_next(v)) {
		/* Linux's dup_mmap: each private writable VMA is charged. */
		err = vm_commit_charge(mspace_vma_commit(v));
		if (err)
			break;
		nv = vma_fork(&b, v, cow);
		if (nv != NULL) {
			/* Not mspace_link: the child may have as many VMAs as
			 * its parent, even if max_map_count was lowered. */
			err = vma_tree_insert(&child->vmas, nv);
			KASSERT(err == 0, "fork: VMA copy does not fit: %d", err);
			mspace_count(child, nv, 1);
		}
		vm_commit_add(-(int64_t)mspace_vma_commit(v));
		if (nv == NULL) {
			err = -ENOMEM;
			break;
		}
	}
	child->brk_start = parent->brk_start;
	child->brk = parent->brk;
	child->stack_top = parent->stack_top;
	child->stack_limit = parent->stack_limit;
	pmap_tlb_batch_flush(&b);       /* one shootdown for every VMA */
	mutex_unlock(&parent->lock);
	if (err) {
		mspace_destroy(child);
		return err;
	}
	*childp = child;
	return 0;
}

/* ------------------------------------------------------------ mapping */

/* Where a mapping of len bytes goes: *va for MSPACE_FIXED (after freeing
 * the range), else the hint *va if free, else the highest free range below
 * the stack area. => ms->lock held. 0, -ENOMEM or -EEXIST. */
static int mspace_place(struct mspace *ms, vaddr_t *va, size_t len, int flags)
{
	vaddr_t hint = PAGE_ROUNDDOWN(*va);

	if (flags & MSPACE_FIXED) {
		if (*va < ms->min || *va > ms->max || len > ms->max - *va)
			return -ENOMEM;
		if (vma_tree_range_free(&ms->vmas, *va, *va + len))
			return 0;
		if (flags & MSPACE_NOREPLACE)
			return -EEXIST;
		return _mspace_unmap(ms, *va, *va + len);
	}
	if (hint >= ms->min && hint < MSPACE_MMAP_TOP &&
	    len <= MSPACE_MMAP_TOP - hint &&
	    vma_tree_range_free(&ms->vmas, hint, hint + len)) {
		*va = hint;
		return 0;
	}
	return vma_tree_find_gap(&ms->vmas, len, ms->min, MSPACE_MMAP_TOP, va);
}

/* Checks of mspace_map's arguments that need no lock. */
static int mspace_map_args(size_t len, vm_prot_t prot, vm_prot_t maxprot,
			   uint32_t vma_flags, int flags, vaddr_t va)
{
	uint32_t kind = vma_flags & (VMA_PRIVATE | VMA_SHARED);

	if (len == 0 || !PAGE_ALIGNED(len))
		return -EINVAL;
	if (kind != VMA_PRIVATE && kind != VMA_SHARED)
		return -EINVAL;
	if ((flags & MSPACE_FIXED) && !PAGE_ALIGNED(va))
		return -EINVAL;
	if ((prot | maxprot) & ~VM_PROT_ALL)
		return -EINVAL;
	if (prot & ~maxprot)
		return -EACCES;
	return 0;
}

int mspace_map_file(struct mspace *ms, vaddr_t *va, size_t len, vm_prot_t prot,
		    vm_prot_t maxprot, uint32_t vma_flags, int flags,
		    struct vm_object *obj, uint64_t off, struct vma_file *file)
{
	struct vma *v;
	vaddr_t at = *va;
	size_t charge;
	int err;

	err = mspace_map_args(len, prot, maxprot, vma_flags, flags, at);
	if (err)
		return err;
	if (obj != NULL && (!PAGE_ALIGNED(off) || off + len < off))
		return -EINVAL;
	charge = ((vma_flags & VMA_PRIVATE) && (prot & VM_PROT_WRITE)) ?
		 len >> PAGE_SHIFT : 0;
	err = vm_commit_charge(charge);
	if (err)
		return err;
	mutex_lock(&ms->lock);
	err = mspace_place(ms, &at, len, flags);
	if (err)
		goto out;
	v = vma_new(at, at + len, prot, maxprot,
		    vma_flags & (VMA_PRIVATE | VMA_SHARED | VMA_STACK | VMA_HEAP),
		    obj, off, file);
	if (v == NULL) {
		err = -ENOMEM;
		goto out;
	}
	err = mspace_link(ms, v);
	if (err) {
		KASSERT(err == -ENOMEM, "placed VMA does not fit: %d", err);
		vma_free(v);
		goto out;
	}
	*va = at;
out:
	mutex_unlock(&ms->lock);
	vm_commit_add(-(int64_t)charge);        /* the VMA counts itself */
	return err;
}

int mspace_map(struct mspace *ms, vaddr_t *va, size_t len, vm_prot_t prot,
	       vm_prot_t maxprot, uint32_t vma_flags, int flags,
	       struct vm_object *obj, uint64_t off)
{
	return mspace_map_file(ms, va, len, prot, maxprot, vma_flags, flags,
			       obj, off, NULL);
}

/* [va, va + len) is page aligned and inside ms's bounds. */
static bool mspace_range_ok(struct mspace *ms, vaddr_t va, size_t len)
{
	return PAGE_ALIGNED(va) && PAGE_ALIGNED(len) && va >= ms->min &&
	       va <= ms->max && len <= ms->max - va;
}

int mspace_unmap(struct mspace *ms, vaddr_t va, size_t len)
{
	int err;

	if (!mspace_range_ok(ms, va, len))
		return -EINVAL;
	if (len == 0)
		return 0;
	mutex_lock(&ms->lock);
	err = _mspace_unmap(ms, va, va + len);
	mutex_unlock(&ms->lock);
	return err;
}

/* ------------------------------------------------------------ mremap */

/* Whether v may grow (mremap): private anonymous memory other than the
 * heap and the stack, whose amap (if any) holds no slot past v's end, so
 * the pages it grows over start empty. => ms->lock held. */
static bool vma_can_grow(const struct vma *v)
{
	if ((v->flags & (VMA_ANON | VMA_PRIVATE | VMA_STACK | VMA_HEAP |
			 VMA_GUARD)) != (VMA_ANON | VMA_PRIVATE))
		return false;
	return v->amap == NULL ||
	       v->amap->nslots <= v->amap_off + vma_pages(v);
}

/* Move v to start at `to` without copying a page: its PTEs go
 * (pmap_remove, with the shootdown) and its range changes; the amap slots
 * (relative to start) and the object offset follow, so the next fault at
 * the new address finds the same pages. Counters are unchanged.
 * => ms->lock held; [to, to + size of v) is free. */
static void vma_move(struct mspace *ms, struct vma *v, vaddr_t to)
{
	vaddr_t len = v->end - v->start;
	int err;

	mspace_note_resident(ms);
	pmap_remove(ms->pmap, v->start, v->end);
	vma_tree_remove(&ms->vmas, v);
	v->start = to;
	v->end = to + len;
	err = vma_tree_insert(&ms->vmas, v);
	KASSERT(err == 0, "moved VMA does not fit: %d", err);
}

/* Absorb the VMA right after v if it is an untouched twin (private
 * anonymous, no amap, same protection and flags), as malloc's mmap of
 * the new size followed by the move of the old pages into its start
 * leaves it: the block stays one VMA and can be moved again.
 * => ms->lock held. */
static void vma_merge_next(struct mspace *ms, struct vma *v)
{
	struct vma *n = vma_tree_next(v);
	vaddr_t end;

	if (n == NULL || n->start != v->end || !vma_can_grow(v) ||
	    !vma_can_grow(n) || n->amap != NULL || n->file != NULL ||
	    v->file != NULL || n->flags != v->flags || n->prot != v->prot ||
	    n->maxprot != v->maxprot)
		return;
	if (v->amap != NULL && amap_refs(v->amap) > 1)
		return;
	end = n->end;
	mspace_drop_vma(ms, n);
	mspace_vma_resize(ms, v, v->start, end);
}

/* Move [old, old + old_len), a part of one VMA, to [to, to + new_len):
 * the tail past new_len is unmapped (shrink), whatever is mapped at the
 * target is unmapped, then the pages move and the VMA grows to new_len
 * (the caller checked it may and charged the growth).
 * => ms->lock held; the ranges do not overlap. 0 or -ENOMEM (no memory
 * or VMA to split; the old pages stay where they were). */
static int mspace_remap_move(struct mspace *ms, vaddr_t old, size_t old_len,
			     size_t new_len, vaddr_t to)
{
	size_t keep = MIN(old_len, new_len);
	struct vma *v;
	int err;

	err = mspace_split_edges(ms, old, old + keep);
	if (err == 0 && new_len < old_len)
		err = _mspace_unmap(ms, old + new_len, old + old_len);
	if (err == 0)
		err = _mspace_unmap(ms, to, to + new_len);
	if (err)
		return err;
	v = vma_tree_lookup(&ms->vmas, old);
	KASSERT(v != NULL && v->start == old && v->end == old + keep,
		"remap: old range is not one VMA after the split");
	vma_move(ms, v, to);
	if (new_len > keep)
		mspace_vma_resize(ms, v, to, to + new_len);
	vma_merge_next(ms, v);
	return 0;
}

/* Grow v, which holds [old, old + old_len), to new_len bytes: in place if
 * it ends there and the pages after it are free below MSPACE_MMAP_TOP,
 * else (may_move) at the highest free range below MSPACE_MMAP_TOP.
 * => ms->lock held; the growth is charged. 0 and *to, or -ENOMEM. */
static int mspace_remap_grow(struct mspace *ms, struct vma *v, vaddr_t old,
			     size_t old_len, size_t new_len, bool may_move,
			     vaddr_t *to)
{
	vaddr_t end = old + old_len;
	int err;

	if (v->end == end && old < MSPACE_MMAP_TOP &&
	    new_len <= MSPACE_MMAP_TOP - old &&
	    vma_tree_range_free(&ms->vmas, end, old + new_len)) {
		mspace_vma_resize(ms, v, v->start, old + new_len);
		*to = old;
		return 0;
	}
	if (!may_move)
		return -ENOMEM;
	err = vma_tree_find_gap(&ms->vmas, new_len, ms->min, MSPACE_MMAP_TOP,
				to);
	if (err)
		return err;
	return mspace_remap_move(ms, old, old_len, new_len, *to);
}

/* Checks of mspace_remap's arguments that need no lock: 0 or -EINVAL. */
static int mspace_remap_args(struct mspace *ms, vaddr_t old, size_t old_len,
			     size_t new_len, int flags, vaddr_t to)
{
	if (!PAGE_ALIGNED(old) || !PAGE_ALIGNED(old_len) ||
	    !PAGE_ALIGNED(new_len) || old_len == 0 || new_len == 0 ||
	    (flags & ~(MSPACE_REMAP_MAYMOVE | MSPACE_REMAP_FIXED)))
		return -EINVAL;
	if (!(flags & MSPACE_REMAP_FIXED))
		return 0;
	if (!(flags & MSPACE_REMAP_MAYMOVE) || !mspace_range_ok(ms, to, new_len))
		return -EINVAL;
	if (old < to + new_len && to < old + old_len)
		return -EINVAL;         /* overlapping, as Linux */
	return 0;
}

int mspace_remap(struct mspace *ms, vaddr_t old, size_t old_len,
		 size_t new_len, int flags, vaddr_t *new_va)
{
	vaddr_t to = *new_va;
	size_t charge = 0;
	struct vma *v;
	int err;

	err = mspace_remap_args(ms, old, old_len, new_len, flags, to);
	if (err)
		return err;
	if (!mspace_range_ok(ms, old, old_len))
		return -EFAULT;
	mutex_lock(&ms->lock);
	v = vma_tree_lookup(&ms->vmas, old);
	if (v == NULL || old_len > v->end - old ||
	    (new_len > old_len && !vma_can_grow(v)) ||
	    ((flags & MSPACE_REMAP_FIXED) && (v->flags & VMA_STACK))) {
		err = -EFAULT;
		goto out;
	}
	if (new_len > old_len && mspace_vma_commit(v) != 0) {
		charge = (new_len - old_len) >> PAGE_SHIFT;
		err = vm_commit_charge(charge);
		if (err) {
			charge = 0;
			goto out;
		}
	}
	if (flags & MSPACE_REMAP_FIXED) {
		err = mspace_remap_move(ms, old, old_len, new_len, to);
	} else if (new_len > old_len) {
		err = mspace_remap_grow(ms, v, old, old_len, new_len,
					flags & MSPACE_REMAP_MAYMOVE, &to);
	} else {
		to = old;
		if (new_len < old_len)
			err = _mspace_unmap(ms, old + new_len, old + old_len);
	}
	if (err == 0)
		*new_va = to;
out:
	mutex_unlock(&ms->lock);
	vm_commit_add(-(int64_t)charge);        /* the VMA counts itself */
	return err;
}

/* Every page of [start, end) is mapped by VMAs whose maxprot allows prot.
 * => ms->lock held. 0, -ENOMEM (a hole) or -EACCES. */
static int mspace_range_allows(struct mspace *ms, vaddr_t start, vaddr_t end,
			       vm_prot_t prot)
{
	struct vma *v = vma_tree_find_from(&ms->vmas, start);
	vaddr_t at = start;

	for (; at < end; v = vma_tree_next(v)) {
		if (v == NULL || v->start > at)
			return -ENOMEM;
		if (prot & ~v->maxprot)
			return -EACCES;
		at = v->end;
	}
	return 0;
}

/* Set v's protection; pages already mapped lose the rights taken away
 * (rights added are granted by the next fault), the shootdown gathered in
 * b for the caller to flush. => ms->lock held. */
static void vma_set_prot(struct mspace *ms, struct pmap_tlb_batch *b,
			 struct vma *v, vm_prot_t prot)
{
	vm_prot_t old = mspace_pmap_prot(v->prot), now = mspace_pmap_prot(prot);

	mspace_count(ms, v, -1);        /* writability moves the commit */
	v->prot = prot;
	mspace_count(ms, v, 1);
	if ((old & ~now) == 0)
		return;
	if (now == VM_PROT_NONE) {
		mspace_note_resident(ms);
		pmap_remove_batch(b, v->start, v->end);
	} else {
		pmap_protect_batch(b, v->start, v->end, now);
	}
}

/* The private pages of [start, end) that are not writable now: what
 * giving them write adds to the commit. => ms->lock held. */
static size_t mspace_range_uncommitted(struct mspace *ms, vaddr_t start,
				       vaddr_t end)
{
	struct vma *v;
	size_t n = 0;

	for (v = vma_tree_find_from(&ms->vmas, start); v && v->start < end;
	     v = vma_tree_next(v))
		if ((v->flags & VMA_PRIVATE) && !(v->prot & VM_PROT_WRITE))
			n += (MIN(v->end, end) - MAX(v->start, start)) >> PAGE_SHIFT;
	return n;
}

int mspace_protect(struct mspace *ms, vaddr_t va, size_t len, vm_prot_t prot)
{
	struct pmap_tlb_batch b;
	struct vma *v;
	size_t charge = 0;
	int err;

	if (!mspace_range_ok(ms, va, len) || (prot & ~VM_PROT_ALL))
		return -EINVAL;
	if (len == 0)
		return 0;
	mutex_lock(&ms->lock);
	err = mspace_range_allows(ms, va, va + len, prot);
	if (err == 0 && (prot & VM_PROT_WRITE)) {
		charge = mspace_range_uncommitted(ms, va, va + len);
		err = vm_commit_charge(charge);
		if (err)
			charge = 0;
	}
	if (err == 0)
		err = mspace_split_edges(ms, va, va + len);
	if (err == 0) {
		pmap_tlb_batch_init(&b, ms->pmap);
		for (v = vma_tree_lookup(&ms->vmas, va); v && v->start < va + len;
		     v = vma_tree_next(v))
			vma_set_prot(ms, &b, v, prot);
		pmap_tlb_batch_flush(&b);       /* one shootdown for the range */
	}
	mutex_unlock(&ms->lock);
	vm_commit_add(-(int64_t)charge);        /* the VMAs count themselves */
	return err;
}

/* MADV_DONTNEED on [s, e), a part of v: unmap it and drop the private
 * anonymous pages (a needs-copy amap is copied first, so only this
 * mapping loses them). => ms->lock held. 0 or -ENOMEM. */
static int vma_dontneed(struct mspace *ms, struct vma *v, vaddr_t s, vaddr_t e)
{
	int err;

	mspace_note_resident(ms);
	pmap_remove(ms->pmap, s, e);
	if (!(v->flags & VMA_PRIVATE) || v->amap == NULL)
		return 0;
	if (amap_refs(v->amap) > 1) {
		err = vm_fault_needs_copy(ms, v);
		if (err)
			return err;
	}
	amap_free_range(v->amap, mspace_vma_slot(v, s), (e - s) >> PAGE_SHIFT);
	return 0;
}

int mspace_dontneed(struct mspace *ms, vaddr_t va, size_t len)
{
	vaddr_t end = va + len, at = va, s, e;
	struct vma *v;
	int err = 0;

	if (!mspace_range_ok(ms, va, len))
		return -EINVAL;
	mutex_lock(&ms->lock);
	for (v = vma_tree_find_from(&ms->vmas, va); v && v->start < end;
	     v = vma_tree_next(v)) {
		if (v->start > at)
			err = -ENOMEM;
		s = MAX(v->start, va);
		e = MIN(v->end, end);
		at = e;
		if (vma_dontneed(ms, v, s, e) != 0)
			err = -ENOMEM;
	}
	if (at < end)
		err = -ENOMEM;
	mutex_unlock(&ms->lock);
	return err;
}

int mspace_sync(struct mspace *ms, vaddr_t va, size_t len)
{
	vaddr_t end = va + len, at = va;
	struct vma *v;
	int err = 0, ioerr;

	if (!mspace_range_ok(ms, va, len))
		return -EINVAL;
	mutex_lock(&ms->lock);
	for (v = vma_tree_find_from(&ms->vmas, va); v && v->start < end;
	     v = vma_tree_next(v)) {
		if (v->start > at)
			err = -ENOMEM;
		ioerr = vma_sync(v, MAX(v->start, va), MIN(v->end, end));
		if (ioerr != 0 && err == 0)
			err = ioerr;
		at = MIN(v->end, end);
	}
	if (at < end && err == 0)
		err = -ENOMEM;
	mutex_unlock(&ms->lock);
	return err;
}

struct vma *mspace_search_vma(struct mspace *ms, vaddr_t va)
{
	return vma_tree_lookup(&ms->vmas, va);
}

void mspace_activate(struct mspace *ms)
{
	pmap_activate(ms->pmap);
}

void mspace_deactivate(struct mspace *ms)
{
	pmap_deactivate(ms->pmap);
}

/* ------------------------------------------------------------ heap, stack */

int mspace_set_brk(struct mspace *ms, vaddr_t start)
{
	start = PAGE_ROUNDUP(start);
	if (start < ms->min || start >= MSPACE_MMAP_TOP)
		return -EINVAL;
	mutex_lock(&ms->lock);
	ms->brk_start = start;
	ms->brk = start;
	mutex_unlock(&ms->lock);
	return 0;
}

/* Grow the heap from oldend to newend (page aligned): extend the heap VMA
 * ending at oldend, or make one. => ms->lock held. 0 or -ENOMEM. */
static int mspace_heap_grow(struct mspace *ms, vaddr_t oldend, vaddr_t newend)
{
	struct vma *heap = NULL;
	int err;

	if (!vma_tree_range_free(&ms->vmas, oldend, newend))
		return -ENOMEM;
	if (oldend > ms->brk_start)
		heap = vma_tree_lookup(&ms->vmas, oldend - 1);
	if (heap != NULL && (heap->flags & VMA_HEAP) && heap->end == oldend) {
		mspace_vma_resize(ms, heap, heap->start, newend);
		return 0;
	}
	heap = vma_new(oldend, newend, VM_PROT_READ | VM_PROT_WRITE,
		       VM_PROT_ALL, VMA_PRIVATE | VMA_HEAP, NULL, 0, NULL);
	if (heap == NULL)
		return -ENOMEM;
	err = mspace_link(ms, heap);
	if (err) {
		vma_free(heap);
		return -ENOMEM;
	}
	return 0;
}

int mspace_brk(struct mspace *ms, vaddr_t newbrk)
{
	vaddr_t oldend, newend;
	int err = 0;

	mutex_lock(&ms->lock);
	if (newbrk < ms->brk_start || newbrk > MSPACE_MMAP_TOP) {
		err = -ENOMEM;
		goto out;
	}
	oldend = PAGE_ROUNDUP(ms->brk);
	newend = PAGE_ROUNDUP(newbrk);
	if (newend > oldend) {
		err = vm_commit_charge((newend - oldend) >> PAGE_SHIFT);
		if (err == 0) {
			err = mspace_heap_grow(ms, oldend, newend);
			vm_commit_add(-(int64_t)((newend - oldend) >> PAGE_SHIFT));
		}
	} else if (newend < oldend)
		err = _mspace_unmap(ms, newend, oldend);
	if (err == 0)
		ms->brk = newbrk;
out:
	mutex_unlock(&ms->lock);
	return err;
}

vaddr_t mspace_get_brk(struct mspace *ms)
{
	vaddr_t brk;

	mutex_lock(&ms->lock);
	brk = ms->brk;
	mutex_unlock(&ms->lock);
	return brk;
}

int mspace_map_stack(struct mspace *ms, vaddr_t *sp_top)
{
	vaddr_t start = USER_STACK_TOP - MSPACE_STACK_INIT;
	struct vma *v;
	int err;

	err = vm_commit_charge(MSPACE_STACK_INIT >> PAGE_SHIFT);
	if (err)
		return err;
	mutex_lock(&ms->lock);
	v = vma_new(start, USER_STACK_TOP, VM_PROT_READ | VM_PROT_WRITE,
		    VM_PROT_ALL, VMA_PRIVATE | VMA_STACK, NULL, 0, NULL);
	if (v == NULL) {
		err = -ENOMEM;
		goto out;
	}
	err = mspace_link(ms, v);
	if (err) {
		vma_free(v);
		if (err != -ENOMEM)
			err = -EEXIST;
		goto out;
	}
	ms->stack_top = USER_STACK_TOP;
	ms->stack_limit = MSPACE_STACK_LIMIT;
	*sp_top = USER_STACK_TOP;
out:
	mutex_unlock(&ms->lock);
	vm_commit_add(-(int64_t)(MSPACE_STACK_INIT >> PAGE_SHIFT));
	return err;
}

/* ------------------------------------------------------------ access */

/* Copy len bytes between kbuf and va in ms (to ms if write). */
static int mspace_copy(struct mspace *ms, vaddr_t va, char *kbuf, size_t len,
		       bool write)
{
	enum vm_access access = write ? VM_ACCESS_WRITE : VM_ACCESS_READ;
	struct vm_fault_hold hold;
	size_t off, n;
	char *kva;
	int err = 0;

	if (va + len < va || va + len > ms->max)
		return -EFAULT;
	mutex_lock(&ms->lock);
	while (len > 0) {
		/* The hold keeps a file's page from a truncate meanwhile. */
		err = vm_fault_locked(ms, va, access, VM_FAULT_FORCE, &hold);
		if (err)
			break;
		off = va & PAGE_MASK;
		n = MIN(len, PAGE_SIZE - off);
		kva = (char *)PA_TO_KVA(vm_page_to_pa(hold.page)) + off;
		if (write)
			memcpy(kva, kbuf, n);
		else
			memcpy(kbuf, kva, n);
		vm_fault_release(&hold);
		va += n;
		kbuf += n;
		len -= n;
	}
	mutex_unlock(&ms->lock);
	return err;
}

int mspace_write(struct mspace *ms, vaddr_t va, const void *kbuf, size_t len)
{
	return mspace_copy(ms, va, (char *)kbuf, len, true);
}

int mspace_read(struct mspace *ms, vaddr_t va, void *kbuf, size_t len)
{
	return mspace_copy(ms, va, kbuf, len, false);
}

/* ------------------------------------------------------------ /proc */

static const char *vma_name(const struct vma *v)
{
	if (v->flags & VMA_HEAP)
		return "[heap]";
	if (v->flags & VMA_STACK)
		return "[stack]";
	if (v->file != NULL && v->file->path[0] != '\0')
		return v->file->path;
	return NULL;
}

/* One line of /proc/<pid>/maps for v, as Linux writes it. */
static void vma_display(struct sbuf *sb, const struct vma *v)
{
	const char *name = vma_name(v);
	char line[MAPS_NAME_PAD + 2];
	dev_t dev = v->file ? v->file->dev : 0;
	int n;

	n = snprintf(line, sizeof(line), "%08lx-%08lx %c%c%c%c %08lx %02lx:%02lx %lu ",
		     (unsigned long)v->start, (unsigned long)v->end,
		     (v->prot & VM_PROT_READ) ? 'r' : '-',
		     (v->prot & VM_PROT_WRITE) ? 'w' : '-',
		     (v->prot & VM_PROT_EXEC) ? 'x' : '-',
		     (v->flags & VMA_SHARED) ? 's' : 'p',
		     (unsigned long)(v->file ? v->obj_off : 0),
		     (unsigned long)(dev >> MAPS_DEV_SHIFT),
		     (unsigned long)(dev & MAPS_DEV_MINOR),
		     (unsigned long)(v->file ? v->file->ino : 0));
	if (name == NULL) {
		sbuf_printf(sb, "%s\n", line);
		return;
	}
	n = MIN(n, (int)sizeof(line) - 1);
	while (n < MAPS_NAME_PAD)
		line[n++] = ' ';
	line[n] = '\0';
	sbuf_printf(sb, "%s %s\n", line, name);
}

int mspace_display(struct mspace *ms, struct sbuf *sb)
{
	struct vma *v;

	mutex_lock(&ms->lock);
	for (v = vma_tree_first(&ms->vmas); v != NULL; v = vma_tree_next(v))
		vma_display(sb, v);
	mutex_unlock(&ms->lock);
	return sbuf_error(sb);
}

/* Whether pg, mapped at va in v, is shared: an object's page, or an anon
 * page whose anon or amap has more than one reference. => ms->lock held. */
static bool vma_page_shared(struct vma *v, vaddr_t va, struct vm_page *pg)
{
	size_t slot;
	struct anon *anon;

	if (v->amap == NULL)
		return true;
	slot = mspace_vma_slot(v, va);
	anon = slot < v->amap->nslots ? amap_lookup(v->amap, slot) : NULL;
	if (anon == NULL || anon->page != pg)
		return true;
	return anon_refs(anon) > 1 || amap_refs(v->amap) > 1;
}

/* ---- Swap use, for smaps' Swap: and status' VmSwap: ---- */

/* Pages of v whose anon is on swap and not resident (a slot and no
 * page); the swap cache (both) counts as resident, as in Linux's smaps.
 * => ms->lock held. */
static uint64_t vma_swap_pages(struct vma *v)
{
	uint64_t n = 0;
	size_t first, end, nanons, nslots;
	struct anon *anon;

	if (v->amap == NULL)
		return 0;
	spin_lock(&v->amap->lock);
	nanons = v->amap->nanons;
	nslots = v->amap->nslots;
	spin_unlock(&v->amap->lock);
	if (nanons == 0)
		return 0;
	first = mspace_vma_slot(v, v->start);
	end = MIN(mspace_vma_slot(v, v->end), nslots);
	for (size_t slot = first; slot < end; slot++) {
		anon = amap_lookup(v->amap, slot);
		if (anon == NULL)
			continue;
		spin_lock(&anon->lock);
		n += anon->slot != SWAP_SLOT_NONE && anon->page == NULL;
		spin_unlock(&anon->lock);
	}
	return n;
}

/* => ms->lock held */
static uint64_t mspace_swap_pages_locked(struct mspace *ms)
{
	uint64_t n = 0;
	struct vma *v;

	for (v = vma_tree_first(&ms->vmas); v != NULL; v = vma_tree_next(v))
		n += vma_swap_pages(v);
	return n;
}

uint64_t mspace_swap_pages(struct mspace *ms)
{
	uint64_t n;

	mutex_lock(&ms->lock);
	n = mspace_swap_pages_locked(ms);
	mutex_unlock(&ms->lock);
	return n;
}

bool mspace_swap_pages_try(struct mspace *ms, uint64_t *n)
{
	if (!mutex_trylock(&ms->lock))
		return false;
	*n = mspace_swap_pages_locked(ms);
	mutex_unlock(&ms->lock);
	return true;
}

/* ---- end of swap use ---- */

/* The smaps lines of v: its maps line, then resident, shared and private
 * sizes. => ms->lock held. */
static void vma_display_smaps(struct mspace *ms, struct sbuf *sb,
			      struct vma *v)
{
	uint64_t rss = 0, shared = 0;
	struct vm_page *pg;
	paddr_t pa;
	vaddr_t va;

	for (va = v->start; va < v->end; va += PAGE_SIZE) {
		if (!pmap_extract(ms->pmap, va, &pa))
			continue;
		rss++;
		pg = vm_page_from_pa(pa);
		if (pg == NULL || vma_page_shared(v, va, pg))
			shared++;
	}
	vma_display(sb, v);
	sbuf_printf(sb, "Rss:            %8lu kB\n"
		    "Shared:         %8lu kB\n"
		    "Private:        %8lu kB\n"
		    "Swap:           %8lu kB\n",
		    (unsigned long)(rss * KB_PER_PAGE),
		    (unsigned long)(shared * KB_PER_PAGE),
		    (unsigned long)((rss - shared) * KB_PER_PAGE),
		    (unsigned long)(vma_swap_pages(v) * KB_PER_PAGE));
}

int mspace_display_smaps(struct mspace *ms, struct sbuf *sb)
{
	struct vma *v;

	mutex_lock(&ms->lock);
	for (v = vma_tree_first(&ms->vmas); v != NULL; v = vma_tree_next(v))
		vma_display_smaps(ms, sb, v);
	mutex_unlock(&ms->lock);
	return sbuf_error(sb);
}

void mspace_get_stats(struct mspace *ms, struct mspace_stats *st)
{
	mutex_lock(&ms->lock);
	st->virt = ms->virt_pages;
	st->private = ms->private_pages;
	st->shared = ms->shared_pages;
	st->resident = pmap_resident_count(ms->pmap);
	mspace_note_resident(ms);
	st->virt_peak = ms->virt_peak;
	st->resident_peak = ms->resident_peak;
	mutex_unlock(&ms->lock);
}
