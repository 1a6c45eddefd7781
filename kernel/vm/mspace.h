/*
 * Address spaces (mspaces): a process's VMAs in a balanced search tree keyed
 * by address, augmented with the largest free gap, plus its pmap. Each VMA
 * maps anonymous memory (an amap) and/or a memory object (a file's page
 * cache, or anonymous shared memory). The VMA tree itself lives in
 * kernel/vm/vma.c (vma_tree_*).
 */
#ifndef KERNEL_VM_MSPACE_H
#define KERNEL_VM_MSPACE_H

#include "kernel/types.h"
#include "kernel/lock.h"
#include "kernel/vm/vm.h"
#include "kernel/vm/vma.h"
#include "kernel/vm/amap.h"

struct pmap;
struct amap;
struct vm_object;
struct vm_page;
struct sbuf;
struct vnode;

/* vma.flags */
#define VMA_PRIVATE     0x01    /* writes are private to this mspace */
#define VMA_SHARED      0x02    /* writes reach the memory object */
#define VMA_STACK       0x04    /* grows down on demand */
#define VMA_GUARD       0x08    /* guard gap: never mapped */
#define VMA_NEEDS_COPY  0x10    /* amap must be copied before a write */
#define VMA_HEAP        0x20    /* the brk heap */
#define VMA_ANON        0x40    /* no memory object: demand zero */

/* mspace_map flags */
#define MSPACE_FIXED    0x1     /* exactly at va, replacing what is there */
#define MSPACE_NOREPLACE 0x2    /* with MSPACE_FIXED: -EEXIST if occupied */

/* Layout (bytes). The stack VMA starts at MSPACE_STACK_INIT below
 * USER_STACK_TOP and grows down on faults to USER_STACK_MAX; the gap search
 * for mmap starts a further MSPACE_STACK_GUARD below that, so nothing is
 * placed where the stack may grow. */
#define MSPACE_STACK_INIT   (32 * PAGE_SIZE)
#define MSPACE_STACK_GUARD  (256 * PAGE_SIZE)
#define MSPACE_STACK_LIMIT  (USER_STACK_TOP - USER_STACK_MAX)
#define MSPACE_MMAP_TOP     (MSPACE_STACK_LIMIT - MSPACE_STACK_GUARD)

/*
 * One address space.
 * Locking: (m) ms->lock (a mutex, may be held across sleeps), (r) atomic,
 * (c) const after mspace_create.
 * Invariants: every VMA lies in [min, max); brk_start <= brk;
 * stack_limit <= stack_top; virt_pages == sum of vma_pages over the tree,
 * private_pages + shared_pages == virt_pages; commit_pages == sum of
 * mspace_vma_commit over the tree (and is this mspace's part of
 * Committed_AS, kernel/vm/commit.h); vmas.count <= vm_max_map_count unless
 * the tunable was lowered since.
 */
struct mspace {
	struct mutex lock;
	int refcnt;                     /* (r) */
	struct vma_tree vmas;           /* (m) */
	struct pmap *pmap;              /* (c) */
	vaddr_t min, max;               /* (c) user bounds, bytes */
	vaddr_t brk_start;              /* (m) lowest break, page aligned */
	vaddr_t brk;                    /* (m) current break, bytes */
	vaddr_t stack_top;              /* (m) top of the stack VMA, or 0 */
	vaddr_t stack_limit;            /* (m) lowest address it may grow to */
	uint64_t virt_pages;            /* (m) pages in all VMAs */
	uint64_t private_pages;         /* (m) pages in VMA_PRIVATE VMAs */
	uint64_t shared_pages;          /* (m) pages in VMA_SHARED VMAs */
	uint64_t commit_pages;          /* (m) committed (private writable)
	                                 * pages */
	uint64_t virt_peak;             /* (m) most virt_pages ever */
	uint64_t resident_peak;         /* (m) most resident pages seen: sampled
	                                 * before pages leave the pmap and by
	                                 * mspace_get_stats */
};

/*
 * The name /proc/<pid>/maps shows for a file mapping, shared (reference
 * counted) by the VMAs that one mmap or exec made, and by their splits and
 * forks. Locking: (c) const after vma_file_create, (r) atomic.
 */
struct vma_file {
	int refcnt;                     /* (r) VMAs naming it */
	dev_t dev;                      /* (c) st_dev of the file */
	ino_t ino;                      /* (c) inode number */
	void (*release)(void *arg);     /* (c) called as the last VMA lets go
	                                 * (exec: writes allowed again), or NULL */
	void *release_arg;              /* (c) */
	char path[];                    /* (c) absolute path, or "" if unknown */
};

