/*
 * Block I/O request manager: one queue per disk. Callers submit requests
 * and wait on them (process context); drivers start them from the queue and
 * complete them from their interrupt handlers. Never touches the hardware.
 *
 * Lock order: blk_lock, then a driver's own lock (ops->start runs under
 * blk_lock), then proc/scheduler locks (sched_wakeup). So a driver never
 * calls blk_complete while holding its own lock.
 */
#include "kernel/dev/blk.h"
#include "kernel/errno.h"
#include "kernel/lock.h"
#include "kernel/lib/printk.h"
#include "kernel/proc/sched.h"
#include "arch/riscv/vmparam.h"

/*
 * One disk, indexed by its DEV_BLOCK unit.
 * Locking: (b) blk_lock; (c) set by blk_register, constant after.
 * Invariant: a request is on queue iff submitted and not yet started;
 *   inflight == requests started and not yet completed.
 */
struct blk_disk {
	struct device *dev;                     /* (c) NULL: no disk */
	const struct blk_driver_ops *ops;       /* (c) */
	uint64_t nsectors;                      /* (c) */
	struct list_node queue;                 /* (b) waiting to start */
	uint64_t inflight;                      /* (b) */
	uint64_t nrequests, nbytes, nerrors;    /* (b) ever */
};

static struct spinlock blk_lock = SPINLOCK_INIT("blk");
static struct blk_disk disks[DEV_MAX_UNITS + 1];        /* (b) [0] unused */

void blk_init(void)
{
	spin_init(&blk_lock, "blk");
	for (int i = 0; i <= DEV_MAX_UNITS; i++)
		list_init(&disks[i].queue);
}

/* The disk behind id, or NULL. => blk_lock held. */
static struct blk_disk *disk_lookup(dev_id_t id)
{
	unsigned unit = DEV_ID_UNIT(id);

	if (DEV_ID_KIND(id) != DEV_BLOCK || unit < 1 || unit > DEV_MAX_UNITS ||
	    disks[unit].dev == NULL)
		return NULL;
	return &disks[unit];
}

int blk_register(struct device *dev, const struct blk_driver_ops *ops,
		 uint64_t nsectors)
{
	struct blk_disk *d;
	int rc = 0;

	if (DEV_ID_KIND(dev->id) != DEV_BLOCK || DEV_ID_UNIT(dev->id) < 1 ||
	    DEV_ID_UNIT(dev->id) > DEV_MAX_UNITS)
		return -EINVAL;
	spin_lock(&blk_lock);
	d = &disks[DEV_ID_UNIT(dev->id)];
	if (d->dev != NULL) {
		rc = -EEXIST;
	} else {
		d->dev = dev;
		d->ops = ops;
		d->nsectors = nsectors;
		list_init(&d->queue);
	}
	spin_unlock(&blk_lock);
	return rc;
}

/* Is req a valid request for disk d? Returns 0 or -EINVAL. */
static int blk_check(const struct blk_disk *d, const struct blk_request *req)
{
	uint64_t nsect = req->len / BLK_SECTOR_SIZE;

	if (req->op == BLK_FLUSH)
		return 0;
	if (req->op != BLK_READ && req->op != BLK_WRITE)
		return -EINVAL;
	if (req->len == 0 || req->len % BLK_SECTOR_SIZE != 0 || req->len > BLK_MAX_BYTES)
		return -EINVAL;
	if ((vaddr_t)req->buf < DIRECT_MAP_BASE ||
	    (vaddr_t)req->buf - DIRECT_MAP_BASE > DIRECT_MAP_SIZE - req->len)
		return -EINVAL;         /* devices need a physical address */
	if (req->sector > d->nsectors || nsect > d->nsectors - req->sector)
		return -EINVAL;
	return 0;
}

/* Mark req finished and wake its waiter. => blk_lock held. */
static void blk_finish(struct blk_disk *d, struct blk_request *req, int status,
		       size_t bytes)
{
	req->status = status;
	req->bytes = bytes;
	d->nrequests++;
	d->nbytes += bytes;
	d->nerrors += status != 0;
	req->done = true;
	sched_wakeup(req);
}

/* Start queued requests until the driver is full. => blk_lock held. */
static void blk_kick(struct blk_disk *d)
{
	while (!list_empty(&d->queue)) {
		struct blk_request *req = list_entry(d->queue.next, struct blk_request, link);
		int rc = d->ops->start(d->dev, req);

		if (rc == -EAGAIN)
			break;
		list_remove(&req->link);
		if (rc == 0)
			d->inflight++;
		else if (rc == BLK_START_DONE)
			blk_finish(d, req, 0, 0);
		else
			blk_finish(d, req, rc, 0);
	}
}

/* Queue req and start it if the device has room. Any context.
 * Returns 0, -ENODEV or -EINVAL (see blk.h). */
int blk_submit(struct blk_request *req)
{
	struct blk_disk *d;
	int rc;

	spin_lock(&blk_lock);
	d = disk_lookup(req->dev);
	rc = d == NULL ? -ENODEV : blk_check(d, req);
	if (rc == 0) {
		req->status = 0;
		req->bytes = 0;
		req->done = false;
		req->drv = NULL;
		list_push_back(&d->queue, &req->link);
		blk_kick(d);
	}
	spin_unlock(&blk_lock);
	return rc;
}

/* Sleep until req is done; returns its status (0 or -EIO).
 * => process context, no spinlock held. */
int blk_wait(struct blk_request *req)
{
	int status;

	spin_lock(&blk_lock);
	while (!req->done)
		sched_sleep_noint(req, &blk_lock);
	status = req->status;
	spin_unlock(&blk_lock);
	return status;
}

/* A driver finished req (status 0 or -EIO, bytes transferred). Called from
 * the driver's interrupt handler without the driver's lock held. */
void blk_complete(struct blk_request *req, int status, size_t bytes)
{
	struct blk_disk *d;

	spin_lock(&blk_lock);
	d = disk_lookup(req->dev);
	KASSERT(d != NULL && d->inflight > 0, "request for %x not in flight", req->dev);
	d->inflight--;
	blk_finish(d, req, status, bytes);
	blk_kick(d);
	spin_unlock(&blk_lock);
}

/* Submit and wait: len bytes at sector to or from buf (a direct-map
 * address). Returns 0, -ENODEV, -EINVAL or -EIO. Process context. */
int blk_rw(dev_id_t dev, enum blk_op op, uint64_t sector, void *buf,
	   size_t len, enum blk_reason reason)
{
	struct blk_request req = {
		.dev = dev, .op = op, .sector = sector, .buf = buf, .len = len,
		.reason = reason,
	};
	int rc = blk_submit(&req);

	if (rc != 0)
		return rc;
	return blk_wait(&req);
}

uint64_t blk_nsectors(dev_id_t dev)
{
	struct blk_disk *d;
	uint64_t n;

	spin_lock(&blk_lock);
	d = disk_lookup(dev);
	n = d == NULL ? 0 : d->nsectors;
	spin_unlock(&blk_lock);
	return n;
}
