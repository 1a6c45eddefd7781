/*
 * The buffer cache (kernel/fs/bcache.h): BCACHE_NBUF block buffers per file
 * system, found through a small hash, reused least-recently-used first.
 * It holds metadata only; file data lives in the page cache. Called by
 * file systems in process context only (it sleeps for disk I/O).
 */
#include "kernel/fs/bcache.h"
#include "kernel/dev/blk.h"
#include "kernel/errno.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "kernel/proc/sched.h"
#include "kernel/vm/kmem.h"

#define BCACHE_NHASH 64         /* hash chains, a power of two */

/*
 * Locking: (l) lock, (c) const.
 * Invariant: every buffer with inuse is on chain hash[blockno % NHASH];
 * the lru list holds exactly the buffers with refcnt == 0.
 */
struct bcache {
	struct spinlock lock;
	dev_id_t dev;                   /* (c) */
	size_t blocksize;               /* (c) bytes */
	int nbuf;                       /* (c) */
	struct buf *bufs;               /* (c) nbuf buffers */
	struct list_node hash[BCACHE_NHASH];    /* (l) */
	struct list_node lru;           /* (l) unreferenced buffers */
	int waiters;                    /* (l) sleepers wanting a buffer */
	uint64_t reads, writes;         /* (l) disk transfers */
};

static uint64_t bcache_sector(struct bcache *bc, uint64_t blockno)
{
	return blockno * (bc->blocksize / BLK_SECTOR_SIZE);
}

/* Allocate the cache and its buffers; NULL if memory runs out (the
 * partial allocation is kept: it is a one-time boot structure). */
struct bcache *bcache_create(dev_id_t dev, size_t blocksize, int nbuf)
{
	KASSERT(blocksize % BLK_SECTOR_SIZE == 0, "block size %lu", blocksize);
	struct bcache *bc = kzalloc(sizeof(*bc));
	if (bc == NULL)
		return NULL;
	bc->bufs = kzalloc(sizeof(struct buf) * nbuf);
	if (bc->bufs == NULL)
		return NULL;
	spin_init(&bc->lock, "bcache");
	bc->dev = dev;
	bc->blocksize = blocksize;
	bc->nbuf = nbuf;
	list_init(&bc->lru);
	for (int i = 0; i < BCACHE_NHASH; i++)
		list_init(&bc->hash[i]);
	for (int i = 0; i < nbuf; i++) {
		struct buf *b = &bc->bufs[i];
		mutex_init(&b->lock, "buf");
		b->cache = bc;
		b->data = kmalloc(blocksize);
		if (b->data == NULL)
			return NULL;
		list_init(&b->hash_link);
		list_push_back(&bc->lru, &b->lru);
	}
	return bc;
}

/* => bc->lock. The in-use buffer of blockno, or NULL. */
static struct buf *bcache_find(struct bcache *bc, uint64_t blockno)
{
	struct list_node *pos;
	list_for_each(pos, &bc->hash[blockno % BCACHE_NHASH]) {
		struct buf *b = list_entry(pos, struct buf, hash_link);
		if (b->blockno == blockno)
			return b;
	}
	return NULL;
}

/* => bc->lock. The least recently used free buffer, clean ones first,
 * or NULL if every buffer is referenced. */
static struct buf *bcache_victim(struct bcache *bc)
{
	struct buf *dirty = NULL;
	for (struct list_node *n = bc->lru.prev; n != &bc->lru; n = n->prev) {
		struct buf *b = list_entry(n, struct buf, lru);
		if (!b->dirty)
			return b;
		if (dirty == NULL)
			dirty = b;
	}
	return dirty;
}

/* Write b's block to disk. => b->lock. Returns 0 or -EIO; a buffer
 * whose write failed stays dirty (the caller decides what is lost). */
static int bcache_writeout(struct buf *b)
{
	struct bcache *bc = b->cache;
	int err = blk_rw(bc->dev, BLK_WRITE, bcache_sector(bc, b->blockno),
			 b->data, bc->blocksize, BLK_REASON_FS);
	spin_lock(&bc->lock);
	bc->writes++;
	spin_unlock(&bc->lock);
	/* A block that failed stays dirty: the next sync tries again. */
	b->dirty = err < 0;
	return err < 0 ? -EIO : 0;
}

/* Drop a reference taken under bc->lock; at zero the buffer goes on the
 * LRU list, at the front (recently used) or the back (reuse first). */
static void bcache_unref(struct buf *b, bool reuse_first)
{
	struct bcache *bc = b->cache;
	spin_lock(&bc->lock);
	KASSERT(b->refcnt > 0, "block %lu", b->blockno);
	if (--b->refcnt == 0) {
		if (reuse_first)
			list_push_back(&bc->lru, &b->lru);
		else
			list_push_front(&bc->lru, &b->lru);
		if (bc->waiters > 0)
			sched_wakeup(bc);
	}
	spin_unlock(&bc->lock);
}