/* A new name (refcnt 1) for the file (dev, ino) at path (NULL or "": not
 * known; maps then shows only device and inode). NULL on -ENOMEM. */
struct vma_file *vma_file_create(dev_t dev, ino_t ino, const char *path);
/* Drop a reference; the last one frees it. */
void vma_file_unref(struct vma_file *file);

/* Counters of one mspace in pages, for /proc/<pid>/status. */
struct mspace_stats {
	uint64_t virt;          /* mapped virtual pages */
	uint64_t private;       /* virtual pages of private mappings */
	uint64_t shared;        /* virtual pages of shared mappings */
	uint64_t resident;      /* pages entered in the pmap */
	uint64_t virt_peak;     /* VmPeak: most mapped virtual pages */
	uint64_t resident_peak; /* VmHWM: most resident pages */
};

/* A new empty address space over [USER_MIN, USER_MAX) with its own pmap,
 * refcnt 1. => process context (takes no locks). NULL on -ENOMEM. */
struct mspace *mspace_create(void);

/* Take a reference (e.g. /proc reading another process's maps). */
void mspace_ref(struct mspace *ms);

/* Drop a reference. The last one unmaps every VMA, drops the amaps (and so
 * the pages no one else shares), destroys the pmap and frees ms.
 * => no locks held; ms is active on no hart (switch away first). */
void mspace_destroy(struct mspace *ms);

/* Copy parent for fork: every VMA. Shared VMAs share their object. With
 * copy-on-write (the default) a private VMA with anonymous pages shares its
 * amap: both VMAs become VMA_NEEDS_COPY and the parent's writable PTEs are
 * write-protected (pmap_protect), so no page is copied until one is written
 * (vm_fault cases 4 and 5). With the boot option cow=off the anonymous pages
 * are copied now (eager fork). The child's pmap starts empty; its faults
 * map the pages.
 * Each private writable VMA is charged to Committed_AS (commit.h).
 * => no locks held (takes parent->lock). Returns 0 and *child, or
 * -ENOMEM (out of memory, or the commit policy refused; nothing allocated
 * stays). */
int mspace_fork(struct mspace *parent, struct mspace **child);

/* Map len bytes (page multiple, > 0) with prot (<= maxprot) and vma_flags
 * (exactly one of VMA_PRIVATE, VMA_SHARED; optionally VMA_STACK, VMA_HEAP).
 * With MSPACE_FIXED at *va (page aligned) replacing earlier mappings there
 * (MSPACE_NOREPLACE: refusing them); else *va is a hint used if the range is
 * free and below MSPACE_MMAP_TOP, or the highest free range below
 * MSPACE_MMAP_TOP is taken.
 * The contents: obj (the VMA takes its own reference; the caller keeps
 * its) from byte off (page aligned) on, private (copy on write, VMA_PRIVATE)
 * or shared (VMA_SHARED: stores reach the object). With obj NULL: demand-
 * zero memory, private, or shared through a new anonymous object (off is
 * ignored then).
 * A private writable mapping is charged to Committed_AS (commit.h).
 * => no locks held. Returns 0 and *va (bytes), -EINVAL (bad length,
 * alignment, offset or flags), -EACCES (prot above maxprot), -ENOMEM (no
 * room, outside [USER_MIN, USER_MAX), out of memory, refused by the
 * commit policy, or vm.max_map_count VMAs), -EEXIST (NOREPLACE and
 * occupied). */
int mspace_map(struct mspace *ms, vaddr_t *va, size_t len, vm_prot_t prot,
	       vm_prot_t maxprot, uint32_t vma_flags, int flags,
	       struct vm_object *obj, uint64_t off);
/* mspace_map naming the mapping file (the VMAs take their own references
 * to it; NULL: no name) for /proc/<pid>/maps. Same returns. */
int mspace_map_file(struct mspace *ms, vaddr_t *va, size_t len, vm_prot_t prot,
		    vm_prot_t maxprot, uint32_t vma_flags, int flags,
		    struct vm_object *obj, uint64_t off, struct vma_file *file);

/* Unmap [va, va + len) (bytes, page aligned), splitting VMAs at the edges;
 * unmapped holes in the range are fine. Pages only this mapping held are
 * freed. => no locks held. Returns 0, -EINVAL (misaligned, outside user
 * space), -ENOMEM (no memory to split a VMA, or the split would pass
 * vm.max_map_count; nothing unmapped). */
int mspace_unmap(struct mspace *ms, vaddr_t va, size_t len);

