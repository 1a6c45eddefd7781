/*
 * The vnode pager (kernel/fs/vnode_pager.h): a regular file's memory
 * object is its page cache, and its backing store is the file's blocks,
 * found through vnode_ops.bmap and moved whole pages at a time with
 * blk_rw straight into the frame (through the direct map). Holes and the
 * part of the last page past the end of the file read as zeroes.
 *
 * Lifetime (no leak, no cycle):
 *  - A regular file's vnode gets its object when it is loaded into the
 *    vnode cache (vnode_pager_attach) and keeps it while it lives: the
 *    object's first reference is the vnode's own, and vn->obj never
 *    changes. read(), write() and truncate use vn->obj under the vnode's
 *    own references (open files, cwd, ...).
 *  - vnode_object() gives the VM (mmap, exec) further object references.
 *    Together they hold ONE vnode reference: taken when the object's count
 *    goes from 1 (the vnode's) to 2, dropped by the pager's unreferenced
 *    hook when it falls back to 1. So a mapping keeps the vnode, its inode
 *    (even unlinked) and its pages alive after close() and unlink().
 *  - When the vnode's last reference goes, no mapping is left: the VFS
 *    writes the dirty pages back (vnode_pager_detach; skipped for an
 *    unlinked file) while it holds new loads of that inode off, and the
 *    object's last reference frees its pages. The object points at the
 *    vnode (pager_priv) without a reference, and the vnode at the object
 *    with one: never both ways.
 *
 * Locks: get_page and put_page run with obj->lock held and take only the
 * file system's block-map lock and buffer locks below it, never the vnode
 * lock: read() and write() hold vn->lock while a fault on their user
 * buffer pages in this same object.
 */
#include "kernel/fs/vnode_pager.h"
#include "kernel/fs/vfs.h"
#include "kernel/fs/uio.h"
#include "kernel/dev/blk.h"
#include "kernel/errno.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "kernel/vm/object.h"
#include "kernel/vm/page.h"
#include "kernel/vm/pager.h"
#include "kernel/vm/pmap.h"

/* A run of disk blocks contiguous on disk and in the page. */
struct vnode_pager_run {
	uint64_t sector;        /* first sector, 0: none */
	size_t pos;             /* byte offset in the page */
	size_t len;             /* bytes */
};

static struct vnode *vnode_pager_vnode(struct vm_object *obj)
{
	return obj->pager_priv;
}

/* Bytes of the page at off that lie inside an object of size bytes. */
static size_t vnode_pager_valid(uint64_t size, uint64_t off)
{
	return size > off ? (size_t)MIN((uint64_t)PAGE_SIZE, size - off) : 0;
}

/* Read or write a run of blocks between the disk and the page at kva. */
static int vnode_pager_run_io(struct vnode *vn, struct vnode_pager_run *run,
			      uint8_t *kva, bool write)
{
	if (run->len == 0)
		return 0;
	int err = blk_rw((dev_id_t)vn->mnt->dev, write ? BLK_WRITE : BLK_READ,
			 run->sector, kva + run->pos, run->len, BLK_REASON_PAGEIN);
	if (err < 0)
		printk("vnode_pager: %s of inode %lu at sector %lu failed (%d)\n",
		       write ? "write" : "read", vn->ino, run->sector, err);
	run->len = 0;
	return err < 0 ? -EIO : 0;
}

/*
 * => obj->lock. Move the page at off of a file between pg and its blocks:
 * every block under the valid bytes of the page, contiguous blocks in one
 * request. A read zero-fills holes and the bytes past the end of the
 * file; a write skips holes and never allocates: every byte stored into
 * a page has a block under it (write() allocates before it copies,
 * mkwrite before a store through a shared mapping), and what lies over a
 * hole is zeroes (read in as zeroes, or zeroed by vnode_pager_zero_tail
 * when the file grew). So a write-back never meets a full disk.
 * Returns 0 or -EIO.
 */
