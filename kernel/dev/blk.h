/*
 * Block I/O request manager. A caller fills a struct blk_request, submits
 * it, and either waits on it (blk_wait) or is called back when it is done
 * (done_fn); drivers take requests from the device's queue. Several
 * requests may be in flight on one device. A request's data is one
 * buffer or a list of segments (scatter-gather), all direct-map kernel
 * addresses.
 */
#ifndef KERNEL_DEV_BLK_H
#define KERNEL_DEV_BLK_H

#include "kernel/types.h"
#include "kernel/lib/list.h"
#include "kernel/dev/dev.h"

#define BLK_SECTOR_SIZE 512

enum blk_op { BLK_READ, BLK_WRITE, BLK_FLUSH };
enum blk_reason { BLK_REASON_FS, BLK_REASON_SWAP, BLK_REASON_PAGEIN };

/* One piece of a scatter-gather request: len bytes at buf, a direct-map
 * kernel address (physically contiguous); len a positive multiple of
 * BLK_SECTOR_SIZE. */
struct blk_seg {
	void *buf;
	size_t len;
};

/* Most segments in one request (a page-out batch of 32 pages). */
#define BLK_MAX_SEGS    32

struct blk_request {
	/* filled by the caller (zero what it does not use) */
	dev_id_t dev;
	enum blk_op op;
	uint64_t sector;        /* in 512-byte sectors */
	void *buf;              /* direct-map (kmalloc or page) kernel address;
				 * ignored when nsegs > 0 */
	size_t len;             /* bytes, a multiple of BLK_SECTOR_SIZE; with
				 * segments, the sum of their lengths */
	enum blk_reason reason;
	const struct blk_seg *segs;     /* nsegs > 0: the data is these, in
					 * order (they stay the caller's and
					 * must live until the request is done) */
	unsigned nsegs;                 /* 0: one buffer, buf */
	/* Optional: called once when the request is done, after status,
	 * bytes and done are set, with no block-layer lock held, from the
	 * completion context (an interrupt handler, or blk_submit's caller
	 * when the request finishes at once): it must not sleep. It may
	 * submit other requests. From the call on, the request belongs to
	 * done_fn: the manager never touches it again, so done_fn may free
	 * it (then nobody may blk_wait on it). */
	void (*done_fn)(struct blk_request *req);
	void *done_arg;                 /* for done_fn; the manager ignores it */
	/* filled by the manager and the driver */
	int status;             /* 0, -EIO, or the driver's start error */
	size_t bytes;           /* bytes transferred */
	volatile bool done;
	struct list_node link;  /* on the device queue */
	void *drv;              /* driver's per-request state */
};

/* A block driver, registered by the driver when it probes a disk. */
struct blk_driver_ops {
	/* Start req; called with the manager's lock held; must not sleep
	 * and must not call blk_complete. Returns 0 if started, -EAGAIN if
	 * the device is full (it stays queued and is retried at the next
	 * completion), BLK_START_DONE if it finished at once without I/O
	 * (status 0), or another -errno: the request fails with it.
	 * A request has at most the max_segs segments given to blk_register
	 * (blk_submit refuses more). */
	int (*start)(struct device *dev, struct blk_request *req);
};

#define BLK_START_DONE  1
/* Largest request in bytes (one buffer or the sum of its segments). */
#define BLK_MAX_BYTES   (4UL << 20)

/* Set up the request manager (dev_init calls it before probing disks). */
void blk_init(void);
/* Make dev (a DEV_BLOCK device) a disk of nsectors served by ops, taking
 * requests of up to max_segs segments (1..BLK_MAX_SEGS; a one-buffer
 * request counts as one). Returns 0, -EINVAL (not a block device, or
 * max_segs out of range) or -EEXIST (unit taken). */
int blk_register(struct device *dev, const struct blk_driver_ops *ops,
		 uint64_t nsectors, unsigned max_segs);
/* Queue req. Any context; never sleeps. Returns 0 (req will complete:
 * done_fn, if any, is called exactly once, possibly before blk_submit
 * returns), -ENODEV (no such disk) or -EINVAL (an op other than the
 * three; length not a positive multiple of BLK_SECTOR_SIZE up to
 * BLK_MAX_BYTES; with segments: more than BLK_MAX_SEGS or than the disk
 * takes, a segment length not a positive multiple of BLK_SECTOR_SIZE,
 * lengths not summing to len; a buffer outside the direct map; sectors
 * past the end of the disk). On an error the request was not queued and
 * done_fn is not called. */
int blk_submit(struct blk_request *req);
/* Sleep until req is done (signals do not end the wait: the device owns
 * the buffers until then); if req has a done_fn, also until that has
 * returned (so done_fn must not free a request someone waits on).
 * Returns its status. Process context only, no spinlock held. */
int blk_wait(struct blk_request *req);
/* Called by a driver (from its interrupt handler) when req is done.
 * => no driver lock held (it may start the next request). */
void blk_complete(struct blk_request *req, int status, size_t bytes);
/* Submit and wait. */
int blk_rw(dev_id_t dev, enum blk_op op, uint64_t sector, void *buf,
	   size_t len, enum blk_reason reason);
/* Size of a disk in sectors, 0 if none. */
uint64_t blk_nsectors(dev_id_t dev);
/* Most segments one request to dev may have, 0 if no such disk. */
unsigned blk_max_segs(dev_id_t dev);

/*
 * Claims: who may write a disk besides the request manager's in-kernel
 * users. An exclusive claim (the swap device, a mounted file system)
 * keeps every other claim out; writer claims (raw device nodes open for
 * writing) share the disk among themselves. Each returns 0, -EBUSY (the
 * disk is claimed in a way that excludes this claim) or -ENODEV.
 * blk_unclaim drops one claim of that kind. Take blk_lock.
 */
enum blk_claim { BLK_CLAIM_EXCL, BLK_CLAIM_WRITER };
int blk_claim(dev_id_t dev, enum blk_claim kind);
void blk_unclaim(dev_id_t dev, enum blk_claim kind);

/* Check the request manager and dev's driver with reads only (boot, on
 * the swap disk before it is attached): many scatter-gather requests in
 * flight at once, done_fn called exactly once and before blk_wait
 * returns, data equal to one-buffer reads, bad requests refused. Panics
 * on a failure (a kernel bug). Returns 0, -ENODEV (disk too small, or
 * taking fewer than BLK_MAX_SEGS segments: nothing checked) or -ENOMEM.
 * Process context; one caller at a time. */
int blk_selftest(dev_id_t dev);

/* Name of the raw device node of disk dev as Linux names virtio disks:
 * unit 1 is "vda", unit 2 "vdb", ... (kernel/dev/blkdev.c). buf holds at
 * least BLK_NODE_NAME_MAX bytes. */
#define BLK_NODE_NAME_MAX       8
static inline void blk_node_name(dev_id_t dev, char *buf)
{
	buf[0] = 'v';
	buf[1] = 'd';
	buf[2] = (char)('a' + DEV_ID_UNIT(dev) - 1);
	buf[3] = '\0';
}

#endif