/* mspace_remap flags */
#define MSPACE_REMAP_MAYMOVE 0x1    /* the mapping may move */
#define MSPACE_REMAP_FIXED   0x2    /* move it to *new_va (with MAYMOVE) */

/* mremap: resize [old, old + old_len) (bytes, page aligned, inside one
 * VMA) to new_len bytes (page multiple, > 0); no page is ever copied.
 * Shrinking unmaps the tail in place. Growing (a private anonymous VMA
 * only, not the heap nor the stack) extends the VMA in place if it ends
 * at old + old_len and the pages after it are free below
 * MSPACE_MMAP_TOP; else, with MSPACE_REMAP_MAYMOVE, the mapping moves to
 * the highest free range below MSPACE_MMAP_TOP. With MSPACE_REMAP_FIXED
 * (and MAYMOVE) the pages move to *new_va (page aligned), after whatever
 * was mapped in [*new_va, *new_va + new_len) is unmapped, and the old
 * range becomes unmapped. A move removes the PTEs (pmap_remove, with the
 * shootdown) and changes the VMA's range: its amap slots and object
 * offset follow it, and an untouched private anonymous VMA right after
 * the moved one with the same protection is merged into it. The growth
 * is charged to Committed_AS (commit.h); a move changes nothing there.
 * => no locks held. Returns 0 and *new_va (where the mapping now is),
 * -EINVAL (misaligned, zero length, bad flags, FIXED without MAYMOVE,
 * target outside user space or overlapping the old range), -EFAULT (the
 * old range is not inside one VMA, growth of a VMA that may not grow, a
 * FIXED move of the stack), -ENOMEM (no room to grow and MAYMOVE not
 * given or no free range, commit refused, no memory or VMA to split;
 * the pages kept are still at old). */
int mspace_remap(struct mspace *ms, vaddr_t old, size_t old_len,
		 size_t new_len, int flags, vaddr_t *new_va);

/* Set the protection of [va, va + len) (bytes, page aligned) to prot,
 * splitting VMAs at the edges. => no locks held. Returns 0, -EINVAL
 * (misaligned or outside user space), -ENOMEM (part of the range is not
 * mapped, no memory to split, a split past vm.max_map_count, or the
 * commit policy refused the private pages that gain write), -EACCES
 * (prot above a VMA's maxprot). Nothing changes on an error. */
int mspace_protect(struct mspace *ms, vaddr_t va, size_t len, vm_prot_t prot);

/* MADV_DONTNEED on [va, va + len) (bytes, page aligned): the pages are
 * unmapped from the pmap; the anonymous pages of private mappings are
 * dropped (their private copies are lost: anonymous memory reads back as
 * zeroes, a private file mapping as the file), shared mappings keep their
 * data in the object. => no locks held. Returns 0, or -ENOMEM if part of
 * the range is not mapped (the mapped parts are still done) or memory ran
 * out copying a needs-copy amap. */
int mspace_dontneed(struct mspace *ms, vaddr_t va, size_t len);

/* msync: write the dirty pages of the shared file mappings in
 * [va, va + len) (bytes, page aligned) to their files; other mappings need
 * nothing. => no locks held; sleeps for I/O. Returns 0, -ENOMEM if part of
 * the range is not mapped (the rest is still written), or -EIO. */
int mspace_sync(struct mspace *ms, vaddr_t va, size_t len);

/* The VMA containing va, or NULL. => ms->lock held. */
struct vma *mspace_search_vma(struct mspace *ms, vaddr_t va);

/* Load ms's pmap on this hart / leave it. => no spinlocks needed. */
void mspace_activate(struct mspace *ms);
void mspace_deactivate(struct mspace *ms);

/* exec: the heap starts at start (bytes, rounded up to a page), empty.
 * => no locks held. Returns 0 or -EINVAL (outside user space). */
int mspace_set_brk(struct mspace *ms, vaddr_t start);

/* brk: move the break to newbrk (bytes). Growing maps demand-zero pages
 * (extending the heap VMA); shrinking unmaps and frees whole pages above
 * the new break. Growth is charged to Committed_AS (commit.h).
 * => no locks held. Returns 0, or -ENOMEM (below the heap start, into
 * another mapping or the stack area, out of memory, or refused by the
 * commit policy). */
int mspace_brk(struct mspace *ms, vaddr_t newbrk);
/* The current break (bytes). => no locks held. */
vaddr_t mspace_get_brk(struct mspace *ms);

/* exec: create the stack VMA [USER_STACK_TOP - MSPACE_STACK_INIT,
 * USER_STACK_TOP), read-write, growing down on faults to USER_STACK_MAX.
 * => no locks held. Returns 0 and *sp_top = USER_STACK_TOP (the initial
 * stack pointer before anything is pushed), -ENOMEM, or -EEXIST. */
