/*
 * Block I/O request manager: one queue per disk. Callers submit requests
 * and wait on them (process context) or are called back (done_fn); drivers
 * start them from the queue and complete them from their interrupt
 * handlers. Never touches the hardware.
 *
 * Lock order: blk_lock, then a driver's own lock (ops->start runs under
 * blk_lock), then proc/scheduler locks (sched_wakeup). So a driver never
 * calls blk_complete while holding its own lock. A done_fn runs with no
 * lock of ours held (blk_lock is dropped around the call), so it may take
 * any spinlock its caller's context allows and may submit requests.
 *
 * The life of a request: blk_submit checks it and puts it on its disk's
 * queue; blk_kick hands it to the driver (or finishes it at once);
 * blk_complete finishes it; blk_finish sets status, bytes and done and
 * wakes blk_wait, or calls done_fn. Once done_fn is called the manager
 * never touches the request again (done_fn may free it): a waiter learns
 * that done_fn has returned from a marker on the disk's callbacks list
 * that names the request only by its address.
 */
#include "kernel/dev/blk.h"
#include "kernel/errno.h"
#include "kernel/lock.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "kernel/proc/sched.h"
#include "kernel/vm/page.h"
#include "arch/riscv/vmparam.h"

/*
 * One disk, indexed by its DEV_BLOCK unit.
 * Locking: (b) blk_lock; (c) set by blk_register, constant after.
 * Invariants: a request is on queue iff submitted and not yet started;
 *   inflight == requests started and not yet completed;
 *   a blk_callback is on callbacks iff its request's done_fn is running;
 *   nexcl <= 1 and (nexcl == 0 || nwriters == 0).
 */
struct blk_disk {
	struct device *dev;                     /* (c) NULL: no disk */
	const struct blk_driver_ops *ops;       /* (c) */
	uint64_t nsectors;                      /* (c) */
	unsigned max_segs;                      /* (c) */
	struct list_node queue;                 /* (b) waiting to start */
	struct list_node callbacks;             /* (b) done_fn calls running */
	uint64_t inflight;                      /* (b) */
	unsigned nexcl, nwriters;               /* (b) claims */
	uint64_t nrequests, nbytes, nerrors;    /* (b) ever */
};

/* A done_fn call in progress, on its disk's callbacks list (on the stack
 * of the hart making the call). req is a key, never dereferenced. */
struct blk_callback {
	const struct blk_request *req;
	struct list_node link;
};

static struct spinlock blk_lock = SPINLOCK_INIT("blk");
static struct blk_disk disks[DEV_MAX_UNITS + 1];        /* (b) [0] unused */

void blk_init(void)
{
	spin_init(&blk_lock, "blk");
	for (int i = 0; i <= DEV_MAX_UNITS; i++) {
		list_init(&disks[i].queue);
		list_init(&disks[i].callbacks);
	}
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
		 uint64_t nsectors, unsigned max_segs)
{
	struct blk_disk *d;
	int rc = 0;

	if (DEV_ID_KIND(dev->id) != DEV_BLOCK || DEV_ID_UNIT(dev->id) < 1 ||
	    DEV_ID_UNIT(dev->id) > DEV_MAX_UNITS || max_segs < 1 ||
	    max_segs > BLK_MAX_SEGS)
		return -EINVAL;
	spin_lock(&blk_lock);
	d = &disks[DEV_ID_UNIT(dev->id)];
	if (d->dev != NULL) {
		rc = -EEXIST;
	} else {
		d->dev = dev;
		d->ops = ops;
		d->nsectors = nsectors;
		d->max_segs = max_segs;
		list_init(&d->queue);
		list_init(&d->callbacks);
	}
	spin_unlock(&blk_lock);
	return rc;
}

/* Is [buf, buf + len) inside the direct map (so it has a physical
 * address a device can use)? */
static bool blk_buf_ok(const void *buf, size_t len)
{
	vaddr_t va = (vaddr_t)buf;

	return va >= DIRECT_MAP_BASE && len <= DIRECT_MAP_SIZE &&
	       va - DIRECT_MAP_BASE <= DIRECT_MAP_SIZE - len;
}

