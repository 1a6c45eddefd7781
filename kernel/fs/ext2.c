/*
 * ext2 revision 1 (kernel/fs/ext2.h): superblock and group descriptors,
 * block and inode bitmaps, the indirect block map, linear directories.
 * The VFS calls it through ext2_vnode_ops with the vnode locks taken.
 * Metadata goes through the buffer cache; regular files' data lives in
 * their page cache (kernel/fs/vnode_pager.c), which reaches the disk
 * through ext2_vop_bmap. Process context only.
 */
#include "kernel/fs/ext2.h"
#include "kernel/fs/bcache.h"
#include "kernel/fs/vfs.h"
#include "kernel/fs/uio.h"
#include "kernel/fs/stat.h"
#include "kernel/fs/vnode_pager.h"
#include "kernel/dev/blk.h"
#include "kernel/errno.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/object.h"
#include "kernel/vm/page.h"

#define EXT2_NO_PREV    UINT32_MAX      /* entry is the first of its block */
#define EXT2_SECTORS(fs) ((fs)->blocksize / BLK_SECTOR_SIZE)
#define EXT2_XATTR_MAGIC 0xEA020000     /* extended-attribute block header */
#define EXT2_SMALL_FILE_MAX 0x7fffffffULL       /* without LARGE_FILE */
#define EXT2_IBLOCKS_MAX ((1ULL << 32) * BLK_SECTOR_SIZE)  /* i_blocks limit */

/* Where the metadata of one group lives (copied from its descriptor). */
struct ext2_group_loc {
	uint32_t block_bitmap;
	uint32_t inode_bitmap;
	uint32_t inode_table;
};

/*
 * One mounted ext2. Locking: (l) lock, (c) const after mount.
 * The bitmaps, group descriptors and superblock free counts change only
 * with lock held; their buffers are taken in the order descriptor,
 * superblock, bitmap (ext2_counts_get first: a read error changes
 * nothing).
 */
struct ext2_fs {
	struct mutex lock;
	struct bcache *bc;              /* (c) */
	dev_id_t dev;                   /* (c) */
	uint32_t blocksize;             /* (c) bytes */
	uint32_t ptrs;                  /* (c) block numbers per block */
	uint32_t nblocks, ninodes;      /* (c) */
	uint32_t first_data_block;      /* (c) */
	uint32_t blocks_per_group;      /* (c) */
	uint32_t inodes_per_group;      /* (c) */
	uint32_t ngroups;               /* (c) */
	uint32_t inode_size;            /* (c) bytes */
	uint32_t first_ino;             /* (c) first non-reserved inode */
	uint32_t gdt_block;             /* (c) first descriptor-table block */
	uint32_t sb_block, sb_offset;   /* (c) where the superblock lives */
	bool filetype;                  /* (c) INCOMPAT_FILETYPE */
	bool readonly;                  /* (c) unknown ro_compat feature */
	uint64_t max_size;              /* (c) largest file, bytes */
	struct ext2_group_loc *groups;  /* (c) ngroups entries */
};

/*
 * vnode->priv. Locking: (v) the vnode lock, (b) map_lock: the block map
 * (i_block, i_blocks and the indirect blocks), which the page cache's
 * pager reads and extends without the vnode lock.
 */
struct ext2_inode_info {
	struct mutex map_lock;
	struct ext2_inode di;           /* (v), i_block and i_blocks (b) */
	uint32_t goal;                  /* (b) block to try first when growing */
};
static const struct vnode_ops ext2_vnode_ops;

static struct ext2_fs *ext2_fs_of(struct vnode *vn)
{
	return vn->mnt->priv;
}

static struct ext2_inode_info *ext2_info(struct vnode *vn)
{
	return vn->priv;
}

static uint32_t ext2_now(void)
{
	return vfs_time();
}

/* The deletion time of a freed inode: never a number e2fsck could take
 * for the next inode of an orphan list (at most s_inodes_count). */
static uint32_t ext2_dtime(struct ext2_fs *fs)
{
	return MAX(ext2_now(), fs->ninodes + 1);
}

/* ------------------------------------------------------------------ */
/* Superblock counts, group descriptors, bitmaps                        */
/* ------------------------------------------------------------------ */

/* The locked buffer holding group g's descriptor, and the descriptor. */
static int ext2_gd_get(struct ext2_fs *fs, uint32_t g, struct buf **bp,
		       struct ext2_group_desc **gd)
{
	uint32_t per_block = fs->blocksize / sizeof(struct ext2_group_desc);
	int err = bcache_read(fs->bc, fs->gdt_block + g / per_block, bp);
	if (err < 0)
		return err;
	*gd = (struct ext2_group_desc *)(*bp)->data + g % per_block;
	return 0;
}

/* The buffers a change of group g's free counts touches besides its
 * bitmap: its descriptor and the superblock, both read and locked before
 * anything changes, so a read error leaves every count as it was. */
struct ext2_counts {
	struct buf *gdb, *sbb;
	struct ext2_group_desc *gd;
	struct ext2_super *sb;
};

/* => fs->lock. Lock group g's descriptor and the superblock. 0 or -EIO. */
static int ext2_counts_get(struct ext2_fs *fs, uint32_t g, struct ext2_counts *c)
{
	int err = ext2_gd_get(fs, g, &c->gdb, &c->gd);
	if (err < 0)
		return err;
	err = bcache_read(fs->bc, fs->sb_block, &c->sbb);
	if (err < 0) {
		bcache_release(c->gdb);
		return err;
	}
	c->sb = (struct ext2_super *)(c->sbb->data + fs->sb_offset);
	return 0;
}

/* => fs->lock. Add to the free block and inode counts (and the used
 * directories) of the group and the superblock, then unlock both. */
static void ext2_counts_put(struct ext2_counts *c, int dblocks, int dinodes, int ddirs)
{
	if (dblocks != 0 || dinodes != 0 || ddirs != 0) {
		c->gd->bg_free_blocks_count += dblocks;
		c->gd->bg_free_inodes_count += dinodes;
		c->gd->bg_used_dirs_count += ddirs;
		c->sb->s_free_blocks_count += dblocks;
		c->sb->s_free_inodes_count += dinodes;
		bcache_mark_dirty(c->gdb);
		bcache_mark_dirty(c->sbb);
	}
	bcache_release(c->sbb);
	bcache_release(c->gdb);
}

/* Blocks in group g (the last group may be short). */
static uint32_t ext2_group_nblocks(struct ext2_fs *fs, uint32_t g)
{
	uint32_t start = fs->first_data_block + g * fs->blocks_per_group;
	return MIN(fs->blocks_per_group, fs->nblocks - start);
}

static uint32_t ext2_group_first_block(struct ext2_fs *fs, uint32_t g)
{
	return fs->first_data_block + g * fs->blocks_per_group;
}

static uint32_t ext2_ino_group(struct ext2_fs *fs, uint32_t ino)
{
	return (ino - 1) / fs->inodes_per_group;
}

/* The first clear bit of an n-bit map at or after start, wrapping
 * around; -1 if every bit is set. */
static long ext2_bitmap_find(const uint8_t *map, uint32_t n, uint32_t start)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t bit = (start + i) % n;
		if (bit % 8 == 0 && bit + 8 <= n && map[bit / 8] == 0xff) {
			i += 7;
			continue;
		}
		if (!(map[bit / 8] & (1u << (bit % 8))))
			return bit;
	}
	return -1;
}

/* => fs->lock. Set the first clear bit of bitmap block bmblk (n bits)
 * from start. Returns the bit, -ENOSPC or -EIO. */
static long ext2_bitmap_alloc(struct ext2_fs *fs, uint32_t bmblk, uint32_t n,
			      uint32_t start)
{
	struct buf *b;
	int err = bcache_read(fs->bc, bmblk, &b);
	if (err < 0)
		return err;
	long bit = ext2_bitmap_find(b->data, n, start % n);
	if (bit >= 0) {
		b->data[bit / 8] |= (uint8_t)(1u << (bit % 8));
		bcache_mark_dirty(b);
	}
	bcache_release(b);
	return bit >= 0 ? bit : -ENOSPC;
}

/* => fs->lock. Clear bit of bitmap block bmblk. Returns 1 if it was set,
 * 0 if it was already clear, or -EIO. */
static int ext2_bitmap_clear(struct ext2_fs *fs, uint32_t bmblk, uint32_t bit)
{
	struct buf *b;
	int err = bcache_read(fs->bc, bmblk, &b);
	if (err < 0)
		return err;
	uint8_t mask = (uint8_t)(1u << (bit % 8));
	int was_set = (b->data[bit / 8] & mask) != 0;
	b->data[bit / 8] &= (uint8_t)~mask;
	bcache_mark_dirty(b);
	bcache_release(b);
	return was_set;
}

/* => fs->lock. Take a free block of group g, searching from bit start. */
static int ext2_group_alloc_block(struct ext2_fs *fs, uint32_t g,
				  uint32_t start, uint32_t *out)
{
	struct ext2_counts c;
	int err = ext2_counts_get(fs, g, &c);
	if (err < 0)
		return err;
	long bit = -ENOSPC;
	if (c.gd->bg_free_blocks_count > 0) {
		bit = ext2_bitmap_alloc(fs, fs->groups[g].block_bitmap,
					ext2_group_nblocks(fs, g), start);
		if (bit == -ENOSPC)
			printk("ext2: group %u bitmap full but count %u\n", g,
			       c.gd->bg_free_blocks_count);
	}
	ext2_counts_put(&c, bit >= 0 ? -1 : 0, 0, 0);
	if (bit < 0)
		return (int)bit;
	*out = ext2_group_first_block(fs, g) + (uint32_t)bit;
	return 0;
}