/* Take the buffer of blockno, referenced but not locked: an existing one,
 * or a reused one with valid == false. Writes back a dirty victim first. */
static struct buf *bcache_lookup(struct bcache *bc, uint64_t blockno)
{
	for (;;) {
		spin_lock(&bc->lock);
		struct buf *b = bcache_find(bc, blockno);
		if (b != NULL) {
			if (b->refcnt++ == 0)
				list_remove(&b->lru);
			spin_unlock(&bc->lock);
			return b;
		}
		b = bcache_victim(bc);
		if (b == NULL) {
			bc->waiters++;
			sched_sleep_noint(bc, &bc->lock);
			bc->waiters--;
			spin_unlock(&bc->lock);
			continue;
		}
		list_remove(&b->lru);
		b->refcnt = 1;
		if (b->dirty) {
			/* Still the old block: write it, then look again. */
			spin_unlock(&bc->lock);
			mutex_lock(&b->lock);
			/* Not forgotten meanwhile. A block that cannot be
			 * written is lost here: say so once. */
			if (b->dirty && bcache_writeout(b) < 0) {
				printk("bcache: block %lu lost: write failed\n",
				       b->blockno);
				b->dirty = false;
			}
			mutex_unlock(&b->lock);
			bcache_unref(b, true);
			continue;
		}
		list_remove(&b->hash_link);
		b->blockno = blockno;
		b->inuse = true;
		b->valid = false;
		list_push_front(&bc->hash[blockno % BCACHE_NHASH], &b->hash_link);
		spin_unlock(&bc->lock);
		return b;
	}
}

int bcache_read(struct bcache *bc, uint64_t blockno, struct buf **out)
{
	struct buf *b = bcache_lookup(bc, blockno);
	mutex_lock(&b->lock);
	if (!b->valid) {
		int err = blk_rw(bc->dev, BLK_READ, bcache_sector(bc, blockno),
				 b->data, bc->blocksize, BLK_REASON_FS);
		spin_lock(&bc->lock);
		bc->reads++;
		spin_unlock(&bc->lock);
		if (err < 0) {
			printk("bcache: read of block %lu failed (%d)\n", blockno, err);
			bcache_release(b);
			return -EIO;
		}
		b->valid = true;
	}
	*out = b;
	return 0;
}

int bcache_get_zero(struct bcache *bc, uint64_t blockno, struct buf **out)
{
	struct buf *b = bcache_lookup(bc, blockno);
	mutex_lock(&b->lock);
	memset(b->data, 0, bc->blocksize);
	b->valid = true;
	*out = b;
	return 0;
}

void bcache_mark_dirty(struct buf *b)
{
	KASSERT(mutex_holding(&b->lock), "block %lu not locked", b->blockno);
	b->dirty = true;
}

void bcache_release(struct buf *b)
{
	mutex_unlock(&b->lock);
	bcache_unref(b, false);
}

void bcache_forget(struct bcache *bc, uint64_t blockno)
{
	spin_lock(&bc->lock);
	struct buf *b = bcache_find(bc, blockno);
	if (b == NULL) {
		spin_unlock(&bc->lock);
		return;
	}
	if (b->refcnt++ == 0)
		list_remove(&b->lru);
	spin_unlock(&bc->lock);
	/* Referenced, the buffer keeps its block until we let go. */
	mutex_lock(&b->lock);
	b->dirty = false;
	b->valid = false;
	mutex_unlock(&b->lock);
	bcache_unref(b, true);
}

/* Take a reference on buffer i if it holds a block; false if it is free. */
static bool bcache_hold(struct bcache *bc, struct buf *b)
{
	spin_lock(&bc->lock);
	bool held = b->inuse;
	if (held && b->refcnt++ == 0)
		list_remove(&b->lru);
	spin_unlock(&bc->lock);
	return held;
}

int bcache_sync(struct bcache *bc)
{
	int err = 0;
	for (int i = 0; i < bc->nbuf; i++) {
		struct buf *b = &bc->bufs[i];
		if (!bcache_hold(bc, b))
			continue;
		mutex_lock(&b->lock);
		if (b->dirty && b->valid && bcache_writeout(b) < 0)
			err = -EIO;
		bcache_release(b);
	}
	/* A device without a write cache may refuse the flush: not an error. */
	(void)blk_rw(bc->dev, BLK_FLUSH, 0, NULL, 0, BLK_REASON_FS);
	return err;
}

void bcache_get_stats(struct bcache *bc, struct bcache_stats *out)
{
	spin_lock(&bc->lock);
	out->nbuf = bc->nbuf;
	out->ndirty = 0;
	for (int i = 0; i < bc->nbuf; i++)
		if (bc->bufs[i].dirty)
			out->ndirty++;
	out->reads = bc->reads;
	out->writes = bc->writes;
	spin_unlock(&bc->lock);
}
