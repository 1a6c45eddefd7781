/*
 * Raw block device nodes (kernel/dev/blkdev.h): read, write and lseek of
 * a whole disk at any byte offset and length, through the block request
 * manager. Each read or write goes in chunks of up to BLKDEV_CHUNK_PAGES
 * bounce pages (as many as the disk takes segments), one scatter-gather
 * segment per page; a write that starts
 * or ends inside a sector first reads the chunk (read-modify-write).
 * Opened through devfs; knows nothing of file systems or swap, only the
 * disk claims of kernel/dev/blk.h.
 */
#include "kernel/dev/blkdev.h"
#include "kernel/dev/blk.h"
#include "kernel/dev/chrdev.h"
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/uio.h"
#include "kernel/fs/vfs.h"
#include "kernel/vm/page.h"
#include "arch/riscv/vmparam.h"

#define BLKDEV_CHUNK_PAGES      BLK_MAX_SEGS    /* pages (segments) per request */

/* One chunk's bounce pages and the segments over them. */
struct blkdev_chunk {
	struct vm_page *pg[BLKDEV_CHUNK_PAGES];
	struct blk_seg seg[BLKDEV_CHUNK_PAGES];
	unsigned npages;                /* pages allocated */
};

dev_t blkdev_rdev(dev_id_t dev)
{
	return RDEV_MAKE(VIRTBLK_MAJOR, (DEV_ID_UNIT(dev) - 1) * VIRTBLK_DISK_MINORS);
}

dev_id_t blkdev_disk(dev_t rdev)
{
	unsigned minor = RDEV_MINOR(rdev);
	dev_id_t dev = DEV_ID(DEV_BLOCK, minor / VIRTBLK_DISK_MINORS + 1);

	if (RDEV_MAJOR(rdev) != VIRTBLK_MAJOR || minor % VIRTBLK_DISK_MINORS != 0 ||
	    minor / VIRTBLK_DISK_MINORS >= DEV_MAX_UNITS || blk_nsectors(dev) == 0)
		return 0;
	return dev;
}

uint64_t blkdev_size(dev_t rdev)
{
	dev_id_t dev = blkdev_disk(rdev);

	return dev == 0 ? 0 : blk_nsectors(dev) * BLK_SECTOR_SIZE;
}

static dev_id_t blkdev_file_disk(const struct file *f)
{
	return (dev_id_t)(uintptr_t)f->priv;
}

/* Allocate up to n bounce pages (at least one). 0 or -ENOMEM. */
static int blkdev_chunk_alloc(struct blkdev_chunk *c, unsigned n)
{
	c->npages = 0;
	while (c->npages < n) {
		struct vm_page *pg = vm_page_alloc1(0);

		if (pg == NULL)
			break;
		c->pg[c->npages++] = pg;
	}
	return c->npages > 0 ? 0 : -ENOMEM;
}

static void blkdev_chunk_free(struct blkdev_chunk *c)
{
	for (unsigned i = 0; i < c->npages; i++)
		vm_page_free(c->pg[i], 0);
	c->npages = 0;
}

/* Submit one request of len bytes (a multiple of the sector size, at most
 * c->npages pages) at byte first of dev over c's pages, one segment per
 * page, and wait. Returns 0, -EIO or -EINVAL. */
static int blkdev_io(dev_id_t dev, enum blk_op op, uint64_t first, size_t len,
		     struct blkdev_chunk *c)
{
	struct blk_request req = {
		.dev = dev, .op = op, .sector = first / BLK_SECTOR_SIZE, .len = len,
		.reason = BLK_REASON_FS, .segs = c->seg,
	};
	int err;

	for (size_t done = 0; done < len; done += PAGE_SIZE, req.nsegs++) {
		c->seg[req.nsegs].buf = PA_TO_KVA(vm_page_to_pa(c->pg[req.nsegs]));
		c->seg[req.nsegs].len = MIN((size_t)PAGE_SIZE, len - done);
	}
	err = blk_submit(&req);
	return err < 0 ? err : blk_wait(&req);
}

/* Move n bytes between byte skip of the chunk's pages and the uio. On an
 * error the uio is as it was. Returns 0, -EFAULT or -EINTR. */
static int blkdev_move(struct blkdev_chunk *c, size_t skip, size_t n, struct uio *uio,
		       bool to_uio)
{
	struct uio saved = *uio;

	while (n > 0) {
		char *page = PA_TO_KVA(vm_page_to_pa(c->pg[skip / PAGE_SIZE]));
		size_t off = skip % PAGE_SIZE, m = MIN(n, PAGE_SIZE - off);
		int err = uio_move(page + off, m, uio, to_uio);

		if (err < 0) {
			*uio = saved;
			return err;
		}
		skip += m;
		n -= m;
	}
	return 0;
}