static int vnode_pager_io(struct vm_object *obj, uint64_t off, struct vm_page *pg,
			  bool write)
{
/* LAB mmap: begin */
	struct vnode *vn = vnode_pager_vnode(obj);
	uint8_t *kva = PA_TO_KVA(pg->pa);
	size_t valid = vnode_pager_valid(obj->size, off), pos = 0;
	struct vnode_pager_run run = { 0, 0, 0 };
	int err = 0;
	while (pos < valid && err == 0) {
		uint64_t sector;
		uint32_t len;
		err = vn->ops->bmap(vn, off + pos, false, &sector, &len);
		if (err < 0)
			break;
		len = (uint32_t)MIN((size_t)len, PAGE_SIZE - pos);
		if (sector == 0) {
			err = vnode_pager_run_io(vn, &run, kva, write);
			if (!write)
				memset(kva + pos, 0, len);
		} else if (run.len > 0 && run.pos + run.len == pos &&
			   run.sector + run.len / BLK_SECTOR_SIZE == sector) {
			run.len += len;
		} else {
			err = vnode_pager_run_io(vn, &run, kva, write);
			run = (struct vnode_pager_run){ sector, pos, len };
		}
		pos += len;
	}
	if (err == 0)
		err = vnode_pager_run_io(vn, &run, kva, write);
	if (!write)
		memset(kva + valid, 0, PAGE_SIZE - valid);
	return err;
/* LAB mmap: end */
/* LAB mmap: stub
	// lab mmap: not implemented. Until it is, no file page can be read
	// (exec of /bin/init fails with -EIO) and none written back.
	(void)obj; (void)off; (void)pg; (void)write;
	(void)vnode_pager_run_io;
	return -ENOSYS;
*/
}

/* Every page below the end of the file exists (holes read as zeroes). */
static bool vnode_pager_has_page(struct vm_object *obj, uint64_t off)
{
	return off < PAGE_ROUNDUP(obj->size);
}

static int vnode_pager_get_page(struct vm_object *obj, uint64_t off, struct vm_page *pg)
{
	if (off >= PAGE_ROUNDUP(obj->size))
		return -EFAULT;
	int err = vnode_pager_io(obj, off, pg, false);
	return err < 0 ? -EIO : 0;
}

/* The bytes of the last page past the end of the file are zeroed first:
 * stores through a shared mapping past the end never reach the disk
 * (POSIX mmap: they are not file data), and the block's tail reads as
 * zeroes when the file grows. No block is allocated here (see
 * vnode_pager_io), so the only error is -EIO. */
static int vnode_pager_put_page(struct vm_object *obj, uint64_t off, struct vm_page *pg)
{
	size_t valid = vnode_pager_valid(obj->size, off);
	if (valid < PAGE_SIZE)
		memset((uint8_t *)PA_TO_KVA(pg->pa) + valid, 0, PAGE_SIZE - valid);
	int err = vnode_pager_io(obj, off, pg, true);
	return err < 0 ? -EIO : 0;
}

/* A store through a shared mapping is about to make the page at off
 * writable: give every block under its valid bytes a disk block now, so
 * that a full disk is the store's SIGBUS and never a write-back that
 * fails later (Linux's page_mkwrite). The page is resident and held by
 * the caller, so a new block is written whole from it. */
static int vnode_pager_mkwrite(struct vm_object *obj, uint64_t off)
{
/* LAB mmap: begin */
	struct vnode *vn = vnode_pager_vnode(obj);
	int err = 0;
	mutex_lock(&obj->lock);
	size_t valid = vnode_pager_valid(obj->size, off);
	for (size_t pos = 0; pos < valid && err == 0;) {
		uint64_t sector;
		uint32_t len;
		err = vn->ops->bmap(vn, off + pos, true, &sector, &len);
		pos += len;
	}
	mutex_unlock(&obj->lock);
	return err;
/* LAB mmap: end */
/* LAB mmap: stub
	// lab mmap: not implemented (a store through a shared file mapping
	// gets SIGBUS)
	(void)obj; (void)off;
	return -ENOSYS;
*/
}

/* The object does not own its vnode: nothing to release. */
static void vnode_pager_destroy(struct vm_object *obj __unused)
{
}