/* Are req's segments valid for disk d, summing to req->len? 0 or -EINVAL. */
static int blk_check_segs(const struct blk_disk *d, const struct blk_request *req)
{
	size_t sum = 0;

	if (req->nsegs > BLK_MAX_SEGS || req->nsegs > d->max_segs || req->segs == NULL)
		return -EINVAL;
	for (unsigned i = 0; i < req->nsegs; i++) {
		size_t len = req->segs[i].len;

		if (len == 0 || len % BLK_SECTOR_SIZE != 0 || len > BLK_MAX_BYTES ||
		    !blk_buf_ok(req->segs[i].buf, len))
			return -EINVAL;
		sum += len;
	}
	return sum == req->len ? 0 : -EINVAL;
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
	if (req->nsegs > 0 ? blk_check_segs(d, req) < 0 : !blk_buf_ok(req->buf, req->len))
		return -EINVAL;         /* devices need physical addresses */
	if (req->sector > d->nsectors || nsect > d->nsectors - req->sector)
		return -EINVAL;
	return 0;
}

/* Call req's done_fn with blk_lock released, then wake a blk_wait that
 * waits for the call to end. => blk_lock held; returns with it held
 * (dropped meanwhile). Never touches req after the call. */
static void blk_call_done(struct blk_disk *d, struct blk_request *req)
{
	struct blk_callback cb = { .req = req };
	void (*fn)(struct blk_request *) = req->done_fn;

	list_push_back(&d->callbacks, &cb.link);
	spin_unlock(&blk_lock);
	fn(req);
	spin_lock(&blk_lock);
	list_remove(&cb.link);
	sched_wakeup((void *)cb.req);   /* a channel: the address only */
}

/* Is a done_fn call for req running? => blk_lock held. */
static bool blk_callback_running(const struct blk_disk *d, const struct blk_request *req)
{
	struct list_node *pos;

	list_for_each(pos, &d->callbacks)
		if (list_entry(pos, struct blk_callback, link)->req == req)
			return true;
	return false;
}

/* Mark req finished, then wake its waiter or call its done_fn (which may
 * drop blk_lock for the call). => blk_lock held. */
static void blk_finish(struct blk_disk *d, struct blk_request *req, int status,
		       size_t bytes)
{
	req->status = status;
	req->bytes = bytes;
	d->nrequests++;
	d->nbytes += bytes;
	d->nerrors += status != 0;
	req->done = true;
	if (req->done_fn != NULL)
		blk_call_done(d, req);
	else
		sched_wakeup(req);
}

/* Start queued requests until the driver is full. => blk_lock held (it
 * may be dropped and retaken for a done_fn; the queue is read afresh
 * each round). */
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

/* Sleep until req is done and its done_fn (if any) has returned; returns
 * its status. => process context, no spinlock held. */