/* Allocate a block, trying goal (a block number) first and then the
 * blocks after it, group by group; a metadata block (meta) is zero-filled
 * in the buffer cache, a file data block is left to the page cache, which
 * writes it whole. Returns 0 and *out, -ENOSPC or -EIO. */
static int ext2_block_alloc(struct ext2_fs *fs, uint32_t goal, bool meta, uint32_t *out)
{
	if (goal < fs->first_data_block || goal >= fs->nblocks)
		goal = fs->first_data_block;
	uint32_t rel = goal - fs->first_data_block;
	uint32_t g0 = rel / fs->blocks_per_group;
	int err = -ENOSPC;
	mutex_lock(&fs->lock);
	for (uint32_t i = 0; i < fs->ngroups && err == -ENOSPC; i++) {
		uint32_t g = (g0 + i) % fs->ngroups;
		uint32_t start = i == 0 ? rel % fs->blocks_per_group : 0;
		err = ext2_group_alloc_block(fs, g, start, out);
	}
	mutex_unlock(&fs->lock);
	if (err < 0 || !meta)
		return err;
	struct buf *b;
	bcache_get_zero(fs->bc, *out, &b);
	bcache_mark_dirty(b);
	bcache_release(b);
	return 0;
}

/* Return block blk to its group's free pool, forgetting any cached copy.
 * Returns 0 or -EIO (the block stays in use). */
static int ext2_block_free(struct ext2_fs *fs, uint32_t blk)
{
	if (blk < fs->first_data_block || blk >= fs->nblocks) {
		printk("ext2: freeing bad block %u\n", blk);
		return 0;
	}
	uint32_t g = (blk - fs->first_data_block) / fs->blocks_per_group;
	uint32_t bit = (blk - fs->first_data_block) % fs->blocks_per_group;
	struct ext2_counts c;
	mutex_lock(&fs->lock);
	int err = ext2_counts_get(fs, g, &c);
	if (err == 0) {
		int was_set = ext2_bitmap_clear(fs, fs->groups[g].block_bitmap, bit);
		if (was_set == 0)
			printk("ext2: block %u freed twice\n", blk);
		err = was_set < 0 ? was_set : 0;
		ext2_counts_put(&c, was_set == 1 ? 1 : 0, 0, 0);
	}
	if (err == 0)
		bcache_forget(fs->bc, blk);     /* before anyone can reuse it */
	mutex_unlock(&fs->lock);
	return err;
}

/* => fs->lock. Take a free inode of group g; counts a directory. */
static int ext2_group_alloc_inode(struct ext2_fs *fs, uint32_t g, bool dir,
				  uint32_t *ino)
{
	struct ext2_counts c;
	int err = ext2_counts_get(fs, g, &c);
	if (err < 0)
		return err;
	long bit = -ENOSPC;
	if (c.gd->bg_free_inodes_count > 0) {
		uint32_t start = g == 0 ? fs->first_ino - 1 : 0;
		bit = ext2_bitmap_alloc(fs, fs->groups[g].inode_bitmap,
					fs->inodes_per_group, start);
		if (bit >= 0 && g == 0 && (uint32_t)bit + 1 < fs->first_ino) {
			printk("ext2: reserved inode %ld was free\n", bit + 1);
			bit = -ENOSPC;
		}
	}
	ext2_counts_put(&c, 0, bit >= 0 ? -1 : 0, bit >= 0 && dir ? 1 : 0);
	if (bit < 0)
		return (int)bit;
	*ino = g * fs->inodes_per_group + (uint32_t)bit + 1;
	return 0;
}

/* The group for a new directory: the one with the most free inodes. */
static uint32_t ext2_pick_dir_group(struct ext2_fs *fs)
{
	uint32_t best = 0, best_free = 0;
	for (uint32_t g = 0; g < fs->ngroups; g++) {
		struct buf *b;
		struct ext2_group_desc *gd;
		if (ext2_gd_get(fs, g, &b, &gd) < 0)
			continue;
		if (gd->bg_free_inodes_count > best_free) {
			best = g;
			best_free = gd->bg_free_inodes_count;
		}
		bcache_release(b);
	}
	return best;
}

/* Allocate an inode number, preferring group g0 (a directory goes to the
 * emptiest group). Returns 0 and *ino, -ENOSPC or -EIO. */
static int ext2_inode_alloc(struct ext2_fs *fs, uint32_t g0, bool dir,
			    uint32_t *ino)
{
	int err = -ENOSPC;
	mutex_lock(&fs->lock);
	if (dir)
		g0 = ext2_pick_dir_group(fs);
	for (uint32_t i = 0; i < fs->ngroups && err == -ENOSPC; i++)
		err = ext2_group_alloc_inode(fs, (g0 + i) % fs->ngroups, dir, ino);
	mutex_unlock(&fs->lock);
	return err;
}

/* Return inode ino to its group's free pool. Returns 0 or -EIO (the
 * inode stays in use). */
static int ext2_inode_free(struct ext2_fs *fs, uint32_t ino, bool dir)
{
	uint32_t g = ext2_ino_group(fs, ino);
	uint32_t bit = (ino - 1) % fs->inodes_per_group;
	struct ext2_counts c;
	mutex_lock(&fs->lock);
	int err = ext2_counts_get(fs, g, &c);
	if (err == 0) {
		int was_set = ext2_bitmap_clear(fs, fs->groups[g].inode_bitmap, bit);
		if (was_set == 0)
			printk("ext2: inode %u freed twice\n", ino);
		err = was_set < 0 ? was_set : 0;
		ext2_counts_put(&c, 0, was_set == 1 ? 1 : 0, was_set == 1 && dir ? -1 : 0);
	}
	mutex_unlock(&fs->lock);
	return err;
}

/* ------------------------------------------------------------------ */
/* Inodes                                                               */
/* ------------------------------------------------------------------ */

/* The block and byte offset of inode ino in the inode table. */
static void ext2_inode_locate(struct ext2_fs *fs, uint32_t ino, uint32_t *blk,
			      uint32_t *off)
{
	uint32_t g = ext2_ino_group(fs, ino);
	uint64_t byte = (uint64_t)((ino - 1) % fs->inodes_per_group) * fs->inode_size;
	*blk = fs->groups[g].inode_table + (uint32_t)(byte / fs->blocksize);
	*off = (uint32_t)(byte % fs->blocksize);
}

static int ext2_inode_read(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *di)
{
	uint32_t blk, off;
	struct buf *b;
	ext2_inode_locate(fs, ino, &blk, &off);
	int err = bcache_read(fs->bc, blk, &b);
	if (err < 0)
		return err;
	memcpy(di, b->data + off, sizeof(*di));
	bcache_release(b);
	return 0;
}

/* Write the 128-byte inode di; for a fresh inode also reset the rest of a
 * large inode (i_extra_isize as mke2fs sets it, no in-inode attributes). */
static int ext2_inode_write(struct ext2_fs *fs, uint32_t ino,
			    const struct ext2_inode *di, bool fresh)
{
	uint32_t blk, off;
	struct buf *b;
	ext2_inode_locate(fs, ino, &blk, &off);
	int err = bcache_read(fs->bc, blk, &b);
	if (err < 0)
		return err;
	memcpy(b->data + off, di, sizeof(*di));
	uint32_t extra = fs->inode_size - EXT2_GOOD_OLD_INODE_SIZE;
	if (fresh && extra > 0) {
		uint8_t *tail = b->data + off + EXT2_GOOD_OLD_INODE_SIZE;
		memset(tail, 0, extra);
		uint16_t isize = extra >= EXT2_EXTRA_ISIZE_DEFAULT ?
				 EXT2_EXTRA_ISIZE_DEFAULT : 0;
		memcpy(tail, &isize, sizeof(isize));
	}
	bcache_mark_dirty(b);
	bcache_release(b);
	return 0;
}

/* Read the inode table blocks of the inodes an operation will change
 * (0: none) before it changes anything, so that a read error there fails
 * the operation at its start instead of losing its last step. 0 or -EIO. */
static int ext2_inodes_prepare(struct ext2_fs *fs, uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t inos[] = { a, b, c };
	for (size_t i = 0; i < ARRAY_SIZE(inos); i++) {
		uint32_t blk, off;
		struct buf *bp;
		if (inos[i] == 0)
			continue;
		ext2_inode_locate(fs, inos[i], &blk, &off);
		int err = bcache_read(fs->bc, blk, &bp);
		if (err < 0)
			return err;
		bcache_release(bp);
	}
	return 0;
}

static uint64_t ext2_inode_size(const struct ext2_inode *di)
{
	uint64_t size = di->i_size;
	if (S_ISREG(di->i_mode))
		size |= (uint64_t)di->i_size_high << 32;
	return size;
}

static void ext2_inode_set_size(struct ext2_inode *di, uint64_t size)
{
	di->i_size = (uint32_t)size;
	if (S_ISREG(di->i_mode))
		di->i_size_high = (uint32_t)(size >> 32);
}