/* The last user other than the vnode let go: drop the vnode reference
 * vnode_object took for the users. */
static void vnode_pager_unreferenced(struct vm_object *obj)
{
	vnode_put(vnode_pager_vnode(obj));
}

const struct pager_ops vnode_pager_ops = {
	.name = "vnode",
	.has_page = vnode_pager_has_page,
	.get_page = vnode_pager_get_page,
	.put_page = vnode_pager_put_page,
	.mkwrite = vnode_pager_mkwrite,
	.destroy = vnode_pager_destroy,
	.unreferenced = vnode_pager_unreferenced,
};

/* ------------------------------------------------------------------ */
/* The page cache of a vnode                                            */
/* ------------------------------------------------------------------ */

int vnode_pager_attach(struct vnode *vn)
{
	vn->obj = vm_object_create(vn->size, &vnode_pager_ops, vn);
	return vn->obj != NULL ? 0 : -ENOMEM;
}

void vnode_pager_detach(struct vnode *vn)
{
	struct vm_object *obj = vn->obj;
	if (obj == NULL)
		return;
	KASSERT(obj->refcnt == 1, "vnode_pager_detach: inode %lu object has %d users",
		vn->ino, obj->refcnt);
	if (vn->nlink > 0 && vm_object_sync(obj, 0, 0) < 0)
		printk("vnode_pager: inode %lu: pages lost at release\n", vn->ino);
	vn->obj = NULL;
	vm_object_unref(obj);
}

struct vm_object *vnode_object(struct vnode *vn)
{
	struct vm_object *obj = vn->obj;
	if (obj == NULL)
		return NULL;
	/* The users' vnode reference: taken first, kept only by the user
	 * that moves the count off the vnode's own 1. */
	vnode_ref(vn);
	mutex_lock(&obj->lock);
	bool first = obj->refcnt == 1;
	obj->refcnt++;
	mutex_unlock(&obj->lock);
	if (!first)
		vnode_put(vn);
	return obj;
}

int vnode_pager_zero_tail(struct vnode *vn)
{
	uint64_t in_page = vn->size & PAGE_MASK;
	struct vm_page *pg;
	if (vn->obj == NULL || in_page == 0)
		return 0;
	int err = vm_object_get_page(vn->obj, vn->size - in_page, &pg);
	if (err < 0)
		return err;
	/* Write-protect it first: a store from now on faults, and mkwrite
	 * gives the blocks the growth brings under the page. */
	pmap_page_protect(pg, VM_PROT_READ | VM_PROT_EXEC);
	memset((uint8_t *)PA_TO_KVA(pg->pa) + in_page, 0, PAGE_SIZE - in_page);
	vm_object_page_dirty(vn->obj, pg);
	vm_object_release_page(vn->obj, pg);
	return 0;
}

int vnode_pager_sync(struct vnode *vn)
{
	return vn->obj != NULL ? vm_object_sync(vn->obj, 0, 0) : 0;
}

ssize_t vnode_pager_read(struct vnode *vn, struct uio *uio)
{
	struct vm_object *obj = vn->obj;
	ssize_t done = 0;
	if (uio->offset < 0)
		return -EINVAL;
	while (uio->resid > 0 && (uint64_t)uio->offset < vn->size) {
		uint64_t off = (uint64_t)uio->offset;
		uint64_t in_page = off & PAGE_MASK;
		size_t n = MIN(PAGE_SIZE - in_page, uio->resid);
		n = (size_t)MIN((uint64_t)n, vn->size - off);
		struct vm_page *pg;
		int err = vm_object_get_page(obj, off - in_page, &pg);
		if (err == 0) {
			/* Only the page's hold across the copy: it may fault on
			 * a mapping of this very file. */
			err = uio_move((uint8_t *)PA_TO_KVA(pg->pa) + in_page, n, uio, true);
			vm_object_release_page(obj, pg);
		}
		if (err < 0)
			return done > 0 ? done : err;
		done += (ssize_t)n;
	}
	return done;
}
