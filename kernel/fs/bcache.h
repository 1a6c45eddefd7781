/*
 * The buffer cache: a fixed set of buffers holding metadata blocks of one
 * file system (superblock, descriptors, bitmaps, inode tables, indirect
 * and directory blocks), reused least-recently-used first, written back by
 * bcache_sync or when a dirty buffer is reused. Only file systems call it.
 */
#ifndef KERNEL_FS_BCACHE_H
#define KERNEL_FS_BCACHE_H

#include "kernel/types.h"
#include "kernel/lock.h"
#include "kernel/lib/list.h"
#include "kernel/dev/dev.h"

#define BCACHE_NBUF 256         /* buffers per cache */

struct bcache;

/*
 * One cached block. Locking: (b) buf->lock (a mutex, held between
 * bcache_read and bcache_release), (l) the cache's spinlock, (c) const.
 * Invariant: refcnt > 0 while a caller holds lock; a buffer with
 * refcnt == 0 is on the LRU list.
 */
struct buf {
	struct mutex lock;
	uint64_t blockno;               /* (l) block number, valid if inuse */
	bool inuse;                     /* (l) holds some block */
	int refcnt;                     /* (l) callers using or waiting */
	bool valid;                     /* (b) data was read from disk */
	bool dirty;                     /* (b) data newer than the disk */
	struct list_node lru;           /* (l) most recent at the front */
	struct list_node hash_link;     /* (l) hash chain, if inuse */
	struct bcache *cache;           /* (c) */
	uint8_t *data;                  /* (b) blocksize bytes */
};

/* A cache of nbuf buffers for blocks of blocksize bytes (a multiple of
 * 512) on disk dev. Allocated once; NULL on -ENOMEM. */
struct bcache *bcache_create(dev_id_t dev, size_t blocksize, int nbuf);
/* The locked buffer of block blockno, read from disk if needed.
 * => no buffer lock of this cache held that could be chosen for reuse.
 * Returns 0 and *out, or -EIO. May sleep. */
int bcache_read(struct bcache *bc, uint64_t blockno, struct buf **out);
/* Like bcache_read, but the block will be overwritten whole: no disk read,
 * the data is zero-filled. Returns 0 and *out. */
int bcache_get_zero(struct bcache *bc, uint64_t blockno, struct buf **out);
/* Mark b (locked) dirty: written back by bcache_sync or on reuse. */
void bcache_mark_dirty(struct buf *b);
/* Unlock b and drop the caller's reference. */
void bcache_release(struct buf *b);
/* The file system freed block blockno: drop any cached copy, dirty or
 * not, so it is never written over the block's next user (file data
 * goes to disk through the page cache, not through these buffers).
 * => no buffer lock of this cache held. */
void bcache_forget(struct bcache *bc, uint64_t blockno);
/* Write every dirty buffer, then flush the disk. Returns 0 or -EIO. */
int bcache_sync(struct bcache *bc);
/* Counters for tests: buffers, dirty buffers, disk reads and writes. */
struct bcache_stats {
	int nbuf, ndirty;
	uint64_t reads, writes;
};
void bcache_get_stats(struct bcache *bc, struct bcache_stats *out);

#endif