static enum vnode_type ext2_mode_type(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:  return VREG;
	case S_IFDIR:  return VDIR;
	case S_IFCHR:  return VCHR;
	case S_IFIFO:  return VFIFO;
	case S_IFLNK:  return VLNK;
	default:       return VNON;
	}
}

/* Copy the inode's type, mode, size and link count into the vnode. */
static void ext2_vnode_sync(struct vnode *vn)
{
	const struct ext2_inode *di = &ext2_info(vn)->di;
	vn->type = ext2_mode_type(di->i_mode);
	vn->mode = di->i_mode;
	vn->size = ext2_inode_size(di);
	vn->nlink = di->i_links_count;
}

/* => vn->lock. The in-memory inode changed: refresh the vnode, write it. */
static int ext2_inode_update(struct vnode *vn)
{
	ext2_vnode_sync(vn);
	return ext2_inode_write(ext2_fs_of(vn), (uint32_t)vn->ino,
				&ext2_info(vn)->di, false);
}

static void ext2_touch(struct vnode *vn, bool modified)
{
	struct ext2_inode *di = &ext2_info(vn)->di;
	di->i_ctime = ext2_now();
	if (modified)
		di->i_mtime = di->i_ctime;
}

/* ------------------------------------------------------------------ */
/* The block map: i_block[12] direct, then single/double/triple indirect */
/* ------------------------------------------------------------------ */

/* Indexes of logical block lbn through the map: idx[0] in i_block, then
 * one per indirect level. Returns the number of indirect levels (0-3),
 * or -EFBIG past the triple-indirect tree. */
static int ext2_bmap_path(struct ext2_fs *fs, uint64_t lbn, uint32_t idx[4])
{
	uint64_t p = fs->ptrs;
	if (lbn < EXT2_NDIR_BLOCKS) {
		idx[0] = (uint32_t)lbn;
		return 0;
	}
	lbn -= EXT2_NDIR_BLOCKS;
	if (lbn < p) {
		idx[0] = EXT2_IND_BLOCK;
		idx[1] = (uint32_t)lbn;
		return 1;
	}
	lbn -= p;
	if (lbn < p * p) {
		idx[0] = EXT2_DIND_BLOCK;
		idx[1] = (uint32_t)(lbn / p);
		idx[2] = (uint32_t)(lbn % p);
		return 2;
	}
	lbn -= p * p;
	if (lbn < p * p * p) {
		idx[0] = EXT2_TIND_BLOCK;
		idx[1] = (uint32_t)(lbn / (p * p));
		idx[2] = (uint32_t)(lbn / p % p);
		idx[3] = (uint32_t)(lbn % p);
		return 3;
	}
	return -EFBIG;
}

/* Entry i of indirect block blk, read or written. */
static int ext2_ind_get(struct ext2_fs *fs, uint32_t blk, uint32_t i, uint32_t *val)
{
	struct buf *b;
	int err = bcache_read(fs->bc, blk, &b);
	if (err < 0)
		return err;
	*val = ((uint32_t *)b->data)[i];
	bcache_release(b);
	return 0;
}

static int ext2_ind_set(struct ext2_fs *fs, uint32_t blk, uint32_t i, uint32_t val)
{
	struct buf *b;
	int err = bcache_read(fs->bc, blk, &b);
	if (err < 0)
		return err;
	((uint32_t *)b->data)[i] = val;
	bcache_mark_dirty(b);
	bcache_release(b);
	return 0;
}

/* => map_lock. A new block for vn near its goal, zeroed if meta; counts
 * it in i_blocks. */
static int ext2_inode_grow(struct vnode *vn, bool meta, uint32_t *blk)
{
	struct ext2_fs *fs = ext2_fs_of(vn);
	struct ext2_inode_info *ei = ext2_info(vn);
	int err = ext2_block_alloc(fs, ei->goal, meta, blk);
	if (err < 0)
		return err;
	ei->goal = *blk + 1;
	ei->di.i_blocks += EXT2_SECTORS(fs);
	return 0;
}

/* => map_lock. ext2_bmap's walk: level 0 is i_block, a block found at
 * level `depth` is data (zero-filled when new unless it is a regular
 * file's: the page cache writes those whole), the others indirect. */
static int ext2_bmap_locked(struct vnode *vn, uint64_t lbn, bool alloc, uint32_t *pbn)
{
	struct ext2_fs *fs = ext2_fs_of(vn);
	struct ext2_inode *di = &ext2_info(vn)->di;
	bool data_meta = !S_ISREG(di->i_mode);
	uint32_t idx[4];
	int depth = ext2_bmap_path(fs, lbn, idx);
	if (depth < 0)
		return depth;
	int err = 0;
	bool grown = false;
	uint32_t blk = di->i_block[idx[0]];
	if (blk == 0 && alloc) {
		err = ext2_inode_grow(vn, depth > 0 || data_meta, &blk);
		if (err == 0) {
			di->i_block[idx[0]] = blk;
			grown = true;
		}
	}
	for (int level = 1; level <= depth && blk != 0 && err == 0; level++) {
		uint32_t next = 0;
		err = ext2_ind_get(fs, blk, idx[level], &next);
		if (err == 0 && next == 0 && alloc) {
			err = ext2_inode_grow(vn, level < depth || data_meta, &next);
			if (err == 0) {
				grown = true;
				err = ext2_ind_set(fs, blk, idx[level], next);
			}
		}
		blk = next;
	}
	if (grown)
		ext2_inode_write(fs, (uint32_t)vn->ino, di, false);
	*pbn = err == 0 ? blk : 0;
	return err;
}

/* The disk block holding logical block lbn of vn, or 0 for a hole; with
 * alloc, missing blocks (data and indirect) are allocated. => no
 * map_lock (vn->lock or the page cache's object lock may be held).
 * Returns 0, -EFBIG, -ENOSPC or -EIO. */
static int ext2_bmap(struct vnode *vn, uint64_t lbn, bool alloc, uint32_t *pbn)
{
	struct ext2_inode_info *ei = ext2_info(vn);
	mutex_lock(&ei->map_lock);
	int err = ext2_bmap_locked(vn, lbn, alloc, pbn);
	mutex_unlock(&ei->map_lock);
	return err;
}

/* vnode_ops.bmap for the page cache: byte off of a regular file on disk. */
static int ext2_vop_bmap(struct vnode *vn, uint64_t off, bool alloc, uint64_t *sector,
			 uint32_t *len)
{
	struct ext2_fs *fs = ext2_fs_of(vn);
	uint32_t pbn;
	int err = ext2_bmap(vn, off / fs->blocksize, alloc, &pbn);
	if (err < 0)
		return err;
	*sector = (uint64_t)pbn * EXT2_SECTORS(fs);
	*len = fs->blocksize - (uint32_t)(off % fs->blocksize);
	return 0;
}

/* Logical blocks mapped by a subtree of the given depth (0: one block). */
static uint64_t ext2_span(struct ext2_fs *fs, int depth)
{
	uint64_t span = 1;
	while (depth-- > 0)
		span *= fs->ptrs;
	return span;
}

/* => map_lock. Free the blocks under *slot (a subtree of depth levels
 * mapping logical blocks from base) that map logical blocks >= keep, and
 * the indirect blocks left empty; *slot becomes 0 if the whole subtree
 * goes. Returns 0, -ENOMEM or -EIO. */
static int ext2_trunc_tree(struct vnode *vn, uint32_t *slot, int depth,
			   uint64_t base, uint64_t keep)
{
	struct ext2_fs *fs = ext2_fs_of(vn);
	uint64_t span = ext2_span(fs, depth);
	if (*slot == 0 || base + span <= keep)
		return 0;
	if (depth > 0) {
		uint32_t *ptrs = kmalloc(fs->blocksize);
		if (ptrs == NULL)
			return -ENOMEM;
		struct buf *b;
		int err = bcache_read(fs->bc, *slot, &b);
		bool loaded = err == 0;
		if (loaded) {
			memcpy(ptrs, b->data, fs->blocksize);
			bcache_release(b);
		}
		uint64_t child = span / fs->ptrs;
		for (uint32_t i = 0; i < fs->ptrs && err == 0; i++)
			err = ext2_trunc_tree(vn, &ptrs[i], depth - 1,
					      base + i * child, keep);
		/* The block stays: it must forget the children that went,
		 * also those freed before an error. */
		if (loaded && (err < 0 || base < keep) &&
		    bcache_read(fs->bc, *slot, &b) == 0) {
			memcpy(b->data, ptrs, fs->blocksize);
			bcache_mark_dirty(b);
			bcache_release(b);
		}
		kfree(ptrs);
		if (err < 0 || base < keep)
			return err;
	}
	int err = ext2_block_free(fs, *slot);
	if (err < 0)
		return err;
	ext2_info(vn)->di.i_blocks -= EXT2_SECTORS(fs);
	*slot = 0;
	return 0;
}

