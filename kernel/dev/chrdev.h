/*
 * Character devices reachable through /dev (kernel/fs/devfs.c): their
 * Linux major and minor numbers and each driver's open. Device numbers
 * are Linux's 32-bit encoding (the `dev` of mknodat, st_rdev of stat):
 * minor bits 0-7, major bits 8-19, minor bits 8-19 at bits 20-31.
 * See Linux Documentation/admin-guide/devices.txt for the numbers.
 */
#ifndef KERNEL_DEV_CHRDEV_H
#define KERNEL_DEV_CHRDEV_H

#include "kernel/types.h"

#define RDEV_MAKE(major, minor) ((dev_t)(((minor) & 0xffu) | (((major) & 0xfffu) << 8) | \
					 (((minor) & 0xfff00u) << 12)))
#define RDEV_MAJOR(rdev)        ((unsigned int)(((rdev) >> 8) & 0xfffu))
#define RDEV_MINOR(rdev)        ((unsigned int)(((rdev) & 0xffu) | (((rdev) >> 12) & 0xfff00u)))

#define MEM_MAJOR       1       /* memory devices */
#define MEM_NULL        3
#define MEM_ZERO        5
#define MEM_RANDOM      8
#define MEM_URANDOM     9
#define TTYAUX_MAJOR    5       /* the controlling terminal and the console */
#define TTYAUX_TTY      0
#define TTYAUX_CONSOLE  1

struct vnode;
struct file;

/* Open minor of a driver's major on device node vn (referenced by the
 * caller; the file takes its own reference) with open flags (O_*).
 * Returns 0 and the new file in *out, -ENXIO (no such minor) or -ENOMEM.
 * No locks held. */
int mem_dev_open(struct vnode *vn, unsigned int minor, int flags, struct file **out);
int tty_dev_open(struct vnode *vn, unsigned int minor, int flags, struct file **out);

/* True if mapping f gives anonymous memory instead of the file's pages
 * (f is /dev/zero: private or shared anonymous memory, as on Linux). */
bool mem_dev_maps_anon(const struct file *f);

#endif
