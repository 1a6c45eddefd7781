/*
 * Raw block device nodes (kernel/dev/blkdev.c): /dev/vda, /dev/vdb, ...,
 * one per virtio disk, reading and writing the disk through the block
 * request manager. Device numbers as Linux's virtio_blk usually gets
 * them: major 254, 16 minors per disk (vda 254,0; vdb 254,16).
 */
#ifndef KERNEL_DEV_BLKDEV_H
#define KERNEL_DEV_BLKDEV_H

#include "kernel/types.h"
#include "kernel/dev/dev.h"

#define VIRTBLK_MAJOR           254
#define VIRTBLK_DISK_MINORS     16      /* minors per disk (whole disk first) */

struct vnode;
struct file;

/* The device number (Linux encoding, kernel/dev/chrdev.h) of disk dev's
 * node. */
dev_t blkdev_rdev(dev_id_t dev);
/* The DEV_BLOCK ID of the disk whose whole-disk node is rdev, or 0 if
 * rdev names no disk (another major, a partition minor, no such unit). */
dev_id_t blkdev_disk(dev_t rdev);
/* Size in bytes of the disk behind rdev, 0 if none (lseek SEEK_END). */
uint64_t blkdev_size(dev_t rdev);
/* Open the disk behind node vn (block device minor) with flags (O_*).
 * Reading is always allowed; writing claims the disk as a writer
 * (blk_claim), so it fails while the disk is the swap device or holds a
 * mounted file system. Returns 0 and the file in *out, -ENXIO (no such
 * disk), -EBUSY or -ENOMEM. No locks held. */
int blkdev_open(struct vnode *vn, unsigned int minor, int flags, struct file **out);

#endif