/* Free every block of vn from logical block keep on. => no map_lock. */
static int ext2_free_from(struct vnode *vn, uint64_t keep)
{
	struct ext2_fs *fs = ext2_fs_of(vn);
	struct ext2_inode_info *ei = ext2_info(vn);
	uint32_t *iblock = ei->di.i_block;
	int err = 0;
	mutex_lock(&ei->map_lock);
	for (uint64_t i = 0; i < EXT2_NDIR_BLOCKS && err == 0; i++)
		err = ext2_trunc_tree(vn, &iblock[i], 0, i, keep);
	uint64_t base = EXT2_NDIR_BLOCKS;
	for (int depth = 1; depth <= 3 && err == 0; depth++) {
		err = ext2_trunc_tree(vn, &iblock[EXT2_IND_BLOCK + depth - 1],
				      depth, base, keep);
		base += ext2_span(fs, depth);
	}
	mutex_unlock(&ei->map_lock);
	return err;
}

/* Does the inode own data blocks? Devices and fast symlinks keep other
 * data in i_block. */
static bool ext2_has_blocks(struct ext2_fs *fs, const struct ext2_inode *di)
{
	if (S_ISREG(di->i_mode) || S_ISDIR(di->i_mode))
		return true;
	if (!S_ISLNK(di->i_mode))
		return false;
	uint32_t xattr = di->i_file_acl ? EXT2_SECTORS(fs) : 0;
	return di->i_blocks > xattr;
}

/* Read the descriptor and block bitmap of the group holding block blk.
 * 0 or -EIO. */
static int ext2_block_group_read(struct ext2_fs *fs, uint32_t blk)
{
	struct buf *b;
	if (blk < fs->first_data_block || blk >= fs->nblocks)
		return 0;
	uint32_t g = (blk - fs->first_data_block) / fs->blocks_per_group;
	struct ext2_group_desc *gd;
	int err = ext2_gd_get(fs, g, &b, &gd);
	if (err < 0)
		return err;
	bcache_release(b);
	err = bcache_read(fs->bc, fs->groups[g].block_bitmap, &b);
	if (err == 0)
		bcache_release(b);
	return err;
}

/* => map_lock. Read what freeing the subtree of depth levels under blk
 * needs: its indirect blocks and the bitmaps of all its blocks. */
static int ext2_tree_read(struct ext2_fs *fs, uint32_t blk, int depth)
{
	struct buf *b;
	if (blk == 0)
		return 0;
	int err = ext2_block_group_read(fs, blk);
	if (err < 0 || depth == 0)
		return err;
	err = bcache_read(fs->bc, blk, &b);
	if (err < 0)
		return err;
	const uint32_t *ptrs = (const uint32_t *)b->data;
	for (uint32_t i = 0; i < fs->ptrs && err == 0; i++)
		err = ext2_tree_read(fs, ptrs[i], depth - 1);
	bcache_release(b);
	return err;
}

/* Read every block deleting vn will change (its inode, its group's inode
 * bitmap, the superblock, its indirect blocks and block bitmaps), so a
 * read error fails unlink or rename before they change anything, not the
 * deletion after the last close. 0 or -EIO. */
static int ext2_delete_prepare(struct vnode *vn)
{
	struct ext2_fs *fs = ext2_fs_of(vn);
	struct ext2_inode_info *ei = ext2_info(vn);
	uint32_t g = ext2_ino_group(fs, (uint32_t)vn->ino);
	struct ext2_counts c;
	struct buf *b;
	int err = ext2_inodes_prepare(fs, (uint32_t)vn->ino, 0, 0);
	mutex_lock(&fs->lock);
	if (err == 0 && (err = ext2_counts_get(fs, g, &c)) == 0)
		ext2_counts_put(&c, 0, 0, 0);
	if (err == 0 && (err = bcache_read(fs->bc, fs->groups[g].inode_bitmap, &b)) == 0)
		bcache_release(b);
	mutex_unlock(&fs->lock);
	if (err < 0 || !ext2_has_blocks(fs, &ei->di))
		return err;
	mutex_lock(&ei->map_lock);
	for (int i = 0; i < EXT2_NDIR_BLOCKS && err == 0; i++)
		err = ext2_tree_read(fs, ei->di.i_block[i], 0);
	for (int depth = 1; depth <= 3 && err == 0; depth++)
		err = ext2_tree_read(fs, ei->di.i_block[EXT2_IND_BLOCK + depth - 1], depth);
	mutex_unlock(&ei->map_lock);
	return err;
}

/* ------------------------------------------------------------------ */
/* File data: through the page cache                                    */
/* ------------------------------------------------------------------ */

/* => vn->lock. Read from uio->offset up to the end of the file. Only
 * regular files have data to read here. */
static ssize_t ext2_read(struct vnode *vn, struct uio *uio)
{
	if (vn->obj == NULL)
		return vn->type == VREG ? -EIO : 0;
	return vnode_pager_read(vn, uio);
}

/* => vn->lock. Allocate the blocks under bytes [off, off + *n) of vn, so
 * that a full disk fails the write() and never the write-back. If the
 * disk fills part-way, *n shrinks to the bytes whose blocks were had.
 * Returns 0, or -ENOSPC, -EFBIG, -EIO if not even the first was. */
static int ext2_alloc_range(struct vnode *vn, uint64_t off, size_t *n)
{
	struct ext2_fs *fs = ext2_fs_of(vn);
	uint64_t first = off / fs->blocksize, last = (off + *n - 1) / fs->blocksize;
	for (uint64_t lbn = first; lbn <= last; lbn++) {
		uint32_t pbn;
		int err = ext2_bmap(vn, lbn, true, &pbn);
		if (err < 0) {
			if (lbn == first)
				return err;
			*n = (size_t)(lbn * fs->blocksize - off);
			return 0;
		}
	}
	return 0;
}

/* => vn->lock. The file's data ends at size bytes: tell the page cache's
 * object and the inode. */
static void ext2_set_data_size(struct vnode *vn, uint64_t size)
{
	vm_object_set_size(vn->obj, size);
	ext2_inode_set_size(&ext2_info(vn)->di, size);
	vn->size = size;
}

/* => vn->lock. Write the bytes of uio that fall in the page at
 * uio->offset into the page cache, with their blocks allocated first.
 * Returns the bytes written (> 0) or -ENOSPC, -EFBIG, -EIO, -ENOMEM,
 * -EFAULT. */
static ssize_t ext2_write_page(struct vnode *vn, struct uio *uio)
{
	struct vm_object *obj = vn->obj;
	uint64_t off = (uint64_t)uio->offset, in_page = off & PAGE_MASK;
	uint64_t old = vn->size;
	size_t n = MIN(PAGE_SIZE - in_page, uio->resid);
	struct vm_page *pg;
	int err = 0;
	if (off + n > old) {
		/* Stores past the end through a shared mapping must not
		 * become file data: zero them before the end moves. */
		err = vnode_pager_zero_tail(vn);
		if (err < 0)
			return err;
		vm_object_set_size(obj, off + n);       /* room for the page */
	}
	err = vm_object_get_page(obj, off - in_page, &pg);
	if (err == 0) {
		/* The page is read in before its blocks exist on disk, so a
		 * new block's stale contents are never read. */
		err = ext2_alloc_range(vn, off, &n);
		if (err == 0) {
			/* Busy: a copy-on-write fault copies no half-written page. */
			vm_object_page_busy(obj, pg);
			err = uio_move((uint8_t *)PA_TO_KVA(pg->pa) + in_page, n, uio, false);
			vm_object_page_unbusy(obj, pg);
			/* Dirty even if the copy failed: new blocks must get
			 * the page. Not when no block was had: a write-back
			 * would need one. */
			vm_object_page_dirty(obj, pg);
		}
		vm_object_release_page(obj, pg);
	}
	if (off + n > old && err == 0) {
		ext2_set_data_size(vn, off + n);
	} else if (off + n > old) {
		/* Undo the growth: the pages and blocks past the old end, on
		 * disk too (ext2_bmap already wrote the grown inode), or a
		 * later load of the inode would free those blocks again. */
		struct ext2_fs *fs = ext2_fs_of(vn);
		ext2_set_data_size(vn, old);
		ext2_free_from(vn, ROUNDUP(old, fs->blocksize) / fs->blocksize);
		ext2_inode_update(vn);
	}
	return err < 0 ? err : (ssize_t)n;
}

/* => vn->lock. Write at uio->offset, growing the file, a page at a time;
 * a signal stops it between pages (nothing of a page is allocated then),
 * and the size on disk covers exactly the pages written. Returns bytes
 * written, or -EFBIG, -ENOSPC, -EIO, -EFAULT, -ENOMEM, -EROFS, -EINTR if
 * none were. */
static ssize_t ext2_write(struct vnode *vn, struct uio *uio)
{
	struct ext2_fs *fs = ext2_fs_of(vn);
	ssize_t done = 0, n = 0;
	if (fs->readonly)
		return -EROFS;
	if (vn->obj == NULL)
		return -EINVAL;
	if (uio->offset < 0)
		return -EINVAL;
	if ((uint64_t)uio->offset >= fs->max_size && uio->resid > 0)
		return -EFBIG;
	int err = ext2_inodes_prepare(fs, (uint32_t)vn->ino, 0, 0);
	if (err < 0)
		return err;
	uio->resid = MIN(uio->resid, fs->max_size - (uint64_t)uio->offset);
	while (uio->resid > 0) {
		if (uio_interrupted(uio)) {
			n = -EINTR;
			break;
		}
		n = ext2_write_page(vn, uio);
		if (n < 0)
			break;
		done += n;
	}
	if (done > 0) {
		ext2_touch(vn, true);
		ext2_inode_update(vn);
	}
	return done > 0 ? done : n;
}

