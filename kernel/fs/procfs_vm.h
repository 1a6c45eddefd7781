/*
 * The memory system's text in /proc (kernel/fs/procfs_vm.c): the page
 * allocator's counters in the Linux formats. procfs.c calls these; the
 * memory modules export numbers only.
 */
#ifndef KERNEL_FS_PROCFS_VM_H
#define KERNEL_FS_PROCFS_VM_H

struct sbuf;

/* Each appends its file's text to sb and returns 0 or -ENOMEM:
 * /proc/zoneinfo (every zone: free pages, watermarks, present, managed),
 * /proc/buddyinfo (free blocks of each order, populated zones),
 * the page lines of /proc/meminfo (kB, then FreePages and SlabObjects
 * as counts), and the page allocator's lines of /proc/vmstat (pages). */
int procfs_vm_zoneinfo(struct sbuf *sb);
int procfs_vm_buddyinfo(struct sbuf *sb);
int procfs_vm_meminfo(struct sbuf *sb);
int procfs_vm_vmstat(struct sbuf *sb);

#endif
