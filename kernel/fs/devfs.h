/*
 * The device file system mounted at /dev: one flat directory of
 * character-device nodes in memory, made at boot (null, zero, random,
 * urandom, tty, console with their Linux numbers) and by mknod, and a
 * block node per disk made at boot (vda, vdb: kernel/dev/blkdev.h);
 * opening a node opens its driver (kernel/dev/chrdev.h). Nothing is kept
 * on disk.
 */
#ifndef KERNEL_FS_DEVFS_H
#define KERNEL_FS_DEVFS_H

/* Mount devfs on directory path with its standard nodes. Returns 0 or a
 * vfs_mount error. */
int devfs_mount(const char *path);

#endif
