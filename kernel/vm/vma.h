/*
 * VMAs (virtual memory areas) and the per-mspace VMA tree: an AVL tree keyed
 * by start address, augmented with the largest free gap of each subtree so a
 * free range is found in O(log n). Pure data structure: no locks taken, no
 * allocation; it compiles on the host for tests/host/test_vma.c.
 */
#ifndef KERNEL_VM_VMA_H
#define KERNEL_VM_VMA_H

#include "kernel/types.h"
#include "kernel/vm/vm.h"

struct amap;
struct vm_object;
struct vma_file;

/*
 * One mapped range [start, end) of an mspace. Its contents come from two
 * layers: the upper layer is an amap of anonymous pages (page index
 * amap_off + (va - start) / PAGE_SIZE), the lower layer a memory object
 * (byte offset obj_off + (va - start)). Either may be NULL: an anonymous
 * VMA has no object, and its amap is created on the first fault.
 *
 * Locking: (m) the owning mspace's lock, (t) the mspace lock, written only
 * by vma.c. The VMA flags (VMA_*) are defined in kernel/vm/mspace.h.
 *
 * Invariants: start < end, both page aligned; prot is a subset of maxprot;
 * (flags & VMA_ANON) == (obj == NULL); exactly one of VMA_PRIVATE and
 * VMA_SHARED is set; a VMA_SHARED VMA has an object (anonymous shared
 * memory: one without a pager) and no amap; a VMA_PRIVATE VMA whose amap
 * has refcnt > 1 has VMA_NEEDS_COPY; obj_off is page aligned.
 */
struct vma {
	struct vma *left, *right, *parent;      /* (t) tree links */
	int height;                             /* (t) AVL height, leaf = 1 */
	vaddr_t sub_start;                      /* (t) lowest start in subtree */
	vaddr_t sub_end;                        /* (t) highest end in subtree */
	vaddr_t max_gap;                        /* (t) largest hole between two
	                                         * VMAs of the subtree, bytes */

	vaddr_t start;                          /* (m) first byte */
	vaddr_t end;                            /* (m) one past the last byte */
	vm_prot_t prot;                         /* (m) VM_PROT_* now allowed */
	vm_prot_t maxprot;                      /* (m) highest prot allowed */
	uint32_t flags;                         /* (m) VMA_* */
	struct amap *amap;                      /* (m) upper layer, or NULL */
	size_t amap_off;                        /* (m) first slot used, pages */
	struct vm_object *obj;                  /* (m) lower layer, or NULL */
	uint64_t obj_off;                       /* (m) offset of start, bytes */
	struct vma_file *file;                  /* (m) the mapped file's name
	                                         * for /proc maps, or NULL */
	uint8_t swap_ra;                        /* (m) pages to read at a swap-in
	                                         * fault (0: not set yet) */
	uint8_t swap_ra_read;                   /* (m) read ahead at the last */
	uint8_t swap_ra_hits;                   /* (m) of those, mapped since */
};

/* The VMAs of one mspace, all inside [lo, hi).
 * Locking: the owning mspace's lock. Every vma_tree_* function below runs
 * with it held (=> ms->lock held) and takes no lock, allocates nothing and
 * never sleeps. Addresses and sizes are virtual, in bytes. */
struct vma_tree {
	struct vma *root;
	size_t count;           /* VMAs in the tree */
	vaddr_t lo, hi;         /* bounds of the address space, bytes */
};

static inline size_t vma_pages(const struct vma *v)
{
	return (v->end - v->start) >> PAGE_SHIFT;
}

/* An empty tree for VMAs inside [lo, hi) (bytes, page aligned). */
void vma_tree_init(struct vma_tree *tree, vaddr_t lo, vaddr_t hi);

/* Insert vma (start/end set, tree links ignored).
 * Returns 0, -EINVAL if it is empty or outside the tree's bounds, or
 * -EEXIST if it overlaps a VMA already in the tree (nothing changed). */
int vma_tree_insert(struct vma_tree *tree, struct vma *vma);

/* Remove vma from the tree (it must be in it). Does not free it. */
void vma_tree_remove(struct vma_tree *tree, struct vma *vma);

/* Change the range of a VMA in the tree to [start, end) (bytes), keeping the
 * augmentation right. The new range must not overlap its neighbours and must
 * keep its place in the order (KASSERT). Used to grow the heap and the
 * stack and to trim a VMA being split. */
void vma_tree_resize(struct vma_tree *tree, struct vma *vma,
		     vaddr_t start, vaddr_t end);

/* The VMA containing va, or NULL. */
struct vma *vma_tree_lookup(const struct vma_tree *tree, vaddr_t va);

/* The first VMA that ends above va (the one containing va, or else the
 * next one up), or NULL. Starts a walk over a range. */
struct vma *vma_tree_find_from(const struct vma_tree *tree, vaddr_t va);

/* In-order walk: lowest VMA, the next higher one / the next lower one
 * (NULL past the end). */
struct vma *vma_tree_first(const struct vma_tree *tree);
struct vma *vma_tree_next(const struct vma *vma);
struct vma *vma_tree_prev(const struct vma *vma);

/* True if no VMA meets [start, end) (bytes). */
bool vma_tree_range_free(const struct vma_tree *tree, vaddr_t start,
			 vaddr_t end);

/* Find the highest va such that [va, va + size) is free, lies inside
 * [lo, hi) and inside the tree's bounds, and va is a multiple of align
 * (a power of two, at least PAGE_SIZE). size and the result are in bytes.
 * O(log n) for page alignment: subtrees without a large enough hole are
 * skipped; with a larger alignment a hole can turn out too short once
 * aligned and the walk goes on to the next one.
 * Returns 0 and *va, or -ENOMEM if there is no such range. */
int vma_tree_find_gap_aligned(const struct vma_tree *tree, size_t size,
			      size_t align, vaddr_t lo, vaddr_t hi,
			      vaddr_t *va);

/* vma_tree_find_gap_aligned with page alignment. */
int vma_tree_find_gap(const struct vma_tree *tree, size_t size, vaddr_t lo,
		      vaddr_t hi, vaddr_t *va);

/* Verify every invariant: BST order, parent links, AVL balance and
 * heights, no empty or overlapping VMA, bounds, the augmentation
 * (sub_start, sub_end, max_gap) and the count. Prints the first broken
 * one with printk and returns -EINVAL; returns 0 if all hold. */
int vma_tree_check(const struct vma_tree *tree);

#endif