int mspace_map_stack(struct mspace *ms, vaddr_t *sp_top);

/* Copy len bytes from kernel kbuf to va in ms, which need not be active:
 * each page is resolved through the fault logic (ignoring the VMA's
 * protection, so exec can fill read-only text) and written through the
 * direct map. => no locks held. Returns 0, -EFAULT (no VMA covers part of
 * the range), or -ENOMEM. */
int mspace_write(struct mspace *ms, vaddr_t va, const void *kbuf, size_t len);
/* The same the other way: len bytes at va in ms into kbuf (untouched
 * anonymous pages read as zeroes). Same errors. */
int mspace_read(struct mspace *ms, vaddr_t va, void *kbuf, size_t len);

/* Append /proc/<pid>/maps text, one Linux-format line a VMA:
 * "00010000-00012000 rw-p 00000000 00:00 0    [heap]"; a file mapping shows
 * its offset, device (major:minor, hex), inode and path:
 * "00010000-00018000 r-xp 00000000 01:01 12   /bin/sh".
 * => no locks held. Returns sbuf_error(sb). */
int mspace_display(struct mspace *ms, struct sbuf *sb);

/* Append /proc/<pid>/smaps text (Linux smaps, simplified): for each VMA its
 * maps line, then "Rss:", "Shared:", "Private:" and "Swap:" lines in kB.
 * Rss counts the pages mapped in the pmap; a resident page is shared if it
 * belongs to a memory object (page cache, shared memory) or its anon or
 * amap has more than one reference (copy-on-write after fork), private
 * otherwise. Swap counts the VMA's anons that have a swap slot and no
 * resident page (an anon shared by fork counts in each VMA holding it).
 * => no locks held. Returns sbuf_error(sb). */
int mspace_display_smaps(struct mspace *ms, struct sbuf *sb);

/* Pages of ms's anons that are on swap and not resident, summed over its
 * VMAs as smaps' Swap: lines (/proc/<pid>/status VmSwap:).
 * => no locks held (takes ms->lock). */
uint64_t mspace_swap_pages(struct mspace *ms);
/* The same without waiting for ms->lock (the OOM killer, which must not
 * block on a process that waits for memory): false if it is held. */
bool mspace_swap_pages_try(struct mspace *ms, uint64_t *n);

/* Counters in pages. => no locks held. */
void mspace_get_stats(struct mspace *ms, struct mspace_stats *st);

/* The pages of v that count as committed (kernel/vm/commit.h): all of a
 * private writable VMA, as Linux counts (anonymous, file MAP_PRIVATE with
 * PROT_WRITE, heap, stack), none of a shared or read-only one. */
static inline uint64_t mspace_vma_commit(const struct vma *v)
{
	return ((v->flags & VMA_PRIVATE) && (v->prot & VM_PROT_WRITE)) ?
	       vma_pages(v) : 0;
}

/* The protection a VMA's prot gives the pmap: write implies read, as
 * PROT_WRITE does on Linux (there are no write-only pages). */
static inline vm_prot_t mspace_pmap_prot(vm_prot_t prot)
{
	return (prot & VM_PROT_WRITE) ? (prot | VM_PROT_READ) : prot;
}

/* ---- for kernel/vm/fault.c only (=> ms->lock held for both) ---- */

/* The amap of vma, created on first use to cover the whole VMA (a stack
 * VMA gets slots down to stack_limit so it can grow), or extended to cover
 * it. => vma's amap, if any, is not shared (needs-copy resolved first).
 * Returns 0 or -ENOMEM. Inline for the common case, an amap that covers
 * the VMA already (its nslots changes only under ms->lock, which the
 * caller holds); mspace_vma_amap_slow does the rest. */
int mspace_vma_amap_slow(struct mspace *ms, struct vma *vma);
static inline int mspace_vma_amap(struct mspace *ms, struct vma *vma)
{
	if (likely(vma->amap != NULL &&
		   vma->amap_off + vma_pages(vma) <= amap_nslots(vma->amap)))
		return 0;
	return mspace_vma_amap_slow(ms, vma);
}
/* Change a VMA's range in the tree and the counters. */
void mspace_vma_resize(struct mspace *ms, struct vma *vma, vaddr_t start,
		       vaddr_t end);
/* The amap slot of page va in vma (which has an amap). */
static inline size_t mspace_vma_slot(const struct vma *vma, vaddr_t va)
{
	return vma->amap_off + ((va - vma->start) >> PAGE_SHIFT);
}

#endif