/* One chunk at uio->offset (< size): at most c->npages pages of disk,
 * sector-aligned around the bytes asked for. Returns the bytes moved or
 * -errno (the uio then unchanged). */
static ssize_t blkdev_chunk_rw(dev_id_t dev, uint64_t size, struct blkdev_chunk *c,
			       struct uio *uio, bool write)
{
	uint64_t off = (uint64_t)uio->offset;
	uint64_t first = off / BLK_SECTOR_SIZE * BLK_SECTOR_SIZE;
	uint64_t end = MIN(off + uio->resid, size);
	uint64_t last = ROUNDUP(end, BLK_SECTOR_SIZE);
	int err;

	if (last - first > (uint64_t)c->npages * PAGE_SIZE) {
		last = first + (uint64_t)c->npages * PAGE_SIZE;
		end = last;
	}
	if (!write || first != off || last != end) {
		err = blkdev_io(dev, BLK_READ, first, last - first, c);
		if (err < 0)
			return err;
	}
	err = blkdev_move(c, off - first, end - off, uio, !write);
	if (err == 0 && write) {
		err = blkdev_io(dev, BLK_WRITE, first, last - first, c);
		if (err < 0) {
			uio->addr -= end - off;         /* nothing was written */
			uio->resid += end - off;
			uio->offset = (off_t)off;
		}
	}
	return err < 0 ? err : (ssize_t)(end - off);
}

/* Read or write the disk at uio->offset. Reads end at the end of the
 * disk (0 there); a write there is -ENOSPC. Returns the bytes moved, or
 * the error if none moved (-EIO, -EFAULT, -EINTR, -ENOMEM, -EINVAL). */
static ssize_t blkdev_rw(struct file *f, struct uio *uio, bool write)
{
	dev_id_t dev = blkdev_file_disk(f);
	uint64_t size = blk_nsectors(dev) * BLK_SECTOR_SIZE;
	struct blkdev_chunk c;
	ssize_t done = 0;
	int err;

	if (uio->offset < 0)
		return -EINVAL;
	if (uio->resid == 0)
		return 0;
	if ((uint64_t)uio->offset >= size)
		return write ? -ENOSPC : 0;
	err = blkdev_chunk_alloc(&c, MIN((unsigned)BLKDEV_CHUNK_PAGES, blk_max_segs(dev)));
	if (err < 0)
		return err;
	while (uio->resid > 0 && (uint64_t)uio->offset < size) {
		ssize_t n = blkdev_chunk_rw(dev, size, &c, uio, write);

		if (n < 0) {
			if (done == 0)
				done = n;
			break;
		}
		done += n;
	}
	blkdev_chunk_free(&c);
	return done;
}

static ssize_t blkdev_read(struct file *f, struct uio *uio)
{
	return blkdev_rw(f, uio, false);
}

static ssize_t blkdev_write(struct file *f, struct uio *uio)
{
	return blkdev_rw(f, uio, true);
}

static int blkdev_stat(struct file *f, struct stat *st)
{
	return vfs_stat(f->vnode, st);
}

static bool blkdev_writes(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY;
}

static void blkdev_close(struct file *f)
{
	if (blkdev_writes(f->flags))
		blk_unclaim(blkdev_file_disk(f), BLK_CLAIM_WRITER);
	vnode_put(f->vnode);
}

static const struct file_ops blkdev_fops = {
	.read = blkdev_read,
	.write = blkdev_write,
	.stat = blkdev_stat,
	.close = blkdev_close,
};

/* See blkdev.h. */
int blkdev_open(struct vnode *vn, unsigned int minor, int flags, struct file **out)
{
	dev_id_t dev = blkdev_disk(RDEV_MAKE(VIRTBLK_MAJOR, minor));
	struct file *f;
	int err;

	if (dev == 0)
		return -ENXIO;
	if (blkdev_writes(flags)) {
		err = blk_claim(dev, BLK_CLAIM_WRITER);
		if (err < 0)
			return err;
	}
	f = file_alloc(&blkdev_fops, flags & (O_ACCMODE | O_APPEND | O_NONBLOCK));
	if (f == NULL) {
		if (blkdev_writes(flags))
			blk_unclaim(dev, BLK_CLAIM_WRITER);
		return -ENOMEM;
	}
	vnode_ref(vn);
	f->vnode = vn;
	f->priv = (void *)(uintptr_t)dev;
	*out = f;
	return 0;
}
