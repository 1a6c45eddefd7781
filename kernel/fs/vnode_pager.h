/*
 * The vnode pager and the page cache: every regular file of a disk file
 * system has one memory object (vnode->obj) whose pages are the file's
 * data, read and written through the file system's block map
 * (vnode_ops.bmap). The VFS and file systems call these; the VM sees only
 * the pager_ops and vnode_object (kernel/fs/vfs.h).
 */
#ifndef KERNEL_FS_VNODE_PAGER_H
#define KERNEL_FS_VNODE_PAGER_H

#include "kernel/types.h"

struct vnode;
struct uio;

extern const struct pager_ops vnode_pager_ops;

/* Give vn, a regular file just loaded (not yet in the vnode cache), its
 * page-cache object of vn->size bytes, holding the vnode's own reference.
 * Returns 0 or -ENOMEM. */
int vnode_pager_attach(struct vnode *vn);
/* The last reference to vn is gone (it is out of the vnode cache): write
 * its dirty pages back, unless the file has no links left, and free the
 * object. => no vnode lock; process context. */
void vnode_pager_detach(struct vnode *vn);
/* Read from uio->offset up to the end of the file through the page cache.
 * => vn->lock. Returns bytes read (0 at the end), or -EFAULT, -EIO,
 * -ENOMEM if nothing was read. */
ssize_t vnode_pager_read(struct vnode *vn, struct uio *uio);
/* The file is about to grow past vn->size bytes: zero the bytes of its
 * last page past the end (what stores through a shared mapping left
 * there must read as zeroes, POSIX mmap), and write-protect that page in
 * every pmap so the next store asks the pager for blocks again.
 * => vn->lock. Returns 0, -EIO or -ENOMEM. */
int vnode_pager_zero_tail(struct vnode *vn);
/* Write back vn's dirty pages. Returns 0, -EIO or -ENOSPC. */
int vnode_pager_sync(struct vnode *vn);

#endif