int blk_wait(struct blk_request *req)
{
	struct blk_disk *d;
	int status;

	spin_lock(&blk_lock);
	d = disk_lookup(req->dev);
	KASSERT(d != NULL, "blk_wait: request for %x, no such disk", req->dev);
	while (!req->done || blk_callback_running(d, req))
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

unsigned blk_max_segs(dev_id_t dev)
{
	struct blk_disk *d;
	unsigned n;

	spin_lock(&blk_lock);
	d = disk_lookup(dev);
	n = d == NULL ? 0 : d->max_segs;
	spin_unlock(&blk_lock);
	return n;
}

/* See blk.h: an exclusive claim needs no claim at all; a writer claim
 * needs no exclusive one. */
int blk_claim(dev_id_t dev, enum blk_claim kind)
{
	struct blk_disk *d;
	int rc = 0;

	spin_lock(&blk_lock);
	d = disk_lookup(dev);
	if (d == NULL)
		rc = -ENODEV;
	else if (d->nexcl > 0 || (kind == BLK_CLAIM_EXCL && d->nwriters > 0))
		rc = -EBUSY;
	else if (kind == BLK_CLAIM_EXCL)
		d->nexcl++;
	else
		d->nwriters++;
	spin_unlock(&blk_lock);
	return rc;
}

/* See blk.h. Panics if no such claim is held (a caller's bug). */
void blk_unclaim(dev_id_t dev, enum blk_claim kind)
{
	struct blk_disk *d;

	spin_lock(&blk_lock);
	d = disk_lookup(dev);
	KASSERT(d != NULL, "blk_unclaim: no disk %x", dev);
	if (kind == BLK_CLAIM_EXCL) {
		KASSERT(d->nexcl == 1, "blk_unclaim: %s not claimed", d->dev->name);
		d->nexcl--;
	} else {
		KASSERT(d->nwriters > 0, "blk_unclaim: %s has no writer", d->dev->name);
		d->nwriters--;
	}
	spin_unlock(&blk_lock);
}

/* ---------------------------------------------------------------- self-check */

#define SELFTEST_REQS   8                       /* requests submitted at once */
#define SELFTEST_PAGES  16                      /* pages per request */
#define SELFTEST_BYTES  (SELFTEST_PAGES * PAGE_SIZE)
#define SELFTEST_ORDER  4                       /* 2^4 = SELFTEST_PAGES */
#define SELFTEST_SPLIT  1536                    /* bytes of a page's first segment */

_Static_assert(2 * SELFTEST_PAGES == BLK_MAX_SEGS, "two segments per page");
_Static_assert((1 << SELFTEST_ORDER) == SELFTEST_PAGES, "reference block order");

/* One request of the self-check and its buffers. */
struct selftest_req {
	struct blk_request req;
	struct blk_seg seg[BLK_MAX_SEGS];
	struct vm_page *pg[SELFTEST_PAGES];
};

static void selftest_done(struct blk_request *req)
{
	int *calls = req->done_arg;

	KASSERT(req->done, "blk_selftest: done_fn called before done was set");
	__atomic_add_fetch(calls, 1, __ATOMIC_RELAXED);
}

/* Requests blk_submit must refuse, none of them calling done_fn. */
static void selftest_refusals(dev_id_t dev, struct selftest_req *t, int *calls)
{
	struct blk_request r = t->req;
	struct blk_seg bad[2] = { t->seg[0], t->seg[1] };
	int before = *calls, local;

	r.nsegs = BLK_MAX_SEGS + 1;
	KASSERT(blk_submit(&r) == -EINVAL, "blk_selftest: %u segments accepted", r.nsegs);
	r = t->req;
	r.segs = bad;
	r.nsegs = 2;
	r.len = bad[0].len + bad[1].len + BLK_SECTOR_SIZE;
	KASSERT(blk_submit(&r) == -EINVAL, "blk_selftest: segment sum != len accepted");
	bad[1].len = BLK_SECTOR_SIZE / 2;
	r.len = bad[0].len + bad[1].len;
	KASSERT(blk_submit(&r) == -EINVAL, "blk_selftest: a half-sector segment accepted");
	bad[1].len = BLK_SECTOR_SIZE;
	bad[1].buf = &local;                    /* a stack address: not the direct map */
	r.len = bad[0].len + bad[1].len;
	KASSERT(blk_submit(&r) == -EINVAL, "blk_selftest: a buffer outside the direct map");
	r.dev = DEV_ID(DEV_BLOCK, DEV_MAX_UNITS);
	KASSERT(dev == r.dev || blk_submit(&r) == -ENODEV, "blk_selftest: no disk, no -ENODEV");
	KASSERT(*calls == before, "blk_selftest: done_fn called for a refused request");
}

/* Fill t with a read of SELFTEST_BYTES at sector of dev into its pages,
 * two uneven segments per page, calling selftest_done. 0 or -ENOMEM. */
static int selftest_prepare(struct selftest_req *t, dev_id_t dev, uint64_t sector,
			    int *calls)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < SELFTEST_PAGES; i++) {
		char *va;

		t->pg[i] = vm_page_alloc1(0);
		if (t->pg[i] == NULL)
			return -ENOMEM;
		va = PA_TO_KVA(vm_page_to_pa(t->pg[i]));
		t->seg[2 * i] = (struct blk_seg){ va, SELFTEST_SPLIT };
		t->seg[2 * i + 1] = (struct blk_seg){ va + SELFTEST_SPLIT, PAGE_SIZE - SELFTEST_SPLIT };
	}
	t->req = (struct blk_request){
		.dev = dev, .op = BLK_READ, .sector = sector, .len = SELFTEST_BYTES,
		.reason = BLK_REASON_FS, .segs = t->seg, .nsegs = BLK_MAX_SEGS,
		.done_fn = selftest_done, .done_arg = calls,
	};
	return 0;
}