/* => vn->lock. Shrink or grow the page cache to size bytes. The page
 * holding the new end is read in first, so its bytes past the end are
 * zeroed in memory and, when it is written back, on disk (a later growth
 * must read zeroes there); growing zeroes what stores through a shared
 * mapping left past the old end. Returns 0, -EIO or -ENOMEM. */
static int ext2_truncate_pages(struct vnode *vn, uint64_t size)
{
	struct vm_object *obj = vn->obj;
	struct vm_page *pg = NULL;
	if (size > vn->size) {
		int err = vnode_pager_zero_tail(vn);
		if (err < 0)
			return err;
	}
	if (size < vn->size && (size & PAGE_MASK) != 0) {
		int err = vm_object_get_page(obj, PAGE_ROUNDDOWN(size), &pg);
		if (err < 0)
			return err;
	}
	vm_object_set_size(obj, size);
	if (pg != NULL)
		vm_object_release_page(obj, pg);
	return 0;
}

/* => vn->lock. Set the file size in bytes: shrinking frees the pages and
 * blocks past the end (indirect ones too), growing leaves a hole.
 * Returns 0, -EFBIG, -EROFS, -EISDIR, -ENOMEM or -EIO. */
static int ext2_truncate(struct vnode *vn, uint64_t size)
{
	struct ext2_fs *fs = ext2_fs_of(vn);
	struct ext2_inode *di = &ext2_info(vn)->di;
	if (fs->readonly)
		return -EROFS;
	if (vn->type == VDIR)
		return -EISDIR;
	if (size > fs->max_size)
		return -EFBIG;
	uint64_t old = ext2_inode_size(di);
	int err = ext2_inodes_prepare(fs, (uint32_t)vn->ino, 0, 0);
	if (err == 0 && vn->obj != NULL)
		err = ext2_truncate_pages(vn, size);
	if (err < 0)
		return err;
	if (size < old && ext2_has_blocks(fs, di))
		err = ext2_free_from(vn, ROUNDUP(size, fs->blocksize) / fs->blocksize);
	if (err < 0 && vn->obj != NULL)
		vm_object_set_size(vn->obj, old);   /* blocks past size remain */
	ext2_inode_set_size(di, err < 0 ? old : size);
	ext2_touch(vn, true);
	ext2_inode_update(vn);
	return err;
}

/* ------------------------------------------------------------------ */
/* Directories                                                          */
/* ------------------------------------------------------------------ */

/* What a directory-scan callback looks for or changes. */
struct ext2_dirop {
	struct ext2_fs *fs;
	const char *name;
	size_t len;
	uint32_t ino;                   /* entry to add/set, or the one found */
	uint8_t ftype;                  /* EXT2_FT_* of the entry to add */
};

/* A scan callback: entry at off of locked buffer b (prev: the entry
 * before it, or EXT2_NO_PREV). Returns 0 to go on, 1 to stop. */
typedef int (*ext2_dirent_fn)(struct buf *b, uint32_t off, uint32_t prev,
			      struct ext2_dirop *op);

static struct ext2_dirent *ext2_dirent_at(struct buf *b, uint32_t off)
{
	return (struct ext2_dirent *)(b->data + off);
}

static bool ext2_dirent_valid(struct ext2_fs *fs, struct buf *b, uint32_t off)
{
	if (off + EXT2_DIRENT_HDR > fs->blocksize)
		return false;
	struct ext2_dirent *de = ext2_dirent_at(b, off);
	return de->rec_len >= EXT2_DIRENT_HDR && de->rec_len % EXT2_DIRENT_ALIGN == 0 &&
	       off + de->rec_len <= fs->blocksize &&
	       EXT2_DIRENT_HDR + de->name_len <= de->rec_len;
}

static bool ext2_dirent_is(const struct ext2_dirent *de, const char *name, size_t len)
{
	return de->inode != 0 && de->name_len == len && memcmp(de->name, name, len) == 0;
}

/* => dir->lock. Call fn on each entry of one directory block. */
static int ext2_dir_scan_block(struct vnode *dir, uint32_t pbn, ext2_dirent_fn fn,
			       struct ext2_dirop *op)
{
	struct ext2_fs *fs = ext2_fs_of(dir);
	struct buf *b;
	int err = bcache_read(fs->bc, pbn, &b);
	if (err < 0)
		return err;
	uint32_t prev = EXT2_NO_PREV;
	int r = 0;
	for (uint32_t off = 0; off < fs->blocksize && r == 0;) {
		if (!ext2_dirent_valid(fs, b, off)) {
			printk("ext2: directory %lu: bad entry in block %u at %u\n",
			       dir->ino, pbn, off);
			r = -EIO;
			break;
		}
		r = fn(b, off, prev, op);
		prev = off;
		off += ext2_dirent_at(b, off)->rec_len;
	}
	bcache_release(b);
	return r;
}

/* => dir->lock. Call fn on every entry of dir until it returns 1.
 * Returns 1 (stopped), 0 (every entry seen) or -EIO. */
static int ext2_dir_scan(struct vnode *dir, ext2_dirent_fn fn, struct ext2_dirop *op)
{
	struct ext2_fs *fs = ext2_fs_of(dir);
	uint64_t nblocks = ROUNDUP(dir->size, fs->blocksize) / fs->blocksize;
	for (uint64_t lbn = 0; lbn < nblocks; lbn++) {
		uint32_t pbn;
		int err = ext2_bmap(dir, lbn, false, &pbn);
		if (err < 0)
			return err;
		if (pbn == 0)
			continue;
		int r = ext2_dir_scan_block(dir, pbn, fn, op);
		if (r != 0)
			return r;
	}
	return 0;
}

static int ext2_lookup_cb(struct buf *b, uint32_t off, uint32_t prev __unused,
			  struct ext2_dirop *op)
{
	struct ext2_dirent *de = ext2_dirent_at(b, off);
	if (!ext2_dirent_is(de, op->name, op->len))
		return 0;
	op->ino = de->inode;
	return 1;
}

/* Fill the entry's name and number, the header's rec_len already set. */
static void ext2_dirent_fill(struct ext2_dirent *de, struct ext2_dirop *op)
{
	de->inode = op->ino;
	de->name_len = (uint8_t)op->len;
	de->file_type = op->fs->filetype ? op->ftype : EXT2_FT_UNKNOWN;
	memcpy(de->name, op->name, op->len);
}

static int ext2_add_cb(struct buf *b, uint32_t off, uint32_t prev __unused,
		       struct ext2_dirop *op)
{
	struct ext2_dirent *de = ext2_dirent_at(b, off);
	uint32_t used = de->inode ? EXT2_DIRENT_SIZE(de->name_len) : 0;
	if (de->rec_len - used < EXT2_DIRENT_SIZE(op->len))
		return 0;
	struct ext2_dirent *ne = de;
	if (used > 0) {
		ne = ext2_dirent_at(b, off + used);
		ne->rec_len = (uint16_t)(de->rec_len - used);
		de->rec_len = (uint16_t)used;
	}
	ext2_dirent_fill(ne, op);
	bcache_mark_dirty(b);
	return 1;
}

static int ext2_remove_cb(struct buf *b, uint32_t off, uint32_t prev,
			  struct ext2_dirop *op)
{
	struct ext2_dirent *de = ext2_dirent_at(b, off);
	if (!ext2_dirent_is(de, op->name, op->len))
		return 0;
	op->ino = de->inode;
	if (prev == EXT2_NO_PREV)
		de->inode = 0;
	else
		ext2_dirent_at(b, prev)->rec_len += de->rec_len;
	bcache_mark_dirty(b);
	return 1;
}

/* Point an existing entry at op->ino (rename over a target, "..") */
static int ext2_set_cb(struct buf *b, uint32_t off, uint32_t prev __unused,
		       struct ext2_dirop *op)
{
	struct ext2_dirent *de = ext2_dirent_at(b, off);
	if (!ext2_dirent_is(de, op->name, op->len))
		return 0;
	de->inode = op->ino;
	if (op->fs->filetype)
		de->file_type = op->ftype;
	bcache_mark_dirty(b);
	return 1;
}

static int ext2_nonempty_cb(struct buf *b, uint32_t off, uint32_t prev __unused,
			    struct ext2_dirop *op __unused)
{
	struct ext2_dirent *de = ext2_dirent_at(b, off);
	if (de->inode == 0 || ext2_dirent_is(de, ".", 1) || ext2_dirent_is(de, "..", 2))
		return 0;
	return 1;
}

static uint8_t ext2_mode_ftype(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:  return EXT2_FT_REG_FILE;
	case S_IFDIR:  return EXT2_FT_DIR;
	case S_IFCHR:  return EXT2_FT_CHRDEV;
	case S_IFBLK:  return EXT2_FT_BLKDEV;
	case S_IFIFO:  return EXT2_FT_FIFO;
	case S_IFSOCK: return EXT2_FT_SOCK;
	case S_IFLNK:  return EXT2_FT_SYMLINK;
	default:       return EXT2_FT_UNKNOWN;
	}
}

static void ext2_dirop_init(struct ext2_dirop *op, struct vnode *dir,
			    const char *name, uint32_t ino, mode_t mode)
{
	op->fs = ext2_fs_of(dir);
	op->name = name;
	op->len = strlen(name);
	op->ino = ino;
	op->ftype = ext2_mode_ftype(mode);
}

