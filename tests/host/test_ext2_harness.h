/*
 * The host harness of the ext2 tests: see test_ext2_harness.c.
 */
#ifndef TESTS_HOST_TEST_EXT2_HARNESS_H
#define TESTS_HOST_TEST_EXT2_HARNESS_H

#include "kernel/fs/ext2.h"
#include "kernel/fs/bcache.h"
#include "kernel/fs/vfs.h"
#include "kernel/fs/uio.h"
#include "kernel/fs/vnode_pager.h"
#include "kernel/dev/blk.h"
#include "kernel/errno.h"
#include "kernel/proc/sched.h"
#include "kernel/proc/proc.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/object.h"
#include "kernel/vm/page.h"
#include "kernel/vm/pmap.h"
#include "kernel/vm/uaccess.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "tests/host/tap.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TV_MAX     1024
#define POISON     0xa5         /* fresh frames are full of it */

extern FILE *disk;              /* the image the file system lives on */
extern struct mount test_mnt;   /* the one mount */
extern long host_frames;        /* frames handed out and not freed */
/* Fault injection: the inject_io_at-th blk_rw from now fails with -EIO
 * (0: none); inject_io_calls counts every call; user addresses in
 * [inject_bad_lo, inject_bad_hi) fault (copyin/copyout: -EFAULT). */
extern long inject_io_at;
extern long inject_io_calls;
extern vaddr_t inject_bad_lo, inject_bad_hi;
/* A signal is pending from the inject_signal_at-th look on (1: now; 0:
 * never), so a user transfer stops there (uio_interrupted). */
extern long inject_signal_at;

struct vnode *tv_get(ino_t ino);
void tv_put(struct vnode *vn);
int tv_live(void);
struct vnode *tv_lookup(struct vnode *dir, const char *name);
struct vnode *tv_walk(struct vnode *dir, const char *path);
int tv_create(struct vnode *dir, const char *name, mode_t mode, struct vnode **out);
ssize_t tv_rw(struct vnode *vn, void *buf, off_t off, size_t len, bool write);
int tv_truncate(struct vnode *vn, uint64_t size);
int tv_unlink(struct vnode *dir, const char *name);
int tv_link(struct vnode *dir, const char *name, struct vnode *vn);
int tv_rename(struct vnode *odir, const char *oname, struct vnode *ndir,
	      const char *nname);
int tv_count(struct vnode *dir);
uint8_t pattern(size_t i, int seed);
void fill(uint8_t *buf, size_t n, int seed);
bool check(const uint8_t *buf, size_t n, int seed);
int run(const char *fmt, const char *a, const char *b);
uint32_t super_free_blocks(void);

#endif