static void selftest_release(struct selftest_req *t)
{
	for (int i = 0; i < SELFTEST_PAGES; i++)
		if (t->pg[i] != NULL)
			vm_page_free(t->pg[i], 0);
}

/* Each request's pages against a one-buffer read of the same sectors. */
static void selftest_compare(dev_id_t dev, struct selftest_req *t, int n, char *ref)
{
	for (int r = 0; r < n; r++) {
		int err = blk_rw(dev, BLK_READ, t[r].req.sector, ref, SELFTEST_BYTES,
				 BLK_REASON_FS);

		KASSERT(err == 0, "blk_selftest: reference read failed (%d)", err);
		for (int i = 0; i < SELFTEST_PAGES; i++)
			KASSERT(memcmp(PA_TO_KVA(vm_page_to_pa(t[r].pg[i])),
				       ref + i * PAGE_SIZE, PAGE_SIZE) == 0,
				"blk_selftest: request %d page %d differs from a one-buffer read",
				r, i);
	}
}

/*
 * See blk.h. SELFTEST_REQS reads of BLK_MAX_SEGS uneven segments each
 * (more descriptors together than a virtio queue has, so some wait for
 * others), all submitted before any is waited for: each done_fn runs
 * exactly once, before blk_wait returns; the data equals one-buffer
 * reads of the same sectors; bad requests are refused without a call.
 */
int blk_selftest(dev_id_t dev)
{
	static struct selftest_req t[SELFTEST_REQS];   /* boot only: one caller */
	struct vm_page *ref_pg;
	struct blk_request flush;
	int calls = 0, err = -ENOMEM;

	if (blk_nsectors(dev) < (uint64_t)SELFTEST_REQS * SELFTEST_BYTES / BLK_SECTOR_SIZE ||
	    blk_max_segs(dev) < BLK_MAX_SEGS)
		return -ENODEV;
	ref_pg = vm_page_alloc(SELFTEST_ORDER, VM_ZONE_ANY, 0);
	for (int r = 0; r < SELFTEST_REQS; r++)
		if (selftest_prepare(&t[r], dev, (uint64_t)r * SELFTEST_BYTES / BLK_SECTOR_SIZE,
				     &calls) < 0 || ref_pg == NULL)
			goto out;
	selftest_refusals(dev, &t[0], &calls);
	for (int r = 0; r < SELFTEST_REQS; r++)
		KASSERT(blk_submit(&t[r].req) == 0, "blk_selftest: request %d refused", r);
	for (int r = 0; r < SELFTEST_REQS; r++)
		KASSERT(blk_wait(&t[r].req) == 0 && t[r].req.bytes == SELFTEST_BYTES,
			"blk_selftest: request %d failed (%d)", r, t[r].req.status);
	KASSERT(calls == SELFTEST_REQS, "blk_selftest: %d done_fn calls for %d requests",
		calls, SELFTEST_REQS);
	selftest_compare(dev, t, SELFTEST_REQS, PA_TO_KVA(vm_page_to_pa(ref_pg)));
	flush = (struct blk_request){ .dev = dev, .op = BLK_FLUSH, .reason = BLK_REASON_FS,
				      .done_fn = selftest_done, .done_arg = &calls };
	KASSERT(blk_submit(&flush) == 0 && blk_wait(&flush) == 0 &&
		calls == SELFTEST_REQS + 1, "blk_selftest: flush done_fn calls %d", calls);
	err = 0;
out:
	for (int r = 0; r < SELFTEST_REQS; r++)
		selftest_release(&t[r]);
	if (ref_pg != NULL)
		vm_page_free(ref_pg, SELFTEST_ORDER);
	return err;
}