/* => dir->lock. The directory's entries changed: a hashed (htree)
 * directory becomes a plain linear one, and the times move. */
static void ext2_dir_changed(struct vnode *dir)
{
	ext2_info(dir)->di.i_flags &= ~EXT2_INDEX_FL;
	ext2_touch(dir, true);
	ext2_inode_update(dir);
}

/* => dir->lock. Append a block holding the single entry op describes. */
static int ext2_dir_append(struct vnode *dir, struct ext2_dirop *op)
{
	struct ext2_fs *fs = ext2_fs_of(dir);
	struct ext2_inode *di = &ext2_info(dir)->di;
	uint64_t lbn = ROUNDUP(dir->size, fs->blocksize) / fs->blocksize;
	uint32_t pbn;
	int err = ext2_bmap(dir, lbn, true, &pbn);
	if (err < 0)
		return err;
	struct buf *b;
	err = bcache_read(fs->bc, pbn, &b);
	if (err < 0)
		return err;
	struct ext2_dirent *de = ext2_dirent_at(b, 0);
	de->rec_len = (uint16_t)fs->blocksize;
	ext2_dirent_fill(de, op);
	bcache_mark_dirty(b);
	bcache_release(b);
	ext2_inode_set_size(di, (lbn + 1) * fs->blocksize);
	return 0;
}

/* => dir->lock. Add entry name -> ino (of type mode) to dir. */
static int ext2_dir_add(struct vnode *dir, const char *name, uint32_t ino, mode_t mode)
{
	struct ext2_dirop op;
	ext2_dirop_init(&op, dir, name, ino, mode);
	int r = ext2_dir_scan(dir, ext2_add_cb, &op);
	if (r == 0)
		r = ext2_dir_append(dir, &op);
	if (r < 0)
		return r;
	ext2_dir_changed(dir);
	return 0;
}

/* => dir->lock. Remove entry name from dir. */
static int ext2_dir_remove(struct vnode *dir, const char *name)
{
	struct ext2_dirop op;
	ext2_dirop_init(&op, dir, name, 0, 0);
	int r = ext2_dir_scan(dir, ext2_remove_cb, &op);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	ext2_dir_changed(dir);
	return 0;
}

/* => dir->lock. Point existing entry name of dir at ino (of type mode). */
static int ext2_dir_set(struct vnode *dir, const char *name, uint32_t ino, mode_t mode)
{
	struct ext2_dirop op;
	ext2_dirop_init(&op, dir, name, ino, mode);
	int r = ext2_dir_scan(dir, ext2_set_cb, &op);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	ext2_dir_changed(dir);
	return 0;
}

/* => dir->lock. 0 if dir has only "." and "..", -ENOTEMPTY, or -EIO. */
static int ext2_dir_empty(struct vnode *dir)
{
	struct ext2_dirop op;
	ext2_dirop_init(&op, dir, "", 0, 0);
	int r = ext2_dir_scan(dir, ext2_nonempty_cb, &op);
	return r == 1 ? -ENOTEMPTY : r;
}

static int ext2_lookup(struct vnode *dir, const char *name, ino_t *ino)
{
	struct ext2_dirop op;
	if (dir->type != VDIR)
		return -ENOTDIR;
	ext2_dirop_init(&op, dir, name, 0, 0);
	if (op.len > EXT2_NAME_LEN)
		return -ENAMETOOLONG;
	int r = ext2_dir_scan(dir, ext2_lookup_cb, &op);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	*ino = op.ino;
	return 0;
}

static uint8_t ext2_ftype_dtype(struct ext2_fs *fs, uint8_t ftype)
{
	static const uint8_t dtype[] = {
		[EXT2_FT_UNKNOWN] = DT_UNKNOWN, [EXT2_FT_REG_FILE] = DT_REG,
		[EXT2_FT_DIR] = DT_DIR, [EXT2_FT_CHRDEV] = DT_CHR,
		[EXT2_FT_BLKDEV] = DT_BLK, [EXT2_FT_FIFO] = DT_FIFO,
		[EXT2_FT_SOCK] = DT_SOCK, [EXT2_FT_SYMLINK] = DT_LNK,
	};
	if (!fs->filetype || ftype >= ARRAY_SIZE(dtype))
		return DT_UNKNOWN;
	return dtype[ftype];
}

/* => dir->lock. The first used entry of block pbn at an offset >= boff:
 * 1 and *next (offset past it), 0 if none, or -EIO. */
static int ext2_readdir_block(struct vnode *dir, uint32_t pbn, uint32_t boff,
			      struct vfs_dirent *out, uint32_t *next)
{
	struct ext2_fs *fs = ext2_fs_of(dir);
	struct buf *b;
	int err = bcache_read(fs->bc, pbn, &b);
	if (err < 0)
		return err;
	int r = 0;
	for (uint32_t off = 0; off < fs->blocksize;) {
		if (!ext2_dirent_valid(fs, b, off)) {
			r = -EIO;
			break;
		}
		struct ext2_dirent *de = ext2_dirent_at(b, off);
		if (off >= boff && de->inode != 0) {
			out->ino = de->inode;
			out->type = ext2_ftype_dtype(fs, de->file_type);
			out->namelen = de->name_len;
			memcpy(out->name, de->name, de->name_len);
			out->name[de->name_len] = '\0';
			*next = off + de->rec_len;
			r = 1;
			break;
		}
		off += de->rec_len;
	}
	bcache_release(b);
	return r;
}

