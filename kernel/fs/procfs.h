/*
 * The process file system mounted at /proc: memory statistics (meminfo,
 * zoneinfo, buddyinfo, slabinfo, vmstat), devices, and a directory per
 * live process with maps and status, plus self. Read-only.
 */
#ifndef KERNEL_FS_PROCFS_H
#define KERNEL_FS_PROCFS_H

/* Mount procfs on directory path. Returns 0 or a vfs_mount error. */
int procfs_mount(const char *path);

#endif
