/*
 * Block I/O request manager. A caller fills a struct blk_request, submits
 * it, and waits on it; drivers take requests from the device's queue.
 * Several requests may be in flight on one device.
 */
#ifndef KERNEL_DEV_BLK_H
#define KERNEL_DEV_BLK_H

#include "kernel/types.h"
#include "kernel/lib/list.h"
#include "kernel/dev/dev.h"

#define BLK_SECTOR_SIZE 512

enum blk_op { BLK_READ, BLK_WRITE, BLK_FLUSH };
enum blk_reason { BLK_REASON_FS, BLK_REASON_SWAP, BLK_REASON_PAGEIN };

struct blk_request {
	/* filled by the caller */
	dev_id_t dev;
	enum blk_op op;
	uint64_t sector;        /* in 512-byte sectors */
	void *buf;              /* direct-map (kmalloc or page) kernel address */
	size_t len;             /* bytes, a multiple of BLK_SECTOR_SIZE */
	enum blk_reason reason;
	/* filled by the manager and the driver */
	int status;             /* 0 or -EIO */
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
	 * (status 0), or another -errno: the request fails with it. */
	int (*start)(struct device *dev, struct blk_request *req);
};

#define BLK_START_DONE  1
/* Largest request in bytes (one physically contiguous buffer). */
#define BLK_MAX_BYTES   (4UL << 20)

/* Set up the request manager (dev_init calls it before probing disks). */
void blk_init(void);
/* Make dev (a DEV_BLOCK device) a disk of nsectors served by ops.
 * Returns 0, -EINVAL (not a block device) or -EEXIST (unit taken). */
int blk_register(struct device *dev, const struct blk_driver_ops *ops,
		 uint64_t nsectors);
/* Queue req. Returns 0, -ENODEV (no such disk) or -EINVAL (length not a
 * positive multiple of BLK_SECTOR_SIZE up to BLK_MAX_BYTES, or sectors
 * past the end of the disk). */
int blk_submit(struct blk_request *req);
/* Sleep until req is done (signals do not end the wait: the device owns
 * the buffer until then); returns its status. Process context only. */
int blk_wait(struct blk_request *req);
/* Called by a driver (from its interrupt handler) when req is done. */
void blk_complete(struct blk_request *req, int status, size_t bytes);
/* Submit and wait. */
int blk_rw(dev_id_t dev, enum blk_op op, uint64_t sector, void *buf,
	   size_t len, enum blk_reason reason);
/* Size of a disk in sectors, 0 if none. */
uint64_t blk_nsectors(dev_id_t dev);

#endif