static int ext2_readdir(struct vnode *dir, off_t *pos, struct vfs_dirent *out)
{
	struct ext2_fs *fs = ext2_fs_of(dir);
	if (dir->type != VDIR)
		return -ENOTDIR;
	while (*pos >= 0 && (uint64_t)*pos < dir->size) {
		uint64_t lbn = (uint64_t)*pos / fs->blocksize;
		uint32_t pbn = 0, next = 0;
		int r = ext2_bmap(dir, lbn, false, &pbn);
		if (r == 0 && pbn != 0)
			r = ext2_readdir_block(dir, pbn, *pos % fs->blocksize, out, &next);
		if (r < 0)
			return r;
		if (r == 1) {
			*pos = (off_t)(lbn * fs->blocksize + next);
			return 1;
		}
		*pos = (off_t)((lbn + 1) * fs->blocksize);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Namespace operations                                                 */
/* ------------------------------------------------------------------ */

/* Build the first block of a new directory ino in parent. */
static int ext2_dir_init_block(struct ext2_fs *fs, uint32_t blk, uint32_t ino,
			       uint32_t parent)
{
	struct buf *b;
	int err = bcache_read(fs->bc, blk, &b);
	if (err < 0)
		return err;
	struct ext2_dirop op = { fs, ".", 1, ino, EXT2_FT_DIR };
	struct ext2_dirent *dot = ext2_dirent_at(b, 0);
	dot->rec_len = EXT2_DIRENT_SIZE(1);
	ext2_dirent_fill(dot, &op);
	struct ext2_dirent *dotdot = ext2_dirent_at(b, dot->rec_len);
	dotdot->rec_len = (uint16_t)(fs->blocksize - dot->rec_len);
	op = (struct ext2_dirop){ fs, "..", 2, parent, EXT2_FT_DIR };
	ext2_dirent_fill(dotdot, &op);
	bcache_mark_dirty(b);
	bcache_release(b);
	return 0;
}

/* Write a new inode of mode for ino; a directory gets its first block
 * with "." and "..". */
static int ext2_inode_init(struct ext2_fs *fs, uint32_t ino, mode_t mode,
			   uint32_t parent, struct ext2_inode *di)
{
	memset(di, 0, sizeof(*di));
	di->i_mode = (uint16_t)mode;
	di->i_atime = di->i_ctime = di->i_mtime = ext2_now();
	di->i_links_count = 1;
	if (S_ISDIR(mode)) {
		uint32_t g = ext2_ino_group(fs, ino);
		uint32_t blk;
		int err = ext2_block_alloc(fs, ext2_group_first_block(fs, g), true, &blk);
		if (err < 0)
			return err;
		err = ext2_dir_init_block(fs, blk, ino, parent);
		if (err < 0) {
			ext2_block_free(fs, blk);
			return err;
		}
		di->i_links_count = 2;
		di->i_block[0] = blk;
		di->i_blocks = EXT2_SECTORS(fs);
		di->i_size = fs->blocksize;
	}
	return ext2_inode_write(fs, ino, di, true);
}

/* Undo ext2_inode_init after a failure. */
static void ext2_inode_discard(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *di)
{
	if (S_ISDIR(di->i_mode) && di->i_block[0] != 0)
		ext2_block_free(fs, di->i_block[0]);
	memset(di->i_block, 0, sizeof(di->i_block));
	di->i_blocks = 0;
	di->i_size = 0;
	di->i_links_count = 0;
	di->i_dtime = ext2_dtime(fs);
	ext2_inode_write(fs, ino, di, false);
	ext2_inode_free(fs, ino, S_ISDIR(di->i_mode));
}

static int ext2_create(struct vnode *dir, const char *name, mode_t mode, ino_t *out)
{
	struct ext2_fs *fs = ext2_fs_of(dir);
	bool isdir = S_ISDIR(mode);
	if (fs->readonly)
		return -EROFS;
	if (dir->nlink == 0)
		return -ENOENT;
	if (strlen(name) > EXT2_NAME_LEN)
		return -ENAMETOOLONG;
	if (isdir && dir->nlink >= EXT2_LINK_MAX)
		return -EMLINK;
	uint32_t ino = 0;
	int err = ext2_inodes_prepare(fs, (uint32_t)dir->ino, 0, 0);
	if (err < 0)
		return err;
	err = ext2_inode_alloc(fs, ext2_ino_group(fs, (uint32_t)dir->ino), isdir, &ino);
	if (err < 0)
		return err;
	struct ext2_inode di;
	err = ext2_inode_init(fs, ino, mode, (uint32_t)dir->ino, &di);
	if (err == 0)
		err = ext2_dir_add(dir, name, ino, mode);
	if (err < 0) {
		ext2_inode_discard(fs, ino, &di);
		return err;
	}
	if (isdir) {
		ext2_info(dir)->di.i_links_count++;
		ext2_inode_update(dir);
	}
	*out = ino;
	return 0;
}

static int ext2_link(struct vnode *dir, const char *name, struct vnode *vn)
{
	struct ext2_fs *fs = ext2_fs_of(dir);
	struct ext2_inode *di = &ext2_info(vn)->di;
	if (fs->readonly)
		return -EROFS;
	if (vn->type == VDIR)
		return -EPERM;
	if (dir->nlink == 0)
		return -ENOENT;
	if (di->i_links_count >= EXT2_LINK_MAX)
		return -EMLINK;
	int err = ext2_inodes_prepare(fs, (uint32_t)dir->ino, (uint32_t)vn->ino, 0);
	if (err == 0)
		err = ext2_dir_add(dir, name, (uint32_t)vn->ino, vn->mode);
	if (err < 0)
		return err;
	di->i_links_count++;
	ext2_touch(vn, false);
	return ext2_inode_update(vn);
}

/* => the locks of dir and vn. vn lost its entry in dir: drop its links
 * (a directory drops both, and its ".." link on dir). */
static void ext2_drop_links(struct vnode *dir, struct vnode *vn)
{
	struct ext2_inode *di = &ext2_info(vn)->di;
	if (vn->type == VDIR) {
		di->i_links_count = 0;
		ext2_info(dir)->di.i_links_count--;
		ext2_inode_update(dir);
	} else if (di->i_links_count > 0) {
		di->i_links_count--;
	}
	ext2_touch(vn, false);
	ext2_inode_update(vn);
}

static int ext2_unlink(struct vnode *dir, const char *name, struct vnode *vn)
{
	struct ext2_fs *fs = ext2_fs_of(dir);
	if (fs->readonly)
		return -EROFS;
	int err = ext2_inodes_prepare(fs, (uint32_t)dir->ino, (uint32_t)vn->ino, 0);
	if (err == 0 && vn->type == VDIR)
		err = ext2_dir_empty(vn);
	if (err == 0 && (vn->type == VDIR || vn->nlink <= 1))
		err = ext2_delete_prepare(vn);  /* its last name goes */
	if (err == 0)
		err = ext2_dir_remove(dir, name);
	if (err < 0)
		return err;
	ext2_drop_links(dir, vn);
	return 0;
}

/* => locks of odir, ndir, vn. A directory vn moved from odir to ndir:
 * fix its ".." and the parents' link counts. */
static int ext2_reparent(struct vnode *odir, struct vnode *vn, struct vnode *ndir)
{
	int err = ext2_dir_set(vn, "..", (uint32_t)ndir->ino, S_IFDIR);
	if (err < 0)
		return err;
	ext2_info(odir)->di.i_links_count--;
	ext2_inode_update(odir);
	ext2_info(ndir)->di.i_links_count++;
	ext2_inode_update(ndir);
	return 0;
}

/* Read what a rename changes before it changes anything: the inodes and
 * the directory blocks holding oname and (moving a directory) "..". */
static int ext2_rename_prepare(struct vnode *odir, const char *oname, struct vnode *vn,
			       struct vnode *ndir, struct vnode *target)
{
	struct ext2_fs *fs = ext2_fs_of(odir);
	ino_t ino;
	int err = ext2_inodes_prepare(fs, (uint32_t)odir->ino, (uint32_t)ndir->ino,
				      (uint32_t)vn->ino);
	if (err == 0 && target != NULL && (target->type == VDIR || target->nlink <= 1))
		err = ext2_delete_prepare(target);
	if (err == 0)
		err = ext2_lookup(odir, oname, &ino);
	if (err == 0 && vn->type == VDIR)
		err = ext2_lookup(vn, "..", &ino);
	return err;
}

static int ext2_rename(struct vnode *odir, const char *oname, struct vnode *vn,
		       struct vnode *ndir, const char *nname, struct vnode *target)
{
	struct ext2_fs *fs = ext2_fs_of(odir);
	bool moving_dir = vn->type == VDIR && odir != ndir;
	int err;
	if (fs->readonly)
		return -EROFS;
	if (ndir->nlink == 0)
		return -ENOENT;
	err = ext2_rename_prepare(odir, oname, vn, ndir, target);
	if (err < 0)
		return err;
	if (target != NULL) {
		if (target->type == VDIR && (err = ext2_dir_empty(target)) < 0)
			return err;
		err = ext2_dir_set(ndir, nname, (uint32_t)vn->ino, vn->mode);
		if (err < 0)
			return err;
		ext2_drop_links(ndir, target);
	} else {
		if (moving_dir && ndir->nlink >= EXT2_LINK_MAX)
			return -EMLINK;
		err = ext2_dir_add(ndir, nname, (uint32_t)vn->ino, vn->mode);
		if (err < 0)
			return err;
	}
	err = ext2_dir_remove(odir, oname);
	if (err < 0 && target == NULL)
		ext2_dir_remove(ndir, nname);   /* undo: one name, as before */
	if (err == 0 && moving_dir)
		err = ext2_reparent(odir, vn, ndir);
	ext2_touch(vn, false);
	ext2_inode_update(vn);
	return err;
}

static int ext2_stat(struct vnode *vn, struct stat *st)
{
	struct ext2_fs *fs = ext2_fs_of(vn);
	const struct ext2_inode *di = &ext2_info(vn)->di;
	memset(st, 0, sizeof(*st));
	st->st_dev = vn->mnt->dev;
	st->st_ino = vn->ino;
	st->st_mode = di->i_mode;
	st->st_nlink = di->i_links_count;
	st->st_uid = di->i_uid;
	st->st_gid = di->i_gid;
	st->st_size = (int64_t)ext2_inode_size(di);
	st->st_blksize = (int32_t)fs->blocksize;
	st->st_blocks = di->i_blocks;
	st->st_atime_sec = di->i_atime;
	st->st_mtime_sec = di->i_mtime;
	st->st_ctime_sec = di->i_ctime;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Vnodes                                                               */
/* ------------------------------------------------------------------ */

static int ext2_vget(struct mount *mnt, struct vnode *vn)
{
	struct ext2_fs *fs = mnt->priv;
	if (vn->ino == 0 || vn->ino > fs->ninodes)
		return -ENOENT;
	struct ext2_inode_info *ei = kzalloc(sizeof(*ei));
	if (ei == NULL)
		return -ENOMEM;
	int err = ext2_inode_read(fs, (uint32_t)vn->ino, &ei->di);
	if (err == 0 && ei->di.i_links_count == 0)
		err = -ENOENT;
	if (err < 0) {
		kfree(ei);
		return err;
	}
	mutex_init(&ei->map_lock, "ext2 map");
	ei->goal = ext2_group_first_block(fs, ext2_ino_group(fs, (uint32_t)vn->ino));
	vn->priv = ei;
	vn->ops = &ext2_vnode_ops;
	ext2_vnode_sync(vn);
	return 0;
}

/* Drop the inode's extended-attribute block reference, if any. */
static void ext2_xattr_release(struct ext2_fs *fs, struct ext2_inode *di)
{
	struct buf *b;
	uint32_t blk = di->i_file_acl;
	if (blk == 0 || bcache_read(fs->bc, blk, &b) < 0)
		return;
	uint32_t *hdr = (uint32_t *)b->data;    /* magic, refcount, ... */
	bool last = hdr[0] != EXT2_XATTR_MAGIC || hdr[1] <= 1;
	if (!last) {
		hdr[1]--;
		bcache_mark_dirty(b);
	}
	bcache_release(b);
	if (last)
		ext2_block_free(fs, blk);
	di->i_file_acl = 0;
	di->i_blocks -= EXT2_SECTORS(fs);
}

/* No references and no links left: free the blocks and the inode. */
static void ext2_inode_delete(struct vnode *vn)
{
	struct ext2_fs *fs = ext2_fs_of(vn);
	struct ext2_inode *di = &ext2_info(vn)->di;
	int err = ext2_delete_prepare(vn);
	if (err == 0 && ext2_has_blocks(fs, di))
		err = ext2_free_from(vn, 0);
	if (err < 0) {
		/* Keep the inode with the blocks it still has (e2fsck can
		 * put it in lost+found); write what was freed. */
		printk("ext2: inode %lu: blocks not freed (%d)\n", vn->ino, err);
		ext2_inode_write(fs, (uint32_t)vn->ino, di, false);
		return;
	}
	ext2_xattr_release(fs, di);
	if (!ext2_has_blocks(fs, di))
		memset(di->i_block, 0, sizeof(di->i_block));
	ext2_inode_set_size(di, 0);
	di->i_dtime = ext2_dtime(fs);
	ext2_inode_write(fs, (uint32_t)vn->ino, di, false);
	ext2_inode_free(fs, (uint32_t)vn->ino, S_ISDIR(di->i_mode));
}

static void ext2_reclaim(struct vnode *vn)
{
	struct ext2_fs *fs = ext2_fs_of(vn);
	struct ext2_inode_info *ei = ext2_info(vn);
	if (ei == NULL)
		return;
	if (ei->di.i_links_count == 0 && !fs->readonly)
		ext2_inode_delete(vn);
	kfree(ei);
	vn->priv = NULL;
}

static int ext2_sync(struct mount *mnt)
{
	struct ext2_fs *fs = mnt->priv;
	return bcache_sync(fs->bc);
}

static const struct vnode_ops ext2_vnode_ops = {
	.lookup = ext2_lookup,
	.read = ext2_read,
	.write = ext2_write,
	.truncate = ext2_truncate,
	.bmap = ext2_vop_bmap,
	.readdir = ext2_readdir,
	.create = ext2_create,
	.link = ext2_link,
	.unlink = ext2_unlink,
	.rename = ext2_rename,
	.stat = ext2_stat,
	.reclaim = ext2_reclaim,
};

static const struct mount_ops ext2_mount_ops = {
	.vget = ext2_vget,
	.sync = ext2_sync,
};

/* ------------------------------------------------------------------ */
/* Mounting and checking                                                */
/* ------------------------------------------------------------------ */

/* Validate the superblock and fill fs's geometry. 0 or -EINVAL. */
static int ext2_super_parse(struct ext2_fs *fs, const struct ext2_super *sb)
{
	if (sb->s_magic != EXT2_MAGIC || sb->s_rev_level != EXT2_DYNAMIC_REV ||
	    sb->s_log_block_size > 2 || sb->s_blocks_per_group == 0 ||
	    sb->s_inodes_per_group == 0 || sb->s_blocks_count <= sb->s_first_data_block)
		return -EINVAL;
	if (sb->s_feature_incompat & ~EXT2_INCOMPAT_SUPPORTED) {
		printk("ext2: unsupported incompatible features %x\n",
		       sb->s_feature_incompat);
		return -EINVAL;
	}
	fs->blocksize = EXT2_MIN_BLOCK_SIZE << sb->s_log_block_size;
	fs->inode_size = sb->s_inode_size;
	if (fs->inode_size < EXT2_GOOD_OLD_INODE_SIZE || fs->inode_size > fs->blocksize ||
	    !IS_POWER_OF_2(fs->inode_size))
		return -EINVAL;
	fs->ptrs = fs->blocksize / sizeof(uint32_t);
	fs->nblocks = sb->s_blocks_count;
	fs->ninodes = sb->s_inodes_count;
	fs->first_data_block = sb->s_first_data_block;
	fs->blocks_per_group = sb->s_blocks_per_group;
	fs->inodes_per_group = sb->s_inodes_per_group;
	fs->ngroups = ROUNDUP(fs->nblocks - fs->first_data_block, fs->blocks_per_group) /
		      fs->blocks_per_group;
	fs->first_ino = sb->s_first_ino;
	fs->gdt_block = fs->first_data_block + 1;
	fs->sb_block = EXT2_SUPER_OFFSET / fs->blocksize;
	fs->sb_offset = EXT2_SUPER_OFFSET % fs->blocksize;
	fs->filetype = (sb->s_feature_incompat & EXT2_FEATURE_INCOMPAT_FILETYPE) != 0;
	fs->readonly = (sb->s_feature_ro_compat & ~EXT2_RO_COMPAT_SUPPORTED) != 0;
	uint64_t map_blocks = EXT2_NDIR_BLOCKS + ext2_span(fs, 1) + ext2_span(fs, 2) +
			      ext2_span(fs, 3);
	fs->max_size = MIN(map_blocks * fs->blocksize, EXT2_IBLOCKS_MAX);
	if (!(sb->s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_LARGE_FILE))
		fs->max_size = MIN(fs->max_size, EXT2_SMALL_FILE_MAX);
	return 0;
}

/* Read the superblock of dev into fs. */
static int ext2_super_read(struct ext2_fs *fs, dev_id_t dev)
{
	struct ext2_super *sb = kmalloc(sizeof(*sb));
	if (sb == NULL)
		return -ENOMEM;
	int err = blk_rw(dev, BLK_READ, EXT2_SUPER_OFFSET / BLK_SECTOR_SIZE, sb,
			 sizeof(*sb), BLK_REASON_FS);
	if (err == 0)
		err = ext2_super_parse(fs, sb);
	if (err == 0 && fs->readonly)
		printk("ext2: read-only features %x: mounting read-only\n",
		       sb->s_feature_ro_compat);
	kfree(sb);
	return err < 0 && err != -EINVAL && err != -ENOMEM ? -EIO : err;
}

/* Copy every group's metadata locations out of the descriptor table. */
static int ext2_groups_load(struct ext2_fs *fs)
{
	fs->groups = kzalloc(sizeof(*fs->groups) * fs->ngroups);
	if (fs->groups == NULL)
		return -ENOMEM;
	for (uint32_t g = 0; g < fs->ngroups; g++) {
		struct buf *b;
		struct ext2_group_desc *gd;
		int err = ext2_gd_get(fs, g, &b, &gd);
		if (err < 0)
			return err;
		fs->groups[g].block_bitmap = gd->bg_block_bitmap;
		fs->groups[g].inode_bitmap = gd->bg_inode_bitmap;
		fs->groups[g].inode_table = gd->bg_inode_table;
		bcache_release(b);
	}
	return 0;
}

int ext2_mount(dev_id_t dev, const char *path)
{
	struct ext2_fs *fs = kzalloc(sizeof(*fs));
	if (fs == NULL)
		return -ENOMEM;
	mutex_init(&fs->lock, "ext2");
	fs->dev = dev;
	int err = ext2_super_read(fs, dev);
	if (err < 0)
		goto fail;
	err = -ENOMEM;
	fs->bc = bcache_create(dev, fs->blocksize, BCACHE_NBUF);
	if (fs->bc == NULL)
		goto fail;
	err = ext2_groups_load(fs);
	if (err < 0)
		goto fail;
	err = vfs_mount(path, "ext2", dev, EXT2_ROOT_INO, &ext2_mount_ops, fs);
	if (err < 0)
		goto fail;
	printk("ext2: mounted %s: %u blocks of %u bytes, %u inodes, %u groups\n",
	       path, fs->nblocks, fs->blocksize, fs->ninodes, fs->ngroups);
	return 0;
fail:
	/* The buffer cache is a one-time structure; only fs itself goes. */
	kfree(fs->groups);
	kfree(fs);
	return err;
}

/* Set bits among the first n of a bitmap block. */
static uint32_t ext2_bits_set(const uint8_t *map, uint32_t n)
{
	uint32_t count = 0;
	for (uint32_t i = 0; i < n; i++)
		count += (map[i / 8] >> (i % 8)) & 1;
	return count;
}

/* Group g's bitmaps against its descriptor; adds its free counts. */
static int ext2_check_group(struct ext2_fs *fs, uint32_t g, uint64_t *fblocks,
			    uint64_t *finodes)
{
	struct buf *b, *bm;
	struct ext2_group_desc *gd;
	int err = ext2_gd_get(fs, g, &b, &gd);
	if (err < 0)
		return err;
	uint32_t nb = ext2_group_nblocks(fs, g);
	if ((err = bcache_read(fs->bc, fs->groups[g].block_bitmap, &bm)) == 0) {
		if (nb - ext2_bits_set(bm->data, nb) != gd->bg_free_blocks_count)
			err = -EIO;
		bcache_release(bm);
	}
	if (err == 0 && (err = bcache_read(fs->bc, fs->groups[g].inode_bitmap, &bm)) == 0) {
		uint32_t ni = fs->inodes_per_group;
		if (ni - ext2_bits_set(bm->data, ni) != gd->bg_free_inodes_count)
			err = -EIO;
		bcache_release(bm);
	}
	*fblocks += gd->bg_free_blocks_count;
	*finodes += gd->bg_free_inodes_count;
	if (err == -EIO)
		printk("ext2: group %u free counts disagree with its bitmaps\n", g);
	bcache_release(b);
	return err;
}

int ext2_check(struct mount *mnt)
{
	struct ext2_fs *fs = mnt->priv;
	uint64_t fblocks = 0, finodes = 0;
	int err = 0;
	mutex_lock(&fs->lock);
	for (uint32_t g = 0; g < fs->ngroups && err == 0; g++)
		err = ext2_check_group(fs, g, &fblocks, &finodes);
	struct buf *b;
	if (err == 0 && (err = bcache_read(fs->bc, fs->sb_block, &b)) == 0) {
		struct ext2_super *sb = (struct ext2_super *)(b->data + fs->sb_offset);
		if (sb->s_free_blocks_count != fblocks || sb->s_free_inodes_count != finodes) {
			printk("ext2: superblock free counts disagree with groups\n");
			err = -EIO;
		}
		bcache_release(b);
	}
	mutex_unlock(&fs->lock);
	return err;
}
